/*
 * target.c
 *		Design and create the Bronze and Silver tables of a contract.
 *
 * omni_create_target reads the newest version of a registered contract
 * and makes the two tables a load writes:
 *
 *  - Bronze, the shape the writer's Bronze insert needs: every accepted
 *    record as it arrived, keyed by (key, source_id, source_fingerprint),
 *    the key in a column of its own so that Bronze can be distributed
 *    co-located with Silver (omni_ingest_distribute);
 *  - Silver, one typed column per top-level property of the schema, then
 *    the writer's bookkeeping columns, keyed by the business key.
 *
 * A property's column type follows from what the schema lets its value
 * be: its "type" (a list with "null" and one other type is that type,
 * nullable), narrowed by "const", "enum" and a "$ref" to a local "$defs"
 * entry.  What no single SQL type holds exactly becomes jsonb; every value
 * is still checked against its column before the write (storable.c).  A
 * column is NOT NULL only when the property is required and cannot be
 * null.
 *
 * The tables are created as the extension owner, who alone may be written
 * to by loads (OmniCheckTargetTable), through SPI with every identifier
 * quoted, and recorded in omni_ingest.contract_target.  Called from an
 * extension script, they become members of the extension and their data
 * is dumped (pg_extension_config_dump); called at run time they are
 * ordinary tables in schema omni_ingest, dumped with their data.
 *
 * A new version of a contract that has tables evolves them when it is
 * registered (TargetEvolve): a new field adds a column, nullable unless
 * the field is required, non-nullable and Silver is empty; a field that
 * may now be missing or null drops its column's NOT NULL; a removed field
 * keeps its column.  What rows or loads could not satisfy is refused: a
 * column whose type would change, a new required non-nullable field while
 * Silver holds rows, and, for a contract annotated "x-omni-frozen": true,
 * any change of its Silver columns at all.
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "parser/parse_type.h"
#include "utils/regproc.h"

#include "ingest.h"
#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"
#include "target.h"
#include "writer.h"

/* What a JSON Schema lets a value be: a set of JSON types */
#define JT_NULL		0x01
#define JT_BOOLEAN	0x02
#define JT_INTEGER	0x04
#define JT_FRACTION 0x08		/* a number with a fractional part */
#define JT_STRING	0x10
#define JT_ARRAY	0x20
#define JT_OBJECT	0x40
#define JT_ANY		0x7F

/* How deep "$ref" chains are followed */
#define MAX_REF_DEPTH 16

/*
 * The Bronze columns the writer fills, with "event_id" and "ingested_at";
 * the business key follows them (CreateTables)
 */
#define BRONZE_COLUMNS \
	"event_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY," \
	" source_id pg_catalog.text COLLATE \"C\" NOT NULL," \
	" batch_id pg_catalog.text COLLATE \"C\" NOT NULL," \
	" payload pg_catalog.jsonb NOT NULL," \
	" source_fingerprint pg_catalog.text COLLATE \"C\" NOT NULL," \
	" line_number pg_catalog.int8 NOT NULL," \
	" ingested_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()"

/* Bronze columns a business key cannot be named like (source_id it may) */
static const char *const bronze_columns[] = {
	"event_id", "batch_id", "payload", "source_fingerprint", "line_number", "ingested_at"
};

/* The Silver columns the writer fills itself, as ticket_fact has them */
#define SILVER_BOOKKEEPING_COLUMNS \
	SILVER_VERSION_COLUMN " pg_catalog.timestamptz NOT NULL," \
	" " SILVER_FINGERPRINT_COLUMN " pg_catalog.text COLLATE \"C\" NOT NULL," \
	" " SILVER_BATCH_COLUMN " pg_catalog.text COLLATE \"C\" NOT NULL," \
	" " SILVER_LINE_COLUMN " pg_catalog.int8 NOT NULL," \
	" " SILVER_LOADED_COLUMN " pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()"

static const char *const bookkeeping_columns[] = {
	SILVER_VERSION_COLUMN, SILVER_FINGERPRINT_COLUMN, SILVER_BATCH_COLUMN,
	SILVER_LINE_COLUMN, SILVER_LOADED_COLUMN
};

/* What the schema lets a value be */
typedef struct Shape
{
	int			types;			/* JT_* */
	char	   *format;			/* "format", or NULL */
	JsonbValue *items;			/* "items", or NULL */
} Shape;

/* A Silver data column, designed from a property */
typedef struct TargetColumn
{
	char	   *name;
	const char *type;			/* SQL type, schema-qualified */
	bool		not_null;
} TargetColumn;

/* Everything omni_create_target decides before it creates anything */
typedef struct TargetDesign
{
	char	   *ref;
	char	   *key;
	List	   *versions;		/* char * */
	char	   *bronze;			/* table names in schema omni_ingest */
	char	   *silver;
	List	   *columns;		/* TargetColumn *, the key first */
} TargetDesign;

