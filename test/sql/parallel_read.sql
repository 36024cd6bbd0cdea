-- Files read by background workers (omni_ingest.read_workers, parallel.c)
-- load exactly as files the loading backend reads itself.  Two targets of
-- the ticket contract: every file is loaded into one with no read worker
-- and into the other with two, in spans of a few bytes (a line spans many
-- of them) up to a few lines (many lines to a span, versions of a ticket in
-- different spans).  Every load's counts, its ledger figures (bytes and
-- lines read, the file's SHA-256) and its reject rows must be the same, and
-- at the end both targets' rows.  The same where the workers only parse
-- and the loading backend judges: a Silver column of a domain type (its
-- input function reads values), a contract that refers to another schema.
-- Then what decides whether workers read.
\getenv root OMNI_TEST_ROOT
SET client_min_messages = warning;
SET search_path = public, omni_ingest;

SELECT omni_register_contract(
	(SELECT schema FROM omni_ingest.contract
	  WHERE contract_ref = 'omni://contracts/data/ticket/v1' ORDER BY version DESC LIMIT 1),
	'omni://regress/pr/' || t || '/v1')
  FROM unnest(ARRAY['serial', 'workers', 'domain-serial', 'domain-workers']) t;
SELECT omni_create_target('omni://regress/pr/' || t || '/v1', 'ticket_id', '{updated_at,created_at}',
                          'pr_' || t || '_bronze', 'pr_' || t || '_silver')
  FROM unnest(ARRAY['serial', 'workers']) t;
-- Silver's status of a domain type that refuses 'closed'
CREATE DOMAIN pr_status AS text CHECK (VALUE <> 'closed');
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['serial', 'workers'] LOOP
		EXECUTE format('CREATE TABLE pr_domain_%s_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL)', t);
		EXECUTE format('CREATE TABLE pr_domain_%s_silver (LIKE omni_ingest.ticket_fact INCLUDING ALL)', t);
		EXECUTE format('ALTER TABLE pr_domain_%s_silver ALTER COLUMN status TYPE pr_status', t);
		INSERT INTO omni_ingest.contract_target
		  VALUES (format('omni://regress/pr/domain-%s/v1', t), format('pr_domain_%s_bronze', t)::regclass,
		          format('pr_domain_%s_silver', t)::regclass, 'ticket_id', '{updated_at,created_at}');
	END LOOP;
END $$;
-- a contract that is the ticket contract by reference (dry runs only)
SELECT omni_register_contract('{"$ref": "omni://contracts/data/ticket/v1"}',
                              'omni://regress/pr/ref-' || t || '/v1')
  FROM unnest(ARRAY['serial', 'workers']) t;

-- Load a file into both targets, the first read by the backend, the other
-- by two workers in spans of span bytes.  The counts of the first run;
-- whether the second's counts, ledger figures and rejects are the same;
-- how many workers read each (serial / workers).
CREATE FUNCTION pg_temp.pr_load(file text, batch text, span int, dry boolean DEFAULT false,
  lim bigint DEFAULT NULL, pair text DEFAULT '',
  OUT status text, OUT total bigint, OUT valid bigint, OUT invalid bigint,
  OUT inserted bigint, OUT skipped bigint, OUT silver_inserted bigint,
  OUT silver_updated bigint, OUT blank_lines bigint, OUT bytes_read bigint,
  OUT same_run boolean, OUT same_rejects boolean, OUT workers text)
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	b record;
	ledger text := 'SELECT status, total, valid, invalid, inserted, skipped, silver_inserted,'
	               ' silver_updated, silver_unchanged, silver_superseded, errors, blank_lines,'
	               ' bytes_read, lines_read, file_sha256, file_size FROM omni_ingest.batch_ledger'
	               ' WHERE batch_id = $1 ORDER BY run_id DESC LIMIT 1';
	rejects text := 'SELECT line_number, byte_offset, line_bytes, raw_line, raw_truncated, reasons'
	                ' FROM omni_ingest.reject WHERE batch_id = $1';
	diff bigint;
