-- Load modes of omni_ingest.ingest_asset, the load behind a manifest's
-- asset: an incremental cursor per source and contract, late records under
-- each on_late_arrival policy, a backfill window, and the declared size and
-- SHA-256 checked on the very read that loads.  Every run reconciles.
\getenv root OMNI_TEST_ROOT
\set base :root '/test/data/load_base.jsonl'
\set late :root '/test/data/load_late.jsonl'
\set window :root '/test/data/load_window.jsonl'
\set seq :root '/test/data/load_seq.jsonl'
\set ticket 'omni://contracts/data/ticket/v1'
\set asum 'batch_id, status, total, valid, invalid, inserted, skipped, late, quarantined, outside_window, cursor_before, cursor_after'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.load_cursor,
         omni_ingest.quarantine, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;

-- Only the extension owner may call it
SELECT has_function_privilege('omni_ingest_loader',
         'omni_ingest.ingest_asset(text, text, boolean, text, jsonb)', 'EXECUTE') AS loader_may_call;

-- The cursor of a source starts at the highest value its first run applied;
-- a record before cursor_start is late, and applied by default
SELECT :asum FROM omni_ingest.ingest_asset(:'base', 'lm-base-apply', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "updated_at",
    "cursor_start": "2026-04-11T12:00:00Z"}');
SELECT source_id, contract_ref, cursor_field, cursor_value, batch_id,
       run_id = (SELECT run_id FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-base-apply') AS by_its_run
  FROM omni_ingest.load_cursor;
SELECT check_name, ok FROM omni_reconcile('lm-base-apply') WHERE check_name = 'verdict';

-- A dry run judges by the cursor and never moves it
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-dry', true, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "updated_at"}');
SELECT source_id, cursor_value, batch_id FROM omni_ingest.load_cursor;

-- on_late_arrival apply (the default): the 3 late records are written, the
-- record without updated_at is rejected, the cursor moves to line 5's value.
-- Line 2 is late although its text sorts after the cursor's: values compare
-- as Silver's updated_at column, timestamptz.
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-apply', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "updated_at"}');
SELECT source_id, cursor_value, batch_id FROM omni_ingest.load_cursor;
SELECT line_number, r->>'keyword' AS keyword, r->>'instance_path' AS at, r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'lm-late-apply' ORDER BY 1;
SELECT ticket_id, updated_at, last_batch_id FROM omni_ingest.ticket_fact ORDER BY ticket_id;
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('lm-late-apply');

-- on_late_arrival quarantine: the same 3 records are kept in the quarantine
-- table, with their batch, line and cursor value, and not in Bronze or Silver
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
SELECT :asum FROM omni_ingest.ingest_asset(:'base', 'lm-base-quarantine', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-quarantine", "cursor_field": "updated_at"}');
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-quarantine', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-quarantine", "cursor_field": "updated_at",
    "on_late_arrival": "quarantine"}');
SELECT run_id = (SELECT run_id FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-late-quarantine') AS its_run,
       batch_id, line_number, reason, cursor_value, record->>'ticket_id' AS ticket_id
  FROM omni_ingest.quarantine ORDER BY line_number;
SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = 'lm-late-quarantine') AS bronze,
       (SELECT string_agg(ticket_id, ', ' ORDER BY ticket_id) FROM omni_ingest.ticket_fact
         WHERE last_batch_id = 'lm-late-quarantine') AS silver;
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('lm-late-quarantine')
 WHERE check_name LIKE '%quarantine%' OR check_name LIKE 'late%' OR check_name = 'verdict';

-- on_late_arrival reject: the 3 records are reject rows, keyword late_arrival
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
SELECT :asum FROM omni_ingest.ingest_asset(:'base', 'lm-base-reject', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-reject", "cursor_field": "updated_at"}');
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-reject', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-reject", "cursor_field": "updated_at",
    "on_late_arrival": "reject", "cursor_end": "2026-04-15T08:00:00Z"}');
SELECT line_number, r->>'keyword' AS keyword, r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'lm-late-reject' ORDER BY 1;
-- cursor_end is exclusive: line 5 lay outside the window, so the cursor
-- moved to line 1's value
SELECT source_id, cursor_value, batch_id FROM omni_ingest.load_cursor ORDER BY source_id;
SELECT check_name, expected, actual, ok, detail FROM omni_reconcile('lm-late-reject')
 WHERE check_name LIKE 'late%' OR check_name LIKE 'valid%' OR check_name = 'verdict';

