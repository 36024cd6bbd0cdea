/*
 * direct.h
 *		The direct write path: Bronze and Silver written as COPY writes a
 *		table (heap multi-inserts, index maintenance, index probes), for the
 *		plain tables that allow it.
 */
#ifndef OMNI_DIRECT_H
#define OMNI_DIRECT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "storage/itemptr.h"

#include "contract.h"

/* A run's direct writer (opaque outside direct.c) */
typedef struct DirectWriter DirectWriter;

/* What Silver holds for a key */
typedef struct DirectStored
{
	TimestampTz version;
	char	   *fingerprint;
	ItemPointerData tid;		/* the row */
} DirectStored;

/* A line chosen to be held for its key, and what Silver holds for it */
typedef struct DirectSilverRow
{
	Datum		payload;		/* jsonb */
	Datum		fingerprint;	/* text */
	Datum		line;			/* int8 */
	Datum		version;		/* timestamptz */
	const DirectStored *stored; /* NULL: Silver holds nothing for the key */
	bool		written;		/* out: the row was inserted or replaced */
} DirectSilverRow;

/*
 * Set up the direct writing of a run into contract's tables.  columns are
 * Silver's data columns (WriterSilverFields); bronze_key says whether the
 * Bronze insert fills a column named as the business key and has it in
 * its conflict key.  Returns NULL when omni_ingest.write_path is sql.
 */
extern DirectWriter *DirectWriterBegin(Contract *contract, List *columns,
									   bool bronze_key);

/*
 * Open the tables for one chunk.  *bronze and *silver say which of them
 * the direct path serves this chunk (a table it cannot serve keeps the SQL
 * path); with_bronze false skips Bronze (a replay writes Silver only).
 * The caller must call DirectWriterClose after the chunk's writes.
 */
extern void DirectWriterOpen(DirectWriter *d, bool with_bronze, bool *bronze,
							 bool *silver);

/*
 * Insert the chunk's records that Bronze does not hold yet (by its
 * conflict key, also among the chunk's own lines: the first is kept).
 * Returns the number of rows inserted.
 */
extern int64 DirectBronzeInsert(DirectWriter *d, const char *batch_id, int n,
								Datum *payloads, Datum *fingerprints, Datum *lines);

/*
 * What Silver holds for each of nkeys distinct keys: found[i] false, or
 * true with stored[i] filled.
 */
extern void DirectSilverRead(DirectWriter *d, int nkeys, char **keys,
							 bool *found, DirectStored *stored);

/*
 * Write the rows chosen for their keys, as the SQL upsert does: insert
 * where Silver holds nothing; replace a stored row that is older, of the
 * same version with another fingerprint, or whose data columns differ
 * from the record's; leave it alone otherwise.
 */
extern void DirectSilverWrite(DirectWriter *d, const char *batch_id, int n,
							  DirectSilverRow *rows);

/* Close the tables of a chunk and make its rows visible to what follows */
extern void DirectWriterClose(DirectWriter *d);

#endif							/* OMNI_DIRECT_H */
