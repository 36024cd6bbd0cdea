/*
 * compile.c
 *		Compile schema locations into JsvNode programs.
 *
 * Each schema object becomes one node: keyword values are checked and
 * converted once (names sorted in jsonb key order so the validator can
 * merge them against an object's keys, enum strings sorted for binary
 * search, patterns compiled), and subschemas become edges carrying their
 * keyword-path segment.  A location is compiled at most once, so $ref
 * cycles end in shared nodes.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "jsonschema/jsonschema_int.h"

/* A keyword being compiled: where it is and its value */
typedef struct JsvKw
{
	JsvCompiler *cc;
	JsvLoc	   *loc;
	JsvNode    *node;
	const char *name;
	JsonbValue	val;
} JsvKw;

/* True when v is a jsonb object */
static inline bool
JsvIsObject(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* True when v is a jsonb array */
static inline bool
JsvIsArray(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* Compile the subschema at seg below the keyword's location into an edge */
static JsvEdge
JsvEdgeTo(JsvKw *kw, const char *seg, const JsonbValue *v)
{
	JsvEdge		e;
	JsvLoc	   *child = JsvLocChild(kw->cc, kw->loc, seg, v);

	if (!(v->type == jbvBool || JsvIsObject(v)))
		JsvCompileError(child, NULL, "a schema must be an object or a boolean");
	e.node = JsvCompileLoc(kw->cc, child);
	e.seg = seg;
	e.keyword = kw->name;
	return e;
}

/* Compile a keyword holding one subschema */
static JsvEdge
JsvSingle(JsvKw *kw)
{
	return JsvEdgeTo(kw, psprintf("/%s", kw->name), &kw->val);
}

/* Compile a keyword holding a non-empty array of subschemas */
static JsvEdge *
JsvArray(JsvKw *kw, int *n, bool allow_empty)
{
	JsvIter		it;
	JsonbValue	v;
	JsvEdge    *edges;
	int			i = 0;

	if (!JsvIsArray(&kw->val))
		JsvCompileError(kw->loc, kw->name, "must be an array of schemas");
	*n = JsonContainerSize(kw->val.val.binary.data);
	if (*n == 0 && !allow_empty)
		JsvCompileError(kw->loc, kw->name, "must be a non-empty array");
	edges = palloc0(sizeof(JsvEdge) * Max(*n, 1));
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextElem(&it, &v))
	{
		edges[i] = JsvEdgeTo(kw, psprintf("/%s/%d", kw->name, i), &v);
		i++;
	}
	return edges;
}

/* Segment for a member of a keyword's object: "/kw/escaped-key" */
static char *
JsvMemberSeg(JsvKw *kw, const JsvName *k)
{
	return psprintf("/%s/%s", kw->name, JsvEscapeSegment(k->str, k->len));
}

/* Require an object value */
static void
JsvNeedObject(JsvKw *kw)
{
	if (!JsvIsObject(&kw->val))
		JsvCompileError(kw->loc, kw->name, "must be an object");
}

/* Read a non-negative integer keyword value, clamped to int32 */
static int32
JsvCount(JsvKw *kw)
{
	char	   *s;
	double		d;

	if (kw->val.type != jbvNumeric || !JsvIsInteger(&kw->val))
		JsvCompileError(kw->loc, kw->name, "must be a non-negative integer");
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(kw->val.val.numeric)));
	if (s[0] == '-')
		JsvCompileError(kw->loc, kw->name, "must be a non-negative integer");
	d = strtod(s, NULL);
	if (d >= (double) PG_INT32_MAX)
		return PG_INT32_MAX;
	return (int32) d;
}

/* Read a number keyword value */
static Numeric
JsvNumber(JsvKw *kw)
{
	if (kw->val.type != jbvNumeric)
		JsvCompileError(kw->loc, kw->name, "must be a number");
	return kw->val.val.numeric;
}