/* A member of a JSON object held as a jsonb value, or NULL */
static JsonbValue *
Member(JsonbValue *obj, const char *key)
{
	JsonbValue	k;

	if (obj == NULL || obj->type != jbvBinary ||
		!JsonContainerIsObject(obj->val.binary.data))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj->val.binary.data, JB_FOBJECT, &k);
}

/* A string held as a jsonb value, or NULL */
static char *
StringValue(JsonbValue *v)
{
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The elements (JsonbValue *) of an array, or the members of an object */
static List *
Elements(JsonbValue *v, List **keys)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	x;
	List	   *result = NIL;

	if (keys)
		*keys = NIL;
	if (v == NULL || v->type != jbvBinary)
		return NIL;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY && keys)
			*keys = lappend(*keys, pnstrdup(x.val.string.val, x.val.string.len));
		else if (tok == WJB_ELEM || tok == WJB_VALUE)
			result = lappend(result, memcpy(palloc(sizeof(JsonbValue)), &x, sizeof(JsonbValue)));
	}
	return result;
}

/* The JSON types a "type" name stands for */
static int
TypeNameMask(const char *name)
{
	if (strcmp(name, "null") == 0)
		return JT_NULL;
	if (strcmp(name, "boolean") == 0)
		return JT_BOOLEAN;
	if (strcmp(name, "integer") == 0)
		return JT_INTEGER;
	if (strcmp(name, "number") == 0)
		return JT_INTEGER | JT_FRACTION;
	if (strcmp(name, "string") == 0)
		return JT_STRING;
	if (strcmp(name, "array") == 0)
		return JT_ARRAY;
	if (strcmp(name, "object") == 0)
		return JT_OBJECT;
	return JT_ANY;
}

/* The JSON type of a value ("const", "enum") */
static int
ValueMask(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return JT_NULL;
		case jbvBool:
			return JT_BOOLEAN;
		case jbvString:
			return JT_STRING;
		case jbvNumeric:
			{
				char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric)));

				return strpbrk(text, ".eE") ? JT_INTEGER | JT_FRACTION : JT_INTEGER;
			}
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? JT_ARRAY : JT_OBJECT;
		default:
			return JT_ANY;
	}
}

/* The "$defs" entry a local reference ("#/$defs/name") points to, or NULL */
static JsonbValue *
LocalDefinition(JsonbValue *root, const char *ref)
{
	static const char *const members[] = {"$defs", "definitions"};

	for (int i = 0; i < (int) lengthof(members); i++)
	{
		char	   *prefix = psprintf("#/%s/", members[i]);
		size_t		len = strlen(prefix);
		StringInfoData name;

		if (strncmp(ref, prefix, len) != 0 || strchr(ref + len, '/') != NULL)
			continue;
		/* JSON pointer escapes: ~1 is "/", ~0 is "~" */
		initStringInfo(&name);
		for (const char *p = ref + len; *p; p++)
		{
			if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
				appendStringInfoChar(&name, *++p == '0' ? '~' : '/');
			else
				appendStringInfoChar(&name, *p);
		}
		return Member(Member(root, members[i]), name.data);
	}
	return NULL;
}

/*
 * What a schema lets a value be.  Keywords all apply at once, so each one
 * that says something about the type narrows the set; a reference that is
 * not a local "$defs" entry is left out, which only keeps the set wider.
 */
static Shape
DescribeSchema(JsonbValue *root, JsonbValue *schema, int depth)
{
	Shape		shape = {JT_ANY, NULL, NULL};
	JsonbValue *v;
	ListCell   *lc;
	char	   *ref;

	if (schema == NULL || schema->type != jbvBinary ||
		!JsonContainerIsObject(schema->val.binary.data))
		return shape;			/* true or false */

	if ((v = Member(schema, "type")) != NULL)
	{
		if (v->type == jbvString)
			shape.types = TypeNameMask(StringValue(v));
		else
		{
			shape.types = 0;
			foreach(lc, Elements(v, NULL))
			{
				char	   *name = StringValue(lfirst(lc));

				shape.types |= name ? TypeNameMask(name) : JT_ANY;
			}
		}
	}
	if ((v = Member(schema, "const")) != NULL)
		shape.types &= ValueMask(v);
	if ((v = Member(schema, "enum")) != NULL)
	{
		int			types = 0;

		foreach(lc, Elements(v, NULL))
			types |= ValueMask(lfirst(lc));
		shape.types &= types;
	}
	shape.format = StringValue(Member(schema, "format"));
	shape.items = Member(schema, "items");

	if ((ref = StringValue(Member(schema, "$ref"))) != NULL && depth < MAX_REF_DEPTH &&
		(v = LocalDefinition(root, ref)) != NULL)
	{
		Shape		target = DescribeSchema(root, v, depth + 1);

		shape.types &= target.types;
		if (shape.format == NULL)
			shape.format = target.format;
		if (shape.items == NULL)
			shape.items = target.items;
	}
	return shape;
}

