/*
 * instance.c
 *		Read jsonb values in place: iteration, type tests, JSON equality.
 *
 * The validator never turns an instance into a JsonbValue tree.  These
 * helpers walk a container's JEntry array directly (the on-disk format
 * described in utils/jsonb.h) and hand out scalar values that point into
 * the container, and nested containers as jbvBinary.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"

#include "jsonschema/jsonschema_int.h"

/* Fill v from the child with JEntry je whose data starts at off */
static void
JsvFill(char *base, JEntry je, uint32 off, uint32 end, JsonbValue *v)
{
	switch (je & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			v->type = jbvString;
			v->val.string.val = base + off;
			v->val.string.len = end - off;
			break;
		case JENTRY_ISNUMERIC:
			v->type = jbvNumeric;
			v->val.numeric = (Numeric) (base + INTALIGN(off));
			break;
		case JENTRY_ISBOOL_TRUE:
			v->type = jbvBool;
			v->val.boolean = true;
			break;
		case JENTRY_ISBOOL_FALSE:
			v->type = jbvBool;
			v->val.boolean = false;
			break;
		case JENTRY_ISNULL:
			v->type = jbvNull;
			break;
		case JENTRY_ISCONTAINER:
			v->type = jbvBinary;
			v->val.binary.data = (JsonbContainer *) (base + INTALIGN(off));
			v->val.binary.len = end - INTALIGN(off);
			break;
		default:
			elog(ERROR, "unexpected jsonb entry type %x", je & JENTRY_TYPEMASK);
	}
}

/* Set v to the top-level value of a jsonb datum */
void
JsvRootValue(Jsonb *jb, JsonbValue *v)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsvIter		it;

		JsvIterInit(&it, &jb->root);
		if (!JsvIterNextElem(&it, v))
			elog(ERROR, "empty scalar jsonb container");
	}
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = &jb->root;
		v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

/* Start reading the children of an array or object container */
void
JsvIterInit(JsvIter *it, JsonbContainer *c)
{
	int			nchildren;

	it->c = c;
	it->n = JsonContainerSize(c);
	it->i = 0;
	nchildren = JsonContainerIsObject(c) ? it->n * 2 : it->n;
	it->base = (char *) &c->children[nchildren];
	it->koff = 0;
	it->voff = JsonContainerIsObject(c) ? getJsonbOffset(c, it->n) : 0;
}

/* Read the next key/value pair of an object; false at the end */
bool
JsvIterNextPair(JsvIter *it, JsvName *key, JsonbValue *val)
{
	JEntry		kje,
				vje;
	uint32		kend,
				vend;

	if (it->i >= it->n)
		return false;
	kje = it->c->children[it->i];
	vje = it->c->children[it->i + it->n];
	kend = JBE_HAS_OFF(kje) ? JBE_OFFLENFLD(kje) : it->koff + JBE_OFFLENFLD(kje);
	vend = JBE_HAS_OFF(vje) ? JBE_OFFLENFLD(vje) : it->voff + JBE_OFFLENFLD(vje);
	key->str = it->base + it->koff;
	key->len = kend - it->koff;
	JsvFill(it->base, vje, it->voff, vend, val);
	it->koff = kend;
	it->voff = vend;
	it->i++;
	return true;
}

/* Read the next element of an array; false at the end */
bool
JsvIterNextElem(JsvIter *it, JsonbValue *val)
{
	JEntry		je;
	uint32		end;

	if (it->i >= it->n)
		return false;
	je = it->c->children[it->i];
	end = JBE_HAS_OFF(je) ? JBE_OFFLENFLD(je) : it->voff + JBE_OFFLENFLD(je);
	JsvFill(it->base, je, it->voff, end, val);
	it->voff = end;
	it->i++;
	return true;
}

/* Compare two names in jsonb key order: length first, then bytes */
int
JsvNameCmp(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* Compare two numerics */
static int
JsvNumCmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(a),
											 NumericGetDatum(b)));
}

