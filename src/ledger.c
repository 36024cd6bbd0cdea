/*
 * ledger.c
 *		The batch ledger: one row per run of omni_ingest_jsonl (and of
 *		omni_ingest.ingest_asset, the resumable procedure and omni_replay).
 *
 * A batch id names one load.  Runs of the same batch id are serialized by
 * the batch lock (lock.c), so a second session asking for a batch that is
 * being loaded waits, then sees the first run's outcome and becomes a no-op
 * (or is refused, if its file differs).  Every call leaves
 * a row: loaded, already_loaded, dry_run or failed.  All functions here
 * expect the caller to be connected to SPI with search_path pinned.
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "autonomous.h"
#include "ledger.h"
#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"

/*
 * The columns of a ledger row, less run_id, in the order of RunToParams:
 * those of every release, then those of asset runs (0.2.0).  The module
 * can be newer than the extension's objects -- between installing a release
 * and ALTER EXTENSION ... UPDATE, a 0.1.0 database runs this code over its
 * 0.1.0 ledger -- so the asset columns are used only where they exist (see
 * LedgerColumns).
 */
#define LEDGER_BASE_COLUMNS \
	"batch_id, contract_ref, contract_version, path, file_sha256," \
	" file_size, row_limit, dry_run, status, total, valid, invalid, inserted," \
	" skipped, silver_inserted, silver_updated, silver_unchanged," \
	" silver_superseded, errors, blank_lines, bytes_read, lines_read," \
	" error_sqlstate, error_message, loaded_run_id, started_at, finished_at," \
	" run_by, xid, checkpoint_offset, checkpoint_line"
#define LEDGER_NBASE 31
#define LEDGER_ASSET_COLUMNS \
	", late, quarantined, outside_window, load, cursor_before, cursor_after," \
	" read_workers"
#define LEDGER_NASSET 7

/* The same columns as typed parameters $1..$31, and $32..$38 */
#define LEDGER_BASE_PARAMS \
	"$1::text, $2::text, $3::int4, $4::text, $5::text, $6::int8, $7::int8," \
	" $8::bool, $9::text, $10::int8, $11::int8, $12::int8, $13::int8, $14::int8," \
	" $15::int8, $16::int8, $17::int8, $18::int8, $19::int8, $20::int8," \
	" $21::int8, $22::int8, $23::text, $24::text, $25::int8," \
	" $26::timestamptz, $27::timestamptz, $28::name, $29::xid8, $30::int8, $31::int8"
#define LEDGER_ASSET_PARAMS \
	", $32::int8, $33::int8, $34::int8, $35::jsonb, $36::text, $37::text, $38::int4"

/* Parameters of a ledger statement: every column, and run_id */
#define LEDGER_MAX_PARAMS (LEDGER_NBASE + LEDGER_NASSET + 1)

/* The ledger's columns as this database has them, for a statement */
typedef struct LedgerColumns
{
	int			n;				/* columns, less run_id */
	const char *columns;		/* their names, less run_id */
	const char *params;			/* their parameters */
} LedgerColumns;

/* Which columns the ledger of this database has (see LEDGER_BASE_COLUMNS) */
static LedgerColumns
LedgerColumnsOfDatabase(void)
{
	Oid			relid = get_relname_relid("batch_ledger", get_namespace_oid(OMNI_SCHEMA, false));
	LedgerColumns cols = {LEDGER_NBASE, LEDGER_BASE_COLUMNS, LEDGER_BASE_PARAMS};

	if (OidIsValid(relid) && get_attnum(relid, "read_workers") != InvalidAttrNumber)
	{
		cols.n = LEDGER_NBASE + LEDGER_NASSET;
		cols.columns = LEDGER_BASE_COLUMNS LEDGER_ASSET_COLUMNS;
		cols.params = LEDGER_BASE_PARAMS LEDGER_ASSET_PARAMS;
	}
	return cols;
}

/* Column i (1-based) of the current result row as int8, 0 when null */
static int64
GetInt64(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		return 0;
	return SPI_gettypeid(desc, col) == INT4OID ? DatumGetInt32(d) : DatumGetInt64(d);
}

