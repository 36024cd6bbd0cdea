-- Full validated ingest against COPY, measured side by side in one run.
--
--   psql -X -v rows=200000 -v datadir=/abs/path/to/data -v workdir=/abs/writable/dir -f bench/ingest_bench.sql
--
-- Builds a JSON Lines file of :rows valid tickets (the sample's valid
-- tickets, renumbered), then times, on that file:
--   copy_text   COPY into a text column
--   copy_jsonb  COPY into a jsonb column (the baseline: 1.00)
--   ingest      omni_ingest_jsonl into empty Bronze and Silver
--   rerun       the same call again (already_loaded: hashes the file)
--   reload      the same file under a new batch id (every line skipped/unchanged)
--   dry_run     omni_ingest_jsonl(..., dry_run => true)
-- and the backend's peak resident memory (VmHWM) after a load of the whole
-- file and after a load of a tenth of it, each in a fresh backend.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 200000
\endif
\set sample :datadir '/tickets.jsonl'
\set big :workdir '/bench_tickets.jsonl'
\set small :workdir '/bench_tickets_small.jsonl'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS omni_ingest;
SET omni_ingest.allow_drop_data = on;
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;

-- The file: valid sample tickets, renumbered to :rows distinct tickets
CREATE TEMP TABLE sample_line (line text);
COPY sample_line FROM :'sample' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE TEMP TABLE sample AS
  SELECT row_number() OVER () AS n, line::jsonb AS t FROM sample_line
   WHERE line ~ '^\{' AND line ~ '\}$'
     AND omni_contract_validate('omni://contracts/data/ticket/v1', line::jsonb)
     AND line::jsonb->>'ticket_id' NOT IN ('TKT-20260413-005001');
SELECT count(*) AS sample_tickets FROM sample \gset
COPY (SELECT jsonb_set(s.t, '{ticket_id}',
                       to_jsonb(format('TKT-%s-%s', 20260301 + g / 900000, lpad((g % 900000)::text, 6, '0'))))::text
        FROM generate_series(1, :rows) g JOIN sample s ON s.n = 1 + g % :sample_tickets)
  TO :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
COPY (SELECT jsonb_set(s.t, '{ticket_id}',
                       to_jsonb(format('TKT-%s-%s', 20260301 + g / 900000, lpad((g % 900000)::text, 6, '0'))))::text
        FROM generate_series(1, :rows / 10) g JOIN sample s ON s.n = 1 + g % :sample_tickets)
  TO :'small' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
SELECT pg_size_pretty((pg_stat_file(:'big')).size) AS file_size, :rows AS tickets;

-- Regular (logged) tables, like Bronze and Silver
DROP TABLE IF EXISTS public.bench_copy_text, public.bench_copy_jsonb;
CREATE TABLE public.bench_copy_text (line text);
CREATE TABLE public.bench_copy_jsonb (doc jsonb);
CREATE TEMP TABLE timing (what text, ms numeric);

CREATE FUNCTION pg_temp.ms(t0 timestamptz) RETURNS numeric LANGUAGE sql AS
$$ SELECT round(extract(epoch FROM clock_timestamp() - t0) * 1000, 1) $$;

SELECT clock_timestamp() AS t0 \gset
COPY public.bench_copy_text FROM :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO timing SELECT 'copy_text', pg_temp.ms(:'t0');

SELECT clock_timestamp() AS t0 \gset
COPY public.bench_copy_jsonb FROM :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO timing SELECT 'copy_jsonb', pg_temp.ms(:'t0');

SELECT clock_timestamp() AS t0 \gset
SELECT status, total, valid, inserted, silver_inserted FROM omni_ingest_jsonl(:'big', 'bench-1');
INSERT INTO timing SELECT 'ingest', pg_temp.ms(:'t0');

SELECT clock_timestamp() AS t0 \gset
SELECT status FROM omni_ingest_jsonl(:'big', 'bench-1');
INSERT INTO timing SELECT 'rerun', pg_temp.ms(:'t0');

SELECT clock_timestamp() AS t0 \gset
SELECT status, skipped, silver_unchanged FROM omni_ingest_jsonl(:'big', 'bench-2');
INSERT INTO timing SELECT 'reload', pg_temp.ms(:'t0');

SELECT clock_timestamp() AS t0 \gset
SELECT status, valid FROM omni_ingest_jsonl(:'big', 'bench-dry', dry_run => true);
INSERT INTO timing SELECT 'dry_run', pg_temp.ms(:'t0');

SELECT what, ms, round(ms / (SELECT ms FROM timing WHERE what = 'copy_jsonb'), 2) AS x_copy_jsonb
  FROM timing ORDER BY ctid;
DROP TABLE public.bench_copy_text, public.bench_copy_jsonb;

-- Peak backend memory is measured by bench/ingest_bench.sh, which samples
-- the loading backend's private memory (RssAnon) from outside.
