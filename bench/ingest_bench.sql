-- Full validated ingest against COPY and against a set-based SQL pipeline,
-- measured side by side in one run.
--
--   psql -X -v rows=200000 -v round=1 -v datadir=/abs/path/to/data \
--        -v workdir=/abs/writable/dir -f bench/ingest_bench.sql
--
-- Round 1 builds a JSON Lines file of :rows valid tickets (the sample's
-- valid tickets, renumbered) and one of a tenth of them.  Every round then
-- times, on that file, with a checkpoint before each step:
--   copy_text     COPY into a text column
--   copy_jsonb    COPY into a jsonb column (the baseline: 1.00)
--   sql_pipeline  COPY into a staging table, then set-based SQL into empty
--                 copies of Bronze and Silver (same indexes): no validation
--   ingest        omni_ingest_jsonl into empty Bronze and Silver
--   ingest_backend  the same read by the loading backend alone
--                 (omni_ingest.read_workers = 0), when the build has workers
--   ingest_sql    the same into empty tables through the SQL write path
--                 (omni_ingest.write_path = sql), when the build has one
--   write_limit   COPY of exactly the rows the load stored into empty copies
--                 of Bronze and Silver with the same indexes (both tables)
--   rerun         the same call again (already_loaded: hashes the file)
--   reload        the same file under a new batch id (every line skipped
--                 or unchanged)
--   dry_run       omni_ingest_jsonl(..., dry_run => true)
--   dry_run_backend  the same read by the loading backend alone
--   ingest_tenth  a first load of the tenth file into empty tables
-- into the table public.bench_timing (round, what, ms).  The summary is
-- printed by bench/ingest_bench.sh (the median of each round's ratios).
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 200000
\endif
\if :{?round}
\else
\set round 1
\endif
\set sample :datadir '/tickets.jsonl'
\set big :workdir '/bench_tickets.jsonl'
\set small :workdir '/bench_tickets_small.jsonl'
\set bronze_rows :workdir '/bench_bronze.copy'
\set silver_rows :workdir '/bench_silver.copy'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS omni_ingest;
SET omni_ingest.allow_drop_data = on;
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;
CREATE TABLE IF NOT EXISTS public.bench_timing (round int, what text, ms numeric);
-- (a call into the module loads it, and with it its settings)
SELECT omni_contract_validate('omni://contracts/data/ticket/v1', '{}') IS NOT NULL AS module_loaded \gset
SELECT :round = 1 AS first_round,
       EXISTS (SELECT FROM pg_catalog.pg_settings WHERE name = 'omni_ingest.write_path') AS has_write_path,
       EXISTS (SELECT FROM pg_catalog.pg_settings WHERE name = 'omni_ingest.read_workers') AS has_read_workers \gset

\if :first_round
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
\endif

-- COPY targets: regular (logged) tables, like Bronze and Silver
DROP TABLE IF EXISTS public.bench_copy_text, public.bench_copy_jsonb, public.bench_stage,
  public.bench_pl_bronze, public.bench_pl_silver, public.bench_wl_bronze, public.bench_wl_silver;
CREATE TABLE public.bench_copy_text (line text);
CREATE TABLE public.bench_copy_jsonb (doc jsonb);
-- The pipeline's staging table (unlogged, as a staging table would be) and
-- its targets: empty copies of Bronze and Silver, with the same indexes
CREATE UNLOGGED TABLE public.bench_stage (n bigint GENERATED ALWAYS AS IDENTITY, doc jsonb);
CREATE TABLE public.bench_pl_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
CREATE TABLE public.bench_pl_silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);
-- The write limit's targets: the same, filled with the rows a load stored
CREATE TABLE public.bench_wl_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL EXCLUDING IDENTITY);
CREATE TABLE public.bench_wl_silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);

-- Silver's data columns, for the pipeline's column lists
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols,
       string_agg('r.' || quote_ident(attname), ', ' ORDER BY attnum) AS rcols,
       string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS coldefs,
       string_agg(quote_ident(attname) || ' = EXCLUDED.' || quote_ident(attname), ', ' ORDER BY attnum) AS sets
  FROM pg_attribute
 WHERE attrelid = 'omni_ingest.ticket_fact'::regclass AND attnum > 0 AND NOT attisdropped
   AND attname NOT IN ('record_version', 'source_fingerprint', 'last_batch_id',
                       'last_line_number', 'loaded_at') \gset

CREATE TEMP TABLE timing (what text, ms numeric);
CREATE FUNCTION pg_temp.ms(t0 timestamptz) RETURNS numeric LANGUAGE sql AS
$$ SELECT round(extract(epoch FROM clock_timestamp() - t0) * 1000, 1) $$;

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
COPY public.bench_copy_text FROM :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO timing SELECT 'copy_text', pg_temp.ms(:'t0');

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
COPY public.bench_copy_jsonb FROM :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO timing SELECT 'copy_jsonb', pg_temp.ms(:'t0');

