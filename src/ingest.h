/*
 * ingest.h
 *		The load path shared by omni_ingest_jsonl, omni_ingest.ingest_asset,
 *		the resumable procedure and omni_replay.
 */
#ifndef OMNI_INGEST_PATH_H
#define OMNI_INGEST_PATH_H

#include "postgres.h"

#include "fmgr.h"

#include "contract.h"
#include "ledger.h"
#include "loadmode.h"
#include "parallel.h"
#include "reader.h"
#include "writer.h"

typedef struct IngestState
{
	RunRecord  *run;
	Contract   *contract;
	LineReader *reader;
	ParallelReader *parallel;	/* workers read the lines; NULL: reader does */
	Writer	   *writer;
	LoadMode   *load;			/* asset runs: the load mode; NULL otherwise */
	int64		current_line;	/* for the error context */
	MemoryContext line_cxt;		/* reset after every line */
} IngestState;

/* A part of a run that IngestInSubtransaction rolls back when it fails */
typedef void (*IngestStep) (void *arg);

extern void IngestPrepare(IngestState *state, RunRecord *run);
extern ErrorData *IngestInSubtransaction(IngestStep step, void *arg,
										 MemoryContext error_cxt);
extern void IngestProgressStart(IngestState *state);
extern void IngestLines(IngestState *state);
extern void IngestAddWriterCounts(RunRecord *run, Writer *writer);
extern void CheckRerun(RunRecord *loaded, RunRecord *run, LineReader *reader);
extern void CopyLoadedCounts(RunRecord *run, RunRecord *loaded);
extern Datum IngestSummaryRow(FunctionCallInfo fcinfo, RunRecord *run);
extern char *RequiredTextArg(FunctionCallInfo fcinfo, int argno, const char *name);

#endif							/* OMNI_INGEST_PATH_H */
