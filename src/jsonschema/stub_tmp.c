#include "postgres.h"
#include "fmgr.h"
#include "jsonschema/jsonschema.h"
PG_FUNCTION_INFO_V1(omni_validate);
Datum omni_validate(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(true); }
PG_FUNCTION_INFO_V1(omni_validation_errors);
Datum omni_validation_errors(PG_FUNCTION_ARGS) { elog(ERROR, "not yet"); }
JsonSchema *JsonSchemaCompile(Jsonb *schema, const JsonSchemaOptions *options, MemoryContext mcxt) { return (JsonSchema *) palloc0(8); }
bool JsonSchemaValidate(JsonSchema *schema, Jsonb *instance, List **errors) { return true; }