/* Order names in jsonb key order (for qsort) */
static int
JsvNameQsortCmp(const void *a, const void *b)
{
	const JsvName *x = a;
	const JsvName *y = b;

	return JsvNameCmp(x->str, x->len, y->str, y->len);
}

/* Order properties in jsonb key order (for qsort) */
static int
JsvPropQsortCmp(const void *a, const void *b)
{
	const JsvProp *x = a;
	const JsvProp *y = b;

	return JsvNameCmp(x->name.str, x->name.len, y->name.str, y->name.len);
}

/* Read an array of strings (required, dependentRequired), sorted if asked */
static JsvName *
JsvStringArray(JsvKw *kw, const JsonbValue *arr, int *n, bool sort)
{
	JsvIter		it;
	JsonbValue	v;
	JsvName    *names;
	int			i = 0;

	if (!JsvIsArray(arr))
		JsvCompileError(kw->loc, kw->name, "must be an array of strings");
	*n = JsonContainerSize(arr->val.binary.data);
	names = palloc0(sizeof(JsvName) * Max(*n, 1));
	JsvIterInit(&it, arr->val.binary.data);
	while (JsvIterNextElem(&it, &v))
	{
		if (v.type != jbvString)
			JsvCompileError(kw->loc, kw->name, "must be an array of strings");
		names[i].str = v.val.string.val;
		names[i].len = v.val.string.len;
		i++;
	}
	if (sort && *n > 1)
	{
		int			k = 1;

		/* sorted and without duplicates, as the merge with keys needs */
		qsort(names, *n, sizeof(JsvName), JsvNameQsortCmp);
		for (i = 1; i < *n; i++)
			if (JsvNameCmp(names[i].str, names[i].len, names[k - 1].str, names[k - 1].len) != 0)
				names[k++] = names[i];
		*n = k;
	}
	return names;
}

/* Compile "type" */
static void
JsvCompileType(JsvKw *kw)
{
	static const char *const names[] = {
		"null", "boolean", "object", "array", "number", "string", "integer"
	};
	JsvIter		it;
	JsonbValue	v;
	bool		single = (kw->val.type == jbvString);

	if (!single && !JsvIsArray(&kw->val))
		JsvCompileError(kw->loc, kw->name, "must be a type name or an array of type names");
	if (!single)
		JsvIterInit(&it, kw->val.val.binary.data);
	for (;;)
	{
		int			i;

		if (single)
			v = kw->val;
		else if (!JsvIterNextElem(&it, &v))
			break;
		if (v.type != jbvString)
			JsvCompileError(kw->loc, kw->name, "must be a type name or an array of type names");
		for (i = 0; i < 7; i++)
			if (strlen(names[i]) == (size_t) v.val.string.len &&
				memcmp(names[i], v.val.string.val, v.val.string.len) == 0)
				break;
		if (i == 7)
			JsvCompileError(kw->loc, kw->name, "unknown type \"%.*s\"",
							v.val.string.len, v.val.string.val);
		kw->node->types |= (1 << i);
		if (single)
			break;
	}
	/* "number" admits integers */
	if (kw->node->types & JSV_T_NUMBER)
		kw->node->types |= JSV_T_INTEGER;
	kw->node->has |= JSV_K_TYPE;
}

/* Compile "enum": strings sorted for binary search, the rest in a list */
static void
JsvCompileEnum(JsvKw *kw)
{
	JsvIter		it;
	JsonbValue	v;
	JsvNode    *n = kw->node;
	int			size;

	if (!JsvIsArray(&kw->val))
		JsvCompileError(kw->loc, kw->name, "must be an array");
	size = JsonContainerSize(kw->val.val.binary.data);
	n->enum_str = palloc0(sizeof(JsvName) * Max(size, 1));
	n->enum_other = palloc0(sizeof(JsonbValue) * Max(size, 1));
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextElem(&it, &v))
	{
		if (v.type == jbvString)
		{
			n->enum_str[n->nenum_str].str = v.val.string.val;
			n->enum_str[n->nenum_str].len = v.val.string.len;
			n->nenum_str++;
		}
		else
			n->enum_other[n->nenum_other++] = v;
	}
	qsort(n->enum_str, n->nenum_str, sizeof(JsvName), JsvNameQsortCmp);
	n->has |= JSV_K_ENUM;
}

