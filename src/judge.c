/*
 * judge.c
 *		Whether a parsed record satisfies its contract, and the contract as
 *		bytes for a read worker (parallel.c).
 *
 * A worker judges with the very schema the loading backend pinned, compiled
 * again from its bytes, the same annotations, Silver column descriptions and
 * validation budget, and the same code: so it accepts exactly the records
 * the backend would.  (It sends a record it does not accept back as its
 * line, for the backend to judge and give its reasons.)  What another
 * process could see otherwise -- a schema that refers to other registered
 * schemas, a column type whose input function reads the catalog -- keeps
 * the judging in the loading backend.
 */
#include "postgres.h"

#include "budget.h"
#include "judge.h"
#include "omni_ingest.h"
#include "rules.h"
#include "storable.h"

/* See judge.h */
bool
JudgeRecord(Contract *contract, List *silver_columns, Jsonb *record, List **errors)
{
	if (BudgetValidateRecord(contract->program, record, errors))
		CheckRecordRules(contract, silver_columns, record, errors);
	return *errors == NIL;
}

/* See judge.h */
bool
JudgeSerializable(List *silver_columns)
{
	ListCell   *lc;

	foreach(lc, silver_columns)
		if (((SilverColumn *) lfirst(lc))->kind == SILVER_OTHER)
			return false;
	return true;
}

static void
PutInt(StringInfo buf, int32 v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

/* A string, NULL included */
static void
PutString(StringInfo buf, const char *s)
{
	PutInt(buf, s ? (int32) strlen(s) : -1);
	if (s)
		appendBinaryStringInfo(buf, s, strlen(s));
}

static int32
GetInt(const char **p)
{
	int32		v;

	memcpy(&v, *p, sizeof(v));
	*p += sizeof(v);
	return v;
}

static char *
GetString(const char **p)
{
	int32		len = GetInt(p);
	char	   *s;

	if (len < 0)
		return NULL;
	s = pnstrdup(*p, len);
	*p += len;
	return s;
}

/* See judge.h */
void
JudgeSerialize(StringInfo buf, Contract *contract, List *silver_columns)
{
	ListCell   *lc;

	PutInt(buf, VARSIZE(contract->schema));
	appendBinaryStringInfo(buf, (char *) contract->schema, VARSIZE(contract->schema));
	PutString(buf, contract->ref);
	PutInt(buf, contract->version);
	PutInt(buf, contract->format_assertion);
	PutString(buf, contract->key_field);
	PutInt(buf, list_length(contract->version_fields));
	foreach(lc, contract->version_fields)
		PutString(buf, lfirst(lc));
	PutInt(buf, list_length(silver_columns));
	foreach(lc, silver_columns)
	{
		SilverColumn *col = lfirst(lc);

		PutString(buf, col->name);
		PutString(buf, col->type_name);
		PutInt(buf, col->kind);
		PutInt(buf, col->is_array);
		PutInt(buf, col->not_null);
		PutInt(buf, col->is_domain);
		PutInt(buf, col->typmod);
	}
	PutInt(buf, omni_validation_work_limit);
	PutInt(buf, omni_validation_memory_limit);
}

/* A resolver that resolves nothing, and tells that it was asked */
static Jsonb *
RefuseUri(const char *uri, void *arg)
{
	*(bool *) arg = true;
	return NULL;
}

/* See judge.h */
Contract *
JudgeRestore(const char *data, List **silver_columns)
{
	const char *p = data;
	MemoryContext cxt = CurrentMemoryContext;
	Contract   *c = palloc0(sizeof(Contract));
	int32		size = GetInt(&p);
	JsonSchemaOptions opts;
	bool		asked = false;
	int			n;

	c->schema = palloc(size);
	memcpy(c->schema, p, size);
	p += size;
	c->ref = GetString(&p);
	c->version = GetInt(&p);
	c->format_assertion = GetInt(&p) != 0;
	c->key_field = GetString(&p);
	n = GetInt(&p);
	for (int i = 0; i < n; i++)
		c->version_fields = lappend(c->version_fields, GetString(&p));
	*silver_columns = NIL;
	n = GetInt(&p);
	for (int i = 0; i < n; i++)
	{
		SilverColumn *col = palloc0(sizeof(SilverColumn));

		col->name = GetString(&p);
		col->type_name = GetString(&p);
		col->kind = (SilverKind) GetInt(&p);
		col->is_array = GetInt(&p) != 0;
		col->not_null = GetInt(&p) != 0;
		col->is_domain = GetInt(&p) != 0;
		col->typmod = GetInt(&p);
		*silver_columns = lappend(*silver_columns, col);
	}
	omni_validation_work_limit = GetInt(&p);
	omni_validation_memory_limit = GetInt(&p);

	memset(&opts, 0, sizeof(opts));
	opts.format_assertion = c->format_assertion;
	opts.base_uri = c->ref;
	opts.resolve = RefuseUri;
	opts.resolve_arg = &asked;
	PG_TRY();
	{
		c->program = JsonSchemaCompile(c->schema, &opts, cxt);
	}
	PG_CATCH();
	{
		if (!asked)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
	if (asked)
		return NULL;
	c->rules = ContractAnnotationsParse(c->schema);
	c->cxt = cxt;
	return c;
}
