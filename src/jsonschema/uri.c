/*
 * uri.c
 *		URI reference resolution (RFC 3986, section 5.2) for $id and $ref.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "jsonschema/jsonschema_int.h"

/* The five components of a URI reference; NULL when undefined */
typedef struct JsvUri
{
	char	   *scheme;
	char	   *authority;
	char	   *path;			/* never NULL */
	char	   *query;
	char	   *fragment;
} JsvUri;

/* Split a URI reference into its components */
static void
JsvUriParse(const char *s, JsvUri *u)
{
	const char *p = s;
	const char *e;

	memset(u, 0, sizeof(*u));
	if (isalpha((unsigned char) *p))
	{
		e = p;
		while (isalnum((unsigned char) *e) || *e == '+' || *e == '-' || *e == '.')
			e++;
		if (*e == ':')
		{
			u->scheme = pnstrdup(p, e - p);
			p = e + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/')
	{
		p += 2;
		e = p + strcspn(p, "/?#");
		u->authority = pnstrdup(p, e - p);
		p = e;
	}
	e = p + strcspn(p, "?#");
	u->path = pnstrdup(p, e - p);
	p = e;
	if (*p == '?')
	{
		p++;
		e = p + strcspn(p, "#");
		u->query = pnstrdup(p, e - p);
		p = e;
	}
	if (*p == '#')
		u->fragment = pstrdup(p + 1);
}

/* Remove "." and ".." segments from a path (RFC 3986, 5.2.4) */
static char *
JsvRemoveDots(const char *in)
{
	StringInfoData out;
	const char *p = in;

	initStringInfo(&out);
	while (*p)
	{
		if (strncmp(p, "../", 3) == 0)
			p += 3;
		else if (strncmp(p, "./", 2) == 0)
			p += 2;
		else if (strncmp(p, "/./", 3) == 0)
			p += 2;
		else if (strcmp(p, "/.") == 0)
		{
			appendStringInfoChar(&out, '/');
			break;
		}
		else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0)
		{
			char	   *slash;

			slash = strrchr(out.data, '/');
			if (slash)
			{
				*slash = '\0';
				out.len = slash - out.data;
			}
			else
				resetStringInfo(&out);
			if (p[3] == '\0')
			{
				appendStringInfoChar(&out, '/');
				break;
			}
			p += 3;
		}
		else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
			break;
		else
		{
			const char *e = p;

			if (*e == '/')
				e++;
			e += strcspn(e, "/");
			appendBinaryStringInfo(&out, p, e - p);
			p = e;
		}
	}
	return out.data;
}

/* Merge a relative path with the base's (RFC 3986, 5.2.3) */
static char *
JsvMergePaths(const JsvUri *base, const char *path)
{
	const char *slash;

	if (base->authority != NULL && base->path[0] == '\0')
		return psprintf("/%s", path);
	slash = strrchr(base->path, '/');
	if (slash == NULL)
		return pstrdup(path);
	return psprintf("%.*s%s", (int) (slash - base->path + 1), base->path, path);
}

/* Resolve a URI reference against a base URI */
char *
JsvUriResolve(const char *base, const char *ref)
{
	JsvUri		b,
				r,
				t;
	StringInfoData out;

	JsvUriParse(base ? base : "", &b);
	JsvUriParse(ref, &r);
	memset(&t, 0, sizeof(t));
	if (r.scheme)
	{
		t = r;
		t.path = JsvRemoveDots(r.path);
	}
	else
	{
		if (r.authority)
		{
			t.authority = r.authority;
			t.path = JsvRemoveDots(r.path);
			t.query = r.query;
		}
		else
		{
			if (r.path[0] == '\0')
			{
				t.path = b.path;
				t.query = r.query ? r.query : b.query;
			}
			else
			{
				if (r.path[0] == '/')
					t.path = JsvRemoveDots(r.path);
				else
					t.path = JsvRemoveDots(JsvMergePaths(&b, r.path));
				t.query = r.query;
			}
			t.authority = b.authority;
		}
		t.scheme = b.scheme;
		t.fragment = r.fragment;
	}

	initStringInfo(&out);
	if (t.scheme)
		appendStringInfo(&out, "%s:", t.scheme);
	if (t.authority)
		appendStringInfo(&out, "//%s", t.authority);
	appendStringInfoString(&out, t.path);
	if (t.query)
		appendStringInfo(&out, "?%s", t.query);
	if (t.fragment)
		appendStringInfo(&out, "#%s", t.fragment);
	return out.data;
}
