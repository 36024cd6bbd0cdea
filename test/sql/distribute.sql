-- Ready for Citus: Bronze carries the business key in a column of its own,
-- in its primary key, so that it can be distributed co-located with Silver;
-- omni_ingest_distribute is an administrator's and needs the citus
-- extension (never installed here: test/t/016_citus.pl runs on Citus).
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set summary 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- Every Bronze of a shipped contract: the key last, in the primary key (for
-- doc_asset the key is source_id itself)
SELECT t.contract_ref, t.key_field,
       (SELECT a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' collate ' || co.collname
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
         WHERE a.attrelid = t.bronze_table AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum DESC LIMIT 1) AS last_column,
       pg_catalog.pg_get_constraintdef(k.oid) AS primary_key
  FROM omni_ingest.contract_target t
  JOIN pg_catalog.pg_constraint k ON k.conrelid = t.bronze_table AND k.contype = 'p'
 ORDER BY 1;

-- A load fills the key from the record; the fingerprint still decides
-- identity (a rerun under a new batch id skips every record)
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'dist-1');
SELECT count(*) AS bronze_rows,
       count(*) FILTER (WHERE ticket_id = payload->>'ticket_id') AS key_from_record
  FROM omni_ingest.raw_ticket_event;
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'dist-2');

-- Silver's loaded_at is the load's transaction time, as now() is, though
-- the upsert calls no function (it comes from EXCLUDED)
BEGIN;
UPDATE omni_ingest.ticket_fact SET subject = 'damaged'
 WHERE ticket_id = (SELECT min(ticket_id) FROM omni_ingest.ticket_fact);
SELECT :summary FROM omni_replay('dist-1');
SELECT count(*) AS rewritten, bool_and(loaded_at = now()) AS loaded_now
  FROM omni_ingest.ticket_fact WHERE loaded_at >= now();
COMMIT;
SELECT check_name, ok FROM omni_reconcile('dist-1') WHERE NOT ok OR check_name = 'verdict';

-- A Bronze of the 0.1.0 shape, made by hand without the key column, still
-- loads and reconciles (matched on source_id and fingerprint); it cannot
-- be distributed (below)
CREATE TABLE old_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE old_bronze DROP COLUMN ticket_id, ADD PRIMARY KEY (source_id, source_fingerprint);
CREATE TABLE old_silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);
SELECT version FROM omni_register_contract(
  (SELECT schema FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://regress/old-shape/v1');
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://regress/old-shape/v1', 'old_bronze', 'old_silver', 'ticket_id', '{updated_at,created_at}');
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'dist-old', contract_ref => 'omni://regress/old-shape/v1');
SELECT check_name, ok FROM omni_reconcile('dist-old') WHERE NOT ok OR check_name = 'verdict';

-- A business key cannot be named like a Bronze column of its own
SELECT version FROM omni_register_contract('{
  "type": "object", "required": ["batch_id", "source_id", "at"],
  "properties": {"batch_id": {"type": "string"}, "source_id": {"type": "string"},
                 "at": {"type": "string", "format": "date-time"}}}', 'omni://regress/batchkey/v1');
SELECT * FROM omni_create_target('omni://regress/batchkey/v1', 'batch_id', '{at}');

-- Administrators only
SELECT r AS role, has_function_privilege(r, 'omni_ingest_distribute(text, integer)', 'EXECUTE') AS may_distribute
  FROM unnest(ARRAY['omni_ingest_reader', 'omni_ingest_loader', 'omni_ingest_admin']) AS r;
CREATE ROLE regress_dist_loader IN ROLE omni_ingest_loader;
SET ROLE regress_dist_loader;
SELECT * FROM omni_ingest_distribute('omni://contracts/data/ticket/v1');
RESET ROLE;

-- Bad calls, then no Citus: clear errors, nothing changes
SELECT * FROM omni_ingest_distribute(NULL);
SELECT * FROM omni_ingest_distribute('omni://contracts/data/ticket/v1', 0);
SELECT * FROM omni_ingest_distribute('omni://contracts/data/ticket/v1', 8);
DO $$
BEGIN
  PERFORM omni_ingest_distribute('omni://contracts/data/ticket/v1');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE 'refused with SQLSTATE %', SQLSTATE;
END $$;

-- Clean up what this suite made
SET omni_ingest.allow_drop_data = on;
DELETE FROM omni_ingest.contract_target WHERE NOT shipped;
DROP TABLE old_bronze, old_silver;
RESET omni_ingest.allow_drop_data;
DELETE FROM omni_ingest.contract WHERE NOT shipped;
DROP ROLE regress_dist_loader;
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;
