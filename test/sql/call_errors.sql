-- Bad calls raise an error with a clear message and hint, and write nothing.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

SELECT status FROM omni_ingest_jsonl('/nonexistent/omni_ingest/tickets.jsonl', 'e-1');
SELECT status FROM omni_ingest_jsonl('/', 'e-2');
SELECT status FROM omni_ingest_jsonl('data/tickets.jsonl', 'e-3');
SELECT status FROM omni_ingest_jsonl(NULL, 'e-4');
SELECT status FROM omni_ingest_jsonl(:'tickets', NULL);
SELECT status FROM omni_ingest_jsonl(:'tickets', '');
SELECT status FROM omni_ingest_jsonl(:'tickets', 'e-5', contract_ref => 'omni://contracts/data/nothing/v1');
SELECT status FROM omni_ingest_jsonl(:'tickets', 'e-6', contract_ref => NULL);
SELECT status FROM omni_ingest_jsonl(:'tickets', 'e-7', "limit" => -1);
-- A contract without Bronze and Silver tables can be validated, not loaded
SELECT status FROM omni_ingest_jsonl(:'tickets', 'e-8', contract_ref => 'omni://contracts/manifest/source_manifest/v1');
SELECT status, total, valid, invalid
  FROM omni_ingest_jsonl(:'tickets', 'e-9', dry_run => true, "limit" => 5,
                         contract_ref => 'omni://contracts/data/doc_asset/v1');

-- Nothing but the one dry run was recorded
SELECT batch_id, status FROM omni_ingest.batch_ledger ORDER BY run_id;
SELECT count(*) FROM omni_ingest.raw_ticket_event;

-- Reconcile of unknown and never-loaded batches
SELECT * FROM omni_reconcile('no-such-batch');
SELECT * FROM omni_reconcile('e-9');
SELECT * FROM omni_reconcile(NULL);
