/*
 * rules.c
 *		Business rules of the shipped contracts, and storability checks.
 *
 * The schema says what a record looks like; these rules say what the load
 * needs on top of it:
 *  - the business key is a non-empty string, and for tickets starts with
 *    "TKT-";
 *  - the record has a version: one of its version fields is set, to an
 *    RFC 3339 date-time that timestamptz holds;
 *  - every field stored in a Silver column converts soundly to the
 *    column's type (storable.c), so that the Silver write can never fail
 *    on, or alter, a record that was judged valid.
 * A record that already fails its contract (or its key rule) is rejected
 * for that; its version and values are not judged again, which would only
 * repeat what the schema said of them.
 */
#include "postgres.h"

#include "rules.h"
#include "storable.h"

#define TICKET_CONTRACT "omni://contracts/data/ticket/v1"
#define TICKET_KEY_PREFIX "TKT-"

/* Value of a top-level field, or NULL when absent */
static JsonbValue *
RecordField(Jsonb *record, const char *name)
{
	JsonbValue	key;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	return findJsonbValueFromContainer(&record->root, JB_FOBJECT, &key);
}

/* Record one broken rule */
static void
AddRuleError(List **errors, const char *field, const char *message)
{
	char	   *path = psprintf("/%s", JsonSchemaPointerToken(field, strlen(field)));

	*errors = lappend(*errors, JsonSchemaMakeError(path, "", "business_rule", message));
}

/* True when the storability checks already judge the field as a timestamp */
static bool
StoredAsTimestamp(List *silver_columns, const char *name)
{
	SilverColumn *col = SilverColumnNamed(silver_columns, name);

	return col != NULL && !col->is_array &&
		(col->kind == SILVER_TIMESTAMPTZ || col->kind == SILVER_TIMESTAMP);
}

/* Check the record against the rules that apply to its contract */
void
CheckRecordRules(Contract *contract, List *silver_columns, Jsonb *record,
				 List **errors)
{
	ListCell   *lc;
	TimestampTz ts;
	const char *why;

	if (contract->key_field != NULL)
	{
		JsonbValue *key = RecordField(record, contract->key_field);

		if (key == NULL || key->type != jbvString || key->val.string.len == 0)
			AddRuleError(errors, contract->key_field,
						 psprintf("business key \"%s\" must be a non-empty string",
								  contract->key_field));
		else if (strcmp(contract->ref, TICKET_CONTRACT) == 0 &&
				 (key->val.string.len < (int) strlen(TICKET_KEY_PREFIX) ||
				  strncmp(key->val.string.val, TICKET_KEY_PREFIX, strlen(TICKET_KEY_PREFIX)) != 0))
			AddRuleError(errors, contract->key_field,
						 "ticket_id must start with \"" TICKET_KEY_PREFIX "\"");
	}

	if (*errors != NIL)
		return;

	CheckStorable(silver_columns, record, errors);

	if (contract->version_fields != NIL)
	{
		JsonbValue *version = NULL;

		foreach(lc, contract->version_fields)
		{
			version = RecordField(record, lfirst(lc));
			if (version != NULL && version->type != jbvNull)
				break;
			version = NULL;
		}
		if (version == NULL)
			AddRuleError(errors, linitial(contract->version_fields),
						 "record has no version: none of its version fields is set");
		else if (StoredAsTimestamp(silver_columns, lfirst(lc)))
			;					/* judged with its column */
		else if (version->type != jbvString)
			AddRuleError(errors, lfirst(lc),
						 psprintf("version field %s is not a timestamp", (char *) lfirst(lc)));
		else if (!ParseRfc3339Timestamp(version->val.string.val, version->val.string.len,
										&ts, NULL, &why))
			AddRuleError(errors, lfirst(lc),
						 psprintf("version field %s is not a timestamp: %s",
								  (char *) lfirst(lc), why));
	}
}

/* The business key of a record that passed the rules */
char *
RecordKey(Contract *contract, Jsonb *record)
{
	JsonbValue *key = RecordField(record, contract->key_field);

	if (key == NULL || key->type != jbvString)
		elog(ERROR, "record has no business key \"%s\"", contract->key_field);
	return pnstrdup(key->val.string.val, key->val.string.len);
}

/* The version of a record that passed the rules: its first set version field */
TimestampTz
RecordVersion(Contract *contract, Jsonb *record)
{
	ListCell   *lc;

	foreach(lc, contract->version_fields)
	{
		JsonbValue *v = RecordField(record, lfirst(lc));
		TimestampTz ts;
		const char *why;

		if (v == NULL || v->type == jbvNull)
			continue;
		if (v->type == jbvString &&
			ParseRfc3339Timestamp(v->val.string.val, v->val.string.len, &ts, NULL, &why))
			return ts;
		break;
	}
	elog(ERROR, "record has no version");
	return 0;					/* keep compiler quiet */
}
