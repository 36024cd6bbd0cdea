-- Silver keeps the newest version of each ticket, whatever the order the
-- versions arrive in, within a file and across batches.
\getenv root OMNI_TEST_ROOT
\set a :root '/test/data/versions_a.jsonl'
\set b :root '/test/data/versions_b.jsonl'
\set summary 'batch_id, status, total, valid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- Within one file: newest wins (101), ties go to the later line (102)
SELECT :summary FROM omni_ingest_jsonl(:'a', 'versions-a');
SELECT ticket_id, status, updated_at, last_batch_id, last_line_number
  FROM omni_ingest.ticket_fact ORDER BY ticket_id;

-- A later batch: older versions never overwrite, newer ones do
SELECT :summary FROM omni_ingest_jsonl(:'b', 'versions-b');
SELECT ticket_id, status, updated_at, last_batch_id, last_line_number
  FROM omni_ingest.ticket_fact ORDER BY ticket_id;

-- The same versions one line per chunk give the same outcome
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;
SET omni_ingest.chunk_rows = 1;
SELECT :summary FROM omni_ingest_jsonl(:'a', 'versions-a-chunked');
SELECT :summary FROM omni_ingest_jsonl(:'b', 'versions-b-chunked');
RESET omni_ingest.chunk_rows;
SELECT ticket_id, status, updated_at, last_line_number
  FROM omni_ingest.ticket_fact ORDER BY ticket_id;
SELECT check_name, ok FROM omni_reconcile('versions-b-chunked') WHERE check_name = 'verdict';
