/*
 * autonomous.h
 *		Run one statement in its own transaction, in a background worker.
 */
#ifndef OMNI_AUTONOMOUS_H
#define OMNI_AUTONOMOUS_H

#include "postgres.h"

/*
 * Run sql with text parameters ($1::type casts in the SQL; NULL array
 * entries are SQL nulls) in a background worker connected to this database
 * as the extension owner, and commit it there.  Returns false, with nothing
 * done, when no worker could be started (with a WARNING: no slot was free)
 * or the statement failed there (with a NOTICE saying why), so that the
 * caller can run it itself.
 * On success *result (if not NULL) is the first column of the first row
 * returned, as text, or NULL.
 */
extern bool AutonomousExec(const char *sql, int nparams, const char **params,
						   char **result);

#endif							/* OMNI_AUTONOMOUS_H */
