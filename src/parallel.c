/*
 * parallel.c
 *		A file's lines read, parsed and fingerprinted by background workers,
 *		handed to the loading backend in file order.
 *
 * Parsing a line into jsonb and fingerprinting it are most of what a load
 * does besides writing, and they need nothing but the line.  So the file is
 * cut into spans of omni_ingest.read_span_bytes, and span k is read by
 * worker k mod n: a worker reads the lines that begin in its span (the one
 * that begins before it belongs to the span before), parses each and sends
 * it, with its place in the file, through its own shared-memory queue.  The
 * loading backend takes span 0 from worker 0's queue, span 1 from worker
 * 1's, and so on: it sees every line in file order, numbers them, and
 * judges and writes them as when it reads the file itself -- the version
 * rules, line numbers, limits, progress and all-or-nothing of a run do not
 * change.  While it writes, the workers parse what comes next.
 *
 * A worker parses, and judges each record by its contract as the loading
 * backend would (judge.c: the same schema, annotations, column descriptions
 * and budget, sent in the shared memory), unless judging needs the catalog
 * as the loading transaction sees it; then it only parses.  Whatever it
 * does not accept -- a blank line, a line too long, one that is not a JSON
 * object, does not parse or breaks its contract -- it sends as the line's
 * bytes, and the loading backend judges it itself, with the very code and
 * settings of a serial read, so a reject's reasons are the same either way.
 * The load mode (cursors, late records) stays in the loading backend.
 *
 * The file's SHA-256 for the ledger is the loading backend's: it reads the
 * file again behind the workers, a span at a time (from the page cache), and
 * at the end checks that the file kept its size and modification time and
 * that every worker opened that same file.  A run whose manifest declares a
 * SHA-256 reads the file itself, since that checksum must describe the very
 * bytes that were loaded.
 *
 * Workers are dynamic background workers, connected to the database as the
 * loading session's user only so that pg_stat_activity shows them (backend
 * type "omni_ingest reader", and what they read) and they can be cancelled
 * or terminated like any backend: they read no table.  An error in one reaches the loading backend as that error; a worker that
 * dies, or is terminated, fails the run; a run that ends or fails detaches
 * from the queues, which ends every worker at its next line.  When no
 * worker can be started the run reads the file itself.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "fingerprint.h"
#include "judge.h"
#include "omni_ingest.h"
#include "parallel.h"
#include "parse.h"

#define PARALLEL_MAGIC 0x6f6d6e69
#define PARALLEL_QUEUE_BYTES (2 * 1024 * 1024)

/*
 * shm_toc keys: the shared state, the path, the contract (JudgeSerialize),
 * then one queue per worker
 */
#define KEY_SHARED 0
#define KEY_PATH 1
#define KEY_JUDGE 2
#define KEY_QUEUE 3

/* What the loading backend tells every worker */
typedef struct ParallelShared
{
	int64		file_size;		/* as opened by the loading backend */
	dev_t		dev;
	ino_t		ino;
	int64		span_bytes;
	int64		nspans;
	int			nworkers;
	int			max_line_bytes;
	bool		reject_duplicates;
	bool		fingerprints;
	bool		judge;			/* also judge records (KEY_JUDGE) */
	Oid			database;		/* connected to as the loading session's user */
	Oid			user;
} ParallelShared;

typedef enum ReadKind
{
	READ_LINE,					/* a line for the loading backend to judge */
	READ_RECORD,				/* a line parsed into a JSON object */
	READ_VALID,					/* ... that satisfies its contract */
	READ_SPAN_END,				/* no more lines in this span */
	READ_ERROR					/* the worker failed: message, detail, hint */
} ReadKind;

/* One message of a queue; the line's bytes or the jsonb follow it */
typedef struct ReadMessage
{
	int32		kind;			/* ReadKind */
	int32		sqlerrcode;		/* READ_ERROR */
	int64		offset;			/* of the line in the file */
	int64		full_len;		/* ReaderLine's */
	int64		next_offset;	/* of the line after it */
	int32		len;			/* bytes of the line sent (READ_LINE) */
	bool		truncated;
	char		fingerprint[SHA256_HEX_SIZE];	/* READ_RECORD, when asked for */
} ReadMessage;

/* What comes after the header starts aligned (a jsonb is read in place) */
#define READ_HEADER_BYTES MAXALIGN(sizeof(ReadMessage))
StaticAssertDecl(sizeof(ReadMessage) == READ_HEADER_BYTES,
				 "a queue message's header is sent whole");

