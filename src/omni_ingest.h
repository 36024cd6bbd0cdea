/*
 * omni_ingest.h
 *		Settings and names shared by the whole extension.
 */
#ifndef OMNI_INGEST_H
#define OMNI_INGEST_H

#include "postgres.h"

/* Schema holding the extension's tables */
#define OMNI_SCHEMA "omni_ingest"

/* omni_ingest.duplicate_keys: what a member that appears twice in an object does */
typedef enum OmniDuplicateKeys
{
	OMNI_DUPLICATE_KEYS_REJECT,	/* the line is rejected */
	OMNI_DUPLICATE_KEYS_LAST_WINS	/* the last one is kept, as jsonb does */
} OmniDuplicateKeys;

/* omni_ingest.write_path: how Bronze and Silver are written */
typedef enum OmniWritePath
{
	OMNI_WRITE_PATH_AUTO,		/* directly where the tables allow it (direct.c) */
	OMNI_WRITE_PATH_SQL			/* always through the SQL statements */
} OmniWritePath;

/* GUCs (omni_ingest.*) */
extern int	omni_chunk_rows;
extern int	omni_chunk_bytes;
extern int	omni_max_line_bytes;
extern int	omni_reject_line_bytes;
extern bool omni_allow_drop_data;
extern bool omni_raise_on_failure;
extern char *omni_allowed_directories;
extern int	omni_duplicate_keys;
extern int	omni_write_path;
extern int	omni_read_workers;
extern int	omni_read_span_bytes;
extern int	omni_validation_work_limit;
extern int	omni_validation_memory_limit;	/* kB */

#endif							/* OMNI_INGEST_H */
