/*
 * omni_ingest.c
 *		Module entry point and settings.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "omni_ingest.h"

PG_MODULE_MAGIC;

int			omni_chunk_rows = 1000;
int			omni_chunk_bytes = 64 * 1024 * 1024;
int			omni_max_line_bytes = 16 * 1024 * 1024;
int			omni_reject_line_bytes = 8192;
bool		omni_allow_drop_data = false;
bool		omni_raise_on_failure = false;
char	   *omni_allowed_directories = NULL;
int			omni_duplicate_keys = OMNI_DUPLICATE_KEYS_REJECT;

static const struct config_enum_entry duplicate_keys_options[] = {
	{"reject", OMNI_DUPLICATE_KEYS_REJECT, false},
	{"last_wins", OMNI_DUPLICATE_KEYS_LAST_WINS, false},
	{NULL, 0, false}
};
int			omni_write_path = OMNI_WRITE_PATH_AUTO;

static const struct config_enum_entry write_path_options[] = {
	{"auto", OMNI_WRITE_PATH_AUTO, false},
	{"sql", OMNI_WRITE_PATH_SQL, false},
	{NULL, 0, false}
};
int			omni_read_workers = 2;
int			omni_read_span_bytes = 1024 * 1024;
int			omni_validation_work_limit = 100000000;
int			omni_validation_memory_limit = 65536;	/* kB */

void		_PG_init(void);

/* Define the omni_ingest.* settings */
void
_PG_init(void)
{
	DefineCustomIntVariable("omni_ingest.chunk_rows",
							"Valid records written to Bronze and Silver per statement.",
							NULL,
							&omni_chunk_rows,
							1000, 1, 100000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	/*
	 * A chunk travels as one array per column; an array cannot exceed 1GB.
	 * A chunk holds at most this much record data plus one record (at most
	 * max_line_bytes), so the largest settings stay below that.
	 */
	DefineCustomIntVariable("omni_ingest.chunk_bytes",
							"Record bytes buffered before a chunk is written, whatever chunk_rows says.",
							NULL,
							&omni_chunk_bytes,
							64 * 1024 * 1024, 64 * 1024, 512 * 1024 * 1024,
							PGC_USERSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("omni_ingest.max_line_bytes",
							"Longest JSON Lines line accepted; longer lines are rejected.",
							NULL,
							&omni_max_line_bytes,
							16 * 1024 * 1024, 1024, 256 * 1024 * 1024 - 1,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("omni_ingest.reject_line_bytes",
							"Bytes of a rejected line kept in the reject table.",
							NULL,
							&omni_reject_line_bytes,
							8192, 0, 1024 * 1024,
							PGC_USERSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("omni_ingest.allow_drop_data",
							 "Allow DROP EXTENSION omni_ingest while its tables hold data.",
							 NULL,
							 &omni_allow_drop_data,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("omni_ingest.raise_on_failure",
							 "Raise the error of a failed run instead of returning a failed summary row.",
							 "Either way the failure is recorded in the batch ledger.",
							 &omni_raise_on_failure,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("omni_ingest.allowed_directories",
							   "Directories (comma-separated) outside which omni_ingest reads no file.",
							   "Empty: no restriction beyond the pg_read_server_files check.",
							   &omni_allowed_directories,
							   "",
							   PGC_SUSET, GUC_LIST_INPUT,
							   NULL, NULL, NULL);

	DefineCustomEnumVariable("omni_ingest.duplicate_keys",
							 "What a line whose object holds a member twice is: rejected, or loaded with the last one.",
							 "reject keeps Bronze true to the line as it arrived; last_wins is what jsonb does.",
							 &omni_duplicate_keys,
							 OMNI_DUPLICATE_KEYS_REJECT,
							 duplicate_keys_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("omni_ingest.write_path",
							 "How loads write Bronze and Silver: auto (directly where the tables allow it) or sql.",
							 "auto writes plain heap tables without triggers, rules or row security as COPY does, "
							 "and every other table through the SQL statements; sql always uses the statements.",
							 &omni_write_path,
							 OMNI_WRITE_PATH_AUTO,
							 write_path_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	/*
	 * Background workers take slots of max_worker_processes, which other
	 * parts of the server need too: only a superuser decides how many a load
	 * may take.  The span size changes nothing but how work is shared; a
	 * tiny one costs the workers a message per span, so it is a superuser's
	 * too.
	 */
	DefineCustomIntVariable("omni_ingest.read_workers",
							"Background workers that read, parse and fingerprint a load's lines while it writes.",
							"0 reads every file in the loading backend.  A load takes fewer when its file has fewer spans, "
							"and none when no background worker slot is free.",
							&omni_read_workers,
							2, 0, 32,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("omni_ingest.read_span_bytes",
							"Bytes of a file a read worker takes at a time.",
							"A file of one span or less is read in the loading backend.",
							&omni_read_span_bytes,
							1024 * 1024, 1, 1024 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	/*
	 * The validation budget.  Steps are CPU time, which a role may spend
	 * anyway (statement_timeout is its own to set); memory is the server's,
	 * so only a superuser moves its ceiling.
	 */
	DefineCustomIntVariable("omni_ingest.validation_work_limit",
							"Subschemas one validation may apply to parts of an instance.",
							"Over it, an SQL call fails and a record of a load is rejected.",
							&omni_validation_work_limit,
							100000000, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("omni_ingest.validation_memory_limit",
							"Memory one validation may allocate.",
							"Over it, an SQL call fails and a record of a load is rejected.",
							&omni_validation_memory_limit,
							65536, 64, MAX_KILOBYTES,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("omni_ingest");
}
