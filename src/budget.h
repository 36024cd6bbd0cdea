/*
 * budget.h
 *		The validation budget: omni_ingest's limits handed to the validator,
 *		and what a call or a record over them becomes.
 */
#ifndef OMNI_BUDGET_H
#define OMNI_BUDGET_H

#include "postgres.h"

#include "jsonschema/jsonschema.h"

extern void BudgetLimits(JsonSchemaLimits *limits);
extern bool BudgetValidate(JsonSchema *prog, Jsonb *instance, List **errors);
extern bool BudgetValidateRecord(JsonSchema *prog, Jsonb *record, List **errors);

#endif							/* OMNI_BUDGET_H */
