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
 *
 * Every validation runs on a budget: each subschema applied to a value is
 * a step, and every JSV_CHECK_EVERY steps the validator serves interrupts
 * and measures its memory.  Over budget it sets ctx->over; from then on
 * every step fails at once and every loop stops at its next failure, so
 * the validation unwinds by itself, with no error thrown.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "jsonschema/jsonschema_int.h"

/*
 * Bound on schemas applied in place, one inside the other, at a single
 * instance location: only a reference cycle that never descends into the
 * instance gets this far.  (Descending is bounded by the instance's depth
 * and by the stack: see stack_is_too_deep below.)
 */
#define JSV_MAX_DEPTH JSON_SCHEMA_MAX_IN_PLACE

/*
 * Steps between two checks of interrupts and memory: microseconds of work,
 * so a cancel is served at once, yet rare enough to cost nothing measurable
 * (a ticket takes fewer steps than this).
 */
#define JSV_CHECK_EVERY 64

/* max_steps of a validation without a step limit (no overflow in + 1) */
#define JSV_UNBOUNDED (PG_INT64_MAX / 2)


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

/* Stop the validation over budget: every later step fails at once */
static bool
JsvOver(JsvCtx *ctx, JsonSchemaResult why)
{
	ctx->over = why;
	ctx->ticks = 0;
	return false;
}

/*
 * Measure the validation's memory: what its context grew by since it began,
 * plus more bytes about to be allocated.  False (and stopped) when that is
 * over the budget, or when the validation is stopped already.
 */
bool
JsvMemoryCheck(JsvCtx *ctx, Size more)
{
	Size		used;

	if (ctx->max_memory == 0 || ctx->over != JSON_SCHEMA_VALID)
		return ctx->over == JSON_SCHEMA_VALID;
	used = MemoryContextMemAllocated(ctx->mcxt, true);
	used = used > ctx->mem_base ? used - ctx->mem_base : 0;
	if (used + more > ctx->max_memory)
		return JsvOver(ctx, JSON_SCHEMA_OVER_MEMORY);
	return true;
}

/* Count down to the next check: every JSV_CHECK_EVERY steps, and at max_steps + 1 */
static void
JsvBudgetArm(JsvCtx *ctx)
{
	ctx->period = (int) Min((int64) JSV_CHECK_EVERY, ctx->max_steps + 1 - ctx->steps);
	ctx->ticks = ctx->period;
}

/*
 * Check interrupts and the budget, when ctx->ticks ran out (every
 * JSV_CHECK_EVERY steps): a cancel or a statement_timeout raises its error
 * here; over the steps or the memory, stop.  False: stop.
 */
static pg_noinline bool
JsvBudgetCheck(JsvCtx *ctx)
{
	CHECK_FOR_INTERRUPTS();
	if (ctx->over != JSON_SCHEMA_VALID)
		return false;
	ctx->steps += ctx->period;
	if (ctx->steps > ctx->max_steps)
		return JsvOver(ctx, JSON_SCHEMA_OVER_STEPS);
	if (!JsvMemoryCheck(ctx, 0))
		return false;
	JsvBudgetArm(ctx);
	return true;
}

/* Push a keyword-path segment (only while collecting errors) */
void
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
void
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
bool
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
bool
JsvDescendChild(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v,
				const char *key, int keylen)
{
	int			klen = ctx->kpath_len;
	int			ilen = ctx->ipath_len;
	int			depth = ctx->depth;
	bool		ok;

	if (ctx->errors)
	{
		JsvPushKw(ctx, e);
		JsvPushInst(ctx, key, keylen);
	}
	/* moving down the instance is progress: only in-place chains are bounded */
	ctx->depth = 0;
	ok = JsvValidateNode(ctx, e->node, v, NULL);
	ctx->depth = depth;
	ctx->kpath_len = klen;
	ctx->ipath_len = ilen;
	return ok;
}

/* Apply a subschema quietly: true when valid, nothing reported */
bool
JsvQuiet(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v, JsvEval *ev)
{
	List	  **save = ctx->errors;
	bool		ok;

	ctx->errors = NULL;
	ok = JsvValidateNode(ctx, e->node, v, ev);
	ctx->errors = save;
	return ok;
}

/* Apply a subschema quietly to a child value (array item, property name) */
bool
JsvQuietChild(JsvCtx *ctx, const JsvEdge *e, const JsonbValue *v)
{
	int			depth = ctx->depth;
	bool		ok;

	ctx->depth = 0;
	ok = JsvQuiet(ctx, e, v, NULL);
	ctx->depth = depth;
	return ok;
}

/*
 * Make an empty evaluation set for a container value.  (A large one is
 * measured at once; if that stops the validation, the set is still usable.)
 */
