/*
 * contract_sql.c
 *		Validate instances against a registered contract, from SQL.
 *
 * omni_contract_validate and omni_contract_validation_errors are the
 * contract_ref counterparts of omni_validate and omni_validation_errors:
 * they use the newest registered version of the contract, compiled once
 * per backend (and recompiled when a new version is registered).  They
 * apply the contract's schema with the contract's own format setting; the
 * load's business rules are not part of them.  They have names of their
 * own because an overload on (text, jsonb) would capture calls such as
 * omni_validate('{"type": "string"}', '"x"'), whose first argument is an
 * untyped literal.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "budget.h"
#include "contract.h"

/* The compiled contract named by argument 0, pinned */
static Contract *
ContractArg(FunctionCallInfo fcinfo)
{
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(0));

	return ContractPin(ref, 0, false);
}

/* omni_contract_validate(contract_ref text, instance jsonb) returns boolean */
PG_FUNCTION_INFO_V1(omni_contract_validate);
Datum
omni_contract_validate(PG_FUNCTION_ARGS)
{
	Contract   *contract = ContractArg(fcinfo);
	bool		valid = BudgetValidate(contract->program, PG_GETARG_JSONB_P(1), NULL);

	ContractRelease(contract, false);
	PG_RETURN_BOOL(valid);
}

/* omni_contract_validation_errors(contract_ref text, instance jsonb) */
PG_FUNCTION_INFO_V1(omni_contract_validation_errors);
Datum
omni_contract_validation_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *errors = NIL;
	Contract   *contract;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	contract = ContractArg(fcinfo);
	(void) BudgetValidate(contract->program, PG_GETARG_JSONB_P(1), &errors);
	ContractRelease(contract, false);

	JsonSchemaErrorsToTuplestore(rsinfo, errors);
	return (Datum) 0;
}
