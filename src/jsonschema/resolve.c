/*
 * resolve.c
 *		Schema documents, locations, base URIs, anchors and $ref resolution.
 *
 * Every document the program uses (the root schema and any fetched through
 * the resolver callback) is indexed once: the walk follows the keywords
 * that hold subschemas, applies $id to the base URI, and records each
 * schema location (document + JSON pointer) with its base URI, resource
 * and vocabularies, plus every resource URI and anchor as a target name.
 * A reference is then resolved by URI arithmetic and a lookup.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/jsonb.h"

#include "jsonschema/jsonschema_int.h"

#define JSV_META_2020_12 "https://json-schema.org/draft/2020-12/schema"

static void JsvIndexWalk(JsvCompiler *cc, JsvDoc *doc, const JsonbValue *v,
						 const char *ptr, const char *base, JsvResource *res,
						 uint8 vocab);

/* Raise the error for an invalid schema, naming its location */
void
JsvCompileError(JsvLoc *loc, const char *keyword, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;
	const char *where;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	where = psprintf("%s%s%s%s%s",
					 loc->doc->external ? loc->doc->uri : "",
					 loc->doc->external ? "#" : "",
					 loc->ptr,
					 keyword ? "/" : "",
					 keyword ? keyword : "");
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid schema at \"%s\": %s", where, buf)));
}

/* Hash a location key */
static uint32
JsvLocHash(JsvDoc *doc, const char *ptr)
{
	return (hash_bytes((const unsigned char *) ptr, strlen(ptr)) ^
			(uint32) (uintptr_t) doc) % JSV_LOC_BUCKETS;
}

/* Find the location for (doc, ptr), or NULL */
JsvLoc *
JsvLocFind(JsvCompiler *cc, JsvDoc *doc, const char *ptr)
{
	JsvLoc	   *l;

	for (l = cc->buckets[JsvLocHash(doc, ptr)]; l; l = l->next)
		if (l->doc == doc && strcmp(l->ptr, ptr) == 0)
			return l;
	return NULL;
}

/* Record a location */
static JsvLoc *
JsvLocAdd(JsvCompiler *cc, JsvDoc *doc, const char *ptr, const JsonbValue *v,
		  const char *base, JsvResource *res, uint8 vocab)
{
	JsvLoc	   *l = JsvLocFind(cc, doc, ptr);
	uint32		h;

	if (l)
		return l;
	l = palloc0(sizeof(JsvLoc));
	l->doc = doc;
	l->ptr = pstrdup(ptr);
	l->value = *v;
	l->base = base;
	l->resource = res;
	l->vocab = vocab;
	h = JsvLocHash(doc, ptr);
	l->next = cc->buckets[h];
	cc->buckets[h] = l;
	return l;
}

/* The location of a child schema, creating it if the index missed it */
JsvLoc *
JsvLocChild(JsvCompiler *cc, JsvLoc *parent, const char *seg, const JsonbValue *value)
{
	char	   *ptr = psprintf("%s%s", parent->ptr, seg);
	JsvLoc	   *l = JsvLocFind(cc, parent->doc, ptr);

	if (l)
		return l;
	return JsvLocAdd(cc, parent->doc, ptr, value, parent->base,
					 parent->resource, parent->vocab);
}

/* Register a name (resource URI or URI#anchor) for a location */
static void
JsvAddTarget(JsvCompiler *cc, const char *uri, JsvLoc *loc, bool dynamic)
{
	ListCell   *lc;
	JsvTarget  *t;

	foreach(lc, cc->targets)
	{
		t = lfirst(lc);
		if (strcmp(t->uri, uri) == 0)
		{
			/* the same document fetched under two URIs keeps its first copy */
			if (t->loc->doc != loc->doc || strcmp(t->loc->ptr, loc->ptr) == 0)
				return;
			JsvCompileError(loc, NULL, "duplicate schema identifier \"%s\"", uri);
		}
	}
	t = palloc0(sizeof(JsvTarget));
	t->uri = pstrdup(uri);
	t->loc = loc;
	t->dynamic = dynamic;
	cc->targets = lappend(cc->targets, t);
}

/* Find a registered name */
static JsvTarget *
JsvFindTarget(JsvCompiler *cc, const char *uri)
{
	ListCell   *lc;

	foreach(lc, cc->targets)
	{
		JsvTarget  *t = lfirst(lc);

		if (strcmp(t->uri, uri) == 0)
			return t;
	}
	return NULL;
}

/* Look up a key of an object value; false when absent or not an object */
static bool
JsvGetKey(const JsonbValue *obj, const char *key, JsonbValue *out)
{
	if (obj->type != jbvBinary || !JsonContainerIsObject(obj->val.binary.data))
		return false;
	return getKeyJsonValueFromContainer(obj->val.binary.data, key, strlen(key), out) != NULL;
}

