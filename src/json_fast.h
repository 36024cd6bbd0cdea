/*
 * json_fast.h
 *		A JSON parser for the plain text most lines are, calling the same
 *		semantic actions as pg_parse_json.
 */
#ifndef OMNI_JSON_FAST_H
#define OMNI_JSON_FAST_H

#include "postgres.h"

#include "common/jsonapi.h"

/*
 * Parse len bytes of data (valid UTF-8, no NUL) as one JSON value, nested
 * at most max_depth deep, calling sem's actions exactly as pg_parse_json
 * would.  False when it gives up -- on any error, a \u escape, or deeper
 * nesting -- possibly after some actions were called: the caller then
 * starts again from a fresh state with pg_parse_json.
 */
extern bool JsonFastParse(const char *data, int len, int max_depth, JsonSemAction *sem);

#endif							/* OMNI_JSON_FAST_H */
