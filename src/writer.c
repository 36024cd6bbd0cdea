/*
 * writer.c
 *		Write valid records to Bronze and Silver, and rejects, a chunk at a
 *		time.
 *
 * Records are buffered and written with one statement per table per chunk,
 * passing the chunk as arrays (unnest), through plans prepared once per
 * run.  Bronze is append-only and idempotent: a record whose fingerprint
 * is already there under its source_id is skipped.  Bronze carries the
 * business key as a column too, in its unique key (key, source_id,
 * fingerprint): the fingerprint decides identity, the key lets a
 * distributed Bronze be co-located with Silver.  Silver holds one row per
 * business key at its newest version:
 *
 *  - within a chunk, the newest version of each key is chosen (ties go to
 *    the later line);
 *  - it replaces the stored row only when it is newer, or of the same
 *    version with other content (or when the stored columns no longer
 *    match the record's mapping); an identical row is never rewritten;
 *  - every line is then counted once, as if the lines were applied one
 *    at a time in file order: inserted (no row yet), updated (it replaced
 *    an older version, or the same version with other content), unchanged
 *    (identical to what was there) or superseded (older than what was
 *    there).
 *
 * Counts come from the statements' own RETURNING rows, read through a
 * SELECT, never from command tags or SPI_processed of a modification, so
 * they stay true on distributed tables (Citus counts rows sent there), and
 * no ON CONFLICT DO UPDATE calls a function.  Where a table allows it
 * (omni_ingest.write_path = auto), its chunk is written through the direct
 * path instead (direct.c), which writes the same rows without the
 * statements; the judging of Silver's lines is the same on both.  The
 * writer knows table shapes and SQL; it knows nothing of files or JSON
 * Schema.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "direct.h"
#include "fingerprint.h"
#include "lock.h"
#include "omni_ingest.h"
#include "owner.h"
#include "rules.h"
#include "storable.h"
#include "writer.h"

/* Schema-qualified, quoted name of a table */
static char *
QualifiedTableName(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table with OID %u does not exist", relid),
				 errhint("Check omni_ingest.contract_target.")));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

/* True for the Silver columns the writer fills itself */
static bool
IsBookkeepingColumn(const char *name)
{
	return strcmp(name, SILVER_VERSION_COLUMN) == 0 ||
		strcmp(name, SILVER_FINGERPRINT_COLUMN) == 0 ||
		strcmp(name, SILVER_BATCH_COLUMN) == 0 ||
		strcmp(name, SILVER_LINE_COLUMN) == 0 ||
		strcmp(name, SILVER_LOADED_COLUMN) == 0;
}

/* How the storability checks judge values for a column type */
static SilverKind
SilverKindOf(Oid typid)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
			return SILVER_TEXT;
		case BOOLOID:
			return SILVER_BOOL;
		case INT2OID:
			return SILVER_INT2;
		case INT4OID:
			return SILVER_INT4;
		case INT8OID:
			return SILVER_INT8;
		case NUMERICOID:
			return SILVER_NUMERIC;
		case FLOAT4OID:
			return SILVER_FLOAT4;
		case FLOAT8OID:
			return SILVER_FLOAT8;
		case JSONOID:
		case JSONBOID:
			return SILVER_JSON;
		case TIMESTAMPTZOID:
			return SILVER_TIMESTAMPTZ;
		case TIMESTAMPOID:
			return SILVER_TIMESTAMP;
		case DATEOID:
			return SILVER_DATE;
		case UUIDOID:
			return SILVER_UUID;
		default:
			return SILVER_OTHER;
	}
}

/*
 * Describe a Silver column for the storability checks.  A composite type,
 * or a domain over an array or a composite, is filled by
 * jsonb_populate_record in ways no check here can foresee: refuse it.
 */
static SilverColumn *
DescribeSilverColumn(Relation rel, Form_pg_attribute att)
{
	SilverColumn *col = palloc0(sizeof(SilverColumn));
	Oid			typid = att->atttypid;
	Oid			elem = get_element_type(typid);
	Oid			base;

	col->name = pstrdup(NameStr(att->attname));
	col->type_name = format_type_with_typemod(typid, att->atttypmod);
	col->not_null = att->attnotnull;
	col->typmod = att->atttypmod;
	if (OidIsValid(elem))
	{
		col->is_array = true;
		typid = elem;
	}
	col->kind = SilverKindOf(typid);
	if (col->kind != SILVER_OTHER)
		return col;

	base = getBaseType(typid);
	col->is_domain = (base != typid);
	if (type_is_rowtype(base) || (col->is_domain && OidIsValid(get_element_type(base))))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Silver column \"%s\" of table \"%s\" has type %s, whose values cannot be checked before they are written",
						col->name, RelationGetRelationName(rel), col->type_name),
				 errhint("Use a scalar type, an array of a scalar type, or jsonb.")));
	getTypeInputInfo(typid, &col->typinput, &col->typioparam);
	return col;
}

