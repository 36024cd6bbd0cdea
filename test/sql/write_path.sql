-- The two write paths write the same rows and count the same.  Each pair
-- of targets below has the same contract and tables; the same files are
-- loaded into both, one with omni_ingest.write_path = sql (the SQL
-- statements), the other with auto (the direct path, direct.c); every
-- load's counts and, at the end, both tables' rows (EXCEPT, both ways)
-- must be the same.  Loads run with one-line chunks too, so that a row
-- written by one chunk is replaced by the next; a replay repairs a
-- damaged row on both paths.  Then what tells the paths apart, and a
-- table the direct path leaves to the SQL path.
\getenv root OMNI_TEST_ROOT
SET client_min_messages = warning;
-- omni_create_target's tables are in omni_ingest, the others here
SET search_path = public, omni_ingest;

-- Register a contract twice ('<name>-sql' and '<name>-auto'), from the
-- schema of a registered one, each with its own Bronze and Silver
CREATE FUNCTION pg_temp.wp_pair(base text, name text, key text, versions text[],
                                omit text[] DEFAULT NULL, formats boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	path text;
BEGIN
	FOREACH path IN ARRAY ARRAY['sql', 'auto'] LOOP
		PERFORM omni_register_contract(
			(SELECT schema FROM omni_ingest.contract WHERE contract_ref = base ORDER BY version DESC LIMIT 1),
			format('omni://regress/wp/%s-%s/v1', name, path), formats);
		PERFORM omni_create_target(format('omni://regress/wp/%s-%s/v1', name, path), key, versions,
		                           format('wp_%s_%s_bronze', name, path),
		                           format('wp_%s_%s_silver', name, path), omit);
	END LOOP;
END $$;

-- Load a file into both targets of a pair, each on its path; the counts
-- of the SQL path's run, and whether the direct path's are the same
CREATE FUNCTION pg_temp.wp_load(name text, file text, batch text,
  OUT status text, OUT total bigint, OUT valid bigint, OUT invalid bigint,
  OUT inserted bigint, OUT skipped bigint, OUT silver_inserted bigint,
  OUT silver_updated bigint, OUT silver_unchanged bigint, OUT silver_superseded bigint,
  OUT same_counts boolean)
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	b record;
BEGIN
	PERFORM set_config('omni_ingest.write_path', 'sql', true);
	SELECT r.status, r.total, r.valid, r.invalid, r.inserted, r.skipped, r.silver_inserted,
	       r.silver_updated, r.silver_unchanged, r.silver_superseded, r.errors, r.blank_lines
	  INTO a FROM omni_ingest_jsonl(file, name || '-' || batch || '-sql',
	                                contract_ref => format('omni://regress/wp/%s-sql/v1', name)) r;
	PERFORM set_config('omni_ingest.write_path', 'auto', true);
	SELECT r.status, r.total, r.valid, r.invalid, r.inserted, r.skipped, r.silver_inserted,
	       r.silver_updated, r.silver_unchanged, r.silver_superseded, r.errors, r.blank_lines
	  INTO b FROM omni_ingest_jsonl(file, name || '-' || batch || '-auto',
	                                contract_ref => format('omni://regress/wp/%s-auto/v1', name)) r;
	SELECT a.status, a.total, a.valid, a.invalid, a.inserted, a.skipped, a.silver_inserted,
	       a.silver_updated, a.silver_unchanged, a.silver_superseded, a IS NOT DISTINCT FROM b
	  INTO status, total, valid, invalid, inserted, skipped, silver_inserted,
	       silver_updated, silver_unchanged, silver_superseded, same_counts;
END $$;

-- Replay a batch of both targets of a pair, each on its path
CREATE FUNCTION pg_temp.wp_replay(batch text, OUT status text, OUT silver_updated bigint,
                                  OUT silver_unchanged bigint, OUT same_counts boolean)
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	b record;
BEGIN
	PERFORM set_config('omni_ingest.write_path', 'sql', true);
	SELECT r.status, r.total, r.silver_inserted, r.silver_updated, r.silver_unchanged, r.silver_superseded
	  INTO a FROM omni_replay(batch || '-sql') r;
	PERFORM set_config('omni_ingest.write_path', 'auto', true);
	SELECT r.status, r.total, r.silver_inserted, r.silver_updated, r.silver_unchanged, r.silver_superseded
	  INTO b FROM omni_replay(batch || '-auto') r;
	SELECT a.status, a.silver_updated, a.silver_unchanged, a IS NOT DISTINCT FROM b
	  INTO status, silver_updated, silver_unchanged, same_counts;
END $$;

-- Compare the tables of a pair: every column but event_id and the load
-- times, batch ids without their -sql / -auto ending
CREATE FUNCTION pg_temp.wp_compare(name text, OUT bronze_rows bigint, OUT silver_rows bigint,
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
		                       THEN format('regexp_replace(%I, ''-(sql|auto)$'', '''')', attname)
		                       ELSE quote_ident(attname) END, ', ' ORDER BY attnum)
		  INTO cols FROM pg_attribute
		 WHERE attrelid = format('wp_%s_sql_%s', name, layer)::regclass AND attnum > 0
		   AND NOT attisdropped AND attname NOT IN ('event_id', 'ingested_at', 'loaded_at');
		EXECUTE format('SELECT count(*) FROM %I', format('wp_%s_sql_%s', name, layer)) INTO n;
		EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$I EXCEPT ALL SELECT %1$s FROM %3$I)'
		               ' UNION ALL (SELECT %1$s FROM %3$I EXCEPT ALL SELECT %1$s FROM %2$I)) d',
		               cols, format('wp_%s_sql_%s', name, layer), format('wp_%s_auto_%s', name, layer))
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

-- Tickets: the sample, versions across and within batches, an edited
-- file (same version, other content), bad lines; then the same files in
-- one-line chunks and under new batch ids
SELECT pg_temp.wp_pair('omni://contracts/data/ticket/v1', 'ticket', 'ticket_id', '{updated_at,created_at}');
\set tickets :root '/data/tickets.jsonl'
\set va :root '/test/data/versions_a.jsonl'
\set vb :root '/test/data/versions_b.jsonl'
\set ve :root '/test/data/versions_a_edited.jsonl'
\set many :root '/test/data/many.jsonl'
\set bad :root '/test/data/bad_lines.jsonl'
SELECT * FROM pg_temp.wp_load('ticket', :'tickets', 'tickets');
SELECT * FROM pg_temp.wp_load('ticket', :'va', 'versions-a');
SELECT * FROM pg_temp.wp_load('ticket', :'vb', 'versions-b');
SELECT * FROM pg_temp.wp_load('ticket', :'ve', 'versions-edited');
SELECT * FROM pg_temp.wp_load('ticket', :'many', 'many');
SELECT * FROM pg_temp.wp_load('ticket', :'bad', 'bad');
SELECT * FROM pg_temp.wp_load('ticket', :'tickets', 'tickets-again');
SELECT * FROM pg_temp.wp_compare('ticket');

-- The same files into another pair, a line or two per chunk: a row one
-- chunk wrote is replaced by the next chunk's line
SELECT pg_temp.wp_pair('omni://contracts/data/ticket/v1', 'chunked', 'ticket_id', '{updated_at,created_at}');
SET omni_ingest.chunk_rows = 1;
SELECT * FROM pg_temp.wp_load('chunked', :'va', 'versions-a');
SELECT * FROM pg_temp.wp_load('chunked', :'vb', 'versions-b');
SELECT * FROM pg_temp.wp_load('chunked', :'ve', 'versions-edited');
SET omni_ingest.chunk_rows = 2;
SELECT * FROM pg_temp.wp_load('chunked', :'tickets', 'tickets');
RESET omni_ingest.chunk_rows;
SELECT * FROM pg_temp.wp_compare('chunked');

-- A replay repairs a damaged Silver row on both paths (counted as updated)
UPDATE wp_ticket_sql_silver SET subject = 'damaged'
 WHERE ticket_id = (SELECT min(ticket_id) FROM wp_ticket_sql_silver WHERE last_batch_id = 'ticket-tickets-sql');
UPDATE wp_ticket_auto_silver SET subject = 'damaged'
 WHERE ticket_id = (SELECT min(ticket_id) FROM wp_ticket_auto_silver WHERE last_batch_id = 'ticket-tickets-auto');
SELECT * FROM pg_temp.wp_replay('ticket-tickets');
SELECT * FROM pg_temp.wp_compare('ticket');
SELECT count(*) AS damaged_rows FROM wp_ticket_auto_silver WHERE subject = 'damaged';

-- Values of many types, each filled its own way by the direct path, and
-- the same with an integer[] or a domain column, which leave every row to
-- jsonb_to_record; then date-times that made PostgreSQL's parser raise
SELECT omni_register_contract('{"type": "object", "required": ["id"]}', 'omni://regress/wp/any/v1');
CREATE TYPE wp_mood AS ENUM ('happy', 'sad');
CREATE DOMAIN wp_posint AS integer CHECK (VALUE > 0);
CREATE FUNCTION pg_temp.wp_typed(name text, extra text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	path text;
BEGIN
	FOREACH path IN ARRAY ARRAY['sql', 'auto'] LOOP
		-- Bronze of the shape the writer fills, without a column named as the key
		EXECUTE format($t$CREATE TABLE %I (
			event_id bigint GENERATED ALWAYS AS IDENTITY, source_id text COLLATE "C" NOT NULL,
			batch_id text COLLATE "C" NOT NULL, payload jsonb NOT NULL,
			source_fingerprint text COLLATE "C" NOT NULL, line_number bigint NOT NULL,
			ingested_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source_id, source_fingerprint))$t$,
			format('wp_%s_%s_bronze', name, path));
		EXECUTE format('CREATE INDEX ON %I (batch_id)', format('wp_%s_%s_bronze', name, path));
		EXECUTE format($t$CREATE TABLE %I (
			id text PRIMARY KEY, source_id text, label text NOT NULL, at timestamptz,
			n_int integer, n_big bigint, n_small smallint, n_num numeric(6,2),
			n_real real, n_dbl double precision, flag boolean, tags text[],
			code varchar(3), doc jsonb, day date, local_at timestamp, mood wp_mood %s,
			record_version timestamptz NOT NULL, source_fingerprint text NOT NULL,
			last_batch_id text NOT NULL, last_line_number bigint NOT NULL,
			loaded_at timestamptz NOT NULL DEFAULT now())$t$,
			format('wp_%s_%s_silver', name, path), extra);
		PERFORM omni_register_contract('{"type": "object", "required": ["id"]}',
		                               format('omni://regress/wp/%s-%s/v1', name, path));
		INSERT INTO omni_ingest.contract_target
		  VALUES (format('omni://regress/wp/%s-%s/v1', name, path), format('wp_%s_%s_bronze', name, path),
		          format('wp_%s_%s_silver', name, path), 'id', '{at}');
	END LOOP;
END $$;
SELECT pg_temp.wp_typed('typed', '');
SELECT pg_temp.wp_typed('array', ', nums integer[]');
SELECT pg_temp.wp_typed('domain', ', pos wp_posint');
\set values :root '/test/data/hostile_values.jsonl'
SELECT * FROM pg_temp.wp_load('typed', :'values', 'values');
SELECT * FROM pg_temp.wp_load('array', :'values', 'values');
SELECT * FROM pg_temp.wp_load('domain', :'values', 'values');
SET omni_ingest.duplicate_keys = last_wins;
SELECT * FROM pg_temp.wp_load('typed', :'values', 'values-last-wins');
SELECT * FROM pg_temp.wp_load('array', :'values', 'values-last-wins');
SELECT * FROM pg_temp.wp_load('domain', :'values', 'values-last-wins');
RESET omni_ingest.duplicate_keys;
-- what the direct path filled
SELECT id, label, at, n_int, n_big, n_small, n_num, n_real, n_dbl, flag, tags, code, doc, day, local_at, mood
  FROM wp_typed_auto_silver ORDER BY id;
SELECT * FROM pg_temp.wp_compare('typed');
SELECT * FROM pg_temp.wp_compare('array');
SELECT * FROM pg_temp.wp_compare('domain');
SELECT pg_temp.wp_pair('omni://contracts/data/ticket/v1', 'loose', 'ticket_id', '{updated_at,created_at}',
                       formats => false);
\set datetimes :root '/test/data/hostile_datetimes.jsonl'
SELECT * FROM pg_temp.wp_load('loose', :'datetimes', 'datetimes');
SELECT * FROM pg_temp.wp_compare('loose');

-- The asset contracts, whose tables omni_create_target made: documents
-- keyed by source_id, calls, videos
SELECT pg_temp.wp_pair('omni://contracts/data/doc_asset/v1', 'doc', 'source_id', '{ingest_ts}', '{source_fingerprint}');
SELECT pg_temp.wp_pair('omni://contracts/data/audio_asset/v1', 'audio', 'call_id', '{ingest_ts}');
SELECT pg_temp.wp_pair('omni://contracts/data/video_asset/v1', 'video', 'video_id', '{ingest_ts}');
\set docs :root '/data/doc_assets.jsonl'
\set calls :root '/data/audio_assets.jsonl'
\set videos :root '/data/video_assets.jsonl'
SELECT * FROM pg_temp.wp_load('doc', :'docs', 'docs');
SELECT * FROM pg_temp.wp_load('audio', :'calls', 'calls');
SELECT * FROM pg_temp.wp_load('video', :'videos', 'videos');
SET omni_ingest.chunk_rows = 3;
SELECT * FROM pg_temp.wp_load('doc', :'docs', 'docs-again');
SELECT * FROM pg_temp.wp_load('video', :'videos', 'videos-again');
RESET omni_ingest.chunk_rows;
SELECT * FROM pg_temp.wp_compare('doc');
SELECT * FROM pg_temp.wp_compare('audio');
SELECT * FROM pg_temp.wp_compare('video');

-- What tells the paths apart: the SQL insert draws an event_id for every
-- line it offers Bronze, skipped or not; the direct path only for the rows
-- it inserts, so its identity has no gaps
SELECT (SELECT count(*) FROM wp_ticket_sql_bronze) AS bronze_rows,
       pg_sequence_last_value(pg_get_serial_sequence('wp_ticket_sql_bronze', 'event_id')) AS sql_last_event_id,
       pg_sequence_last_value(pg_get_serial_sequence('wp_ticket_auto_bronze', 'event_id')) AS auto_last_event_id;

-- A table the direct path does not write keeps the SQL path: with a
-- trigger, the auto target's Bronze draws an event_id for every line
-- offered again
CREATE FUNCTION pg_temp.wp_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER wp_noop BEFORE INSERT ON wp_ticket_auto_bronze FOR EACH ROW EXECUTE FUNCTION pg_temp.wp_noop();
SELECT pg_sequence_last_value(pg_get_serial_sequence('wp_ticket_auto_bronze', 'event_id')) AS before \gset
SELECT * FROM pg_temp.wp_load('ticket', :'tickets', 'tickets-trigger');
SELECT pg_sequence_last_value(pg_get_serial_sequence('wp_ticket_auto_bronze', 'event_id')) - :before
       AS event_ids_drawn;
DROP TRIGGER wp_noop ON wp_ticket_auto_bronze;
SELECT * FROM pg_temp.wp_compare('ticket');

-- Clean up
SET omni_ingest.allow_drop_data = on;
DELETE FROM omni_ingest.contract_target WHERE contract_ref LIKE 'omni://regress/wp/%';
DELETE FROM omni_ingest.contract WHERE contract_ref LIKE 'omni://regress/wp/%';
DO $$
DECLARE
	t text;
BEGIN
	FOR t IN SELECT oid::regclass::text FROM pg_class WHERE relname ~ '^wp_.*_(bronze|silver)$' AND relkind = 'r' LOOP
		EXECUTE format('DROP TABLE %s', t);
	END LOOP;
END $$;
DROP TYPE wp_mood;
DROP DOMAIN wp_posint;
RESET omni_ingest.allow_drop_data;
RESET search_path;
