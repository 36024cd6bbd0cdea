/*
 * regex_simple.c
 *		A byte matcher for the simple patterns contracts are made of.
 *
 * Patterns such as ^TKT-[0-9]{8}-[0-9]{6}$ are sequences of ASCII
 * literals and positive ASCII classes with quantifiers, optionally
 * anchored.  For those the general engine's cost (widening the subject to
 * pg_wchar, allocating match state) dominates validation, so they are
 * also compiled into this form and matched byte by byte.  That is exact:
 * an ASCII atom can never match part of a multibyte UTF-8 character,
 * since every byte of one has the high bit set.  Anything else -- groups,
 * alternation, ".", negated classes, non-ASCII -- is left to the engine,
 * and so is a match that would backtrack too long.
 *
 * JsvRegexMatch, the one entry point for matching, lives here too.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "jsonschema/jsonschema_int.h"

#define JSV_SIMPLE_MAX_ITEMS 64
#define JSV_SIMPLE_BUDGET 1000000
#define JSV_WBUF_KEEP 65536		/* longest subject whose buffer is kept */

/* One atom with its repeat bounds */
typedef struct JsvSimpleItem
{
	uint8		set[32];		/* bytes the atom matches */
	int			min;
	int			max;			/* -1: unbounded */
} JsvSimpleItem;

struct JsvSimple
{
	bool		anchor_start;
	bool		anchor_end;
	int			nitems;
	JsvSimpleItem items[FLEXIBLE_ARRAY_MEMBER];
};

/* Add byte c to a set */
static inline void
JsvSetAdd(uint8 *set, int c)
{
	set[c >> 3] |= (uint8) (1 << (c & 7));
}

/* Add the bytes of \d or \w to a set */
static void
JsvSetShorthand(uint8 *set, char c)
{
	int			i;

	for (i = '0'; i <= '9'; i++)
		JsvSetAdd(set, i);
	if (c == 'w')
	{
		for (i = 'a'; i <= 'z'; i++)
			JsvSetAdd(set, i);
		for (i = 'A'; i <= 'Z'; i++)
			JsvSetAdd(set, i);
		JsvSetAdd(set, '_');
	}
}

/* Read one class member (possibly escaped); -1 when unsupported */
static int
JsvSimpleClassChar(const char **p, const char *end)
{
	unsigned char c = **p;

	if (c == '\\')
	{
		(*p)++;
		if (*p >= end)
			return -1;
		c = **p;
		if (isalnum(c))
			return -1;
	}
	if (c >= 0x80)
		return -1;
	(*p)++;
	return c;
}

/* Compile a pattern into the simple form, or NULL when it is not simple */
JsvSimple *
JsvSimpleCompile(const char *src, int len)
{
	const char *p = src;
	const char *end = src + len;
	JsvSimple  *s = palloc0(offsetof(JsvSimple, items) +
							sizeof(JsvSimpleItem) * JSV_SIMPLE_MAX_ITEMS);

	if (p < end && *p == '^')
	{
		s->anchor_start = true;
		p++;
	}
	while (p < end)
	{
		JsvSimpleItem *it;
		unsigned char c = *p;

		if (c == '$' && p + 1 == end)
		{
			s->anchor_end = true;
			break;
		}
		if (s->nitems >= JSV_SIMPLE_MAX_ITEMS)
			return NULL;
		it = &s->items[s->nitems++];
		it->min = it->max = 1;
		if (c == '\\')
		{
			p++;
			if (p >= end)
				return NULL;
			c = *p;
			if (c == 'd' || c == 'w')
				JsvSetShorthand(it->set, c);
			else if (!isalnum(c) && c < 0x80)
				JsvSetAdd(it->set, c);
			else
				return NULL;
			p++;
		}
		else if (c == '[')
		{
			p++;
			if (p < end && *p == '^')
				return NULL;
			while (p < end && *p != ']')
			{
				int			lo,
							hi,
							i;

				if (p + 1 < end && p[0] == '\\' && (p[1] == 'd' || p[1] == 'w'))
				{
					JsvSetShorthand(it->set, p[1]);
					p += 2;
					continue;
				}
				lo = JsvSimpleClassChar(&p, end);
				if (lo < 0)
					return NULL;
				hi = lo;
				if (p + 1 < end && *p == '-' && p[1] != ']')
				{
					p++;
					hi = JsvSimpleClassChar(&p, end);
					if (hi < lo)
						return NULL;
				}
				for (i = lo; i <= hi; i++)
					JsvSetAdd(it->set, i);
			}
			if (p >= end)
				return NULL;
			p++;
		}
		else if (c >= 0x80 || strchr(".[]()*+?{}|^$", c))
			return NULL;
		else
		{
			JsvSetAdd(it->set, c);
			p++;
		}

		/* quantifier */
		if (p < end && (*p == '*' || *p == '+' || *p == '?'))
		{
			it->min = (*p == '+') ? 1 : 0;
			it->max = (*p == '?') ? 1 : -1;
			p++;
		}
		else if (p < end && *p == '{')
		{
			char	   *e;

			if (p + 1 >= end || !isdigit((unsigned char) p[1]))
				return NULL;
			it->min = (int) Min(strtol(p + 1, &e, 10), 100000);
			if (it->min >= 100000)
				return NULL;	/* let the engine refuse it */
			if (*e == '}')
				it->max = it->min;
			else if (*e == ',' && e[1] == '}')
			{
				it->max = -1;
				e++;
			}
			else if (*e == ',' && isdigit((unsigned char) e[1]))
			{
				it->max = (int) Min(strtol(e + 1, &e, 10), 100000);
				if (*e != '}' || it->max < it->min || it->max >= 100000)
					return NULL;
			}
			else
				return NULL;
			if (e >= end)
				return NULL;
			p = e + 1;
		}
		if (p < end && *p == '?')
			p++;				/* laziness does not change a match */
		if (p < end && (*p == '*' || *p == '+' || *p == '?' || *p == '{'))
			return NULL;
	}
	return s;
}

