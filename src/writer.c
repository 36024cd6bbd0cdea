/*
 * writer.c
 *		Write valid records to Bronze and Silver, and rejects, a chunk at a
 *		time.
 *
 * Records are buffered and written with one statement per table per chunk,
 * passing the chunk as arrays (unnest), through plans prepared once per
 * run.  Bronze is append-only and idempotent: a record whose (source_id,
 * fingerprint) is already there is skipped.  Silver holds one row per
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
 * Counts come from the statements' own RETURNING rows, never from command
 * tags, so they stay true on distributed tables.  The writer knows table
 * shapes and SQL; it knows nothing of files or JSON Schema.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "fingerprint.h"
#include "omni_ingest.h"
#include "writer.h"

/* Advisory lock class of write targets: "omnw" in ASCII */
#define WRITER_LOCK_CLASS 0x6f6d6e77

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

/* The Silver columns filled from the record, and which hold timestamps */
static List *
SilverDataColumns(Oid relid, List **timestamp_fields)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *columns = NIL;

	*timestamp_fields = NIL;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *name = NameStr(att->attname);

		if (att->attisdropped || IsBookkeepingColumn(name))
			continue;
		columns = lappend(columns, pstrdup(name));
		if (att->atttypid == TIMESTAMPTZOID || att->atttypid == TIMESTAMPOID)
			*timestamp_fields = lappend(*timestamp_fields, pstrdup(name));
	}
	table_close(rel, AccessShareLock);
	return columns;
}

/* SQL expression of a record's version: first non-null version field */
static void
AppendVersionExpr(StringInfo sql, Contract *c)
{
	ListCell   *lc;

	appendStringInfoString(sql, "COALESCE(");
	foreach(lc, c->version_fields)
	{
		if (lc != list_head(c->version_fields))
			appendStringInfoString(sql, ", ");
		appendStringInfo(sql, "(u.p OPERATOR(pg_catalog.->>) %s)::pg_catalog.timestamptz",
						 quote_literal_cstr(lfirst(lc)));
	}
	appendStringInfoString(sql, ")");
}

