/*
 * direct.c
 *		The direct write path: Bronze and Silver written a chunk at a time
 *		as COPY writes a table, for the plain tables that allow it.
 *
 * The SQL path writes a chunk with one INSERT ... ON CONFLICT per table,
 * whose speculative insertions probe every arbiter index, and reads
 * Silver's state with one more statement.  Here the same rows are written
 * without the executor's statement machinery:
 *
 *  - Bronze: the chunk's conflict keys are sorted, a line repeating an
 *    earlier line's key is dropped (the SQL statement's second row would
 *    conflict with its first), the others are probed in the unique index
 *    the SQL path's ON CONFLICT infers, and the rows it does not hold are
 *    inserted with one heap multi-insert and then their index entries, as
 *    COPY's multi-insert buffers do;
 *  - Silver: each key of the chunk is probed in the key's unique index;
 *    the writer (writer.c) judges the lines against what it finds, exactly
 *    as on the SQL path; then the rows chosen are inserted (multi-insert)
 *    or, where a stored row is replaced, updated in place with
 *    simple_table_tuple_update, which keeps HOT updates HOT, and their
 *    index entries added when the update was not HOT.
 *
 * Probes use a dirty snapshot, as ON CONFLICT's do: a row another
 * transaction is inserting or deleting is waited for, then probed again.
 * Every writer of a target holds its target lock (lock.c) before its first
 * write, so within a run what a probe found stays true until the chunk is
 * written; a row written behind the extension's back still meets the
 * unique index's own check, which raises as the SQL path's statements
 * would.  Values are those of the SQL path: Bronze's source_id (and key)
 * through jsonb's ->> operator, Silver's data columns as jsonb_to_record
 * fills them with the columns' own types (in one walk over the record,
 * silver_fill.c, or by jsonb_to_record itself), the defaults of the
 * columns the SQL insert leaves out, loaded_at the transaction's start
 * (now()).  NOT NULL and CHECK constraints are checked as the executor
 * checks them.  Heap inserts go through a bulk-insert state, COPY's ring
 * of buffers, so that a large load does not flood shared buffers.
 *
 * A table is served only when nothing else can see or change a write: a
 * plain heap table, without triggers (a foreign key, or a Citus shell on
 * the coordinator, has them), rules or row security, outside any
 * inheritance or partition tree, not a Citus distributed table (looked up
 * in pg_dist_partition, when Citus is installed, without its headers),
 * without generated columns, exclusion constraints or deferrable unique
 * indexes, whose written columns have the types the SQL statements give
 * them, and with exactly one unique index that ON CONFLICT would infer.
 * Any other table keeps the SQL path, chunk by chunk.
 *
 * Every chunk opens the tables and closes them again, so that nothing of
 * a chunk (relations, buffer pins, scans) outlives it or needs releasing
 * when a run fails, and ends with a command counter increment, so that
 * the next chunk's update of a row this one wrote finds it visible.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "direct.h"
#include "direct_table.h"
#include "omni_ingest.h"
#include "silver_fill.h"
#include "writer.h"

/* A run's direct writer */
struct DirectWriter
{
	Contract   *contract;
	bool		bronze_key;		/* Bronze has a column named as the key */
	MemoryContext cxt;			/* lives as long as the writer */
	DirectTable bronze;
	DirectTable silver;

	/* Bronze: the columns the SQL insert fills, and the other columns' defaults */
	AttrNumber	b_source_id;
	AttrNumber	b_batch;
	AttrNumber	b_payload;
	AttrNumber	b_fingerprint;
	AttrNumber	b_line;
	AttrNumber	b_key;
	int			ndefaults;
	AttrNumber *default_atts;
	ExprState **defaults;
	FmgrInfo	field_text;		/* jsonb ->> text */
	Datum		source_id_name; /* 'source_id' */
	Datum		key_name;		/* the key field's name */

	/* Silver: data columns, as jsonb_to_record reads them, and bookkeeping */
	int			ndata;
	char	  **data_names;
	AttrNumber *data_atts;		/* this chunk's */
	Oid		   *data_collations;
	FmgrInfo   *data_eq;		/* "=" of each data column's type */
	TupleDesc	data_desc;
	SilverFill *fill;			/* NULL: every row through jsonb_to_record */
	FmgrInfo	to_record;		/* jsonb_to_record, with its column cache */
	ReturnSetInfo to_record_rsinfo;
	AttrNumber	s_version;
	AttrNumber	s_fingerprint;
	AttrNumber	s_batch;
	AttrNumber	s_line;
	AttrNumber	s_loaded;
	TupleTableSlot *stored_slot;	/* a stored row, compared column by column */
};