/* The SQL type of a column holding values of that shape */
static const char *
ColumnType(JsonbValue *root, Shape *shape)
{
	int			types = shape->types & ~JT_NULL;

	if (types == JT_STRING)
	{
		if (shape->format && strcmp(shape->format, "date-time") == 0)
			return "pg_catalog.timestamptz";
		if (shape->format && strcmp(shape->format, "date") == 0)
			return "pg_catalog.date";
		if (shape->format && strcmp(shape->format, "uuid") == 0)
			return "pg_catalog.uuid";
		return "pg_catalog.text";
	}
	if (types == JT_INTEGER)
		return "pg_catalog.int8";
	if (types != 0 && (types & ~(JT_INTEGER | JT_FRACTION)) == 0)
		return "pg_catalog.numeric";
	if (types == JT_BOOLEAN)
		return "pg_catalog.bool";
	if (types == JT_ARRAY && shape->items != NULL)
	{
		Shape		items = DescribeSchema(root, shape->items, 0);

		if ((items.types & ~JT_NULL) == JT_STRING)
			return "pg_catalog.text[]";
	}
	return "pg_catalog.jsonb";
}

/* Position of name in a list of strings, or -1 */
static int
NameIndex(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return foreach_current_index(lc);
	return -1;
}

/* True when name is in a list of strings */
static bool
NameListed(List *names, const char *name)
{
	return NameIndex(names, name) >= 0;
}

/* Order strings by their bytes (list_sort comparator) */
static int
CompareNames(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* The names in a text[] argument, or NIL when it is NULL */
static List *
TextArrayArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;

	if (PG_ARGISNULL(argno))
		return NIL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", name)));
		result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

/* The newest schema of a contract, as a jsonb value (an object) */
static JsonbValue *
ContractSchema(const char *ref)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(ref)};
	bool		isnull;
	JsonbValue *root = palloc0(sizeof(JsonbValue));
	Jsonb	   *schema;

	OmniSpiExec("SELECT schema FROM omni_ingest.contract WHERE contract_ref = $1"
				" ORDER BY version DESC LIMIT 1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("contract \"%s\" does not exist", ref),
				 errhint("Register it with omni_register_contract(), or see omni_ingest.contract for registered contracts.")));
	schema = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!JB_ROOT_IS_OBJECT(schema))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract \"%s\" is not a schema object", ref),
				 errhint("Only a schema with top-level \"properties\" can have Bronze and Silver tables.")));
	root->type = jbvBinary;
	root->val.binary.data = &schema->root;
	root->val.binary.len = VARSIZE(schema) - VARHDRSZ;
	return root;
}

/* Refuse a contract that already has tables */
static void
CheckNoTarget(const char *ref)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(ref)};

	OmniSpiExec("SELECT silver_table::pg_catalog.text FROM omni_ingest.contract_target"
				" WHERE contract_ref = $1",
				1, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("contract \"%s\" already has Bronze and Silver tables", ref),
				 errdetail("Its Silver table is %s.", OmniSpiGetText(0, 1)),
				 errhint("See omni_ingest.contract_target.")));
}

/*
 * The business key and version fields: the arguments, or else the
 * schema's annotations "x-omni-key" and "x-omni-version"
 */
static void
ChooseKeyAndVersion(TargetDesign *d, JsonbValue *root, char *key, List *versions)
{
	JsonbValue *v;
	ListCell   *lc;

	if (key == NULL && (v = Member(root, "x-omni-key")) != NULL &&
		(key = StringValue(v)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("annotation \"x-omni-key\" of contract \"%s\" is not a string", d->ref)));
	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract \"%s\" names no business key", d->ref),
				 errhint("Pass key_field => 'field', or annotate the schema with \"x-omni-key\": \"field\".")));

	if (versions == NIL && (v = Member(root, "x-omni-version")) != NULL)
	{
		bool		is_array = v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);

		foreach(lc, Elements(v, NULL))
		{
			if (StringValue(lfirst(lc)) == NULL)
				is_array = false;
			versions = lappend(versions, StringValue(lfirst(lc)));
		}
		if (!is_array)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("annotation \"x-omni-version\" of contract \"%s\" is not an array of strings",
							d->ref)));
	}
	if (versions == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract \"%s\" names no version fields", d->ref),
				 errhint("Pass version_fields => '{field}', or annotate the schema with \"x-omni-version\": [\"field\"].")));
	d->key = key;
	d->versions = versions;
}

/* Refuse a property whose name cannot be a Silver column */
static void
CheckColumnName(TargetDesign *d, const char *name)
{
	const char *why = NULL;

	if (name[0] == '\0')
		why = "An empty name cannot be a column.";
	else if (strlen(name) >= NAMEDATALEN)
		why = psprintf("A column name has at most %d bytes.", NAMEDATALEN - 1);
	else if (SystemAttributeByName(name) != NULL)
		why = psprintf("\"%s\" is a system column of every table.", name);
	for (int i = 0; why == NULL && i < (int) lengthof(bookkeeping_columns); i++)
		if (strcmp(name, bookkeeping_columns[i]) == 0)
			why = psprintf("\"%s\" is a bookkeeping column of every Silver table.", name);
	if (why != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("field \"%s\" of contract \"%s\" cannot be a Silver column", name, d->ref),
				 errdetail("%s", why),
				 errhint("Leave it out of Silver with omit_fields => '{%s}'; Bronze keeps every field in its payload.",
						 name)));
}

