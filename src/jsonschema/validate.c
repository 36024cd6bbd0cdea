/*
 * validate.c
 *		Run a compiled schema against a jsonb instance, in place.
 *
 * JsvValidateNode applies one node to one value.  With ctx->errors set it
 * evaluates every keyword and reports each failure; without, it returns at
 * the first failure.  Subschemas whose failure is not itself an error
 * (anyOf branches, not, if, contains) run quietly.
 *
 * unevaluatedProperties / unevaluatedItems need to know which keys or
 * items other keywords evaluated: a JsvEval bit set is threaded through
 * the in-place applicators only when some node asks for it, so schemas
 * without those keywords pay nothing.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "jsonschema/jsonschema_int.h"

/* Bound on nested evaluation (guards $ref cycles that consume nothing) */
#define JSV_MAX_DEPTH 2000

static bool JsvValidateNode(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev);

/* Grow a scratch array kept in the program's context */
static void *
JsvGrow(JsonSchema *prog, void *arr, int *cap, int need, Size elem)
{
	int			newcap;

	if (need <= *cap)
		return arr;
	newcap = Max(need, *cap * 2);
	newcap = Max(newcap, 16);
	if (arr == NULL)
		arr = MemoryContextAlloc(prog->mcxt, newcap * elem);
	else
		arr = repalloc(arr, newcap * elem);
	*cap = newcap;
	return arr;
}

/* Push a keyword-path segment (only while collecting errors) */
static inline void
JsvPushKw(JsvCtx *ctx, const JsvEdge *e)
{
	JsonSchema *p = ctx->prog;

	if (unlikely(p->kpath_cap <= ctx->kpath_len))
		p->kpath = JsvGrow(p, p->kpath, &p->kpath_cap, ctx->kpath_len + 1, sizeof(JsvKPathSeg));
	p->kpath[ctx->kpath_len].seg = e->seg;
	p->kpath[ctx->kpath_len].keyword = e->keyword;
	ctx->kpath_len++;
}

/* Push an instance-path segment (key, or index when key is NULL) */
static inline void
JsvPushInst(JsvCtx *ctx, const char *key, int len)
{
	JsonSchema *p = ctx->prog;

	if (unlikely(p->ipath_cap <= ctx->ipath_len))
		p->ipath = JsvGrow(p, p->ipath, &p->ipath_cap, ctx->ipath_len + 1, sizeof(JsvIPathSeg));
	p->ipath[ctx->ipath_len].key = key;
	p->ipath[ctx->ipath_len].len = len;
	ctx->ipath_len++;
}

/* Apply a subschema to the same instance location */
static bool
JsvDescend(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v, JsvEval *ev)
{
	int			klen = ctx->kpath_len;
	bool		ok;

	if (ctx->errors)
		JsvPushKw(ctx, e);
	ok = JsvValidateNode(ctx, e->node, v, ev);
	ctx->kpath_len = klen;
	return ok;
}

/* Apply a subschema to a child value (object member or array item) */
static bool
JsvDescendChild(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v,
				const char *key, int keylen)
{
	int			klen = ctx->kpath_len;
	int			ilen = ctx->ipath_len;
	bool		ok;

	if (ctx->errors)
	{
		JsvPushKw(ctx, e);
		JsvPushInst(ctx, key, keylen);
	}
	ok = JsvValidateNode(ctx, e->node, v, NULL);
	ctx->kpath_len = klen;
	ctx->ipath_len = ilen;
	return ok;
}

/* Apply a subschema quietly: true when valid, nothing reported */
static bool
JsvQuiet(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v, JsvEval *ev)
{
	List	  **save = ctx->errors;
	bool		ok;

	ctx->errors = NULL;
	ok = JsvValidateNode(ctx, e->node, v, ev);
	ctx->errors = save;
	return ok;
}

