-- The extension's SQL functions call its other functions schema-qualified
-- and with every argument, typed: an overload planted beside them (in
-- public, where the functions live) neither captures nor breaks a call.
-- In a database of its own, where the overloads exist before the
-- extension does.
\getenv root OMNI_TEST_ROOT
\set gates :root '/test/data/manifests/gates.json'
\set VERBOSITY default
SELECT current_database() AS regress_db \gset
CREATE DATABASE omni_regress_overloads;
\c omni_regress_overloads
CREATE FUNCTION public.omni_register_contract(jsonb) RETURNS record
LANGUAGE sql AS $$ SELECT 'captured'::text, -1 $$;
CREATE FUNCTION public.omni_reconcile(text)
RETURNS TABLE (check_name text, expected bigint, actual bigint, ok boolean, detail text)
LANGUAGE sql AS $$ SELECT 'captured', 0::bigint, 0::bigint, false, 'planted'::text $$;
CREATE FUNCTION public.omni_ingest_jsonl(text, text, boolean, text)
RETURNS TABLE (status text, run_id bigint)
LANGUAGE sql AS $$ SELECT 'captured', -1::bigint $$;
CREATE FUNCTION public.omni_file_fingerprint(varchar, OUT size bigint, OUT sha256 text)
LANGUAGE sql AS $$ SELECT -1::bigint, 'captured' $$;

-- The install script registers the shipped contracts
CREATE EXTENSION omni_ingest;
SELECT count(*) AS contracts FROM omni_ingest.contract WHERE shipped;

-- A manifest load, its reconcile (which reconciles every asset) and a report
SELECT source_id, judgment, status FROM omni_ingest_manifest(:'gates') ORDER BY source_id;
SELECT check_name, ok FROM omni_reconcile('fixture-manifest-001', false)
 WHERE check_name LIKE 'manifest:%' OR check_name = 'verdict';
SELECT line FROM regexp_split_to_table(omni_ingest_report('fixture-manifest-001/many'), E'\n') AS line
 WHERE line ~ '^(\| (status|verdict) |\*\*)';

\c :regress_db
DROP DATABASE omni_regress_overloads;