/*
 * Design the Silver data columns from the schema's top-level properties,
 * the key first, the others by name; check the key, the version fields and
 * the source_id that Bronze takes from every record.
 */
static void
DesignColumns(TargetDesign *d, JsonbValue *root, List *omit)
{
	List	   *names;
	List	   *schemas = Elements(Member(root, "properties"), &names);
	List	   *required = NIL;
	List	   *order = NIL;
	ListCell   *lc;

	foreach(lc, Elements(Member(root, "required"), NULL))
		if (StringValue(lfirst(lc)) != NULL)
			required = lappend(required, StringValue(lfirst(lc)));

	foreach(lc, omit)
	{
		if (!NameListed(names, lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("field \"%s\" to omit is not a property of contract \"%s\"",
							(char *) lfirst(lc), d->ref)));
		if (strcmp(lfirst(lc), d->key) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("business key \"%s\" cannot be omitted from Silver", d->key)));
	}

	/* jsonb keeps object members ordered by length; put them by name */
	order = list_copy(names);
	list_sort(order, CompareNames);
	if (NameListed(order, d->key))
		order = lcons(d->key, list_delete_nth_cell(order, NameIndex(order, d->key)));

	foreach(lc, order)
	{
		char	   *name = lfirst(lc);
		JsonbValue *schema = list_nth(schemas, NameIndex(names, name));
		Shape		shape = DescribeSchema(root, schema, 0);
		TargetColumn *col;

		if (NameListed(omit, name))
			continue;
		CheckColumnName(d, name);
		col = palloc0(sizeof(TargetColumn));
		col->name = name;
		col->type = ColumnType(root, &shape);
		col->not_null = NameListed(required, name) && (shape.types & JT_NULL) == 0;
		if (strcmp(name, d->key) == 0)
		{
			if (shape.types != JT_STRING || !col->not_null)
				break;			/* refused below */
			col->type = "pg_catalog.text COLLATE \"C\"";
		}
		d->columns = lappend(d->columns, col);
	}

	if (d->columns == NIL || strcmp(((TargetColumn *) linitial(d->columns))->name, d->key) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business key \"%s\" is not a required, non-nullable string property of contract \"%s\"",
						d->key, d->ref),
				 errhint("Name a top-level property that every record holds as a string.")));
	for (int i = 0; i < (int) lengthof(bronze_columns); i++)
		if (strcmp(d->key, bronze_columns[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("business key \"%s\" of contract \"%s\" cannot be a Bronze column",
							d->key, d->ref),
					 errdetail("Bronze carries the key in a column of its name, and \"%s\" is one of its own columns.",
							   d->key),
					 errhint("Choose another business key with key_field.")));

	foreach(lc, d->versions)
	{
		char	   *name = lfirst(lc);
		int			i = NameIndex(names, name);
		Shape		shape = {0, NULL, NULL};

		if (i >= 0)
			shape = DescribeSchema(root, list_nth(schemas, i), 0);
		if ((shape.types & ~JT_NULL) != JT_STRING || shape.format == NULL ||
			strcmp(shape.format, "date-time") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("version field \"%s\" is not a date-time string property of contract \"%s\"",
							name, d->ref),
					 errhint("Name top-level properties of \"type\": \"string\" and \"format\": \"date-time\".")));
	}

	if (!NameListed(required, "source_id") || !NameListed(names, "source_id"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract \"%s\" has no required property \"source_id\"", d->ref),
				 errdetail("Bronze keeps every record under its source_id and fingerprint.")));
}

/*
 * A table name in schema omni_ingest: the argument (a name as regclass
 * reads it, optionally qualified with omni_ingest), or the default
 */
static char *
TableName(FunctionCallInfo fcinfo, int argno, const char *fallback)
{
	char	   *name;
	List	   *parts;

	if (PG_ARGISNULL(argno))
		name = pstrdup(fallback);
	else
	{
		parts = stringToQualifiedNameList(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
		if (list_length(parts) > 2 ||
			(list_length(parts) == 2 && strcmp(strVal(linitial(parts)), OMNI_SCHEMA) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_SCHEMA_NAME),
					 errmsg("target tables are created in schema \"%s\"", OMNI_SCHEMA),
					 errhint("Pass a table name without a schema.")));
		name = strVal(llast(parts));
	}
	if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("table name \"%s\" is not 1 to %d bytes long", name, NAMEDATALEN - 1),
				 errhint("Pass bronze_table and silver_table.")));
	if (OidIsValid(get_relname_relid(name, get_namespace_oid(OMNI_SCHEMA, false))))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s.%s\" already exists", OMNI_SCHEMA, name),
				 errhint("Pass bronze_table and silver_table to name the tables otherwise.")));
	return name;
}