struct ParallelReader
{
	LineReader *reader;			/* the loading backend's: SHA-256 and size */
	dsm_segment *seg;
	int			nworkers;
	shm_mq_handle **queues;
	BackgroundWorkerHandle **workers;	/* in TopMemoryContext, see EndWorkers */
	int64		nspans;
	int64		span;			/* the span being handed out */
	int64		next_number;	/* of the next line */
	int64		next_offset;	/* of the next line */
};

PGDLLEXPORT void omni_ingest_read_worker(Datum main_arg);

/* Free the handles of the workers (terminate: end them first) */
static void
FreeWorkers(BackgroundWorkerHandle **workers, bool terminate)
{
	for (int i = 0; workers[i] != NULL; i++)
	{
		if (terminate)
			TerminateBackgroundWorker(workers[i]);
		pfree(workers[i]);
	}
	pfree(workers);
}

/*
 * When the loading backend detaches from the shared memory because its run
 * failed or was cancelled, its workers end at once, even one deep in a long
 * validation (at the end of a read, ParallelReaderEnd lets them end by
 * themselves)
 */
static void
EndWorkers(dsm_segment *seg, Datum arg)
{
	FreeWorkers((BackgroundWorkerHandle **) DatumGetPointer(arg), true);
}

/* Register the workers; false (none left running) when one cannot be */
static bool
LaunchWorkers(ParallelReader *pr)
{
	BackgroundWorker worker;
	MemoryContext old;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "omni_ingest");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "omni_ingest_read_worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "omni_ingest reader");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(pr->seg));
	worker.bgw_notify_pid = MyProcPid;

	/* The handles outlive the run's memory: EndWorkers frees them */
	old = MemoryContextSwitchTo(TopMemoryContext);
	pr->workers = palloc0(sizeof(BackgroundWorkerHandle *) * (pr->nworkers + 1));
	on_dsm_detach(pr->seg, EndWorkers, PointerGetDatum(pr->workers));
	for (int i = 0; i < pr->nworkers; i++)
	{
		snprintf(worker.bgw_name, BGW_MAXLEN, "omni_ingest reader %d for PID %d",
				 i + 1, MyProcPid);
		memcpy(worker.bgw_extra, &i, sizeof(i));
		if (!RegisterDynamicBackgroundWorker(&worker, &pr->workers[i]))
		{
			pr->workers[i] = NULL;
			MemoryContextSwitchTo(old);
			ereport(DEBUG1,
					(errmsg("no background worker slot for a reader of \"%s\"; reading it in the backend",
							pr->reader->path)));
			return false;
		}
		shm_mq_set_handle(pr->queues[i], pr->workers[i]);
	}
	MemoryContextSwitchTo(old);
	return true;
}

