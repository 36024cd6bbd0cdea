/*
 * lock.h
 *		The extension's locks: one per batch id, one per write target.
 */
#ifndef OMNI_LOCK_H
#define OMNI_LOCK_H

#include "postgres.h"

#include "storage/lock.h"

/* Batch locks: runs of one batch id, one at a time */
extern void OmniLockBatch(const char *batch_id, Oid target);
extern void OmniLockBatchForSession(const char *batch_id, LOCKTAG *tag);
extern void OmniUnlockBatchForSession(const LOCKTAG *tag);

/* Write-target locks: writers of one Silver table, one at a time */
extern void OmniLockTarget(Oid target);
extern bool OmniHoldsTargetLock(Oid target);

#endif							/* OMNI_LOCK_H */