-- COPY + set-based SQL, no validation: staging, Bronze (fingerprint of the
-- canonical text, duplicates skipped), Silver from the batch's Bronze rows
-- (the newest version of each key, never replaced by an older one)
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
BEGIN;
COPY public.bench_stage (doc) FROM :'big' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO public.bench_pl_bronze (source_id, batch_id, payload, source_fingerprint, line_number, ticket_id)
SELECT doc->>'source_id', 'pipeline', doc, encode(sha256(convert_to(doc::text, 'UTF8')), 'hex'), n,
       doc->>'ticket_id'
  FROM public.bench_stage
    ON CONFLICT (ticket_id, source_id, source_fingerprint) DO NOTHING;
INSERT INTO public.bench_pl_silver AS s (:cols, record_version, source_fingerprint, last_batch_id, last_line_number)
SELECT DISTINCT ON (r.ticket_id) :rcols, coalesce(r.updated_at, r.created_at), b.source_fingerprint, b.batch_id, b.line_number
  FROM public.bench_pl_bronze b CROSS JOIN LATERAL jsonb_to_record(b.payload) AS r(:coldefs)
 WHERE b.batch_id = 'pipeline'
 ORDER BY r.ticket_id, coalesce(r.updated_at, r.created_at) DESC, b.line_number DESC
    ON CONFLICT (ticket_id) DO UPDATE SET :sets, record_version = EXCLUDED.record_version,
       source_fingerprint = EXCLUDED.source_fingerprint, last_batch_id = EXCLUDED.last_batch_id,
       last_line_number = EXCLUDED.last_line_number, loaded_at = now()
 WHERE s.record_version < EXCLUDED.record_version;
COMMIT;
INSERT INTO timing SELECT 'sql_pipeline', pg_temp.ms(:'t0');

\if :has_write_path
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SET omni_ingest.write_path = sql;
SELECT status, total, valid, inserted, silver_inserted FROM omni_ingest_jsonl(:'big', 'bench-sql');
RESET omni_ingest.write_path;
INSERT INTO timing SELECT 'ingest_sql', pg_temp.ms(:'t0');
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;
\endif

\if :has_read_workers
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SET omni_ingest.read_workers = 0;
SELECT status, total, valid, inserted, silver_inserted FROM omni_ingest_jsonl(:'big', 'bench-backend');
RESET omni_ingest.read_workers;
INSERT INTO timing SELECT 'ingest_backend', pg_temp.ms(:'t0');
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;
\endif

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT r.status, r.total, r.valid, r.inserted, r.silver_inserted, l.read_workers
  FROM omni_ingest_jsonl(:'big', 'bench-1') r JOIN omni_ingest.batch_ledger l USING (run_id);
INSERT INTO timing SELECT 'ingest', pg_temp.ms(:'t0');

-- The write limit: COPY the rows the load stored into empty copies
COPY omni_ingest.raw_ticket_event TO :'bronze_rows';
COPY omni_ingest.ticket_fact TO :'silver_rows';
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
BEGIN;
COPY public.bench_wl_bronze FROM :'bronze_rows';
COPY public.bench_wl_silver FROM :'silver_rows';
COMMIT;
INSERT INTO timing SELECT 'write_limit', pg_temp.ms(:'t0');

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT status FROM omni_ingest_jsonl(:'big', 'bench-1');
INSERT INTO timing SELECT 'rerun', pg_temp.ms(:'t0');

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT status, skipped, silver_unchanged FROM omni_ingest_jsonl(:'big', 'bench-2');
INSERT INTO timing SELECT 'reload', pg_temp.ms(:'t0');

CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT status, valid FROM omni_ingest_jsonl(:'big', 'bench-dry', dry_run => true);
INSERT INTO timing SELECT 'dry_run', pg_temp.ms(:'t0');

\if :has_read_workers
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SET omni_ingest.read_workers = 0;
SELECT status, valid FROM omni_ingest_jsonl(:'big', 'bench-dry-backend', dry_run => true);
RESET omni_ingest.read_workers;
INSERT INTO timing SELECT 'dry_run_backend', pg_temp.ms(:'t0');
\endif

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject, omni_ingest.raw_ticket_event,
         omni_ingest.ticket_fact RESTART IDENTITY;
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
SELECT status, valid FROM omni_ingest_jsonl(:'small', 'bench-tenth');
INSERT INTO timing SELECT 'ingest_tenth', pg_temp.ms(:'t0');

SELECT what, ms, round(ms / (SELECT ms FROM timing WHERE what = 'copy_jsonb'), 2) AS x_copy_jsonb
  FROM timing ORDER BY ctid;
INSERT INTO public.bench_timing SELECT :round, what, ms FROM timing;
DROP TABLE public.bench_copy_text, public.bench_copy_jsonb, public.bench_stage,
  public.bench_pl_bronze, public.bench_pl_silver, public.bench_wl_bronze, public.bench_wl_silver;

-- Peak backend memory is measured by bench/ingest_bench.sh, which samples
-- the loading backend's private memory (RssAnon) from outside.