/* See parallel.h */
ParallelReader *
ParallelReaderStart(LineReader *reader, bool fingerprints, Contract *contract,
					List *silver_columns)
{
	ParallelReader *pr;
	ParallelShared *shared;
	shm_toc_estimator e;
	shm_toc    *toc;
	Size		segsize;
	int64		nspans;
	char	   *path;
	StringInfoData judge;

	if (omni_read_workers <= 0 || !IsUnderPostmaster ||
		reader->verify != NULL || reader->sha == NULL || reader->bytes_read != 0)
		return NULL;
	nspans = (reader->file_size + omni_read_span_bytes - 1) / omni_read_span_bytes;
	if (nspans < 2)
		return NULL;

	pr = palloc0(sizeof(ParallelReader));
	pr->reader = reader;
	pr->nworkers = (int) Min((int64) omni_read_workers, nspans);
	pr->nspans = nspans;
	pr->next_number = 1;
	pr->queues = palloc0(sizeof(shm_mq_handle *) * pr->nworkers);

	initStringInfo(&judge);
	if (JudgeSerializable(silver_columns))
		JudgeSerialize(&judge, contract, silver_columns);

	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(ParallelShared));
	shm_toc_estimate_chunk(&e, strlen(reader->path) + 1);
	shm_toc_estimate_chunk(&e, judge.len);
	for (int i = 0; i < pr->nworkers; i++)
		shm_toc_estimate_chunk(&e, PARALLEL_QUEUE_BYTES);
	shm_toc_estimate_keys(&e, KEY_QUEUE + pr->nworkers);
	segsize = shm_toc_estimate(&e);

	pr->seg = dsm_create(segsize, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (pr->seg == NULL)
		return NULL;
	toc = shm_toc_create(PARALLEL_MAGIC, dsm_segment_address(pr->seg), segsize);

	shared = shm_toc_allocate(toc, sizeof(ParallelShared));
	shared->file_size = reader->file_size;
	shared->dev = reader->dev;
	shared->ino = reader->ino;
	shared->span_bytes = omni_read_span_bytes;
	shared->nspans = nspans;
	shared->nworkers = pr->nworkers;
	shared->max_line_bytes = reader->max_line_bytes;
	shared->reject_duplicates = omni_duplicate_keys == OMNI_DUPLICATE_KEYS_REJECT;
	shared->fingerprints = fingerprints;
	shared->judge = judge.len > 0;
	shared->database = MyDatabaseId;
	shared->user = GetSessionUserId();
	shm_toc_insert(toc, KEY_SHARED, shared);

	path = shm_toc_allocate(toc, strlen(reader->path) + 1);
	strcpy(path, reader->path);
	shm_toc_insert(toc, KEY_PATH, path);
	if (judge.len > 0)
	{
		char	   *bytes = shm_toc_allocate(toc, judge.len);

		memcpy(bytes, judge.data, judge.len);
		shm_toc_insert(toc, KEY_JUDGE, bytes);
	}
	pfree(judge.data);

	for (int i = 0; i < pr->nworkers; i++)
	{
		shm_mq	   *mq = shm_mq_create(shm_toc_allocate(toc, PARALLEL_QUEUE_BYTES),
									   PARALLEL_QUEUE_BYTES);

		shm_toc_insert(toc, KEY_QUEUE + i, mq);
		shm_mq_set_receiver(mq, MyProc);
		pr->queues[i] = shm_mq_attach(mq, pr->seg, NULL);
	}

	if (!LaunchWorkers(pr))
	{
		dsm_detach(pr->seg);
		return NULL;
	}
	return pr;
}

/* Raise the error a worker sent: its code, message, detail and hint */
static void
RaiseWorkerError(ParallelReader *pr, ReadMessage *msg, const char *payload)
{
	const char *message = payload;
	const char *detail = message + strlen(message) + 1;
	const char *hint = detail + strlen(detail) + 1;

	ereport(ERROR,
			(errcode(msg->sqlerrcode),
			 errmsg_internal("%s", message),
			 detail[0] ? errdetail_internal("%s", detail) : 0,
			 hint[0] ? errhint("%s", hint) : 0,
			 errcontext("reader process of file \"%s\"", pr->reader->path)));
}

/* See parallel.h */
bool
ParallelReaderNext(ParallelReader *pr, ReaderLine *line, Jsonb **record,
				   bool *judged, const char **fingerprint)
{
	for (;;)
	{
		shm_mq_handle *queue;
		shm_mq_result res;
		Size		nbytes;
		void	   *data;
		ReadMessage *msg;
		char	   *payload;

		if (pr->span >= pr->nspans)
			return false;
		queue = pr->queues[pr->span % pr->nworkers];
		res = shm_mq_receive(queue, &nbytes, &data, false);
		if (res != SHM_MQ_SUCCESS || nbytes < READ_HEADER_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("reader process of file \"%s\" ended before the end of its part",
							pr->reader->path),
					 errhint("The server log may say why; run the batch again.")));

		msg = (ReadMessage *) data;
		payload = (char *) data + READ_HEADER_BYTES;
		switch ((ReadKind) msg->kind)
		{
			case READ_SPAN_END:
				pr->span++;
				/* hash what has been handed out, behind the workers */
				LineReaderHashUpTo(pr->reader, msg->next_offset);
				continue;
			case READ_ERROR:
				RaiseWorkerError(pr, msg, payload);
				break;
			case READ_RECORD:
			case READ_VALID:
				*record = (Jsonb *) payload;
				*judged = msg->kind == READ_VALID;
				*fingerprint = msg->fingerprint[0] ? msg->fingerprint : NULL;
				line->data = NULL;
				line->len = 0;
				break;
			case READ_LINE:
				*record = NULL;
				*judged = false;
				*fingerprint = NULL;
				line->data = payload;
				line->len = msg->len;
				break;
		}
		line->number = pr->next_number++;
		line->offset = msg->offset;
		line->full_len = msg->full_len;
		line->truncated = msg->truncated;
		pr->next_offset = msg->next_offset;
		return true;
	}
}

