/*
 * ingest.c
 *		omni_ingest_jsonl: one call that reads, judges and writes a batch.
 *
 *	  claim the batch (ledger) -> read lines -> parse -> validate -> route
 *	  -> write per chunk -> close the ledger row -> summary row
 *
 * Bad calls (no privilege, missing file, unknown contract, a batch id
 * already loaded from other content) raise before anything is written.
 * Once the run has started, its writes happen in a subtransaction: if
 * anything fails midway, every Bronze, Silver and reject row of the run is
 * rolled back, the ledger row says "failed" with the SQLSTATE, message and
 * line reached (committed on its own, so it outlives the caller's
 * transaction), and the caller gets a WARNING and a summary row whose
 * status is "failed" -- or the error itself when
 * omni_ingest.raise_on_failure is on.  A cancel is always re-raised.
 *
 * omni_ingest.ingest_asset, the load behind a manifest's asset, is the same
 * call with load options (loadmode.c): a load mode decides for each valid
 * record whether it is applied, quarantined as late, rejected or left
 * outside the window; an incremental run reads its source's cursor under
 * the batch and target locks and moves it in the write step; and the size
 * and SHA-256 the manifest declared are compared with those of the very
 * read that loaded the file, in the write step too, so that a mismatch
 * rolls back everything of the run, as any failure does.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/progress.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/backend_progress.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "contract.h"
#include "ingest.h"
#include "judge.h"
#include "ledger.h"
#include "lock.h"
#include "omni_ingest.h"
#include "owner.h"
#include "parse.h"
#include "reader.h"
#include "spi_util.h"
#include "writer.h"

/* Lines between two progress reports */
#define PROGRESS_EVERY 1024

/* Error context: name the file and line being processed */
static void
IngestErrorContext(void *arg)
{
	IngestState *state = arg;

	if (state->current_line > 0)
		errcontext("JSON Lines file \"%s\", line " INT64_FORMAT,
				   state->run->path, state->current_line);
	else
		errcontext("JSON Lines file \"%s\"", state->run->path);
}

/* Offset in the file of the line after the last one judged */
static int64
ReadOffset(IngestState *state)
{
	return state->parallel != NULL ?
		ParallelReaderNextOffset(state->parallel) : state->reader->next_offset;
}

/* Publish progress in pg_stat_progress_copy */
static void
ReportProgress(IngestState *state)
{
	const int	index[] = {PROGRESS_COPY_BYTES_PROCESSED,
		PROGRESS_COPY_TUPLES_PROCESSED,
	PROGRESS_COPY_TUPLES_EXCLUDED};
	int64		values[3];

	values[0] = ReadOffset(state);
	values[1] = state->run->valid;
	values[2] = state->run->invalid;
	pgstat_progress_update_multi_param(3, index, values);
}

/*
 * Route a record that satisfies its contract, as its load mode says (an
 * asset run's) or to the writer.  Returns false, with the reason in
 * *errors, when the load mode rejects it.
 */
static bool
IngestValidRecord(IngestState *state, ReaderLine *line, Jsonb *record,
				  const char *fingerprint, List **errors)
{
	RunRecord  *run = state->run;
	LoadVerdict verdict = LOAD_APPLY;
	bool		late = false;
	char	   *value_text = NULL;

	if (state->load != NULL)
		verdict = LoadModeJudge(state->load, record, &late, &value_text, errors);
	if (late)
		run->late++;
	if (verdict == LOAD_REJECT)
	{
		Assert(*errors != NIL);
		return false;
	}

	/* Counted before the writer runs, which may flush (and fail) */
	run->valid++;
	if (verdict == LOAD_APPLY)
		WriterAddRecord(state->writer, record, line->number, fingerprint);
	else if (verdict == LOAD_QUARANTINE)
	{
		run->quarantined++;
		WriterAddQuarantine(state->writer, line->number, "late_arrival",
							value_text, record);
	}
	else
		run->outside_window++;
	return true;
}

/*
 * Judge one non-blank line: valid record, or reject with reasons.  parsed
 * is the line already parsed by a read worker (a JSON object), judged by
 * it when judged is set (it then satisfies its contract), with its
 * fingerprint when the worker made it; NULL: parse the line here.
 */