/*
 * Match items[i..] at pos; -1 when the budget ran out.  Calls and bytes
 * scanned both spend it, so a match takes a few milliseconds at most
 * before a long subject that backtracks goes to the engine (which checks
 * interrupts itself).
 */
static int
JsvSimpleAt(const JsvSimple *s, int i, const unsigned char *str, int pos, int len,
			int *budget)
{
	const JsvSimpleItem *it;
	int			k = 0;
	int			limit;

	if (--(*budget) < 0)
		return -1;
	if (i == s->nitems)
		return (!s->anchor_end || pos == len) ? 1 : 0;
	it = &s->items[i];
	limit = (it->max < 0) ? len - pos : Min(it->max, len - pos);
	while (k < limit && (it->set[str[pos + k] >> 3] & (1 << (str[pos + k] & 7))))
		k++;
	*budget -= k;				/* checked by the next call */
	if (k < it->min)
		return 0;
	if (it->min == it->max)
		return JsvSimpleAt(s, i + 1, str, pos + k, len, budget);
	for (; k >= it->min; k--)
	{
		int			r = JsvSimpleAt(s, i + 1, str, pos + k, len, budget);

		if (r != 0)
			return r;
	}
	return 0;
}

/* Search str for a match: 1 yes, 0 no, -1 undecided (too much backtracking) */
int
JsvSimpleMatch(const JsvSimple *s, const char *str, int len)
{
	int			budget = JSV_SIMPLE_BUDGET;
	int			start;

	for (start = 0; start <= len; start++)
	{
		int			r = JsvSimpleAt(s, 0, (const unsigned char *) str, start, len, &budget);

		if (r != 0)
			return r;
		if (s->anchor_start)
			break;
	}
	return 0;
}

/* Search a string for a match (unanchored, as ECMA-262 test() does) */
bool
JsvRegexMatch(JsonSchema *prog, JsvRegex *r, const char *s, int len)
{
	pg_wchar   *wbuf;
	int			wlen;
	int			rc;

	if (r->simple)
	{
		rc = JsvSimpleMatch(r->simple, s, len);
		if (rc >= 0)
			return rc == 1;
	}

	/*
	 * Widen the string into a buffer kept by the program; a huge string gets
	 * a buffer of its own instead, so the program does not hold on to it.
	 */
	if (len + 1 > JSV_WBUF_KEEP)
		wbuf = palloc((len + 1) * sizeof(pg_wchar));
	else
	{
		if (prog->wbuf_cap < len + 1)
		{
			int			cap = Max(len + 1, 256);

			if (prog->wbuf)
				pfree(prog->wbuf);
			prog->wbuf = MemoryContextAlloc(prog->mcxt, cap * sizeof(pg_wchar));
			prog->wbuf_cap = cap;
		}
		wbuf = prog->wbuf;
	}
	wlen = pg_mb2wchar_with_len(s, wbuf, len);
	rc = pg_regexec(&r->re, wbuf, wlen, 0, NULL, 0, NULL, 0);
	if (wbuf != prog->wbuf)
		pfree(wbuf);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	/* the engine gives up when a cancel is pending: serve it first */
	CHECK_FOR_INTERRUPTS();
	{
		char		buf[256];

		pg_regerror(rc, &r->re, buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", buf)));
	}
	return false;
}