/*
 * The Silver columns filled from the record, each named after the field it
 * holds; with silver_columns, also how to judge their values
 */
List *
WriterSilverFields(Oid relid, List **silver_columns)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *columns = NIL;

	if (silver_columns)
		*silver_columns = NIL;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *name = NameStr(att->attname);

		if (att->attisdropped || IsBookkeepingColumn(name))
			continue;
		columns = lappend(columns, pstrdup(name));
		if (silver_columns)
			*silver_columns = lappend(*silver_columns, DescribeSilverColumn(rel, att));
	}
	table_close(rel, AccessShareLock);
	return columns;
}

/*
 * True when Bronze carries the business key as a column of its own (named
 * as the key field), by which a distributed Bronze is co-located with
 * Silver.  A key named source_id is Bronze's source_id.  Bronze tables of
 * the 0.1.0 shape, made by hand, have no such column and keep the key in
 * the payload only.
 */
bool
WriterBronzeHasKey(Oid bronze, const char *key)
{
	return strcmp(key, "source_id") == 0 || get_attnum(bronze, key) != InvalidAttrNumber;
}

/*
 * Prepare the Bronze insert: $1 batch, $2 payloads, $3 fingerprints, $4
 * lines.  It answers the number of rows inserted, from its RETURNING rows.
 */
static SPIPlanPtr
PrepareBronze(Contract *c)
{
	StringInfoData sql;
	Oid			types[4] = {TEXTOID, JSONBARRAYOID, TEXTARRAYOID, INT8ARRAYOID};
	bool		own_key = strcmp(c->key_field, "source_id") != 0 &&
		WriterBronzeHasKey(c->bronze_table, c->key_field);
	const char *key = quote_identifier(c->key_field);
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql, "WITH ins AS (INSERT INTO %s (", QualifiedTableName(c->bronze_table));
	if (own_key)
		appendStringInfo(&sql, "%s, ", key);
	appendStringInfoString(&sql, "source_id, batch_id, payload, source_fingerprint, line_number) SELECT ");
	if (own_key)
		appendStringInfo(&sql, "u.p OPERATOR(pg_catalog.->>) %s, ", quote_literal_cstr(c->key_field));
	appendStringInfoString(&sql,
						   "u.p OPERATOR(pg_catalog.->>) 'source_id', $1, u.p, u.f, u.l"
						   " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(p, f, l)"
						   " ON CONFLICT (");
	if (own_key)
		appendStringInfo(&sql, "%s, ", key);
	appendStringInfoString(&sql, "source_id, source_fingerprint) DO NOTHING"
						   " RETURNING 1)"
						   " SELECT pg_catalog.count(*) FROM ins");
	plan = SPI_prepare(sql.data, 4, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare Bronze insert: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* Append "prefix.col, ..." for the data columns */
static void
AppendColumns(StringInfo sql, List *columns, const char *prefix)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		if (lc != list_head(columns))
			appendStringInfoString(sql, ", ");
		appendStringInfo(sql, "%s%s", prefix, quote_identifier(lfirst(lc)));
	}
}

/*
 * Append "col type, ..." for the data columns of a Silver table: the record
 * type the upsert reads records into.  It holds the data columns alone, so
 * a member named like a bookkeeping column is never read (it is not the
 * record's to fill, and a value of the wrong type would fail the whole
 * statement); it stays in Bronze.
 */
