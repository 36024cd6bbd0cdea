/*
 * parse.c
 *		Turn one JSON Lines line into jsonb with PostgreSQL's JSON parser.
 *
 * jsonb_in raises an ERROR for bad input, which would abort the batch.
 * Here the same parser (pg_parse_json) reports failures as return codes,
 * and the semantic actions below build the jsonb value the way jsonb_in
 * does.  Plain lines (no \u escapes, no errors) are read by json_fast.c,
 * which calls the same actions in the same way, only faster; it gives any
 * other line back to pg_parse_json.  The few inputs that could still make PostgreSQL raise while
 * building the value (a number numeric cannot hold, nesting deep enough
 * to exhaust the stack) are caught before they reach that code.
 *
 * jsonb keeps one member per name: of {"a": 1, "a": 2} it keeps the last,
 * silently.  Unless told to accept that, a line whose object holds a name
 * twice is rejected instead, so that Bronze always holds the record as it
 * arrived.  Finding one costs next to nothing: jsonb sorts and de-duplicates
 * each object's members as the object closes, and a member count that
 * drops on the way tells.  Only then is the line walked again, to name the
 * member and its place.
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "jsonschema/jsonschema.h"
#include "json_fast.h"
#include "parse.h"

/* Limits of the numeric type, in decimal digits, with some margin */
#define NUMERIC_SAFE_INT_DIGITS 131000
#define NUMERIC_SAFE_FRAC_DIGITS 16000

typedef struct LineParseState
{
	JsonbParseState *parse_state;
	JsonbValue *result;
	char	   *failure;		/* set once; later actions do nothing */
	bool		reject_duplicates;
	bool		duplicate;		/* an object held a member name twice */
} LineParseState;

/* One open object or array, while looking for a duplicate member */
typedef struct DupLevel
{
	bool		is_object;
	int			index;			/* array: the current element */
	char	   *key;			/* object: the current member */
	char	  **keys;			/* object: every member name, in order */
	int			nkeys;
	int			maxkeys;
} DupLevel;

typedef struct DupSearchState
{
	DupLevel   *levels;
	int			depth;
	char	   *path;			/* set once found: the member's JSON pointer */
	char	   *name;			/* the member's name */
} DupSearchState;

/* A member name and where it came in its object, for sorting */
typedef struct DupKey
{
	const char *name;
	int			pos;
} DupKey;

/* True when numeric_in can hold the JSON number token without raising */
static bool
NumberFitsNumeric(const char *token)
{
	const char *p = token;
	long		int_digits = 0;
	long		frac_digits = 0;
	long		exponent = 0;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		int_digits++, p++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac_digits++;
	if (*p == 'e' || *p == 'E')
	{
		bool		negative = false;

		p++;
		if (*p == '+' || *p == '-')
			negative = (*p++ == '-');
		for (; *p >= '0' && *p <= '9'; p++)
		{
			exponent = exponent * 10 + (*p - '0');
			if (exponent > 10 * NUMERIC_SAFE_INT_DIGITS)
				return false;
		}
		if (negative)
			exponent = -exponent;
	}
	return int_digits + exponent <= NUMERIC_SAFE_INT_DIGITS &&
		frac_digits - exponent <= NUMERIC_SAFE_FRAC_DIGITS;
}

/* Push a scalar as an array element, an object value or a raw scalar */
static void
PushScalar(LineParseState *state, JsonbValue *v)
{
	if (state->parse_state == NULL)
	{
		JsonbValue	va;

		va.type = jbvArray;
		va.val.array.rawScalar = true;
		va.val.array.nElems = 1;
		pushJsonbValue(&state->parse_state, WJB_BEGIN_ARRAY, &va);
		pushJsonbValue(&state->parse_state, WJB_ELEM, v);
		state->result = pushJsonbValue(&state->parse_state, WJB_END_ARRAY, NULL);
	}
	else if (state->parse_state->contVal.type == jbvArray)
		pushJsonbValue(&state->parse_state, WJB_ELEM, v);
	else
		pushJsonbValue(&state->parse_state, WJB_VALUE, v);
}

/* Semantic action: "{" opens an object */
static void
LineObjectStart(void *arg)
{
	LineParseState *state = arg;

	if (!state->failure)
		pushJsonbValue(&state->parse_state, WJB_BEGIN_OBJECT, NULL);
}

/*
 * Semantic action: "}" closes an object.  jsonb drops a repeated member
 * here; when told to reject those, compare the member counts.
 */
static void
LineObjectEnd(void *arg)
{
	LineParseState *state = arg;
	int			npairs;

	if (state->failure)
		return;
	npairs = state->parse_state->contVal.val.object.nPairs;
	state->result = pushJsonbValue(&state->parse_state, WJB_END_OBJECT, NULL);
	if (state->reject_duplicates && state->result->val.object.nPairs != npairs)
	{
		state->duplicate = true;
		state->failure = "duplicate member";	/* replaced by the search */
	}
}

/* Semantic action: "[" opens an array */
static void
LineArrayStart(void *arg)
{
	LineParseState *state = arg;

	if (!state->failure)
		pushJsonbValue(&state->parse_state, WJB_BEGIN_ARRAY, NULL);
}

