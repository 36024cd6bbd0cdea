-- Who may do what.  Reading a server file takes what COPY FROM a file
-- takes (superuser or pg_read_server_files); loading takes the role
-- omni_ingest_loader; contracts and targets take omni_ingest_admin; and
-- no role below the extension owner writes the extension's tables.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/test/data/many.jsonl'
\set gates :root '/test/data/manifests/gates.json'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact,
         omni_ingest.manifest, omni_ingest.manifest_asset RESTART IDENTITY;

-- The three roles: none can log in, each includes the one before
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'omni\_ingest\_%' ORDER BY 1;
SELECT pg_has_role('omni_ingest_admin', 'omni_ingest_loader', 'MEMBER') AS admin_loads,
       pg_has_role('omni_ingest_loader', 'omni_ingest_reader', 'MEMBER') AS loader_reads,
       pg_has_role('omni_ingest_reader', 'omni_ingest_loader', 'MEMBER') AS reader_loads;

CREATE ROLE omni_regress_plain;
CREATE ROLE omni_regress_reader IN ROLE omni_ingest_reader;
CREATE ROLE omni_regress_nofiles IN ROLE omni_ingest_loader;
CREATE ROLE omni_regress_loader IN ROLE omni_ingest_loader, pg_read_server_files;
CREATE ROLE omni_regress_admin IN ROLE omni_ingest_admin, pg_read_server_files;

-- A plain role may not load at all
SET ROLE omni_regress_plain;
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-1');
RESET ROLE;

-- A loader without pg_read_server_files may not make the server read a file
SET ROLE omni_regress_nofiles;
SELECT status FROM omni_ingest_jsonl('/srv/drop/tickets.jsonl', 'priv-2');
SELECT status FROM omni_ingest_manifest('/srv/drop/manifest.json');
RESET ROLE;

-- A loader loads and reconciles without any write privilege on the tables
SET ROLE omni_regress_loader;
SELECT status, total, valid, inserted FROM omni_ingest_jsonl(:'tickets', 'priv-3');
SELECT check_name, ok FROM omni_reconcile('priv-3') WHERE check_name = 'verdict';
SELECT status, silver_updated FROM omni_replay('priv-3');
CALL omni_ingest_jsonl_resumable(:'tickets', 'priv-3r', commit_every => 10);
SELECT source_id, judgment, status FROM omni_ingest_manifest(:'gates') ORDER BY source_id;
-- ... and can change neither contracts, nor targets, nor the ledger
SELECT * FROM omni_register_contract('{"$id": "omni://regress/evil/v1"}');
INSERT INTO omni_ingest.contract (contract_ref, version, schema, schema_sha256)
  VALUES ('omni://contracts/data/ticket/v1', 99, '{}', 'x');
UPDATE omni_ingest.contract_target SET silver_table = 'pg_catalog.pg_class';
UPDATE omni_ingest.batch_ledger SET path = '/etc/passwd' WHERE batch_id = 'priv-3';
DELETE FROM omni_ingest.raw_ticket_event;
RESET ROLE;
-- The runs are recorded for the role that asked for them
SELECT batch_id, status, run_by FROM omni_ingest.batch_ledger ORDER BY run_id;
SELECT manifest_id, status FROM omni_ingest.manifest;

-- A reader reads, reconciles and reports, and cannot load or replay
SET ROLE omni_regress_reader;
SELECT count(*) FROM omni_ingest.ticket_fact WHERE last_batch_id = 'priv-3';
SELECT check_name, ok FROM omni_reconcile('priv-3') WHERE check_name = 'verdict';
SELECT omni_ingest_report('priv-3') LIKE E'# Batch ingest report: priv-3\n%' AS report;
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-4');
SELECT status FROM omni_replay('priv-3');
RESET ROLE;

-- An admin registers contracts and changes targets, but loads write only
-- into tables the extension owner owns, and never into its catalog
CREATE SCHEMA omni_regress_admin_s AUTHORIZATION omni_regress_admin;
SET ROLE omni_regress_admin;
SELECT * FROM omni_register_contract('{"$id": "omni://regress/priv/v1", "type": "object"}');
SELECT registered_by FROM omni_ingest.contract WHERE contract_ref = 'omni://regress/priv/v1';
CREATE TABLE omni_regress_admin_s.bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
CREATE TABLE omni_regress_admin_s.silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);
INSERT INTO omni_ingest.contract_target (contract_ref, bronze_table, silver_table, key_field, version_fields)
  VALUES ('omni://regress/priv/v1', 'omni_regress_admin_s.bronze', 'omni_regress_admin_s.silver',
          'ticket_id', '{updated_at,created_at}');
\set VERBOSITY terse
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-5', contract_ref => 'omni://regress/priv/v1');
UPDATE omni_ingest.contract_target
   SET bronze_table = 'omni_ingest.raw_ticket_event', silver_table = 'omni_ingest.batch_ledger'
 WHERE contract_ref = 'omni://regress/priv/v1';
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-6', contract_ref => 'omni://regress/priv/v1');
\set VERBOSITY default
DELETE FROM omni_ingest.contract_target WHERE contract_ref = 'omni://regress/priv/v1';
RESET ROLE;
SELECT count(*) AS failed_or_other_runs FROM omni_ingest.batch_ledger WHERE batch_id IN ('priv-5', 'priv-6');

-- A superuser can confine reads to listed directories (links resolved)
SET omni_ingest.allowed_directories = '/nonexistent-dir, /also/not/here';
\set VERBOSITY terse
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-dir-1');
\set VERBOSITY default
SET omni_ingest.allowed_directories = '/nonexistent-dir', :'root';
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-dir-2');
RESET omni_ingest.allowed_directories;
-- ... and only a superuser
SET ROLE omni_regress_loader;
SET omni_ingest.allowed_directories = '/';
RESET ROLE;

DROP SCHEMA omni_regress_admin_s CASCADE;
DELETE FROM omni_ingest.contract WHERE contract_ref = 'omni://regress/priv/v1';
DROP ROLE omni_regress_plain, omni_regress_reader, omni_regress_nofiles,
          omni_regress_loader, omni_regress_admin;
