-- A run that fails midway leaves no Bronze, Silver or reject row behind, a
-- ledger row that says why, and a WARNING; the batch can then be rerun.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set summary 'batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- A Silver trigger that fails on one ticket near the middle of the file
CREATE FUNCTION fail_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.ticket_id = 'TKT-20260406-004195' THEN
    RAISE EXCEPTION 'simulated write failure for %', NEW.ticket_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fail_on_ticket BEFORE INSERT OR UPDATE ON omni_ingest.ticket_fact
  FOR EACH ROW EXECUTE FUNCTION fail_on_ticket();

SET omni_ingest.chunk_rows = 20;
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'fail-1');
SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event) AS bronze,
       (SELECT count(*) FROM omni_ingest.ticket_fact) AS silver,
       (SELECT count(*) FROM omni_ingest.reject) AS rejects;
SELECT batch_id, status, error_sqlstate, error_message, lines_read, errors
  FROM omni_ingest.batch_ledger WHERE batch_id = 'fail-1';
SELECT * FROM omni_reconcile('fail-1');

-- Fix the cause and run the same batch again
DROP TRIGGER fail_on_ticket ON omni_ingest.ticket_fact;
DROP FUNCTION fail_on_ticket();
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'fail-1');
RESET omni_ingest.chunk_rows;
SELECT status, count(*) FROM omni_ingest.batch_ledger WHERE batch_id = 'fail-1'
 GROUP BY status ORDER BY status;
SELECT check_name, ok FROM omni_reconcile('fail-1') WHERE check_name = 'verdict';

-- A run whose transaction is rolled back by the caller stays on record: its
-- "running" row was committed on its own, and the next call marks it
-- interrupted
\set many :root '/test/data/many.jsonl'
BEGIN;
SELECT batch_id, status, inserted FROM omni_ingest_jsonl(:'many', 'rolled-back');
ROLLBACK;
SELECT batch_id, status FROM omni_ingest.batch_ledger WHERE batch_id = 'rolled-back';
SELECT batch_id, status FROM omni_ingest_jsonl(:'many', 'after-rollback', dry_run => true);
SELECT batch_id, status, error_message FROM omni_ingest.batch_ledger
 WHERE batch_id = 'rolled-back';
SELECT count(*) AS bronze_rows FROM omni_ingest.raw_ticket_event WHERE batch_id = 'rolled-back';
-- An interrupted run does not claim the batch id
SELECT batch_id, status, inserted FROM omni_ingest_jsonl(:'many', 'rolled-back');

-- Under REPEATABLE READ the ledger row is written in the caller's
-- transaction: a rollback takes it away too
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT batch_id, status FROM omni_ingest_jsonl(:'many', 'rr-rolled-back', dry_run => true);
ROLLBACK;
SELECT count(*) AS rr_rows FROM omni_ingest.batch_ledger WHERE batch_id = 'rr-rolled-back';

-- Strict mode: the failure is raised, and still recorded
CREATE FUNCTION fail_always() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'simulated write failure' USING ERRCODE = 'check_violation'; END $$;
CREATE TRIGGER fail_always BEFORE INSERT ON omni_ingest.raw_ticket_event
  FOR EACH ROW EXECUTE FUNCTION fail_always();
SET omni_ingest.raise_on_failure = on;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT status FROM omni_ingest_jsonl(:'many', 'strict-1');
\set SHOW_CONTEXT errors
RESET omni_ingest.raise_on_failure;
DROP TRIGGER fail_always ON omni_ingest.raw_ticket_event;
DROP FUNCTION fail_always();
SELECT batch_id, status, error_sqlstate, error_message FROM omni_ingest.batch_ledger
 WHERE batch_id = 'strict-1';
