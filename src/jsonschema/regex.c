/*
 * regex.c
 *		ECMA-262 patterns ("pattern", "patternProperties") on PostgreSQL's
 *		regex engine.
 *
 * JSON Schema patterns are ECMA-262 regular expressions.  PostgreSQL's
 * engine (Henry Spencer's AREs) agrees on most syntax; what differs is
 * rewritten here before pg_regcomp:
 *
 *	 \d \w \s (and negations)  explicit ASCII / ECMA whitespace classes
 *	 \b \B                     lookaround on [A-Za-z0-9_]
 *	 .                         any character but a line terminator
 *	 \xHH \uHHHH \u{H} \cX     \uHHHH / \UHHHHHHHH escapes
 *	 (?<name>...) \k<name>     numbered groups and back-references
 *	 {m,n} above 255           nested bounded repeats
 *	 [] [^]                    never / any character
 *
 * Anything that cannot be carried over faithfully (Unicode property
 * escapes, unknown escapes, inline flags) is refused with a message naming
 * the construct.  Compiled regexes are malloc'd by the engine, so the
 * program's memory context frees them through a reset callback.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "jsonschema/jsonschema_int.h"

#define JSV_WORD "A-Za-z0-9_"
#define JSV_SPACE "\\u0009\\u000a\\u000b\\u000c\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
#define JSV_MAX_GROUPS 100

/* Translation state */
typedef struct JsvRx
{
	const char *p;				/* next input byte */
	const char *end;
	StringInfoData out;
	char	   *err;			/* set on failure */
	int			ngroups;		/* capturing groups so far */
	bool		needs_icu;		/* uses \p{...}: classes need Unicode data */
	char	   *names[JSV_MAX_GROUPS + 1];	/* group number -> name */
} JsvRx;

/* Record a translation failure (the first one wins) */
static void
JsvRxFail(JsvRx *rx, const char *fmt,...)
{
	va_list		ap;
	char		buf[256];

	if (rx->err)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rx->err = pstrdup(buf);
}

/*
 * Translate a Unicode property escape (rx->p at 'p' or 'P') to the name of
 * the POSIX class that, under an ICU collation, is exactly that general
 * category; NULL (and a failure) for properties that have no such class.
 */
static const char *
JsvRxProperty(JsvRx *rx, bool *negated)
{
	static const struct
	{
		const char *name;
		const char *cls;
	}			props[] = {
		{"L", "alpha"}, {"Letter", "alpha"}, {"Alphabetic", "alpha"},
		{"Lu", "upper"}, {"Uppercase_Letter", "upper"},
		{"Ll", "lower"}, {"Lowercase_Letter", "lower"},
		{"Nd", "digit"}, {"Decimal_Number", "digit"}, {"digit", "digit"},
	};
	const char *close;
	int			i;

	*negated = (*rx->p == 'P');
	if (rx->p + 1 >= rx->end || rx->p[1] != '{' ||
		(close = memchr(rx->p, '}', rx->end - rx->p)) == NULL)
	{
		JsvRxFail(rx, "invalid Unicode property escape \\%c", *rx->p);
		return NULL;
	}
	for (i = 0; i < (int) lengthof(props); i++)
		if (strlen(props[i].name) == (size_t) (close - rx->p - 2) &&
			memcmp(props[i].name, rx->p + 2, close - rx->p - 2) == 0)
		{
			rx->p = close + 1;
			rx->needs_icu = true;
			return props[i].cls;
		}
	JsvRxFail(rx, "Unicode property escape \\%c{%.*s} is not supported (only L, Lu, Ll and Nd are)",
			  *rx->p, (int) (close - rx->p - 2), rx->p + 2);
	return NULL;
}

/* Read n hex digits; -1 when they are not there */
static long
JsvRxHex(JsvRx *rx, int n)
{
	long		v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		c = rx->p[i];

		if (rx->p + i >= rx->end || !isxdigit((unsigned char) c))
			return -1;
		v = v * 16 + (isdigit((unsigned char) c) ? c - '0' : (tolower((unsigned char) c) - 'a' + 10));
	}
	rx->p += n;
	return v;
}