/*
 * The name segment of a contract reference (its last path segment that is
 * not a version such as "v1"), as a lower-case identifier
 */
static char *
RefName(const char *ref)
{
	char	   *copy = pstrdup(ref);
	char	   *name = NULL;

	for (char *seg = strtok(copy, "/:#?"); seg; seg = strtok(NULL, "/:#?"))
		if (!(seg[0] == 'v' && seg[1] != '\0' && strspn(seg + 1, "0123456789") == strlen(seg + 1)))
			name = seg;
	if (name == NULL)
		return pstrdup("");
	for (char *p = name; *p; p++)
		*p = (IS_HIGHBIT_SET(*p) || !(isalnum((unsigned char) *p))) ? '_' : pg_ascii_tolower(*p);
	return name;
}

/* Run one utility statement of the target's DDL */
static void
RunDdl(const char *sql)
{
	OmniSpiExec(sql, 0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
}

/* Create both tables, grant reading them, and mark them for pg_dump */
static void
CreateTables(TargetDesign *d, Oid *bronze_oid, Oid *silver_oid)
{
	char	   *bronze = quote_qualified_identifier(OMNI_SCHEMA, d->bronze);
	char	   *silver = quote_qualified_identifier(OMNI_SCHEMA, d->silver);
	StringInfoData sql;
	StringInfoData versions;
	ListCell   *lc;

	/*
	 * Bronze carries the key in a column of its own, last as in
	 * raw_ticket_event, and in its unique key, so that it can be
	 * distributed co-located with Silver; a key named source_id is
	 * Bronze's source_id
	 */
	if (strcmp(d->key, "source_id") == 0)
		RunDdl(psprintf("CREATE TABLE %s (" BRONZE_COLUMNS ","
						" PRIMARY KEY (source_id, source_fingerprint))", bronze));
	else
	{
		const char *key = quote_identifier(d->key);

		RunDdl(psprintf("CREATE TABLE %s (" BRONZE_COLUMNS ","
						" %s pg_catalog.text COLLATE \"C\" NOT NULL,"
						" PRIMARY KEY (%s, source_id, source_fingerprint))", bronze, key, key));
		RunDdl(psprintf("COMMENT ON COLUMN %s.%s IS %s", bronze, key,
						quote_literal_cstr(psprintf("the record's business key (%s), by which Bronze is distributed",
													d->key))));
	}
	RunDdl(psprintf("CREATE INDEX ON %s (batch_id)", bronze));
	RunDdl(psprintf("COMMENT ON TABLE %s IS %s", bronze,
					quote_literal_cstr(psprintf("Bronze: every accepted record of %s as it arrived, stored once",
												d->ref))));
	RunDdl(psprintf("COMMENT ON COLUMN %s.source_fingerprint IS %s", bronze,
					quote_literal_cstr("SHA-256 (hex) of the record's canonical jsonb text")));

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (", silver);
	foreach(lc, d->columns)
	{
		TargetColumn *col = lfirst(lc);

		appendStringInfo(&sql, "%s %s%s, ", quote_identifier(col->name), col->type,
						 lc == list_head(d->columns) ? " PRIMARY KEY" :
						 col->not_null ? " NOT NULL" : "");
	}
	appendStringInfoString(&sql, SILVER_BOOKKEEPING_COLUMNS ")");
	RunDdl(sql.data);
	RunDdl(psprintf("CREATE INDEX ON %s (" SILVER_BATCH_COLUMN ")", silver));
	RunDdl(psprintf("COMMENT ON TABLE %s IS %s", silver,
					quote_literal_cstr(psprintf("Silver: one typed row per %s at its newest version",
												d->key))));
	initStringInfo(&versions);
	foreach(lc, d->versions)
		appendStringInfo(&versions, "%s%s", lc == list_head(d->versions) ? "" : ", ",
						 (char *) lfirst(lc));
	RunDdl(psprintf("COMMENT ON COLUMN %s." SILVER_VERSION_COLUMN " IS %s", silver,
					quote_literal_cstr(psprintf(list_length(d->versions) > 1 ?
												"coalesce(%s) of the record held" :
												"%s of the record held", versions.data))));
	RunDdl(psprintf("GRANT SELECT ON %s, %s TO omni_ingest_reader", bronze, silver));

	*bronze_oid = get_relname_relid(d->bronze, get_namespace_oid(OMNI_SCHEMA, false));
	*silver_oid = get_relname_relid(d->silver, get_namespace_oid(OMNI_SCHEMA, false));
	if (!OidIsValid(*bronze_oid) || !OidIsValid(*silver_oid))
		elog(ERROR, "created target tables of contract \"%s\" not found", d->ref);

	/* Members of the extension (automatically, in its script): dump their data */
	if (creating_extension)
	{
		Oid			types[1] = {TEXTOID};
		Datum		values[1] = {CStringGetTextDatum(bronze)};

		/* one statement each: every call rewrites the extension's row */
		OmniSpiExec("SELECT pg_catalog.pg_extension_config_dump($1::pg_catalog.regclass, '')",
					1, types, values, NULL, false, SPI_OK_SELECT);
		OmniSpiExec("SELECT pg_catalog.pg_extension_config_dump("
					"pg_catalog.pg_get_serial_sequence($1, 'event_id')::pg_catalog.regclass, '')",
					1, types, values, NULL, false, SPI_OK_SELECT);
		values[0] = CStringGetTextDatum(silver);
		OmniSpiExec("SELECT pg_catalog.pg_extension_config_dump($1::pg_catalog.regclass, '')",
					1, types, values, NULL, false, SPI_OK_SELECT);
	}
}

/* The version fields as a text[] */
static Datum
VersionArray(TargetDesign *d)
{
	Datum	   *fields = palloc(sizeof(Datum) * list_length(d->versions));
	ListCell   *lc;

	foreach(lc, d->versions)
		fields[foreach_current_index(lc)] = CStringGetTextDatum(lfirst(lc));
	return PointerGetDatum(construct_array(fields, list_length(d->versions), TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/* Record the target in omni_ingest.contract_target */
static void
RecordTarget(TargetDesign *d, Oid bronze_oid, Oid silver_oid)
{
	Oid			types[6] = {TEXTOID, OIDOID, OIDOID, TEXTOID, TEXTARRAYOID, BOOLOID};
	Datum		values[6];

	values[0] = CStringGetTextDatum(d->ref);
	values[1] = ObjectIdGetDatum(bronze_oid);
	values[2] = ObjectIdGetDatum(silver_oid);
	values[3] = CStringGetTextDatum(d->key);
	values[4] = VersionArray(d);
	values[5] = BoolGetDatum(creating_extension);	/* shipped */
	/* Its trigger tells every backend to load the contract again */
	OmniSpiExec("INSERT INTO omni_ingest.contract_target"
				" (contract_ref, bronze_table, silver_table, key_field, version_fields, shipped)"
				" VALUES ($1, $2::pg_catalog.regclass, $3::pg_catalog.regclass, $4, $5, $6)",
				6, types, values, NULL, false, SPI_OK_INSERT);
}

/* The Silver data columns as created: [{"column", "type", "not_null"}] */
static Datum
CreatedColumns(Oid silver_oid, MemoryContext result_cxt)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(silver_oid)};
	bool		isnull;
	MemoryContext old;
	Datum		result;

	OmniSpiExec("SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
				"  'column', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),"
				"  'not_null', a.attnotnull) ORDER BY a.attnum)"
				" FROM pg_catalog.pg_attribute a"
				" WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
				"   AND a.attname <> ALL ('{" SILVER_VERSION_COLUMN "," SILVER_FINGERPRINT_COLUMN ","
				SILVER_BATCH_COLUMN "," SILVER_LINE_COLUMN "," SILVER_LOADED_COLUMN "}')",
				1, types, values, NULL, false, SPI_OK_SELECT);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	old = MemoryContextSwitchTo(result_cxt);
	result = PointerGetDatum(DatumGetJsonbPCopy(result));
	MemoryContextSwitchTo(old);
	return result;
}

/*
 * omni_create_target(contract_ref, key_field, version_fields, bronze_table,
 * silver_table, omit_fields) returns (contract_ref, bronze_table,
 * silver_table, key_field, version_fields, silver_columns)
 */
PG_FUNCTION_INFO_V1(omni_create_target);
Datum
omni_create_target(PG_FUNCTION_ARGS)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	TargetDesign d;
	TupleDesc	tupdesc;
	JsonbValue *root;
	List	   *omit;
	char	   *key;
	List	   *versions;
	char	   *name;
	Oid			bronze_oid;
	Oid			silver_oid;
	Datum		result[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	HeapTuple	tuple;
	int			save_nestlevel;
	OwnerSwitch owner;

	memset(&d, 0, sizeof(d));
	d.ref = RequiredTextArg(fcinfo, 0, "contract_ref");
	key = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	versions = TextArrayArg(fcinfo, 2, "version_fields");
	omit = TextArrayArg(fcinfo, 5, "omit_fields");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniBecomeOwner(&owner);

	/* One target per contract: designed and recorded one at a time */
	RunDdl("LOCK TABLE omni_ingest.contract_target IN SHARE ROW EXCLUSIVE MODE");
	root = ContractSchema(d.ref);
	CheckNoTarget(d.ref);
	ChooseKeyAndVersion(&d, root, key, versions);
	DesignColumns(&d, root, omit);

	name = RefName(d.ref);
	if (name[0] == '\0' && (PG_ARGISNULL(3) || PG_ARGISNULL(4)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contract reference \"%s\" has no name to name its tables after", d.ref),
				 errhint("Pass bronze_table and silver_table.")));
	d.bronze = TableName(fcinfo, 3, psprintf("raw_%s_event", name));
	d.silver = TableName(fcinfo, 4, psprintf("%s_fact", name));
	if (strcmp(d.bronze, d.silver) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bronze_table and silver_table are both \"%s\"", d.bronze),
				 errhint("Give the two tables different names.")));

	CreateTables(&d, &bronze_oid, &silver_oid);
	RecordTarget(&d, bronze_oid, silver_oid);
	result[5] = CreatedColumns(silver_oid, caller_cxt);

	OmniRestoreCaller(&owner);
	OmniRestoreSearchPath(save_nestlevel);

	MemoryContextSwitchTo(caller_cxt);
	result[0] = CStringGetTextDatum(d.ref);
	result[1] = ObjectIdGetDatum(bronze_oid);
	result[2] = ObjectIdGetDatum(silver_oid);
	result[3] = CStringGetTextDatum(d.key);
	result[4] = VersionArray(&d);
	tuple = heap_form_tuple(BlessTupleDesc(tupdesc), result, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/* A Silver data column as the table holds it */
typedef struct HeldColumn
{
	char	   *name;
	Oid			type;
	bool		not_null;
} HeldColumn;

/* A schema held as a jsonb value */
static JsonbValue *
SchemaValue(Jsonb *schema)
{
	JsonbValue *root = palloc0(sizeof(JsonbValue));

	root->type = jbvBinary;
	root->val.binary.data = &schema->root;
	root->val.binary.len = VARSIZE(schema) - VARHDRSZ;
	return root;
}

/* True when a schema is annotated "x-omni-frozen": true */
static bool
IsFrozen(JsonbValue *root)
{
	JsonbValue *v = Member(root, "x-omni-frozen");

	return v != NULL && v->type == jbvBool && v->val.boolean;
}

/* True when name is a bookkeeping column of every Silver table */
static bool
IsBookkeeping(const char *name)
{
	for (int i = 0; i < (int) lengthof(bookkeeping_columns); i++)
		if (strcmp(name, bookkeeping_columns[i]) == 0)
			return true;
	return false;
}

/* The data columns of a Silver table (HeldColumn *) */
static List *
ExistingColumns(Oid silver_oid)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(silver_oid)};
	List	   *result = NIL;
	bool		isnull;

	OmniSpiExec("SELECT a.attname::pg_catalog.text, a.atttypid, a.attnotnull"
				" FROM pg_catalog.pg_attribute a"
				" WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
				" ORDER BY a.attnum",
				1, types, values, NULL, true, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeldColumn *col = palloc0(sizeof(HeldColumn));
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		col->name = SPI_getvalue(tup, desc, 1);
		if (IsBookkeeping(col->name))
			continue;
		col->type = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		col->not_null = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		result = lappend(result, col);
	}
	return result;
}

