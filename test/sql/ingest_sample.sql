-- Load the shipped sample tickets into empty tables: exact counts, rejects,
-- Silver contents, reconcile.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set summary 'batch_id, contract_ref, contract_version, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'batch-20260415-001');

-- What landed
SELECT count(*) AS bronze_rows, count(DISTINCT payload->>'ticket_id') AS bronze_tickets
  FROM omni_ingest.raw_ticket_event WHERE batch_id = 'batch-20260415-001';
SELECT count(*) AS silver_rows FROM omni_ingest.ticket_fact;

-- Every invalid line, with its reasons (keyword and location)
SELECT line_number, byte_offset, line_bytes, raw_truncated,
       jsonb_path_query_array(reasons, '$[*].keyword') AS keywords,
       jsonb_path_query_array(reasons, '$[*].instance_path') AS paths
  FROM omni_ingest.reject WHERE batch_id = 'batch-20260415-001'
 ORDER BY line_number;
SELECT line_number, r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'batch-20260415-001' ORDER BY line_number, 2;

-- Later versions won (lines 67, 129, 186, 223); the older line 164 did not
-- overwrite the newer version of its ticket (line 33)
SELECT ticket_id, status, updated_at, record_version, last_line_number
  FROM omni_ingest.ticket_fact
 WHERE last_line_number IN (33, 67, 129, 186, 223) ORDER BY ticket_id;
SELECT f.ticket_id, f.last_line_number, f.status
  FROM omni_ingest.ticket_fact f
  JOIN omni_ingest.raw_ticket_event b ON b.payload->>'ticket_id' = f.ticket_id
 WHERE b.line_number = 164;

-- Typed columns: arrays, timestamps, booleans, nulls
SELECT ticket_id, pg_typeof(tags) AS tags_type, tags, created_at, pii_redacted, assignee_id IS NULL AS no_assignee
  FROM omni_ingest.ticket_fact ORDER BY ticket_id LIMIT 3;

-- Bronze fingerprint is the SHA-256 of the canonical record
SELECT count(*) AS fingerprints_match
  FROM omni_ingest.raw_ticket_event
 WHERE source_fingerprint = encode(sha256(convert_to(payload::text, 'UTF8')), 'hex');

-- The ledger row
SELECT batch_id, status, file_sha256, file_size, lines_read, row_limit, dry_run,
       error_sqlstate, finished_at >= started_at AS timed
  FROM omni_ingest.batch_ledger WHERE batch_id = 'batch-20260415-001';

SELECT * FROM omni_reconcile('batch-20260415-001');

-- On request, reconcile reads the file again and shows it is unchanged
SELECT check_name, expected, actual, ok FROM omni_reconcile('batch-20260415-001', rehash => true)
 WHERE check_name LIKE 'file%' OR check_name = 'verdict';