/* Emit a code point as an ARE escape */
static void
JsvRxEmitCode(JsvRx *rx, long cp)
{
	if (cp <= 0xFFFF)
		appendStringInfo(&rx->out, "\\u%04lx", cp);
	else
		appendStringInfo(&rx->out, "\\U%08lx", cp);
}

/*
 * Translate a character escape (after the backslash) that stands for one
 * code point; returns -1 when the escape is not of that kind.
 */
static long
JsvRxCharEscape(JsvRx *rx, bool in_class)
{
	char		c = *rx->p;
	long		cp;

	switch (c)
	{
		case 't':
			rx->p++;
			return 0x09;
		case 'n':
			rx->p++;
			return 0x0a;
		case 'v':
			rx->p++;
			return 0x0b;
		case 'f':
			rx->p++;
			return 0x0c;
		case 'r':
			rx->p++;
			return 0x0d;
		case 'b':
			if (!in_class)
				return -1;
			rx->p++;
			return 0x08;
		case '0':
			if (rx->p + 1 < rx->end && isdigit((unsigned char) rx->p[1]))
				return -1;
			rx->p++;
			return 0;
		case 'c':
			if (rx->p + 1 < rx->end && isalpha((unsigned char) rx->p[1]))
			{
				cp = rx->p[1] % 32;
				rx->p += 2;
				return cp;
			}
			JsvRxFail(rx, "invalid control escape \\c");
			return 0;
		case 'x':
			rx->p++;
			cp = JsvRxHex(rx, 2);
			if (cp < 0)
				JsvRxFail(rx, "invalid escape \\x: two hex digits expected");
			return cp < 0 ? 0 : cp;
		case 'u':
			rx->p++;
			if (rx->p < rx->end && *rx->p == '{')
			{
				const char *close = memchr(rx->p, '}', rx->end - rx->p);
				char	   *endp;

				if (close == NULL)
				{
					JsvRxFail(rx, "invalid escape \\u{");
					return 0;
				}
				cp = strtol(pnstrdup(rx->p + 1, close - rx->p - 1), &endp, 16);
				if (*endp != '\0' || close == rx->p + 1 || cp > 0x10FFFF)
					JsvRxFail(rx, "invalid escape \\u{...}");
				rx->p = close + 1;
				return cp;
			}
			cp = JsvRxHex(rx, 4);
			if (cp < 0)
			{
				JsvRxFail(rx, "invalid escape \\u: four hex digits expected");
				return 0;
			}
			/* a surrogate pair written as two escapes is one code point */
			if (cp >= 0xD800 && cp <= 0xDBFF && rx->end - rx->p >= 6 &&
				rx->p[0] == '\\' && rx->p[1] == 'u')
			{
				const char *save = rx->p;
				long		lo;

				rx->p += 2;
				lo = JsvRxHex(rx, 4);
				if (lo >= 0xDC00 && lo <= 0xDFFF)
					return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				rx->p = save;
			}
			return cp;
	}
	return -1;
}