/* Decide JSON equality: numbers by value, objects regardless of key order */
bool
JsvEqual(const JsonbValue *a, const JsonbValue *b)
{
	JsvIter		ia,
				ib;
	JsonbContainer *ca,
			   *cb;

	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvNumeric:
			return JsvNumCmp(a->val.numeric, b->val.numeric) == 0;
		case jbvBinary:
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", a->type);
	}

	ca = a->val.binary.data;
	cb = b->val.binary.data;
	if (JsonContainerIsObject(ca) != JsonContainerIsObject(cb) ||
		JsonContainerSize(ca) != JsonContainerSize(cb))
		return false;
	check_stack_depth();
	JsvIterInit(&ia, ca);
	JsvIterInit(&ib, cb);
	if (JsonContainerIsObject(ca))
	{
		JsvName		ka,
					kb;
		JsonbValue	va,
					vb;

		/* jsonb keeps keys sorted and unique, so pairs line up */
		while (JsvIterNextPair(&ia, &ka, &va) && JsvIterNextPair(&ib, &kb, &vb))
		{
			if (ka.len != kb.len || memcmp(ka.str, kb.str, ka.len) != 0)
				return false;
			if (!JsvEqual(&va, &vb))
				return false;
		}
	}
	else
	{
		JsonbValue	va,
					vb;

		while (JsvIterNextElem(&ia, &va) && JsvIterNextElem(&ib, &vb))
		{
			if (!JsvEqual(&va, &vb))
				return false;
		}
	}
	return true;
}

/* Hash a value consistently with JsvEqual (1 and 1.0 hash alike) */
uint32
JsvHash(const JsonbValue *v)
{
	JsvIter		it;
	JsonbValue	child;
	JsvName		k;
	uint32		h;

	switch (v->type)
	{
		case jbvNull:
			return 0x9e3779b9;
		case jbvBool:
			return v->val.boolean ? 0x85ebca6b : 0xc2b2ae35;
		case jbvString:
			return hash_bytes((const unsigned char *) v->val.string.val, v->val.string.len);
		case jbvNumeric:
			/* hash_numeric ignores trailing zeros and display scale */
			return DatumGetUInt32(DirectFunctionCall1(hash_numeric,
													  NumericGetDatum(v->val.numeric)));
		case jbvBinary:
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", v->type);
	}
	check_stack_depth();
	h = JsonContainerIsObject(v->val.binary.data) ? 0x27d4eb2f : 0x165667b1;
	JsvIterInit(&it, v->val.binary.data);
	if (JsonContainerIsObject(v->val.binary.data))
	{
		/* keys come sorted, so equal objects hash alike */
		while (JsvIterNextPair(&it, &k, &child))
		{
			h = hash_combine(h, hash_bytes((const unsigned char *) k.str, k.len));
			h = hash_combine(h, JsvHash(&child));
		}
	}
	else
	{
		while (JsvIterNextElem(&it, &child))
			h = hash_combine(h, JsvHash(&child));
	}
	return h;
}

/* True when a numeric value has no fractional part (1.0 counts) */
bool
JsvIsInteger(const JsonbValue *v)
{
	if (v->type != jbvNumeric)
		return false;
	return DatumGetInt32(DirectFunctionCall1(numeric_min_scale,
											 NumericGetDatum(v->val.numeric))) == 0;
}

/* The JSV_T_* bit of a value (numbers report JSV_T_NUMBER) */
uint8
JsvTypeOf(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return JSV_T_NULL;
		case jbvBool:
			return JSV_T_BOOLEAN;
		case jbvString:
			return JSV_T_STRING;
		case jbvNumeric:
			return JSV_T_NUMBER;
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? JSV_T_OBJECT : JSV_T_ARRAY;
		default:
			elog(ERROR, "unexpected jsonb value type %d", v->type);
	}
	return 0;					/* keep compiler quiet */
}

/* Name a single JSV_T_* bit */
const char *
JsvTypeName(uint8 t)
{
	switch (t)
	{
		case JSV_T_NULL:
			return "null";
		case JSV_T_BOOLEAN:
			return "boolean";
		case JSV_T_OBJECT:
			return "object";
		case JSV_T_ARRAY:
			return "array";
		case JSV_T_NUMBER:
			return "number";
		case JSV_T_STRING:
			return "string";
		case JSV_T_INTEGER:
			return "integer";
	}
	return "unknown";
}

/* Render a value as JSON text, cut at about maxlen bytes (for messages) */
char *
JsvValueText(const JsonbValue *v, int maxlen)
{
	char	   *s;

	switch (v->type)
	{
		case jbvString:
			{
				StringInfoData buf;
				int			len = v->val.string.len;

				/* cut long strings early, at a character boundary */
				if (len > maxlen)
					len = pg_mbcliplen(v->val.string.val, len, maxlen + 1);
				initStringInfo(&buf);
				escape_json(&buf, pnstrdup(v->val.string.val, len));
				s = buf.data;
				break;
			}
		case jbvNumeric:
			s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
			break;
		case jbvBool:
			s = pstrdup(v->val.boolean ? "true" : "false");
			break;
		case jbvNull:
			s = pstrdup("null");
			break;
		default:
			s = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
			break;
	}
	if ((int) strlen(s) > maxlen)
	{
		int			cut = pg_mbcliplen(s, strlen(s), maxlen);

		s[cut] = '\0';
		s = psprintf("%s...", s);
	}
	return s;
}