/*
 * Bronze's columns: the ones the SQL insert fills, with its types, and
 * the defaults of the others (event_id's identity, ingested_at's now())
 */
static const char *
BronzeColumns(void *arg, DirectTable *t)
{
	DirectWriter *d = arg;
	TupleDesc	desc = RelationGetDescr(t->rel);
	MemoryContext old;

	d->b_source_id = DirectColumnNamed(desc, "source_id");
	d->b_batch = DirectColumnNamed(desc, "batch_id");
	d->b_payload = DirectColumnNamed(desc, "payload");
	d->b_fingerprint = DirectColumnNamed(desc, "source_fingerprint");
	d->b_line = DirectColumnNamed(desc, "line_number");
	d->b_key = d->bronze_key ? DirectColumnNamed(desc, d->contract->key_field) : InvalidAttrNumber;
	if (!DirectColumnHasType(desc, d->b_source_id, TEXTOID) ||
		!DirectColumnHasType(desc, d->b_batch, TEXTOID) ||
		!DirectColumnHasType(desc, d->b_payload, JSONBOID) ||
		!DirectColumnHasType(desc, d->b_fingerprint, TEXTOID) ||
		!DirectColumnHasType(desc, d->b_line, INT8OID) ||
		(d->bronze_key && !DirectColumnHasType(desc, d->b_key, TEXTOID)))
		return "its columns are not those of a Bronze table";

	old = MemoryContextSwitchTo(t->estate->es_query_cxt);
	d->ndefaults = 0;
	d->default_atts = palloc(sizeof(AttrNumber) * desc->natts);
	d->defaults = palloc(sizeof(ExprState *) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Expr	   *expr;

		if (att->attisdropped || att->attnum == d->b_source_id ||
			att->attnum == d->b_batch || att->attnum == d->b_payload ||
			att->attnum == d->b_fingerprint || att->attnum == d->b_line ||
			att->attnum == d->b_key)
			continue;
		if (att->attgenerated)
		{
			MemoryContextSwitchTo(old);
			return "it has a generated column";
		}
		expr = (Expr *) build_column_default(t->rel, att->attnum);
		if (expr == NULL)
			continue;			/* NULL, as the SQL insert leaves it */
		d->default_atts[d->ndefaults] = att->attnum;
		d->defaults[d->ndefaults++] = ExecInitExpr(expression_planner(expr), NULL);
	}
	MemoryContextSwitchTo(old);
	return NULL;
}

/*
 * Silver's columns: every one a data column the run knows (typed as
 * jsonb_to_record reads it) or a bookkeeping column of the type the
 * upsert gives it; none generated or an identity
 */
static const char *
SilverColumns(void *arg, DirectTable *t)
{
	DirectWriter *d = arg;
	TupleDesc	desc = RelationGetDescr(t->rel);
	int			ndata = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && (att->attgenerated || att->attidentity))
			return "it has a generated or identity column";
	}
	d->s_version = DirectColumnNamed(desc, SILVER_VERSION_COLUMN);
	d->s_fingerprint = DirectColumnNamed(desc, SILVER_FINGERPRINT_COLUMN);
	d->s_batch = DirectColumnNamed(desc, SILVER_BATCH_COLUMN);
	d->s_line = DirectColumnNamed(desc, SILVER_LINE_COLUMN);
	d->s_loaded = DirectColumnNamed(desc, SILVER_LOADED_COLUMN);
	if (!DirectColumnHasType(desc, d->s_version, TIMESTAMPTZOID) ||
		!DirectColumnHasType(desc, d->s_fingerprint, TEXTOID) ||
		!DirectColumnHasType(desc, d->s_batch, TEXTOID) ||
		!DirectColumnHasType(desc, d->s_line, INT8OID) ||
		!DirectColumnHasType(desc, d->s_loaded, TIMESTAMPTZOID) ||
		!TupleDescAttr(desc, d->s_version - 1)->attnotnull ||
		!TupleDescAttr(desc, d->s_fingerprint - 1)->attnotnull)
		return "its bookkeeping columns are not those of a Silver table";

	for (int i = 0; i < d->ndata; i++)
	{
		Form_pg_attribute data = TupleDescAttr(d->data_desc, i);
		AttrNumber	att = DirectColumnNamed(desc, d->data_names[i]);
		Form_pg_attribute col;

		if (att == InvalidAttrNumber)
			return "its columns changed during the run";
		col = TupleDescAttr(desc, att - 1);
		if (col->atttypid != data->atttypid || col->atttypmod != data->atttypmod)
			return "its columns changed during the run";
		d->data_atts[i] = att;
	}
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			ndata++;
	if (ndata != d->ndata + 5)
		return "its columns changed during the run";
	return NULL;
}

