-- The shipped contract audio_asset/v1 loads the call samples
-- (data/audio_assets.jsonl) into its own Bronze and Silver tables: exact
-- counts (data/README.md), a rerun is a recorded no-op, and the batch
-- reconciles with every check passing.
\getenv root OMNI_TEST_ROOT
\set calls :root '/data/audio_assets.jsonl'
\set summary 'status, contract_version, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, blank_lines'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;
SELECT :summary FROM omni_ingest_jsonl(:'calls', 'assets-calls', contract_ref => 'omni://contracts/data/audio_asset/v1');
SELECT status, inserted, skipped FROM omni_ingest_jsonl(:'calls', 'assets-calls', contract_ref => 'omni://contracts/data/audio_asset/v1');
SELECT check_name, expected, actual, ok FROM omni_reconcile('assets-calls') WHERE NOT ok OR check_name = 'verdict';
SELECT count(*) AS silver_rows FROM omni_ingest.audio_asset_fact WHERE last_batch_id = 'assets-calls';

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_audio_asset_event, omni_ingest.audio_asset_fact RESTART IDENTITY;
