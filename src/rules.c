/*
 * rules.c
 *		Business rules of the shipped contracts, and storability checks.
 *
 * The schema says what a record looks like; these rules say what the load
 * needs on top of it:
 *  - the business key is a non-empty string, and for tickets starts with
 *    "TKT-";
 *  - the record has a version: one of its version fields is set;
 *  - every field stored in a timestamp column is a timestamp PostgreSQL
 *    accepts (RFC 3339 allows values, such as year 0000, that it does
 *    not), so that the Silver write can never fail on a record that was
 *    judged valid.
 * Timestamps are decoded with the datetime parser's error codes, never by
 * calling timestamptz_in, which would raise.
 */
#include "postgres.h"

#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "rules.h"

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

/* True when text is a timestamp with time zone PostgreSQL can store */
static bool
IsStorableTimestamp(const char *s, int len)
{
	char		str[MAXDATELEN + 1];
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	struct pg_tm tm;
	fsec_t		fsec;
	TimestampTz ts;

	if (len > MAXDATELEN)
		return false;
	memcpy(str, s, len);
	str[len] = '\0';
	if (ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0)
		return false;
	if (DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0)
		return false;
	if (dtype != DTK_DATE)
		return false;
	return tm2timestamp(&tm, fsec, &tz, &ts) == 0 && IS_VALID_TIMESTAMP(ts);
}

/* Record one broken rule */
static void
AddRuleError(List **errors, const char *field, const char *message)
{
	char	   *path = psprintf("/%s", field);

	*errors = lappend(*errors, JsonSchemaMakeError(path, "", "business_rule", message));
}

/* Check the record against the rules that apply to its contract */
void
CheckRecordRules(Contract *contract, List *timestamp_fields, Jsonb *record,
				 List **errors)
{
	ListCell   *lc;

	if (contract->key_field != NULL)
	{
		JsonbValue *key = RecordField(record, contract->key_field);

		if (key == NULL || key->type != jbvString || key->val.string.len == 0)
			AddRuleError(errors, contract->key_field,
						 psprintf("business key \"%s\" must be a non-empty string",
								  contract->key_field));
		else if (strcmp(contract->ref, TICKET_CONTRACT) == 0 &&
				 (key->val.string.len < strlen(TICKET_KEY_PREFIX) ||
				  strncmp(key->val.string.val, TICKET_KEY_PREFIX, strlen(TICKET_KEY_PREFIX)) != 0))
			AddRuleError(errors, contract->key_field,
						 "ticket_id must start with \"" TICKET_KEY_PREFIX "\"");
	}

	foreach(lc, timestamp_fields)
	{
		const char *name = lfirst(lc);
		JsonbValue *v = RecordField(record, name);

		if (v == NULL || v->type == jbvNull)
			continue;
		if (v->type != jbvString ||
			!IsStorableTimestamp(v->val.string.val, v->val.string.len))
			AddRuleError(errors, name,
						 psprintf("%s is not a timestamp PostgreSQL can store", name));
	}

	if (contract->version_fields != NIL)
	{
		bool		has_version = false;

		foreach(lc, contract->version_fields)
		{
			JsonbValue *v = RecordField(record, lfirst(lc));

			if (v != NULL && v->type != jbvNull)
				has_version = true;
		}
		if (!has_version)
			AddRuleError(errors, linitial(contract->version_fields),
						 "record has no version: none of its version fields is set");
	}
}
