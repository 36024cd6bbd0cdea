/*
 * rules.c
 *		Business rules a contract declares, and storability checks.
 *
 * The schema says what a record looks like; these checks say what the
 * load needs on top of it:
 *  - the business key (of the contract's target) is a non-empty string;
 *  - the contract's own rules, declared in its "x-omni-rules" annotation
 *    and parsed once when it is compiled (ContractAnnotationsParse):
 *    "prefix" (a string field starts with a prefix), "timestamp" (a set
 *    field is an RFC 3339 date-time that timestamptz holds) and
 *    "not_before" (when both fields are set, the one is not earlier than
 *    the other);
 *  - the record has a version: one of its version fields is set, to an
 *    RFC 3339 date-time that timestamptz holds;
 *  - every field stored in a Silver column converts soundly to the
 *    column's type (storable.c), so that the Silver write can never fail
 *    on, or alter, a record that was judged valid.
 * A record that already fails its contract is judged by the key and
 * prefix rules alone (they say what a key looks like); its version and
 * values are not judged again, which would only repeat what the schema
 * said of them.  A field reported once by these checks is not judged by
 * a later rule, so one wrong value gives one reason.
 */
#include "postgres.h"

#include "rules.h"
#include "storable.h"

/* The rule vocabulary: name, kind, and the member naming its argument */
static const struct
{
	const char *name;
	ContractRuleKind kind;
	const char *arg;			/* NULL: no argument */
	bool		arg_is_field;	/* the argument names another field */
}			rule_kinds[] =
{
	{"prefix", CONTRACT_RULE_PREFIX, "prefix", false},
	{"timestamp", CONTRACT_RULE_TIMESTAMP, NULL, false},
	{"not_before", CONTRACT_RULE_NOT_BEFORE, "than", true},
};

#define RULES_HINT \
	"Each rule is an object such as {\"rule\": \"prefix\", \"field\": \"id\", \"prefix\": \"ID-\"}, " \
	"{\"rule\": \"timestamp\", \"field\": \"created_at\"} or " \
	"{\"rule\": \"not_before\", \"field\": \"resolved_at\", \"than\": \"created_at\"}; " \
	"the fields are top-level properties of the schema."
#define KEY_HINT \
	"\"x-omni-key\" names the business key, a top-level property: \"x-omni-key\": \"ticket_id\"."
#define VERSION_HINT \
	"\"x-omni-version\" lists the version fields, top-level properties whose first set one is the record's version: " \
	"\"x-omni-version\": [\"updated_at\", \"created_at\"]."
#define FIT_HINT \
	"\"x-omni-fit\" is an object with \"modality\", \"source_type\" and \"asset_type\", each a list of the manifest values the contract fits."
#define FROZEN_HINT \
	"\"x-omni-frozen\" is true or false."
#define ANNOTATIONS_HINT \
	"The annotations are x-omni-key, x-omni-version, x-omni-rules, x-omni-fit and x-omni-frozen."

/* Raise the error of a malformed annotation */
static void
pg_attribute_noreturn()
AnnotationError(const char *annotation, const char *problem, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid annotation \"%s\": %s", annotation, problem),
			 errhint("%s", hint)));
}

/* The member of an object container, or NULL when absent */
static JsonbValue *
ObjectMember(JsonbContainer *obj, const char *name)
{
	JsonbValue	key;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &key);
}

/* The container of a value that is a JSON array (or object), or NULL */
static JsonbContainer *
ValueContainer(JsonbValue *v, bool object)
{
	if (v == NULL || v->type != jbvBinary)
		return NULL;
	if (object ? !JsonContainerIsObject(v->val.binary.data)
		: !JsonContainerIsArray(v->val.binary.data))
		return NULL;
	return v->val.binary.data;
}

/* A copy of a string value, or NULL when it is not a non-empty string */
static char *
NonEmptyString(JsonbValue *v)
{
	if (v == NULL || v->type != jbvString || v->val.string.len == 0)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The member names of an object container, in jsonb order */
static List *
ObjectMemberNames(JsonbContainer *obj)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *names = NIL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY)
			names = lappend(names, pnstrdup(v.val.string.val, v.val.string.len));
	return names;
}

/* Refuse a field that the schema does not declare (props NULL: any) */
static void
CheckDeclared(JsonbContainer *props, const char *field, const char *annotation,
			  const char *where, const char *hint)
{
	if (props != NULL && ObjectMember(props, field) == NULL)
		AnnotationError(annotation,
						psprintf("%sfield \"%s\" is not a property of the schema", where, field),
						hint);
}

/* A JSON pointer to a top-level field */
static char *
FieldPath(const char *field)
{
	return psprintf("/%s", JsonSchemaPointerToken(field, strlen(field)));
}

