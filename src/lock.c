/*
 * lock.c
 *		The extension's lock protocol: batch locks and write-target locks.
 *
 * Two locks, both ExclusiveLock in the regular lock manager:
 *
 *	batch	serializes the runs of one batch id.  A second session asking for
 *			a batch that is being loaded waits, then sees the first run's
 *			outcome.  omni_ingest_jsonl and omni_replay hold it to the end of
 *			their transaction; omni_ingest_jsonl_resumable holds it for the
 *			session, across the commits of its segments, so it also excludes
 *			a function run of the same batch.
 *	target	serializes the writers of one Silver table (and its Bronze).  A
 *			run takes it before its first write and holds it to the end of the
 *			transaction, so the row locks of two loads whose batches share
 *			keys are always taken under it and can never form a cycle.
 *
 * Order: a batch lock is taken before the target lock of the same run.  A
 * transaction that already holds a target lock (it loaded another batch
 * before) does not wait for a batch lock: the session holding that batch may
 * be waiting for this transaction's target lock, and the two would deadlock.
 * It is refused at once instead (55P03).
 *
 * The lock space.  Advisory locks are open to every role, so a role with no
 * privilege at all could block every load with pg_advisory_lock and the right
 * key.  These locks are object locks (LOCKTAG_OBJECT) whose class is one of
 * the extension's own tables:
 *
 *	batch	(database, OID of omni_ingest.batch_ledger, hash of the batch id, 0)
 *	target	(database, OID of omni_ingest.contract_target, Silver table's OID, 0)
 *
 * No SQL command can take such a lock.  The server takes LOCKTAG_OBJECT locks
 * only in LockDatabaseObject and LockSharedObject (and their Conditional and
 * Unlock forms), and every caller passes as the class the OID of a system
 * catalog: a constant (DatabaseRelationId, AuthIdRelationId,
 * SubscriptionRelationId, ...), or the classId of an ObjectAddress, which
 * get_object_address sets from its fixed mapping of object types to
 * catalogs, and which pg_depend and pg_shdepend rows carry likewise (they are
 * written by the server itself; changing them takes a superuser).  System
 * catalogs have OIDs below FirstGenbkiObjectId; a table created by CREATE
 * EXTENSION has one at or above FirstNormalObjectId.  Advisory locks are
 * another tag type (LOCKTAG_ADVISORY) and conflict with none of these.  Only
 * C code loaded by a superuser could take them.
 *
 * What a DBA sees in pg_locks: locktype "object", database the current one,
 * classid 'omni_ingest.batch_ledger'::regclass with objid the batch id's hash
 * (objid::bigint = hashtext(batch_id COLLATE "C")::bigint & 4294967295),
 * or classid
 * 'omni_ingest.contract_target'::regclass with objid the Silver table
 * (objid::regclass names it); objsubid 0, mode ExclusiveLock.  A waiting load
 * shows wait_event_type "Lock", wait_event "object", and log_lock_waits
 * reports "ExclusiveLock on object N of class C of database D".  The waits
 * are ordinary lock waits: the deadlock detector, lock_timeout and a cancel
 * all apply (LockAcquire sleeps in ProcSleep, which services interrupts).
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"

#include "lock.h"
#include "omni_ingest.h"

/* The OID of one of the extension's tables: the class of a kind of lock */
static Oid
LockClass(const char *table)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid(OMNI_SCHEMA, false));

	if (!OidIsValid(relid))
		elog(ERROR, "table %s.%s does not exist", OMNI_SCHEMA, table);
	Assert(relid >= FirstNormalObjectId);
	return relid;
}

/* The lock tag of a batch id */
static void
BatchLockTag(const char *batch_id, LOCKTAG *tag)
{
	uint32		hash = hash_bytes((const unsigned char *) batch_id, strlen(batch_id));

	SET_LOCKTAG_OBJECT(*tag, MyDatabaseId, LockClass("batch_ledger"), hash, 0);
}

/* The lock tag of a write target (its Silver table) */
static void
TargetLockTag(Oid target, LOCKTAG *tag)
{
	SET_LOCKTAG_OBJECT(*tag, MyDatabaseId, LockClass("contract_target"), target, 0);
}

/*
 * Serialize runs of one batch id until the end of the transaction.  target
 * is the Silver table the run will write (InvalidOid: none); a transaction
 * already holding its write lock is refused rather than made to wait.
 */
void
OmniLockBatch(const char *batch_id, Oid target)
{
	LOCKTAG		tag;

	BatchLockTag(batch_id, &tag);
	if (!OidIsValid(target) || !OmniHoldsTargetLock(target))
	{
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
		return;
	}
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("batch \"%s\" is being loaded by another session", batch_id),
				 errdetail("This transaction has already loaded another batch into the same tables; waiting here could deadlock with that session."),
				 errhint("Load one batch per transaction, or run this one again once the other load has ended.")));
}

/*
 * Serialize runs of one batch id for the session, across commits, until
 * OmniUnlockBatchForSession.  Fills tag for that call, so that releasing the
 * lock needs no catalog access (it may happen while an error is handled).
 * Like every session lock of the regular lock manager, it is also released
 * when a transaction aborts.
 */
void
OmniLockBatchForSession(const char *batch_id, LOCKTAG *tag)
{
	BatchLockTag(batch_id, tag);
	(void) LockAcquire(tag, ExclusiveLock, true, false);
}

/* Release a batch lock taken by OmniLockBatchForSession, if still held */
void
OmniUnlockBatchForSession(const LOCKTAG *tag)
{
	if (LockHeldByMe(tag, ExclusiveLock))
		LockRelease(tag, ExclusiveLock, true);
}

/* Serialize writers of one target for the rest of the transaction */
void
OmniLockTarget(Oid target)
{
	LOCKTAG		tag;

	TargetLockTag(target, &tag);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* True when this transaction already holds the write lock of a target */
bool
OmniHoldsTargetLock(Oid target)
{
	LOCKTAG		tag;

	TargetLockTag(target, &tag);
	return LockHeldByMe(&tag, ExclusiveLock);
}
