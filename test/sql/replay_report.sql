-- omni_replay re-derives Silver from a batch's Bronze rows; the second
-- replay changes nothing.  omni_ingest_report writes a Markdown report.
\getenv root OMNI_TEST_ROOT
\set tickets :root '/data/tickets.jsonl'
\set summary 'batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'batch-20260415-001');

-- Damage Silver the way a faulty mapping would: two rows lose their subject
-- and one row is deleted
UPDATE omni_ingest.ticket_fact SET subject = NULL
 WHERE ticket_id IN ('TKT-20260401-004101', 'TKT-20260401-004102');
DELETE FROM omni_ingest.ticket_fact WHERE ticket_id = 'TKT-20260401-004103';
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('batch-20260415-001') WHERE NOT ok;

-- Replay: the deleted row comes back, the damaged ones are rewritten
SELECT :summary FROM omni_replay('batch-20260415-001');
SELECT ticket_id, subject IS NOT NULL AS has_subject FROM omni_ingest.ticket_fact
 WHERE ticket_id IN ('TKT-20260401-004101', 'TKT-20260401-004102', 'TKT-20260401-004103')
 ORDER BY 1;
SELECT check_name, expected, actual, ok FROM omni_reconcile('batch-20260415-001');

-- A second replay writes nothing
CREATE TEMP TABLE before AS
  SELECT ticket_id, xmin::text AS row_xmin FROM omni_ingest.ticket_fact;
SELECT :summary FROM omni_replay('batch-20260415-001');
SELECT count(*) AS rows_rewritten
  FROM omni_ingest.ticket_fact f JOIN before b USING (ticket_id)
 WHERE f.xmin::text <> b.row_xmin;
SELECT run_id, status, loaded_run_id, path IS NULL AS no_file
  FROM omni_ingest.batch_ledger ORDER BY run_id;

-- Errors
SELECT status FROM omni_replay('no-such-batch');
SELECT status FROM omni_replay(NULL);

-- The report, less the lines that name paths and times
SELECT line FROM regexp_split_to_table(omni_ingest_report('batch-20260415-001'), E'\n') AS line
 WHERE line !~ '^\| (file \||started|duration|run by|[0-9]+ \|)';

-- A failed batch: the report says to rerun after a fix
CREATE FUNCTION fail_always() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'disk quota exceeded (simulated)' USING ERRCODE = 'disk_full'; END $$;
CREATE TRIGGER fail_always BEFORE INSERT ON omni_ingest.raw_ticket_event
  FOR EACH ROW EXECUTE FUNCTION fail_always();
SELECT status FROM omni_ingest_jsonl(:'tickets', 'batch-failing');
DROP TRIGGER fail_always ON omni_ingest.raw_ticket_event;
DROP FUNCTION fail_always();
SELECT line FROM regexp_split_to_table(omni_ingest_report('batch-failing'), E'\n') AS line
 WHERE line ~ '^(\*\*|Not reconciled|\| status)';
SELECT omni_ingest_report('no-such-batch');