/* The column of that name, or NULL */
static HeldColumn *
FindExisting(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (strcmp(((HeldColumn *) lfirst(lc))->name, name) == 0)
			return lfirst(lc);
	return NULL;
}

/* The designed column of that name, or NULL */
static TargetColumn *
FindDesigned(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (strcmp(((TargetColumn *) lfirst(lc))->name, name) == 0)
			return lfirst(lc);
	return NULL;
}

/* The type a designed column has (the key is text, collated "C") */
static Oid
DesignedType(TargetDesign *d, TargetColumn *col)
{
	Oid			typid;
	int32		typmod;

	if (strcmp(col->name, d->key) == 0)
		return TEXTOID;
	parseTypeString(col->type, &typid, &typmod, false);
	return typid;
}

/*
 * Design a version's Silver columns for tables that exist: its fields
 * named like bookkeeping columns never are data columns, and neither is a
 * field of the registered version that has no column (it was omitted).
 */
static void
DesignVersion(TargetDesign *d, JsonbValue *root, List *old_names, List *existing)
{
	List	   *names;
	List	   *omit = NIL;
	ListCell   *lc;

	(void) Elements(Member(root, "properties"), &names);
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);

		if (IsBookkeeping(name) ||
			(NameListed(old_names, name) && FindExisting(existing, name) == NULL &&
			 strcmp(name, d->key) != 0))
			omit = lappend(omit, name);
	}
	DesignColumns(d, root, omit);
}

