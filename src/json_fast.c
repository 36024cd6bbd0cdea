/*
 * json_fast.c
 *		A JSON parser for the plain text most lines are, calling the same
 *		semantic actions as pg_parse_json.
 *
 * PostgreSQL 15's lexer copies every character of every string into its
 * buffer one appendStringInfoChar at a time; on JSON Lines of support
 * tickets that is about a third of what parsing costs.  This parser reads
 * the same grammar (RFC 8259 as PostgreSQL's jsonapi.c reads it), takes the
 * runs of plain characters between escapes whole, and calls a JsonSemAction's
 * actions in the order, and with the arguments, that pg_parse_json would.
 *
 * It decides nothing on its own: on anything it does not read itself -- an
 * error of any kind, a \u escape (whose decoding PostgreSQL does, surrogate
 * pairs and all), a token it would have to think twice about -- it gives up,
 * and the caller parses the line again with pg_parse_json from a fresh
 * state, which gives the error or the value.  So it accepts only what
 * pg_parse_json accepts, with the same actions called, and every message
 * remains PostgreSQL's.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "json_fast.h"

typedef struct FastParse
{
	const char *p;				/* next byte */
	const char *end;
	JsonSemAction *sem;
	StringInfoData buf;			/* a string with escapes, de-escaped */
	int			depth;
	int			max_depth;
} FastParse;

static bool FastValue(FastParse *fp);

/* JSON white space, as jsonapi.c skips it */
static inline void
SkipSpace(FastParse *fp)
{
	while (fp->p < fp->end &&
		   (*fp->p == ' ' || *fp->p == '\t' || *fp->p == '\n' || *fp->p == '\r'))
		fp->p++;
}

/*
 * True when a literal or number ends here: at the end, white space or
 * punctuation.  (jsonapi.c takes letters, digits, '_', '$' and non-ASCII
 * bytes as part of the token, which then is no token at all.)
 */
static inline bool
AtTokenEnd(FastParse *fp)
{
	char		c;

	if (fp->p >= fp->end)
		return true;
	c = *fp->p;
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == ',' || c == ':' || c == ']' || c == '}';
}

/*
 * A string (fp->p at its opening quote), de-escaped, palloc'd; NULL to give
 * up: a control character, a \u escape or any other escape jsonapi.c would
 * refuse, or no closing quote
 */
static char *
FastString(FastParse *fp)
{
	const char *s = fp->p + 1;
	const char *run = s;
	bool		escaped = false;
	char	   *result;

	for (;;)
	{
		unsigned char c;

		/* the plain characters, in one go */
		while (s < fp->end && (c = (unsigned char) *s) != '"' && c != '\\' && c >= 0x20)
			s++;
		if (s >= fp->end)
			return NULL;
		c = (unsigned char) *s;
		if (c == '"')
			break;
		if (c < 0x20)
			return NULL;

		/* an escape */
		if (!escaped)
		{
			resetStringInfo(&fp->buf);
			escaped = true;
		}
		appendBinaryStringInfo(&fp->buf, run, s - run);
		if (++s >= fp->end)
			return NULL;
		switch (*s)
		{
			case '"':
			case '\\':
			case '/':
				appendStringInfoChar(&fp->buf, *s);
				break;
			case 'b':
				appendStringInfoChar(&fp->buf, '\b');
				break;
			case 'f':
				appendStringInfoChar(&fp->buf, '\f');
				break;
			case 'n':
				appendStringInfoChar(&fp->buf, '\n');
				break;
			case 'r':
				appendStringInfoChar(&fp->buf, '\r');
				break;
			case 't':
				appendStringInfoChar(&fp->buf, '\t');
				break;
			default:
				return NULL;	/* \u, or an escape that is not JSON */
		}
		run = ++s;
	}

	if (escaped)
	{
		appendBinaryStringInfo(&fp->buf, run, s - run);
		result = pnstrdup(fp->buf.data, fp->buf.len);
	}
	else
		result = pnstrdup(run, s - run);
	fp->p = s + 1;
	return result;
}

/* A number as jsonapi.c reads one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static char *
FastNumber(FastParse *fp)
{
	const char *start = fp->p;
	const char *s = start;
	const char *end = fp->end;

	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0')
		s++;
	else if (s < end && *s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return NULL;
	if (s < end && *s == '.')
	{
		if (++s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E'))
	{
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	fp->p = s;
	if (!AtTokenEnd(fp))
		return NULL;
	return pnstrdup(start, s - start);
}

/* true, false or null at fp->p */
static bool
FastLiteral(FastParse *fp, const char *word, JsonTokenType type)
{
	size_t		len = strlen(word);

	if ((size_t) (fp->end - fp->p) < len || memcmp(fp->p, word, len) != 0)
		return false;
	fp->p += len;
	if (!AtTokenEnd(fp))
		return false;
	if (fp->sem->scalar)
		fp->sem->scalar(fp->sem->semstate, pstrdup(word), type);
	return true;
}

