/*
 * silver_fill.c
 *		Silver's data columns filled from a record as jsonb_to_record fills
 *		them, in one walk over the record's members.
 *
 * The SQL path reads a record into Silver's data columns with
 * jsonb_to_record(payload) AS r(col type, ...), which looks every column
 * up in the record and gives each value's text to the column type's input
 * function.  The direct path (direct.c) fills the same values here: the
 * columns, put in jsonb's key order once, are merged with the record's
 * members in one walk, and each value is filled as jsonb_to_record's
 * populate_scalar and populate_array fill it -- absent or null: NULL; a
 * text column: the string, or the text of any other value; jsonb: the
 * value; a text[] column: a one-dimensional array, lower bound 1, of the
 * elements' texts (NULL for null); any other scalar type: its input
 * function on the value's text (a string unquoted, a number as numeric
 * prints it, true or false, a container as jsonb prints it).  Two
 * shortcuts give the same values faster: a text value is the string
 * itself (textin's), and a timestamptz value an RFC 3339 date-time parses
 * to, with the parser the storability checks use to prove the column
 * stores it exactly (storable.c); a string it does not parse goes to the
 * input function.
 *
 * A column jsonb_to_record fills in ways not reproduced here (a domain, a
 * composite, json, an array of another type) leaves every row to
 * jsonb_to_record; so does a record whose text[] value holds a container.
 * test/sql/write_path.sql compares the rows both paths write.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "silver_fill.h"
#include "storable.h"

/* How a column is filled from the record's member */
typedef enum FillKind
{
	FILL_TEXT,					/* text: the string, or the text of the value */
	FILL_TIMESTAMPTZ,			/* RFC 3339 parsed at once, else the input function */
	FILL_JSONB,					/* the value as jsonb */
	FILL_TEXT_ARRAY,			/* a JSON array of scalars as a text[] */
	FILL_SCALAR					/* the type's input function on the value's text */
} FillKind;

typedef struct DataFill
{
	FillKind	kind;
	FmgrInfo	input;			/* FILL_SCALAR, FILL_TIMESTAMPTZ, FILL_TEXT_ARRAY */
	Oid			typioparam;
	int32		typmod;
} DataFill;

struct SilverFill
{
	int			ncolumns;
	char	  **names;
	DataFill   *columns;
	int		   *order;			/* columns in jsonb key order */
};

/* Order columns as jsonb orders keys: by length, then bytes */
static int
CompareFillOrder(const void *a, const void *b, void *arg)
{
	char	  **names = arg;
	const char *na = names[*(const int *) a];
	const char *nb = names[*(const int *) b];
	int			la = strlen(na);
	int			lb = strlen(nb);

	return la != lb ? (la < lb ? -1 : 1) : memcmp(na, nb, la);
}

/* Plan the filling of a row type's columns; see silver_fill.h */
SilverFill *
SilverFillBegin(TupleDesc desc, char **names, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	SilverFill *fill = palloc0(sizeof(SilverFill));
	DataFill   *fills = palloc0(sizeof(DataFill) * Max(desc->natts, 1));

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(att->atttypid));
		Form_pg_type type;
		Oid			input;
		bool		fits = true;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for type %u", att->atttypid);
		type = (Form_pg_type) GETSTRUCT(tup);
		fills[i].typmod = att->atttypmod;
		if (type->typtype == TYPTYPE_DOMAIN || type->typtype == TYPTYPE_COMPOSITE ||
			att->atttypid == JSONOID)
			fits = false;
		else if (IsTrueArrayType(type))
		{
			fits = type->typelem == TEXTOID;
			fills[i].kind = FILL_TEXT_ARRAY;	/* a JSON string: array_in */
		}
		else if (att->atttypid == TEXTOID)
			fills[i].kind = FILL_TEXT;
		else if (att->atttypid == TIMESTAMPTZOID && att->atttypmod < 0)
			fills[i].kind = FILL_TIMESTAMPTZ;
		else if (att->atttypid == JSONBOID)
			fills[i].kind = FILL_JSONB;
		else
			fills[i].kind = FILL_SCALAR;
		ReleaseSysCache(tup);
		if (!fits)
		{
			MemoryContextSwitchTo(old);
			return NULL;
		}
		getTypeInputInfo(att->atttypid, &input, &fills[i].typioparam);
		fmgr_info_cxt(input, &fills[i].input, cxt);
	}
	fill->ncolumns = desc->natts;
	fill->names = names;
	fill->columns = fills;
	fill->order = palloc(sizeof(int) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
		fill->order[i] = i;
	qsort_arg(fill->order, fill->ncolumns, sizeof(int), CompareFillOrder, names);
	MemoryContextSwitchTo(old);
	return fill;
}

