/*
 * budget.c
 *		The validation budget: omni_ingest's limits handed to the validator,
 *		and what a call or a record over them becomes.
 *
 * The validator (src/jsonschema) takes its limits as a parameter and knows
 * nothing of settings; this file reads omni_ingest.validation_work_limit
 * and omni_ingest.validation_memory_limit for every validation, so a SET
 * applies from the next call on.  Over budget, an SQL call raises
 * ERRCODE_PROGRAM_LIMIT_EXCEEDED, while a record of a load becomes a reject
 * whose one reason is the budget (keyword "validation_budget"), and the
 * load goes on with the next line.
 */
#include "postgres.h"

#include "nodes/pg_list.h"

#include "budget.h"
#include "omni_ingest.h"

/* The messages, the same for an error and for a reject reason */
#define BUDGET_STEPS_MSG "validation of the instance exceeded omni_ingest.validation_work_limit (%d steps)"
#define BUDGET_MEMORY_MSG "validation of the instance exceeded omni_ingest.validation_memory_limit (%d kB)"
#define BUDGET_DEPTH_MSG "json schema evaluation does not terminate: more than %d schemas applied in place at one instance location"

/* Fill in the limits in force, from the settings */
void
BudgetLimits(JsonSchemaLimits *limits)
{
	limits->max_steps = omni_validation_work_limit;
	limits->max_memory = (Size) omni_validation_memory_limit * 1024;
}

/* Word the reason of a validation stopped over budget, naming the limit */
static char *
BudgetMessage(JsonSchemaResult result)
{
	if (result == JSON_SCHEMA_OVER_STEPS)
		return psprintf(BUDGET_STEPS_MSG, omni_validation_work_limit);
	if (result == JSON_SCHEMA_OVER_DEPTH)
		return psprintf(BUDGET_DEPTH_MSG, JSON_SCHEMA_MAX_IN_PLACE);
	return psprintf(BUDGET_MEMORY_MSG, omni_validation_memory_limit);
}

/*
 * Validate within the budget; true when valid.  Over budget, raise the
 * error (an SQL call has no record to reject).
 */
bool
BudgetValidate(JsonSchema *prog, Jsonb *instance, List **errors)
{
	JsonSchemaLimits limits;
	JsonSchemaResult result;

	BudgetLimits(&limits);
	result = JsonSchemaValidate(prog, instance, errors, &limits);
	if (result == JSON_SCHEMA_OVER_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg(BUDGET_STEPS_MSG, omni_validation_work_limit),
				 errdetail("Every subschema applied to a part of the instance is a step; the validation was stopped after %d.",
						   omni_validation_work_limit),
				 errhint("Simplify the schema (anyOf or oneOf over a recursive $ref takes time exponential in the depth of the instance), or raise omni_ingest.validation_work_limit.")));
	if (result == JSON_SCHEMA_OVER_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg(BUDGET_MEMORY_MSG, omni_validation_memory_limit),
				 errdetail("The validation was stopped when it had allocated more than %d kB.",
						   omni_validation_memory_limit),
				 errhint("Simplify the schema (unevaluatedItems or unevaluatedProperties under a recursive anyOf keep sets for every branch tried), or have a superuser raise omni_ingest.validation_memory_limit.")));
	if (result == JSON_SCHEMA_OVER_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg(BUDGET_DEPTH_MSG, JSON_SCHEMA_MAX_IN_PLACE),
				 errhint("A reference cycle that does not descend into the instance never ends.")));
	return result == JSON_SCHEMA_VALID;
}

/*
 * Validate a record of a load within the budget.  True when the validation
 * ran to its end (*errors has its failures, if any).  False when the budget
 * stopped it: what it had found is dropped, incomplete as it is, and the
 * budget becomes the record's one reason.
 */
bool
BudgetValidateRecord(JsonSchema *prog, Jsonb *record, List **errors)
{
	JsonSchemaLimits limits;
	JsonSchemaResult result;
	int			before = list_length(*errors);

	BudgetLimits(&limits);
	result = JsonSchemaValidate(prog, record, errors, &limits);
	if (result == JSON_SCHEMA_VALID || result == JSON_SCHEMA_INVALID)
		return true;
	*errors = list_truncate(*errors, before);
	*errors = lappend(*errors, JsonSchemaMakeError("", "", "validation_budget",
												   BudgetMessage(result)));
	return false;
}
