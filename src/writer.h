/*
 * writer.h
 *		Chunked writes of valid records to Bronze and Silver, and of rejects.
 */
#ifndef OMNI_WRITER_H
#define OMNI_WRITER_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/jsonb.h"

#include "contract.h"
#include "direct.h"

typedef struct WriterCounts
{
	int64		inserted;		/* new Bronze rows */
	int64		silver_inserted;
	int64		silver_updated;
	int64		silver_unchanged;
	int64		silver_superseded;
	int64		rejects;		/* reject rows written */
	int64		quarantined;	/* quarantine rows written */
} WriterCounts;

typedef struct Writer
{
	Contract   *contract;
	char	   *batch_id;
	int64		run_id;
	bool		dry_run;		/* count, never write */
	bool		silver_only;	/* replay: records come from Bronze */
	int			chunk_rows;
	List	   *silver_columns;	/* SilverColumn *: how Silver holds the fields */
	int64		chunk_bytes;	/* flush before buffered bytes exceed this */

	/* valid records and rejects waiting for the next flush, and their bytes */
	int64		buffered_bytes;
	int			nrecords;
	Datum	   *payloads;
	Datum	   *fingerprints;
	Datum	   *record_lines;
	Datum	   *versions;		/* timestamptz */
	char	  **keys;			/* business keys */

	/* rejects waiting for the next flush */
	int			nrejects;
	Datum	   *reject_lines;
	Datum	   *reject_offsets;
	Datum	   *reject_bytes;
	Datum	   *reject_raw;
	Datum	   *reject_truncated;
	Datum	   *reject_reasons;

	/* records held back in the quarantine table, waiting for the next flush */
	int			nquarantined;
	Datum	   *quarantine_lines;
	Datum	   *quarantine_reasons;
	Datum	   *quarantine_values;
	Datum	   *quarantine_records;

	MemoryContext chunk_cxt;	/* reset after every flush */
	SPIPlanPtr	bronze_plan;
	SPIPlanPtr	silver_plan;
	SPIPlanPtr	silver_state_plan;
	SPIPlanPtr	reject_plan;
	SPIPlanPtr	quarantine_plan;
	bool		target_locked;	/* WriterLockTarget done */
	DirectWriter *direct;		/* NULL: every chunk through SQL */
	WriterCounts counts;
} Writer;

/* Bookkeeping columns of a Silver table, not taken from the record */
#define SILVER_VERSION_COLUMN "record_version"
#define SILVER_FINGERPRINT_COLUMN "source_fingerprint"
#define SILVER_BATCH_COLUMN "last_batch_id"
#define SILVER_LINE_COLUMN "last_line_number"
#define SILVER_LOADED_COLUMN "loaded_at"

extern List *WriterSilverFields(Oid relid, List **silver_columns);
extern bool WriterBronzeHasKey(Oid bronze, const char *key);
extern void WriterCheckTargets(Contract *contract);
extern Writer *WriterBegin(Contract *contract, const char *batch_id,
						   int64 run_id, bool dry_run);
extern void WriterAddRecord(Writer *w, Jsonb *record, int64 line_number,
							const char *fingerprint);
extern void WriterAddReject(Writer *w, int64 line_number, int64 offset,
							int64 line_bytes, const char *data, int len,
							bool truncated, Jsonb *reasons);
extern void WriterAddQuarantine(Writer *w, int64 line_number, const char *reason,
								const char *cursor_value, Jsonb *record);
extern void WriterFlush(Writer *w);
extern void WriterEnd(Writer *w);

#endif							/* OMNI_WRITER_H */