/* Parse rule n (1-based) of "x-omni-rules" */
static ContractRule *
ParseRule(JsonbValue *v, int n, JsonbContainer *props)
{
	JsonbContainer *obj = ValueContainer(v, true);
	JsonbValue *name;
	ContractRule *rule;
	char	   *where;
	char	   *arg = NULL;
	int			k;
	ListCell   *lc;

	if (obj == NULL)
		AnnotationError("x-omni-rules", psprintf("rule %d is not an object", n), RULES_HINT);
	name = ObjectMember(obj, "rule");
	if (name == NULL)
		AnnotationError("x-omni-rules", psprintf("rule %d has no \"rule\"", n), RULES_HINT);
	if (name->type != jbvString)
		AnnotationError("x-omni-rules", psprintf("rule %d: \"rule\" is not a string", n), RULES_HINT);
	for (k = 0; k < (int) lengthof(rule_kinds); k++)
		if ((int) strlen(rule_kinds[k].name) == name->val.string.len &&
			strncmp(rule_kinds[k].name, name->val.string.val, name->val.string.len) == 0)
			break;
	if (k == (int) lengthof(rule_kinds))
		AnnotationError("x-omni-rules",
						psprintf("rule %d: unknown rule \"%s\"", n,
								 pnstrdup(name->val.string.val, name->val.string.len)),
						RULES_HINT);
	where = psprintf("rule %d (%s): ", n, rule_kinds[k].name);

	/* Every member is one the rule takes */
	foreach(lc, ObjectMemberNames(obj))
	{
		char	   *member = lfirst(lc);

		if (strcmp(member, "rule") != 0 && strcmp(member, "field") != 0 &&
			(rule_kinds[k].arg == NULL || strcmp(member, rule_kinds[k].arg) != 0))
			AnnotationError("x-omni-rules",
							psprintf("%sunknown member \"%s\"", where, member), RULES_HINT);
	}

	rule = palloc0(sizeof(ContractRule));
	rule->kind = rule_kinds[k].kind;
	v = ObjectMember(obj, "field");
	if (v == NULL)
		AnnotationError("x-omni-rules", psprintf("%sno \"field\"", where), RULES_HINT);
	if ((rule->field = NonEmptyString(v)) == NULL)
		AnnotationError("x-omni-rules", psprintf("%s\"field\" is not a non-empty string", where),
						RULES_HINT);
	CheckDeclared(props, rule->field, "x-omni-rules", where, RULES_HINT);
	rule->path = FieldPath(rule->field);

	if (rule_kinds[k].arg != NULL)
	{
		v = ObjectMember(obj, rule_kinds[k].arg);
		if (v == NULL)
			AnnotationError("x-omni-rules",
							psprintf("%sno \"%s\"", where, rule_kinds[k].arg), RULES_HINT);
		if ((arg = NonEmptyString(v)) == NULL)
			AnnotationError("x-omni-rules",
							psprintf("%s\"%s\" is not a non-empty string", where, rule_kinds[k].arg),
							RULES_HINT);
		if (rule_kinds[k].arg_is_field)
			CheckDeclared(props, arg, "x-omni-rules", where, RULES_HINT);
	}
	if (rule->kind == CONTRACT_RULE_PREFIX)
		rule->prefix = arg;
	else if (rule->kind == CONTRACT_RULE_NOT_BEFORE)
	{
		rule->than = arg;
		rule->than_path = FieldPath(arg);
	}
	return rule;
}

/* Parse "x-omni-rules": an array of rules */
static List *
ParseRules(JsonbValue *v, JsonbContainer *props)
{
	JsonbContainer *arr = ValueContainer(v, false);
	List	   *rules = NIL;

	if (arr == NULL)
		AnnotationError("x-omni-rules", "it is not an array", RULES_HINT);
	for (uint32 i = 0; i < JsonContainerSize(arr); i++)
		rules = lappend(rules, ParseRule(getIthJsonbValueFromContainer(arr, i), i + 1, props));
	return rules;
}

/* Check "x-omni-version": a non-empty array of declared field names */
static void
CheckVersionFields(JsonbValue *v, JsonbContainer *props)
{
	JsonbContainer *arr = ValueContainer(v, false);

	if (arr == NULL || JsonContainerSize(arr) == 0)
		AnnotationError("x-omni-version", "it is not a non-empty array of field names", VERSION_HINT);
	for (uint32 i = 0; i < JsonContainerSize(arr); i++)
	{
		char	   *field = NonEmptyString(getIthJsonbValueFromContainer(arr, i));

		if (field == NULL)
			AnnotationError("x-omni-version",
							psprintf("element %u is not a non-empty string", i + 1), VERSION_HINT);
		CheckDeclared(props, field, "x-omni-version", "", VERSION_HINT);
	}
}

