/*
 * loadmode.h
 *		Load modes of an asset run: which valid records a run applies, and
 *		the cursor an incremental run moves.
 */
#ifndef OMNI_LOADMODE_H
#define OMNI_LOADMODE_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "contract.h"

typedef enum LoadModeKind
{
	LOAD_FULL_SNAPSHOT,			/* every valid record is applied */
	LOAD_INCREMENTAL_CURSOR,	/* records past the stored cursor; late ones by policy */
	LOAD_BACKFILL				/* records inside [start_at, end_at) */
} LoadModeKind;

/* on_late_arrival: what an incremental run does with a late record */
typedef enum LateArrival
{
	LATE_APPLY,					/* written as usual */
	LATE_QUARANTINE,			/* kept in omni_ingest.quarantine instead */
	LATE_REJECT					/* a reject row, keyword late_arrival */
} LateArrival;

/* The load options of a run, as given (see LoadOptionsParse) */
typedef struct LoadOptions
{
	LoadModeKind mode;
	LateArrival on_late;
	char	   *source_id;		/* NULL when not given */
	char	   *cursor_field;	/* NULL: backfill judges the record version */
	char	   *lower_name;		/* the option naming the inclusive bound */
	char	   *lower;			/* cursor_start or start_at; NULL: none */
	char	   *upper_name;		/* the option naming the exclusive bound */
	char	   *upper;			/* cursor_end or end_at; NULL: none */
	int64		expected_size;	/* -1: not given */
	char	   *expected_sha256;	/* lower-case hex; NULL: not given */
} LoadOptions;

/* What a run does with one valid record */
typedef enum LoadVerdict
{
	LOAD_APPLY,					/* write it to Bronze and Silver */
	LOAD_QUARANTINE,			/* late, kept in the quarantine table */
	LOAD_OUTSIDE_WINDOW,		/* counted, neither written nor rejected */
	LOAD_REJECT					/* a reject row; the reason is in *errors */
} LoadVerdict;

/* A run's load mode at work (opaque outside loadmode.c but for these) */
typedef struct LoadMode LoadMode;

/*
 * Parse the load object of ingest_asset (NULL: every default).  An unknown
 * key, a value of the wrong kind or a missing required key raises an
 * ERROR (invalid_parameter_value).
 */
extern LoadOptions *LoadOptionsParse(Jsonb *load);

/* The name of a policy, as on_late_arrival spells it */
extern const char *LateArrivalName(LateArrival policy);

/*
 * Set up the load mode of a run of contract: how cursor values compare
 * (as the Silver column of the cursor field, else as jsonb) and the bounds,
 * read through that type (an unparsable bound raises here).
 */
extern LoadMode *LoadModeBegin(LoadOptions *opts, Contract *contract);

/* True when the mode keeps a stored cursor (incremental_cursor) */
extern bool LoadModeHasCursor(LoadMode *lm);

/*
 * Read the stored cursor of an incremental run (the caller holds the locks
 * that keep it still); a stored cursor on another field raises an ERROR.
 * Returns it as text, or NULL when there is none or the mode keeps none.
 */
extern char *LoadModeReadCursor(LoadMode *lm);

/*
 * Judge one valid record.  *late tells whether it arrived late; for a
 * quarantined record *value_text is its cursor value as text; a rejected
 * record's reason is appended to *errors.
 */
extern LoadVerdict LoadModeJudge(LoadMode *lm, Jsonb *record, bool *late,
								 char **value_text, List **errors);

/* Before anything is read: refuse a file whose size is not the expected one */
extern void LoadModeCheckOpenedSize(LoadMode *lm, const char *path, int64 size);

/* True when the run was given the SHA-256 its file must have */
extern bool LoadModeDeclaresSha256(LoadMode *lm);

/* Refuse bytes whose size or SHA-256 is not the expected one */
extern void LoadModeCheckFile(LoadMode *lm, const char *path, int64 size,
							  const char *sha256);

/*
 * Move the stored cursor of an incremental run to the highest value it
 * applied, when that is past it.  Returns the cursor after the run, as
 * text (NULL: none).
 */
extern char *LoadModeMoveCursor(LoadMode *lm, const char *batch_id, int64 run_id);

#endif							/* OMNI_LOADMODE_H */
