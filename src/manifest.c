/*
 * manifest.c
 *		Manifest-driven loads: the entry point, folder runs, file access.
 *
 * omni_ingest.manifest_load (in the install script) judges one source
 * manifest -- its contract and rules, then each asset by the site's gate
 * policy made stricter by the manifest's -- loads the accepted assets and
 * records the run.  omni_ingest_manifest, here, is how callers reach it: it
 * checks the caller's rights, reads each manifest file once (its SHA-256
 * and its document from the same bytes), and runs the load as the
 * extension owner, who alone writes the manifest tables.
 *
 * The path names a manifest file or a folder of them.  Every manifest
 * yields rows: each runs in a subtransaction of its own, so that an error
 * nobody foresaw becomes that manifest's reject row instead of ending the
 * call, and the manifests after it go on.  What stays an error is a bad
 * call: no path, no right to read server files, a path that is not there.
 *
 * Assets are not fingerprinted here: the gate only opens an asset's file
 * (omni_ingest.file_size), and the load compares the size and SHA-256 the
 * manifest declares with those of the very bytes it loaded.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "omni_ingest.h"
#include "owner.h"
#include "parse.h"
#include "reader.h"
#include "spi_util.h"

/* Largest manifest document read */
#define MANIFEST_MAX_BYTES (16 * 1024 * 1024)

/* Why a manifest file holds no document */
typedef enum ManifestProblem
{
	MANIFEST_OK,
	MANIFEST_NOT_JSON,			/* not a JSON document (or not UTF-8) */
	MANIFEST_DUPLICATE_KEY,		/* a member given twice */
	MANIFEST_NOT_OBJECT			/* JSON, but not an object */
} ManifestProblem;

/* A manifest file as read: the SHA-256 of its bytes, and its document */
typedef struct ManifestFile
{
	const char *path;
	char	   *sha256;			/* NULL until the file was read to its end */
	Jsonb	   *document;		/* NULL unless problem is MANIFEST_OK */
	ManifestProblem problem;
	char	   *reason;			/* the parser's sentence, for a problem */
	char	   *member_path;	/* JSON pointer of a repeated member */
} ManifestFile;

/*
 * Read a manifest file once: the SHA-256 of its bytes and the document
 * they hold.  A file that is not a JSON object is not an error here: mf
 * says why.  A file that cannot be read, or is too large, raises.
 */
static void
ManifestRead(ManifestFile *mf)
{
	LineReader *reader;
	StringInfoData doc;
	ReaderLine	line;
	const char *keyword;

	reader = LineReaderOpen(mf->path, MANIFEST_MAX_BYTES);
	if (reader->file_size > MANIFEST_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("manifest \"%s\" is larger than %d bytes", mf->path, MANIFEST_MAX_BYTES)));

	initStringInfo(&doc);
	while (LineReaderNext(reader, &line))
	{
		appendBinaryStringInfo(&doc, line.data, line.len);
		appendStringInfoChar(&doc, '\n');
	}
	mf->sha256 = LineReaderFinishSha256(reader);
	LineReaderClose(reader);

	mf->document = ParseJsonLine(doc.data, doc.len,
								 omni_duplicate_keys == OMNI_DUPLICATE_KEYS_REJECT,
								 &keyword, &mf->member_path, &mf->reason);
	if (mf->document == NULL)
		mf->problem = strcmp(keyword, "duplicate_key") == 0 ?
			MANIFEST_DUPLICATE_KEY : MANIFEST_NOT_JSON;
	else if (!JB_ROOT_IS_OBJECT(mf->document))
	{
		mf->document = NULL;
		mf->problem = MANIFEST_NOT_OBJECT;
	}
}

/* Why a manifest file holds no manifest, as one sentence of a reject reason */
static char *
ManifestProblemText(ManifestFile *mf)
{
	switch (mf->problem)
	{
		case MANIFEST_NOT_JSON:
			return psprintf("the file is not a JSON document: %s", mf->reason);
		case MANIFEST_DUPLICATE_KEY:
			return psprintf("the file holds a member twice: %s (at JSON pointer \"%s\")",
							mf->reason, mf->member_path);
		case MANIFEST_NOT_OBJECT:
			return pstrdup("the file is not a JSON object");
		case MANIFEST_OK:
			break;
	}
	return NULL;
}

/*
 * omni_read_manifest(path text) returns jsonb
 *
 * The whole file as one JSON document (it may span lines).
 */