/* A JSON value as the text populate_scalar gives an input function */
static char *
ValueText(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			elog(ERROR, "unrecognized jsonb type: %d", (int) v->type);
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * A JSON array as populate_array makes a text[] of it: one dimension,
 * lower bound 1, each element the text of a scalar (NULL for null).
 * False when an element is an array or an object, which jsonb_to_record
 * judges itself.
 */
static bool
FillTextArray(JsonbValue *v, Datum *result)
{
	JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
	JsonbIteratorToken tok;
	JsonbValue	elem;
	int			n = JsonContainerSize(v->val.binary.data);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			i = 0;
	int			dims[1];
	int			lbs[1] = {1};

	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type == jbvBinary)
			return false;
		nulls[i] = elem.type == jbvNull;
		elems[i] = nulls[i] ? (Datum) 0 :
			elem.type == jbvString ?
			PointerGetDatum(cstring_to_text_with_len(elem.val.string.val, elem.val.string.len)) :
			CStringGetTextDatum(ValueText(&elem));
		i++;
	}
	dims[0] = i;
	*result = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID,
												 -1, false, TYPALIGN_INT));
	return true;
}

/* Fill one data column from the record's member (NULL: absent) */
static bool
FillColumn(DataFill *fill, JsonbValue *v, Datum *value, bool *isnull)
{
	TimestampTz ts;
	const char *why;

	*isnull = v == NULL || v->type == jbvNull;
	if (*isnull)
		return true;
	switch (fill->kind)
	{
		case FILL_TEXT:
			*value = v->type == jbvString ?
				PointerGetDatum(cstring_to_text_with_len(v->val.string.val, v->val.string.len)) :
				CStringGetTextDatum(ValueText(v));
			return true;
		case FILL_TIMESTAMPTZ:
			if (v->type == jbvString &&
				ParseRfc3339Timestamp(v->val.string.val, v->val.string.len, &ts, NULL, &why))
			{
				*value = TimestampTzGetDatum(ts);
				return true;
			}
			break;
		case FILL_JSONB:
			*value = JsonbPGetDatum(JsonbValueToJsonb(v));
			return true;
		case FILL_TEXT_ARRAY:
			if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
				!JsonContainerIsScalar(v->val.binary.data))
				return FillTextArray(v, value);
			if (v->type != jbvString)
				return false;	/* not an array: jsonb_to_record raises */
			break;
		case FILL_SCALAR:
			break;
	}
	*value = InputFunctionCall(&fill->input, ValueText(v), fill->typioparam, fill->typmod);
	return true;
}

/*
 * Fill a row from a record in one walk over its members (jsonb keeps them
 * in key order, the columns are walked in the same order); see
 * silver_fill.h
 */
bool
SilverFillRow(SilverFill *fill, Jsonb *record, Datum *values, bool *nulls)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	key;
	JsonbValue	value;
	int			next = 0;

	if (!JB_ROOT_IS_OBJECT(record))
		return false;
	it = JsonbIteratorInit(&record->root);
	while (next < fill->ncolumns && (tok = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &value, true);
		Assert(tok == WJB_VALUE);
		while (next < fill->ncolumns)
		{
			int			col = fill->order[next];
			const char *name = fill->names[col];
			int			len = strlen(name);
			int			c = len != key.val.string.len ?
				(len < key.val.string.len ? -1 : 1) :
				memcmp(name, key.val.string.val, len);

			if (c > 0)
				break;			/* the member is no (further) column's */
			next++;
			if (!FillColumn(&fill->columns[col], c == 0 ? &value : NULL,
							&values[col], &nulls[col]))
				return false;
		}
	}
	for (; next < fill->ncolumns; next++)
	{
		int			col = fill->order[next];

		(void) FillColumn(&fill->columns[col], NULL, &values[col], &nulls[col]);
	}
	return true;
}
