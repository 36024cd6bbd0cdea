/*
 * rules.h
 *		Record checks beyond the JSON Schema: the business rules a contract
 *		declares (its x-omni-* annotations), and values that the Silver
 *		columns must be able to hold.
 */
#ifndef OMNI_RULES_H
#define OMNI_RULES_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "contract.h"

/* The rule vocabulary of "x-omni-rules" */
typedef enum ContractRuleKind
{
	CONTRACT_RULE_PREFIX,		/* a string field starts with a prefix */
	CONTRACT_RULE_TIMESTAMP,	/* a set field is a date-time timestamptz holds */
	CONTRACT_RULE_NOT_BEFORE	/* when both are set, field >= than */
} ContractRuleKind;

/* One rule of a contract, parsed (see ContractAnnotationsParse) */
typedef struct ContractRule
{
	ContractRuleKind kind;
	char	   *field;			/* the top-level field judged */
	char	   *path;			/* its JSON pointer, "/field" */
	char	   *prefix;			/* prefix: the prefix */
	char	   *than;			/* not_before: the field it may not precede */
	char	   *than_path;		/* its JSON pointer */
} ContractRule;

/*
 * Check a schema's x-omni-* annotations (x-omni-key, x-omni-version,
 * x-omni-rules, x-omni-fit, x-omni-frozen) and return its rules
 * (ContractRule *), allocated in CurrentMemoryContext.  A malformed
 * annotation, or an unknown x-omni-* keyword, raises an ERROR
 * (invalid_parameter_value) naming it.
 */
extern List *ContractAnnotationsParse(Jsonb *schema);

/*
 * Append a JsonSchemaError to *errors for every rule the record breaks
 * (keyword "business_rule") and for every field whose value does not
 * convert soundly to its Silver column (keyword "column_type").
 * silver_columns (SilverColumn *, see storable.h) describe the Silver data
 * columns; NIL when there is no Silver table.  When *errors is not empty
 * on entry (the record failed its contract) only the key and prefix rules
 * are checked.  Never raises for anything the record holds.
 */
extern void CheckRecordRules(Contract *contract, List *silver_columns,
							 Jsonb *record, List **errors);

/* Business key and version of a record that passed CheckRecordRules */
extern char *RecordKey(Contract *contract, Jsonb *record);
extern TimestampTz RecordVersion(Contract *contract, Jsonb *record);

#endif							/* OMNI_RULES_H */