/* See parallel.h */
void
ParallelReaderLineBytes(ParallelReader *pr, ReaderLine *line)
{
	char	   *buf = palloc(line->full_len + 1);
	int64		done = 0;

	Assert(!line->truncated);
	while (done < line->full_len)
	{
		ssize_t		n = pread(fileno(pr->reader->file), buf + done,
							  line->full_len - done, line->offset + done);

		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", pr->reader->path)));
		if (n == 0)
			ReaderFileChanged(pr->reader->path,
							  psprintf("It ends before byte " INT64_FORMAT ".",
									   line->offset + line->full_len));
		done += n;
	}
	buf[done] = '\0';
	line->data = buf;
	line->len = (int) line->full_len;
}

/* See parallel.h */
int
ParallelReaderWorkers(ParallelReader *pr)
{
	return pr->nworkers;
}

/* See parallel.h */
int64
ParallelReaderNextOffset(ParallelReader *pr)
{
	return pr->next_offset;
}

/* See parallel.h */
void
ParallelReaderEnd(ParallelReader *pr)
{
	/* A worker still sending finds its queue detached and ends */
	cancel_on_dsm_detach(pr->seg, EndWorkers, PointerGetDatum(pr->workers));
	dsm_detach(pr->seg);
	FreeWorkers(pr->workers, false);
	pfree(pr->queues);
	pfree(pr);
}

/*
 * Worker side.
 */

/* Send one message; false when the loading backend has gone */
static bool
Send(shm_mq_handle *mqh, ReadMessage *msg, const void *data, Size len, bool flush)
{
	shm_mq_iovec iov[2];

	iov[0].data = (const char *) msg;
	iov[0].len = READ_HEADER_BYTES;
	iov[1].data = data;
	iov[1].len = len;
	return shm_mq_sendv(mqh, iov, len > 0 ? 2 : 1, false, flush) == SHM_MQ_SUCCESS;
}

/* What a worker judges records by (judge.c) */
typedef struct WorkerJudge
{
	Contract   *contract;
	List	   *silver_columns;
} WorkerJudge;

/*
 * Send one line: parsed when it is a JSON object (and judged when judge is
 * set: then only when it satisfies its contract), else as its bytes
 */
static bool
SendLine(ParallelShared *shared, WorkerJudge *judge, shm_mq_handle *mqh,
		 ReaderLine *line, int64 next_offset)
{
	ReadMessage msg;
	Jsonb	   *record = NULL;

	msg.kind = READ_LINE;
	msg.sqlerrcode = 0;
	msg.offset = line->offset;
	msg.full_len = line->full_len;
	msg.next_offset = next_offset;
	msg.len = line->len;
	msg.truncated = line->truncated;
	msg.fingerprint[0] = '\0';

	if (!line->truncated && !LineIsBlank(line->data, line->len))
	{
		const char *keyword;
		char	   *path;
		char	   *reason;

		record = ParseJsonLine((char *) line->data, line->len,
							   shared->reject_duplicates, &keyword, &path, &reason);
		if (record != NULL && !JB_ROOT_IS_OBJECT(record))
			record = NULL;
		if (record != NULL && judge != NULL)
		{
			List	   *errors = NIL;

			if (!JudgeRecord(judge->contract, judge->silver_columns, record, &errors))
				record = NULL;
		}
	}
	if (record == NULL)
		return Send(mqh, &msg, line->data, line->len, false);

	msg.kind = judge != NULL ? READ_VALID : READ_RECORD;
	msg.len = 0;
	if (shared->fingerprints)
	{
		char	   *fp = JsonbFingerprint(record);

		memcpy(msg.fingerprint, fp, SHA256_HEX_SIZE);
	}
	return Send(mqh, &msg, record, VARSIZE(record), false);
}

