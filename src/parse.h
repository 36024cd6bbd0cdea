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
 * lower-case sentence, *keyword to "encoding", "json" or "duplicate_key",
 * and *path to the JSON pointer of the repeated member ("" otherwise).
 * With reject_duplicates false, a repeated member is loaded as jsonb does
 * (the last one is kept).  Never raises for anything the line contains.
 */
extern Jsonb *ParseJsonLine(char *data, int len, bool reject_duplicates,
							const char **keyword, char **path, char **reason);

#endif							/* OMNI_PARSE_H */
