/*
 * manifest.c
 *		File access for manifest-driven loads.
 *
 * omni_ingest_manifest (in the install script) validates a source
 * manifest, judges its assets by the gate policy and loads the accepted
 * ones with omni_ingest_jsonl.  The two things it needs from the server's
 * file system are here, behind the same privilege check as
 * omni_ingest_jsonl: reading the manifest document itself, and the size and
 * SHA-256 of a declared asset, to compare with what the manifest says
 * before anything is loaded.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "omni_ingest.h"
#include "parse.h"
#include "reader.h"

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