/* Semantic action: "]" closes an array */
static void
LineArrayEnd(void *arg)
{
	LineParseState *state = arg;

	if (!state->failure)
		state->result = pushJsonbValue(&state->parse_state, WJB_END_ARRAY, NULL);
}

/* Semantic action: an object key */
static void
LineObjectField(void *arg, char *fname, bool isnull)
{
	LineParseState *state = arg;
	JsonbValue	v;

	if (state->failure)
		return;
	v.type = jbvString;
	v.val.string.len = strlen(fname);
	v.val.string.val = fname;
	pushJsonbValue(&state->parse_state, WJB_KEY, &v);
}

/* Semantic action: a string, number, true, false or null */
static void
LineScalar(void *arg, char *token, JsonTokenType tokentype)
{
	LineParseState *state = arg;
	JsonbValue	v;

	if (state->failure)
		return;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			v.type = jbvString;
			v.val.string.len = strlen(token);
			v.val.string.val = token;
			break;
		case JSON_TOKEN_NUMBER:
			if (!NumberFitsNumeric(token))
			{
				state->failure = psprintf("number %.40s%s is out of range",
										  token, strlen(token) > 40 ? "..." : "");
				return;
			}
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(token),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;
		case JSON_TOKEN_TRUE:
			v.type = jbvBool;
			v.val.boolean = true;
			break;
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = false;
			break;
		case JSON_TOKEN_NULL:
			v.type = jbvNull;
			break;
		default:
			elog(ERROR, "unexpected JSON token type %d", (int) tokentype);
	}
	PushScalar(state, &v);
}

/* Order member names by name, then by place (qsort comparator) */
static int
CompareDupKeys(const void *a, const void *b)
{
	const DupKey *ka = a;
	const DupKey *kb = b;
	int			c = strcmp(ka->name, kb->name);

	return c != 0 ? c : (ka->pos > kb->pos) - (ka->pos < kb->pos);
}

/* Search action: "{" or "[" opens a level */
static void
DupPushLevel(DupSearchState *ds, bool is_object)
{
	DupLevel   *level;

	if (ds->depth == OMNI_MAX_JSON_DEPTH + 1)
		elog(ERROR, "JSON nesting deeper than checked");
	level = &ds->levels[ds->depth++];
	memset(level, 0, sizeof(DupLevel));
	level->is_object = is_object;
	level->index = -1;
}

/* Search action: "{" */
static void
DupObjectStart(void *arg)
{
	DupPushLevel(arg, true);
}

/* Search action: "[" */
static void
DupArrayStart(void *arg)
{
	DupPushLevel(arg, false);
}

/* Search action: "]" */
static void
DupArrayEnd(void *arg)
{
	((DupSearchState *) arg)->depth--;
}

/* Search action: an array element starts */
static void
DupArrayElement(void *arg, bool isnull)
{
	DupSearchState *ds = arg;

	ds->levels[ds->depth - 1].index++;
}

/* Search action: a member name */
static void
DupObjectField(void *arg, char *fname, bool isnull)
{
	DupSearchState *ds = arg;
	DupLevel   *level = &ds->levels[ds->depth - 1];

	if (level->nkeys == level->maxkeys)
	{
		level->maxkeys = Max(16, level->maxkeys * 2);
		level->keys = level->keys == NULL ?
			palloc(sizeof(char *) * level->maxkeys) :
			repalloc(level->keys, sizeof(char *) * level->maxkeys);
	}
	level->keys[level->nkeys++] = fname;
	level->key = fname;
}

/*
 * Search action: "}".  The first object to close with a repeated name
 * gives the answer: of its repeated names, the one repeated first.
 */
static void
DupObjectEnd(void *arg)
{
	DupSearchState *ds = arg;
	DupLevel   *level = &ds->levels[ds->depth - 1];
	DupKey	   *keys;
	int			best = -1;

	if (ds->path == NULL && level->nkeys > 1)
	{
		keys = palloc(sizeof(DupKey) * level->nkeys);
		for (int i = 0; i < level->nkeys; i++)
		{
			keys[i].name = level->keys[i];
			keys[i].pos = i;
		}
		qsort(keys, level->nkeys, sizeof(DupKey), CompareDupKeys);
		for (int i = 1; i < level->nkeys; i++)
			if (strcmp(keys[i - 1].name, keys[i].name) == 0 &&
				(best < 0 || keys[i].pos < keys[best].pos) &&
				(i < 2 || strcmp(keys[i - 2].name, keys[i].name) != 0))
				best = i;
		if (best >= 0)
		{
			StringInfoData path;

			initStringInfo(&path);
			for (int d = 0; d < ds->depth - 1; d++)
			{
				if (ds->levels[d].is_object)
					appendStringInfo(&path, "/%s",
									 JsonSchemaPointerToken(ds->levels[d].key,
															strlen(ds->levels[d].key)));
				else
					appendStringInfo(&path, "/%d", ds->levels[d].index);
			}
			appendStringInfo(&path, "/%s",
							 JsonSchemaPointerToken(keys[best].name, strlen(keys[best].name)));
			ds->path = path.data;
			ds->name = pstrdup(keys[best].name);
		}
	}
	ds->depth--;
}