/* Compile "properties": entries sorted in jsonb key order */
static void
JsvCompileProperties(JsvKw *kw)
{
	JsvIter		it;
	JsvName		k;
	JsonbValue	v;
	JsvNode    *n = kw->node;
	int			size;

	JsvNeedObject(kw);
	size = JsonContainerSize(kw->val.val.binary.data);
	n->props = palloc0(sizeof(JsvProp) * Max(size, 1));
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextPair(&it, &k, &v))
	{
		JsvProp    *p = &n->props[n->nprops++];

		p->name = k;
		p->edge = JsvEdgeTo(kw, JsvMemberSeg(kw, &k), &v);
	}
	/* jsonb already stores keys in this order; sort anyway to be safe */
	qsort(n->props, n->nprops, sizeof(JsvProp), JsvPropQsortCmp);
	n->has |= JSV_K_OBJECT;
}

/* Compile "patternProperties" */
static void
JsvCompilePatternProperties(JsvKw *kw)
{
	JsvIter		it;
	JsvName		k;
	JsonbValue	v;
	JsvNode    *n = kw->node;

	JsvNeedObject(kw);
	n->patprops = palloc0(sizeof(JsvPatProp) * Max(JsonContainerSize(kw->val.val.binary.data), 1));
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextPair(&it, &k, &v))
	{
		JsvPatProp *p = &n->patprops[n->npatprops++];
		char	   *err = NULL;

		p->re = JsvRegexCompile(kw->cc->prog, k.str, k.len, &err);
		if (p->re == NULL)
			JsvCompileError(kw->loc, kw->name, "invalid pattern \"%.*s\": %s", k.len, k.str, err);
		p->edge = JsvEdgeTo(kw, JsvMemberSeg(kw, &k), &v);
	}
	n->has |= JSV_K_OBJECT;
}

/* Compile "dependentSchemas" (and the schema form of "dependencies") */
static void
JsvAddDepSchema(JsvKw *kw, const JsvName *k, const JsonbValue *v)
{
	JsvNode    *n = kw->node;
	JsvDepSchema *d;

	n->depschema = n->depschema ?
		repalloc(n->depschema, sizeof(JsvDepSchema) * (n->ndepschema + 1)) :
		palloc(sizeof(JsvDepSchema));
	d = &n->depschema[n->ndepschema++];
	d->name = *k;
	d->edge = JsvEdgeTo(kw, JsvMemberSeg(kw, k), v);
	n->has |= JSV_K_OBJECT;
}

/* Compile "dependentRequired" (and the array form of "dependencies") */
static void
JsvAddDepReq(JsvKw *kw, const JsvName *k, const JsonbValue *v)
{
	JsvNode    *n = kw->node;
	JsvDepReq  *d;

	n->depreq = n->depreq ?
		repalloc(n->depreq, sizeof(JsvDepReq) * (n->ndepreq + 1)) :
		palloc(sizeof(JsvDepReq));
	d = &n->depreq[n->ndepreq++];
	d->name = *k;
	d->required = JsvStringArray(kw, v, &d->nrequired, false);
	d->seg = JsvMemberSeg(kw, k);
	d->keyword = kw->name;
	n->has |= JSV_K_OBJECT;
}

/* Compile a map keyword whose members are dependencies */
static void
JsvCompileDependencies(JsvKw *kw, bool schemas, bool arrays)
{
	JsvIter		it;
	JsvName		k;
	JsonbValue	v;

	JsvNeedObject(kw);
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextPair(&it, &k, &v))
	{
		if (arrays && JsvIsArray(&v))
			JsvAddDepReq(kw, &k, &v);
		else if (schemas)
			JsvAddDepSchema(kw, &k, &v);
		else
			JsvCompileError(kw->loc, kw->name, "member \"%.*s\" must be an array of strings",
							k.len, k.str);
	}
}