/* Translate a character class starting after '[' */
static void
JsvRxClass(JsvRx *rx)
{
	bool		negate = false;
	StringInfoData items;
	StringInfoData alts;		/* negated shorthands: [^0-9] etc. */

	initStringInfo(&items);
	initStringInfo(&alts);
	if (rx->p < rx->end && *rx->p == '^')
	{
		negate = true;
		rx->p++;
	}
	while (rx->p < rx->end && *rx->p != ']' && !rx->err)
	{
		char		c = *rx->p;

		if (c == '\\')
		{
			long		cp;

			rx->p++;
			if (rx->p >= rx->end)
				break;
			c = *rx->p;
			if (c == 'd' || c == 'w' || c == 's')
			{
				appendStringInfoString(&items, c == 'd' ? "0-9" : c == 'w' ? JSV_WORD : JSV_SPACE);
				rx->p++;
				continue;
			}
			if (c == 'D' || c == 'W' || c == 'S')
			{
				appendStringInfo(&alts, "|[^%s]", c == 'D' ? "0-9" : c == 'W' ? JSV_WORD : JSV_SPACE);
				rx->p++;
				continue;
			}
			if (c == 'p' || c == 'P')
			{
				bool		neg;
				const char *cls = JsvRxProperty(rx, &neg);

				if (cls == NULL)
					break;
				if (neg)
					appendStringInfo(&alts, "|[^[:%s:]]", cls);
				else
					appendStringInfo(&items, "[:%s:]", cls);
				continue;
			}
			cp = JsvRxCharEscape(rx, true);
			if (cp >= 0)
			{
				if (cp <= 0xFFFF)
					appendStringInfo(&items, "\\u%04lx", cp);
				else
					appendStringInfo(&items, "\\U%08lx", cp);
				continue;
			}
			if (isalnum((unsigned char) c))
			{
				JsvRxFail(rx, "unsupported escape \\%c in a character class", c);
				break;
			}
			appendStringInfo(&items, "\\%c", c);
			rx->p++;
			continue;
		}
		if (c == '[' || c == '^' || c == '\\')
		{
			appendStringInfo(&items, "\\%c", c);
			rx->p++;
			continue;
		}
		if (c == '-')
		{
			/* a dash at either end is literal; else it makes a range */
			if (items.len == 0 || rx->p + 1 >= rx->end || rx->p[1] == ']')
				appendStringInfoString(&items, "\\-");
			else
				appendStringInfoChar(&items, '-');
			rx->p++;
			continue;
		}
		/* copy one (possibly multibyte) character */
		{
			int			l = pg_mblen(rx->p);

			appendBinaryStringInfo(&items, rx->p, l);
			rx->p += l;
		}
	}
	if (rx->err)
		return;
	if (rx->p >= rx->end)
	{
		JsvRxFail(rx, "unterminated character class");
		return;
	}
	rx->p++;					/* ']' */

	if (alts.len == 0)
	{
		if (items.len == 0)
			appendStringInfoString(&rx->out, negate ? "." : "(?:(?=a)b)");
		else
			appendStringInfo(&rx->out, "[%s%s]", negate ? "^" : "", items.data);
	}
	else
	{
		char	   *u = psprintf("%s%s", items.len ? psprintf("[%s]", items.data) : "(?:(?=a)b)",
								 alts.data);

		if (negate)
			appendStringInfo(&rx->out, "(?:(?!%s).)", u);
		else
			appendStringInfo(&rx->out, "(?:%s)", u);
	}
}

/* Emit atom{lo,hi} (hi < 0: unbounded) with every bound at most 255 */
static void
JsvRxRepeat(JsvRx *rx, const char *atom, long lo, long hi)
{
	long		k;

	if (lo / 255 > 255 || (hi >= 0 && (hi - lo) / 255 > 255))
	{
		JsvRxFail(rx, "repetition count above 65025 is not supported");
		return;
	}
	if (lo >= 255)
		appendStringInfo(&rx->out, "(?:(?:%s){255}){%ld}", atom, lo / 255);
	if (lo % 255)
		appendStringInfo(&rx->out, "(?:%s){%ld}", atom, lo % 255);
	if (hi < 0)
	{
		appendStringInfo(&rx->out, "(?:%s)*", atom);
		return;
	}
	k = hi - lo;
	if (k >= 255)
		appendStringInfo(&rx->out, "(?:(?:%s){0,255}){0,%ld}", atom, k / 255);
	if (k % 255)
		appendStringInfo(&rx->out, "(?:%s){0,%ld}", atom, k % 255);
}