-- A rerun of a loaded batch is a no-op with the figures of its load
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-reject', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-reject", "cursor_field": "updated_at",
    "on_late_arrival": "reject", "cursor_end": "2026-04-15T08:00:00Z"}');

-- A backfill applies [start_at, end_at) by the record version (line 5's is
-- its created_at); the others are counted outside the window, neither
-- written nor rejected, and no cursor moves
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
SELECT :asum FROM omni_ingest.ingest_asset(:'window', 'lm-backfill', false, :'ticket',
  '{"load_mode": "backfill", "source_id": "lm-apply",
    "start_at": "2026-04-12T02:00:00+02:00", "end_at": "2026-04-14T00:00:00Z"}');
SELECT ticket_id, updated_at, created_at FROM omni_ingest.ticket_fact ORDER BY ticket_id;
SELECT check_name, expected, actual, ok FROM omni_reconcile('lm-backfill');
-- By cursor_field updated_at: line 5 has none and is rejected
SELECT :asum FROM omni_ingest.ingest_asset(:'window', 'lm-backfill-updated', false, :'ticket',
  '{"load_mode": "backfill", "cursor_field": "updated_at",
    "start_at": "2026-04-12T00:00:00Z", "end_at": "2026-04-14T00:00:00Z"}');
SELECT line_number, reasons->0->>'keyword' AS keyword, reasons->0->>'message' AS message
  FROM omni_ingest.reject WHERE batch_id = 'lm-backfill-updated';
SELECT check_name, ok FROM omni_reconcile('lm-backfill-updated') WHERE check_name = 'verdict';
SELECT source_id, cursor_value, batch_id FROM omni_ingest.load_cursor ORDER BY source_id;

-- A field without a Silver column compares as jsonb: numbers as numbers
-- (10 is past 3), a bound that is JSON read as JSON
SELECT contract_ref FROM omni_register_contract(
  '{"$id": "omni://regress/load-seq/v1", "type": "object", "properties": {"seq": {"type": "integer"}}}');
SELECT :asum FROM omni_ingest.ingest_asset(:'seq', 'lm-seq', true, 'omni://regress/load-seq/v1',
  '{"load_mode": "incremental_cursor", "source_id": "lm-seq", "cursor_field": "seq",
    "cursor_start": "3", "cursor_end": 10, "on_late_arrival": "reject"}');

-- The declared size and SHA-256 are those of the read that loads: a
-- mismatch fails the run, and nothing of it stays (not the cursor either)
SELECT encode(sha256(pg_read_binary_file(:'late')), 'hex') AS late_sha256,
       length(pg_read_binary_file(:'late')) AS late_size \gset
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
SELECT :asum FROM omni_ingest.ingest_asset(:'base', 'lm-base-checked', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-checked", "cursor_field": "updated_at"}');
-- (the WARNINGs name the file, whose path differs from run to run; the
-- ledger rows say the same)
SET client_min_messages = error;
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-checked', false, :'ticket',
  jsonb_build_object('load_mode', 'incremental_cursor', 'source_id', 'lm-checked',
                     'cursor_field', 'updated_at', 'on_late_arrival', 'quarantine',
                     'expected_sha256', repeat('0', 64), 'expected_size', :late_size));
SELECT status, error_sqlstate, error_message = format('file "%s" has SHA-256 %s, not the expected %s',
         :'late', :'late_sha256', repeat('0', 64)) AS names_both,
       file_sha256 = :'late_sha256' AS read_sha256, lines_read, cursor_before, cursor_after
  FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-late-checked';
SELECT (SELECT count(*) FROM omni_ingest.raw_ticket_event WHERE batch_id = 'lm-late-checked') AS bronze,
       (SELECT count(*) FROM omni_ingest.ticket_fact WHERE last_batch_id = 'lm-late-checked') AS silver,
       (SELECT count(*) FROM omni_ingest.reject WHERE batch_id = 'lm-late-checked') AS rejects,
       (SELECT count(*) FROM omni_ingest.quarantine WHERE batch_id = 'lm-late-checked') AS quarantined,
       (SELECT cursor_value FROM omni_ingest.load_cursor WHERE source_id = 'lm-checked') AS cursor;
-- A size that differs fails before a line is read; a dry run is checked too
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-checked', false, :'ticket',
  jsonb_build_object('load_mode', 'incremental_cursor', 'source_id', 'lm-checked',
                     'cursor_field', 'updated_at', 'expected_size', :late_size + 1));
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-checked-dry', true, :'ticket',
  jsonb_build_object('expected_sha256', repeat('0', 64)));
