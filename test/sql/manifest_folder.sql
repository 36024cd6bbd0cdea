-- A folder is a batch of manifests: every *.json file directly in it, in
-- name order, each yielding rows (a broken or rule-breaking one a reject
-- row with every reason), recorded in the manifest ledger; a run over
-- manifests already loaded changes nothing.  Then cdc, remote (s3://),
-- replay and checksum-mismatch manifests.
\getenv root OMNI_TEST_ROOT
\set folder :root '/test/data/manifest_folder'
\set more :folder '/more'
\set broken :folder '/20_broken.json'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.raw_doc_asset_event, omni_ingest.doc_asset_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;
CREATE FUNCTION pg_temp.file(path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT regexp_replace(path, '^.*/', '') $$;

-- A dry run over the folder: 10_tickets and 40_docs would load; the broken
-- file and the rule-breaking manifest are one reject row each.  Not read:
-- README.txt, the hidden .draft.json, the subfolders.
SELECT pg_temp.file(m.manifest_path) AS file, m.manifest_id, m.source_id, m.judgment, m.status,
       m.total, m.valid, m.invalid, m.inserted, m.skipped, m.late, m.outside_window
  FROM omni_ingest_manifest(:'folder', dry_run => true) AS m;
SELECT count(*) AS written FROM omni_ingest.manifest;

-- The run: exact rows, the good manifests with their load's figures
CREATE TEMP TABLE folder_run AS
  SELECT row_number() OVER () AS n, m.* FROM omni_ingest_manifest(:'folder') AS m;
SELECT pg_temp.file(m.manifest_path) AS file, m.manifest_id, m.source_id, m.judgment, m.status,
       m.asset_batch_id, m.run_id, m.total, m.valid, m.invalid, m.inserted, m.skipped,
       m.late, m.outside_window
  FROM folder_run AS m ORDER BY m.n;
-- ... and every reason (paths shortened)
SELECT pg_temp.file(m.manifest_path) AS file, m.source_id, r->>'rule' AS rule, r->>'judgment' AS judgment,
       replace(r->>'message', :'root', '<root>') AS message
  FROM folder_run AS m, jsonb_array_elements(m.reasons) WITH ORDINALITY AS x(r, o) ORDER BY m.n, x.o;
SELECT batch_id, status, total, valid, invalid, inserted, skipped
  FROM omni_ingest.batch_ledger ORDER BY run_id;

-- The manifest ledger: a row per file per call, the dry run's too
SELECT manifest_run_id AS run, pg_temp.file(path) AS file, manifest_id, batch_id, dry_run, status,
       assets, assets_loaded AS loaded, assets_quarantined AS quarantined,
       assets_rejected AS rejected, assets_not_loaded AS not_loaded, assets_failed AS failed,
       jsonb_path_query_array(reasons, '$[*].rule') AS rules,
       file_sha256 IS NOT NULL AS sha, run_by, finished_at >= started_at AS timed
  FROM omni_ingest.manifest_run ORDER BY manifest_run_id;
SELECT manifest_id, batch_id, status FROM omni_ingest.manifest ORDER BY manifest_id;
SELECT manifest_id, source_id, status, judgment, total, valid, invalid, inserted, skipped,
       late, quarantined, outside_window, actual_size, actual_sha256 = declared_sha256 AS sha_ok
  FROM omni_ingest.manifest_asset ORDER BY manifest_id, source_id;

-- Each loaded manifest reconciles
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('folder-tickets-001');
SELECT check_name, ok FROM omni_reconcile('folder-docs-004') WHERE check_name = 'verdict';

-- A second run over the folder is a no-op: the loaded manifests say
-- already_loaded with the figures kept, the rejected ones are rejected
-- again for the same reasons; no ledger row, no manifest run, no Silver
-- row version is new
SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) AS ledger_rows,
       (SELECT count(*) FROM omni_ingest.manifest_run) AS manifest_runs,
       (SELECT string_agg(ticket_id || ':' || xmin, ',' ORDER BY ticket_id) FROM omni_ingest.ticket_fact) AS ticket_xmins,
       (SELECT string_agg(source_id || ':' || xmin, ',' ORDER BY source_id) FROM omni_ingest.doc_asset_fact) AS doc_xmins
\gset before_
SELECT pg_temp.file(m.manifest_path) AS file, m.manifest_id, m.source_id, m.judgment, m.status,
       m.asset_batch_id, m.run_id, m.total, m.valid, m.invalid, m.inserted, m.skipped,
       m.late, m.outside_window, jsonb_array_length(m.reasons) AS reasons
  FROM omni_ingest_manifest(:'folder') AS m;
SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) - :before_ledger_rows AS new_ledger_rows,
       (SELECT count(*) FROM omni_ingest.manifest_run) - :before_manifest_runs AS new_manifest_runs,
       (SELECT string_agg(ticket_id || ':' || xmin, ',' ORDER BY ticket_id) FROM omni_ingest.ticket_fact)
         = :'before_ticket_xmins' AS tickets_untouched,
       (SELECT string_agg(source_id || ':' || xmin, ',' ORDER BY source_id) FROM omni_ingest.doc_asset_fact)
         = :'before_doc_xmins' AS docs_untouched;

