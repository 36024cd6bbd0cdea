/*
 * replay.c
 *		omni_replay: re-derive Silver from a batch's Bronze rows.
 *
 * After a fix to the Silver mapping, or to rebuild Silver, the records a
 * batch put in Bronze are fed again through the Silver write, with the
 * same version rules as a load, without reading the file.  A replay is a
 * run of its own in the ledger (status "replayed"); replaying twice
 * changes nothing the second time.  Bronze rows are read through a cursor,
 * a chunk at a time, in line order.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "contract.h"
#include "ingest.h"
#include "ledger.h"
#include "lock.h"
#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"
#include "writer.h"

/* Feed every Bronze row of the batch to the Silver writer */
static void
ReplayRows(Writer *w, RunRecord *run, Oid bronze)
{
	char	   *sql;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	Portal		portal;
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "omni_ingest replay row",
												  ALLOCSET_DEFAULT_SIZES);

	sql = psprintf("SELECT payload, line_number FROM %s"
				   " WHERE batch_id OPERATOR(pg_catalog.=) $1 ORDER BY line_number",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(bronze)),
											  get_rel_name(bronze)));
	plan = SPI_prepare(sql, 1, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare Bronze scan: %s", SPI_result_code_string(SPI_result));
	values[0] = CStringGetTextDatum(run->batch_id);
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);

	for (;;)
	{
		SPITupleTable *tuptable;

		SPI_cursor_fetch(portal, true, w->chunk_rows);
		if (SPI_processed == 0)
			break;
		tuptable = SPI_tuptable;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			MemoryContext old = MemoryContextSwitchTo(row_cxt);
			Jsonb	   *record = DatumGetJsonbP(SPI_getbinval(tuptable->vals[i],
															  tuptable->tupdesc, 1, &isnull));
			int64		line = DatumGetInt64(SPI_getbinval(tuptable->vals[i],
														   tuptable->tupdesc, 2, &isnull));

			CHECK_FOR_INTERRUPTS();
			run->total++;
			run->valid++;
			WriterAddRecord(w, record, line, NULL);
			MemoryContextSwitchTo(old);
			MemoryContextReset(row_cxt);
		}
		SPI_freetuptable(tuptable);
	}
	SPI_cursor_close(portal);
	WriterFlush(w);
}

/*
 * omni_replay(batch_id text) returns the same summary row as
 * omni_ingest_jsonl
 */
PG_FUNCTION_INFO_V1(omni_replay);
Datum
omni_replay(PG_FUNCTION_ARGS)
{
	RunRecord  *run = palloc0(sizeof(RunRecord));
	RunRecord  *loaded;
	Contract   *contract;
	Writer	   *w;
	int			save_nestlevel;
	OwnerSwitch owner;
	MemoryContext caller_cxt = CurrentMemoryContext;
	MemoryContext old;
	Datum		result;

	if (PG_ARGISNULL(0) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("batch_id must not be null or empty"),
				 errhint("Pass the batch id of a loaded batch.")));
	run->batch_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	run->started_at = GetCurrentTimestamp();
	run->row_limit = -1;

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniBecomeOwner(&owner);
	OmniLockBatch(run->batch_id, InvalidOid);
	loaded = LedgerFindLoaded(run->batch_id);
	if (loaded == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("batch \"%s\" has not been loaded", run->batch_id),
				 errhint("Only a loaded batch has Bronze rows to replay.")));

	contract = ContractPin(loaded->contract_ref, 0, false);
	if (!OidIsValid(contract->silver_table))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("contract \"%s\" has no Bronze and Silver tables", loaded->contract_ref)));
	WriterCheckTargets(contract);
	run->contract_ref = loaded->contract_ref;
	run->contract_version = contract->version;
	run->loaded_run_id = loaded->run_id;
	LedgerBegin(run);

	w = WriterBegin(contract, run->batch_id, run->run_id, false);
	w->silver_only = true;
	ReplayRows(w, run, contract->bronze_table);

	IngestAddWriterCounts(run, w);
	run->status = RUN_REPLAYED;
	run->finished_at = GetCurrentTimestamp();
	LedgerUpdate(run, false);
	ContractRelease(contract, false);

	OmniRestoreCaller(&owner);
	OmniRestoreSearchPath(save_nestlevel);

	/* In the caller's memory: SPI_finish frees the loaded run's contract_ref */
	old = MemoryContextSwitchTo(caller_cxt);
	result = IngestSummaryRow(fcinfo, run);
	MemoryContextSwitchTo(old);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