/* Set up the direct writer of a run; see direct.h */
DirectWriter *
DirectWriterBegin(Contract *contract, List *columns, bool bronze_key)
{
	DirectWriter *d;
	ListCell   *lc;
	int			i = 0;

	if (omni_write_path == OMNI_WRITE_PATH_SQL)
		return NULL;

	d = palloc0(sizeof(DirectWriter));
	d->contract = contract;
	d->bronze_key = bronze_key;
	d->cxt = CurrentMemoryContext;
	d->bronze.relid = contract->bronze_table;
	d->bronze.conflict[d->bronze.nconflict++] = "source_id";
	d->bronze.conflict[d->bronze.nconflict++] = "source_fingerprint";
	if (bronze_key)
		d->bronze.conflict[d->bronze.nconflict++] = contract->key_field;
	d->bronze.slot_cxt = d->cxt;
	d->silver.relid = contract->silver_table;
	d->silver.slot_cxt = d->cxt;
	d->silver.conflict[d->silver.nconflict++] = contract->key_field;

	fmgr_info_cxt(F_JSONB_OBJECT_FIELD_TEXT, &d->field_text, d->cxt);
	d->source_id_name = CStringGetTextDatum("source_id");
	d->key_name = CStringGetTextDatum(contract->key_field);

	/* The row type jsonb_to_record fills: the data columns, typed as Silver's */
	d->ndata = list_length(columns);
	d->data_names = palloc(sizeof(char *) * Max(d->ndata, 1));
	d->data_atts = palloc(sizeof(AttrNumber) * Max(d->ndata, 1));
	d->data_collations = palloc(sizeof(Oid) * Max(d->ndata, 1));
	d->data_eq = palloc0(sizeof(FmgrInfo) * Max(d->ndata, 1));
	d->data_desc = CreateTemplateTupleDesc(d->ndata);
	foreach(lc, columns)
	{
		char	   *name = lfirst(lc);
		AttrNumber	att = get_attnum(contract->silver_table, name);
		Oid			typid;
		int32		typmod;
		Operator	eq;

		get_atttypetypmodcoll(contract->silver_table, att, &typid, &typmod,
							  &d->data_collations[i]);
		d->data_names[i] = name;
		TupleDescInitEntry(d->data_desc, i + 1, name, typid, typmod, 0);

		/* the "=" that ROW(...) IS DISTINCT FROM ROW(...) applies */
		eq = oper(NULL, list_make1(makeString("=")), typid, typid, true, -1);
		if (eq != NULL)
		{
			fmgr_info_cxt(oprfuncid(eq), &d->data_eq[i], d->cxt);
			ReleaseSysCache(eq);
		}
		i++;
	}
	d->data_desc = BlessTupleDesc(d->data_desc);
	d->fill = SilverFillBegin(d->data_desc, d->data_names, d->cxt);
	fmgr_info_cxt(F_JSONB_TO_RECORD, &d->to_record, d->cxt);
	d->to_record_rsinfo.type = T_ReturnSetInfo;
	d->to_record_rsinfo.allowedModes = SFRM_ValuePerCall;
	d->to_record_rsinfo.expectedDesc = d->data_desc;
	return d;
}

/* Open the tables for one chunk; see direct.h */
void
DirectWriterOpen(DirectWriter *d, bool with_bronze, bool *bronze, bool *silver)
{
	*bronze = with_bronze && DirectTableOpen(&d->bronze, BronzeColumns, d);
	*silver = DirectTableOpen(&d->silver, SilverColumns, d);
	if (*silver)
		d->stored_slot = table_slot_create(d->silver.rel, &d->silver.estate->es_tupleTable);
}