/* Try to read a {m}, {m,} or {m,n} quantifier; false when it is a literal */
static bool
JsvRxBraces(JsvRx *rx, long *lo, long *hi)
{
	const char *q = rx->p + 1;
	char	   *e;

	if (q >= rx->end || !isdigit((unsigned char) *q))
		return false;
	*lo = strtol(q, &e, 10);
	if (*e == '}')
	{
		*hi = *lo;
		rx->p = e + 1;
		return true;
	}
	if (*e != ',')
		return false;
	e++;
	if (*e == '}')
	{
		*hi = -1;
		rx->p = e + 1;
		return true;
	}
	if (!isdigit((unsigned char) *e))
		return false;
	*hi = strtol(e, &e, 10);
	if (*e != '}')
		return false;
	if (*hi < *lo)
	{
		JsvRxFail(rx, "numbers out of order in {} quantifier");
		return false;
	}
	rx->p = e + 1;
	return true;
}

/* Translate a whole pattern; NULL with *err set when refused */
static char *
JsvRxTranslate(const char *src, int len, bool *icu, char **err)
{
	JsvRx		rx;
	int			stack[256];		/* output offsets of open groups */
	int			depth = 0;
	int			atom = -1;		/* output offset of the last atom */

	memset(&rx, 0, sizeof(rx));
	rx.p = src;
	rx.end = src + len;
	initStringInfo(&rx.out);

	while (rx.p < rx.end && !rx.err)
	{
		char		c = *rx.p;
		int			start = rx.out.len;

		CHECK_FOR_INTERRUPTS();

		switch (c)
		{
			case '\\':
				rx.p++;
				if (rx.p >= rx.end)
				{
					JsvRxFail(&rx, "pattern ends with a backslash");
					break;
				}
				c = *rx.p;
				atom = start;
				if (c == 'd' || c == 'D')
					appendStringInfoString(&rx.out, c == 'd' ? "[0-9]" : "[^0-9]");
				else if (c == 'w' || c == 'W')
					appendStringInfo(&rx.out, "[%s" JSV_WORD "]", c == 'W' ? "^" : "");
				else if (c == 's' || c == 'S')
					appendStringInfo(&rx.out, "[%s" JSV_SPACE "]", c == 'S' ? "^" : "");
				else if (c == 'b')
				{
					appendStringInfoString(&rx.out, "(?:(?<=[" JSV_WORD "])(?![" JSV_WORD "])|(?<![" JSV_WORD "])(?=[" JSV_WORD "]))");
					atom = -1;
				}
				else if (c == 'B')
				{
					appendStringInfoString(&rx.out, "(?:(?<=[" JSV_WORD "])(?=[" JSV_WORD "])|(?<![" JSV_WORD "])(?![" JSV_WORD "]))");
					atom = -1;
				}
				else if (c == 'p' || c == 'P')
				{
					bool		neg;
					const char *cls = JsvRxProperty(&rx, &neg);

					if (cls)
						appendStringInfo(&rx.out, "[%s[:%s:]]", neg ? "^" : "", cls);
					continue;
				}
				else if (c == 'k')
				{
					const char *close = memchr(rx.p, '>', rx.end - rx.p);
					int			g;

					if (rx.p + 1 >= rx.end || rx.p[1] != '<' || close == NULL)
					{
						JsvRxFail(&rx, "invalid named back-reference \\k");
						break;
					}
					for (g = 1; g <= rx.ngroups; g++)
						if (rx.names[g] && strlen(rx.names[g]) == (size_t) (close - rx.p - 2) &&
							memcmp(rx.names[g], rx.p + 2, close - rx.p - 2) == 0)
							break;
					if (g > rx.ngroups)
					{
						JsvRxFail(&rx, "back-reference to an unknown group name");
						break;
					}
					appendStringInfo(&rx.out, "\\%d", g);
					rx.p = close;
				}
				else if (c >= '1' && c <= '9')
				{
					while (rx.p < rx.end && isdigit((unsigned char) *rx.p))
						appendStringInfo(&rx.out, "%s%c", rx.out.len == start ? "\\" : "", *rx.p++);
					continue;
				}
				else
				{
					long		cp = JsvRxCharEscape(&rx, false);

					if (cp >= 0)
					{
						JsvRxEmitCode(&rx, cp);
						continue;
					}
					if (isalnum((unsigned char) c))
					{
						JsvRxFail(&rx, "unsupported escape \\%c", c);
						break;
					}
					appendStringInfo(&rx.out, "\\%c", c);
				}
				rx.p++;
				break;
			case '.':
				appendStringInfoString(&rx.out, "[^\\u000a\\u000d\\u2028\\u2029]");
				atom = start;
				rx.p++;
				break;
			case '[':
				rx.p++;
				JsvRxClass(&rx);
				atom = start;
				break;
			case '(':
				if (depth >= 256)
				{
					JsvRxFail(&rx, "groups nested too deeply");
					break;
				}
				stack[depth++] = start;
				rx.p++;
				if (rx.p < rx.end && *rx.p == '?')
				{
					if (rx.p + 1 < rx.end && (rx.p[1] == ':' || rx.p[1] == '=' || rx.p[1] == '!'))
					{
						appendStringInfo(&rx.out, "(?%c", rx.p[1]);
						rx.p += 2;
					}
					else if (rx.p + 2 < rx.end && rx.p[1] == '<' && (rx.p[2] == '=' || rx.p[2] == '!'))
					{
						appendStringInfo(&rx.out, "(?<%c", rx.p[2]);
						rx.p += 3;
					}
					else if (rx.p + 1 < rx.end && rx.p[1] == '<')
					{
						const char *close = memchr(rx.p, '>', rx.end - rx.p);

						if (close == NULL || rx.ngroups >= JSV_MAX_GROUPS)
						{
							JsvRxFail(&rx, "invalid named group");
							break;
						}
						rx.names[++rx.ngroups] = pnstrdup(rx.p + 2, close - rx.p - 2);
						appendStringInfoChar(&rx.out, '(');
						rx.p = close + 1;
					}
					else
						JsvRxFail(&rx, "unsupported group syntax \"(?%c\"",
								  rx.p + 1 < rx.end ? rx.p[1] : ' ');
				}
				else
				{
					if (rx.ngroups < JSV_MAX_GROUPS)
						rx.names[++rx.ngroups] = NULL;
					appendStringInfoChar(&rx.out, '(');
				}
				atom = -1;
				break;
			case ')':
				if (depth == 0)
				{
					JsvRxFail(&rx, "unmatched parenthesis");
					break;
				}
				appendStringInfoChar(&rx.out, ')');
				atom = stack[--depth];
				rx.p++;
				break;
			case '{':
				{
					long		lo,
								hi;

					if (JsvRxBraces(&rx, &lo, &hi))
					{
						if (rx.p < rx.end && *rx.p == '?')
							rx.p++;		/* laziness does not change a match */
						if (atom < 0)
						{
							JsvRxFail(&rx, "nothing to repeat");
							break;
						}
						if (lo > 255 || hi > 255)
						{
							char	   *a = pstrdup(rx.out.data + atom);

							if (strchr(a, '(') && strstr(a, "(?") != a)
							{
								JsvRxFail(&rx, "repetition above 255 of a capturing group is not supported");
								break;
							}
							rx.out.len = atom;
							rx.out.data[atom] = '\0';
							JsvRxRepeat(&rx, a, lo, hi);
						}
						else if (hi < 0)
							appendStringInfo(&rx.out, "{%ld,}", lo);
						else
							appendStringInfo(&rx.out, "{%ld,%ld}", lo, hi);
						atom = -1;
						break;
					}
					if (rx.err)
						break;
					appendStringInfoString(&rx.out, "\\{");
					atom = start;
					rx.p++;
					break;
				}
			case '}':
			case ']':
				appendStringInfo(&rx.out, "\\%c", c);
				atom = start;
				rx.p++;
				break;
			case '*':
			case '+':
			case '?':
				if (atom < 0)
				{
					JsvRxFail(&rx, "nothing to repeat");
					break;
				}
				appendStringInfoChar(&rx.out, c);
				rx.p++;
				if (rx.p < rx.end && *rx.p == '?')
					rx.p++;		/* laziness does not change a match */
				atom = -1;
				break;
			case '|':
			case '^':
			case '$':
				appendStringInfoChar(&rx.out, c);
				atom = -1;
				rx.p++;
				break;
			default:
				{
					int			l = pg_mblen(rx.p);

					appendBinaryStringInfo(&rx.out, rx.p, l);
					atom = start;
					rx.p += l;
				}
		}
	}
	if (!rx.err && depth > 0)
		JsvRxFail(&rx, "unmatched parenthesis");
	if (rx.err)
	{
		*err = rx.err;
		return NULL;
	}
	*icu = rx.needs_icu;
	return rx.out.data;
}

