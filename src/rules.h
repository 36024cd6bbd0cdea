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
 * Append a JsonSchemaError (keyword "business_rule") to *errors for every
 * rule the record breaks.  timestamp_fields name the fields that must hold
 * a timestamp PostgreSQL can store.
 */
extern void CheckRecordRules(Contract *contract, List *timestamp_fields,
							 Jsonb *record, List **errors);

/* Business key and version of a record that passed CheckRecordRules */
extern char *RecordKey(Contract *contract, Jsonb *record);
extern TimestampTz RecordVersion(Contract *contract, Jsonb *record);

#endif							/* OMNI_RULES_H */