/* Copy a jsonb string value into a C string */
static char *
JsvStr(const JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Vocabularies declared by a meta-schema document ($vocabulary) */
static uint8
JsvVocabFromMeta(JsvCompiler *cc, JsvLoc *loc, const char *metauri)
{
	Jsonb	   *meta = JsvBuiltinDocument(metauri);
	JsonbValue	root,
				voc,
				val;
	JsvIter		it;
	JsvName		k;
	uint8		vocab = 0;

	if (meta == NULL && cc->opts && cc->opts->resolve)
		meta = cc->opts->resolve(metauri, cc->opts->resolve_arg);
	if (meta == NULL)
		JsvCompileError(loc, "$schema", "unknown dialect \"%s\": only draft 2020-12 (\"%s\") or a registered meta-schema is supported",
						metauri, JSV_META_2020_12);
	JsvRootValue(meta, &root);
	if (!JsvGetKey(&root, "$vocabulary", &voc))
		return JSV_V_ALL;
	if (voc.type != jbvBinary || !JsonContainerIsObject(voc.val.binary.data))
		JsvCompileError(loc, "$schema", "meta-schema \"%s\" has a $vocabulary that is not an object", metauri);
	JsvIterInit(&it, voc.val.binary.data);
	while (JsvIterNextPair(&it, &k, &val))
	{
		char	   *u = pnstrdup(k.str, k.len);
		const char *prefix = "https://json-schema.org/draft/2020-12/vocab/";
		uint8		bit = 0;

		if (strncmp(u, prefix, strlen(prefix)) == 0)
		{
			const char *n = u + strlen(prefix);

			if (strcmp(n, "core") == 0)
				bit = JSV_V_CORE;
			else if (strcmp(n, "applicator") == 0)
				bit = JSV_V_APPLICATOR;
			else if (strcmp(n, "unevaluated") == 0)
				bit = JSV_V_UNEVALUATED;
			else if (strcmp(n, "validation") == 0)
				bit = JSV_V_VALIDATION;
			else if (strcmp(n, "meta-data") == 0)
				bit = JSV_V_METADATA;
			else if (strcmp(n, "format-annotation") == 0)
				bit = JSV_V_FORMAT_ANN;
			else if (strcmp(n, "format-assertion") == 0)
				bit = JSV_V_FORMAT_ASSERT;
			else if (strcmp(n, "content") == 0)
				bit = JSV_V_CONTENT;
		}
		if (bit == 0 && val.type == jbvBool && val.val.boolean)
			JsvCompileError(loc, "$schema", "meta-schema \"%s\" requires unknown vocabulary \"%s\"", metauri, u);
		vocab |= bit;
	}
	return vocab | JSV_V_CORE;
}

/* The vocabularies a $schema value selects */
static uint8
JsvDialect(JsvCompiler *cc, JsvLoc *loc, const JsonbValue *sv)
{
	char	   *uri;
	int			len;

	if (sv->type != jbvString)
		JsvCompileError(loc, "$schema", "must be a string");
	uri = JsvStr(sv);
	len = strlen(uri);
	if (len > 0 && uri[len - 1] == '#')
		uri[len - 1] = '\0';
	if (strcmp(uri, JSV_META_2020_12) == 0)
		return JSV_V_ALL;
	if (strstr(uri, "json-schema.org/") != NULL)
		JsvCompileError(loc, "$schema", "unsupported dialect \"%s\": only draft 2020-12 is supported", uri);
	return JsvVocabFromMeta(cc, loc, uri);
}

/* Walk an object of schemas ($defs, properties, ...) */
static void
JsvIndexMap(JsvCompiler *cc, JsvDoc *doc, const JsonbValue *m, const char *ptr,
			const char *kw, const char *base, JsvResource *res, uint8 vocab)
{
	JsvIter		it;
	JsvName		k;
	JsonbValue	v;

	if (m->type != jbvBinary || !JsonContainerIsObject(m->val.binary.data))
		return;
	JsvIterInit(&it, m->val.binary.data);
	while (JsvIterNextPair(&it, &k, &v))
		JsvIndexWalk(cc, doc, &v,
					 psprintf("%s/%s/%s", ptr, kw, JsvEscapeSegment(k.str, k.len)),
					 base, res, vocab);
}

/* Walk an array of schemas (allOf, prefixItems, ...) */
static void
JsvIndexArray(JsvCompiler *cc, JsvDoc *doc, const JsonbValue *a, const char *ptr,
			  const char *kw, const char *base, JsvResource *res, uint8 vocab)
{
	JsvIter		it;
	JsonbValue	v;
	int			i = 0;

	if (a->type != jbvBinary || !JsonContainerIsArray(a->val.binary.data))
		return;
	JsvIterInit(&it, a->val.binary.data);
	while (JsvIterNextElem(&it, &v))
		JsvIndexWalk(cc, doc, &v, psprintf("%s/%s/%d", ptr, kw, i++), base, res, vocab);
}

/* Index one schema location and everything below it */
static void
JsvIndexWalk(JsvCompiler *cc, JsvDoc *doc, const JsonbValue *v, const char *ptr,
			 const char *base, JsvResource *res, uint8 vocab)
{
	JsonbValue	kv;
	JsvLoc	   *loc;
	JsvLoc		tmp;
	JsvIter		it;
	JsvName		k;
	static const char *const singles[] = {
		"not", "if", "then", "else", "contains", "additionalProperties",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties",
		"additionalItems", NULL
	};
	static const char *const arrays[] = {"allOf", "anyOf", "oneOf", "prefixItems", NULL};
	static const char *const maps[] = {
		"$defs", "definitions", "properties", "patternProperties",
		"dependentSchemas", "dependencies", NULL
	};
	int			i;

	check_stack_depth();
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
	{
		JsvLocAdd(cc, doc, ptr, v, base, res, vocab);
		return;
	}

	memset(&tmp, 0, sizeof(tmp));
	tmp.doc = doc;
	tmp.ptr = ptr;
	tmp.value = *v;
	tmp.base = base;
	tmp.resource = res;

	if (JsvGetKey(v, "$schema", &kv))
		vocab = JsvDialect(cc, &tmp, &kv);

	if (JsvGetKey(v, "$id", &kv))
	{
		char	   *id;
		char	   *hash;

		if (kv.type != jbvString)
			JsvCompileError(&tmp, "$id", "must be a string");
		id = JsvUriResolve(base, JsvStr(&kv));
		hash = strchr(id, '#');
		if (hash && hash[1] != '\0')
			JsvCompileError(&tmp, "$id", "must not contain a non-empty fragment");
		if (hash)
			*hash = '\0';
		base = id;
		if (ptr[0] != '\0' || strcmp(id, doc->uri) != 0)
		{
			res = palloc0(sizeof(JsvResource));
			res->uri = id;
			cc->resources = lappend(cc->resources, res);
		}
	}

	loc = JsvLocAdd(cc, doc, ptr, v, base, res, vocab);
	if (ptr[0] == '\0' || strcmp(base, tmp.base) != 0)
		JsvAddTarget(cc, base, loc, false);

	if (JsvGetKey(v, "$anchor", &kv))
	{
		if (kv.type != jbvString)
			JsvCompileError(loc, "$anchor", "must be a string");
		JsvAddTarget(cc, psprintf("%s#%s", base, JsvStr(&kv)), loc, false);
	}
	if (JsvGetKey(v, "$dynamicAnchor", &kv))
	{
		if (kv.type != jbvString)
			JsvCompileError(loc, "$dynamicAnchor", "must be a string");
		JsvAddTarget(cc, psprintf("%s#%s", base, JsvStr(&kv)), loc, true);
	}

	/* descend into the keywords that hold subschemas */
	JsvIterInit(&it, v->val.binary.data);
	while (JsvIterNextPair(&it, &k, &kv))
	{
		char	   *kw = pnstrdup(k.str, k.len);

		if (strcmp(kw, "items") == 0)
		{
			if (kv.type == jbvBinary && JsonContainerIsArray(kv.val.binary.data))
				JsvIndexArray(cc, doc, &kv, ptr, kw, base, res, vocab);
			else
				JsvIndexWalk(cc, doc, &kv, psprintf("%s/items", ptr), base, res, vocab);
			continue;
		}
		for (i = 0; singles[i]; i++)
			if (strcmp(kw, singles[i]) == 0)
				JsvIndexWalk(cc, doc, &kv, psprintf("%s/%s", ptr, kw), base, res, vocab);
		for (i = 0; arrays[i]; i++)
			if (strcmp(kw, arrays[i]) == 0)
				JsvIndexArray(cc, doc, &kv, ptr, kw, base, res, vocab);
		for (i = 0; maps[i]; i++)
			if (strcmp(kw, maps[i]) == 0)
				JsvIndexMap(cc, doc, &kv, ptr, kw, base, res, vocab);
	}
}

/* Add and index a schema document retrieved under uri */
JsvDoc *
JsvAddDocument(JsvCompiler *cc, Jsonb *jb, const char *uri)
{
	JsvDoc	   *doc = palloc0(sizeof(JsvDoc));
	JsvResource *res = palloc0(sizeof(JsvResource));
	JsvLoc	   *root;

	doc->jb = (Jsonb *) palloc(VARSIZE(jb));
	memcpy(doc->jb, jb, VARSIZE(jb));
	JsvRootValue(doc->jb, &doc->root);
	doc->uri = pstrdup(uri ? uri : "");
	doc->external = (cc->docs != NIL);
	cc->docs = lappend(cc->docs, doc);

	res->uri = doc->uri;
	cc->resources = lappend(cc->resources, res);
	JsvIndexWalk(cc, doc, &doc->root, "", doc->uri, res, JSV_V_ALL);

	/* the retrieval URI names the document too, whatever its $id says */
	root = JsvLocFind(cc, doc, "");
	if (JsvFindTarget(cc, doc->uri) == NULL)
		JsvAddTarget(cc, doc->uri, root, false);
	return doc;
}

/* Decode %XX escapes of a URI fragment */
static char *
JsvPercentDecode(const char *s)
{
	char	   *out = palloc(strlen(s) + 1);
	char	   *o = out;

	while (*s)
	{
		if (s[0] == '%' && isxdigit((unsigned char) s[1]) && isxdigit((unsigned char) s[2]))
		{
			char		hex[3] = {s[1], s[2], 0};

			*o++ = (char) strtol(hex, NULL, 16);
			s += 3;
		}
		else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Follow a JSON pointer from a location's value; NULL when it leads nowhere */
static JsvLoc *
JsvFollowPointer(JsvCompiler *cc, JsvLoc *start, const char *pointer)
{
	JsonbValue	cur = start->value;
	const char *p = pointer;
	StringInfoData seg;

	initStringInfo(&seg);
	while (*p == '/')
	{
		JsonbValue	next;

		p++;
		resetStringInfo(&seg);
		while (*p && *p != '/')
		{
			if (p[0] == '~' && p[1] == '0')
			{
				appendStringInfoChar(&seg, '~');
				p += 2;
			}
			else if (p[0] == '~' && p[1] == '1')
			{
				appendStringInfoChar(&seg, '/');
				p += 2;
			}
			else
				appendStringInfoChar(&seg, *p++);
		}
		if (cur.type != jbvBinary)
			return NULL;
		if (JsonContainerIsObject(cur.val.binary.data))
		{
			if (!getKeyJsonValueFromContainer(cur.val.binary.data, seg.data, seg.len, &next))
				return NULL;
		}
		else
		{
			char	   *end;
			long		idx = strtol(seg.data, &end, 10);
			JsonbValue *e;

			if (seg.len == 0 || *end != '\0' || idx < 0)
				return NULL;
			e = getIthJsonbValueFromContainer(cur.val.binary.data, (uint32) idx);
			if (e == NULL)
				return NULL;
			next = *e;
		}
		cur = next;
	}
	if (*p != '\0')
		return NULL;
	return JsvLocAdd(cc, start->doc, psprintf("%s%s", start->ptr, pointer), &cur,
					 start->base, start->resource, start->vocab);
}

/* Resolve a $ref / $dynamicRef value written at location from */
JsvLoc *
JsvResolveRef(JsvCompiler *cc, JsvLoc *from, const char *ref, const char *keyword)
{
	char	   *abs = JsvUriResolve(from->base, ref);
	char	   *hash = strchr(abs, '#');
	char	   *frag = NULL;
	JsvTarget  *t;
	JsvLoc	   *loc;

	if (hash)
	{
		*hash = '\0';
		frag = JsvPercentDecode(hash + 1);
	}
	t = JsvFindTarget(cc, abs);
	if (t == NULL)
	{
		Jsonb	   *jb = JsvBuiltinDocument(abs);

		if (jb == NULL && cc->opts && cc->opts->resolve)
			jb = cc->opts->resolve(abs, cc->opts->resolve_arg);
		if (jb == NULL)
			JsvCompileError(from, keyword, "unresolvable reference \"%s\"", ref);
		JsvAddDocument(cc, jb, abs);
		t = JsvFindTarget(cc, abs);
		if (t == NULL)
			JsvCompileError(from, keyword, "unresolvable reference \"%s\"", ref);
	}
	if (frag == NULL || frag[0] == '\0')
		return t->loc;
	if (frag[0] == '/')
	{
		char	   *ptr = psprintf("%s%s", t->loc->ptr, frag);

		loc = JsvLocFind(cc, t->loc->doc, ptr);
		if (loc == NULL)
			loc = JsvFollowPointer(cc, t->loc, frag);
		if (loc == NULL)
			JsvCompileError(from, keyword, "unresolvable reference \"%s\"", ref);
		return loc;
	}
	t = JsvFindTarget(cc, psprintf("%s#%s", abs, frag));
	if (t == NULL)
		JsvCompileError(from, keyword, "unresolvable reference \"%s\"", ref);
	return t->loc;
}