/* Read, parse and send the spans of worker number worker */
static void
ReadSpans(ParallelShared *shared, const char *path, WorkerJudge *judge, int worker,
		  shm_mq_handle *mqh)
{
	MemoryContext line_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "omni_ingest reader line",
												   ALLOCSET_DEFAULT_SIZES);
	LineReader *reader = LineReaderOpen(path, shared->max_line_bytes);

	/*
	 * A stretch of the file the worker knows holds no line start: after
	 * known_from up to known_end, the start of the next line.  A long line
	 * spans many spans; each is then passed without reading it again.
	 */
	int64		known_from = -1;
	int64		known_end = -1;

	/* The loading backend keeps the file's SHA-256 */
	pg_cryptohash_free(reader->sha);
	reader->sha = NULL;

	if (reader->dev != shared->dev || reader->ino != shared->ino ||
		reader->file_size != shared->file_size)
		ReaderFileChanged(path,
						  "The path no longer names the file, of the same size, that the run opened.");

	for (int64 span = worker; span < shared->nspans; span += shared->nworkers)
	{
		int64		start = span * shared->span_bytes;
		int64		end = span == shared->nspans - 1 ? PG_INT64_MAX : start + shared->span_bytes;
		ReaderLine	line;
		ReadMessage msg;

		memset(&msg, 0, sizeof(msg));
		msg.kind = READ_SPAN_END;

		/*
		 * The line that begins before the span belongs to the span before:
		 * the span's first line is the next line to begin after the byte
		 * before it.  The first span's reader is where LineReaderOpen left
		 * it.
		 */
		if (start > 0)
		{
			int64		first;

			if (known_from >= 0 && start - 1 >= known_from && start <= known_end)
				first = known_end;
			else
			{
				LineReaderSeek(reader, start - 1, 1);
				known_from = start - 1;
				(void) LineReaderSkipLine(reader);
				first = known_end = reader->next_offset;
			}
			if (first >= end)
			{
				msg.next_offset = first;
				if (!Send(mqh, &msg, NULL, 0, true))
					return;
				continue;
			}
			if (reader->next_offset != first)
				LineReaderSeek(reader, first, 1);
		}

		while (reader->next_offset < end && LineReaderNext(reader, &line))
		{
			MemoryContext old = MemoryContextSwitchTo(line_cxt);
			bool		sent;

			CHECK_FOR_INTERRUPTS();
			sent = SendLine(shared, judge, mqh, &line, reader->next_offset);
			MemoryContextSwitchTo(old);
			MemoryContextReset(line_cxt);
			if (!sent)
				return;
			known_from = line.offset;
			known_end = reader->next_offset;
		}

		msg.next_offset = reader->next_offset;
		if (!Send(mqh, &msg, NULL, 0, true))
			return;
	}
	LineReaderClose(reader);
}

/* Send the error being handled to the loading backend */
static void
SendError(shm_mq_handle *mqh, ErrorData *edata)
{
	ReadMessage msg;
	StringInfoData buf;

	memset(&msg, 0, sizeof(msg));
	msg.kind = READ_ERROR;
	msg.sqlerrcode = edata->sqlerrcode;
	initStringInfo(&buf);
	appendStringInfoString(&buf, edata->message ? edata->message : "");
	appendStringInfoChar(&buf, '\0');
	appendStringInfoString(&buf, edata->detail ? edata->detail : "");
	appendStringInfoChar(&buf, '\0');
	appendStringInfoString(&buf, edata->hint ? edata->hint : "");
	appendStringInfoChar(&buf, '\0');
	(void) Send(mqh, &msg, buf.data, buf.len, true);
}

/* Entry point of a reader worker; main_arg is the shared memory's handle */
void
omni_ingest_read_worker(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	ParallelShared *shared;
	shm_mq	   *mq;
	shm_mq_handle *mqh;
	const char *path;
	int			worker;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&worker, MyBgworkerEntry->bgw_extra, sizeof(worker));

	/* Gone already: the load gave up on its workers, or ended */
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);
	toc = shm_toc_attach(PARALLEL_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bad magic number in the shared memory of an omni_ingest reader")));
	shared = shm_toc_lookup(toc, KEY_SHARED, false);
	path = shm_toc_lookup(toc, KEY_PATH, false);
	mq = shm_toc_lookup(toc, KEY_QUEUE + worker, false);
	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);

	BackgroundWorkerInitializeConnectionByOid(shared->database, shared->user, 0);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("reading part %d of %d of \"%s\" for PID %d",
									worker + 1, shared->nworkers, path,
									MyBgworkerEntry->bgw_notify_pid));

	/*
	 * A transaction for the catalog lookups compiling and judging may make
	 * (regular expressions); its resource owner holds the file and the
	 * SHA-256 contexts
	 */
	StartTransactionCommand();

	PG_TRY();
	{
		WorkerJudge judge;
		bool		judging = false;

		if (shared->judge)
		{
			judge.contract = JudgeRestore(shm_toc_lookup(toc, KEY_JUDGE, false),
										  &judge.silver_columns);
			judging = judge.contract != NULL;
		}
		ReadSpans(shared, path, judging ? &judge : NULL, worker, mqh);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		SendError(mqh, edata);
		ereport(LOG,
				(errmsg("omni_ingest reader of \"%s\" failed: %s", path, edata->message)));
	}
	PG_END_TRY();

	dsm_detach(seg);
	proc_exit(0);
}
