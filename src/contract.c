/* contract.c: placeholder */
#include "postgres.h"
#include "fmgr.h"
#include "contract.h"
PG_FUNCTION_INFO_V1(omni_register_contract);
Datum omni_register_contract(PG_FUNCTION_ARGS) { elog(ERROR, "not yet"); }
Jsonb *ContractResolveUri(const char *uri, void *arg) { return NULL; }
