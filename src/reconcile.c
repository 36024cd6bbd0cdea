/*
 * reconcile.c
 *		omni_reconcile: prove from the tables that a loaded batch closes.
 *
 * Reads only the ledger, the reject table, Bronze and Silver; never the
 * file.  Each check is a row (check_name, expected, actual, ok, detail),
 * and a last row, "verdict", counts the checks that passed.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ledger.h"
#include "loadmode.h"
#include "reader.h"
#include "omni_ingest.h"
#include "spi_util.h"
#include "writer.h"

typedef struct Checks
{
	ReturnSetInfo *rsinfo;
	int			total;
	int			passed;
} Checks;

/* Emit one check row */
static void
AddCheck(Checks *checks, const char *name, int64 expected, int64 actual,
		 const char *detail)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	bool		ok = expected == actual;

	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(expected);
	values[2] = Int64GetDatum(actual);
	values[3] = BoolGetDatum(ok);
	if (detail)
		values[4] = CStringGetTextDatum(detail);
	else
		nulls[4] = true;
	tuplestore_putvalues(checks->rsinfo->setResult, checks->rsinfo->setDesc,
						 values, nulls);
	checks->total++;
	if (ok)
		checks->passed++;
}

/* Emit the last row: how many checks passed */
static void
AddVerdict(Checks *checks)
{
	AddCheck(checks, "verdict", checks->total, checks->passed,
			 checks->passed == checks->total ? "all checks passed" :
			 psprintf("%d of %d checks failed", checks->total - checks->passed, checks->total));
}

/* Run a query that answers one row (count, detail) */
static int64
QueryCount(const char *sql, int nargs, Oid *types, Datum *values, char **detail)
{
	bool		isnull;
	int64		count;

	OmniSpiExec(sql, nargs, types, values, NULL, true, SPI_OK_SELECT);
	count = OmniSpiGetInt64(0, 1, &isnull);
	if (detail)
		*detail = SPI_tuptable->tupdesc->natts > 1 ? OmniSpiGetText(0, 2) : NULL;
	return count;
}

