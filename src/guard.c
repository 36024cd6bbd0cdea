/*
 * guard.c
 *		Keep DROP EXTENSION from silently destroying ingested data.
 *
 * The extension's tables are members of the extension, so that pg_dump
 * handles them with it (their rows are dumped through
 * pg_extension_config_dump).  The price is that DROP EXTENSION would drop
 * them with everything else.  An event trigger on ddl_command_start refuses
 * to drop the extension, or its schema, while the tables hold data, unless
 * the superuser setting omni_ingest.allow_drop_data is on.
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"

#include "omni_ingest.h"
#include "spi_util.h"

/* True when a DROP statement names the extension or its schema */
static bool
DropsOmniIngest(Node *parsetree)
{
	DropStmt   *stmt;
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, DropStmt))
		return false;
	stmt = (DropStmt *) parsetree;
	if (stmt->removeType != OBJECT_EXTENSION && stmt->removeType != OBJECT_SCHEMA)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *name = lfirst(lc);

		if (IsA(name, String) &&
			strcmp(strVal(name), stmt->removeType == OBJECT_EXTENSION ?
				   "omni_ingest" : OMNI_SCHEMA) == 0)
			return true;
	}
	return false;
}

/* Number of ledger rows and of rows in the data tables */
static int64
IngestedRows(void)
{
	int64		rows;
	bool		isnull;
	int			save_nestlevel;

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniSpiExec("SELECT (SELECT pg_catalog.count(*) FROM omni_ingest.batch_ledger)"
				" + (SELECT pg_catalog.count(*) FROM omni_ingest.raw_ticket_event)"
				" + (SELECT pg_catalog.count(*) FROM omni_ingest.ticket_fact)"
				" + (SELECT pg_catalog.count(*) FROM omni_ingest.reject)"
				" + (SELECT pg_catalog.count(*) FROM omni_ingest.manifest)"
				" + (SELECT pg_catalog.count(*) FROM omni_ingest.contract WHERE NOT shipped)",
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	rows = OmniSpiGetInt64(0, 1, &isnull);
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();
	return rows;
}

/*
 * omni_ingest_drop_guard() returns event_trigger
 */
PG_FUNCTION_INFO_V1(omni_ingest_drop_guard);
Datum
omni_ingest_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	int64		rows;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "omni_ingest_drop_guard must be called as an event trigger");
	trigdata = (EventTriggerData *) fcinfo->context;

	if (omni_allow_drop_data || !DropsOmniIngest(trigdata->parsetree))
		PG_RETURN_NULL();

	rows = IngestedRows();
	if (rows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("extension omni_ingest still holds ingested data"),
				 errdetail("Its ledger, reject, manifest, Bronze, Silver and contract tables hold " INT64_FORMAT " rows, which the drop would destroy.",
						   rows),
				 errhint("Keep the data with pg_dump first; then SET omni_ingest.allow_drop_data = on and drop again.")));
	PG_RETURN_NULL();
}