static void
IngestLine(IngestState *state, ReaderLine *line, Jsonb *parsed, bool judged,
		   const char *fingerprint)
{
	RunRecord  *run = state->run;
	List	   *errors = NIL;
	Jsonb	   *record = parsed;

	if (parsed != NULL)
	{
		if (!judged)
			(void) JudgeRecord(state->contract, state->writer->silver_columns,
							   record, &errors);
	}
	else if (line->truncated)
		errors = lappend(errors,
						 JsonSchemaMakeError("", "", "line_size",
											 psprintf("line is " INT64_FORMAT " bytes, longer than omni_ingest.max_line_bytes (%d)",
													  line->full_len, omni_max_line_bytes)));
	else
	{
		const char *keyword;
		char	   *path;
		char	   *reason;

		record = ParseJsonLine((char *) line->data, line->len,
							   omni_duplicate_keys == OMNI_DUPLICATE_KEYS_REJECT,
							   &keyword, &path, &reason);
		if (record == NULL)
			errors = lappend(errors, JsonSchemaMakeError(path, "", keyword, reason));
		else if (!JB_ROOT_IS_OBJECT(record))
			errors = lappend(errors,
							 JsonSchemaMakeError("", "", "json",
												 psprintf("line is a JSON %s, not an object",
														  JB_ROOT_IS_SCALAR(record) ? "scalar" : "array")));
		else
			(void) JudgeRecord(state->contract, state->writer->silver_columns,
							   record, &errors);
	}

	if (errors != NIL || !IngestValidRecord(state, line, record, fingerprint, &errors))
	{
		run->invalid++;
		if (line->data == NULL)
			ParallelReaderLineBytes(state->parallel, line);
		WriterAddReject(state->writer, line->number, line->offset,
						line->full_len, line->data, line->len,
						line->truncated, JsonSchemaErrorsToJsonb(errors));
	}
}

/* Read, judge and write every line of the file (up to the limit) */
void
IngestLines(IngestState *state)
{
	RunRecord  *run = state->run;
	ReaderLine	line;
	ErrorContextCallback errcallback;
	MemoryContext old;
	bool		at_end = false;

	errcallback.callback = IngestErrorContext;
	errcallback.arg = state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (state->load != NULL)
		LoadModeCheckOpenedSize(state->load, run->path, state->reader->file_size);
	state->writer = WriterBegin(state->contract, run->batch_id, run->run_id,
								run->dry_run);

	/*
	 * Workers read the lines, unless a SHA-256 was declared: that must be
	 * checked on the very bytes that were loaded, which is one read
	 */
	state->parallel = NULL;
	if (state->load == NULL || !LoadModeDeclaresSha256(state->load))
		state->parallel = ParallelReaderStart(state->reader, !run->dry_run, state->contract,
											  state->writer->silver_columns);
	run->read_workers = state->parallel ? ParallelReaderWorkers(state->parallel) : 0;

	while (run->row_limit < 0 || run->total < run->row_limit)
	{
		Jsonb	   *parsed = NULL;
		bool		judged = false;
		const char *fingerprint = NULL;

		CHECK_FOR_INTERRUPTS();
		if (!(state->parallel != NULL ?
			  ParallelReaderNext(state->parallel, &line, &parsed, &judged, &fingerprint) :
			  LineReaderNext(state->reader, &line)))
		{
			at_end = true;
			break;
		}
		state->current_line = line.number;
		run->lines_read = line.number;

		if (parsed == NULL && LineIsBlank(line.data, line.len))
		{
			run->blank_lines++;
			continue;
		}
		run->total++;

		old = MemoryContextSwitchTo(state->line_cxt);
		IngestLine(state, &line, parsed, judged, fingerprint);
		MemoryContextSwitchTo(old);
		MemoryContextReset(state->line_cxt);

		if (run->total % PROGRESS_EVERY == 0)
			ReportProgress(state);
	}
	state->current_line = 0;

	/*
	 * Read by workers: the reader's SHA-256 and size come from reading the
	 * file again behind them, and it must still be the file they opened
	 */
	if (state->parallel != NULL)
	{
		if (at_end)
			LineReaderHashUpTo(state->reader, PG_INT64_MAX);
		LineReaderCheckUnchanged(state->reader);
	}

	/* A file that grew or shrank while it was read is not the file the
	 * ledger would describe: fail the run rather than record a mix */
	if (state->reader->eof &&
		state->reader->bytes_read != state->reader->file_size)
		ReaderFileChanged(run->path,
						  psprintf("It had " INT64_FORMAT " bytes when opened and " INT64_FORMAT " when read to its end.",
								   state->reader->file_size, state->reader->bytes_read));

	/* An asset run: the size and SHA-256 of the very read that loaded it */
	if (state->load != NULL)
	{
		Assert(state->reader->eof);
		run->file_sha256 = LineReaderFinishSha256(state->reader);
		run->file_size = state->reader->bytes_read;
		LoadModeCheckFile(state->load, run->path, run->file_size, run->file_sha256);
	}

	WriterFlush(state->writer);
	if (state->load != NULL && !run->dry_run)
		run->cursor_after = LoadModeMoveCursor(state->load, run->batch_id, run->run_id);
	run->bytes_read = ReadOffset(state);
	ReportProgress(state);
	if (state->parallel != NULL)
		ParallelReaderEnd(state->parallel);
	state->parallel = NULL;

	error_context_stack = errcallback.previous;
}

