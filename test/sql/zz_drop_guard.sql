-- No drop silently destroys ingested data: not DROP EXTENSION, nor a drop
-- of the extension's schema or owner, nor of a data table (runs last).
\getenv root OMNI_TEST_ROOT
\set many :root '/test/data/many.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset, omni_ingest.manifest_run RESTART IDENTITY;
DELETE FROM omni_ingest.contract WHERE NOT shipped;
SELECT status, inserted FROM omni_ingest_jsonl(:'many', 'guarded');
\set held 'SELECT (SELECT count(*) FROM omni_ingest.batch_ledger) AS ledger, (SELECT count(*) FROM omni_ingest.raw_ticket_event) AS bronze, (SELECT count(*) FROM omni_ingest.ticket_fact) AS silver'

-- Every route to the extension's tables is refused while they hold data
DROP EXTENSION omni_ingest;
DROP EXTENSION omni_ingest CASCADE;
DROP SCHEMA omni_ingest CASCADE;
DROP SCHEMA public CASCADE;
-- A member table cannot be dropped on its own (PostgreSQL's own rule)
DROP TABLE omni_ingest.raw_ticket_event;
DROP TABLE omni_ingest.raw_ticket_event CASCADE;
-- Taken out of the extension, it still cannot be dropped
BEGIN;
ALTER EXTENSION omni_ingest DROP TABLE omni_ingest.ticket_fact;
DROP TABLE omni_ingest.ticket_fact;
ROLLBACK;
-- Nor can one whose drop cascades to the extension (its identity sequence
-- is still a member)
BEGIN;
ALTER EXTENSION omni_ingest DROP TABLE omni_ingest.batch_ledger;
DROP TABLE omni_ingest.batch_ledger CASCADE;
ROLLBACK;
:held;

-- A Bronze and Silver pair of a contract of one's own, in another schema
CREATE SCHEMA guard_test;
CREATE TABLE guard_test.bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
CREATE TABLE guard_test.silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);
SELECT version FROM omni_register_contract(
  (SELECT schema - '$id' FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://contracts/test/guard');
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://contracts/test/guard', 'guard_test.bronze', 'guard_test.silver',
          'ticket_id', '{updated_at,created_at}');
SELECT status, inserted FROM omni_ingest_jsonl(:'many', 'guarded-elsewhere',
                                               contract_ref => 'omni://contracts/test/guard');
DROP TABLE guard_test.silver;
DROP SCHEMA guard_test CASCADE;
SELECT (SELECT count(*) FROM guard_test.bronze) AS bronze, (SELECT count(*) FROM guard_test.silver) AS silver;
-- Dropping other things stays possible, also for a role that may not read
-- the extension's tables
CREATE ROLE omni_regress_dropper;
SET ROLE omni_regress_dropper;
CREATE TEMP TABLE scratch (a int);
DROP TABLE scratch;
RESET ROLE;
DROP ROLE omni_regress_dropper;
-- An empty data table drops freely
TRUNCATE guard_test.silver;
DROP TABLE guard_test.silver;
-- The superuser setting lets the drop through
SET omni_ingest.allow_drop_data = on;
DROP SCHEMA guard_test CASCADE;
RESET omni_ingest.allow_drop_data;

-- A contract of one's own is data too
TRUNCATE omni_ingest.batch_ledger, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
DROP EXTENSION omni_ingest;

-- An extension created by another superuser goes with DROP OWNED BY that
-- role: refused while it holds data
SET omni_ingest.allow_drop_data = on;
DROP EXTENSION omni_ingest;
RESET omni_ingest.allow_drop_data;
CREATE ROLE omni_regress_creator SUPERUSER;
SET ROLE omni_regress_creator;
CREATE EXTENSION omni_ingest;
RESET ROLE;
SELECT status, inserted FROM omni_ingest_jsonl(:'many', 'guarded-owned');
DROP OWNED BY omni_regress_creator;
DROP SCHEMA public CASCADE;
:held;
-- Nothing but the shipped contracts: everything drops freely
TRUNCATE omni_ingest.batch_ledger, omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
DROP OWNED BY omni_regress_creator;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'omni_ingest';
DROP ROLE omni_regress_creator;
CREATE EXTENSION omni_ingest;
DROP EXTENSION omni_ingest;
CREATE EXTENSION omni_ingest;
SELECT count(*) AS contracts FROM omni_ingest.contract;
