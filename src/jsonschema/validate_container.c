/*
 * validate_container.c
 *		The object and array keywords of the validator.
 *
 * An object is walked once: its keys come out of jsonb sorted by length,
 * then bytes, the same order "properties" and "required" were compiled in,
 * so both are merged against the keys with no lookups.  Arrays are walked
 * once for prefixItems/items and once more only for contains.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/jsonb.h"

#include "jsonschema/jsonschema_int.h"

/* Check the object keywords; marks evaluated keys in ev */
bool
JsvCheckObject(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	JsonbContainer *c = v->val.binary.data;
	int			size = JsonContainerSize(c);
	bool		ok = true;
	int			i;

#define JSV_OBJ_FAIL() \
	do { ok = false; if (JsvStop(ctx)) return false; } while (0)

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
				if (!JsvQuietChild(ctx, &n->property_names, &name))
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

/* An array item with its position and JSON-equality hash */
typedef struct JsvHashedItem
{
	JsonbValue	value;
	uint32		hash;
	int			index;
} JsvHashedItem;

/* Order hashed items by hash, then position (for qsort) */
static int
JsvHashedCmp(const void *a, const void *b)
{
	const JsvHashedItem *x = a;
	const JsvHashedItem *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index - y->index;
}

/*
 * Find two equal items of an array: *i < *j, the pair with the smallest j
 * (then i).  Long arrays are sorted by hash first, so the cost stays about
 * n log n whatever a hostile record holds.
 */
static bool
JsvFindDuplicate(JsonbContainer *c, int *i, int *j)
{
	int			size = JsonContainerSize(c);
	JsvHashedItem *items = palloc(sizeof(JsvHashedItem) * size);
	JsvIter		it;
	int			k = 0;
	int			a,
				b;
	bool		found = false;

	JsvIterInit(&it, c);
	while (JsvIterNextElem(&it, &items[k].value))
	{
		items[k].index = k;
		k++;
	}
	if (size <= 16)
	{
		for (b = 1; b < size && !found; b++)
			for (a = 0; a < b && !found; a++)
				if (JsvEqual(&items[a].value, &items[b].value))
				{
					*i = a;
					*j = b;
					found = true;
				}
	}
	else
	{
		for (k = 0; k < size; k++)
			items[k].hash = JsvHash(&items[k].value);
		qsort(items, size, sizeof(JsvHashedItem), JsvHashedCmp);
		/* report the pair a pairwise scan would: smallest j, then smallest i */
		for (a = 0; a < size; a++)
		{
			CHECK_FOR_INTERRUPTS();
			for (b = a + 1; b < size && items[b].hash == items[a].hash; b++)
			{
				int			lo = items[a].index;
				int			hi = items[b].index;

				if (found && (hi > *j || (hi == *j && lo >= *i)))
					continue;
				if (JsvEqual(&items[a].value, &items[b].value))
				{
					*i = lo;
					*j = hi;
					found = true;
				}
			}
		}
	}
	pfree(items);
	return found;
}

/* Check the array keywords; marks evaluated items in ev */
bool
JsvCheckArray(JsvCtx *ctx, JsvNode *n, const JsonbValue *v, JsvEval *ev)
{
	JsonbContainer *c = v->val.binary.data;
	int			size = JsonContainerSize(c);
	bool		ok = true;
	JsvIter		it;
	JsonbValue	val;

#define JSV_ARR_FAIL() \
	do { ok = false; if (JsvStop(ctx)) return false; } while (0)

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
			if (JsvQuietChild(ctx, &n->contains, &val))
			{
				matches++;
				JsvEvalMark(ev, it.i - 1);
				/* without annotations or a maximum, enough is enough */
				if (ev == NULL && n->max_contains < 0 && matches >= n->min_contains)
					break;
			}
			else if (unlikely(ctx->over))
				return false;	/* stopped, not "did not match" */
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
		int			i = 0,
					j = 0;

		/* a long array's copy is measured before it is made */
		if (size > 1024 && !JsvMemoryCheck(ctx, sizeof(JsvHashedItem) * size))
			return false;
		if (JsvFindDuplicate(c, &i, &j))
		{
			JsvReport(ctx, "uniqueItems", "array items %d and %d are equal", i, j);
			JSV_ARR_FAIL();
		}
	}
#undef JSV_ARR_FAIL
	return ok;
}
