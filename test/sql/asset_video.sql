-- The shipped contract video_asset/v1 loads the video samples
-- (data/video_assets.jsonl) into its own Bronze and Silver tables: exact
-- counts (data/README.md), a rerun is a recorded no-op, and the batch
-- reconciles with every check passing.
\getenv root OMNI_TEST_ROOT
\set videos :root '/data/video_assets.jsonl'
\set summary 'status, contract_version, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, blank_lines'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;
SELECT :summary FROM omni_ingest_jsonl(:'videos', 'assets-videos', contract_ref => 'omni://contracts/data/video_asset/v1');
SELECT status, inserted, skipped FROM omni_ingest_jsonl(:'videos', 'assets-videos', contract_ref => 'omni://contracts/data/video_asset/v1');
SELECT check_name, expected, actual, ok FROM omni_reconcile('assets-videos') WHERE NOT ok OR check_name = 'verdict';
SELECT count(*) AS silver_rows FROM omni_ingest.video_asset_fact WHERE last_batch_id = 'assets-videos';

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_video_asset_event, omni_ingest.video_asset_fact RESTART IDENTITY;