/*
 * Run step(arg) in a subtransaction.  Returns NULL on success; on failure
 * everything the step wrote is rolled back and the error is returned,
 * copied into error_cxt.
 */
ErrorData *
IngestInSubtransaction(IngestStep step, void *arg, MemoryContext error_cxt)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);

	PG_TRY();
	{
		step(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(error_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_END_TRY();
	return edata;
}

/* IngestLines as an IngestStep */
static void
IngestLinesStep(void *arg)
{
	IngestLines((IngestState *) arg);
}

/*
 * Record a failed run where it outlives this transaction, then either
 * re-raise the error (a cancel or shutdown belongs to the caller) or warn.
 */
static void
RecordFailure(RunRecord *run, ErrorData *edata)
{
	run->status = RUN_FAILED;
	run->errors = 1;
	run->inserted = run->skipped = run->quarantined = 0;
	run->cursor_after = run->cursor_before;
	run->silver_inserted = run->silver_updated = 0;
	run->silver_unchanged = run->silver_superseded = 0;
	run->error_sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
	run->error_message = edata->message;
	run->finished_at = GetCurrentTimestamp();
	LedgerUpdate(run, true);

	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		omni_raise_on_failure)
	{
		edata->hint = psprintf("Ledger run " INT64_FORMAT " records the failure; nothing of the batch was written.",
							   run->run_id);
		ReThrowError(edata);
	}

	ereport(WARNING,
			(errmsg("batch \"%s\" failed after " INT64_FORMAT " lines: %s",
					run->batch_id, run->lines_read, run->error_message),
			 errdetail("SQLSTATE %s. Nothing of the batch was written; ledger run " INT64_FORMAT " records the failure.",
					   run->error_sqlstate, run->run_id),
			 errhint("Fix the cause, then run the same batch again.")));
}

/* Refuse a rerun of a loaded batch unless it is the same load */
void
CheckRerun(RunRecord *loaded, RunRecord *run, LineReader *reader)
{
	const char *what = NULL;

	if (strcmp(loaded->contract_ref, run->contract_ref) != 0 ||
		loaded->contract_version != run->contract_version)
		what = psprintf("contract \"%s\" version %d", loaded->contract_ref,
						loaded->contract_version);
	else if (loaded->row_limit != run->row_limit)
		what = loaded->row_limit < 0 ? pstrdup("no limit") :
			psprintf("limit " INT64_FORMAT, loaded->row_limit);
	else if (loaded->file_size != reader->file_size)
		what = psprintf("a file of " INT64_FORMAT " bytes", loaded->file_size);
	else
	{
		LineReaderSkipToEnd(reader);
		run->file_sha256 = LineReaderFinishSha256(reader);
		if (strcmp(loaded->file_sha256, run->file_sha256) != 0)
			what = psprintf("a file with SHA-256 %s", loaded->file_sha256);
	}

	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("batch \"%s\" was already loaded with different input", run->batch_id),
				 errdetail("Run " INT64_FORMAT " loaded it with %s.", loaded->run_id, what),
				 errhint("Use a new batch id for new content.")));
}