/* Compile every member of $defs / definitions, so bad ones are reported */
static void
JsvCompileDefs(JsvKw *kw)
{
	JsvIter		it;
	JsvName		k;
	JsonbValue	v;

	JsvNeedObject(kw);
	JsvIterInit(&it, kw->val.val.binary.data);
	while (JsvIterNextPair(&it, &k, &v))
		(void) JsvEdgeTo(kw, JsvMemberSeg(kw, &k), &v);
}

/* Compile "$ref" */
static void
JsvCompileRef(JsvKw *kw)
{
	JsvLoc	   *target;

	if (kw->val.type != jbvString)
		JsvCompileError(kw->loc, kw->name, "must be a string");
	target = JsvResolveRef(kw->cc, kw->loc,
						   pnstrdup(kw->val.val.string.val, kw->val.val.string.len),
						   kw->name);
	kw->node->ref.node = JsvCompileLoc(kw->cc, target);
	kw->node->ref.seg = "/$ref";
	kw->node->ref.keyword = "$ref";
	kw->node->has |= JSV_K_INPLACE;
}

/* Compile "$dynamicRef": static target, dynamic when bookended by an anchor */
static void
JsvCompileDynamicRef(JsvKw *kw)
{
	JsvLoc	   *target;
	char	   *ref;
	char	   *hash;
	JsonbValue	da;

	if (kw->val.type != jbvString)
		JsvCompileError(kw->loc, kw->name, "must be a string");
	ref = pnstrdup(kw->val.val.string.val, kw->val.val.string.len);
	target = JsvResolveRef(kw->cc, kw->loc, ref, kw->name);
	kw->node->dynref.node = JsvCompileLoc(kw->cc, target);
	kw->node->dynref.seg = "/$dynamicRef";
	kw->node->dynref.keyword = "$dynamicRef";
	kw->node->has |= JSV_K_INPLACE;

	hash = strchr(ref, '#');
	if (hash && hash[1] != '\0' && hash[1] != '/' && JsvIsObject(&target->value) &&
		getKeyJsonValueFromContainer(target->value.val.binary.data, "$dynamicAnchor",
									 strlen("$dynamicAnchor"), &da) &&
		da.type == jbvString &&
		(size_t) da.val.string.len == strlen(hash + 1) &&
		memcmp(da.val.string.val, hash + 1, da.val.string.len) == 0)
	{
		kw->node->dynref_anchor = pstrdup(hash + 1);
		kw->cc->prog->uses_dynamic = true;
	}
}

/* Compile "pattern" */
static void
JsvCompilePattern(JsvKw *kw)
{
	char	   *err = NULL;

	if (kw->val.type != jbvString)
		JsvCompileError(kw->loc, kw->name, "must be a string");
	kw->node->pattern = JsvRegexCompile(kw->cc->prog, kw->val.val.string.val,
										kw->val.val.string.len, &err);
	if (kw->node->pattern == NULL)
		JsvCompileError(kw->loc, kw->name, "invalid pattern \"%.*s\": %s",
						kw->val.val.string.len, kw->val.val.string.val, err);
	kw->node->has |= JSV_K_STRING;
}

/* Compile "format": asserted only when the program or the dialect says so */
static void
JsvCompileFormat(JsvKw *kw)
{
	if (kw->val.type != jbvString)
		JsvCompileError(kw->loc, kw->name, "must be a string");
	if (!kw->cc->prog->format_assertion && !(kw->loc->vocab & JSV_V_FORMAT_ASSERT))
		return;
	kw->node->format = JsvFormatLookup(kw->val.val.string.val, kw->val.val.string.len);
	kw->node->format_name = pnstrdup(kw->val.val.string.val, kw->val.val.string.len);
	if (kw->node->format != JSV_FMT_NONE && kw->node->format != JSV_FMT_UNKNOWN)
		kw->node->has |= JSV_K_STRING;
}