/* Free the engine's malloc'd regexes when the program goes away */
static void
JsvRegexFreeAll(void *arg)
{
	JsonSchema *prog = arg;
	ListCell   *lc;

	foreach(lc, prog->regexes)
		pg_regfree(&((JsvRegex *) lfirst(lc))->re);
	prog->regexes = NIL;
}

/* Compile a translated pattern; false with *err set on failure */
static bool
JsvRegexBuild(regex_t *re, const char *are, bool icu, char **err)
{
	Oid			coll = C_COLLATION_OID;
	int			alen = strlen(are);
	pg_wchar   *w = palloc((alen + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(are, w, alen);
	int			rc;

	/* \p{...} classes are ICU's general categories */
	if (icu)
	{
		coll = get_collation_oid(list_make1(makeString("und-x-icu")), true);
		if (!OidIsValid(coll))
		{
			*err = pstrdup("Unicode property escapes need the ICU collation \"und-x-icu\"");
			return false;
		}
	}
	rc = pg_regcomp(re, w, wlen, REG_ADVANCED | REG_NOSUB, coll);
	pfree(w);
	if (rc != REG_OKAY)
	{
		char		buf[256];

		pg_regerror(rc, re, buf, sizeof(buf));
		*err = pstrdup(buf);
		return false;
	}
	return true;
}

/* Translate and compile an ECMA-262 pattern into the program */
JsvRegex *
JsvRegexCompile(JsonSchema *prog, const char *pattern, int len, char **err)
{
	/* jsonb strings are not terminated: the scanners rely on a final NUL */
	const char *src = pnstrdup(pattern, len);
	bool		icu = false;
	char	   *are = JsvRxTranslate(src, len, &icu, err);
	JsvRegex   *r;
	MemoryContext old;

	if (are == NULL)
		return NULL;
	r = MemoryContextAllocZero(prog->mcxt, sizeof(JsvRegex));
	if (!JsvRegexBuild(&r->re, are, icu, err))
		return NULL;
	old = MemoryContextSwitchTo(prog->mcxt);
	if (prog->regexes == NIL)
	{
		MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));

		cb->func = JsvRegexFreeAll;
		cb->arg = prog;
		MemoryContextRegisterResetCallback(prog->mcxt, cb);
	}
	prog->regexes = lappend(prog->regexes, r);
	r->source = pnstrdup(src, len);
	r->simple = JsvSimpleCompile(src, len);
	MemoryContextSwitchTo(old);
	return r;
}

/* True when the pattern is a valid, supported ECMA-262 regex (format "regex") */
bool
JsvRegexValid(const char *pattern, int len)
{
	const char *src = pnstrdup(pattern, len);
	char	   *err = NULL;
	bool		icu = false;
	char	   *are = JsvRxTranslate(src, len, &icu, &err);
	regex_t		re;

	if (are == NULL)
		return false;
	if (!JsvRegexBuild(&re, are, icu, &err))
	{
		/* the engine gives up when a cancel is pending: not "invalid" */
		CHECK_FOR_INTERRUPTS();
		return false;
	}
	pg_regfree(&re);
	return true;
}