/* Refuse a change of a frozen contract's Silver shape */
static void
CheckFrozen(TargetDesign *old, TargetDesign *new, int32 version)
{
	ListCell   *lc;
	const char *field = NULL;
	const char *what = NULL;

	foreach(lc, new->columns)
	{
		TargetColumn *col = lfirst(lc);
		TargetColumn *was = FindDesigned(old->columns, col->name);

		if (was == NULL)
			what = "would add field \"%s\"";
		else if (strcmp(was->type, col->type) != 0 || was->not_null != col->not_null)
			what = "would change field \"%s\"";
		if (what != NULL)
		{
			field = col->name;
			break;
		}
	}
	foreach(lc, old->columns)
	{
		if (what != NULL)
			break;
		if (FindDesigned(new->columns, ((TargetColumn *) lfirst(lc))->name) == NULL)
		{
			what = "would remove field \"%s\"";
			field = ((TargetColumn *) lfirst(lc))->name;
		}
	}
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("contract \"%s\" is frozen: version %d %s of its Silver table",
						new->ref, version, psprintf(what, field)),
				 errdetail("A contract annotated \"x-omni-frozen\": true keeps its Silver columns as they are."),
				 errhint("Register the change as a new contract, or register a version of the same Silver shape.")));
}

/*
 * Evolve the tables of a contract to a version about to be registered:
 * compare the new schema's Silver columns with the Silver table's, add
 * the new ones, drop a NOT NULL that loads could no longer satisfy, and
 * refuse what existing rows or loads could not satisfy.  Runs in the
 * caller's SPI connection, as the extension owner, with search_path
 * pinned; does nothing for a contract without tables.
 */