/* Copy the outcome of the run that loaded a batch into a no-op run */
void
CopyLoadedCounts(RunRecord *run, RunRecord *loaded)
{
	run->total = loaded->total;
	run->valid = loaded->valid;
	run->invalid = loaded->invalid;
	run->inserted = loaded->inserted;
	run->skipped = loaded->skipped;
	run->silver_inserted = loaded->silver_inserted;
	run->silver_updated = loaded->silver_updated;
	run->silver_unchanged = loaded->silver_unchanged;
	run->silver_superseded = loaded->silver_superseded;
	run->blank_lines = loaded->blank_lines;
	run->bytes_read = loaded->bytes_read;
	run->lines_read = loaded->lines_read;
	run->late = loaded->late;
	run->quarantined = loaded->quarantined;
	run->outside_window = loaded->outside_window;
	run->cursor_before = loaded->cursor_before;
	run->cursor_after = loaded->cursor_after;
	run->loaded_run_id = loaded->run_id;
}

/*
 * Add what a writer wrote to the run's counts: a valid record that was
 * applied (neither quarantined nor outside the window) and is not new in
 * Bronze was skipped
 */
void
IngestAddWriterCounts(RunRecord *run, Writer *writer)
{
	run->inserted += writer->counts.inserted;
	run->skipped = run->dry_run ? 0 :
		run->valid - run->quarantined - run->outside_window - run->inserted;
	run->silver_inserted += writer->counts.silver_inserted;
	run->silver_updated += writer->counts.silver_updated;
	run->silver_unchanged += writer->counts.silver_unchanged;
	run->silver_superseded += writer->counts.silver_superseded;
}

/*
 * Start reporting the run in pg_stat_progress_copy, as COPY FROM a file
 * does: command, type, the Bronze table and the file's size
 */
void
IngestProgressStart(IngestState *state)
{
	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, state->contract->bronze_table);
	pgstat_progress_update_param(PROGRESS_COPY_COMMAND, PROGRESS_COPY_COMMAND_FROM);
	pgstat_progress_update_param(PROGRESS_COPY_TYPE, PROGRESS_COPY_TYPE_FILE);
	pgstat_progress_update_param(PROGRESS_COPY_BYTES_TOTAL, state->run->file_size);
}

/* Columns of the summary row, and those ingest_asset adds to them */
#define SUMMARY_COLUMNS 19
#define ASSET_SUMMARY_COLUMNS (SUMMARY_COLUMNS + 5)

/* The summary row returned to the caller (ingest_asset's has more columns) */
Datum
IngestSummaryRow(FunctionCallInfo fcinfo, RunRecord *run)
{
	TupleDesc	tupdesc;
	Datum		values[ASSET_SUMMARY_COLUMNS];
	bool		nulls[ASSET_SUMMARY_COLUMNS];
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != SUMMARY_COLUMNS && tupdesc->natts != ASSET_SUMMARY_COLUMNS)
		elog(ERROR, "summary row has %d columns", tupdesc->natts);
	memset(nulls, 0, sizeof(nulls));
	values[i++] = CStringGetTextDatum(run->batch_id);
	values[i++] = Int64GetDatum(run->run_id);
	values[i++] = CStringGetTextDatum(run->contract_ref);
	values[i++] = Int32GetDatum(run->contract_version);
	values[i++] = CStringGetTextDatum(run->status);
	values[i++] = Int64GetDatum(run->total);
	values[i++] = Int64GetDatum(run->valid);
	values[i++] = Int64GetDatum(run->invalid);
	values[i++] = Int64GetDatum(run->inserted);
	values[i++] = Int64GetDatum(run->skipped);
	values[i++] = Int64GetDatum(run->silver_inserted);
	values[i++] = Int64GetDatum(run->silver_updated);
	values[i++] = Int64GetDatum(run->silver_unchanged);
	values[i++] = Int64GetDatum(run->silver_superseded);
	values[i++] = Int64GetDatum(run->errors);
	values[i++] = Int64GetDatum(run->blank_lines);
	values[i++] = Int64GetDatum(run->bytes_read);
	values[i++] = TimestampTzGetDatum(run->started_at);
	values[i++] = TimestampTzGetDatum(run->finished_at);
	if (tupdesc->natts == ASSET_SUMMARY_COLUMNS)
	{
		values[i++] = Int64GetDatum(run->late);
		values[i++] = Int64GetDatum(run->quarantined);
		values[i++] = Int64GetDatum(run->outside_window);
		nulls[i] = run->cursor_before == NULL;
		values[i++] = run->cursor_before ? CStringGetTextDatum(run->cursor_before) : (Datum) 0;
		nulls[i] = run->cursor_after == NULL;
		values[i++] = run->cursor_after ? CStringGetTextDatum(run->cursor_after) : (Datum) 0;
	}
	Assert(i == tupdesc->natts);
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * Check a call before anything is read or written: the caller may read
 * server files, the database is UTF8, the contract exists, and (unless
 * this is a dry run) it has tables to load into.  Sets up state.
 */
