-- omni_ingest_jsonl_resumable commits every N lines with a checkpoint and,
-- called again after a failure, continues from the checkpoint: the result
-- is the same as one uninterrupted load, with no line loaded twice.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- A write failure in the third segment (lines 101..150)
CREATE FUNCTION fail_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.ticket_id = 'TKT-20260407-004221' THEN
    RAISE EXCEPTION 'simulated write failure for %', NEW.ticket_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fail_on_ticket BEFORE INSERT OR UPDATE ON omni_ingest.ticket_fact
  FOR EACH ROW EXECUTE FUNCTION fail_on_ticket();
\set SHOW_CONTEXT never
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-1', commit_every => 50);
\set SHOW_CONTEXT errors

-- Two segments stayed; the ledger row keeps their checkpoint
SELECT batch_id, status, checkpoint_line, total, valid, invalid, inserted
  FROM omni_ingest.batch_ledger WHERE batch_id = 'resumable-1';
SELECT count(*) AS bronze_rows, max(line_number) AS last_line
  FROM omni_ingest.raw_ticket_event WHERE batch_id = 'resumable-1';

-- A resumed run reads the file of the call: a ledger row that names another
-- path (edited here by a superuser) is refused, and nothing is read
UPDATE omni_ingest.batch_ledger SET path = '/etc/passwd' WHERE batch_id = 'resumable-1';
\set VERBOSITY terse
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-1', commit_every => 50);
\set VERBOSITY default
SELECT status, checkpoint_line, total, lines_read
  FROM omni_ingest.batch_ledger WHERE batch_id = 'resumable-1';
UPDATE omni_ingest.batch_ledger SET path = :'tickets' WHERE batch_id = 'resumable-1';

-- Fixed: the next call resumes the run (marked interrupted by the call above)
DROP TRIGGER fail_on_ticket ON omni_ingest.ticket_fact;
DROP FUNCTION fail_on_ticket();
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-1', commit_every => 50);
SELECT run_id, batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted,
       silver_updated, silver_unchanged, silver_superseded, blank_lines, lines_read,
       bytes_read, checkpoint_line, file_sha256
  FROM omni_ingest.batch_ledger WHERE batch_id = 'resumable-1';
SELECT count(*) = count(DISTINCT (source_id, source_fingerprint)) AS bronze_once,
       count(*) AS bronze_rows FROM omni_ingest.raw_ticket_event;
SELECT count(*) AS reject_rows, count(DISTINCT line_number) AS distinct_lines
  FROM omni_ingest.reject WHERE batch_id = 'resumable-1';
SELECT check_name, expected, actual, ok FROM omni_reconcile('resumable-1');

-- Again: already loaded; other input under the batch id is refused
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-1', commit_every => 50);
\set other :root '/test/data/many.jsonl'
CALL omni_ingest_jsonl_resumable(:'other', 'resumable-1');

-- A hostile search_path reaches none of the extension's SQL, in no segment:
-- evil.int8 would stand in for pg_catalog.int8 in every cast to int8
CREATE SCHEMA evil;
CREATE TABLE evil.calls (value bigint);
CREATE FUNCTION evil.pwn(v pg_catalog.int8) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO evil.calls VALUES (v);
  RETURN true;
END $$;
CREATE DOMAIN evil.int8 AS pg_catalog.int8 CHECK (evil.pwn(VALUE));
SET search_path = evil, pg_catalog, public;
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-3', commit_every => 20);
RESET search_path;
SELECT count(*) AS pwn_calls FROM evil.calls;
SELECT status, total, checkpoint_line FROM omni_ingest.batch_ledger WHERE batch_id = 'resumable-3';
\set VERBOSITY terse
DROP SCHEMA evil CASCADE;
\set VERBOSITY default

-- Bad calls
BEGIN;
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-2');
ROLLBACK;
CALL omni_ingest_jsonl_resumable(:'tickets', 'resumable-2', commit_every => 0);
CALL omni_ingest_jsonl_resumable('/nonexistent/tickets.jsonl', 'resumable-2');
SELECT count(*) AS resumable_2_runs FROM omni_ingest.batch_ledger WHERE batch_id = 'resumable-2';