static void
AppendColumnTypes(StringInfo sql, Oid relid, List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		AttrNumber	att = get_attnum(relid, lfirst(lc));
		Oid			typid;
		int32		typmod;
		Oid			collid;

		get_atttypetypmodcoll(relid, att, &typid, &typmod, &collid);
		appendStringInfo(sql, "%s%s %s", lc == list_head(columns) ? "" : ", ",
						 quote_identifier(lfirst(lc)),
						 format_type_extended(typid, typmod,
											  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
	}
}

/*
 * Prepare the Silver upsert of the lines chosen to be written: $1 batch,
 * $2 payloads, $3 fingerprints, $4 lines, $5 versions, $6 the time loaded.
 * A stored row is replaced by a newer version, by the same version with
 * other content, or by the same record when the stored columns differ from
 * its mapping (a repaired mapping, or a damaged row); never otherwise.  It
 * returns the keys it wrote, as the rows of a SELECT over the upsert's
 * RETURNING rows: on a distributed table, the command's own row count is
 * the rows sent, not those written.  DO UPDATE calls no function (Citus
 * takes only immutable ones there): every value comes from EXCLUDED.
 */
static SPIPlanPtr
PrepareSilver(Contract *c, List *columns)
{
	StringInfoData sql;
	Oid			types[6] = {TEXTOID, JSONBARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
	TIMESTAMPTZARRAYOID, TIMESTAMPTZOID};
	char	   *silver = QualifiedTableName(c->silver_table);
	const char *key = quote_identifier(c->key_field);
	ListCell   *lc;
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql, "WITH up AS (INSERT INTO %s AS s (", silver);
	AppendColumns(&sql, columns, "");
	appendStringInfoString(&sql, ", " SILVER_VERSION_COLUMN ", " SILVER_FINGERPRINT_COLUMN ", "
						   SILVER_BATCH_COLUMN ", " SILVER_LINE_COLUMN ", " SILVER_LOADED_COLUMN ") SELECT ");
	AppendColumns(&sql, columns, "r.");
	appendStringInfo(&sql,
					 ", u.v, u.f, $1, u.l, $6"
					 " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
					 " pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u(p, f, l, v)"
					 " CROSS JOIN LATERAL pg_catalog.jsonb_to_record(u.p) AS r(");
	AppendColumnTypes(&sql, c->silver_table, columns);
	appendStringInfo(&sql, ") ON CONFLICT (%s) DO UPDATE SET ", key);
	foreach(lc, columns)
	{
		const char *col = quote_identifier(lfirst(lc));

		appendStringInfo(&sql, "%s = EXCLUDED.%s, ", col, col);
	}
	appendStringInfoString(&sql,
						   SILVER_VERSION_COLUMN " = EXCLUDED." SILVER_VERSION_COLUMN ", "
						   SILVER_FINGERPRINT_COLUMN " = EXCLUDED." SILVER_FINGERPRINT_COLUMN ", "
						   SILVER_BATCH_COLUMN " = EXCLUDED." SILVER_BATCH_COLUMN ", "
						   SILVER_LINE_COLUMN " = EXCLUDED." SILVER_LINE_COLUMN ", "
						   SILVER_LOADED_COLUMN " = EXCLUDED." SILVER_LOADED_COLUMN
						   " WHERE s." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.<) EXCLUDED." SILVER_VERSION_COLUMN
						   " OR (s." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.=) EXCLUDED." SILVER_VERSION_COLUMN
						   " AND (s." SILVER_FINGERPRINT_COLUMN " OPERATOR(pg_catalog.<>) EXCLUDED." SILVER_FINGERPRINT_COLUMN
						   " OR ROW(");
	AppendColumns(&sql, columns, "s.");
	appendStringInfoString(&sql, ") IS DISTINCT FROM ROW(");
	AppendColumns(&sql, columns, "EXCLUDED.");
	appendStringInfo(&sql, "))) RETURNING s.%s) SELECT * FROM up", key);

	plan = SPI_prepare(sql.data, 6, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare Silver upsert: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* Prepare the read of the stored version and fingerprint of a chunk's keys */
static SPIPlanPtr
PrepareSilverState(Contract *c)
{
	Oid			types[1] = {TEXTARRAYOID};
	const char *key = quote_identifier(c->key_field);
	SPIPlanPtr	plan;

	plan = SPI_prepare(psprintf("SELECT %s, " SILVER_VERSION_COLUMN ", " SILVER_FINGERPRINT_COLUMN
								" FROM %s WHERE %s OPERATOR(pg_catalog.=) ANY ($1)",
								key, QualifiedTableName(c->silver_table), key),
					   1, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare Silver read: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* Prepare the reject insert; it answers the rows inserted, from RETURNING */
static SPIPlanPtr
PrepareReject(void)
{
	Oid			types[8] = {INT8OID, TEXTOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, JSONBARRAYOID};
	SPIPlanPtr	plan;

	plan = SPI_prepare("WITH ins AS (INSERT INTO " OMNI_SCHEMA ".reject"
					   " (run_id, batch_id, line_number, byte_offset, line_bytes,"
					   "  raw_line, raw_truncated, reasons)"
					   " SELECT $1, $2, u.* FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
					   " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
					   " pg_catalog.unnest($8)) AS u RETURNING 1)"
					   " SELECT pg_catalog.count(*) FROM ins",
					   8, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare reject insert: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * Prepare the quarantine insert (only for a run that quarantines: a 0.1.0
 * database running this module has no quarantine table)
 */
static SPIPlanPtr
PrepareQuarantine(void)
{
	Oid			types[6] = {INT8OID, TEXTOID, INT8ARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, JSONBARRAYOID};
	SPIPlanPtr	plan;

	plan = SPI_prepare("WITH ins AS (INSERT INTO " OMNI_SCHEMA ".quarantine"
					   " (run_id, batch_id, line_number, reason, cursor_value, record)"
					   " SELECT $1, $2, u.* FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
					   " pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u RETURNING 1)"
					   " SELECT pg_catalog.count(*) FROM ins",
					   6, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare quarantine insert: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* Refuse targets that the writer may not write as the extension owner */
void
WriterCheckTargets(Contract *contract)
{
	OmniCheckTargetTable(contract->bronze_table);
	OmniCheckTargetTable(contract->silver_table);
}

/*
 * Set up a writer for one run.  The caller must be connected to SPI.  A dry
 * run prepares nothing but still learns the Silver shape, so that it judges
 * records exactly as a real run would.
 */
Writer *
WriterBegin(Contract *contract, const char *batch_id, int64 run_id, bool dry_run)
{
	Writer	   *w = palloc0(sizeof(Writer));
	List	   *columns = NIL;
	int			n = omni_chunk_rows;

	w->contract = contract;
	w->batch_id = pstrdup(batch_id);
	w->run_id = run_id;
	w->dry_run = dry_run;
	w->chunk_rows = n;
	w->chunk_bytes = omni_chunk_bytes;

	if (OidIsValid(contract->silver_table))
	{
		SilverColumn *source_id;

		columns = WriterSilverFields(contract->silver_table, &w->silver_columns);

		/* Bronze takes its NOT NULL source_id from the record too */
		source_id = SilverColumnNamed(w->silver_columns, "source_id");
		if (source_id == NULL || !source_id->not_null)
		{
			source_id = palloc0(sizeof(SilverColumn));
			source_id->name = "source_id";
			source_id->type_name = "text";
			source_id->kind = SILVER_JSON;
			source_id->not_null = true;
			source_id->typmod = -1;
			w->silver_columns = lappend(w->silver_columns, source_id);
		}
		SortSilverColumns(w->silver_columns);
	}
	else if (!dry_run)
		elog(ERROR, "contract \"%s\" has no write target", contract->ref);

	w->payloads = palloc(sizeof(Datum) * n);
	w->fingerprints = palloc(sizeof(Datum) * n);
	w->record_lines = palloc(sizeof(Datum) * n);
	w->versions = palloc(sizeof(Datum) * n);
	w->keys = palloc(sizeof(char *) * n);
	w->reject_lines = palloc(sizeof(Datum) * n);
	w->reject_offsets = palloc(sizeof(Datum) * n);
	w->reject_bytes = palloc(sizeof(Datum) * n);
	w->reject_raw = palloc(sizeof(Datum) * n);
	w->reject_truncated = palloc(sizeof(Datum) * n);
	w->reject_reasons = palloc(sizeof(Datum) * n);
	w->quarantine_lines = palloc(sizeof(Datum) * n);
	w->quarantine_reasons = palloc(sizeof(Datum) * n);
	w->quarantine_values = palloc(sizeof(Datum) * n);
	w->quarantine_records = palloc(sizeof(Datum) * n);
	w->chunk_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "omni_ingest chunk",
										 ALLOCSET_DEFAULT_SIZES);

	if (!dry_run)
	{
		WriterCheckTargets(contract);
		w->bronze_plan = PrepareBronze(contract);
		w->silver_plan = PrepareSilver(contract, columns);
		w->silver_state_plan = PrepareSilverState(contract);
		w->reject_plan = PrepareReject();
		/* the quarantine plan at the first quarantined record */

		/* Bronze carries the key in a column of its own unless it is source_id (see PrepareBronze) */
		w->direct = DirectWriterBegin(contract, columns,
									  strcmp(contract->key_field, "source_id") != 0 &&
									  WriterBronzeHasKey(contract->bronze_table,
														 contract->key_field));
	}
	return w;
}

/*
 * Flush first if adding bytes to the chunk would make it too large: by
 * rows, or by bytes (a chunk travels as arrays, and an array cannot exceed
 * 1GB).  A record larger than the limit makes a chunk of its own.
 */
static void
WriterMakeRoom(Writer *w, int nbuffered, int64 bytes)
{
	if (nbuffered >= w->chunk_rows ||
		(w->buffered_bytes > 0 && w->buffered_bytes + bytes > w->chunk_bytes))
		WriterFlush(w);
	w->buffered_bytes += bytes;
}

/*
 * Buffer a valid record; flush first when the chunk is full.  fingerprint
 * is the record's, when already made (NULL: make it here).
 */
void
WriterAddRecord(Writer *w, Jsonb *record, int64 line_number,
				const char *fingerprint)
{
	if (w->dry_run)
		return;

	WriterMakeRoom(w, w->nrecords, VARSIZE(record));

	{
		MemoryContext old = MemoryContextSwitchTo(w->chunk_cxt);
		Jsonb	   *copy = palloc(VARSIZE(record));

		memcpy(copy, record, VARSIZE(record));
		w->payloads[w->nrecords] = JsonbPGetDatum(copy);
		w->fingerprints[w->nrecords] =
			CStringGetTextDatum(fingerprint ? fingerprint : JsonbFingerprint(record));
		w->record_lines[w->nrecords] = Int64GetDatum(line_number);
		w->keys[w->nrecords] = RecordKey(w->contract, record);
		w->versions[w->nrecords] = TimestampTzGetDatum(RecordVersion(w->contract, record));
		MemoryContextSwitchTo(old);
	}
	w->nrecords++;
}

/*
 * The kept part of a rejected line as text: at most limit bytes, cut at a
 * character boundary.  Bytes that are not UTF-8 (or are NUL) are shown as
 * \xNN, since text cannot hold them.
 */
static text *
RejectLineText(const char *data, int len, int limit, bool *cut)
{
	StringInfoData buf;
	int			pos = 0;

	initStringInfo(&buf);
	*cut = false;
	while (pos < len)
	{
		int			valid = pg_encoding_verifymbstr(PG_UTF8, data + pos, len - pos);
		int			take = valid;

		if (buf.len + take > limit)
		{
			take = pg_encoding_mbcliplen(PG_UTF8, data + pos, valid, limit - buf.len);
			appendBinaryStringInfo(&buf, data + pos, take);
			*cut = true;
			break;
		}
		appendBinaryStringInfo(&buf, data + pos, take);
		pos += valid;
		if (pos < len)
		{
			if (buf.len + 4 > limit)
			{
				*cut = true;
				break;
			}
			appendStringInfo(&buf, "\\x%02X", (unsigned char) data[pos]);
			pos++;
		}
	}
	return cstring_to_text_with_len(buf.data, buf.len);
}

/* Buffer a rejected line; flush first when the chunk is full */
void
WriterAddReject(Writer *w, int64 line_number, int64 offset, int64 line_bytes,
				const char *data, int len, bool truncated, Jsonb *reasons)
{
	MemoryContext old;
	bool		cut;
	int			i;

	if (w->dry_run)
		return;

	/* What is kept of the line: at most the limit, \xNN for a byte */
	WriterMakeRoom(w, w->nrejects,
				   Min((int64) len * 4, (int64) omni_reject_line_bytes) +
				   VARSIZE_ANY(reasons));

	old = MemoryContextSwitchTo(w->chunk_cxt);
	i = w->nrejects++;
	w->reject_lines[i] = Int64GetDatum(line_number);
	w->reject_offsets[i] = Int64GetDatum(offset);
	w->reject_bytes[i] = Int64GetDatum(line_bytes);
	w->reject_raw[i] = PointerGetDatum(RejectLineText(data, len, omni_reject_line_bytes, &cut));
	w->reject_truncated[i] = BoolGetDatum(truncated || cut);
	w->reject_reasons[i] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) reasons));
	MemoryContextSwitchTo(old);
}

/*
 * Buffer a valid record held back in the quarantine table instead of
 * Bronze and Silver; flush first when the chunk is full
 */
void
WriterAddQuarantine(Writer *w, int64 line_number, const char *reason,
					const char *cursor_value, Jsonb *record)
{
	MemoryContext old;
	int			i;

	if (w->dry_run)
		return;

	WriterMakeRoom(w, w->nquarantined, VARSIZE(record));

	old = MemoryContextSwitchTo(w->chunk_cxt);
	i = w->nquarantined++;
	w->quarantine_lines[i] = Int64GetDatum(line_number);
	w->quarantine_reasons[i] = CStringGetTextDatum(reason);
	w->quarantine_values[i] = CStringGetTextDatum(cursor_value);
	w->quarantine_records[i] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) record));
	MemoryContextSwitchTo(old);
}

