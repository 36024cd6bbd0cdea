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

/* Parse text as a timestamp with time zone; false when PostgreSQL cannot store it */
static bool
ParseStorableTimestamp(const char *s, int len, TimestampTz *result)
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
	if (tm2timestamp(&tm, fsec, &tz, &ts) != 0 || !IS_VALID_TIMESTAMP(ts))
		return false;
	*result = ts;
	return true;
}

/* True when the list of C strings holds name (already checked above) */
static bool
StringListMember(List *list, const char *name)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
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
	TimestampTz ts;

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

	foreach(lc, timestamp_fields)
	{
		const char *name = lfirst(lc);
		JsonbValue *v = RecordField(record, name);

		if (v == NULL || v->type == jbvNull)
			continue;
		if (v->type != jbvString ||
			!ParseStorableTimestamp(v->val.string.val, v->val.string.len, &ts))
			AddRuleError(errors, name,
						 psprintf("%s is not a timestamp PostgreSQL can store", name));
	}

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
		else if (!StringListMember(timestamp_fields, lfirst(lc)) &&
				 (version->type != jbvString ||
				  !ParseStorableTimestamp(version->val.string.val, version->val.string.len, &ts)))
			AddRuleError(errors, lfirst(lc),
						 psprintf("version field %s is not a timestamp", (char *) lfirst(lc)));
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

		if (v == NULL || v->type == jbvNull)
			continue;
		if (v->type == jbvString &&
			ParseStorableTimestamp(v->val.string.val, v->val.string.len, &ts))
			return ts;
		break;
	}
	elog(ERROR, "record has no version");
	return 0;					/* keep compiler quiet */
}