/* Check "x-omni-fit": modality, source_type, asset_type, each an array of strings */
static void
CheckFit(JsonbValue *v)
{
	static const char *const members[] = {"modality", "source_type", "asset_type"};
	JsonbContainer *obj = ValueContainer(v, true);
	ListCell   *lc;

	if (obj == NULL)
		AnnotationError("x-omni-fit", "it is not an object", FIT_HINT);
	foreach(lc, ObjectMemberNames(obj))
	{
		char	   *member = lfirst(lc);
		JsonbContainer *arr;
		int			k;

		for (k = 0; k < (int) lengthof(members); k++)
			if (strcmp(member, members[k]) == 0)
				break;
		if (k == (int) lengthof(members))
			AnnotationError("x-omni-fit", psprintf("unknown member \"%s\"", member), FIT_HINT);
		arr = ValueContainer(ObjectMember(obj, member), false);
		if (arr == NULL)
			AnnotationError("x-omni-fit", psprintf("\"%s\" is not an array of strings", member),
							FIT_HINT);
		for (uint32 i = 0; i < JsonContainerSize(arr); i++)
			if (getIthJsonbValueFromContainer(arr, i)->type != jbvString)
				AnnotationError("x-omni-fit",
								psprintf("\"%s\" is not an array of strings", member), FIT_HINT);
	}
}

/*
 * Check every x-omni-* annotation of a schema and return its rules.  Only
 * top-level annotations count; a schema that is not an object has none.
 * When the schema declares "properties", every field an annotation names
 * must be one of them.
 */
List *
ContractAnnotationsParse(Jsonb *schema)
{
	JsonbContainer *props;
	List	   *rules = NIL;
	ListCell   *lc;

	if (!JB_ROOT_IS_OBJECT(schema))
		return NIL;
	props = ValueContainer(ObjectMember(&schema->root, "properties"), true);

	foreach(lc, ObjectMemberNames(&schema->root))
	{
		char	   *name = lfirst(lc);
		JsonbValue *v;
		char	   *key;

		if (strncmp(name, "x-omni-", 7) != 0)
			continue;
		v = ObjectMember(&schema->root, name);
		if (strcmp(name, "x-omni-rules") == 0)
			rules = ParseRules(v, props);
		else if (strcmp(name, "x-omni-key") == 0)
		{
			if ((key = NonEmptyString(v)) == NULL)
				AnnotationError(name, "it is not a non-empty string", KEY_HINT);
			CheckDeclared(props, key, name, "", KEY_HINT);
		}
		else if (strcmp(name, "x-omni-version") == 0)
			CheckVersionFields(v, props);
		else if (strcmp(name, "x-omni-fit") == 0)
			CheckFit(v);
		else if (strcmp(name, "x-omni-frozen") == 0)
		{
			if (v->type != jbvBool)
				AnnotationError(name, "it is not a boolean", FROZEN_HINT);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown annotation \"%s\"", name),
					 errhint(ANNOTATIONS_HINT)));
	}
	return rules;
}

/* Value of a top-level field, or NULL when absent */
static JsonbValue *
RecordField(Jsonb *record, const char *name)
{
	return ObjectMember(&record->root, name);
}

/* Record one broken rule */
static void
AddRuleError(List **errors, const char *path, const char *message)
{
	*errors = lappend(*errors, JsonSchemaMakeError(path, "", "business_rule", message));
}

/* True when an error from position "from" on reports the value at path */
static bool
FieldReported(List *errors, int from, const char *path)
{
	for (int i = from; i < list_length(errors); i++)
		if (strcmp(((JsonSchemaError *) list_nth(errors, i))->instance_path, path) == 0)
			return true;
	return false;
}

/* True when the storability checks already judge the field as a timestamp */
static bool
StoredAsTimestamp(List *silver_columns, const char *name)
{
	SilverColumn *col = SilverColumnNamed(silver_columns, name);

	return col != NULL && !col->is_array &&
		(col->kind == SILVER_TIMESTAMPTZ || col->kind == SILVER_TIMESTAMP);
}

/*
 * Parse a set field as a timestamp.  False when it is absent or null;
 * otherwise true, with *ts set, or *why set when it is not one.
 */
static bool
FieldTimestamp(Jsonb *record, const char *field, TimestampTz *ts, const char **why)
{
	JsonbValue *v = RecordField(record, field);

	*why = NULL;
	if (v == NULL || v->type == jbvNull)
		return false;
	if (v->type != jbvString)
		*why = "it is not a string";
	else if (ParseRfc3339Timestamp(v->val.string.val, v->val.string.len, ts, NULL, why))
		*why = NULL;
	return true;
}