/* One-dimensional array of n datums of a type */
static Datum
MakeArray(Datum *elems, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, elemtype, typlen, typbyval, typalign));
}

/*
 * Run a kept plan for the current chunk.  SPI leaves the current memory
 * context at its own procedure context after every call; switch back to
 * the chunk's, so that nothing of a chunk outlives its flush.
 */
static void
WriterExec(Writer *w, SPIPlanPtr plan, Datum *args, int expected, const char *what)
{
	int			rc = SPI_execute_plan(plan, args, NULL, false, 0);

	MemoryContextSwitchTo(w->chunk_cxt);
	if (rc != expected)
		elog(ERROR, "%s failed: %s", what, SPI_result_code_string(rc));
}

/* Column of the single result row as int8 */
static int64
ResultCount(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* Run an insert of n rows that answers its count; it must have written them all */
static void
WriterInsertAll(Writer *w, SPIPlanPtr plan, Datum *args, int n, const char *what)
{
	int64		written;

	WriterExec(w, plan, args, SPI_OK_SELECT, what);
	written = ResultCount(1);
	if (written != n)
		elog(ERROR, "%s wrote " INT64_FORMAT " rows, not %d", what, written, n);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Serialize writers of one target for the rest of the transaction, before
 * the first row of it is locked (the protocol is in lock.c).  Reading,
 * parsing and validating still run in parallel until the first write.
 */
static void
WriterLockTarget(Writer *w)
{
	OmniLockTarget(w->contract->silver_table);
	w->target_locked = true;
}

/* What Silver holds for a key, as the lines of a chunk are judged */
typedef struct KeyState
{
	const char *key;
	bool		present;		/* a row is stored, or a line wrote one */
	TimestampTz version;
	const char *fingerprint;
	int			winner;			/* index of the line to write, or -1 */
	int			same_as_stored; /* last line identical to the stored row */
	bool		repair_offered; /* that line was offered to the upsert */
	DirectStored direct;		/* the direct path: the stored row's place */
} KeyState;

/* Order chunk lines by key, then by position (qsort_arg comparator) */
static int
CompareLineKeys(const void *a, const void *b, void *arg)
{
	char	  **keys = arg;
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;
	int			c = strcmp(keys[ia], keys[ib]);

	return c != 0 ? c : (ia > ib) - (ia < ib);
}

/* Order key states by key (qsort and bsearch comparator) */
static int
CompareKeyStates(const void *a, const void *b)
{
	return strcmp(((const KeyState *) a)->key, ((const KeyState *) b)->key);
}

/* The state of a key just read: nothing judged yet */
static void
InitKeyState(KeyState *state, const char *key, bool present)
{
	memset(state, 0, sizeof(KeyState));
	state->key = key;
	state->present = present;
	state->winner = -1;
	state->same_as_stored = -1;
}

/*
 * What Silver holds for the chunk's distinct keys, through SQL, into
 * stored; returns how many keys it holds
 */
static int
SilverStateSql(Writer *w, char **keys, int nkeys, KeyState *stored)
{
	Datum		args[1];
	Datum	   *keyarray = palloc(sizeof(Datum) * Max(nkeys, 1));
	int			nstored;

	for (int i = 0; i < nkeys; i++)
		keyarray[i] = CStringGetTextDatum(keys[i]);
	args[0] = MakeArray(keyarray, nkeys, TEXTOID);
	WriterExec(w, w->silver_state_plan, args, SPI_OK_SELECT, "Silver read");
	nstored = (int) SPI_processed;
	for (int i = 0; i < nstored; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		InitKeyState(&stored[i], SPI_getvalue(tup, desc, 1), true);
		stored[i].version = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		stored[i].fingerprint = SPI_getvalue(tup, desc, 3);
	}
	SPI_freetuptable(SPI_tuptable);
	return nstored;
}

/* The same, by probes of Silver's key index (direct.c) */
static int
SilverStateDirect(Writer *w, char **keys, int nkeys, KeyState *stored)
{
	bool	   *found = palloc(sizeof(bool) * Max(nkeys, 1));
	DirectStored *rows = palloc(sizeof(DirectStored) * Max(nkeys, 1));
	int			nstored = 0;

	DirectSilverRead(w->direct, nkeys, keys, found, rows);
	for (int i = 0; i < nkeys; i++)
	{
		if (!found[i])
			continue;
		InitKeyState(&stored[nstored], keys[i], true);
		stored[nstored].version = rows[i].version;
		stored[nstored].fingerprint = rows[i].fingerprint;
		stored[nstored].direct = rows[i];
		nstored++;
	}
	return nstored;
}

/*
 * A row rewritten although identical by fingerprint was repaired: count
 * the line that was offered for it as updated, not unchanged
 */
static void
CountRepaired(Writer *w, KeyState *stored, int nstored, const char *key)
{
	KeyState	probe;
	KeyState   *found;

	probe.key = key;
	found = bsearch(&probe, stored, nstored, sizeof(KeyState), CompareKeyStates);
	if (found && found->repair_offered)
	{
		w->counts.silver_unchanged--;
		w->counts.silver_updated++;
	}
}

/* Write the chosen lines with the SQL upsert, which returns the keys written */
static void
SilverUpsertSql(Writer *w, Datum batch, int *write, int nwrite,
				KeyState *stored, int nstored)
{
	Datum		wargs[6];
	Datum	   *wpayloads = palloc(sizeof(Datum) * nwrite);
	Datum	   *wfingerprints = palloc(sizeof(Datum) * nwrite);
	Datum	   *wlines = palloc(sizeof(Datum) * nwrite);
	Datum	   *wversions = palloc(sizeof(Datum) * nwrite);

	for (int i = 0; i < nwrite; i++)
	{
		wpayloads[i] = w->payloads[write[i]];
		wfingerprints[i] = w->fingerprints[write[i]];
		wlines[i] = w->record_lines[write[i]];
		wversions[i] = w->versions[write[i]];
	}
	wargs[0] = batch;
	wargs[1] = MakeArray(wpayloads, nwrite, JSONBOID);
	wargs[2] = MakeArray(wfingerprints, nwrite, TEXTOID);
	wargs[3] = MakeArray(wlines, nwrite, INT8OID);
	wargs[4] = MakeArray(wversions, nwrite, TIMESTAMPTZOID);
	wargs[5] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());	/* now() */
	WriterExec(w, w->silver_plan, wargs, SPI_OK_SELECT, "Silver upsert");

	for (uint64 r = 0; w->silver_only && r < SPI_processed; r++)
		CountRepaired(w, stored, nstored,
					  SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1));
	SPI_freetuptable(SPI_tuptable);
}

