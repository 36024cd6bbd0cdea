/*
 * format.c
 *		Syntax checks for the "format" keyword (used only when asserting).
 *
 * Every checker reads the string in place, allocates nothing and accepts
 * ASCII digits only where a grammar says DIGIT.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "jsonschema/jsonschema_int.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))

/* Map a format name to its checker */
JsvFormat
JsvFormatLookup(const char *name, int len)
{
	static const struct
	{
		const char *name;
		JsvFormat	fmt;
	}			formats[] = {
		{"date-time", JSV_FMT_DATE_TIME},
		{"date", JSV_FMT_DATE},
		{"time", JSV_FMT_TIME},
		{"duration", JSV_FMT_DURATION},
		{"email", JSV_FMT_EMAIL},
		{"idn-email", JSV_FMT_IDN_EMAIL},
		{"hostname", JSV_FMT_HOSTNAME},
		{"idn-hostname", JSV_FMT_IDN_HOSTNAME},
		{"ipv4", JSV_FMT_IPV4},
		{"ipv6", JSV_FMT_IPV6},
		{"uri", JSV_FMT_URI},
		{"uri-reference", JSV_FMT_URI_REFERENCE},
		{"iri", JSV_FMT_IRI},
		{"iri-reference", JSV_FMT_IRI_REFERENCE},
		{"uri-template", JSV_FMT_URI_TEMPLATE},
		{"uuid", JSV_FMT_UUID},
		{"json-pointer", JSV_FMT_JSON_POINTER},
		{"relative-json-pointer", JSV_FMT_RELATIVE_JSON_POINTER},
		{"regex", JSV_FMT_REGEX},
	};
	int			i;

	for (i = 0; i < (int) lengthof(formats); i++)
		if (strlen(formats[i].name) == (size_t) len &&
			memcmp(formats[i].name, name, len) == 0)
			return formats[i].fmt;
	return JSV_FMT_UNKNOWN;
}

/* Read exactly n ASCII digits as a number; -1 if they are not there */
static int
JsvDigits(const char *s, int len, int pos, int n)
{
	int			v = 0;
	int			i;

	if (pos + n > len)
		return -1;
	for (i = 0; i < n; i++)
	{
		if (!IS_DIGIT(s[pos + i]))
			return -1;
		v = v * 10 + (s[pos + i] - '0');
	}
	return v;
}

/* RFC 3339 full-date: YYYY-MM-DD with a real day of month */
static bool
JsvCheckDate(const char *s, int len)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y = JsvDigits(s, len, 0, 4);
	int			m = JsvDigits(s, len, 5, 2);
	int			d = JsvDigits(s, len, 8, 2);
	bool		leap;

	if (len != 10 || y < 0 || m < 1 || m > 12 || d < 1 || s[4] != '-' || s[7] != '-')
		return false;
	if (d > mdays[m - 1])
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

/* RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM), leap seconds at 23:59 UTC */
static bool
JsvCheckTime(const char *s, int len)
{
	int			h = JsvDigits(s, len, 0, 2);
	int			mi = JsvDigits(s, len, 3, 2);
	int			se = JsvDigits(s, len, 6, 2);
	int			p = 8;
	int			oh = 0,
				om = 0,
				sign = 0;

	if (h < 0 || mi < 0 || se < 0 || s[2] != ':' || s[5] != ':')
		return false;
	if (h > 23 || mi > 59 || se > 60)
		return false;
	if (p < len && s[p] == '.')
	{
		p++;
		if (p >= len || !IS_DIGIT(s[p]))
			return false;
		while (p < len && IS_DIGIT(s[p]))
			p++;
	}
	if (p >= len)
		return false;
	if (s[p] == 'Z' || s[p] == 'z')
		p++;
	else if (s[p] == '+' || s[p] == '-')
	{
		sign = s[p] == '+' ? 1 : -1;
		oh = JsvDigits(s, len, p + 1, 2);
		om = JsvDigits(s, len, p + 4, 2);
		if (oh < 0 || om < 0 || s[p + 3] != ':' || oh > 23 || om > 59)
			return false;
		p += 6;
	}
	else
		return false;
	if (p != len)
		return false;
	if (se == 60)
	{
		/* a leap second happens at 23:59:60 UTC only */
		int			utc = ((h * 60 + mi) - sign * (oh * 60 + om) + 1440) % 1440;

		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

/* RFC 3339 date-time */
static bool
JsvCheckDateTime(const char *s, int len)
{
	if (len < 20 || (s[10] != 'T' && s[10] != 't'))
		return false;
	return JsvCheckDate(s, 10) && JsvCheckTime(s + 11, len - 11);
}

/* ISO 8601 duration as in RFC 3339 appendix A */
static bool
JsvCheckDuration(const char *s, int len)
{
	const char *dateu = "YMD";
	const char *timeu = "HMS";
	int			p = 1;
	int			next = 0;		/* next allowed unit index */
	bool		any = false;
	bool		in_time = false;

	if (len < 2 || s[0] != 'P')
		return false;
	while (p < len)
	{
		const char *u;
		const char *hit;
		int			d0 = p;

		if (s[p] == 'T')
		{
			if (in_time)
				return false;
			in_time = true;
			next = 0;
			p++;
			if (p >= len)
				return false;
			continue;
		}
		while (p < len && IS_DIGIT(s[p]))
			p++;
		if (p == d0 || p >= len)
			return false;
		if (s[p] == 'W')
		{
			/* weeks stand alone */
			return !any && !in_time && p + 1 == len;
		}
		u = in_time ? timeu : dateu;
		hit = strchr(u, s[p]);
		if (hit == NULL || s[p] == '\0' || hit - u < next)
			return false;
		/* components are contiguous: Y then M then D, no skipping */
		if (next > 0 && hit - u != next)
			return false;
		next = hit - u + 1;
		any = true;
		p++;
	}
	return any && !(in_time && next == 0);
}

/* RFC 1123 host name */
static bool
JsvCheckHostname(const char *s, int len)
{
	int			i = 0;

	if (len == 0 || len > 253)
		return false;
	while (i < len)
	{
		int			start = i;

		while (i < len && s[i] != '.')
		{
			unsigned char c = s[i];

			if (!(IS_ALPHA(c) || IS_DIGIT(c) || c == '-'))
				return false;
			i++;
		}
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		/* "--" in positions 3-4 is reserved for A-labels ("xn--") */
		if (i - start >= 4 && s[start + 2] == '-' && s[start + 3] == '-' &&
			!(pg_strncasecmp(s + start, "xn", 2) == 0))
			return false;
		if (i - start >= 4 && pg_strncasecmp(s + start, "xn--", 4) == 0 && i - start < 6)
			return false;
		if (i < len)
		{
			i++;
			if (i == len)
				return false;	/* trailing dot */
		}
	}
	return true;
}

/* Dotted-quad IPv4 address without leading zeros */
static bool
JsvCheckIpv4(const char *s, int len)
{
	int			p = 0;
	int			part;

	for (part = 0; part < 4; part++)
	{
		int			v = 0,
					d = 0;

		if (part > 0)
		{
			if (p >= len || s[p] != '.')
				return false;
			p++;
		}
		while (p < len && IS_DIGIT(s[p]) && d < 4)
		{
			v = v * 10 + (s[p] - '0');
			p++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255 || (d > 1 && s[p - d] == '0'))
			return false;
	}
	return p == len;
}

/* RFC 4291 IPv6 address text */
static bool
JsvCheckIpv6(const char *s, int len)
{
	int			groups = 0;
	bool		compressed = false;
	int			p = 0;

	if (len < 2)
		return false;
	if (s[0] == ':')
	{
		if (s[1] != ':')
			return false;
		compressed = true;
		p = 2;
		if (p == len)
			return true;
	}
	while (p < len)
	{
		int			start = p;

		while (p < len && IS_HEX(s[p]) && p - start < 5)
			p++;
		if (p < len && s[p] == '.')
		{
			/* embedded IPv4 in the last 32 bits */
			if (!JsvCheckIpv4(s + start, len - start))
				return false;
			groups += 2;
			p = len;
			break;
		}
		if (p == start || p - start > 4)
			return false;
		groups++;
		if (p == len)
			break;
		if (s[p] != ':')
			return false;
		p++;
		if (p < len && s[p] == ':')
		{
			if (compressed)
				return false;
			compressed = true;
			p++;
			if (p == len)
				break;
		}
		else if (p == len)
			return false;
	}
	return compressed ? groups < 8 : groups == 8;
}

/* RFC 3986 characters allowed in URI components (plus "%" escapes) */
static bool
JsvUriChar(unsigned char c, const char *extra, bool iri)
{
	if (IS_ALPHA(c) || IS_DIGIT(c) || strchr("-._~!$&'()*+,;=:@", c))
		return c != '\0';
	if (c >= 0x80)
		return iri;
	return c != '\0' && strchr(extra, c) != NULL;
}

/* Check a run of URI characters with valid percent-escapes */
static bool
JsvUriRun(const char *s, int from, int to, const char *extra, bool iri)
{
	int			i;

	for (i = from; i < to; i++)
	{
		if (s[i] == '%')
		{
			if (i + 2 >= to)
				return false;
			if (!IS_HEX(s[i + 1]) || !IS_HEX(s[i + 2]))
				return false;
			i += 2;
		}
		else if (!JsvUriChar((unsigned char) s[i], extra, iri))
			return false;
	}
	return true;
}

/* RFC 3986 URI or relative reference (need_scheme: absolute URI) */
static bool
JsvCheckUri(const char *s, int len, bool need_scheme, bool iri)
{
	int			p = 0;
	int			e;
	bool		scheme = false;

	/* scheme */
	if (len > 0 && IS_ALPHA(s[0]))
	{
		e = 1;
		while (e < len && (IS_ALPHA(s[e]) || IS_DIGIT(s[e]) || s[e] == '+' || s[e] == '-' || s[e] == '.'))
			e++;
		if (e < len && s[e] == ':')
		{
			scheme = true;
			p = e + 1;
		}
	}
	if (need_scheme && !scheme)
		return false;
	/* authority */
	if (p + 1 < len && s[p] == '/' && s[p + 1] == '/')
	{
		int			a = p + 2;
		int			at = -1;
		int			h;
		int			i;

		e = a;
		while (e < len && s[e] != '/' && s[e] != '?' && s[e] != '#')
			e++;
		for (i = a; i < e && at < 0; i++)
			if (s[i] == '@')
				at = i;
		if (at >= 0 && !JsvUriRun(s, a, at, "", iri))
			return false;
		h = at >= 0 ? at + 1 : a;
		if (h < e && s[h] == '[')
		{
			int			close = h;

			while (close < e && s[close] != ']')
				close++;
			if (close >= e)
				return false;
			if (s[h + 1] == 'v' || s[h + 1] == 'V')
			{
				/* IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
				int			q = h + 2;

				while (q < close && IS_HEX(s[q]))
					q++;
				if (q == h + 2 || q >= close || s[q] != '.' || q + 1 >= close)
					return false;
				for (q++; q < close; q++)
					if (!JsvUriChar((unsigned char) s[q], "", false) || s[q] == '@')
						return false;
			}
			else if (!JsvCheckIpv6(s + h + 1, close - h - 1))
				return false;
			h = close + 1;
		}
		else
		{
			while (h < e && s[h] != ':')
			{
				if (s[h] == '%')
				{
					if (h + 2 >= e || !IS_HEX(s[h + 1]) || !IS_HEX(s[h + 2]))
						return false;
					h += 2;
				}
				else if (!JsvUriChar((unsigned char) s[h], "", iri) || s[h] == '@')
					return false;
				h++;
			}
		}
		if (h < e)
		{
			if (s[h] != ':')
				return false;
			for (h++; h < e; h++)
				if (!IS_DIGIT(s[h]))
					return false;
		}
		p = e;
	}
	else if (!scheme)
	{
		/* a relative path's first segment may not contain ':' */
		e = p;
		while (e < len && s[e] != '/' && s[e] != '?' && s[e] != '#')
		{
			if (s[e] == ':')
				return false;
			e++;
		}
	}
	/* path */
	e = p;
	while (e < len && s[e] != '?' && s[e] != '#')
		e++;
	if (!JsvUriRun(s, p, e, "/", iri))
		return false;
	p = e;
	/* query */
	if (p < len && s[p] == '?')
	{
		e = p + 1;
		while (e < len && s[e] != '#')
			e++;
		if (!JsvUriRun(s, p + 1, e, "/?", iri))
			return false;
		p = e;
	}
	/* fragment */
	if (p < len && s[p] == '#')
	{
		if (!JsvUriRun(s, p + 1, len, "/?", iri))
			return false;
	}
	return true;
}

/* RFC 5321-ish mailbox: dot-atom or quoted local part, host or address literal */
static bool
JsvCheckEmail(const char *s, int len, bool idn)
{
	int			at = -1;
	int			i;

	if (len > 0 && s[0] == '"')
	{
		for (i = 1; i < len && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		if (i >= len - 1 || s[i + 1] != '@')
			return false;
		at = i + 1;
	}
	else
	{
		for (i = 0; i < len; i++)
		{
			unsigned char c = s[i];

			if (c == '@')
			{
				at = i;
				break;
			}
			if (!(IS_ALPHA(c) || IS_DIGIT(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) ||
				  (idn && c >= 0x80)) || c == '\0')
				return false;
			if (c == '.' && (i == 0 || s[i - 1] == '.'))
				return false;
		}
		if (at <= 0 || s[at - 1] == '.')
			return false;
	}
	if (at < 0 || at + 1 >= len)
		return false;
	s += at + 1;
	len -= at + 1;
	if (s[0] == '[')
	{
		if (s[len - 1] != ']')
			return false;
		if (len > 6 && strncmp(s + 1, "IPv6:", 5) == 0)
			return JsvCheckIpv6(s + 6, len - 7);
		return JsvCheckIpv4(s + 1, len - 2);
	}
	if (idn)
	{
		for (i = 0; i < len; i++)
			if ((unsigned char) s[i] < 0x80 &&
				!(IS_ALPHA(s[i]) || IS_DIGIT(s[i]) || s[i] == '-' || s[i] == '.'))
				return false;
		return true;
	}
	return JsvCheckHostname(s, len);
}

/* 8-4-4-4-12 hex digits */
static bool
JsvCheckUuid(const char *s, int len)
{
	int			i;

	if (len != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!IS_HEX(s[i]))
			return false;
	}
	return true;
}

/* RFC 6901 JSON pointer */
static bool
JsvCheckJsonPointer(const char *s, int len)
{
	int			i;

	if (len > 0 && s[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '~' && (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1')))
			return false;
	return true;
}

/* Relative JSON pointer: non-negative integer, then "#" or a JSON pointer */
static bool
JsvCheckRelativePointer(const char *s, int len)
{
	int			p = 0;

	while (p < len && IS_DIGIT(s[p]))
		p++;
	if (p == 0 || (s[0] == '0' && p > 1))
		return false;
	if (p < len && s[p] == '#')
		return p + 1 == len;
	return JsvCheckJsonPointer(s + p, len - p);
}

/* RFC 6570 varname: varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded */
static int
JsvTemplateVarname(const char *s, int p, int end)
{
	bool		need = true;	/* a varchar must come next */

	while (p < end)
	{
		if (IS_ALPHA(s[p]) || IS_DIGIT(s[p]) || s[p] == '_')
			p++;
		else if (s[p] == '%' && p + 2 < end && IS_HEX(s[p + 1]) && IS_HEX(s[p + 2]))
			p += 3;
		else if (s[p] == '.' && !need)
		{
			p++;
			need = true;
			continue;
		}
		else
			break;
		need = false;
	}
	return need ? -1 : p;
}

/* RFC 6570 URI template (level 4 syntax) */
static bool
JsvCheckUriTemplate(const char *s, int len)
{
	int			p = 0;

	while (p < len)
	{
		unsigned char c = s[p];

		if (c == '{')
		{
			int			close = p + 1;

			while (close < len && s[close] != '}')
				close++;
			if (close >= len)
				return false;
			p++;
			if (p < close && strchr("+#./;?&", s[p]))
				p++;
			for (;;)
			{
				p = JsvTemplateVarname(s, p, close);
				if (p < 0)
					return false;
				if (p < close && s[p] == '*')
					p++;
				else if (p < close && s[p] == ':')
				{
					int			d = 0;

					p++;
					if (p >= close || s[p] < '1' || s[p] > '9')
						return false;
					while (p < close && IS_DIGIT(s[p]) && d < 5)
					{
						p++;
						d++;
					}
					if (d > 4)
						return false;
				}
				if (p < close && s[p] == ',')
				{
					p++;
					continue;
				}
				break;
			}
			if (p != close)
				return false;
			p = close + 1;
		}
		else if (c == '%')
		{
			if (p + 2 >= len || !IS_HEX(s[p + 1]) || !IS_HEX(s[p + 2]))
				return false;
			p += 3;
		}
		else if (c <= 0x20 || c == 0x7F || strchr("\"<>\\^`|}", c))
			return false;
		else
			p++;
	}
	return true;
}

/* Check a string against a known format */
bool
JsvFormatCheck(JsvFormat fmt, const char *s, int len)
{
	/* each check is one pass over the string, which may be long */
	CHECK_FOR_INTERRUPTS();
	switch (fmt)
	{
		case JSV_FMT_DATE_TIME:
			return JsvCheckDateTime(s, len);
		case JSV_FMT_DATE:
			return JsvCheckDate(s, len);
		case JSV_FMT_TIME:
			return JsvCheckTime(s, len);
		case JSV_FMT_DURATION:
			return JsvCheckDuration(s, len);
		case JSV_FMT_EMAIL:
			return JsvCheckEmail(s, len, false);
		case JSV_FMT_IDN_EMAIL:
			return JsvCheckEmail(s, len, true);
		case JSV_FMT_HOSTNAME:
			return JsvCheckHostname(s, len);
		case JSV_FMT_IPV4:
			return JsvCheckIpv4(s, len);
		case JSV_FMT_IPV6:
			return JsvCheckIpv6(s, len);
		case JSV_FMT_URI:
			return JsvCheckUri(s, len, true, false);
		case JSV_FMT_URI_REFERENCE:
			return JsvCheckUri(s, len, false, false);
		case JSV_FMT_IRI:
			return JsvCheckUri(s, len, true, true);
		case JSV_FMT_IRI_REFERENCE:
			return JsvCheckUri(s, len, false, true);
		case JSV_FMT_URI_TEMPLATE:
			return JsvCheckUriTemplate(s, len);
		case JSV_FMT_UUID:
			return JsvCheckUuid(s, len);
		case JSV_FMT_JSON_POINTER:
			return JsvCheckJsonPointer(s, len);
		case JSV_FMT_RELATIVE_JSON_POINTER:
			return JsvCheckRelativePointer(s, len);
		case JSV_FMT_REGEX:
			return JsvRegexValid(s, len);
		case JSV_FMT_IDN_HOSTNAME:
		case JSV_FMT_NONE:
		case JSV_FMT_UNKNOWN:
			return true;
	}
	return true;
}