JsvEval *
JsvEvalNew(JsvCtx *ctx, const JsonbValue *v)
{
	JsvEval    *ev = palloc(sizeof(JsvEval));

	ev->n = JsonContainerSize(v->val.binary.data);
	ev->bits = palloc0((ev->n + 7) / 8 + 1);
	if (unlikely(ev->n > 8192))
		(void) JsvMemoryCheck(ctx, 0);
	return ev;
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
		if (JsvStop(ctx))
			return false;
	}
	if (n->min_length > 0 && (len < n->min_length ||
							  (len < n->min_length * 4 && JsvCodePoints(s, len) < n->min_length)))
	{
		JsvReport(ctx, "minLength", "string is shorter than %d characters", n->min_length);
		ok = false;
		if (JsvStop(ctx))
			return false;
	}
	if (n->pattern && !JsvRegexMatch(ctx->prog, n->pattern, s, len))
	{
		JsvReport(ctx, "pattern", "string does not match pattern \"%s\"", n->pattern->source);
		ok = false;
		if (JsvStop(ctx))
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
		if (JsvStop(ctx)) \
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
	do { ok = false; if (JsvStop(ctx)) return false; } while (0)

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
			JsvEval    *sub = ev ? JsvEvalNew(ctx, v) : NULL;

			if (JsvQuiet(ctx, &n->any_of[i], v, sub))
			{
				matched++;
				JsvEvalMerge(ev, sub);
				if (ev == NULL)
					break;
			}
			else if (unlikely(ctx->over))
				return false;
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
			JsvEval    *sub = ev ? JsvEvalNew(ctx, v) : NULL;

			if (JsvQuiet(ctx, &n->one_of[i], v, sub))
			{
				matched++;
				keep = sub;
			}
			else if (unlikely(ctx->over))
				return false;
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
	if (n->not_.node)
	{
		if (JsvQuiet(ctx, &n->not_, v, NULL))
		{
			JsvReport(ctx, "not", "value must not match the schema");
			JSV_IP_FAIL();
		}
		else if (unlikely(ctx->over))
			return false;	/* stopped, not "did not match" */
	}
	if (n->if_.node)
	{
		JsvEval    *sub = ev ? JsvEvalNew(ctx, v) : NULL;

		if (JsvQuiet(ctx, &n->if_, v, sub))
		{
			JsvEvalMerge(ev, sub);
			if (n->then_.node && !JsvDescend(ctx, &n->then_, v, ev))
				JSV_IP_FAIL();
		}
		else if (unlikely(ctx->over))
			return false;
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
				if (JsvStop(ctx))
					return false;
			}
			else if (!JsvDescendChild(ctx, &n->unevaluated_properties, &val, k.str, k.len))
			{
				ok = false;
				if (JsvStop(ctx))
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
				if (JsvStop(ctx))
					return false;
			}
			else if (!JsvDescendChild(ctx, &n->unevaluated_items, &val, NULL, i))
			{
				ok = false;
				if (JsvStop(ctx))
					return false;
			}
			else
				JsvEvalMark(ev, i);
		}
	}
	return ok;
}

/* Apply one node to one value */
bool
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

	/* one step; now and then, interrupts and the budget */
	if (unlikely(--ctx->ticks <= 0) && !JsvBudgetCheck(ctx))
		return false;

	if (unlikely(++ctx->depth > JSV_MAX_DEPTH))
	{
		ctx->depth--;
		return JsvOver(ctx, JSON_SCHEMA_OVER_DEPTH);
	}

	/*
	 * An instance nested deeper than the stack allows is rejected as a
	 * validation failure, not a server error, so one hostile record cannot
	 * abort the work around it.
	 */
	if (unlikely(stack_is_too_deep()))
	{
		ctx->depth--;
		JsvReport(ctx, "$depth", "value is nested too deeply to validate");
		return false;
	}

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
	do { ok = false; if (JsvStop(ctx)) goto done; } while (0)

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
		local = JsvEvalNew(ctx, v);
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
JsonSchemaResult
JsonSchemaValidate(JsonSchema *schema, Jsonb *instance, List **errors,
				   const JsonSchemaLimits *limits)
{
	JsvCtx		ctx;
	JsonbValue	v;
	bool		ok;

	ctx.prog = schema;
	ctx.errors = errors;
	ctx.ipath_len = 0;
	ctx.kpath_len = 0;
	ctx.scope_len = 0;
	ctx.depth = 0;
	ctx.steps = 0;
	ctx.max_steps = (limits && limits->max_steps > 0) ?
		Min(limits->max_steps, JSV_UNBOUNDED) : JSV_UNBOUNDED;
	JsvBudgetArm(&ctx);
	ctx.max_memory = limits ? limits->max_memory : 0;
	ctx.mcxt = CurrentMemoryContext;
	ctx.mem_base = ctx.max_memory ? MemoryContextMemAllocated(ctx.mcxt, true) : 0;
	ctx.over = JSON_SCHEMA_VALID;

	JsvRootValue(instance, &v);
	ok = JsvValidateNode(&ctx, schema->root, &v, NULL);
	if (ctx.over != JSON_SCHEMA_VALID)
		return ctx.over;
	return ok ? JSON_SCHEMA_VALID : JSON_SCHEMA_INVALID;
}