/* Quoted qualified name of a regclass-valued column of the last result */
static char *
TableFromResult(int col)
{
	bool		isnull;
	Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, col, &isnull));

	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * The assets of the manifest of batch $1, each with the run that loaded
 * its batch (the latest loaded one) and its own run (a replay's)
 */
#define MANIFEST_FROM \
	" FROM omni_ingest.manifest m" \
	" JOIN omni_ingest.manifest_asset a ON a.manifest_id OPERATOR(pg_catalog.=) m.manifest_id" \
	" LEFT JOIN LATERAL (SELECT l.run_id, l.file_sha256, l.file_size, l.total, l.valid, l.invalid," \
	"   l.inserted, l.skipped, l.late, l.quarantined, l.outside_window FROM omni_ingest.batch_ledger l" \
	"   WHERE l.batch_id OPERATOR(pg_catalog.=) a.asset_batch_id AND l.status OPERATOR(pg_catalog.=) 'loaded'" \
	"   ORDER BY l.run_id DESC LIMIT 1) AS run ON true" \
	" LEFT JOIN omni_ingest.batch_ledger own ON own.run_id OPERATOR(pg_catalog.=) a.run_id"
#define MANIFEST_WHERE " WHERE m.batch_id OPERATOR(pg_catalog.=) $1"
#define MANIFEST_ASSETS MANIFEST_FROM MANIFEST_WHERE

/* An asset whose status the batch ledger bears out */
#define ASSET_STATUS_AGREES \
	" CASE a.status" \
	"  WHEN 'loaded' THEN run.run_id IS NOT NULL" \
	"  WHEN 'replayed' THEN own.status OPERATOR(pg_catalog.=) 'replayed'" \
	"   AND own.batch_id OPERATOR(pg_catalog.=) a.asset_batch_id" \
	"  WHEN 'quarantined' THEN run.run_id IS NULL" \
	"  WHEN 'rejected' THEN run.run_id IS NULL" \
	"  WHEN 'not_loaded' THEN run.run_id IS NULL" \
	"  WHEN 'failed' THEN run.run_id IS NULL" \
	"  ELSE false END"

/* An asset's figures are those of its run: its replay, or its batch's load */
#define ASSET_FIGURES_AGREE \
	" ((a.status OPERATOR(pg_catalog.=) 'replayed'" \
	"   AND (own.total, own.valid, own.invalid, own.inserted, own.skipped)" \
	"   IS NOT DISTINCT FROM (a.total, a.valid, a.invalid, a.inserted, a.skipped))" \
	"  OR (a.status OPERATOR(pg_catalog.=) 'loaded'" \
	"   AND (run.total, run.valid, run.invalid, run.inserted, run.skipped," \
	"        run.late, run.quarantined, run.outside_window)" \
	"   IS NOT DISTINCT FROM (a.total, a.valid, a.invalid, a.inserted, a.skipped," \
	"        a.late, a.quarantined, a.outside_window)))"

/*
 * Every declared asset of the manifest is judged and has an outcome, and
 * the batch ledger bears each outcome out
 */
static void
ReconcileManifestAssets(Checks *checks, Oid *types, Datum *values, int64 declared,
						int64 nassets)
{
	char	   *detail;
	int64		actual;

	AddCheck(checks, "manifest: every declared asset was judged", declared, nassets, NULL);

	actual = QueryCount("SELECT COALESCE(pg_catalog.sum(s.n) FILTER (WHERE s.status IS NOT NULL), 0)::int8,"
						" pg_catalog.string_agg(s.n::text || ' ' || COALESCE(s.status, 'without a status'), ', '"
						"  ORDER BY s.status)"
						" FROM (SELECT a.status, pg_catalog.count(*) AS n" MANIFEST_ASSETS
						"  GROUP BY a.status) AS s",
						1, types, values, &detail);
	AddCheck(checks, "manifest: declared = loaded + replayed + quarantined + rejected + not_loaded + failed",
			 declared, actual, detail);

	actual = QueryCount("SELECT pg_catalog.count(*) FILTER (WHERE " ASSET_STATUS_AGREES "),"
						" pg_catalog.string_agg(a.source_id || ' (' || COALESCE(a.status, 'no status') || ')', ', ')"
						"  FILTER (WHERE NOT COALESCE(" ASSET_STATUS_AGREES ", false))"
						MANIFEST_ASSETS, 1, types, values, &detail);
	AddCheck(checks, "manifest: every asset's status agrees with the batch ledger", nassets, actual,
			 detail ? psprintf("not borne out: %s", detail) : NULL);
}

/*
 * The loaded files are the declared ones, the figures kept per asset are
 * those of its run in the batch ledger, and summed over the manifest they
 * close: total = valid + invalid, valid = inserted + skipped + quarantined
 * + outside_window
 */
static void
ReconcileManifestFigures(Checks *checks, Oid *types, Datum *values)
{
	char	   *detail;
	int64		expected;
	int64		actual;
	bool		isnull;

	expected = QueryCount("SELECT pg_catalog.count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'loaded')"
						  MANIFEST_ASSETS, 1, types, values, NULL);
	actual = QueryCount("SELECT pg_catalog.count(*) FILTER (WHERE run.file_sha256 IS NOT NULL"
						"  AND run.file_sha256 IS NOT DISTINCT FROM COALESCE(a.declared_sha256, run.file_sha256)"
						"  AND run.file_size IS NOT DISTINCT FROM COALESCE(a.declared_size, run.file_size)),"
						" pg_catalog.string_agg(a.source_id, ', ') FILTER (WHERE NOT ("
						"  run.file_sha256 IS NOT NULL"
						"  AND run.file_sha256 IS NOT DISTINCT FROM COALESCE(a.declared_sha256, run.file_sha256)"
						"  AND run.file_size IS NOT DISTINCT FROM COALESCE(a.declared_size, run.file_size)))"
						MANIFEST_ASSETS " AND a.status OPERATOR(pg_catalog.=) 'loaded'",
						1, types, values, &detail);
	AddCheck(checks, "manifest: loaded files match the declared size and SHA-256", expected, actual,
			 detail ? psprintf("differ from the manifest: %s", detail) : NULL);

	expected = QueryCount("SELECT pg_catalog.count(*)" MANIFEST_ASSETS
						  " AND a.status OPERATOR(pg_catalog.=) ANY ('{loaded,replayed}')",
						  1, types, values, NULL);
	actual = QueryCount("SELECT pg_catalog.count(*) FILTER (WHERE" ASSET_FIGURES_AGREE "),"
						" pg_catalog.string_agg(a.source_id, ', ') FILTER (WHERE NOT" ASSET_FIGURES_AGREE ")"
						MANIFEST_ASSETS " AND a.status OPERATOR(pg_catalog.=) ANY ('{loaded,replayed}')",
						1, types, values, &detail);
	AddCheck(checks, "manifest: asset figures equal their runs in the batch ledger", expected, actual,
			 detail ? psprintf("differ: %s", detail) : NULL);

	OmniSpiExec("SELECT COALESCE(pg_catalog.sum(a.total), 0)::int8,"
				" COALESCE(pg_catalog.sum(a.valid OPERATOR(pg_catalog.+) a.invalid), 0)::int8,"
				" COALESCE(pg_catalog.sum(a.valid), 0)::int8,"
				" COALESCE(pg_catalog.sum(a.inserted OPERATOR(pg_catalog.+) a.skipped"
				"  OPERATOR(pg_catalog.+) a.quarantined OPERATOR(pg_catalog.+) a.outside_window), 0)::int8"
				MANIFEST_ASSETS " AND a.status OPERATOR(pg_catalog.=) ANY ('{loaded,replayed}')",
				1, types, values, NULL, true, SPI_OK_SELECT);
	expected = OmniSpiGetInt64(0, 3, &isnull);
	actual = OmniSpiGetInt64(0, 4, &isnull);
	AddCheck(checks, "manifest: total = valid + invalid, summed over its assets",
			 OmniSpiGetInt64(0, 1, &isnull), OmniSpiGetInt64(0, 2, &isnull), NULL);
	AddCheck(checks, "manifest: valid = inserted + skipped + quarantined + outside_window, summed over its assets",
			 expected, actual, NULL);
}

/*
 * No asset that was not loaded left a row in its Bronze table: a failed
 * load was undone, a rejected or quarantined asset never written
 */
static void
ReconcileManifestHeldBack(Checks *checks, Oid *types, Datum *values)
{
	List	   *tables = NIL;
	StringInfoData detail;
	int64		rows = 0;
	ListCell   *lc;

	OmniSpiExec("SELECT DISTINCT t.bronze_table::pg_catalog.text" MANIFEST_FROM
				" JOIN omni_ingest.contract_target t ON t.contract_ref OPERATOR(pg_catalog.=) a.contract_ref"
				MANIFEST_WHERE " AND a.status OPERATOR(pg_catalog.<>) ALL ('{loaded,replayed}')",
				1, types, values, NULL, true, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
		tables = lappend(tables, OmniSpiGetText(i, 1));

	initStringInfo(&detail);
	foreach(lc, tables)
	{
		bool		isnull;
		int64		n;

		OmniSpiExec(psprintf("SELECT pg_catalog.count(*) FROM %s b"
							 " WHERE b.batch_id OPERATOR(pg_catalog.=) ANY (SELECT a.asset_batch_id"
							 MANIFEST_FROM MANIFEST_WHERE
							 " AND a.status OPERATOR(pg_catalog.<>) ALL ('{loaded,replayed}'))",
							 (char *) lfirst(lc)),
					1, types, values, NULL, true, SPI_OK_SELECT);
		n = OmniSpiGetInt64(0, 1, &isnull);
		if (n > 0)
			appendStringInfo(&detail, "%s" INT64_FORMAT " rows in %s", detail.len > 0 ? "; " : "",
							 n, (char *) lfirst(lc));
		rows += n;
	}
	AddCheck(checks, "manifest: assets not loaded left no Bronze rows", 0, rows,
			 detail.len > 0 ? detail.data : NULL);
}

/*
 * Checks of a batch loaded from a source manifest: every declared asset is
 * accounted for by its outcome, as the batch ledger bears out; the loaded
 * files are the declared ones; the figures kept per asset are those of its
 * runs and close over the manifest; what was not loaded left nothing; and
 * every loaded (or replayed) asset batch reconciles on its own.  Returns
 * false when no manifest was loaded under batch_id.
 */
static bool
ReconcileManifest(Checks *checks, const char *batch_id, const char *funcschema)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *detail;
	int64		expected;
	int64		actual;
	int64		declared;
	bool		isnull;

	values[0] = CStringGetTextDatum(batch_id);
	OmniSpiExec("SELECT pg_catalog.jsonb_array_length(document OPERATOR(pg_catalog.->) 'assets'),"
				" (SELECT pg_catalog.count(*) FROM omni_ingest.manifest_asset a"
				"   WHERE a.manifest_id OPERATOR(pg_catalog.=) m.manifest_id)"
				" FROM omni_ingest.manifest m WHERE m.batch_id OPERATOR(pg_catalog.=) $1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	declared = OmniSpiGetInt64(0, 1, &isnull);
	ReconcileManifestAssets(checks, types, values, declared, OmniSpiGetInt64(0, 2, &isnull));
	ReconcileManifestFigures(checks, types, values);
	ReconcileManifestHeldBack(checks, types, values);

	expected = QueryCount("SELECT pg_catalog.count(DISTINCT a.asset_batch_id)" MANIFEST_ASSETS
						  " AND a.status OPERATOR(pg_catalog.=) ANY ('{loaded,replayed}')",
						  1, types, values, NULL);
	actual = QueryCount(psprintf("SELECT pg_catalog.count(*) FILTER (WHERE v.ok),"
								 " pg_catalog.string_agg(b.asset_batch_id, ', ') FILTER (WHERE NOT v.ok)"
								 " FROM (SELECT DISTINCT a.asset_batch_id" MANIFEST_ASSETS
								 "  AND a.status OPERATOR(pg_catalog.=) ANY ('{loaded,replayed}')) AS b"
								 " CROSS JOIN LATERAL (SELECT r.ok FROM %s.omni_reconcile(b.asset_batch_id, false) AS r"
								 "   WHERE r.check_name OPERATOR(pg_catalog.=) 'verdict') AS v",
								 quote_identifier(funcschema)),
						1, types, values, &detail);
	AddCheck(checks, "manifest: every loaded asset reconciles", expected, actual,
			 detail ? psprintf("see omni_reconcile of: %s", detail) : NULL);
	return true;
}

/*
 * The condition that matches a Bronze record (b) with the Silver row (s)
 * that holds it: the same key, source_id and fingerprint.  A Bronze that
 * carries the key in a column is matched on it, which is Bronze's and
 * Silver's distribution column once they are distributed (co-located, so
 * the join runs shard by shard); Bronze tables of the 0.1.0 shape by
 * source_id and fingerprint alone.  *bronze_key is the key's expression
 * over Bronze.
 */
static char *
BronzeMatch(Oid bronze_oid, const char *key, char **bronze_key)
{
	const char *skey = quote_identifier(key);
	const char *same = " b.source_id OPERATOR(pg_catalog.=) s.source_id"
		" AND b.source_fingerprint OPERATOR(pg_catalog.=) s.source_fingerprint";

	if (!WriterBronzeHasKey(bronze_oid, key))
	{
		*bronze_key = psprintf("(b.payload OPERATOR(pg_catalog.->>) %s)", quote_literal_cstr(key));
		return pstrdup(same);
	}
	*bronze_key = psprintf("b.%s", skey);
	if (strcmp(key, "source_id") == 0)
		return pstrdup(same);
	return psprintf("b.%s OPERATOR(pg_catalog.=) s.%s AND%s", skey, skey, same);
}

/*
 * Every field closes: for each Silver data column, the rows the batch last
 * wrote hold a non-null value exactly as often as their Bronze records (the
 * same key, source_id and fingerprint) carry a non-null value for that field,
 * row by row.  A mapping that drops a field, or a Silver row changed behind
 * the loader's back, fails the check, which names the fields and keys.
 */
static void
CheckFieldsClose(Checks *checks, Oid silver_oid, const char *silver,
				 const char *bronze, const char *key, const char *match,
				 Oid *types, Datum *values)
{
	List	   *fields = WriterSilverFields(silver_oid, NULL);
	StringInfoData sql;
	StringInfoData detail;
	ListCell   *lc;
	int			closed = 0;
	int			i = 0;

	if (fields == NIL)
		return;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	foreach(lc, fields)
	{
		const char *col = quote_identifier(lfirst(lc));
		char	   *in_bronze = psprintf("COALESCE(pg_catalog.jsonb_typeof(b.payload OPERATOR(pg_catalog.->) %s), 'null')"
										 " OPERATOR(pg_catalog.<>) 'null'",
										 quote_literal_cstr(lfirst(lc)));

		appendStringInfo(&sql, "%spg_catalog.count(*) FILTER (WHERE s.%s IS NOT NULL),"
						 " pg_catalog.count(*) FILTER (WHERE %s),"
						 " pg_catalog.array_to_string((pg_catalog.array_agg(s.%s ORDER BY s.%s)"
						 "  FILTER (WHERE (s.%s IS NOT NULL) OPERATOR(pg_catalog.<>) (%s)))[1:5], ', ')",
						 i++ > 0 ? ", " : "", col, in_bronze,
						 quote_identifier(key), quote_identifier(key), col, in_bronze);
	}
	appendStringInfo(&sql, " FROM %s s JOIN %s b ON %s"
					 " WHERE s.last_batch_id OPERATOR(pg_catalog.=) $1",
					 silver, bronze, match);
	OmniSpiExec(sql.data, 1, types, values, NULL, true, SPI_OK_SELECT);

	initStringInfo(&detail);
	i = 0;
	foreach(lc, fields)
	{
		bool		isnull;
		int64		in_silver = OmniSpiGetInt64(0, 3 * i + 1, &isnull);
		int64		in_bronze = OmniSpiGetInt64(0, 3 * i + 2, &isnull);
		char	   *keys = OmniSpiGetText(0, 3 * i + 3);

		if (in_silver == in_bronze && keys == NULL)
			closed++;
		else
			appendStringInfo(&detail, "%s%s: non-null in " INT64_FORMAT " Silver rows, " INT64_FORMAT " Bronze records (keys: %s)",
							 detail.len > 0 ? "; " : "", (char *) lfirst(lc),
							 in_silver, in_bronze, keys ? keys : "-");
		i++;
	}
	AddCheck(checks, "Silver fields of the batch non-null as often as in Bronze",
			 list_length(fields), closed, detail.len > 0 ? detail.data : NULL);
}

/*
 * The identities of an asset run (omni_ingest.ingest_asset): every valid
 * record was applied, quarantined or left outside the window; the applied
 * ones are Bronze's and Silver's counts; the quarantined ones are rows of
 * the quarantine table; and the late ones were held back as the run's
 * on_late_arrival says (apply: none; quarantine: all, in the quarantine
 * table; reject: all, as late_arrival reject rows).
 */
static void
CheckAssetRun(Checks *checks, RunRecord *run, Oid *types, Datum *values)
{
	LoadOptions *opts = LoadOptionsParse(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																			 CStringGetDatum(run->load))));
	int64		applied = run->valid - run->quarantined - run->outside_window;
	int64		quarantine_rows;
	int64		late_rejects;
	char	   *detail;

	AddCheck(checks, "valid = inserted + skipped + quarantined + outside_window", run->valid,
			 run->inserted + run->skipped + run->quarantined + run->outside_window, NULL);
	AddCheck(checks, "valid - quarantined - outside_window = silver inserted + updated + unchanged + superseded",
			 applied,
			 run->silver_inserted + run->silver_updated + run->silver_unchanged +
			 run->silver_superseded, NULL);

	quarantine_rows = QueryCount("SELECT pg_catalog.count(*), pg_catalog.string_agg(line_number::text, ', ' ORDER BY line_number)"
								 " FROM omni_ingest.quarantine WHERE run_id = $2 AND batch_id = $1",
								 2, types, values, &detail);
	AddCheck(checks, "quarantined = quarantine rows", run->quarantined, quarantine_rows,
			 quarantine_rows == run->quarantined ? NULL :
			 psprintf("quarantine rows at lines: %s", detail ? detail : "none"));

	late_rejects = QueryCount("SELECT pg_catalog.count(*) FROM omni_ingest.reject j"
							  " WHERE j.run_id = $2 AND j.batch_id = $1 AND EXISTS ("
							  "  SELECT FROM pg_catalog.jsonb_array_elements(j.reasons) AS e"
							  "   WHERE e OPERATOR(pg_catalog.->>) 'keyword' = 'late_arrival')",
							  2, types, values, NULL);
	switch (opts->on_late)
	{
		case LATE_APPLY:
			AddCheck(checks, "late held back as on_late_arrival says", 0,
					 quarantine_rows + late_rejects,
					 psprintf("on_late_arrival apply: the " INT64_FORMAT " late records were applied, none held back",
							  run->late));
			break;
		case LATE_QUARANTINE:
			AddCheck(checks, "late held back as on_late_arrival says", run->late,
					 quarantine_rows,
					 "on_late_arrival quarantine: every late record is a quarantine row");
			break;
		case LATE_REJECT:
			AddCheck(checks, "late held back as on_late_arrival says", run->late,
					 late_rejects,
					 "on_late_arrival reject: every late record is a late_arrival reject row");
			break;
	}
}

