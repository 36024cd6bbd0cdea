/*
 * resumable.c
 *		omni_ingest_jsonl_resumable: a very large file in committed segments.
 *
 * CALL omni_ingest_jsonl_resumable(path, batch_id, commit_every) loads like
 * omni_ingest_jsonl, but commits every commit_every non-blank lines, each
 * time recording in the ledger row the byte offset and line number reached
 * (the checkpoint) together with the counts so far.  If the run is
 * interrupted -- an error, a cancel, a server crash -- what was committed
 * stays, the ledger row keeps the last checkpoint, and calling the
 * procedure again with the same batch id and file continues from there:
 * no line is loaded twice and none is skipped.  The price is the
 * all-or-nothing property of omni_ingest_jsonl: a batch loaded this way is
 * visible segment by segment while it loads.
 *
 * The file is identified by its SHA-256, computed before loading (one
 * extra read, hashing only), so that a run is only ever resumed on the
 * very same bytes, and only under the path of the call.  The same read
 * keeps a FileDigest (reader.h): identity, size, modification time and a
 * SHA-256 per 1 MiB block.  Each segment opens the file again; its reader
 * checks that it opened that file and verifies every block it reads before
 * using a line of it, and before the segment commits, the path must still
 * name the same file with the same size and modification time.  So a
 * committed segment was parsed only from bytes equal (up to a SHA-256
 * collision) to those of the file whose SHA-256 the ledger records.  When
 * the file has changed, the segment's writes are rolled back and the run
 * ends "failed", the message naming the change; the segments committed
 * before stay, as for any interruption of a resumable run, and the run can
 * be resumed once the same bytes are back under the same path.  Other errors
 * leave the row "running" at its last checkpoint (it is marked "interrupted"
 * by the next call), to be resumed.
 *
 * Runs of one batch id are serialized by the batch lock (lock.c), held for
 * the session across the commits, and so is the compiled contract: the
 * version recorded in the ledger row judges every segment, also of a
 * resumed run, whatever is registered meanwhile.  Segments write as the
 * extension owner (owner.c); every commit goes through CommitAsCaller,
 * which commits as the caller and pins search_path again for the next
 * segment.
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/backend_progress.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "ingest.h"
#include "lock.h"
#include "omni_ingest.h"
#include "owner.h"
#include "spi_util.h"

/*
 * The run of this batch to continue, if any: unfinished (interrupted, or
 * failed because its file changed, the only way a resumable run fails),
 * with a checkpoint, on the same bytes
 */
static RunRecord *
FindResumable(RunRecord *run)
{
	RunRecord  *latest = LedgerLatestRun(run->batch_id, NULL);

	if (latest == NULL || latest->checkpoint_line == 0 ||
		(strcmp(latest->status, RUN_RUNNING) != 0 &&
		 strcmp(latest->status, RUN_INTERRUPTED) != 0 &&
		 strcmp(latest->status, RUN_FAILED) != 0) ||
		latest->file_sha256 == NULL ||
		strcmp(latest->file_sha256, run->file_sha256) != 0 ||
		strcmp(latest->contract_ref, run->contract_ref) != 0)
		return NULL;
	return latest;
}

/* A resumed run reads the file of the call: refuse a row naming another */
static void
CheckResumedPath(RunRecord *resumed, const char *path)
{
	if (resumed->path == NULL || strcmp(resumed->path, path) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run " INT64_FORMAT " of batch \"%s\" was begun on another path",
						resumed->run_id, resumed->batch_id),
				 errdetail("Its ledger row names \"%s\"; this call names \"%s\".",
						   resumed->path ? resumed->path : "", path),
				 errhint("Resume the run with the path it was begun with, or load the file under a new batch id.")));
}

/*
 * Load one segment: up to commit_every non-blank lines from the checkpoint,
 * read from the file the digest describes.  Returns false when the file is
 * exhausted.
 */
static bool
LoadSegment(IngestState *state, FileDigest *digest, int64 commit_every,
			MemoryContext run_cxt)
{
	RunRecord  *run = state->run;
	int64		total_before = run->total;
	MemoryContext old = MemoryContextSwitchTo(run_cxt);

	IngestProgressStart(state);
	state->reader = LineReaderOpen(run->path, omni_max_line_bytes);
	LineReaderVerify(state->reader, digest);
	LineReaderSeek(state->reader, run->checkpoint_offset, run->checkpoint_line + 1);

	run->row_limit = run->total + commit_every;
	IngestLines(state);
	run->row_limit = -1;

	IngestAddWriterCounts(run, state->writer);
	WriterEnd(state->writer);
	state->writer = NULL;
	run->checkpoint_offset = state->reader->next_offset;
	run->checkpoint_line = state->reader->next_number - 1;
	LineReaderClose(state->reader);
	state->reader = NULL;
	pgstat_progress_end_command();

	/* What is about to be committed was read from the file the run began on */
	FileDigestCheckPath(digest, run->path);
	MemoryContextSwitchTo(old);

	return run->total - total_before == commit_every;
}