/* True when the value at fp->p (white space skipped) is the literal null */
static bool
NextIsNull(FastParse *fp)
{
	return fp->end - fp->p >= 4 && memcmp(fp->p, "null", 4) == 0;
}

static bool
FastObject(FastParse *fp)
{
	JsonSemAction *sem = fp->sem;

	fp->p++;
	if (sem->object_start)
		sem->object_start(sem->semstate);
	SkipSpace(fp);
	if (fp->p < fp->end && *fp->p == '}')
		fp->p++;
	else
		for (;;)
		{
			char	   *fname;
			bool		isnull;

			SkipSpace(fp);
			if (fp->p >= fp->end || *fp->p != '"' || (fname = FastString(fp)) == NULL)
				return false;
			SkipSpace(fp);
			if (fp->p >= fp->end || *fp->p != ':')
				return false;
			fp->p++;
			SkipSpace(fp);
			isnull = NextIsNull(fp);
			if (sem->object_field_start)
				sem->object_field_start(sem->semstate, fname, isnull);
			if (!FastValue(fp))
				return false;
			if (sem->object_field_end)
				sem->object_field_end(sem->semstate, fname, isnull);
			SkipSpace(fp);
			if (fp->p >= fp->end)
				return false;
			if (*fp->p == '}')
			{
				fp->p++;
				break;
			}
			if (*fp->p != ',')
				return false;
			fp->p++;
		}
	if (sem->object_end)
		sem->object_end(sem->semstate);
	return true;
}

static bool
FastArray(FastParse *fp)
{
	JsonSemAction *sem = fp->sem;

	fp->p++;
	if (sem->array_start)
		sem->array_start(sem->semstate);
	SkipSpace(fp);
	if (fp->p < fp->end && *fp->p == ']')
		fp->p++;
	else
		for (;;)
		{
			bool		isnull;

			SkipSpace(fp);
			isnull = NextIsNull(fp);
			if (sem->array_element_start)
				sem->array_element_start(sem->semstate, isnull);
			if (!FastValue(fp))
				return false;
			if (sem->array_element_end)
				sem->array_element_end(sem->semstate, isnull);
			SkipSpace(fp);
			if (fp->p >= fp->end)
				return false;
			if (*fp->p == ']')
			{
				fp->p++;
				break;
			}
			if (*fp->p != ',')
				return false;
			fp->p++;
		}
	if (sem->array_end)
		sem->array_end(sem->semstate);
	return true;
}

/* One value, white space before it skipped */
static bool
FastValue(FastParse *fp)
{
	JsonSemAction *sem = fp->sem;
	char	   *token;
	bool		ok;

	SkipSpace(fp);
	if (fp->p >= fp->end)
		return false;
	switch (*fp->p)
	{
		case '{':
		case '[':
			if (++fp->depth > fp->max_depth)
				return false;
			check_stack_depth();
			ok = *fp->p == '{' ? FastObject(fp) : FastArray(fp);
			fp->depth--;
			return ok;
		case '"':
			if ((token = FastString(fp)) == NULL)
				return false;
			if (sem->scalar)
				sem->scalar(sem->semstate, token, JSON_TOKEN_STRING);
			return true;
		case 't':
			return FastLiteral(fp, "true", JSON_TOKEN_TRUE);
		case 'f':
			return FastLiteral(fp, "false", JSON_TOKEN_FALSE);
		case 'n':
			return FastLiteral(fp, "null", JSON_TOKEN_NULL);
		default:
			if ((token = FastNumber(fp)) == NULL)
				return false;
			if (sem->scalar)
				sem->scalar(sem->semstate, token, JSON_TOKEN_NUMBER);
			return true;
	}
}

/* See json_fast.h */
bool
JsonFastParse(const char *data, int len, int max_depth, JsonSemAction *sem)
{
	FastParse	fp;

	fp.p = data;
	fp.end = data + len;
	fp.sem = sem;
	fp.depth = 0;
	fp.max_depth = max_depth;
	initStringInfo(&fp.buf);
	if (!FastValue(&fp))
		return false;
	SkipSpace(&fp);
	return fp.p == fp.end;
}