/* Build a RunRecord from a row of run_id and the ledger's columns */
static RunRecord *
RunFromTuple(HeapTuple tup, TupleDesc desc)
{
	RunRecord  *run = palloc0(sizeof(RunRecord));
	bool		isnull;
	Datum		d;

	run->run_id = GetInt64(tup, desc, 1);
	run->batch_id = SPI_getvalue(tup, desc, 2);
	run->contract_ref = SPI_getvalue(tup, desc, 3);
	run->contract_version = (int32) GetInt64(tup, desc, 4);
	run->path = SPI_getvalue(tup, desc, 5);
	run->file_sha256 = SPI_getvalue(tup, desc, 6);
	run->file_size = GetInt64(tup, desc, 7);
	d = SPI_getbinval(tup, desc, 8, &isnull);
	run->row_limit = isnull ? -1 : DatumGetInt64(d);
	run->dry_run = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
	run->status = SPI_getvalue(tup, desc, 10);
	run->total = GetInt64(tup, desc, 11);
	run->valid = GetInt64(tup, desc, 12);
	run->invalid = GetInt64(tup, desc, 13);
	run->inserted = GetInt64(tup, desc, 14);
	run->skipped = GetInt64(tup, desc, 15);
	run->silver_inserted = GetInt64(tup, desc, 16);
	run->silver_updated = GetInt64(tup, desc, 17);
	run->silver_unchanged = GetInt64(tup, desc, 18);
	run->silver_superseded = GetInt64(tup, desc, 19);
	run->errors = GetInt64(tup, desc, 20);
	run->blank_lines = GetInt64(tup, desc, 21);
	run->bytes_read = GetInt64(tup, desc, 22);
	run->lines_read = GetInt64(tup, desc, 23);
	run->error_sqlstate = SPI_getvalue(tup, desc, 24);
	run->error_message = SPI_getvalue(tup, desc, 25);
	run->loaded_run_id = GetInt64(tup, desc, 26);
	d = SPI_getbinval(tup, desc, 27, &isnull);
	run->started_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, 28, &isnull);
	run->finished_at = isnull ? 0 : DatumGetTimestampTz(d);
	run->run_by = SPI_getvalue(tup, desc, 29);
	run->xid = SPI_getvalue(tup, desc, 30);
	run->checkpoint_offset = GetInt64(tup, desc, 31);
	run->checkpoint_line = GetInt64(tup, desc, 32);
	if (desc->natts == 1 + LEDGER_NBASE)
		return run;
	Assert(desc->natts == 1 + LEDGER_NBASE + LEDGER_NASSET);
	run->late = GetInt64(tup, desc, 33);
	run->quarantined = GetInt64(tup, desc, 34);
	run->outside_window = GetInt64(tup, desc, 35);
	run->load = SPI_getvalue(tup, desc, 36);
	run->cursor_before = SPI_getvalue(tup, desc, 37);
	run->cursor_after = SPI_getvalue(tup, desc, 38);
	run->read_workers = (int) GetInt64(tup, desc, 39);
	return run;
}

/* The newest run of a batch with the given status (any when NULL), or NULL */
RunRecord *
LedgerLatestRun(const char *batch_id, const char *status)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	values[0] = CStringGetTextDatum(batch_id);
	if (status)
		values[1] = CStringGetTextDatum(status);
	else
		nulls[1] = 'n';
	OmniSpiExec(psprintf("SELECT run_id, %s FROM omni_ingest.batch_ledger"
						 " WHERE batch_id = $1 AND ($2 IS NULL OR status = $2)"
						 " ORDER BY run_id DESC LIMIT 1", LedgerColumnsOfDatabase().columns),
				2, types, values, nulls, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return NULL;
	return RunFromTuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
}

/* The run that loaded a batch, or NULL if it was never loaded */
RunRecord *
LedgerFindLoaded(const char *batch_id)
{
	return LedgerLatestRun(batch_id, RUN_LOADED);
}