/* What LoadSegmentStep needs, and what it answers */
typedef struct SegmentArgs
{
	IngestState *state;
	FileDigest *digest;
	int64		commit_every;
	MemoryContext run_cxt;
	bool		more;			/* out: the file has more lines */
} SegmentArgs;

/* LoadSegment as an IngestStep */
static void
LoadSegmentStep(void *arg)
{
	SegmentArgs *a = arg;

	a->more = LoadSegment(a->state, a->digest, a->commit_every, a->run_cxt);
}

/*
 * Load one segment in a subtransaction.  Returns NULL on success; on
 * failure the segment's writes are rolled back and the error is returned.
 */
static ErrorData *
SegmentInSubtransaction(IngestState *state, FileDigest *digest,
						int64 commit_every, MemoryContext run_cxt, bool *more)
{
	SegmentArgs args = {state, digest, commit_every, run_cxt, false};
	ErrorData  *edata = IngestInSubtransaction(LoadSegmentStep, &args, run_cxt);

	if (edata != NULL)
	{
		/* The subtransaction closed the file and freed the hash contexts */
		state->reader = NULL;
		state->writer = NULL;
		pgstat_progress_end_command();
	}
	*more = args.more;
	return edata;
}

/*
 * Commit the segment, then act as the extension owner again: a transaction
 * begins and ends as the caller, as the security context must.  Returns
 * the nest level of the new search_path pin.
 */
static int
CommitAsCaller(OwnerSwitch *owner)
{
	int			nestlevel;

	OmniRestoreCaller(owner);
	nestlevel = OmniSpiCommit();
	OmniBecomeOwner(owner);
	return nestlevel;
}

/*
 * End a run whose file changed: the ledger row goes back to the last
 * checkpoint (what the committed segments wrote, which stays) and says
 * "failed" with the change; that is committed, then the error raised.
 */
static void
FailChangedFile(IngestState *state, RunRecord *checkpoint, ErrorData *edata,
				OwnerSwitch *owner)
{
	RunRecord  *run = state->run;

	*run = *checkpoint;
	run->status = RUN_FAILED;
	run->errors = 1;
	run->error_sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
	run->error_message = edata->message;
	run->finished_at = GetCurrentTimestamp();
	LedgerUpdate(run, false);
	(void) CommitAsCaller(owner);

	if (run->checkpoint_line == 0)
	{
		edata->detail = psprintf("Nothing of the batch was committed; ledger run " INT64_FORMAT " records the failure.",
								 run->run_id);
		edata->hint = pstrdup("Load a file only once it is complete, and leave it in place until its load has ended.");
	}
	else
	{
		edata->detail = psprintf("The lines up to line " INT64_FORMAT " were committed before and stay loaded; ledger run " INT64_FORMAT " records the failure.",
								 run->checkpoint_line, run->run_id);
		edata->hint = pstrdup("Put the file back as it was and call again to resume the run, or load the new file under a new batch id.");
	}
	ReThrowError(edata);
}

/*
 * Load the batch in segments, or resume it, or answer that it is loaded.
 * Returns the nest level of the search_path pin in force at the end.
 */