PG_FUNCTION_INFO_V1(omni_read_manifest);
Datum
omni_read_manifest(PG_FUNCTION_ARGS)
{
	ManifestFile mf;

	memset(&mf, 0, sizeof(mf));
	mf.path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CheckServerFileReadable(mf.path);
	ManifestRead(&mf);

	if (mf.problem == MANIFEST_DUPLICATE_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" holds a member twice: %s", mf.path, mf.reason),
				 errdetail("The member is at JSON pointer \"%s\".", mf.member_path),
				 errhint("Remove the repeated member, or SET omni_ingest.duplicate_keys = last_wins.")));
	if (mf.problem == MANIFEST_NOT_JSON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" is not a JSON document: %s", mf.path, mf.reason)));
	if (mf.problem == MANIFEST_NOT_OBJECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("manifest \"%s\" is not a JSON object", mf.path)));
	PG_RETURN_JSONB_P(mf.document);
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
 * omni_ingest.file_size(path text) returns bigint
 *
 * The size of a server file, from opening it (which also shows that it is
 * there, a regular file, and readable); nothing of it is read.
 */
PG_FUNCTION_INFO_V1(omni_ingest_file_size);
Datum
omni_ingest_file_size(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LineReader *reader;
	int64		size;

	CheckServerFileReadable(path);
	reader = LineReaderOpen(path, 1024);
	size = reader->file_size;
	LineReaderClose(reader);
	PG_RETURN_INT64(size);
}

