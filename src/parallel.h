/*
 * parallel.h
 *		A file's lines read, parsed and fingerprinted by background workers,
 *		handed to the loading backend in file order.
 */
#ifndef OMNI_PARALLEL_H
#define OMNI_PARALLEL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "contract.h"
#include "reader.h"

typedef struct ParallelReader ParallelReader;

/*
 * Start reading the file reader has open (and has read nothing of) with
 * background workers, as omni_ingest.read_workers and read_span_bytes say;
 * fingerprints: also compute each record's fingerprint.  The workers judge
 * records by contract and silver_columns too, when they can (judge.h).  NULL when the
 * file is too small to share, the settings ask for no worker, or no
 * worker can be had: the caller then reads the file itself.
 */
extern ParallelReader *ParallelReaderStart(LineReader *reader, bool fingerprints,
										   Contract *contract, List *silver_columns);

/*
 * The next line, numbered and placed as LineReaderNext would, and false at
 * the end of the file.  *record is the line parsed (a JSON object, with
 * duplicate members as omni_ingest.duplicate_keys says), *judged whether it
 * satisfies its contract (false: not judged yet) and *fingerprint its
 * fingerprint (when asked for), all valid until the next call; or
 * NULL for a line the caller must judge itself: blank, too long, or not a
 * JSON object.  The file's SHA-256 is kept by reader, which reads the file
 * again behind the workers.
 */
extern bool ParallelReaderNext(ParallelReader *pr, ReaderLine *line,
							   Jsonb **record, bool *judged,
							   const char **fingerprint);

/*
 * Read the bytes of a line handed out parsed (line->data NULL) from the
 * file, into CurrentMemoryContext: the text of a record that is rejected.
 */
extern void ParallelReaderLineBytes(ParallelReader *pr, ReaderLine *line);

/* How many workers read the file */
extern int	ParallelReaderWorkers(ParallelReader *pr);

/* Offset of the line after the last one handed out */
extern int64 ParallelReaderNextOffset(ParallelReader *pr);

/* Stop the workers (they may be ahead) and free the shared memory */
extern void ParallelReaderEnd(ParallelReader *pr);

#endif							/* OMNI_PARALLEL_H */
