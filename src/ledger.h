/*
 * ledger.h
 *		The batch ledger: one row per run, and the rerun decision.
 */
#ifndef OMNI_LEDGER_H
#define OMNI_LEDGER_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Run statuses, as stored in omni_ingest.batch_ledger.status */
#define RUN_RUNNING "running"
#define RUN_LOADED "loaded"
#define RUN_ALREADY_LOADED "already_loaded"
#define RUN_DRY_RUN "dry_run"
#define RUN_FAILED "failed"
#define RUN_INTERRUPTED "interrupted"
#define RUN_REPLAYED "replayed"

/* Everything a ledger row says about a run */
typedef struct RunRecord
{
	int64		run_id;
	char	   *batch_id;
	char	   *contract_ref;
	int32		contract_version;
	char	   *path;
	char	   *file_sha256;	/* NULL until known */
	int64		file_size;
	int64		row_limit;		/* -1: no limit */
	bool		dry_run;
	const char *status;
	int64		total;
	int64		valid;
	int64		invalid;
	int64		inserted;
	int64		skipped;
	int64		silver_inserted;
	int64		silver_updated;
	int64		silver_unchanged;
	int64		silver_superseded;
	int64		errors;
	int64		blank_lines;
	int64		bytes_read;
	int64		lines_read;
	char	   *error_sqlstate;
	char	   *error_message;
	int64		loaded_run_id;	/* 0: none */
	TimestampTz started_at;
	TimestampTz finished_at;	/* 0: not finished */
	char	   *run_by;			/* role that ran it */
	char	   *xid;			/* the run's top transaction id (xid8 text) */
	bool		durable;		/* its "running" row committed on its own */
	int64		checkpoint_offset;	/* resumable runs: committed up to here */
	int64		checkpoint_line;	/* ... and this line (0: no checkpoint) */
	/* asset runs (omni_ingest.ingest_asset); zeros and NULLs otherwise */
	int64		late;			/* records at or before the cursor, however handled */
	int64		quarantined;	/* late records kept in omni_ingest.quarantine */
	int64		outside_window; /* valid records outside the window, not written */
	char	   *load;			/* the load options, as jsonb text */
	char	   *cursor_before;	/* incremental runs: the stored cursor before */
	char	   *cursor_after;	/* ... and after the run */
	int			read_workers;	/* background workers that read the file */
} RunRecord;

extern RunRecord *LedgerFindLoaded(const char *batch_id);
extern void LedgerBegin(RunRecord *run);
extern void LedgerSweepInterrupted(void);
extern void LedgerInsert(RunRecord *run);
extern void LedgerUpdate(RunRecord *run, bool durable);
extern RunRecord *LedgerLatestRun(const char *batch_id, const char *status);


#endif							/* OMNI_LEDGER_H */
