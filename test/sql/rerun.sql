-- Reruns: the same batch on the same file is a recorded no-op; the same file
-- under a new batch id changes no row; a batch id cannot be reused for
-- other content.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set other :root '/test/data/many.jsonl'
\set va :root '/test/data/versions_a.jsonl'
\set va_edited :root '/test/data/versions_a_edited.jsonl'
\set summary 'batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'rerun-1');
CREATE TEMP TABLE before AS
  SELECT ticket_id, xmin::text AS row_xmin, ctid AS row_ctid FROM omni_ingest.ticket_fact;
CREATE TEMP TABLE bronze_before AS
  SELECT event_id, xmin::text AS row_xmin FROM omni_ingest.raw_ticket_event;

-- Same batch, same file: no-op with the counts of the load
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'rerun-1');
SELECT run_id - min(run_id) OVER () AS run, status, loaded_run_id IS NOT NULL AS points_to_load
  FROM omni_ingest.batch_ledger WHERE batch_id = 'rerun-1' ORDER BY run_id;

-- Same file, new batch id: everything skipped in Bronze, nothing rewritten
-- in Silver (older duplicate versions are counted superseded)
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'rerun-2');
SELECT count(*) AS silver_rows_rewritten
  FROM omni_ingest.ticket_fact f JOIN before b USING (ticket_id)
 WHERE f.xmin::text <> b.row_xmin OR f.ctid <> b.row_ctid;
SELECT (SELECT count(*) FROM omni_ingest.ticket_fact) AS silver_rows,
       (SELECT count(*) FROM before) AS silver_rows_before;
SELECT count(*) AS bronze_rows_changed
  FROM omni_ingest.raw_ticket_event r FULL JOIN bronze_before b USING (event_id)
 WHERE r.xmin::text IS DISTINCT FROM b.row_xmin;
SELECT check_name, expected, actual, ok FROM omni_reconcile('rerun-2');

-- The same batch id with other content (size, then same size but other
-- bytes) or another limit is refused
SELECT :summary FROM omni_ingest_jsonl(:'other', 'rerun-1');
SELECT :summary FROM omni_ingest_jsonl(:'va', 'rerun-3');
SELECT :summary FROM omni_ingest_jsonl(:'va_edited', 'rerun-3');
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'rerun-1', "limit" => 10);
-- A dry run never conflicts
SELECT :summary FROM omni_ingest_jsonl(:'other', 'rerun-1', dry_run => true);