/*
 * omni_reconcile(batch_id text) returns setof (check_name, expected, actual,
 * ok, detail)
 */
PG_FUNCTION_INFO_V1(omni_reconcile);
Datum
omni_reconcile(PG_FUNCTION_ARGS)
{
	Checks		checks;
	char	   *batch_id;
	RunRecord  *run;
	RunRecord  *replay;
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		values[2];
	char	   *bronze;
	char	   *silver;
	char	   *key;
	char	   *bronze_key;
	char	   *match;
	char	   *version_expr;
	char	   *detail;
	int64		actual;
	int64		expected;
	int64		bronze_rows;
	int			save_nestlevel;
	Oid			bronze_oid;
	Oid			silver_oid;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("batch_id must not be null or empty"),
				 errhint("Pass the batch id given to omni_ingest_jsonl.")));
	batch_id = text_to_cstring(PG_GETARG_TEXT_PP(0));

	InitMaterializedSRF(fcinfo, 0);
	memset(&checks, 0, sizeof(checks));
	checks.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	SPI_connect();
	save_nestlevel = OmniPinSearchPath();

	run = LedgerFindLoaded(batch_id);
	if (run == NULL &&
		ReconcileManifest(&checks, batch_id,
						  get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid))))
	{
		AddVerdict(&checks);
		OmniRestoreSearchPath(save_nestlevel);
		SPI_finish();
		return (Datum) 0;
	}
	if (run == NULL)
	{
		RunRecord  *latest = LedgerLatestRun(batch_id, NULL);

		if (latest == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("batch \"%s\" does not exist", batch_id),
					 errhint("See omni_ingest.batch_ledger for the batches that were run.")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("batch \"%s\" has not been loaded", batch_id),
				 errdetail("Its latest run, " INT64_FORMAT ", ended with status \"%s\".",
						   latest->run_id, latest->status),
				 errhint("Load it with omni_ingest_jsonl(..., dry_run => false), then reconcile.")));
	}

	values[0] = CStringGetTextDatum(run->contract_ref);
	OmniSpiExec("SELECT bronze_table, silver_table, key_field,"
				" (SELECT pg_catalog.string_agg(pg_catalog.format('(b.payload OPERATOR(pg_catalog.->>) %L)::pg_catalog.timestamptz', f), ', ')"
				"  FROM pg_catalog.unnest(version_fields) AS f)"
				" FROM omni_ingest.contract_target WHERE contract_ref = $1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("contract \"%s\" of batch \"%s\" has no Bronze and Silver tables",
						run->contract_ref, batch_id)));
	bronze = TableFromResult(1);
	silver = TableFromResult(2);
	bronze_oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	silver_oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	key = OmniSpiGetText(0, 3);
	version_expr = psprintf("COALESCE(%s)", OmniSpiGetText(0, 4));
	match = BronzeMatch(bronze_oid, key, &bronze_key);

	values[0] = CStringGetTextDatum(batch_id);
	values[1] = Int64GetDatum(run->run_id);

	AddCheck(&checks, "lines_read = total + blank_lines", run->lines_read,
			 run->total + run->blank_lines, NULL);
	AddCheck(&checks, "total = valid + invalid", run->total,
			 run->valid + run->invalid, NULL);

	actual = QueryCount("SELECT pg_catalog.count(*), pg_catalog.string_agg(line_number::text, ', ' ORDER BY line_number)"
						" FROM omni_ingest.reject WHERE run_id = $2 AND batch_id = $1",
						2, types, values, &detail);
	AddCheck(&checks, "invalid = reject rows", run->invalid, actual,
			 actual == run->invalid ? NULL : psprintf("reject rows at lines: %s", detail ? detail : "none"));

	bronze_rows = QueryCount(psprintf("SELECT pg_catalog.count(*) FROM %s WHERE batch_id = $1", bronze),
							 1, types, values, NULL);
	AddCheck(&checks, "inserted = Bronze rows of the batch", run->inserted, bronze_rows, NULL);

	if (run->load == NULL)
	{
		AddCheck(&checks, "valid = inserted + skipped", run->valid,
				 run->inserted + run->skipped, NULL);
		AddCheck(&checks, "valid = silver inserted + updated + unchanged + superseded",
				 run->valid,
				 run->silver_inserted + run->silver_updated + run->silver_unchanged +
				 run->silver_superseded, NULL);
	}
	else
		CheckAssetRun(&checks, run, types, values);

	/* Every Bronze record of the batch is in Silver at that version or newer */
	expected = bronze_rows;
	actual = QueryCount(psprintf("SELECT pg_catalog.count(*) FILTER (WHERE s.%s IS NOT NULL),"
								 " pg_catalog.string_agg(%s, ', ')"
								 "  FILTER (WHERE s.%s IS NULL)"
								 " FROM %s b LEFT JOIN %s s"
								 "  ON s.%s OPERATOR(pg_catalog.=) %s"
								 "  AND s.record_version OPERATOR(pg_catalog.>=) %s"
								 " WHERE b.batch_id = $1",
								 quote_identifier(key), bronze_key,
								 quote_identifier(key), bronze, silver,
								 quote_identifier(key), bronze_key,
								 version_expr),
						1, types, values, &detail);
	AddCheck(&checks, "Bronze records of the batch present in Silver", expected, actual,
			 actual == expected ? NULL : psprintf("missing or older in Silver: %s", detail));

	/* Every Silver row last written by the batch is one of its records */
	expected = QueryCount(psprintf("SELECT pg_catalog.count(*) FROM %s WHERE last_batch_id = $1", silver),
						  1, types, values, NULL);
	actual = QueryCount(psprintf("SELECT pg_catalog.count(b.source_fingerprint),"
								 " pg_catalog.string_agg(s.%s, ', ') FILTER (WHERE b.source_fingerprint IS NULL)"
								 " FROM %s s LEFT JOIN %s b ON %s"
								 " WHERE s.last_batch_id = $1",
								 quote_identifier(key), silver, bronze, match),
						1, types, values, &detail);
	AddCheck(&checks, "Silver rows of the batch traced to Bronze", expected, actual,
			 actual == expected ? NULL : psprintf("no Bronze record for: %s", detail));

	CheckFieldsClose(&checks, silver_oid, silver, bronze, key, match, types, values);

	/* The latest replay of the batch, if any, closes too */
	replay = LedgerLatestRun(batch_id, RUN_REPLAYED);
	if (replay != NULL && replay->run_id > run->run_id)
	{
		AddCheck(&checks, "replay: total = Bronze rows of the batch", replay->total,
				 bronze_rows, NULL);
		AddCheck(&checks, "replay: total = silver inserted + updated + unchanged + superseded",
				 replay->total,
				 replay->silver_inserted + replay->silver_updated +
				 replay->silver_unchanged + replay->silver_superseded, NULL);
	}

	/* On request, read the file again to show it has not changed */
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
	{
		LineReader *reader;
		char	   *sha;

		CheckServerFileReadable(run->path);
		reader = LineReaderOpen(run->path, 1024);
		LineReaderSkipToEnd(reader);
		sha = LineReaderFinishSha256(reader);
		AddCheck(&checks, "file unchanged since the load (SHA-256)", 1,
				 strcmp(sha, run->file_sha256) == 0 && reader->bytes_read == run->file_size,
				 psprintf("loaded: %s, " INT64_FORMAT " bytes; now: %s, " INT64_FORMAT " bytes",
						  run->file_sha256, run->file_size, sha, reader->bytes_read));
		LineReaderClose(reader);
	}

	AddVerdict(&checks);

	OmniRestoreSearchPath(save_nestlevel);
	SPI_finish();
	return (Datum) 0;
}
