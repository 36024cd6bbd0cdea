/*
 * silver_fill.h
 *		Silver's data columns filled from a record as jsonb_to_record fills
 *		them, in one walk over the record's members.
 */
#ifndef OMNI_SILVER_FILL_H
#define OMNI_SILVER_FILL_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/jsonb.h"

/* How a row type's columns are filled (opaque outside silver_fill.c) */
typedef struct SilverFill SilverFill;

/*
 * Plan the filling of the columns of desc, named names[i] (the record
 * members they hold), in cxt.  NULL when a column is of a type filled
 * only by jsonb_to_record itself: a domain, a composite, json, or an
 * array of anything but text.
 */
extern SilverFill *SilverFillBegin(TupleDesc desc, char **names, MemoryContext cxt);

/*
 * Fill values and nulls (one per column) from an object record, exactly
 * as jsonb_to_record(record) AS r(columns) would.  False when this record
 * must go through jsonb_to_record itself (a value only it judges, such as
 * a nested array in a text[] column, which it may refuse).
 */
extern bool SilverFillRow(SilverFill *fill, Jsonb *record, Datum *values, bool *nulls);

#endif							/* OMNI_SILVER_FILL_H */