/* Compile one keyword of a schema object; unknown keywords are ignored */
static void
JsvCompileKeyword(JsvKw *kw)
{
	const char *k = kw->name;
	JsvNode    *n = kw->node;
	uint8		voc = kw->loc->vocab;

	/* core */
	if (strcmp(k, "$ref") == 0)
		JsvCompileRef(kw);
	else if (strcmp(k, "$dynamicRef") == 0)
		JsvCompileDynamicRef(kw);
	else if (strcmp(k, "$defs") == 0 || strcmp(k, "definitions") == 0)
		JsvCompileDefs(kw);
	else if (strcmp(k, "$comment") == 0 || strcmp(k, "$anchor") == 0 ||
			 strcmp(k, "$dynamicAnchor") == 0)
	{
		if (kw->val.type != jbvString)
			JsvCompileError(kw->loc, k, "must be a string");
	}
	/* applicator */
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "properties") == 0)
		JsvCompileProperties(kw);
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "additionalProperties") == 0)
	{
		n->additional = JsvSingle(kw);
		n->has |= JSV_K_OBJECT;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "patternProperties") == 0)
		JsvCompilePatternProperties(kw);
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "propertyNames") == 0)
	{
		n->property_names = JsvSingle(kw);
		n->has |= JSV_K_OBJECT;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "dependentSchemas") == 0)
		JsvCompileDependencies(kw, true, false);
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "dependencies") == 0)
		JsvCompileDependencies(kw, true, true);
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "prefixItems") == 0)
	{
		n->prefix_items = JsvArray(kw, &n->nprefix, false);
		n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "items") == 0)
	{
		if (JsvIsArray(&kw->val))
			n->prefix_items = JsvArray(kw, &n->nprefix, true);	/* legacy form */
		else
			n->items = JsvSingle(kw);
		n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "contains") == 0)
	{
		n->contains = JsvSingle(kw);
		n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "allOf") == 0)
	{
		n->all_of = JsvArray(kw, &n->nall, false);
		n->has |= JSV_K_INPLACE;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "anyOf") == 0)
	{
		n->any_of = JsvArray(kw, &n->nany, false);
		n->has |= JSV_K_INPLACE;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "oneOf") == 0)
	{
		n->one_of = JsvArray(kw, &n->none, false);
		n->has |= JSV_K_INPLACE;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "not") == 0)
	{
		n->not_ = JsvSingle(kw);
		n->has |= JSV_K_INPLACE;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "if") == 0)
	{
		n->if_ = JsvSingle(kw);
		n->has |= JSV_K_INPLACE;
	}
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "then") == 0)
		n->then_ = JsvSingle(kw);
	else if (voc & JSV_V_APPLICATOR && strcmp(k, "else") == 0)
		n->else_ = JsvSingle(kw);
	/* unevaluated */
	else if (voc & JSV_V_UNEVALUATED && strcmp(k, "unevaluatedProperties") == 0)
	{
		n->unevaluated_properties = JsvSingle(kw);
		n->has |= JSV_K_UNEVAL;
	}
	else if (voc & JSV_V_UNEVALUATED && strcmp(k, "unevaluatedItems") == 0)
	{
		n->unevaluated_items = JsvSingle(kw);
		n->has |= JSV_K_UNEVAL;
	}
	/* validation */
	else if (voc & JSV_V_VALIDATION && strcmp(k, "type") == 0)
		JsvCompileType(kw);
	else if (voc & JSV_V_VALIDATION && strcmp(k, "enum") == 0)
		JsvCompileEnum(kw);
	else if (voc & JSV_V_VALIDATION && strcmp(k, "const") == 0)
	{
		n->constval = kw->val;
		n->has |= JSV_K_CONST;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "multipleOf") == 0)
	{
		n->multiple_of = JsvNumber(kw);
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											  NumericGetDatum(n->multiple_of),
											  NumericGetDatum(kw->cc->prog->zero))) <= 0)
			JsvCompileError(kw->loc, k, "must be a number greater than 0");
		n->has |= JSV_K_NUMBER;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "maximum") == 0)
	{
		n->maximum = JsvNumber(kw);
		n->has |= JSV_K_NUMBER;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "exclusiveMaximum") == 0)
	{
		n->exclusive_maximum = JsvNumber(kw);
		n->has |= JSV_K_NUMBER;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "minimum") == 0)
	{
		n->minimum = JsvNumber(kw);
		n->has |= JSV_K_NUMBER;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "exclusiveMinimum") == 0)
	{
		n->exclusive_minimum = JsvNumber(kw);
		n->has |= JSV_K_NUMBER;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "maxLength") == 0)
	{
		n->max_length = JsvCount(kw);
		n->has |= JSV_K_STRING;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "minLength") == 0)
	{
		n->min_length = JsvCount(kw);
		n->has |= JSV_K_STRING;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "pattern") == 0)
		JsvCompilePattern(kw);
	else if (voc & JSV_V_VALIDATION && strcmp(k, "maxItems") == 0)
	{
		n->max_items = JsvCount(kw);
		n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "minItems") == 0)
	{
		n->min_items = JsvCount(kw);
		n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "uniqueItems") == 0)
	{
		if (kw->val.type != jbvBool)
			JsvCompileError(kw->loc, k, "must be a boolean");
		n->unique_items = kw->val.val.boolean;
		if (n->unique_items)
			n->has |= JSV_K_ARRAY;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "maxContains") == 0)
		n->max_contains = JsvCount(kw);
	else if (voc & JSV_V_VALIDATION && strcmp(k, "minContains") == 0)
		n->min_contains = JsvCount(kw);
	else if (voc & JSV_V_VALIDATION && strcmp(k, "maxProperties") == 0)
	{
		n->max_properties = JsvCount(kw);
		n->has |= JSV_K_OBJECT;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "minProperties") == 0)
	{
		n->min_properties = JsvCount(kw);
		n->has |= JSV_K_OBJECT;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "required") == 0)
	{
		n->required = JsvStringArray(kw, &kw->val, &n->nrequired, true);
		n->has |= JSV_K_OBJECT;
	}
	else if (voc & JSV_V_VALIDATION && strcmp(k, "dependentRequired") == 0)
		JsvCompileDependencies(kw, false, true);
	/* format */
	else if (voc & (JSV_V_FORMAT_ANN | JSV_V_FORMAT_ASSERT) && strcmp(k, "format") == 0)
		JsvCompileFormat(kw);
}