RESET client_min_messages;
SELECT batch_id, status, lines_read,
       replace(error_message, :'late', '<file>') AS error_message
  FROM omni_ingest.batch_ledger WHERE batch_id LIKE 'lm-late-checked%' ORDER BY run_id;
-- The declared figures, in upper case, match: the run loads
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-checked', false, :'ticket',
  jsonb_build_object('load_mode', 'incremental_cursor', 'source_id', 'lm-checked',
                     'cursor_field', 'updated_at', 'on_late_arrival', 'quarantine',
                     'expected_sha256', upper(:'late_sha256'), 'expected_size', :late_size));
SELECT check_name, ok FROM omni_reconcile('lm-late-checked') WHERE check_name = 'verdict';
-- A rerun of the loaded batch declaring other figures fails, and the load
-- stands
SET client_min_messages = error;
SELECT batch_id, status FROM omni_ingest.ingest_asset(:'late', 'lm-late-checked', false, :'ticket',
  jsonb_build_object('load_mode', 'incremental_cursor', 'source_id', 'lm-checked',
                     'cursor_field', 'updated_at', 'on_late_arrival', 'quarantine',
                     'expected_sha256', repeat('0', 64)));
RESET client_min_messages;
SELECT status, replace(error_message, :'late', '<file>') AS error_message
  FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-late-checked' ORDER BY run_id DESC LIMIT 2;
SELECT check_name, ok FROM omni_reconcile('lm-late-checked') WHERE check_name = 'verdict';

-- A write that fails (a Silver trigger) fails the run: no quarantine row,
-- and the cursor stays where it was
TRUNCATE omni_ingest.raw_ticket_event, omni_ingest.ticket_fact;
SELECT :asum FROM omni_ingest.ingest_asset(:'base', 'lm-base-trigger', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-trigger", "cursor_field": "updated_at"}');
CREATE FUNCTION lm_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'simulated write failure' USING ERRCODE = 'check_violation'; END $$;
CREATE TRIGGER lm_fail BEFORE INSERT OR UPDATE ON omni_ingest.ticket_fact
  FOR EACH ROW EXECUTE FUNCTION lm_fail();
SELECT :asum FROM omni_ingest.ingest_asset(:'late', 'lm-late-trigger', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-trigger", "cursor_field": "updated_at",
    "on_late_arrival": "quarantine"}');
DROP TRIGGER lm_fail ON omni_ingest.ticket_fact;
DROP FUNCTION lm_fail();
SELECT status, error_message, late, quarantined, cursor_before, cursor_after
  FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-late-trigger';
SELECT (SELECT count(*) FROM omni_ingest.quarantine WHERE batch_id = 'lm-late-trigger') AS quarantined,
       (SELECT cursor_value || ' ' || batch_id FROM omni_ingest.load_cursor
         WHERE source_id = 'lm-trigger') AS cursor;

-- Bad calls raise before anything is read or written
\set VERBOSITY default
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "created_at"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', true, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "created_at"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"load_mode": "full_snapshot", "window": {}}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"load_mode": "cdc"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"load_mode": "incremental_cursor", "cursor_field": "updated_at"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"load_mode": "incremental_cursor", "source_id": "lm-apply", "cursor_field": "updated_at",
    "cursor_start": "the day before yesterday"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"on_late_arrival": "drop"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket',
  '{"expected_sha256": "abc"}');
SELECT status FROM omni_ingest.ingest_asset(:'late', 'lm-bad', false, :'ticket', '[]');
\set VERBOSITY terse
SELECT count(*) AS bad_runs FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-bad';

-- The ledger records each run's load, its figures and cursors; a run of
-- omni_ingest_jsonl has none
SELECT batch_id, status, dry_run, late, quarantined, outside_window,
       load->>'load_mode' AS load_mode, load->>'on_late_arrival' AS on_late_arrival,
       cursor_before, cursor_after
  FROM omni_ingest.batch_ledger ORDER BY run_id;
SELECT batch_id, status FROM omni_ingest_jsonl(:'base', 'lm-jsonl');
SELECT batch_id, status, late, quarantined, outside_window, load, cursor_before, cursor_after
  FROM omni_ingest.batch_ledger WHERE batch_id = 'lm-jsonl';
SELECT check_name, ok FROM omni_reconcile('lm-jsonl');

TRUNCATE omni_ingest.load_cursor, omni_ingest.quarantine;
DELETE FROM omni_ingest.contract WHERE contract_ref = 'omni://regress/load-seq/v1';