static int
ResumableLoad(IngestState *state, int64 commit_every, MemoryContext run_cxt,
			  int nestlevel, OwnerSwitch *owner, Contract **held)
{
	RunRecord  *run = state->run;
	RunRecord  *loaded;
	RunRecord  *resumed;
	RunRecord	checkpoint;
	FileDigest *digest;
	bool		more;

	LedgerSweepInterrupted();
	MemoryContextSwitchTo(run_cxt);
	digest = FileDigestCompute(run->path);
	run->file_sha256 = digest->sha256;
	run->file_size = digest->size;

	loaded = LedgerFindLoaded(run->batch_id);
	if (loaded != NULL)
	{
		LineReader *reader = LineReaderOpen(run->path, 1024);

		CheckRerun(loaded, run, reader);
		LineReaderClose(reader);
		CopyLoadedCounts(run, loaded);
		run->status = RUN_ALREADY_LOADED;
		run->finished_at = GetCurrentTimestamp();
		LedgerInsert(run);
		ereport(NOTICE,
				(errmsg("batch \"%s\" is already loaded (run " INT64_FORMAT ")",
						run->batch_id, loaded->run_id)));
		return nestlevel;
	}

	MemoryContextSwitchTo(run_cxt);
	resumed = FindResumable(run);
	run->status = RUN_RUNNING;
	if (resumed != NULL)
	{
		CheckResumedPath(resumed, run->path);
		run = resumed;
		state->run = run;
		run->row_limit = -1;
		run->errors = 0;
		run->finished_at = 0;
		ereport(NOTICE,
				(errmsg("resuming run " INT64_FORMAT " of batch \"%s\" after line " INT64_FORMAT,
						run->run_id, run->batch_id, run->checkpoint_line)));
	}
	else
		LedgerInsert(run);
	run->status = RUN_RUNNING;	/* also for a resumed "interrupted" or "failed" run */
	MemoryContextSwitchTo(run_cxt);

	/*
	 * Every segment is judged by the contract version the run began with
	 * (its ledger row's), however many commits and registrations later
	 */
	*held = ContractPin(run->contract_ref, run->contract_version, true);
	state->contract = *held;

	/*
	 * Each segment's transaction claims the ledger row first (its xid,
	 * locked), so that a sweep elsewhere leaves it alone.
	 */
	do
	{
		ErrorData  *edata;

		run->xid = psprintf(UINT64_FORMAT,
							U64FromFullTransactionId(GetTopFullTransactionId()));
		run->error_message = NULL;
		run->error_sqlstate = NULL;
		LedgerUpdate(run, false);
		checkpoint = *run;

		edata = SegmentInSubtransaction(state, digest, commit_every, run_cxt, &more);
		if (edata != NULL)
		{
			/* Other errors leave the run to be resumed, as an interruption */
			if (!digest->changed)
				ReThrowError(edata);
			FailChangedFile(state, &checkpoint, edata, owner);
		}
		if (!more)
		{
			run->status = RUN_LOADED;
			run->finished_at = GetCurrentTimestamp();
		}
		LedgerUpdate(run, false);
		nestlevel = CommitAsCaller(owner);
		MemoryContextSwitchTo(run_cxt);
	} while (more);

	ereport(NOTICE,
			(errmsg("batch \"%s\" loaded: total " INT64_FORMAT ", valid " INT64_FORMAT
					", invalid " INT64_FORMAT ", inserted " INT64_FORMAT ", skipped " INT64_FORMAT,
					run->batch_id, run->total, run->valid, run->invalid,
					run->inserted, run->skipped),
			 errdetail("Ledger run " INT64_FORMAT ".", run->run_id)));
	return nestlevel;
}

/*
 * CALL omni_ingest_jsonl_resumable(path, batch_id, commit_every,
 * contract_ref)
 */
PG_FUNCTION_INFO_V1(omni_ingest_jsonl_resumable);
Datum
omni_ingest_jsonl_resumable(PG_FUNCTION_ARGS)
{
	CallContext *call = (CallContext *) fcinfo->context;
	MemoryContext run_cxt;
	IngestState state;
	RunRecord  *run;
	int64		commit_every;
	LOCKTAG    *batch_lock;
	int			nestlevel;
	volatile bool locked = false;
	OwnerSwitch owner;
	Contract   *volatile held = NULL;

	if (call == NULL || !IsA(call, CallContext) || call->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("omni_ingest_jsonl_resumable cannot run inside a transaction block"),
				 errhint("CALL it on its own, outside BEGIN ... COMMIT, so that it can commit its segments.")));

	run_cxt = AllocSetContextCreate(TopMemoryContext, "omni_ingest resumable run",
									ALLOCSET_DEFAULT_SIZES);
	batch_lock = MemoryContextAllocZero(run_cxt, sizeof(LOCKTAG));
	PG_TRY();
	{
		MemoryContextSwitchTo(run_cxt);
		run = palloc0(sizeof(RunRecord));
		run->path = RequiredTextArg(fcinfo, 0, "path");
		run->batch_id = RequiredTextArg(fcinfo, 1, "batch_id");
		commit_every = PG_ARGISNULL(2) ? 100000 : PG_GETARG_INT64(2);
		if (commit_every <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("commit_every must be greater than zero")));
		run->contract_ref = RequiredTextArg(fcinfo, 3, "contract_ref");
		run->row_limit = -1;
		run->started_at = GetCurrentTimestamp();
		IngestPrepare(&state, run);
		state.line_cxt = AllocSetContextCreate(run_cxt, "omni_ingest line",
											   ALLOCSET_DEFAULT_SIZES);

		SPI_connect_ext(SPI_OPT_NONATOMIC);
		nestlevel = OmniPinSearchPath();
		OmniLockBatchForSession(run->batch_id, batch_lock);
		locked = true;
		OmniBecomeOwner(&owner);

		nestlevel = ResumableLoad(&state, commit_every, run_cxt, nestlevel,
								  &owner, (Contract **) &held);
	}
	PG_CATCH();
	{
		/* A session lock and a pin across commits outlive the transaction */
		if (locked)
			OmniUnlockBatchForSession(batch_lock);
		if (held != NULL)
			ContractRelease(held, true);
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextDelete(run_cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	OmniUnlockBatchForSession(batch_lock);
	if (held != NULL)
		ContractRelease(held, true);
	OmniRestoreCaller(&owner);

	OmniRestoreSearchPath(nestlevel);
	SPI_finish();
	MemoryContextSwitchTo(TopTransactionContext);
	MemoryContextDelete(run_cxt);
	PG_RETURN_VOID();
}
