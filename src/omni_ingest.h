/*
 * omni_ingest.h
 *		Settings and names shared by the whole extension.
 */
#ifndef OMNI_INGEST_H
#define OMNI_INGEST_H

#include "postgres.h"

/* Schema holding the extension's tables */
#define OMNI_SCHEMA "omni_ingest"

/* GUCs (omni_ingest.*) */
extern int	omni_chunk_rows;
extern int	omni_max_line_bytes;
extern int	omni_reject_line_bytes;
extern bool omni_allow_drop_data;
extern bool omni_raise_on_failure;
extern char *omni_allowed_directories;
extern int	omni_validation_work_limit;
extern int	omni_validation_memory_limit;	/* kB */

#endif							/* OMNI_INGEST_H */