/* Close the tables of a chunk; see direct.h */
void
DirectWriterClose(DirectWriter *d)
{
	if (d->bronze.open)
		DirectTableClose(&d->bronze);
	if (d->silver.open)
		DirectTableClose(&d->silver);
	CommandCounterIncrement();
}

/* A record's member as text, as jsonb's ->> gives it (NULL: isnull) */
static Datum
FieldText(DirectWriter *d, Datum payload, Datum name, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, &d->field_text, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = payload;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = name;
	fcinfo->args[1].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/* Order of two texts, bytewise (equality is what counts) */
static int
CompareTexts(Datum a, Datum b)
{
	text	   *ta = DatumGetTextPP(a);
	text	   *tb = DatumGetTextPP(b);
	int			la = VARSIZE_ANY_EXHDR(ta);
	int			lb = VARSIZE_ANY_EXHDR(tb);
	int			c = memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* The conflict key of a chunk's Bronze rows, for sorting */
typedef struct BronzeKeys
{
	int			nconflict;
	Datum	   *values;			/* row i's conflict values at i * nconflict */
	bool	   *isnull;
} BronzeKeys;

/* Order rows by conflict key, then by place (qsort_arg comparator) */
static int
CompareBronzeRows(const void *a, const void *b, void *arg)
{
	BronzeKeys *keys = arg;
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;

	for (int c = 0; c < keys->nconflict; c++)
	{
		bool		na = keys->isnull[ia * keys->nconflict + c];
		bool		nb = keys->isnull[ib * keys->nconflict + c];
		int			r;

		if (na || nb)
		{
			r = (na > nb) - (na < nb);
			if (r != 0)
				return r;
			continue;
		}
		r = CompareTexts(keys->values[ia * keys->nconflict + c],
						 keys->values[ib * keys->nconflict + c]);
		if (r != 0)
			return r;
	}
	return (ia > ib) - (ia < ib);
}

/* True when two rows have the same conflict key, none of it NULL */
static bool
SameBronzeKey(BronzeKeys *keys, int ia, int ib)
{
	for (int c = 0; c < keys->nconflict; c++)
		if (keys->isnull[ia * keys->nconflict + c] || keys->isnull[ib * keys->nconflict + c] ||
			CompareTexts(keys->values[ia * keys->nconflict + c],
						 keys->values[ib * keys->nconflict + c]) != 0)
			return false;
	return true;
}

/* Insert the records Bronze does not hold yet; see direct.h */
int64
DirectBronzeInsert(DirectWriter *d, const char *batch_id, int n, Datum *payloads,
				   Datum *fingerprints, Datum *lines)
{
	DirectTable *t = &d->bronze;
	TupleDesc	desc = RelationGetDescr(t->rel);
	BronzeKeys	keys;
	Datum	   *source_ids = palloc(sizeof(Datum) * n);
	bool	   *source_id_null = palloc(sizeof(bool) * n);
	Datum	   *key_values = palloc(sizeof(Datum) * n);
	bool	   *key_null = palloc(sizeof(bool) * n);
	int		   *order = palloc(sizeof(int) * n);
	bool	   *insert = palloc0(sizeof(bool) * n);
	Datum		batch = CStringGetTextDatum(batch_id);
	ExprContext *econtext = GetPerTupleExprContext(t->estate);
	int64		inserted = 0;
	bool		none_there;

	/* Each row's conflict key: its values for the conflict columns */
	keys.nconflict = t->nconflict;
	keys.values = palloc(sizeof(Datum) * n * t->nconflict);
	keys.isnull = palloc(sizeof(bool) * n * t->nconflict);
	for (int i = 0; i < n; i++)
	{
		source_ids[i] = FieldText(d, payloads[i], d->source_id_name, &source_id_null[i]);
		key_null[i] = true;
		if (d->bronze_key)
			key_values[i] = FieldText(d, payloads[i], d->key_name, &key_null[i]);
		for (int c = 0; c < t->nconflict; c++)
		{
			AttrNumber	att = t->conflict_att[c];
			Datum	   *v = &keys.values[i * t->nconflict + c];
			bool	   *isnull = &keys.isnull[i * t->nconflict + c];

			*isnull = false;
			if (att == d->b_source_id)
				*v = source_ids[i], *isnull = source_id_null[i];
			else if (att == d->b_fingerprint)
				*v = fingerprints[i];
			else
				*v = key_values[i], *isnull = key_null[i];
		}
		order[i] = i;
	}

	/*
	 * In key order: a line repeating an earlier line's key is not inserted
	 * (the SQL statement's row would conflict with the earlier one's); the
	 * others are looked up in the index, which the sorted order walks
	 * along, unless every key sorts after the index's greatest.  A key with
	 * a NULL never conflicts (and fails NOT NULL).
	 */
	qsort_arg(order, n, sizeof(int), CompareBronzeRows, &keys);
	none_there = DirectKeysAboveAll(t, n, keys.values, keys.isnull);
	for (int j = 0; j < n; j++)
	{
		int			i = order[j];
		bool		anynull = false;

		if (j > 0 && SameBronzeKey(&keys, order[j - 1], i))
			continue;
		for (int c = 0; c < t->nconflict; c++)
			anynull |= keys.isnull[i * t->nconflict + c];
		insert[i] = anynull || none_there || !DirectProbe(t, &keys.values[i * t->nconflict]);
	}
	ExecClearTuple(t->probe_slot);

	/* The new rows in file order, each column as the SQL insert fills it */
	for (int i = 0; i < n; i++)
	{
		TupleTableSlot *slot;

		if (!insert[i])
			continue;
		slot = DirectNextSlot(t);
		memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
		slot->tts_values[d->b_source_id - 1] = source_ids[i];
		slot->tts_isnull[d->b_source_id - 1] = source_id_null[i];
		slot->tts_values[d->b_batch - 1] = batch;
		slot->tts_isnull[d->b_batch - 1] = false;
		slot->tts_values[d->b_payload - 1] = payloads[i];
		slot->tts_isnull[d->b_payload - 1] = false;
		slot->tts_values[d->b_fingerprint - 1] = fingerprints[i];
		slot->tts_isnull[d->b_fingerprint - 1] = false;
		slot->tts_values[d->b_line - 1] = lines[i];
		slot->tts_isnull[d->b_line - 1] = false;
		if (d->bronze_key)
		{
			slot->tts_values[d->b_key - 1] = key_values[i];
			slot->tts_isnull[d->b_key - 1] = key_null[i];
		}
		for (int k = 0; k < d->ndefaults; k++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, d->default_atts[k] - 1);
			int			a = d->default_atts[k] - 1;
			Datum		v = ExecEvalExprSwitchContext(d->defaults[k], econtext,
													  &slot->tts_isnull[a]);

			slot->tts_values[a] = slot->tts_isnull[a] ? (Datum) 0 :
				datumCopy(v, att->attbyval, att->attlen);
		}
		ExecStoreVirtualTuple(slot);
		inserted++;
	}
	DirectInsertSlots(t);
	return inserted;
}

/* What Silver holds for each key; see direct.h */
void
DirectSilverRead(DirectWriter *d, int nkeys, char **keys, bool *found,
				 DirectStored *stored)
{
	DirectTable *t = &d->silver;
	Datum	   *values = palloc(sizeof(Datum) * nkeys);
	bool	   *nulls = palloc0(sizeof(bool) * nkeys);
	bool		none_there;

	Assert(t->nconflict == 1);
	for (int i = 0; i < nkeys; i++)
		values[i] = CStringGetTextDatum(keys[i]);
	none_there = DirectKeysAboveAll(t, nkeys, values, nulls);

	for (int i = 0; i < nkeys; i++)
	{
		bool		isnull;

		found[i] = !none_there && DirectProbe(t, &values[i]);
		if (!found[i])
			continue;
		stored[i].version = DatumGetTimestampTz(slot_getattr(t->probe_slot, d->s_version, &isnull));
		stored[i].fingerprint = TextDatumGetCString(slot_getattr(t->probe_slot,
																 d->s_fingerprint, &isnull));
		stored[i].tid = t->probe_slot->tts_tid;
	}
	ExecClearTuple(t->probe_slot);
}

/* Fill a Silver slot with a chosen line's row */
static void
FillSilverSlot(DirectWriter *d, TupleTableSlot *slot, const char *batch_id,
			   DirectSilverRow *row)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	LOCAL_FCINFO(fcinfo, 1);
	HeapTupleHeader rec;
	HeapTupleData tuple;
	Datum	   *values = palloc(sizeof(Datum) * Max(d->ndata, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(d->ndata, 1));

	/* The data columns, as jsonb_to_record(payload) AS r(col type, ...) reads them */
	if (d->fill == NULL ||
		!SilverFillRow(d->fill, DatumGetJsonbP(row->payload), values, nulls))
	{
		InitFunctionCallInfoData(*fcinfo, &d->to_record, 1, InvalidOid, NULL,
								 (Node *) &d->to_record_rsinfo);
		fcinfo->args[0].value = row->payload;
		fcinfo->args[0].isnull = false;
		rec = DatumGetHeapTupleHeader(FunctionCallInvoke(fcinfo));
		if (fcinfo->isnull)
			elog(ERROR, "jsonb_to_record returned NULL");
		tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = rec;
		heap_deform_tuple(&tuple, d->data_desc, values, nulls);
	}

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
	for (int i = 0; i < d->ndata; i++)
	{
		slot->tts_values[d->data_atts[i] - 1] = values[i];
		slot->tts_isnull[d->data_atts[i] - 1] = nulls[i];
	}
	slot->tts_values[d->s_version - 1] = row->version;
	slot->tts_values[d->s_fingerprint - 1] = row->fingerprint;
	slot->tts_values[d->s_batch - 1] = CStringGetTextDatum(batch_id);
	slot->tts_values[d->s_line - 1] = row->line;
	slot->tts_values[d->s_loaded - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	slot->tts_isnull[d->s_version - 1] = false;
	slot->tts_isnull[d->s_fingerprint - 1] = false;
	slot->tts_isnull[d->s_batch - 1] = false;
	slot->tts_isnull[d->s_line - 1] = false;
	slot->tts_isnull[d->s_loaded - 1] = false;
	ExecStoreVirtualTuple(slot);
}

/*
 * True when the stored row's data columns differ from the new row's, as
 * ROW(s.cols) IS DISTINCT FROM ROW(EXCLUDED.cols) judges: each column by
 * its type's "=" under its collation, two NULLs equal
 */
static bool
DataColumnsDiffer(DirectWriter *d, DirectSilverRow *row, TupleTableSlot *slot)
{
	TupleTableSlot *stored = d->stored_slot;
	ItemPointerData tid = row->stored->tid;
	bool		differ = false;

	if (!table_tuple_fetch_row_version(d->silver.rel, &tid, SnapshotAny, stored))
		elog(ERROR, "could not fetch the stored Silver row");
	slot_getallattrs(stored);
	for (int i = 0; i < d->ndata && !differ; i++)
	{
		int			a = d->data_atts[i] - 1;
		bool		sn = stored->tts_isnull[a];
		bool		nn = slot->tts_isnull[a];

		if (sn || nn)
			differ = sn != nn;
		else if (!OidIsValid(d->data_eq[i].fn_oid))
			elog(ERROR, "Silver column \"%s\" has no equality operator", d->data_names[i]);
		else
			differ = !DatumGetBool(FunctionCall2Coll(&d->data_eq[i], d->data_collations[i],
													 stored->tts_values[a], slot->tts_values[a]));
	}
	ExecClearTuple(stored);
	return differ;
}

/* Write the rows chosen for their keys; see direct.h */
void
DirectSilverWrite(DirectWriter *d, const char *batch_id, int n, DirectSilverRow *rows)
{
	DirectTable *t = &d->silver;
	TupleTableSlot *update_slot = NULL;

	for (int i = 0; i < n; i++)
	{
		DirectSilverRow *row = &rows[i];
		const DirectStored *stored = row->stored;
		TimestampTz v = DatumGetTimestampTz(row->version);
		TupleTableSlot *slot;

		if (stored == NULL)
		{
			FillSilverSlot(d, DirectNextSlot(t), batch_id, row);
			row->written = true;
			continue;
		}

		/* The upsert's WHERE: newer, or the same version with other content */
		if (v < stored->version)
		{
			row->written = false;
			continue;
		}
		if (update_slot == NULL)
			update_slot = table_slot_create(t->rel, &t->estate->es_tupleTable);
		slot = update_slot;
		FillSilverSlot(d, slot, batch_id, row);
		row->written = v > stored->version ||
			strcmp(TextDatumGetCString(row->fingerprint), stored->fingerprint) != 0 ||
			DataColumnsDiffer(d, row, slot);
		if (row->written)
		{
			ItemPointerData tid = stored->tid;

			DirectUpdateRow(t, &tid, slot);
		}
		ExecClearTuple(slot);
	}
	DirectInsertSlots(t);
}
