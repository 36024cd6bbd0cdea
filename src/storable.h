/*
 * storable.h
 *		Whether a record's values convert soundly to the Silver columns that
 *		will hold them.
 *
 * The writer describes each Silver data column as a SilverColumn (it knows
 * the table); this module judges JSON values against those descriptions
 * and knows nothing of tables or SQL.  A value converts soundly when the
 * Silver write will accept it and store exactly the value the record
 * holds: never rounded, truncated, re-interpreted or made up.
 */
#ifndef OMNI_STORABLE_H
#define OMNI_STORABLE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* What a column holds, as far as the checks below are concerned */
typedef enum SilverKind
{
	SILVER_TEXT,				/* text, varchar(n): a JSON string */
	SILVER_BOOL,				/* a JSON true or false */
	SILVER_INT2,				/* a JSON integer within the type's range */
	SILVER_INT4,
	SILVER_INT8,
	SILVER_NUMERIC,				/* a JSON number (within numeric(p,s)) */
	SILVER_FLOAT4,				/* a JSON number the type holds exactly */
	SILVER_FLOAT8,
	SILVER_JSON,				/* json, jsonb: any JSON value */
	SILVER_TIMESTAMPTZ,			/* an RFC 3339 date-time */
	SILVER_TIMESTAMP,			/* an RFC 3339 date-time at UTC offset 0 */
	SILVER_DATE,				/* an RFC 3339 full-date */
	SILVER_UUID,				/* a string uuid_in accepts */
	SILVER_OTHER				/* any other type: its input function decides */
} SilverKind;

typedef struct SilverColumn
{
	char	   *name;			/* the column, and the record field it holds */
	char	   *type_name;		/* for messages: "character varying(3)[]" */
	SilverKind	kind;			/* of the column, or of its elements */
	bool		is_array;		/* a one-dimensional array of kind */
	bool		not_null;		/* NULL (or an absent field) cannot be stored */
	bool		is_domain;		/* SILVER_OTHER: a domain, which may refuse NULL */
	int32		typmod;			/* of the column (or element), -1 if none */
	/* SILVER_OTHER: how to read a value of the (element) type */
	Oid			typinput;
	Oid			typioparam;
} SilverColumn;

/*
 * Append a JsonSchemaError (keyword "column_type") to *errors for every
 * column whose value in the record does not convert soundly.  columns must
 * have been put in order by SortSilverColumns.  Never raises for anything
 * the record holds.
 */
extern void CheckStorable(List *columns, Jsonb *record, List **errors);

/* Order columns (SilverColumn *) in place for CheckStorable */
extern void SortSilverColumns(List *columns);

/* The column of that name, or NULL */
extern SilverColumn *SilverColumnNamed(List *columns, const char *name);

/*
 * Parse an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM),
 * T or t or a space between date and time) into a timestamptz.  False, with *why set, when it is not one or when
 * timestamptz cannot hold it exactly.  *offset_seconds receives the UTC
 * offset (east positive) when not NULL.  Never raises.
 */
extern bool ParseRfc3339Timestamp(const char *s, int len, TimestampTz *result,
								  int *offset_seconds, const char **why);

#endif							/* OMNI_STORABLE_H */
