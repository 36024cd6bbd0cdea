/*
 * errors.c
 *		Validation errors: building them from the validator's path stacks and
 *		rendering them as jsonb.
 *
 * Paths are kept as stacks of segments while validating and turned into
 * JSON pointer strings only when an error is actually reported, so the
 * valid path never formats anything.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "jsonschema/jsonschema_int.h"

/* Escape a JSON pointer reference token ("~" -> "~0", "/" -> "~1") */
char *
JsvEscapeSegment(const char *s, int len)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < len; i++)
	{
		if (s[i] == '~')
			appendBinaryStringInfo(&buf, "~0", 2);
		else if (s[i] == '/')
			appendBinaryStringInfo(&buf, "~1", 2);
		else
			appendStringInfoChar(&buf, s[i]);
	}
	return buf.data;
}

/* A JSON pointer reference token for a member name, for callers outside */
char *
JsonSchemaPointerToken(const char *name, int len)
{
	return JsvEscapeSegment(name, len);
}

/* Append an escaped token to buf */
static void
JsvAppendToken(StringInfo buf, const char *s, int len)
{
	int			i;

	appendStringInfoChar(buf, '/');
	for (i = 0; i < len; i++)
	{
		if (s[i] == '~')
			appendBinaryStringInfo(buf, "~0", 2);
		else if (s[i] == '/')
			appendBinaryStringInfo(buf, "~1", 2);
		else
			appendStringInfoChar(buf, s[i]);
	}
}

/* Render the current instance path, plus an optional extra key */
static char *
JsvInstancePath(JsvCtx *ctx, const char *key, int keylen)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < ctx->ipath_len; i++)
	{
		JsvIPathSeg *s = &ctx->prog->ipath[i];

		if (s->key)
			JsvAppendToken(&buf, s->key, s->len);
		else
			appendStringInfo(&buf, "/%d", s->len);
	}
	if (key)
		JsvAppendToken(&buf, key, keylen);
	return buf.data;
}

/* Render the current keyword path, plus an optional keyword */
static char *
JsvKeywordPath(JsvCtx *ctx, const char *keyword)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < ctx->kpath_len; i++)
		appendStringInfoString(&buf, ctx->prog->kpath[i].seg);
	if (keyword)
		appendStringInfo(&buf, "/%s", keyword);
	return buf.data;
}

/* Append one error to the context's list */
static void
JsvAddError(JsvCtx *ctx, const char *key, int keylen, const char *keyword,
			const char *msg)
{
	JsonSchemaError *e = palloc(sizeof(JsonSchemaError));

	e->instance_path = JsvInstancePath(ctx, key, keylen);
	if (keyword == NULL)
	{
		/* a false schema: the error belongs to the keyword that led here */
		e->keyword_path = JsvKeywordPath(ctx, NULL);
		e->keyword = pstrdup(ctx->kpath_len > 0 ?
							 ctx->prog->kpath[ctx->kpath_len - 1].keyword : "false");
	}
	else
	{
		e->keyword_path = JsvKeywordPath(ctx, keyword);
		e->keyword = pstrdup(keyword);
	}
	e->message = pstrdup(msg);
	*ctx->errors = lappend(*ctx->errors, e);
	/* paths may be long, and errors many: they count against the budget */
	(void) JsvMemoryCheck(ctx, 0);
}

/* Report a failed keyword at the current instance location */
void
JsvReport(JsvCtx *ctx, const char *keyword, const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;

	if (ctx->errors == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	JsvAddError(ctx, NULL, 0, keyword, msg);
}

/* Report a failed keyword at a member (key) of the current object */
void
JsvReportAt(JsvCtx *ctx, const char *key, int keylen, const char *keyword,
			const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;

	if (ctx->errors == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	JsvAddError(ctx, key, keylen, keyword, msg);
}

/* Build a JsonSchemaError (strings are copied into CurrentMemoryContext) */
JsonSchemaError *
JsonSchemaMakeError(const char *instance_path, const char *keyword_path,
					const char *keyword, const char *message)
{
	JsonSchemaError *e = palloc(sizeof(JsonSchemaError));

	e->instance_path = pstrdup(instance_path ? instance_path : "");
	e->keyword_path = pstrdup(keyword_path ? keyword_path : "");
	e->keyword = pstrdup(keyword ? keyword : "");
	e->message = pstrdup(message ? message : "");
	return e;
}

/* Push one "key": "string" pair */
static void
JsvPushPair(JsonbParseState **st, const char *key, const char *val)
{
	JsonbValue	k,
				v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) val;
	v.val.string.len = strlen(val);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Render a list of JsonSchemaError * as a jsonb array of objects */
Jsonb *
JsonSchemaErrorsToJsonb(List *errors)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;
	ListCell   *lc;

	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, errors)
	{
		JsonSchemaError *e = lfirst(lc);

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		JsvPushPair(&st, "instance_path", e->instance_path);
		JsvPushPair(&st, "keyword_path", e->keyword_path);
		JsvPushPair(&st, "keyword", e->keyword);
		JsvPushPair(&st, "message", e->message);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}
