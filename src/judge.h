/*
 * judge.h
 *		Whether a parsed record satisfies its contract, and the contract as
 *		bytes, so that a read worker judges records exactly as the loading
 *		backend does.
 */
#ifndef OMNI_JUDGE_H
#define OMNI_JUDGE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "contract.h"

/*
 * Judge a record (a JSON object): its schema, within the validation budget,
 * then the contract's rules and its Silver columns (SilverColumn *, NIL
 * when there is no Silver table).  True when it satisfies them all; else
 * the reasons are appended to *errors.  Never raises for what the record
 * holds.
 */
extern bool JudgeRecord(Contract *contract, List *silver_columns, Jsonb *record,
						List **errors);

/*
 * True when another process can judge records for this contract and these
 * columns from JudgeSerialize's bytes alone: no column's values are read by
 * an input function, which could depend on the loading transaction.
 */
extern bool JudgeSerializable(List *silver_columns);

/* The contract (its schema and annotations), the columns and the budget */
extern void JudgeSerialize(StringInfo buf, Contract *contract, List *silver_columns);

/*
 * The contract and columns of JudgeSerialize's bytes, compiled, in
 * CurrentMemoryContext, and the budget set.  NULL when the schema refers to
 * other schemas, which only the catalog as the loading backend sees it can
 * resolve.
 */
extern Contract *JudgeRestore(const char *data, List **silver_columns);

#endif							/* OMNI_JUDGE_H */