-- A single file behaves the same: the broken one is one reject row (and,
-- rejected again alike, adds no manifest run)
SELECT pg_temp.file(m.manifest_path) AS file, m.manifest_id, m.source_id, m.judgment, m.status,
       replace(m.reasons::text, :'root', '<root>') AS reasons
  FROM omni_ingest_manifest(:'broken') AS m;
SELECT count(*) - :before_manifest_runs AS new_manifest_runs FROM omni_ingest.manifest_run;

-- A folder without manifests answers no row, and says so; bad calls are
-- errors (paths shortened)
\set VERBOSITY terse
SELECT * FROM omni_ingest_manifest(:'folder' || '/data');
\set VERBOSITY default
CREATE FUNCTION pg_temp.call_error(path text, root text) RETURNS TABLE (part text, said text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hnt text;
BEGIN
  PERFORM omni_ingest_manifest(path);
  RETURN QUERY SELECT 'no error', NULL::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
  RETURN QUERY VALUES ('sqlstate', st), ('message', replace(msg, root, '<root>')), ('hint', hnt);
END $$;
SELECT * FROM pg_temp.call_error(:'folder' || '/nowhere', :'root');
SELECT * FROM pg_temp.call_error('', :'root');
SELECT * FROM pg_temp.call_error('data/manifest_folder', :'root');

-- cdc is not supported; a remote asset is never fetched; a replay replays
-- the batch of the same source in the manifest of replay_from_batch, or
-- replay_from_batch itself; a checksum that does not match fails that
-- asset only
SELECT status, inserted FROM omni_ingest_jsonl(:'folder' || '/data/tickets_e.jsonl', 'folder-direct');
-- (the failed load's WARNING names the file's temporary path: the row says it too)
SET client_min_messages = error;
CREATE TEMP TABLE more_run AS
  SELECT row_number() OVER () AS n, m.* FROM omni_ingest_manifest(:'more') AS m;
RESET client_min_messages;
SELECT pg_temp.file(m.manifest_path) AS file, m.source_id, m.judgment, m.status, m.asset_batch_id,
       m.total, m.valid, m.invalid, m.inserted, m.skipped,
       jsonb_path_query_array(m.reasons, '$[*].rule') AS rules
  FROM more_run AS m ORDER BY m.n;
SELECT pg_temp.file(m.manifest_path) AS file, m.source_id, r->>'rule' AS rule,
       replace(r->>'message', :'root', '<root>') AS message
  FROM more_run AS m, jsonb_array_elements(m.reasons) WITH ORDINALITY AS x(r, o)
 WHERE m.status IN ('rejected', 'failed') ORDER BY m.n, x.o;
-- The replays are runs of the replayed batches; nothing else of theirs ran
SELECT l.batch_id, l.status, l.total, l.silver_unchanged, l.loaded_run_id IS NOT NULL AS of_a_load
  FROM omni_ingest.batch_ledger l WHERE l.status = 'replayed' ORDER BY l.run_id;
SELECT count(*) AS runs_of_rejected FROM omni_ingest.batch_ledger
 WHERE batch_id LIKE 'more-cdc-001/%' OR batch_id LIKE 'more-remote-002/%' OR batch_id LIKE 'more-replay-006/%';
-- The mismatching asset left nothing: no loaded run, no Bronze or Silver row
SELECT (SELECT count(*) FROM omni_ingest.batch_ledger
         WHERE batch_id = 'more-checksum-005/tickets_d' AND status = 'loaded') AS loaded_runs,
       (SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = 'more-checksum-005/tickets_d') AS bronze,
       (SELECT count(*) FROM omni_ingest.ticket_fact WHERE last_batch_id = 'more-checksum-005/tickets_d') AS silver,
       (SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = 'more-checksum-005/tickets_c') AS other_bronze;
SELECT manifest_id, status FROM omni_ingest.manifest WHERE manifest_id LIKE 'manifest-more-%' ORDER BY 1;
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('more-checksum-005');
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('more-replay-003');

-- Again: the replays are no-ops and the rejections repeat unrecorded; only
-- the failed manifest runs again (its loaded asset a no-op, the other
-- failing again)
SELECT (SELECT max(run_id) FROM omni_ingest.batch_ledger) AS last_run,
       (SELECT max(manifest_run_id) FROM omni_ingest.manifest_run) AS last_manifest_run
\gset before_
SET client_min_messages = error;
SELECT pg_temp.file(m.manifest_path) AS file, m.source_id, m.status
  FROM omni_ingest_manifest(:'more') AS m;
RESET client_min_messages;
SELECT pg_temp.file(path) AS file, status, assets_loaded, assets_failed
  FROM omni_ingest.manifest_run WHERE manifest_run_id > :before_last_manifest_run ORDER BY manifest_run_id;
SELECT batch_id, status FROM omni_ingest.batch_ledger
 WHERE run_id > :before_last_run AND status IN ('loaded', 'already_loaded', 'replayed') ORDER BY run_id;

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_doc_asset_event, omni_ingest.doc_asset_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;