void
IngestPrepare(IngestState *state, RunRecord *run)
{
	CheckServerFileReadable(run->path);
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("omni_ingest needs a database with encoding UTF8, not %s",
						GetDatabaseEncodingName()),
				 errhint("Create the database with ENCODING 'UTF8'.")));

	memset(state, 0, sizeof(IngestState));
	state->run = run;
	state->contract = ContractPin(run->contract_ref, 0, false);
	run->contract_version = state->contract->version;
	if (!run->dry_run && !OidIsValid(state->contract->bronze_table))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("contract \"%s\" has no Bronze and Silver tables to load into",
						run->contract_ref),
				 errhint("Run it with dry_run => true to validate a file, or create them with omni_create_target().")));
	if (!run->dry_run)
		WriterCheckTargets(state->contract);
}

/* Text argument that must be present and non-empty */
char *
RequiredTextArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *value;

	if (PG_ARGISNULL(argno) ||
		(value = text_to_cstring(PG_GETARG_TEXT_PP(argno)))[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null or empty", name),
				 errhint("Pass a non-empty %s.", name)));
	return value;
}

/* An asset run's check of a loaded batch's file against the expected one */
static void
CheckLoadedFileStep(void *arg)
{
	IngestState *state = arg;

	LoadModeCheckFile(state->load, state->run->path, state->run->file_size,
					  state->run->file_sha256);
}

/*
 * Run a load: the batch lock, then a no-op when the batch is loaded, or a
 * run whose writes happen in a subtransaction.  opts are an asset run's
 * load options (NULL: omni_ingest_jsonl's run).
 */