/* Order two paths by the bytes of their names */
static int
ManifestPathCompare(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * The manifests of a folder: the regular files named *.json directly in
 * it (hidden ones left out, as a shell's *.json does), in byte order of
 * their names.  Subfolders are not entered.
 */
static List *
ManifestFolderFiles(const char *dir)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	size_t		dirlen = strlen(dir);
	bool		slash = dirlen > 0 && dir[dirlen - 1] == '/';
	List	   *files = NIL;

	while ((de = ReadDir(d, dir)) != NULL)
	{
		size_t		len = strlen(de->d_name);
		char	   *path;
		struct stat st;

		if (de->d_name[0] == '.' || len <= strlen(".json") ||
			strcmp(de->d_name + len - strlen(".json"), ".json") != 0)
			continue;
		path = psprintf("%s%s%s", dir, slash ? "" : "/", de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			files = lappend(files, path);
	}
	FreeDir(d);
	list_sort(files, ManifestPathCompare);
	return files;
}

/* Run a query of the manifest layer and add the rows it answers */
static void
ManifestQuery(const char *sql, int nargs, Oid *types, Datum *values, char *nulls,
			  Tuplestorestate *store)
{
	OmniSpiExec(sql, nargs, types, values, nulls, false, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(store, SPI_tuptable->vals[i]);
	SPI_freetuptable(SPI_tuptable);
}

/* Read one manifest file and run its load, as the extension owner */
static void
ManifestLoadOne(ManifestFile *mf, bool dry_run, const char *run_by, Tuplestorestate *store)
{
	Oid			types[6] = {TEXTOID, TEXTOID, JSONBOID, TEXTOID, BOOLOID, NAMEOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	OwnerSwitch owner;

	/* A symbolic link in a folder may point anywhere: check each file */
	CheckServerFileReadable(mf->path);
	ManifestRead(mf);

	values[0] = CStringGetTextDatum(mf->path);
	values[1] = CStringGetTextDatum(mf->sha256);
	if (mf->document != NULL)
	{
		values[2] = JsonbPGetDatum(mf->document);
		nulls[3] = 'n';
	}
	else
	{
		nulls[2] = 'n';
		values[3] = CStringGetTextDatum(ManifestProblemText(mf));
	}
	values[4] = BoolGetDatum(dry_run);
	values[5] = DirectFunctionCall1(namein, CStringGetDatum(run_by));

	OmniBecomeOwner(&owner);
	ManifestQuery("SELECT * FROM omni_ingest.manifest_load($1, $2, $3, $4, $5, $6)",
				  6, types, values, nulls, store);
	OmniRestoreCaller(&owner);
}

/*
 * A manifest whose load raised: its one reject row, with the error as the
 * reason ("file" when the manifest could not be read), recorded as the
 * extension owner
 */
static void
ManifestRejectOne(ManifestFile *mf, bool dry_run, const char *run_by,
				  TimestampTz started, ErrorData *edata, Tuplestorestate *store)
{
	Oid			types[10] = {TEXTOID, TEXTOID, JSONBOID, BOOLOID, NAMEOID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	OwnerSwitch owner;

	values[0] = CStringGetTextDatum(mf->path);
	if (mf->sha256 != NULL)
		values[1] = CStringGetTextDatum(mf->sha256);
	else
		nulls[1] = 'n';
	if (mf->document != NULL)
		values[2] = JsonbPGetDatum(mf->document);
	else
		nulls[2] = 'n';
	values[3] = BoolGetDatum(dry_run);
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(run_by));
	values[5] = TimestampTzGetDatum(started);
	values[6] = CStringGetTextDatum(mf->sha256 == NULL ? "file" : "error");
	values[7] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	values[8] = CStringGetTextDatum(edata->message ? edata->message : "");
	if (edata->detail != NULL)
		values[9] = CStringGetTextDatum(edata->detail);
	else
		nulls[9] = 'n';

	OmniBecomeOwner(&owner);
	ManifestQuery("SELECT * FROM omni_ingest.manifest_reject($1, $2, $3, $4, $5, $6,"
				  " pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
				  "  'rule', $7, 'judgment', 'reject', 'sqlstate', $8, 'message', $9, 'detail', $10))))",
				  10, types, values, nulls, store);
	OmniRestoreCaller(&owner);
}

/*
 * Run one manifest file in a subtransaction of its own.  An error there
 * undoes everything of that manifest and becomes its reject row; a cancel
 * (or a shutdown) ends the whole call.
 */
static void
ManifestRunOne(const char *path, bool dry_run, const char *run_by, Tuplestorestate *store)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner resowner = CurrentResourceOwner;
	ManifestFile *mf = palloc0(sizeof(ManifestFile));
	TimestampTz started = GetCurrentTimestamp();
	ErrorData  *edata = NULL;

	mf->path = path;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		ManifestLoadOne(mf, dry_run, run_by, store);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = resowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = resowner;
	}
	PG_END_TRY();

	if (edata == NULL)
		return;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	ManifestRejectOne(mf, dry_run, run_by, started, edata, store);
}

/*
 * omni_ingest_manifest(manifest_path text, dry_run boolean) returns the
 * rows of omni_ingest.manifest_load, for one manifest file or for every
 * manifest of a folder
 *
 * The manifests and every asset they name are server files: the caller
 * must be allowed to read server files, as for omni_ingest_jsonl.  The
 * loads then run as the extension owner, and are recorded for the caller.
 */
PG_FUNCTION_INFO_V1(omni_ingest_manifest);
Datum
omni_ingest_manifest(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		dry_run = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	char	   *path;
	char	   *run_by;
	struct stat st;
	List	   *files;
	ListCell   *lc;
	int			save_nestlevel;

	if (PG_ARGISNULL(0) || (path = text_to_cstring(PG_GETARG_TEXT_PP(0)))[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("manifest_path must not be null or empty"),
				 errhint("Pass the absolute path of a manifest file, or of a folder of them, on the database server.")));
	CheckServerFileReadable(path);
	if (stat(path, &st) != 0)
	{
		int			save_errno = errno;

		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path),
				 save_errno == ENOENT ?
				 errhint("Check that the path names a file or folder on the database server, not on the client.") :
				 errhint("Check that the database server's operating system user may read it.")));
	}
	if (S_ISDIR(st.st_mode))
		files = ManifestFolderFiles(path);
	else if (S_ISREG(st.st_mode))
		files = list_make1(path);
	else
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is neither a file nor a folder", path),
				 errhint("Give the path of a manifest file, or of a folder of manifests.")));

	InitMaterializedSRF(fcinfo, 0);
	if (files == NIL)
	{
		ereport(NOTICE,
				(errmsg("no manifest to load"),
				 errdetail("Folder \"%s\" holds no file named *.json; its subfolders are not read.", path)));
		return (Datum) 0;
	}

	run_by = GetUserNameFromId(OmniActingRole(), false);
	SPI_connect();
	save_nestlevel = OmniPinSearchPath();
	foreach(lc, files)
	{
		CHECK_FOR_INTERRUPTS();
		ManifestRunOne(lfirst(lc), dry_run, run_by, rsinfo->setResult);
	}
	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();
	return (Datum) 0;
}