/* The same through the direct path, which says which rows it wrote */
static void
SilverWriteDirect(Writer *w, int *write, KeyState **states, int nwrite,
				  KeyState *stored, int nstored)
{
	DirectSilverRow *rows = palloc0(sizeof(DirectSilverRow) * nwrite);

	for (int i = 0; i < nwrite; i++)
	{
		rows[i].payload = w->payloads[write[i]];
		rows[i].fingerprint = w->fingerprints[write[i]];
		rows[i].line = w->record_lines[write[i]];
		rows[i].version = w->versions[write[i]];
		rows[i].stored = states[i] != NULL ? &states[i]->direct : NULL;
	}
	DirectSilverWrite(w->direct, w->batch_id, nwrite, rows);
	for (int i = 0; w->silver_only && i < nwrite; i++)
		if (rows[i].written)
			CountRepaired(w, stored, nstored, w->keys[write[i]]);
}

/*
 * Judge the chunk's lines against Silver and write the winners.
 *
 * Each line is counted as if the chunk were applied a line at a time, in
 * file order: inserted (no row yet), updated (newer than what is held, or
 * the same version with other content), unchanged (identical to what is
 * held) or superseded (older than what is held).  Per key, only the line
 * that ends up held is written.  In a replay, a line identical to the
 * stored row is offered to the upsert too, which rewrites it only when the
 * stored columns no longer match the record (a repaired mapping, or a
 * damaged row; then it counts as updated); a load leaves such rows alone,
 * which keeps reruns cheap.  The stored state is read under the target
 * lock, so no other load changes it before the upsert.  Reading and
 * writing go through SQL, or through the direct path (direct.c) when it
 * serves Silver this chunk; the judging is the same.
 */
