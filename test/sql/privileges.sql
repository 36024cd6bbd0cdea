-- Reading a server file takes what COPY FROM a file takes: superuser or the
-- privileges of pg_read_server_files.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/test/data/many.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;
CREATE ROLE omni_regress_plain;
CREATE ROLE omni_regress_reader IN ROLE pg_read_server_files;

-- Not callable by PUBLIC at all
SET ROLE omni_regress_plain;
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-1');
RESET ROLE;

-- EXECUTE alone is not enough to make the server read a file
GRANT EXECUTE ON FUNCTION omni_ingest_jsonl(text, text, boolean, text, bigint)
  TO omni_regress_plain, omni_regress_reader;
SET ROLE omni_regress_plain;
SELECT status FROM omni_ingest_jsonl('/srv/drop/tickets.jsonl', 'priv-2');
RESET ROLE;

-- With pg_read_server_files and write access to the tables, it loads
GRANT INSERT, SELECT, UPDATE ON ALL TABLES IN SCHEMA omni_ingest TO omni_regress_reader;
SET ROLE omni_regress_reader;
SELECT status, total, valid, inserted FROM omni_ingest_jsonl(:'tickets', 'priv-3');
SELECT check_name, ok FROM omni_reconcile('priv-3') WHERE check_name = 'verdict';
RESET ROLE;
SELECT run_by FROM omni_ingest.batch_ledger WHERE batch_id = 'priv-3';

-- A superuser can confine reads to listed directories (links resolved)
SET omni_ingest.allowed_directories = '/nonexistent-dir, /also/not/here';
\set VERBOSITY terse
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-dir-1');
\set VERBOSITY default
SET omni_ingest.allowed_directories = '/nonexistent-dir', :'root';
SELECT status FROM omni_ingest_jsonl(:'tickets', 'priv-dir-2');
RESET omni_ingest.allowed_directories;
-- ... and only a superuser
SET ROLE omni_regress_reader;
SET omni_ingest.allowed_directories = '/';
RESET ROLE;

REVOKE ALL ON ALL TABLES IN SCHEMA omni_ingest FROM omni_regress_reader;
REVOKE EXECUTE ON FUNCTION omni_ingest_jsonl(text, text, boolean, text, bigint)
  FROM omni_regress_plain, omni_regress_reader;
DROP ROLE omni_regress_plain;
DROP ROLE omni_regress_reader;
