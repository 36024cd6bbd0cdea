-- The shipped contract doc_asset/v1 loads the document samples
-- (data/doc_assets.jsonl) into its own Bronze and Silver tables: exact
-- counts (data/README.md), a rerun is a recorded no-op, and the batch
-- reconciles with every check passing.
\getenv root OMNI_TEST_ROOT
\set docs :root '/data/doc_assets.jsonl'
\set summary 'status, contract_version, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, blank_lines'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;
-- Documents: the version is ingest_ts, so the one record without it is rejected
SELECT :summary FROM omni_ingest_jsonl(:'docs', 'assets-docs', contract_ref => 'omni://contracts/data/doc_asset/v1');
SELECT status, inserted, skipped FROM omni_ingest_jsonl(:'docs', 'assets-docs', contract_ref => 'omni://contracts/data/doc_asset/v1');
SELECT check_name, expected, actual, ok FROM omni_reconcile('assets-docs') WHERE NOT ok OR check_name = 'verdict';
SELECT count(*) AS silver_rows FROM omni_ingest.doc_asset_fact WHERE last_batch_id = 'assets-docs';
SELECT line_number, r->>'keyword' AS keyword, r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'assets-docs' AND r->>'keyword' = 'business_rule';

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_doc_asset_event, omni_ingest.doc_asset_fact RESTART IDENTITY;