/* Make an empty evaluation set for a container value */
static JsvEval *
JsvEvalNew(const JsonbValue *v)
{
	JsvEval    *ev = palloc(sizeof(JsvEval));

	ev->n = JsonContainerSize(v->val.binary.data);
	ev->bits = palloc0((ev->n + 7) / 8 + 1);
	return ev;
}

/* Mark key / item i evaluated */
static inline void
JsvEvalMark(JsvEval *ev, int i)
{
	if (ev)
		ev->bits[i >> 3] |= (uint8) (1 << (i & 7));
}

/* Is key / item i evaluated? */
static inline bool
JsvEvalTest(JsvEval *ev, int i)
{
	return (ev->bits[i >> 3] & (1 << (i & 7))) != 0;
}

/* Add the marks of src into dst */
static void
JsvEvalMerge(JsvEval *dst, JsvEval *src)
{
	int			i;

	if (dst == NULL || src == NULL)
		return;
	for (i = 0; i < (dst->n + 7) / 8; i++)
		dst->bits[i] |= src->bits[i];
}

/* Compare two numerics */
static inline int
JsvNumCmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a),
											 NumericGetDatum(b)));
}

/* Render a numeric for a message */
static char *
JsvNumText(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/* Check "enum" */
static bool
JsvCheckEnum(JsvNode *n, const JsonbValue *v)
{
	int			i;

	if (v->type == jbvString)
	{
		int			lo = 0,
					hi = n->nenum_str - 1;

		while (lo <= hi)
		{
			int			mid = (lo + hi) / 2;
			int			c = JsvNameCmp(n->enum_str[mid].str, n->enum_str[mid].len,
									   v->val.string.val, v->val.string.len);

			if (c == 0)
				return true;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		return false;
	}
	for (i = 0; i < n->nenum_other; i++)
		if (JsvEqual(&n->enum_other[i], v))
			return true;
	return false;
}

/* Count the code points of a string only as far as a bound needs */
static inline int
JsvCodePoints(const char *s, int len)
{
	return pg_mbstrlen_with_len(s, len);
}

/* Check the string keywords */
static bool
JsvCheckString(JsvCtx *ctx, JsvNode *n, const JsonbValue *v)
{
	const char *s = v->val.string.val;
	int			len = v->val.string.len;
	bool		ok = true;

	/* a code point takes 1 to 4 bytes: count only when the bytes can't decide */
	if (n->max_length >= 0 && len > n->max_length &&
		JsvCodePoints(s, len) > n->max_length)
	{
		JsvReport(ctx, "maxLength", "string is longer than %d characters", n->max_length);
		ok = false;
		if (!ctx->errors)
			return false;
	}
	if (n->min_length > 0 && (len < n->min_length ||
							  (len < n->min_length * 4 && JsvCodePoints(s, len) < n->min_length)))
	{
		JsvReport(ctx, "minLength", "string is shorter than %d characters", n->min_length);
		ok = false;
		if (!ctx->errors)
			return false;
	}
	if (n->pattern && !JsvRegexMatch(ctx->prog, n->pattern, s, len))
	{
		JsvReport(ctx, "pattern", "string does not match pattern \"%s\"", n->pattern->source);
		ok = false;
		if (!ctx->errors)
			return false;
	}
	if (n->format != JSV_FMT_NONE && n->format != JSV_FMT_UNKNOWN &&
		!JsvFormatCheck(n->format, s, len))
	{
		JsvReport(ctx, "format", "string is not a valid \"%s\"", n->format_name);
		ok = false;
	}
	return ok;
}

/* Check the number keywords */
static bool
JsvCheckNumber(JsvCtx *ctx, JsvNode *n, const JsonbValue *v)
{
	Numeric		x = v->val.numeric;
	bool		ok = true;

#define JSV_NUM_FAIL(kw, fmt, lim) \
	do { \
		JsvReport(ctx, kw, fmt, JsvNumText(lim)); \
		ok = false; \
		if (!ctx->errors) \
			return false; \
	} while (0)

	if (n->minimum && JsvNumCmp(x, n->minimum) < 0)
		JSV_NUM_FAIL("minimum", "value is less than the minimum %s", n->minimum);
	if (n->maximum && JsvNumCmp(x, n->maximum) > 0)
		JSV_NUM_FAIL("maximum", "value is greater than the maximum %s", n->maximum);
	if (n->exclusive_minimum && JsvNumCmp(x, n->exclusive_minimum) <= 0)
		JSV_NUM_FAIL("exclusiveMinimum", "value is not greater than %s", n->exclusive_minimum);
	if (n->exclusive_maximum && JsvNumCmp(x, n->exclusive_maximum) >= 0)
		JSV_NUM_FAIL("exclusiveMaximum", "value is not less than %s", n->exclusive_maximum);
	if (n->multiple_of)
	{
		Numeric		rem = DatumGetNumeric(DirectFunctionCall2(numeric_mod,
															  NumericGetDatum(x),
															  NumericGetDatum(n->multiple_of)));

		if (JsvNumCmp(rem, ctx->prog->zero) != 0)
			JSV_NUM_FAIL("multipleOf", "value is not a multiple of %s", n->multiple_of);
	}
#undef JSV_NUM_FAIL
	return ok;
}

/* Check the object keywords; marks evaluated keys in ev */
static bool
JsvCheckObject(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	JsonbContainer *c = v->val.binary.data;
	int			size = JsonContainerSize(c);
	bool		ok = true;
	int			i;

#define JSV_OBJ_FAIL() \
	do { ok = false; if (!ctx->errors) return false; } while (0)

	if (n->min_properties >= 0 && size < n->min_properties)
	{
		JsvReport(ctx, "minProperties", "object has %d properties, fewer than %d", size, n->min_properties);
		JSV_OBJ_FAIL();
	}
	if (n->max_properties >= 0 && size > n->max_properties)
	{
		JsvReport(ctx, "maxProperties", "object has %d properties, more than %d", size, n->max_properties);
		JSV_OBJ_FAIL();
	}

	if (n->nprops || n->npatprops || n->additional.node || n->nrequired ||
		n->property_names.node)
	{
		JsvIter		it;
		JsvName		k;
		JsonbValue	val;
		int			p = 0,
					r = 0;

		JsvIterInit(&it, c);
		while (JsvIterNextPair(&it, &k, &val))
		{
			bool		matched = false;
			int			cmp = 1;
			int			j;

			/* keys and names are both in jsonb order: merge them */
			while (r < n->nrequired &&
				   (cmp = JsvNameCmp(n->required[r].str, n->required[r].len, k.str, k.len)) < 0)
			{
				JsvReport(ctx, "required", "missing required property \"%.*s\"",
						  n->required[r].len, n->required[r].str);
				r++;
				JSV_OBJ_FAIL();
			}
			if (r < n->nrequired && cmp == 0)
				r++;

			cmp = 1;
			while (p < n->nprops &&
				   (cmp = JsvNameCmp(n->props[p].name.str, n->props[p].name.len, k.str, k.len)) < 0)
				p++;
			if (p < n->nprops && cmp == 0)
			{
				matched = true;
				if (!JsvDescendChild(ctx, &n->props[p].edge, &val, k.str, k.len))
					JSV_OBJ_FAIL();
				p++;
			}
			for (j = 0; j < n->npatprops; j++)
			{
				if (JsvRegexMatch(ctx->prog, n->patprops[j].re, k.str, k.len))
				{
					matched = true;
					if (!JsvDescendChild(ctx, &n->patprops[j].edge, &val, k.str, k.len))
						JSV_OBJ_FAIL();
				}
			}
			if (!matched && n->additional.node)
			{
				matched = true;
				if (n->additional.node->boolean == 0)
				{
					JsvReportAt(ctx, k.str, k.len, "additionalProperties",
								"property \"%.*s\" is not allowed", k.len, k.str);
					JSV_OBJ_FAIL();
				}
				else if (!JsvDescendChild(ctx, &n->additional, &val, k.str, k.len))
					JSV_OBJ_FAIL();
			}
			if (matched)
				JsvEvalMark(ev, it.i - 1);
			if (n->property_names.node)
			{
				JsonbValue	name;

				name.type = jbvString;
				name.val.string.val = (char *) k.str;
				name.val.string.len = k.len;
				if (!JsvQuiet(ctx, &n->property_names, &name, NULL))
				{
					JsvReportAt(ctx, k.str, k.len, "propertyNames",
								"property name \"%.*s\" is not valid", k.len, k.str);
					JSV_OBJ_FAIL();
				}
			}
		}
		for (; r < n->nrequired; r++)
		{
			JsvReport(ctx, "required", "missing required property \"%.*s\"",
					  n->required[r].len, n->required[r].str);
			JSV_OBJ_FAIL();
		}
	}

	for (i = 0; i < n->ndepreq; i++)
	{
		JsvDepReq  *d = &n->depreq[i];
		JsonbValue	tmp;
		int			j;

		if (!getKeyJsonValueFromContainer(c, d->name.str, d->name.len, &tmp))
			continue;
		for (j = 0; j < d->nrequired; j++)
		{
			if (getKeyJsonValueFromContainer(c, d->required[j].str, d->required[j].len, &tmp))
				continue;
			if (ctx->errors)
			{
				JsvEdge		e = {NULL, d->seg, d->keyword};
				int			klen = ctx->kpath_len;

				/* keyword path ".../dependentRequired/name", keyword dependentRequired */
				JsvPushKw(ctx, &e);
				JsvReport(ctx, NULL, "property \"%.*s\" is required when \"%.*s\" is present",
						  d->required[j].len, d->required[j].str, d->name.len, d->name.str);
				ctx->kpath_len = klen;
			}
			JSV_OBJ_FAIL();
		}
	}
	for (i = 0; i < n->ndepschema; i++)
	{
		JsvDepSchema *d = &n->depschema[i];
		JsonbValue	tmp;

		if (!getKeyJsonValueFromContainer(c, d->name.str, d->name.len, &tmp))
			continue;
		if (!JsvDescend(ctx, &d->edge, v, ev))
			JSV_OBJ_FAIL();
	}
#undef JSV_OBJ_FAIL
	return ok;
}

/* Check the array keywords; marks evaluated items in ev */
static bool
JsvCheckArray(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	JsonbContainer *c = v->val.binary.data;
	int			size = JsonContainerSize(c);
	bool		ok = true;
	JsvIter		it;
	JsonbValue	val;

#define JSV_ARR_FAIL() \
	do { ok = false; if (!ctx->errors) return false; } while (0)

	if (n->min_items >= 0 && size < n->min_items)
	{
		JsvReport(ctx, "minItems", "array has %d items, fewer than %d", size, n->min_items);
		JSV_ARR_FAIL();
	}
	if (n->max_items >= 0 && size > n->max_items)
	{
		JsvReport(ctx, "maxItems", "array has %d items, more than %d", size, n->max_items);
		JSV_ARR_FAIL();
	}
	if (n->nprefix || n->items.node)
	{
		JsvIterInit(&it, c);
		while (JsvIterNextElem(&it, &val))
		{
			int			i = it.i - 1;
			const JsvEdge *e;

			if (i < n->nprefix)
				e = &n->prefix_items[i];
			else if (n->items.node)
				e = &n->items;
			else
				break;
			JsvEvalMark(ev, i);
			if (e->node->boolean == 0)
			{
				if (ctx->errors)
				{
					int			ilen = ctx->ipath_len;

					JsvPushInst(ctx, NULL, i);
					JsvReport(ctx, e->keyword, "array item is not allowed");
					ctx->ipath_len = ilen;
				}
				JSV_ARR_FAIL();
			}
			else if (!JsvDescendChild(ctx, e, &val, NULL, i))
				JSV_ARR_FAIL();
		}
	}
	if (n->contains.node)
	{
		int			matches = 0;

		JsvIterInit(&it, c);
		while (JsvIterNextElem(&it, &val))
		{
			if (JsvQuiet(ctx, &n->contains, &val, NULL))
			{
				matches++;
				JsvEvalMark(ev, it.i - 1);
				/* without annotations or a maximum, enough is enough */
				if (ev == NULL && n->max_contains < 0 && matches >= n->min_contains)
					break;
			}
		}
		if (matches < n->min_contains)
		{
			if (n->min_contains == 1)
				JsvReport(ctx, "contains", "no array item matches \"contains\"");
			else
				JsvReport(ctx, "minContains", "%d array items match \"contains\", fewer than %d",
						  matches, n->min_contains);
			JSV_ARR_FAIL();
		}
		if (n->max_contains >= 0 && matches > n->max_contains)
		{
			JsvReport(ctx, "maxContains", "%d array items match \"contains\", more than %d",
					  matches, n->max_contains);
			JSV_ARR_FAIL();
		}
	}
	if (n->unique_items && size > 1)
	{
		JsonbValue *vals = palloc(sizeof(JsonbValue) * size);
		int			i,
					j,
					k = 0;
		bool		dup = false;

		JsvIterInit(&it, c);
		while (JsvIterNextElem(&it, &vals[k]))
			k++;
		for (i = 0; i < size && !dup; i++)
			for (j = i + 1; j < size && !dup; j++)
				if (JsvEqual(&vals[i], &vals[j]))
				{
					JsvReport(ctx, "uniqueItems", "array items %d and %d are equal", i, j);
					dup = true;
				}
		pfree(vals);
		if (dup)
			JSV_ARR_FAIL();
	}
#undef JSV_ARR_FAIL
	return ok;
}

/* Find the outermost dynamic-scope resource with a $dynamicAnchor name */
static JsvNode *
JsvDynamicTarget(JsvCtx *ctx, JsvNode *n)
{
	int			i,
				j;

	for (i = 0; i < ctx->scope_len; i++)
	{
		JsvResource *r = ctx->prog->scope[i];

		for (j = 0; j < r->ndyn; j++)
			if (strcmp(r->dyn[j].name, n->dynref_anchor) == 0)
				return r->dyn[j].node;
	}
	return n->dynref.node;
}

/* Apply the in-place applicators ($ref, allOf, anyOf, oneOf, not, if) */
static bool
JsvCheckInPlace(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	bool		ok = true;
	int			i;

#define JSV_IP_FAIL() \
	do { ok = false; if (!ctx->errors) return false; } while (0)

	if (n->ref.node && !JsvDescend(ctx, &n->ref, v, ev))
		JSV_IP_FAIL();
	if (n->dynref.node)
	{
		JsvEdge		e = n->dynref;

		if (n->dynref_anchor)
			e.node = JsvDynamicTarget(ctx, n);
		if (!JsvDescend(ctx, &e, v, ev))
			JSV_IP_FAIL();
	}
	for (i = 0; i < n->nall; i++)
		if (!JsvDescend(ctx, &n->all_of[i], v, ev))
			JSV_IP_FAIL();
	if (n->nany)
	{
		int			matched = 0;

		for (i = 0; i < n->nany; i++)
		{
			JsvEval    *sub = ev ? JsvEvalNew(v) : NULL;

			if (JsvQuiet(ctx, &n->any_of[i], v, sub))
			{
				matched++;
				JsvEvalMerge(ev, sub);
				if (ev == NULL)
					break;
			}
		}
		if (matched == 0)
		{
			JsvReport(ctx, "anyOf", "value does not match any of the %d subschemas", n->nany);
			JSV_IP_FAIL();
		}
	}
	if (n->none)
	{
		int			matched = 0;
		JsvEval    *keep = NULL;

		for (i = 0; i < n->none && matched < 2; i++)
		{
			JsvEval    *sub = ev ? JsvEvalNew(v) : NULL;

			if (JsvQuiet(ctx, &n->one_of[i], v, sub))
			{
				matched++;
				keep = sub;
			}
		}
		if (matched != 1)
		{
			if (matched == 0)
				JsvReport(ctx, "oneOf", "value does not match any of the %d subschemas", n->none);
			else
				JsvReport(ctx, "oneOf", "value matches more than one subschema");
			JSV_IP_FAIL();
		}
		else
			JsvEvalMerge(ev, keep);
	}
	if (n->not_.node && JsvQuiet(ctx, &n->not_, v, NULL))
	{
		JsvReport(ctx, "not", "value must not match the schema");
		JSV_IP_FAIL();
	}
	if (n->if_.node)
	{
		JsvEval    *sub = ev ? JsvEvalNew(v) : NULL;

		if (JsvQuiet(ctx, &n->if_, v, sub))
		{
			JsvEvalMerge(ev, sub);
			if (n->then_.node && !JsvDescend(ctx, &n->then_, v, ev))
				JSV_IP_FAIL();
		}
		else if (n->else_.node && !JsvDescend(ctx, &n->else_, v, ev))
			JSV_IP_FAIL();
	}
#undef JSV_IP_FAIL
	return ok;
}

/* Apply unevaluatedProperties / unevaluatedItems to what ev left unmarked */
static bool
JsvCheckUnevaluated(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, uint8 t, JsvEval *ev)
{
	JsvIter		it;
	JsonbValue	val;
	JsvName		k;
	bool		ok = true;

	if (t == JSV_T_OBJECT && n->unevaluated_properties.node)
	{
		JsvIterInit(&it, v->val.binary.data);
		while (JsvIterNextPair(&it, &k, &val))
		{
			int			i = it.i - 1;

			if (JsvEvalTest(ev, i))
				continue;
			if (n->unevaluated_properties.node->boolean == 0)
			{
				JsvReportAt(ctx, k.str, k.len, "unevaluatedProperties",
							"property \"%.*s\" is unevaluated and not allowed", k.len, k.str);
				ok = false;
				if (!ctx->errors)
					return false;
			}
			else if (!JsvDescendChild(ctx, &n->unevaluated_properties, &val, k.str, k.len))
			{
				ok = false;
				if (!ctx->errors)
					return false;
			}
			else
				JsvEvalMark(ev, i);
		}
	}
	if (t == JSV_T_ARRAY && n->unevaluated_items.node)
	{
		JsvIterInit(&it, v->val.binary.data);
		while (JsvIterNextElem(&it, &val))
		{
			int			i = it.i - 1;

			if (JsvEvalTest(ev, i))
				continue;
			if (n->unevaluated_items.node->boolean == 0)
			{
				if (ctx->errors)
				{
					int			ilen = ctx->ipath_len;

					JsvPushInst(ctx, NULL, i);
					JsvReport(ctx, "unevaluatedItems", "array item is unevaluated and not allowed");
					ctx->ipath_len = ilen;
				}
				ok = false;
				if (!ctx->errors)
					return false;
			}
			else if (!JsvDescendChild(ctx, &n->unevaluated_items, &val, NULL, i))
			{
				ok = false;
				if (!ctx->errors)
					return false;
			}
			else
				JsvEvalMark(ev, i);
		}
	}
	return ok;
}

/* Apply one node to one value */
static bool
JsvValidateNode(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	uint16		has = n->has;
	uint8		t;
	bool		ok = true;
	int			scope_len = ctx->scope_len;
	JsvEval    *local = NULL;
	JsvEval    *parent = ev;

	if (n->boolean >= 0)
	{
		if (n->boolean)
			return true;
		JsvReport(ctx, NULL, "no value is allowed here");
		return false;
	}
	if (has == 0)
		return true;

	if (unlikely(++ctx->depth > JSV_MAX_DEPTH))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("json schema evaluation nested more than %d levels deep",
						JSV_MAX_DEPTH),
				 errhint("A $ref cycle that does not descend into the instance never ends.")));
	check_stack_depth();

	/* the dynamic scope: resources entered, outermost first */
	if (ctx->prog->uses_dynamic &&
		(ctx->scope_len == 0 || ctx->prog->scope[ctx->scope_len - 1] != n->resource))
	{
		JsonSchema *p = ctx->prog;

		if (p->scope_cap <= ctx->scope_len)
			p->scope = JsvGrow(p, p->scope, &p->scope_cap, ctx->scope_len + 1,
							   sizeof(JsvResource *));
		p->scope[ctx->scope_len++] = n->resource;
	}

#define JSV_FAIL() \
	do { ok = false; if (!ctx->errors) goto done; } while (0)

	t = JsvTypeOf(v);
	if ((has & JSV_K_TYPE) && !(n->types & t) &&
		!(t == JSV_T_NUMBER && (n->types & JSV_T_INTEGER) && JsvIsInteger(v)))
	{
		if (ctx->errors)
		{
			StringInfoData want;
			int			b;

			initStringInfo(&want);
			for (b = 1; b <= JSV_T_INTEGER; b <<= 1)
				if ((n->types & b) && !(b == JSV_T_INTEGER && (n->types & JSV_T_NUMBER)))
					appendStringInfo(&want, "%s%s", want.len ? " or " : "", JsvTypeName(b));
			JsvReport(ctx, "type", "expected %s, got %s", want.data,
					  t == JSV_T_NUMBER && JsvIsInteger(v) ? "integer" : JsvTypeName(t));
		}
		JSV_FAIL();
	}
	if ((has & JSV_K_ENUM) && !JsvCheckEnum(n, v))
	{
		if (ctx->errors)
			JsvReport(ctx, "enum", "value %s is not one of the allowed values",
					  JsvValueText(v, 64));
		JSV_FAIL();
	}
	if ((has & JSV_K_CONST) && !JsvEqual(&n->constval, v))
	{
		if (ctx->errors)
			JsvReport(ctx, "const", "value must be %s", JsvValueText(&n->constval, 64));
		JSV_FAIL();
	}

	if ((has & JSV_K_UNEVAL) && (t == JSV_T_OBJECT || t == JSV_T_ARRAY))
	{
		local = JsvEvalNew(v);
		ev = local;
	}
	switch (t)
	{
		case JSV_T_STRING:
			if ((has & JSV_K_STRING) && !JsvCheckString(ctx, n, v))
				JSV_FAIL();
			break;
		case JSV_T_NUMBER:
			if ((has & JSV_K_NUMBER) && !JsvCheckNumber(ctx, n, v))
				JSV_FAIL();
			break;
		case JSV_T_OBJECT:
			if ((has & JSV_K_OBJECT) && !JsvCheckObject(ctx, n, v, ev))
				JSV_FAIL();
			break;
		case JSV_T_ARRAY:
			if ((has & JSV_K_ARRAY) && !JsvCheckArray(ctx, n, v, ev))
				JSV_FAIL();
			break;
		default:
			break;
	}
	if ((has & JSV_K_INPLACE) && !JsvCheckInPlace(ctx, n, v, ev))
		JSV_FAIL();
	if (local && !JsvCheckUnevaluated(ctx, n, v, t, local))
		JSV_FAIL();
#undef JSV_FAIL

done:
	ctx->scope_len = scope_len;
	ctx->depth--;
	if (local && ok)
		JsvEvalMerge(parent, local);
	return ok;
}

/* Validate an instance; see jsonschema.h */
bool
JsonSchemaValidate(JsonSchema *schema, Jsonb *instance, List **errors)
{
	JsvCtx		ctx;
	JsonbValue	v;

	ctx.prog = schema;
	ctx.errors = errors;
	ctx.ipath_len = 0;
	ctx.kpath_len = 0;
	ctx.scope_len = 0;
	ctx.depth = 0;
	JsvRootValue(instance, &v);
	return JsvValidateNode(&ctx, schema->root, &v, NULL);
}
