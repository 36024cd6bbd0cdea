/*
 * rules.h
 *		Record checks beyond the JSON Schema: business rules, and values
 *		that the Silver columns must be able to hold.
 */
#ifndef OMNI_RULES_H
#define OMNI_RULES_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "contract.h"

/*
 * Append a JsonSchemaError to *errors for every rule the record breaks
 * (keyword "business_rule") and for every field whose value does not
 * convert soundly to its Silver column (keyword "column_type").
 * silver_columns (SilverColumn *, see storable.h) describe the Silver data
 * columns; NIL when there is no Silver table.  When *errors is not empty
 * on entry (the record failed its contract) only the key rule is checked.
 * Never raises for anything the record holds.
 */
extern void CheckRecordRules(Contract *contract, List *silver_columns,
							 Jsonb *record, List **errors);

/* Business key and version of a record that passed CheckRecordRules */
extern char *RecordKey(Contract *contract, Jsonb *record);
extern TimestampTz RecordVersion(Contract *contract, Jsonb *record);

#endif							/* OMNI_RULES_H */