void
TargetEvolve(const char *ref, Jsonb *new_schema)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(ref)};
	TargetDesign old;
	TargetDesign new;
	JsonbValue *old_root;
	JsonbValue *new_root;
	List	   *old_names;
	List	   *existing;
	Oid			silver_oid;
	char	   *silver;
	int32		version;
	bool		isnull;
	bool		has_rows;
	ArrayType  *fields;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	ListCell   *lc;

	/* Tables are not created meanwhile (omni_create_target) */
	RunDdl("LOCK TABLE omni_ingest.contract_target IN SHARE MODE");
	OmniSpiExec("SELECT silver_table::pg_catalog.oid, key_field, version_fields"
				" FROM omni_ingest.contract_target WHERE contract_ref = $1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return;

	memset(&old, 0, sizeof(old));
	old.ref = pstrdup(ref);
	silver_oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	old.key = OmniSpiGetText(0, 2);
	fields = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	deconstruct_array(fields, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			old.versions = lappend(old.versions, TextDatumGetCString(elems[i]));
	new = old;

	OmniSpiExec("SELECT schema, version FROM omni_ingest.contract WHERE contract_ref = $1"
				" ORDER BY version DESC LIMIT 1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		elog(ERROR, "contract \"%s\" has tables but no version", ref);
	old_root = SchemaValue(DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 1, &isnull)));
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) + 1;
	new_root = SchemaValue(new_schema);
	if (!JB_ROOT_IS_OBJECT(new_schema))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version %d of contract \"%s\" is not a schema object", version, ref),
				 errdetail("The contract has Bronze and Silver tables."),
				 errhint("Register a schema with top-level \"properties\", or register it as a new contract.")));

	silver = quote_qualified_identifier(get_namespace_name(get_rel_namespace(silver_oid)),
										get_rel_name(silver_oid));
	existing = ExistingColumns(silver_oid);
	(void) Elements(Member(old_root, "properties"), &old_names);
	DesignVersion(&old, old_root, old_names, existing);
	DesignVersion(&new, new_root, old_names, existing);
	if (IsFrozen(old_root) || IsFrozen(new_root))
		CheckFrozen(&old, &new, version);

	/* A column to select: Citus cannot plan an empty one over a distributed table */
	OmniSpiExec(psprintf("SELECT EXISTS (SELECT 1 FROM %s)", silver),
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	has_rows = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/* Refuse first, alter after: an error leaves nothing half done */
	foreach(lc, new.columns)
	{
		TargetColumn *col = lfirst(lc);
		HeldColumn *have = FindExisting(existing, col->name);
		Oid			want = DesignedType(&new, col);

		if (have != NULL && have->type != want)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("version %d of contract \"%s\" changes the type of field \"%s\" from %s to %s",
							version, ref, col->name, format_type_be(have->type), format_type_be(want)),
					 errdetail("Silver table %s holds the field as %s.", silver, format_type_be(have->type)),
					 errhint("Register the change as a new contract, or migrate the column to %s yourself before registering this version.",
							 format_type_be(want))));
		if (have == NULL && col->not_null && has_rows)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("version %d of contract \"%s\" adds required field \"%s\", which cannot be null",
							version, ref, col->name),
					 errdetail("Silver table %s holds rows without it.", silver),
					 errhint("Make the field optional or nullable, register the change as a new contract, or add the column yourself before registering this version.")));
	}
	foreach(lc, new.columns)
	{
		TargetColumn *col = lfirst(lc);
		HeldColumn *have = FindExisting(existing, col->name);

		if (have == NULL)
			RunDdl(psprintf("ALTER TABLE %s ADD COLUMN %s %s%s", silver,
							quote_identifier(col->name), col->type,
							col->not_null ? " NOT NULL" : ""));
		else if (have->not_null && !col->not_null)
			RunDdl(psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", silver,
							quote_identifier(col->name)));
	}
}
