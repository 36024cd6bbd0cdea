/*
 * autonomous.c
 *		A statement committed on its own, whatever becomes of the caller.
 *
 * The batch ledger must remember a run even when the run's transaction
 * never commits: a server crash, a cancel, or a caller that rolls back.
 * PostgreSQL has no autonomous transactions, so the ledger writes that must
 * survive are handed to a short-lived dynamic background worker, which
 * connects to the same database, runs the one statement, commits and
 * exits, while the caller waits.  The statement and its parameters travel
 * in a dynamic shared memory segment, and so do the outcome and the error
 * message.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "autonomous.h"
#include "owner.h"
#include "spi_util.h"

#define AUTONOMOUS_MESSAGE_SIZE 1024

/* Layout of the shared segment: this header, then the SQL and parameters */
typedef struct AutonomousShared
{
	Oid			database_id;
	Oid			role_id;
	int			nparams;
	bool		ok;				/* set by the worker when it committed */
	bool		has_result;
	char		result[AUTONOMOUS_MESSAGE_SIZE];	/* first column, as text */
	char		error[AUTONOMOUS_MESSAGE_SIZE];
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* sql \0 (flag param \0)* */
} AutonomousShared;

PGDLLEXPORT void omni_ingest_autonomous_main(Datum arg);

/*
 * The role the worker connects as: the extension owner, whose writes these
 * are.  A worker cannot connect as a role that may not log in (PostgreSQL
 * 15 checks rolcanlogin for background workers too), so for an owner
 * created NOLOGIN it connects as the bootstrap superuser, which runs the
 * same fixed statements with the same rights.
 */
static Oid
WorkerRole(void)
{
	Oid			owner = OmniExtensionOwner();
	HeapTuple	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	bool		can_login;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "role with OID %u does not exist", owner);
	can_login = ((Form_pg_authid) GETSTRUCT(tuple))->rolcanlogin;
	ReleaseSysCache(tuple);
	return can_login ? owner : BOOTSTRAP_SUPERUSERID;
}

/* Copy sql and parameters into a new segment */
static dsm_segment *
AutonomousPack(const char *sql, int nparams, const char **params)
{
	Size		size = offsetof(AutonomousShared, data) + strlen(sql) + 1;
	dsm_segment *seg;
	AutonomousShared *shared;
	char	   *p;

	for (int i = 0; i < nparams; i++)
		size += 1 + (params[i] ? strlen(params[i]) : 0) + 1;

	seg = dsm_create(size, 0);
	shared = dsm_segment_address(seg);
	memset(shared, 0, offsetof(AutonomousShared, data));
	shared->database_id = MyDatabaseId;
	shared->role_id = WorkerRole();
	shared->nparams = nparams;

	p = shared->data;
	strcpy(p, sql);
	p += strlen(sql) + 1;
	for (int i = 0; i < nparams; i++)
	{
		*p++ = params[i] ? 'v' : 'n';
		strcpy(p, params[i] ? params[i] : "");
		p += strlen(p) + 1;
	}
	return seg;
}

/* Run the statement through a worker; see autonomous.h */
bool
AutonomousExec(const char *sql, int nparams, const char **params, char **result)
{
	dsm_segment *seg = AutonomousPack(sql, nparams, params);
	AutonomousShared *shared = dsm_segment_address(seg);
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "omni_ingest");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "omni_ingest_autonomous_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "omni_ingest ledger writer for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "omni_ingest ledger writer");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_detach(seg);
		ereport(WARNING,
				(errmsg("no background worker is free to write the batch ledger in a transaction of its own"),
				 errdetail("No slot of max_worker_processes (%d) is free. The ledger is written in the current transaction instead: a crash, a cancel or a rollback of this transaction now loses the run's ledger row.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes.")));
		return false;
	}

	status = WaitForBackgroundWorkerShutdown(handle);
	pg_memory_barrier();
	if (status != BGWH_STOPPED)
	{
		dsm_detach(seg);
		return false;
	}
	if (!shared->ok)
	{
		char	   *message = pstrdup(shared->error[0] ? shared->error :
									  "the worker exited before committing");
		Oid			role = shared->role_id;

		dsm_detach(seg);
		ereport(NOTICE,
				(errmsg("could not write the batch ledger in a transaction of its own: %s", message),
				 errdetail("The worker runs as %s.", GetUserNameFromId(role, false)),
				 errhint("The ledger is written in the current transaction instead.")));
		return false;
	}
	if (result)
		*result = shared->has_result ? pstrdup(shared->result) : NULL;
	dsm_detach(seg);
	return true;
}

/* Worker: run the statement found in the segment and commit */
void
omni_ingest_autonomous_main(Datum arg)
{
	dsm_segment *seg;
	AutonomousShared *shared;
	const char *sql;
	char	   *p;
	Oid		   *types;
	Datum	   *values;
	char	   *nulls;
	int			n;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "omni_ingest ledger writer");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the omni_ingest ledger writer's segment")));
	shared = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(shared->database_id, shared->role_id, 0);

	n = shared->nparams;
	sql = shared->data;
	p = shared->data + strlen(sql) + 1;
	types = palloc(sizeof(Oid) * Max(n, 1));
	values = palloc(sizeof(Datum) * Max(n, 1));
	nulls = palloc(sizeof(char) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		types[i] = TEXTOID;
		nulls[i] = (*p == 'n') ? 'n' : ' ';
		p++;
		values[i] = nulls[i] == 'n' ? (Datum) 0 : CStringGetTextDatum(p);
		p += strlen(p) + 1;
	}

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, sql);

	PG_TRY();
	{
		int			rc;
		int			save_nestlevel;

		SPI_connect();
		save_nestlevel = OmniPinSearchPath();
		rc = SPI_execute_with_args(sql, n, types, values, nulls, false, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
		if (SPI_tuptable != NULL && SPI_processed > 0)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (v != NULL)
			{
				strlcpy(shared->result, v, sizeof(shared->result));
				shared->has_result = true;
			}
		}
		OmniRestoreSearchPath(save_nestlevel);
		SPI_finish();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		strlcpy(shared->error, edata->message ? edata->message : "unknown error",
				sizeof(shared->error));
		PG_RE_THROW();
	}
	PG_END_TRY();

	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	pg_memory_barrier();
	shared->ok = true;
	dsm_detach(seg);
	proc_exit(0);
}