/* Check a prefix rule: the field, if a string, starts with the prefix */
static void
CheckPrefixRule(ContractRule *rule, Jsonb *record, List **errors, int from)
{
	JsonbValue *v = RecordField(record, rule->field);
	int			len = strlen(rule->prefix);

	if (v == NULL || v->type != jbvString || FieldReported(*errors, from, rule->path))
		return;
	if (v->val.string.len < len || strncmp(v->val.string.val, rule->prefix, len) != 0)
		AddRuleError(errors, rule->path,
					 psprintf("%s must start with \"%s\"", rule->field, rule->prefix));
}

/* Check a timestamp rule: the field, if set, is a storable date-time */
static void
CheckTimestampRule(ContractRule *rule, List *silver_columns, Jsonb *record,
				   List **errors)
{
	TimestampTz ts;
	const char *why;

	if (StoredAsTimestamp(silver_columns, rule->field) ||
		FieldReported(*errors, 0, rule->path))
		return;					/* judged with its column, or already */
	if (FieldTimestamp(record, rule->field, &ts, &why) && why != NULL)
		AddRuleError(errors, rule->path,
					 psprintf("%s is not a timestamp: %s", rule->field, why));
}

/* Check a not_before rule: when both fields are set, field >= than */
static void
CheckNotBeforeRule(ContractRule *rule, Jsonb *record, List **errors)
{
	TimestampTz field_ts;
	TimestampTz than_ts;
	const char *field_why;
	const char *than_why;

	if (FieldReported(*errors, 0, rule->path) || FieldReported(*errors, 0, rule->than_path))
		return;					/* a wrong value was reported once */
	if (!FieldTimestamp(record, rule->field, &field_ts, &field_why) ||
		!FieldTimestamp(record, rule->than, &than_ts, &than_why))
		return;
	if (field_why != NULL)
		AddRuleError(errors, rule->path,
					 psprintf("%s is not a timestamp: %s", rule->field, field_why));
	else if (than_why != NULL)
		AddRuleError(errors, rule->than_path,
					 psprintf("%s is not a timestamp: %s", rule->than, than_why));
	else if (field_ts < than_ts)
		AddRuleError(errors, rule->path,
					 psprintf("%s is before %s", rule->field, rule->than));
}

/* Check that the record has a version: its first set version field */
static void
CheckVersion(Contract *contract, List *silver_columns, Jsonb *record, List **errors)
{
	ListCell   *lc;
	JsonbValue *version = NULL;
	TimestampTz ts;
	const char *why;

	foreach(lc, contract->version_fields)
	{
		version = RecordField(record, lfirst(lc));
		if (version != NULL && version->type != jbvNull)
			break;
		version = NULL;
	}
	if (version == NULL)
		AddRuleError(errors, FieldPath(linitial(contract->version_fields)),
					 "record has no version: none of its version fields is set");
	else if (StoredAsTimestamp(silver_columns, lfirst(lc)))
		;						/* judged with its column */
	else if (version->type != jbvString)
		AddRuleError(errors, FieldPath(lfirst(lc)),
					 psprintf("version field %s is not a timestamp", (char *) lfirst(lc)));
	else if (!ParseRfc3339Timestamp(version->val.string.val, version->val.string.len,
									&ts, NULL, &why))
		AddRuleError(errors, FieldPath(lfirst(lc)),
					 psprintf("version field %s is not a timestamp: %s",
							  (char *) lfirst(lc), why));
}

/* Check the record against its contract's key, rules and version */
void
CheckRecordRules(Contract *contract, List *silver_columns, Jsonb *record,
				 List **errors)
{
	int			from = list_length(*errors);	/* the schema's reasons end here */
	ListCell   *lc;

	if (contract->key_field != NULL)
	{
		JsonbValue *key = RecordField(record, contract->key_field);

		if (key == NULL || key->type != jbvString || key->val.string.len == 0)
			AddRuleError(errors, FieldPath(contract->key_field),
						 psprintf("business key \"%s\" must be a non-empty string",
								  contract->key_field));
	}
	foreach(lc, contract->rules)
	{
		ContractRule *rule = lfirst(lc);

		if (rule->kind == CONTRACT_RULE_PREFIX)
			CheckPrefixRule(rule, record, errors, from);
	}

	if (*errors != NIL)
		return;

	CheckStorable(silver_columns, record, errors);

	if (contract->version_fields != NIL)
		CheckVersion(contract, silver_columns, record, errors);

	foreach(lc, contract->rules)
	{
		ContractRule *rule = lfirst(lc);

		if (rule->kind == CONTRACT_RULE_TIMESTAMP)
			CheckTimestampRule(rule, silver_columns, record, errors);
		else if (rule->kind == CONTRACT_RULE_NOT_BEFORE)
			CheckNotBeforeRule(rule, record, errors);
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