static void
WriterSilver(Writer *w, Datum batch, bool direct)
{
	int			n = w->nrecords;
	int		   *order = palloc(sizeof(int) * n);
	char	  **keys = palloc(sizeof(char *) * n);
	int			nkeys = 0;
	KeyState   *stored = palloc0(sizeof(KeyState) * n);
	int			nstored;
	int			nwrite = 0;
	int		   *write = palloc(sizeof(int) * n);
	KeyState  **write_states = palloc(sizeof(KeyState *) * n);
	int			i;

	/* The chunk's lines key by key, each key's lines in file order */
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int), CompareLineKeys, w->keys);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(w->keys[order[i]], keys[nkeys - 1]) != 0)
			keys[nkeys++] = w->keys[order[i]];

	/* What Silver holds for the chunk's keys, sorted by key */
	nstored = direct ? SilverStateDirect(w, keys, nkeys, stored) :
		SilverStateSql(w, keys, nkeys, stored);
	qsort(stored, nstored, sizeof(KeyState), CompareKeyStates);

	for (i = 0; i < n;)
	{
		KeyState	probe;
		KeyState   *found;
		KeyState	state;
		int			j;

		probe.key = w->keys[order[i]];
		found = bsearch(&probe, stored, nstored, sizeof(KeyState), CompareKeyStates);
		if (found)
			state = *found;
		else
			InitKeyState(&state, probe.key, false);

		for (j = i; j < n && strcmp(w->keys[order[j]], probe.key) == 0; j++)
		{
			int			line = order[j];
			TimestampTz v = DatumGetTimestampTz(w->versions[line]);
			char	   *f = TextDatumGetCString(w->fingerprints[line]);

			if (!state.present)
				w->counts.silver_inserted++;
			else if (v > state.version ||
					 (v == state.version && strcmp(f, state.fingerprint) != 0))
				w->counts.silver_updated++;
			else if (v == state.version)
			{
				w->counts.silver_unchanged++;
				if (state.winner < 0)
					state.same_as_stored = line;
				continue;
			}
			else
			{
				w->counts.silver_superseded++;
				continue;
			}
			state.present = true;
			state.version = v;
			state.fingerprint = f;
			state.winner = line;
		}

		if (state.winner >= 0)
		{
			write_states[nwrite] = found;
			write[nwrite++] = state.winner;
		}
		else if (w->silver_only && state.same_as_stored >= 0)
		{
			write_states[nwrite] = found;
			write[nwrite++] = state.same_as_stored;
			found->repair_offered = true;	/* same_as_stored implies found */
		}
		i = j;
	}

	if (nwrite == 0)
		return;
	if (direct)
		SilverWriteDirect(w, write, write_states, nwrite, stored, nstored);
	else
		SilverUpsertSql(w, batch, write, nwrite, stored, nstored);
}

