/*
 * validate_sql.c
 *		SQL functions omni_validate and omni_validation_errors.
 *
 * The compiled program is cached in fn_extra and reused while the schema
 * argument stays byte-for-byte the same, so a CHECK constraint or a query
 * over many rows compiles the schema once.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "budget.h"
#include "contract.h"
#include "jsonschema/jsonschema.h"

PG_FUNCTION_INFO_V1(omni_validate);
PG_FUNCTION_INFO_V1(omni_validation_errors);

/* What fn_extra holds: the schema bytes and the program compiled from them */
typedef struct JsvFnCache
{
	MemoryContext cxt;			/* holds schema copy and program */
	Jsonb	   *schema;
	JsonSchema *prog;
	bool		stable;			/* the schema argument cannot change (a constant) */
} JsvFnCache;

/*
 * True when argument argnum of the call is a plan constant.  (Parameters
 * are not enough: PL/pgSQL reuses expression state across calls with
 * different parameter values.)
 */
static bool
JsvArgIsConst(FmgrInfo *flinfo, int argnum)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (expr == NULL || !IsA(expr, FuncExpr))
		return false;
	args = ((FuncExpr *) expr)->args;
	if (argnum >= list_length(args))
		return false;
	return IsA(list_nth(args, argnum), Const);
}

/* The compiled program for this call's schema, compiling when it changed */
static JsonSchema *
JsvCachedProgram(FunctionCallInfo fcinfo, Jsonb *schema)
{
	JsvFnCache *volatile cache = fcinfo->flinfo->fn_extra;
	JsonSchemaOptions opts;
	MemoryContext cxt;
	MemoryContext caller = CurrentMemoryContext;

	/* a constant schema (the usual case) needs no comparison per row */
	if (cache && cache->prog && cache->stable)
		return cache->prog;
	if (cache && cache->prog && VARSIZE(cache->schema) == VARSIZE(schema) &&
		memcmp(cache->schema, schema, VARSIZE(schema)) == 0)
		return cache->prog;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(JsvFnCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	else if (cache->cxt)
	{
		MemoryContextDelete(cache->cxt);
		cache->cxt = NULL;
		cache->prog = NULL;
		cache->schema = NULL;
	}

	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "omni_validate schema",
								ALLOCSET_DEFAULT_SIZES);
	memset(&opts, 0, sizeof(opts));
	opts.format_assertion = false;
	opts.resolve = ContractResolveUri;
	/* a schema that does not compile must not leave its context behind */
	PG_TRY();
	{
		cache->prog = JsonSchemaCompile(schema, &opts, cxt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cache->schema = MemoryContextAlloc(cxt, VARSIZE(schema));
	memcpy(cache->schema, schema, VARSIZE(schema));
	cache->cxt = cxt;
	cache->stable = JsvArgIsConst(fcinfo->flinfo, 0);
	return cache->prog;
}

/*
 * Emit each JsonSchemaError of a list as a row (instance_path, keyword_path,
 * keyword, message) of a materialized set-returning function's result
 */
void
JsonSchemaErrorsToTuplestore(ReturnSetInfo *rsinfo, List *errors)
{
	ListCell   *lc;

	foreach(lc, errors)
	{
		JsonSchemaError *e = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(e->instance_path);
		values[1] = CStringGetTextDatum(e->keyword_path);
		values[2] = CStringGetTextDatum(e->keyword);
		values[3] = CStringGetTextDatum(e->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* omni_validate(schema jsonb, instance jsonb) returns boolean */
Datum
omni_validate(PG_FUNCTION_ARGS)
{
	JsvFnCache *cache = fcinfo->flinfo->fn_extra;
	JsonSchema *prog;

	/* a constant schema compiled before need not even be detoasted */
	if (cache && cache->prog && cache->stable)
		prog = cache->prog;
	else
		prog = JsvCachedProgram(fcinfo, PG_GETARG_JSONB_P(0));
	PG_RETURN_BOOL(BudgetValidate(prog, PG_GETARG_JSONB_P(1), NULL));
}

/* omni_validation_errors(schema jsonb, instance jsonb): one row per failure */
Datum
omni_validation_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *schema;
	Jsonb	   *instance;
	JsonSchema *prog;
	List	   *errors = NIL;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	schema = PG_GETARG_JSONB_P(0);
	instance = PG_GETARG_JSONB_P(1);
	prog = JsvCachedProgram(fcinfo, schema);
	(void) BudgetValidate(prog, instance, &errors);

	JsonSchemaErrorsToTuplestore(rsinfo, errors);
	return (Datum) 0;
}