/*
 * Walk a line that holds a repeated member name again, to find it: its
 * JSON pointer and a message naming it.
 */
static void
FindDuplicateMember(char *data, int len, char **path, char **reason)
{
	DupSearchState ds;
	JsonSemAction sem;
	JsonLexContext *lex;
	int			namelen;

	memset(&ds, 0, sizeof(ds));
	ds.levels = palloc(sizeof(DupLevel) * (OMNI_MAX_JSON_DEPTH + 1));
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &ds;
	sem.object_start = DupObjectStart;
	sem.object_end = DupObjectEnd;
	sem.array_start = DupArrayStart;
	sem.array_end = DupArrayEnd;
	sem.array_element_start = DupArrayElement;
	sem.object_field_start = DupObjectField;

	lex = makeJsonLexContextCstringLen(data, len, PG_UTF8, true);
	if (pg_parse_json(lex, &sem) != JSON_SUCCESS || ds.path == NULL)
	{
		/* cannot happen: the first walk saw one; still, judge the line */
		*reason = "an object holds a member name more than once";
		return;
	}

	/* name it in the message, cut at a character boundary if long */
	namelen = strlen(ds.name);
	if (namelen > 60)
		namelen = pg_mbcliplen(ds.name, namelen, 60);
	*path = ds.path;
	*reason = psprintf("member \"%.*s%s\" appears more than once", namelen, ds.name,
					   ds.name[namelen] != '\0' ? "..." : "");
}

/*
 * Nesting depth of a JSON text, ignoring brackets inside strings; stops
 * counting once past limit.  Only long lines can nest deeply enough to
 * matter, so short lines are not scanned.
 */
static bool
DepthWithin(const char *data, int len, int limit)
{
	int			depth = 0;
	bool		in_string = false;

	if (len <= limit)
		return true;
	for (int i = 0; i < len; i++)
	{
		char		c = data[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{')
		{
			if (++depth > limit)
				return false;
		}
		else if (c == ']' || c == '}')
			depth--;
	}
	return true;
}

/* Parse one line into jsonb; NULL with a reason when it is not JSON */
Jsonb *
ParseJsonLine(char *data, int len, bool reject_duplicates,
			  const char **keyword, char **path, char **reason)
{
	int			valid_len;
	JsonLexContext *lex;
	JsonSemAction sem;
	LineParseState state;
	JsonParseErrorType rc;

	*path = "";
	valid_len = pg_encoding_verifymbstr(PG_UTF8, data, len);
	if (valid_len < len)
	{
		*keyword = "encoding";
		*reason = data[valid_len] == '\0' ?
			psprintf("NUL byte at byte %d of the line", valid_len + 1) :
			psprintf("invalid UTF-8 at byte %d of the line", valid_len + 1);
		return NULL;
	}

	*keyword = "json";
	if (!DepthWithin(data, len, OMNI_MAX_JSON_DEPTH))
	{
		*reason = psprintf("JSON nesting deeper than %d levels", OMNI_MAX_JSON_DEPTH);
		return NULL;
	}

	memset(&state, 0, sizeof(state));
	state.reject_duplicates = reject_duplicates;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &state;
	sem.object_start = LineObjectStart;
	sem.object_end = LineObjectEnd;
	sem.array_start = LineArrayStart;
	sem.array_end = LineArrayEnd;
	sem.object_field_start = LineObjectField;
	sem.scalar = LineScalar;

	/* Plain JSON by the fast parser; anything else, again by PostgreSQL's */
	if (JsonFastParse(data, len, OMNI_MAX_JSON_DEPTH, &sem))
		rc = JSON_SUCCESS;
	else
	{
		memset(&state, 0, sizeof(state));
		state.reject_duplicates = reject_duplicates;
		lex = makeJsonLexContextCstringLen(data, len, PG_UTF8, true);
		rc = pg_parse_json(lex, &sem);
	}
	if (rc != JSON_SUCCESS)
	{
		char	   *detail = pstrdup(json_errdetail(rc, lex));
		char	   *where = lex->token_start ? lex->token_start : lex->token_terminator;
		int			at = (int) (where ? where - data : 0);

		/* json_errdetail speaks in sentences; keep it as a clause */
		if (detail[0] != '\0')
			detail[0] = pg_ascii_tolower((unsigned char) detail[0]);
		if (detail[0] != '\0' && detail[strlen(detail) - 1] == '.')
			detail[strlen(detail) - 1] = '\0';
		*reason = psprintf("invalid JSON at byte %d: %s", at + 1, detail);
		return NULL;
	}
	if (state.duplicate)
	{
		*keyword = "duplicate_key";
		FindDuplicateMember(data, len, path, reason);
		return NULL;
	}
	if (state.failure)
	{
		*reason = state.failure;
		return NULL;
	}

	return JsonbValueToJsonb(state.result);
}
