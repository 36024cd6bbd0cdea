-- Manifest-driven loads: the manifest is checked against its contract and
-- rules, each asset is judged by the gate policy and its file's size,
-- accepted assets are loaded (and their SHA-256 checked on the bytes
-- loaded), and reconcile accounts for them all.
\getenv root OMNI_TEST_ROOT
\set dir :root '/test/data/manifests'
\set gates :dir '/gates.json'
\set checksum :dir '/checksum.json'
\set rules :dir '/rules.json'
\set notmanifest :dir '/not_a_manifest.json'
\set missing :dir '/missing.json'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;

-- accept, warn (no checksum declared), quarantine (PII suspected)
SELECT manifest_id, source_id, judgment, status, asset_batch_id,
       jsonb_path_query_array(reasons, '$[*].rule') AS rules
  FROM omni_ingest_manifest(:'gates', dry_run => true);
SELECT count(*) AS nothing_recorded FROM omni_ingest.manifest;
SELECT manifest_id, source_id, judgment, status, asset_batch_id,
       jsonb_path_query_array(reasons, '$[*].message') AS reasons
  FROM omni_ingest_manifest(:'gates');
SELECT batch_id, status, total, inserted FROM omni_ingest.batch_ledger
 WHERE NOT dry_run ORDER BY run_id;
SELECT * FROM omni_reconcile('fixture-manifest-001');
-- Again: every asset is a no-op
SELECT source_id, judgment, status FROM omni_ingest_manifest(:'gates');

-- A declared checksum that does not match the bytes loaded: that asset's
-- load fails and leaves nothing, the other asset loads (its records were
-- in Bronze already, from fixture-manifest-001)
-- (the failed load's WARNING names the file's temporary path: the row says it too)
SET client_min_messages = error;
SELECT source_id, judgment, status, jsonb_path_query_array(reasons, '$[*].rule') AS rules
  FROM omni_ingest_manifest(:'checksum');
RESET client_min_messages;
SELECT status FROM omni_ingest.manifest WHERE manifest_id = 'manifest-fixture-20260420-002';
SELECT l.batch_id, count(*) FILTER (WHERE l.status = 'loaded') AS loaded_runs,
       (SELECT count(*) FROM omni_ingest.raw_ticket_event b WHERE b.batch_id = l.batch_id) AS bronze
  FROM omni_ingest.batch_ledger l WHERE l.batch_id LIKE 'fixture-manifest-002/%'
 GROUP BY l.batch_id ORDER BY l.batch_id;
SELECT check_name, expected, actual, ok FROM omni_reconcile('fixture-manifest-002');

-- A missing asset file: rejected with the reason
SELECT source_id, judgment, status, replace(reasons->0->>'message', :'root', '<root>') AS reason
  FROM omni_ingest_manifest(:'missing')
 WHERE judgment = 'reject';

-- Manifests that are not acceptable at all: one reject row each, with
-- every reason
SELECT m.manifest_id, m.source_id, m.judgment, m.status, r->>'rule' AS rule, r->>'message' AS message
  FROM omni_ingest_manifest(:'rules') AS m, jsonb_array_elements(m.reasons) AS r;
SELECT m.manifest_id, m.source_id, m.judgment, m.status, r->>'rule' AS rule, r->>'message' AS message
  FROM omni_ingest_manifest(:'notmanifest') AS m, jsonb_array_elements(m.reasons) AS r;

-- Bad calls are errors (paths shortened)
CREATE FUNCTION pg_temp.manifest_error(path text, root text) RETURNS TABLE (part text, said text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  PERFORM omni_ingest_manifest(path);
  RETURN QUERY SELECT 'no error', NULL::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                          hnt = PG_EXCEPTION_HINT;
  RETURN QUERY VALUES ('sqlstate', st), ('message', replace(msg, root, '<root>')),
                      ('detail', nullif(det, '')), ('hint', hnt);
END $$;
SELECT * FROM pg_temp.manifest_error('/nonexistent/manifest.json', :'root');
SELECT * FROM pg_temp.manifest_error(NULL, :'root');
SELECT count(*) AS manifests FROM omni_ingest.manifest;
