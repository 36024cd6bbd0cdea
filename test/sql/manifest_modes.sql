-- The load modes as manifests drive them, on the shipped seed folder's
-- ticket manifests: a snapshot, then an incremental load that quarantines
-- its late records (its manifest asks stricter than the site), a backfill
-- window, a replay; each manifest batch reconciles, and the cursor stands
-- where the incremental load left it.
\getenv root OMNI_TEST_ROOT
\set seed :root '/data/seed_manifests'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.quarantine,
         omni_ingest.load_cursor, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;
CREATE FUNCTION pg_temp.load(file text)
RETURNS TABLE (source_id text, judgment text, status text, total bigint, valid bigint,
               invalid bigint, inserted bigint, skipped bigint, late bigint, outside_window bigint)
LANGUAGE sql AS $$
	SELECT m.source_id, m.judgment, m.status, m.total, m.valid, m.invalid, m.inserted,
	       m.skipped, m.late, m.outside_window
	  FROM omni_ingest_manifest(current_setting('seed.dir') || '/' || file) AS m
$$;
SELECT set_config('seed.dir', :'seed', false) IS NOT NULL AS set;

-- The snapshot: 226 lines, 218 valid, 215 new records and 3 duplicates
SELECT * FROM pg_temp.load('01-tickets-full-snapshot.json');

-- Incremental on updated_at from 2026-04-03, no stored cursor yet: the 14
-- tickets updated before it are late, and quarantined (the manifest's
-- on_late_arrival); the 23 never updated have no cursor value and are
-- rejected; the 181 applied records are in Bronze already (skipped)
SELECT * FROM pg_temp.load('05-tickets-incremental-cursor.json');
SELECT load->>'load_mode' AS mode, load->>'on_late_arrival' AS on_late, late, quarantined,
       cursor_before, cursor_after
  FROM omni_ingest.batch_ledger WHERE batch_id = 'seed-20260417-005/zendesk-export';
SELECT count(*) AS quarantined, min(cursor_value) AS earliest, max(cursor_value) AS latest,
       count(*) FILTER (WHERE reason = 'late_arrival') AS late_arrival
  FROM omni_ingest.quarantine WHERE batch_id = 'seed-20260417-005/zendesk-export';
SELECT count(*) FILTER (WHERE reasons @> '[{"keyword": "cursor"}]') AS cursor_rejects, count(*) AS rejects
  FROM omni_ingest.reject WHERE batch_id = 'seed-20260417-005/zendesk-export';
SELECT source_id, contract_ref, cursor_field, cursor_value, batch_id
  FROM omni_ingest.load_cursor;
-- Backfill of [2026-04-05, 2026-04-08) on the record version: 56 records
-- inside, 162 outside the window (counted, neither written nor rejected);
-- the cursor does not move
SELECT * FROM pg_temp.load('06-tickets-backfill.json');
SELECT cursor_value, batch_id FROM omni_ingest.load_cursor;

-- Replay of the snapshot's batch from Bronze
SELECT * FROM pg_temp.load('07-tickets-replay.json');

-- The report of the incremental load says what it held back
SELECT line FROM regexp_split_to_table(omni_ingest_report('seed-20260417-005/zendesk-export'), E'\n') AS line
 WHERE line ~ '^\| (valid|late|quarantined|outside window|Bronze skipped) \|';

-- Every manifest batch closes
SELECT b AS batch, count(*) AS checks, bool_and(ok) AS all_ok
  FROM unnest(ARRAY['seed-20260417-001', 'seed-20260417-005', 'seed-20260417-006',
                    'seed-20260417-007']) AS b,
       LATERAL omni_reconcile(b) AS r
 GROUP BY b ORDER BY b;
SELECT check_name, expected, actual, ok FROM omni_reconcile('seed-20260417-005/zendesk-export')
 WHERE check_name ~ 'quarantin|late|valid' ORDER BY check_name;

-- The same manifests again: nothing to do, nothing written
SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) AS runs_before \gset
SELECT status, count(*) FROM (
  SELECT m.status FROM omni_ingest_manifest(:'seed' || '/05-tickets-incremental-cursor.json') AS m
  UNION ALL
  SELECT m.status FROM omni_ingest_manifest(:'seed' || '/06-tickets-backfill.json') AS m) s
 GROUP BY status;
SELECT count(*) - :runs_before AS new_runs FROM omni_ingest.batch_ledger;

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.quarantine,
         omni_ingest.load_cursor, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;
