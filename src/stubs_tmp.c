#include "postgres.h"
#include "fmgr.h"
PG_FUNCTION_INFO_V1(omni_ingest_jsonl);
Datum omni_ingest_jsonl(PG_FUNCTION_ARGS) { elog(ERROR, "not yet"); }
PG_FUNCTION_INFO_V1(omni_reconcile);
Datum omni_reconcile(PG_FUNCTION_ARGS) { elog(ERROR, "not yet"); }
PG_FUNCTION_INFO_V1(omni_ingest_drop_guard);
Datum omni_ingest_drop_guard(PG_FUNCTION_ARGS) { PG_RETURN_NULL(); }