static Datum
IngestCall(FunctionCallInfo fcinfo, RunRecord *run, LoadOptions *opts)
{
	IngestState state;
	RunRecord  *loaded = NULL;
	int			save_nestlevel;
	OwnerSwitch owner;
	MemoryContext caller_cxt = CurrentMemoryContext;
	MemoryContext old;
	Datum		result;

	run->started_at = GetCurrentTimestamp();
	IngestPrepare(&state, run);
	if (opts != NULL)
		state.load = LoadModeBegin(opts, state.contract);
	state.reader = LineReaderOpen(run->path, omni_max_line_bytes);
	run->file_size = state.reader->file_size;
	state.line_cxt = AllocSetContextCreate(CurrentMemoryContext,
										   "omni_ingest line",
										   ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniBecomeOwner(&owner);

	LedgerSweepInterrupted();
	if (!run->dry_run)
	{
		OmniLockBatch(run->batch_id, state.contract->silver_table);
		loaded = LedgerFindLoaded(run->batch_id);
	}

	if (loaded != NULL)
	{
		ErrorData  *edata = NULL;

		CheckRerun(loaded, run, state.reader);
		CopyLoadedCounts(run, loaded);
		if (state.load != NULL)
			edata = IngestInSubtransaction(CheckLoadedFileStep, &state, CurrentMemoryContext);
		if (edata != NULL)
		{
			LedgerBegin(run);
			RecordFailure(run, edata);
		}
		else
		{
			run->status = RUN_ALREADY_LOADED;
			run->finished_at = GetCurrentTimestamp();
			LedgerInsert(run);
		}
	}
	else
	{
		ErrorData  *edata;

		/*
		 * The cursor an incremental run judges by is the one it moves: read
		 * it under the target lock (after the batch lock, the lock order),
		 * which keeps every other writer of the target out until the end of
		 * the transaction.  A dry run moves nothing and takes no lock.
		 */
		if (state.load != NULL && LoadModeHasCursor(state.load))
		{
			if (!run->dry_run)
				OmniLockTarget(state.contract->silver_table);
			run->cursor_before = LoadModeReadCursor(state.load);
			run->cursor_after = run->cursor_before;
		}

		LedgerBegin(run);

		IngestProgressStart(&state);

		edata = IngestInSubtransaction(IngestLinesStep, &state, CurrentMemoryContext);
		pgstat_progress_end_command();

		/* The file's SHA-256 covers all of it, also when a limit stopped early */
		if (state.reader->sha != NULL)
		{
			LineReaderSkipToEnd(state.reader);
			run->file_sha256 = LineReaderFinishSha256(state.reader);
			run->file_size = state.reader->bytes_read;
		}

		if (edata != NULL)
			RecordFailure(run, edata);
		else
		{
			IngestAddWriterCounts(run, state.writer);
			run->status = run->dry_run ? RUN_DRY_RUN : RUN_LOADED;
			run->finished_at = GetCurrentTimestamp();
			LedgerUpdate(run, false);
		}
	}

	LineReaderClose(state.reader);
	ContractRelease(state.contract, false);
	OmniRestoreCaller(&owner);
	OmniRestoreSearchPath(save_nestlevel);

	/*
	 * The summary row is made in the caller's memory before SPI_finish,
	 * which frees what the run allocated since SPI_connect (an asset run's
	 * cursors among it)
	 */
	old = MemoryContextSwitchTo(caller_cxt);
	result = IngestSummaryRow(fcinfo, run);
	MemoryContextSwitchTo(old);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * omni_ingest_jsonl(path, batch_id, dry_run, contract_ref, limit)
 */
PG_FUNCTION_INFO_V1(omni_ingest_jsonl);
Datum
omni_ingest_jsonl(PG_FUNCTION_ARGS)
{
	RunRecord  *run = palloc0(sizeof(RunRecord));

	run->path = RequiredTextArg(fcinfo, 0, "path");
	run->batch_id = RequiredTextArg(fcinfo, 1, "batch_id");
	run->dry_run = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	run->contract_ref = RequiredTextArg(fcinfo, 3, "contract_ref");
	run->row_limit = PG_ARGISNULL(4) ? -1 : PG_GETARG_INT64(4);
	if (!PG_ARGISNULL(4) && run->row_limit < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("limit must not be negative"),
				 errhint("Pass NULL to read the whole file.")));
	return IngestCall(fcinfo, run, NULL);
}

/*
 * omni_ingest.ingest_asset(path, batch_id, dry_run, contract_ref, load):
 * omni_ingest_jsonl's run with load options, and their figures (late,
 * quarantined, outside_window, cursor_before, cursor_after) in its row.
 * Only the extension owner calls it (the manifest load does).
 */
PG_FUNCTION_INFO_V1(omni_ingest_ingest_asset);
Datum
omni_ingest_ingest_asset(PG_FUNCTION_ARGS)
{
	RunRecord  *run = palloc0(sizeof(RunRecord));
	Jsonb	   *load = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	LoadOptions *opts;

	run->path = RequiredTextArg(fcinfo, 0, "path");
	run->batch_id = RequiredTextArg(fcinfo, 1, "batch_id");
	run->dry_run = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	run->contract_ref = RequiredTextArg(fcinfo, 3, "contract_ref");
	run->row_limit = -1;
	opts = LoadOptionsParse(load);

	/* The ledger tells an asset run by its load options, {} when none */
	run->load = load != NULL ? JsonbToCString(NULL, &load->root, VARSIZE(load)) : "{}";
	return IngestCall(fcinfo, run, opts);
}