/* Fill parameter arrays with a run's columns (run_id excluded) */
static void
RunToParams(RunRecord *run, Oid *types, Datum *values, char *nulls)
{
	int			i = 0;

#define PARAM(type, value, isnull) \
	do { types[i] = (type); values[i] = (isnull) ? (Datum) 0 : (value); \
		 nulls[i] = (isnull) ? 'n' : ' '; i++; } while (0)

	PARAM(TEXTOID, CStringGetTextDatum(run->batch_id), false);
	PARAM(TEXTOID, CStringGetTextDatum(run->contract_ref), false);
	PARAM(INT4OID, Int32GetDatum(run->contract_version), false);
	PARAM(TEXTOID, run->path ? CStringGetTextDatum(run->path) : 0, run->path == NULL);
	PARAM(TEXTOID, run->file_sha256 ? CStringGetTextDatum(run->file_sha256) : 0, run->file_sha256 == NULL);
	PARAM(INT8OID, Int64GetDatum(run->file_size), run->file_sha256 == NULL);
	PARAM(INT8OID, Int64GetDatum(run->row_limit), run->row_limit < 0);
	PARAM(BOOLOID, BoolGetDatum(run->dry_run), false);
	PARAM(TEXTOID, CStringGetTextDatum(run->status), false);
	PARAM(INT8OID, Int64GetDatum(run->total), false);
	PARAM(INT8OID, Int64GetDatum(run->valid), false);
	PARAM(INT8OID, Int64GetDatum(run->invalid), false);
	PARAM(INT8OID, Int64GetDatum(run->inserted), false);
	PARAM(INT8OID, Int64GetDatum(run->skipped), false);
	PARAM(INT8OID, Int64GetDatum(run->silver_inserted), false);
	PARAM(INT8OID, Int64GetDatum(run->silver_updated), false);
	PARAM(INT8OID, Int64GetDatum(run->silver_unchanged), false);
	PARAM(INT8OID, Int64GetDatum(run->silver_superseded), false);
	PARAM(INT8OID, Int64GetDatum(run->errors), false);
	PARAM(INT8OID, Int64GetDatum(run->blank_lines), false);
	PARAM(INT8OID, Int64GetDatum(run->bytes_read), false);
	PARAM(INT8OID, Int64GetDatum(run->lines_read), false);
	PARAM(TEXTOID, run->error_sqlstate ? CStringGetTextDatum(run->error_sqlstate) : 0, run->error_sqlstate == NULL);
	PARAM(TEXTOID, run->error_message ? CStringGetTextDatum(run->error_message) : 0, run->error_message == NULL);
	PARAM(INT8OID, Int64GetDatum(run->loaded_run_id), run->loaded_run_id == 0);
	PARAM(TIMESTAMPTZOID, TimestampTzGetDatum(run->started_at), false);
	PARAM(TIMESTAMPTZOID, TimestampTzGetDatum(run->finished_at), run->finished_at == 0);
	PARAM(TEXTOID, run->run_by ? CStringGetTextDatum(run->run_by) : 0, run->run_by == NULL);
	PARAM(TEXTOID, run->xid ? CStringGetTextDatum(run->xid) : 0, run->xid == NULL);
	PARAM(INT8OID, Int64GetDatum(run->checkpoint_offset), run->checkpoint_line == 0);
	PARAM(INT8OID, Int64GetDatum(run->checkpoint_line), run->checkpoint_line == 0);
	PARAM(INT8OID, Int64GetDatum(run->late), false);
	PARAM(INT8OID, Int64GetDatum(run->quarantined), false);
	PARAM(INT8OID, Int64GetDatum(run->outside_window), false);
	PARAM(TEXTOID, run->load ? CStringGetTextDatum(run->load) : 0, run->load == NULL);
	PARAM(TEXTOID, run->cursor_before ? CStringGetTextDatum(run->cursor_before) : 0, run->cursor_before == NULL);
	PARAM(TEXTOID, run->cursor_after ? CStringGetTextDatum(run->cursor_after) : 0, run->cursor_after == NULL);
	PARAM(INT4OID, Int32GetDatum(run->read_workers), false);
#undef PARAM
	Assert(i == LEDGER_NBASE + LEDGER_NASSET);
}

/* The parameters as text, for a statement run by another process */
static const char **
ParamsAsText(int n, Oid *types, Datum *values, char *nulls)
{
	const char **texts = palloc(sizeof(char *) * n);

	for (int i = 0; i < n; i++)
	{
		Oid			output;
		bool		varlena;

		if (nulls[i] == 'n')
		{
			texts[i] = NULL;
			continue;
		}
		getTypeOutputInfo(types[i], &output, &varlena);
		texts[i] = OidOutputFunctionCall(output, values[i]);
	}
	return texts;
}

/*
 * Run a ledger statement: committed on its own by a background worker when
 * *durable, else here.  If no worker can be started, *durable is cleared
 * and the statement runs here.  Returns the first column of the result.
 */
static char *
LedgerExec(const char *sql, int n, Oid *types, Datum *values, char *nulls,
		   bool *durable, int expected)
{
	char	   *result = NULL;
	bool		isnull;

	if (*durable &&
		AutonomousExec(sql, n, ParamsAsText(n, types, values, nulls), &result))
		return result;
	*durable = false;
	OmniSpiExec(sql, n, types, values, nulls, false, expected);
	if (expected == SPI_OK_INSERT_RETURNING)
		result = psprintf(INT64_FORMAT, OmniSpiGetInt64(0, 1, &isnull));
	else if (SPI_processed != 1)
		elog(ERROR, "ledger statement changed " UINT64_FORMAT " rows", SPI_processed);
	return result;
}

/*
 * Start a run: its ledger row with status "running".  When it can, the row
 * is committed at once in its own transaction, so that a run whose
 * transaction never commits (a crash, a cancel, a rollback) stays on
 * record; its xid tells afterwards that it was interrupted.  Under
 * REPEATABLE READ or SERIALIZABLE the caller's snapshot could not see that
 * row, so it is written in the caller's transaction instead.
 */
