-- dry_run reads and judges everything but writes nothing; limit stops after
-- N non-blank lines.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set summary 'batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- Same valid/invalid counts as a real run; no write counts
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'dry-1', dry_run => true);
SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event) AS bronze,
       (SELECT count(*) FROM omni_ingest.ticket_fact) AS silver,
       (SELECT count(*) FROM omni_ingest.reject) AS rejects;
-- The dry run is recorded, but is not a load
SELECT batch_id, status, dry_run, total, valid, invalid FROM omni_ingest.batch_ledger;
SELECT * FROM omni_reconcile('dry-1');

-- limit: the first 50 non-blank lines (line 54 is the first blank one)
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'limit-50', "limit" => 50);
SELECT max(line_number) AS last_bronze_line FROM omni_ingest.raw_ticket_event
 WHERE batch_id = 'limit-50';
SELECT lines_read, row_limit, file_size FROM omni_ingest.batch_ledger
 WHERE batch_id = 'limit-50';
SELECT check_name, ok FROM omni_reconcile('limit-50') WHERE NOT ok OR check_name = 'verdict';

-- limit 0 reads nothing; a dry run with a limit
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'limit-0', "limit" => 0);
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'dry-60', dry_run => true, "limit" => 60);
