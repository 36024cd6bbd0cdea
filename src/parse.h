/*
 * parse.h
 *		One line of text to jsonb, with failures returned instead of raised.
 */
#ifndef OMNI_PARSE_H
#define OMNI_PARSE_H

#include "postgres.h"

#include "utils/jsonb.h"

/* Deepest nesting of arrays and objects a line may have */
#define OMNI_MAX_JSON_DEPTH 1000

/*
 * Parse one line.  Returns the jsonb, or NULL with *reason set to a
 * lower-case sentence and *keyword to "encoding" or "json".  Never raises
 * for anything the line contains.
 */
extern Jsonb *ParseJsonLine(char *data, int len, const char **keyword,
							char **reason);

#endif							/* OMNI_PARSE_H */