/*
 * Write the buffered records and rejects.  The records go to each table
 * through the direct path when it serves the table this chunk, else
 * through the SQL statements.
 */
void
WriterFlush(Writer *w)
{
	MemoryContext old = MemoryContextSwitchTo(w->chunk_cxt);

	if (w->nrecords > 0)
	{
		Datum		args[4];
		int			n = w->nrecords;
		bool		bronze_direct = false;
		bool		silver_direct = false;

		if (!w->target_locked)
			WriterLockTarget(w);
		if (w->direct != NULL)
			DirectWriterOpen(w->direct, !w->silver_only, &bronze_direct, &silver_direct);

		args[0] = CStringGetTextDatum(w->batch_id);
		if (bronze_direct)
			w->counts.inserted += DirectBronzeInsert(w->direct, w->batch_id, n, w->payloads,
													 w->fingerprints, w->record_lines);
		else if (!w->silver_only)
		{
			args[1] = MakeArray(w->payloads, n, JSONBOID);
			args[2] = MakeArray(w->fingerprints, n, TEXTOID);
			args[3] = MakeArray(w->record_lines, n, INT8OID);
			WriterExec(w, w->bronze_plan, args, SPI_OK_SELECT, "Bronze insert");
			w->counts.inserted += ResultCount(1);
			SPI_freetuptable(SPI_tuptable);
		}

		WriterSilver(w, args[0], silver_direct);
		if (w->direct != NULL)
			DirectWriterClose(w->direct);
		w->nrecords = 0;
	}

	if (w->nrejects > 0)
	{
		Datum		args[8];
		int			n = w->nrejects;

		args[0] = Int64GetDatum(w->run_id);
		args[1] = CStringGetTextDatum(w->batch_id);
		args[2] = MakeArray(w->reject_lines, n, INT8OID);
		args[3] = MakeArray(w->reject_offsets, n, INT8OID);
		args[4] = MakeArray(w->reject_bytes, n, INT8OID);
		args[5] = MakeArray(w->reject_raw, n, TEXTOID);
		args[6] = MakeArray(w->reject_truncated, n, BOOLOID);
		args[7] = MakeArray(w->reject_reasons, n, JSONBOID);

		WriterInsertAll(w, w->reject_plan, args, n, "reject insert");
		w->counts.rejects += n;
		w->nrejects = 0;
	}

	if (w->nquarantined > 0)
	{
		Datum		args[6];
		int			n = w->nquarantined;

		args[0] = Int64GetDatum(w->run_id);
		args[1] = CStringGetTextDatum(w->batch_id);
		args[2] = MakeArray(w->quarantine_lines, n, INT8OID);
		args[3] = MakeArray(w->quarantine_reasons, n, TEXTOID);
		args[4] = MakeArray(w->quarantine_values, n, TEXTOID);
		args[5] = MakeArray(w->quarantine_records, n, JSONBOID);

		if (w->quarantine_plan == NULL)
			w->quarantine_plan = PrepareQuarantine();
		WriterInsertAll(w, w->quarantine_plan, args, n, "quarantine insert");
		w->counts.quarantined += n;
		w->nquarantined = 0;
	}

	w->buffered_bytes = 0;
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->chunk_cxt);
}

/* Release the writer's plans (a resumable run makes a writer per segment) */
void
WriterEnd(Writer *w)
{
	SPIPlanPtr	plans[5] = {w->bronze_plan, w->silver_plan, w->silver_state_plan,
	w->reject_plan, w->quarantine_plan};

	for (int i = 0; i < (int) lengthof(plans); i++)
		if (plans[i] != NULL)
			SPI_freeplan(plans[i]);
	MemoryContextDelete(w->chunk_cxt);
}
