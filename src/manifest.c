/*
 * manifest.c
 *		Manifest-driven loads: the entry point and its file access.
 *
 * omni_ingest.manifest_load (in the install script) validates a source
 * manifest, judges its assets by the gate policy and loads the accepted
 * ones with omni_ingest_jsonl.  omni_ingest_manifest, here, is how callers
 * reach it: it checks the caller's rights, then runs it as the extension
 * owner, who alone writes the manifest tables.  The two things the load
 * needs from the server's file system are here too, behind the same
 * privilege check as omni_ingest_jsonl: reading the manifest document
 * itself, and the size and SHA-256 of a declared asset, to compare with
 * what the manifest says before anything is loaded.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "omni_ingest.h"
#include "owner.h"
#include "parse.h"
#include "reader.h"
#include "spi_util.h"

/* Largest manifest document read */
#define MANIFEST_MAX_BYTES (16 * 1024 * 1024)

/*
 * omni_read_manifest(path text) returns jsonb
 *
 * The whole file as one JSON document (it may span lines).
 */
PG_FUNCTION_INFO_V1(omni_read_manifest);
Datum
omni_read_manifest(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LineReader *reader;
	StringInfoData doc;
	ReaderLine	line;
	Jsonb	   *result;
	const char *keyword;
	char	   *member_path;
	char	   *reason;

	CheckServerFileReadable(path);
	reader = LineReaderOpen(path, MANIFEST_MAX_BYTES);
	if (reader->file_size > MANIFEST_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("manifest \"%s\" is larger than %d bytes", path, MANIFEST_MAX_BYTES)));

	initStringInfo(&doc);
	while (LineReaderNext(reader, &line))
	{
		appendBinaryStringInfo(&doc, line.data, line.len);
		appendStringInfoChar(&doc, '\n');
	}
	LineReaderClose(reader);

	result = ParseJsonLine(doc.data, doc.len,
						   omni_duplicate_keys == OMNI_DUPLICATE_KEYS_REJECT,
						   &keyword, &member_path, &reason);
	if (result == NULL && strcmp(keyword, "duplicate_key") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" holds a member twice: %s", path, reason),
				 errdetail("The member is at JSON pointer \"%s\".", member_path),
				 errhint("Remove the repeated member, or SET omni_ingest.duplicate_keys = last_wins.")));
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" is not a JSON document: %s", path, reason)));
	if (!JB_ROOT_IS_OBJECT(result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" is not a JSON object", path)));
	PG_RETURN_JSONB_P(result);
}

/*
 * omni_file_fingerprint(path text, OUT size bigint, OUT sha256 text)
 *
 * Size and SHA-256 of a server file, read once.
 */
PG_FUNCTION_INFO_V1(omni_file_fingerprint);
Datum
omni_file_fingerprint(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LineReader *reader;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	CheckServerFileReadable(path);
	reader = LineReaderOpen(path, 1024);
	LineReaderSkipToEnd(reader);
	values[1] = CStringGetTextDatum(LineReaderFinishSha256(reader));
	values[0] = Int64GetDatum(reader->bytes_read);
	LineReaderClose(reader);

	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * omni_ingest_manifest(manifest_path text, dry_run boolean) returns the
 * rows of omni_ingest.manifest_load
 *
 * The manifest and every asset it names are server files: the caller must
 * be allowed to read server files, as for omni_ingest_jsonl.  The load
 * then runs as the extension owner, and its runs are recorded for the
 * caller.
 */
PG_FUNCTION_INFO_V1(omni_ingest_manifest);
Datum
omni_ingest_manifest(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		dry_run = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	char	   *path;
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2];
	OwnerSwitch owner;
	int			save_nestlevel;

	if (PG_ARGISNULL(0) || (path = text_to_cstring(PG_GETARG_TEXT_PP(0)))[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("manifest_path must not be null or empty"),
				 errhint("Pass the absolute path of a manifest file on the database server.")));
	CheckServerFileReadable(path);
	InitMaterializedSRF(fcinfo, 0);

	values[0] = CStringGetTextDatum(path);
	values[1] = BoolGetDatum(dry_run);
	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	OmniBecomeOwner(&owner);
	OmniSpiExec("SELECT * FROM omni_ingest.manifest_load($1, $2)",
				2, types, values, NULL, false, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	OmniRestoreCaller(&owner);
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();
	return (Datum) 0;
}
