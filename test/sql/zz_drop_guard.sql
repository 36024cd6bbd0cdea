-- DROP EXTENSION does not silently destroy ingested data (runs last).
\getenv root OMNI_TEST_ROOT
\set many :root '/test/data/many.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset RESTART IDENTITY;
DELETE FROM omni_ingest.contract WHERE NOT shipped;
SELECT status, inserted FROM omni_ingest_jsonl(:'many', 'guarded');
DROP EXTENSION omni_ingest;
DROP SCHEMA omni_ingest CASCADE;
SELECT count(*) > 0 AS still_has_data FROM omni_ingest.batch_ledger;

-- The superuser setting lets the drop through
SET omni_ingest.allow_drop_data = on;
DROP EXTENSION omni_ingest;
RESET omni_ingest.allow_drop_data;
-- An extension holding nothing but its shipped contracts drops freely
CREATE EXTENSION omni_ingest;
DROP EXTENSION omni_ingest;
CREATE EXTENSION omni_ingest;
SELECT count(*) AS contracts FROM omni_ingest.contract;