/* Compile the schema at a location (once; later calls return the node) */
JsvNode *
JsvCompileLoc(JsvCompiler *cc, JsvLoc *loc)
{
	JsvNode    *n;
	JsvIter		it;
	JsvName		k;
	JsvKw		kw;

	if (loc->node)
		return loc->node;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	n = palloc0(sizeof(JsvNode));
	n->boolean = -1;
	n->min_length = n->max_length = -1;
	n->min_items = n->max_items = -1;
	n->min_contains = 1;
	n->max_contains = -1;
	n->min_properties = n->max_properties = -1;
	n->resource = loc->resource;
	loc->node = n;

	if (loc->value.type == jbvBool)
	{
		n->boolean = loc->value.val.boolean ? 1 : 0;
		return n;
	}
	if (!JsvIsObject(&loc->value))
		JsvCompileError(loc, NULL, "a schema must be an object or a boolean");

	kw.cc = cc;
	kw.loc = loc;
	kw.node = n;
	JsvIterInit(&it, loc->value.val.binary.data);
	while (JsvIterNextPair(&it, &k, &kw.val))
	{
		kw.name = pnstrdup(k.str, k.len);
		JsvCompileKeyword(&kw);
	}
	if (n->unevaluated_items.node && !(n->has & JSV_K_ARRAY))
		n->has |= JSV_K_ARRAY;
	return n;
}