BEGIN
	PERFORM set_config('omni_ingest.read_workers', '0', true);
	PERFORM omni_ingest_jsonl(file, batch || '-serial', dry, 'omni://regress/pr/' || pair || 'serial/v1', lim);
	PERFORM set_config('omni_ingest.read_workers', '2', true);
	PERFORM set_config('omni_ingest.read_span_bytes', span::text, true);
	PERFORM omni_ingest_jsonl(file, batch || '-workers', dry, 'omni://regress/pr/' || pair || 'workers/v1', lim);
	EXECUTE ledger INTO a USING batch || '-serial';
	EXECUTE ledger INTO b USING batch || '-workers';
	EXECUTE format('SELECT count(*) FROM ((%1$s EXCEPT ALL %2$s) UNION ALL (%2$s EXCEPT ALL %1$s)) d',
	               replace(rejects, '$1', quote_literal(batch || '-serial')),
	               replace(rejects, '$1', quote_literal(batch || '-workers')))
	  INTO diff;
	SELECT a.status, a.total, a.valid, a.invalid, a.inserted, a.skipped, a.silver_inserted,
	       a.silver_updated, a.blank_lines, a.bytes_read, a IS NOT DISTINCT FROM b, diff = 0
	  INTO status, total, valid, invalid, inserted, skipped, silver_inserted,
	       silver_updated, blank_lines, bytes_read, same_run, same_rejects;
	SELECT string_agg(l.read_workers::text, ' / ' ORDER BY l.batch_id) INTO workers
	  FROM omni_ingest.batch_ledger l WHERE l.batch_id IN (batch || '-serial', batch || '-workers');
END $$;

-- Both targets' rows, but for event ids, load times and batch ids' endings
CREATE FUNCTION pg_temp.pr_compare(pair text DEFAULT '', OUT bronze_rows bigint, OUT silver_rows bigint,
                                   OUT bronze_same boolean, OUT silver_same boolean)
LANGUAGE plpgsql AS $$
DECLARE
	layer text;
	cols text;
	n bigint;
	diff bigint;