void
LedgerBegin(RunRecord *run)
{
	run->durable = !IsolationUsesXactSnapshot();
	run->status = RUN_RUNNING;
	LedgerInsert(run);
}

/*
 * A "running" row whose transaction is over.  An xid at or past the next
 * xid to be assigned cannot belong to this cluster (the row came in through
 * a dump); pg_xact_status would refuse it, so it is judged first.
 */
#define STALE_RUN \
	"status = 'running' AND CASE" \
	" WHEN xid IS NULL OR xid >= pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) THEN true" \
	" ELSE pg_catalog.pg_xact_status(xid) IS DISTINCT FROM 'in progress' END"

/*
 * Mark runs whose transaction ended without finishing them "interrupted".
 * The update commits on its own when it can, so it holds no row locks for
 * the rest of the caller's run (two runs sweeping the same rows would
 * otherwise wait on each other) and is not undone if this run fails; rows
 * another sweep has locked are left to it.
 */
void
LedgerSweepInterrupted(void)
{
	const char *sweep =
		"UPDATE omni_ingest.batch_ledger SET status = 'interrupted',"
		" error_message = 'the run''s transaction ended before the run finished"
		" (server crash, cancel or rollback)',"
		" finished_at = COALESCE(finished_at, pg_catalog.now())"
		" WHERE run_id IN (SELECT run_id FROM omni_ingest.batch_ledger"
		"  WHERE " STALE_RUN " FOR UPDATE SKIP LOCKED)";
	bool		isnull;

	OmniSpiExec("SELECT pg_catalog.count(*) FROM omni_ingest.batch_ledger WHERE " STALE_RUN,
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	if (OmniSpiGetInt64(0, 1, &isnull) == 0)
		return;
	if (IsolationUsesXactSnapshot() || !AutonomousExec(sweep, 0, NULL, NULL))
		OmniSpiExec(sweep, 0, NULL, NULL, NULL, false, SPI_OK_UPDATE);
}

/*
 * The ledger's columns, with run's values as parameters; the asset
 * columns of a ledger that has none must be empty
 */
static LedgerColumns
LedgerParams(RunRecord *run, Oid *types, Datum *values, char *nulls)
{
	LedgerColumns cols = LedgerColumnsOfDatabase();

	RunToParams(run, types, values, nulls);
	if (cols.n == LEDGER_NBASE && run->load != NULL)
		elog(ERROR, "the batch ledger has no columns for asset runs: update the extension");
	return cols;
}

/* Insert a ledger row for run and set run->run_id */
void
LedgerInsert(RunRecord *run)
{
	Oid			types[LEDGER_MAX_PARAMS];
	Datum		values[LEDGER_MAX_PARAMS];
	char		nulls[LEDGER_MAX_PARAMS];
	LedgerColumns cols;
	char	   *run_id;
	bool		durable = run->durable && strcmp(run->status, RUN_RUNNING) == 0;

	if (run->run_by == NULL)
		run->run_by = GetUserNameFromId(OmniActingRole(), false);
	if (run->xid == NULL)
		run->xid = psprintf(UINT64_FORMAT,
							U64FromFullTransactionId(GetTopFullTransactionId()));
	cols = LedgerParams(run, types, values, nulls);
	run_id = LedgerExec(psprintf("INSERT INTO omni_ingest.batch_ledger (%s) VALUES (%s) RETURNING run_id",
								 cols.columns, cols.params),
						cols.n, types, values, nulls,
						&durable, SPI_OK_INSERT_RETURNING);
	run->run_id = strtoi64(run_id, NULL, 10);
	if (strcmp(run->status, RUN_RUNNING) == 0)
		run->durable = durable;
}

/*
 * Rewrite every column of run's ledger row: in this transaction, or, when
 * durable, committed on its own (used to record a failure that must
 * outlive the caller's transaction).
 */
void
LedgerUpdate(RunRecord *run, bool durable)
{
	Oid			types[LEDGER_MAX_PARAMS];
	Datum		values[LEDGER_MAX_PARAMS];
	char		nulls[LEDGER_MAX_PARAMS];
	LedgerColumns cols;
	bool		autonomous = durable && run->durable;

	/* run_id is the parameter after the columns */
	cols = LedgerParams(run, types, values, nulls);
	types[cols.n] = INT8OID;
	values[cols.n] = Int64GetDatum(run->run_id);
	nulls[cols.n] = ' ';
	(void) LedgerExec(psprintf("UPDATE omni_ingest.batch_ledger SET (%s) = (%s) WHERE run_id = $%d::int8",
							   cols.columns, cols.params, cols.n + 1),
					  cols.n + 1, types, values, nulls, &autonomous,
					  SPI_OK_UPDATE);
}