/* Prepare the Bronze insert: $1 batch, $2 payloads, $3 fingerprints, $4 lines */
static SPIPlanPtr
PrepareBronze(Contract *c)
{
	StringInfoData sql;
	Oid			types[4] = {TEXTOID, JSONBARRAYOID, TEXTARRAYOID, INT8ARRAYOID};
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH ins AS ("
					 " INSERT INTO %s (source_id, batch_id, payload, source_fingerprint, line_number)"
					 " SELECT u.p OPERATOR(pg_catalog.->>) 'source_id', $1, u.p, u.f, u.l"
					 " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(p, f, l)"
					 " ON CONFLICT (source_id, source_fingerprint) DO NOTHING"
					 " RETURNING 1)"
					 " SELECT pg_catalog.count(*) FROM ins",
					 QualifiedTableName(c->bronze_table));
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
 * Prepare the Silver upsert with the same parameters as the Bronze insert.
 * It answers one row: inserted, updated, unchanged, superseded.
 *
 *	input	the chunk: payload, fingerprint, line, key, version
 *	newest	per key, the line to write: newest version, then latest line
 *	up		the upsert; a stored row is replaced by a newer version, by the
 *			same version with other content, or by the same record when
 *			the stored columns differ from its mapping (a repaired mapping,
 *			or a damaged row), and never otherwise
 *	seq		per line, the best earlier line of the chunk (version, line)
 *	prev	per line, what Silver held just before it, had the chunk been
 *			applied a line at a time: the newer of the stored row (as of
 *			before the statement) and that earlier line
 *	judged	whether the line's own write repaired an identical record
 *
 * Judging each line against "just before it" keeps every count
 * independent of where chunks happen to split.
 */
static SPIPlanPtr
PrepareSilver(Contract *c, List *columns)
{
	StringInfoData sql;
	Oid			types[4] = {TEXTOID, JSONBARRAYOID, TEXTARRAYOID, INT8ARRAYOID};
	char	   *silver = QualifiedTableName(c->silver_table);
	const char *key = quote_identifier(c->key_field);
	ListCell   *lc;
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH input AS ("
					 " SELECT u.p, u.f, u.l, u.p OPERATOR(pg_catalog.->>) %s AS k, ",
					 quote_literal_cstr(c->key_field));
	AppendVersionExpr(&sql, c);
	appendStringInfoString(&sql,
						   " AS v FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
						   " pg_catalog.unnest($4)) AS u(p, f, l)),"
						   " newest AS (SELECT DISTINCT ON (k) k, v, f, l, p FROM input"
						   " ORDER BY k, v DESC NULLS LAST, l DESC),");

	/* up */
	appendStringInfo(&sql, " up AS (INSERT INTO %s AS s (", silver);
	AppendColumns(&sql, columns, "");
	appendStringInfoString(&sql, ", " SILVER_VERSION_COLUMN ", " SILVER_FINGERPRINT_COLUMN ", "
						   SILVER_BATCH_COLUMN ", " SILVER_LINE_COLUMN ") SELECT ");
	AppendColumns(&sql, columns, "r.");
	appendStringInfo(&sql,
					 ", n.v, n.f, $1, n.l FROM newest n CROSS JOIN LATERAL"
					 " pg_catalog.jsonb_populate_record(NULL::%s, n.p) AS r"
					 " ON CONFLICT (%s) DO UPDATE SET ",
					 silver, key);
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
						   SILVER_LOADED_COLUMN " = pg_catalog.now()"
						   " WHERE s." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.<) EXCLUDED." SILVER_VERSION_COLUMN
						   " OR (s." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.=) EXCLUDED." SILVER_VERSION_COLUMN
						   " AND (s." SILVER_FINGERPRINT_COLUMN " OPERATOR(pg_catalog.<>) EXCLUDED." SILVER_FINGERPRINT_COLUMN
						   " OR ROW(");
	AppendColumns(&sql, columns, "s.");
	appendStringInfoString(&sql, ") IS DISTINCT FROM ROW(");
	AppendColumns(&sql, columns, "EXCLUDED.");
	appendStringInfo(&sql, ")))"
					 " RETURNING s.%s AS k),", key);

	/* seq, prev, judged and the counts */
	appendStringInfo(&sql,
					 " seq AS (SELECT i.k, i.v, i.f, i.l,"
					 "  pg_catalog.max(ARRAY[EXTRACT(EPOCH FROM i.v), i.l::pg_catalog.numeric])"
					 "  OVER (PARTITION BY i.k ORDER BY i.l ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best"
					 "  FROM input i),"
					 " prev AS (SELECT s.k, s.v, s.f, s.l,"
					 "  cur." SILVER_VERSION_COLUMN " AS cv, cur." SILVER_FINGERPRINT_COLUMN " AS cf,"
					 "  CASE WHEN b.l IS NULL OR cur." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.>) b.v"
					 "   THEN cur." SILVER_VERSION_COLUMN " ELSE b.v END AS pv,"
					 "  CASE WHEN b.l IS NULL OR cur." SILVER_VERSION_COLUMN " OPERATOR(pg_catalog.>) b.v"
					 "   THEN cur." SILVER_FINGERPRINT_COLUMN " ELSE b.f END AS pf"
					 "  FROM seq s"
					 "  LEFT JOIN input b ON b.k OPERATOR(pg_catalog.=) s.k"
					 "   AND b.l::pg_catalog.numeric OPERATOR(pg_catalog.=) s.best[2]"
					 "  LEFT JOIN %s cur ON cur.%s OPERATOR(pg_catalog.=) s.k),"
					 " judged AS (SELECT p.v, p.f, p.pv, p.pf,"
					 "  COALESCE(p.l OPERATOR(pg_catalog.=) n.l AND up.k IS NOT NULL"
					 "   AND p.cv OPERATOR(pg_catalog.=) p.v AND p.cf OPERATOR(pg_catalog.=) p.f, false) AS repaired"
					 "  FROM prev p JOIN newest n ON n.k OPERATOR(pg_catalog.=) p.k"
					 "  LEFT JOIN up ON up.k OPERATOR(pg_catalog.=) p.k)"
					 " SELECT pg_catalog.count(*) FILTER (WHERE pf IS NULL),"
					 " pg_catalog.count(*) FILTER (WHERE pf IS NOT NULL AND (v OPERATOR(pg_catalog.>) pv"
					 "  OR (v OPERATOR(pg_catalog.=) pv AND f OPERATOR(pg_catalog.<>) pf) OR repaired)),"
					 " pg_catalog.count(*) FILTER (WHERE v OPERATOR(pg_catalog.=) pv"
					 "  AND f OPERATOR(pg_catalog.=) pf AND NOT repaired),"
					 " pg_catalog.count(*) FILTER (WHERE v OPERATOR(pg_catalog.<) pv)"
					 " FROM judged",
					 silver, key);

	plan = SPI_prepare(sql.data, 4, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare Silver upsert: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* Prepare the reject insert */
static SPIPlanPtr
PrepareReject(void)
{
	Oid			types[8] = {INT8OID, TEXTOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, TEXTARRAYOID, BOOLARRAYOID, JSONBARRAYOID};
	SPIPlanPtr	plan;

	plan = SPI_prepare("INSERT INTO " OMNI_SCHEMA ".reject"
					   " (run_id, batch_id, line_number, byte_offset, line_bytes,"
					   "  raw_line, raw_truncated, reasons)"
					   " SELECT $1, $2, u.* FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
					   " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
					   " pg_catalog.unnest($8)) AS u",
					   8, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare reject insert: %s", SPI_result_code_string(SPI_result));
	return plan;
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

	if (OidIsValid(contract->silver_table))
		columns = SilverDataColumns(contract->silver_table, &w->timestamp_fields);
	else if (!dry_run)
		elog(ERROR, "contract \"%s\" has no write target", contract->ref);

	w->payloads = palloc(sizeof(Datum) * n);
	w->fingerprints = palloc(sizeof(Datum) * n);
	w->record_lines = palloc(sizeof(Datum) * n);
	w->reject_lines = palloc(sizeof(Datum) * n);
	w->reject_offsets = palloc(sizeof(Datum) * n);
	w->reject_bytes = palloc(sizeof(Datum) * n);
	w->reject_raw = palloc(sizeof(Datum) * n);
	w->reject_truncated = palloc(sizeof(Datum) * n);
	w->reject_reasons = palloc(sizeof(Datum) * n);
	w->chunk_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "omni_ingest chunk",
										 ALLOCSET_DEFAULT_SIZES);

	if (!dry_run)
	{
		w->bronze_plan = PrepareBronze(contract);
		w->silver_plan = PrepareSilver(contract, columns);
		w->reject_plan = PrepareReject();
	}
	return w;
}

/* Buffer a valid record; flush when the chunk is full */
void
WriterAddRecord(Writer *w, Jsonb *record, int64 line_number)
{
	if (w->dry_run)
		return;

	if (w->nrecords >= w->chunk_rows)
		WriterFlush(w);

	{
		MemoryContext old = MemoryContextSwitchTo(w->chunk_cxt);
		Jsonb	   *copy = palloc(VARSIZE(record));

		memcpy(copy, record, VARSIZE(record));
		w->payloads[w->nrecords] = JsonbPGetDatum(copy);
		w->fingerprints[w->nrecords] = CStringGetTextDatum(JsonbFingerprint(record));
		w->record_lines[w->nrecords] = Int64GetDatum(line_number);
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

/* Buffer a rejected line; flush when the chunk is full */
void
WriterAddReject(Writer *w, int64 line_number, int64 offset, int64 line_bytes,
				const char *data, int len, bool truncated, Jsonb *reasons)
{
	MemoryContext old;
	bool		cut;
	int			i;

	if (w->dry_run)
		return;

	if (w->nrejects >= w->chunk_rows)
		WriterFlush(w);

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

/* Column of the single result row as int8 */
static int64
ResultCount(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Serialize writers of one target for the rest of the transaction.
 *
 * Two runs whose batches share keys would otherwise lock Silver (and
 * Bronze) rows chunk by chunk in different orders and could deadlock.
 * Every run takes this lock before it locks any row of the target, so
 * all row-lock waits happen under it and no cycle can form.  Reading,
 * parsing and validating still run in parallel until the first write.
 */
static void
WriterLockTarget(Writer *w)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	int			rc;

	values[0] = Int32GetDatum(WRITER_LOCK_CLASS);
	values[1] = ObjectIdGetDatum(w->contract->silver_table);
	rc = SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock($1, $2)",
							   2, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not lock the write target: %s", SPI_result_code_string(rc));
	w->target_locked = true;
}

/* Write the buffered records and rejects */
void
WriterFlush(Writer *w)
{
	MemoryContext old = MemoryContextSwitchTo(w->chunk_cxt);
	int			rc;

	if (w->nrecords > 0)
	{
		Datum		args[4];
		int			n = w->nrecords;

		if (!w->target_locked)
			WriterLockTarget(w);

		args[0] = CStringGetTextDatum(w->batch_id);
		args[1] = MakeArray(w->payloads, n, JSONBOID);
		args[2] = MakeArray(w->fingerprints, n, TEXTOID);
		args[3] = MakeArray(w->record_lines, n, INT8OID);

		if (!w->silver_only)
		{
			rc = SPI_execute_plan(w->bronze_plan, args, NULL, false, 0);
			if (rc != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "Bronze insert failed: %s", SPI_result_code_string(rc));
			w->counts.inserted += ResultCount(1);
		}

		rc = SPI_execute_plan(w->silver_plan, args, NULL, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "Silver upsert failed: %s", SPI_result_code_string(rc));
		w->counts.silver_inserted += ResultCount(1);
		w->counts.silver_updated += ResultCount(2);
		w->counts.silver_unchanged += ResultCount(3);
		w->counts.silver_superseded += ResultCount(4);
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

		rc = SPI_execute_plan(w->reject_plan, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT || SPI_processed != (uint64) n)
			elog(ERROR, "reject insert failed: %s", SPI_result_code_string(rc));
		w->counts.rejects += n;
		w->nrejects = 0;
	}

	MemoryContextSwitchTo(old);
	MemoryContextReset(w->chunk_cxt);
}