BEGIN
	FOREACH layer IN ARRAY ARRAY['bronze', 'silver'] LOOP
		SELECT string_agg(CASE WHEN attname IN ('batch_id', 'last_batch_id')
		                       THEN format('regexp_replace(%I, ''-(serial|workers)$'', '''')', attname)
		                       ELSE quote_ident(attname) END, ', ' ORDER BY attnum)
		  INTO cols FROM pg_attribute
		 WHERE attrelid = format('pr_%sserial_%s', pair, layer)::regclass AND attnum > 0
		   AND NOT attisdropped AND attname NOT IN ('event_id', 'ingested_at', 'loaded_at');
		EXECUTE format('SELECT count(*) FROM %I', 'pr_' || pair || 'serial_' || layer) INTO n;
		EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$I EXCEPT ALL SELECT %1$s FROM %3$I)'
		               ' UNION ALL (SELECT %1$s FROM %3$I EXCEPT ALL SELECT %1$s FROM %2$I)) d',
		               cols, 'pr_' || pair || 'serial_' || layer, 'pr_' || pair || 'workers_' || layer)
		  INTO diff;
		IF layer = 'bronze' THEN
			bronze_rows := n;
			bronze_same := diff = 0;
		ELSE
			silver_rows := n;
			silver_same := diff = 0;
		END IF;
	END LOOP;
END $$;

\set tickets :root '/data/tickets.jsonl'
\set bad :root '/test/data/bad_lines.jsonl'
\set va :root '/test/data/versions_a.jsonl'
\set vb :root '/test/data/versions_b.jsonl'
\set ve :root '/test/data/versions_a_edited.jsonl'
\set many :root '/test/data/many.jsonl'

-- Every kind of bad line (a BOM, CRLF, blank lines, bytes that are not
-- UTF-8, a line too long, no final newline), in spans of 1 byte to most of
-- the file; versions of a ticket in different spans and files
SET omni_ingest.max_line_bytes = 3072;
SET omni_ingest.reject_line_bytes = 100;
SELECT * FROM pg_temp.pr_load(:'bad', 'bad-1', 1);
SELECT * FROM pg_temp.pr_load(:'bad', 'bad-7', 7);
SELECT * FROM pg_temp.pr_load(:'bad', 'bad-700', 700);
SELECT * FROM pg_temp.pr_load(:'bad', 'bad-4000', 4000);
RESET omni_ingest.reject_line_bytes;
RESET omni_ingest.max_line_bytes;
SELECT * FROM pg_temp.pr_load(:'tickets', 'tickets', 512);
SELECT * FROM pg_temp.pr_load(:'va', 'versions-a', 100);
SELECT * FROM pg_temp.pr_load(:'vb', 'versions-b', 333);
SELECT * FROM pg_temp.pr_load(:'ve', 'versions-edited', 64);
SELECT * FROM pg_temp.pr_load(:'many', 'many', 1000);
-- the same file under a new batch id: nothing new
SELECT * FROM pg_temp.pr_load(:'tickets', 'tickets-again', 2048);
-- a dry run (no fingerprints made), a limit that stops inside a span,
-- repeated members loaded as the last one
SELECT * FROM pg_temp.pr_load(:'tickets', 'tickets-dry', 512, dry => true);
SELECT * FROM pg_temp.pr_load(:'tickets', 'tickets-limit', 300, lim => 7);
SET omni_ingest.duplicate_keys = last_wins;
SELECT * FROM pg_temp.pr_load(:'bad', 'bad-last-wins', 50);
RESET omni_ingest.duplicate_keys;
SELECT * FROM pg_temp.pr_compare();

-- Judged by the loading backend, read by the workers: a domain column
-- (closed tickets are rejects, column_type), a schema by reference
SELECT * FROM pg_temp.pr_load(:'tickets', 'domain', 64, pair => 'domain-');
SELECT * FROM pg_temp.pr_load(:'bad', 'domain-bad', 100, pair => 'domain-');
SELECT * FROM pg_temp.pr_compare('domain_');
SELECT * FROM pg_temp.pr_load(:'tickets', 'ref', 64, dry => true, pair => 'ref-');

-- The rerun of a batch the workers loaded is the no-op it always is
SET omni_ingest.read_span_bytes = 64;
SELECT status, total, inserted
  FROM omni_ingest_jsonl(:'tickets', 'tickets-workers', contract_ref => 'omni://regress/pr/workers/v1');

-- Who reads: a file of one span, or no worker asked for, is read by the
-- backend; a run given the SHA-256 its file must have reads it itself
-- (the checksum is of the very bytes loaded); only a superuser sets
-- read_workers
SET omni_ingest.read_span_bytes = '1MB';
SELECT status, total FROM omni_ingest_jsonl(:'many', 'one-span', contract_ref => 'omni://regress/pr/workers/v1');
SET omni_ingest.read_span_bytes = 64;
SET omni_ingest.read_workers = 0;
SELECT status, total FROM omni_ingest_jsonl(:'many', 'no-workers', contract_ref => 'omni://regress/pr/workers/v1');
RESET omni_ingest.read_workers;
SELECT status, total FROM omni_ingest.ingest_asset(:'many', 'with-sha', false, 'omni://regress/pr/workers/v1',
       jsonb_build_object('expected_sha256', (SELECT file_sha256 FROM omni_ingest.batch_ledger
                                                WHERE batch_id = 'no-workers')));
SELECT status, total FROM omni_ingest.ingest_asset(:'many', 'without-sha', false, 'omni://regress/pr/workers/v1', '{}');
SELECT batch_id, read_workers FROM omni_ingest.batch_ledger
 WHERE batch_id IN ('one-span', 'no-workers', 'with-sha', 'without-sha') ORDER BY run_id;
CREATE ROLE pr_plain;
SET ROLE pr_plain;
SET omni_ingest.read_workers = 8;
RESET ROLE;
DROP ROLE pr_plain;

SELECT check_name, ok FROM omni_reconcile('bad-7-workers') WHERE NOT ok;
SELECT check_name, ok FROM omni_reconcile('tickets-workers') WHERE NOT ok;
RESET omni_ingest.read_span_bytes;

-- Clean up
SET omni_ingest.allow_drop_data = on;
DELETE FROM omni_ingest.contract_target WHERE contract_ref LIKE 'omni://regress/pr/%';
DELETE FROM omni_ingest.contract WHERE contract_ref LIKE 'omni://regress/pr/%';
DROP TABLE omni_ingest.pr_serial_bronze, omni_ingest.pr_serial_silver,
           omni_ingest.pr_workers_bronze, omni_ingest.pr_workers_silver,
           pr_domain_serial_bronze, pr_domain_serial_silver,
           pr_domain_workers_bronze, pr_domain_workers_silver;
DROP DOMAIN pr_status;
RESET omni_ingest.allow_drop_data;
RESET search_path;
