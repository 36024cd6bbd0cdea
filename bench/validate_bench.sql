-- Validation cost against parse cost, on the same ticket rows.
--
--   psql -X -v rows=100000 -v datafile=/abs/path/data/tickets.jsonl -f bench/validate_bench.sql
--
-- Times, in one session and on the same rows: (a) parsing the ticket texts
-- into jsonb, (b) omni_validate on the already-parsed rows against the
-- ticket contract (format asserted, as the ingest path does), for valid
-- rows and for invalid ones (two errors each), and (c) collecting every
-- error of the invalid rows with omni_validation_errors, against the same
-- function on the valid rows (so the set-returning-function overhead is on
-- both sides).  Each figure is the best of 5 runs minus the
-- cost of scanning the same column without the work; ratios are printed.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 100000
\endif
\if :{?datafile}
\else
\set datafile data/tickets.jsonl
\endif
SET client_min_messages = warning;
-- everything, the bench dialect's registration included, is rolled back
BEGIN;
DROP TABLE IF EXISTS pg_temp.bench_line, pg_temp.bench_row;
CREATE TEMP TABLE bench_line (line text);
COPY bench_line FROM :'datafile' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');

-- keep the lines that are JSON objects and valid tickets
CREATE FUNCTION pg_temp.try_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql AS
$$BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END$$;

-- the ticket contract with format asserted (through a dialect whose
-- $vocabulary has format-assertion, since omni_validate annotates by default)
SELECT 1 FROM omni_register_contract(
  '{"$id":"omni://bench/format-assertion-dialect",
    "$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true,
                   "https://json-schema.org/draft/2020-12/vocab/applicator":true,
                   "https://json-schema.org/draft/2020-12/vocab/validation":true,
                   "https://json-schema.org/draft/2020-12/vocab/format-assertion":true}}')
WHERE NOT EXISTS (SELECT FROM omni_ingest.contract
                  WHERE contract_ref = 'omni://bench/format-assertion-dialect');
SELECT jsonb_set(schema, '{$schema}', '"omni://bench/format-assertion-dialect"') AS schema
FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'
ORDER BY version DESC LIMIT 1 \gset

-- PLAIN storage: no row pays for decompression, so the figures compare
-- parsing and validating only
CREATE TEMP TABLE bench_row (t text, j jsonb, bad jsonb);
ALTER TABLE bench_row ALTER t SET STORAGE PLAIN, ALTER j SET STORAGE PLAIN,
	ALTER bad SET STORAGE PLAIN;
INSERT INTO bench_row
SELECT t, t::jsonb AS j,
       (t::jsonb || '{"status":"reopened","colour":"red"}')::jsonb AS bad
FROM (SELECT t FROM (SELECT line AS t, pg_temp.try_jsonb(line) AS pj FROM bench_line) p
      WHERE jsonb_typeof(pj) = 'object' AND omni_validate(:'schema', pj)) v,
     generate_series(1, ceil(:rows::numeric / 200)::int) g
LIMIT :rows;
ANALYZE bench_row;

CREATE FUNCTION pg_temp.best_ms(q text) RETURNS double precision LANGUAGE plpgsql AS
$$
DECLARE
	best double precision := 'infinity';
	t0 timestamptz;
	i int;
BEGIN
	FOR i IN 1..5 LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN best;
END
$$;

SELECT count(*) AS rows, round(avg(octet_length(t))) AS avg_bytes FROM bench_row;

WITH m AS (
  SELECT (SELECT count(*) FROM bench_row) AS n,
         pg_temp.best_ms('SELECT count(length(t)) FROM bench_row') AS scan_t,
         pg_temp.best_ms('SELECT count(t::jsonb) FROM bench_row') AS parse,
         pg_temp.best_ms('SELECT count(j) FROM bench_row WHERE j IS NOT NULL') AS scan_j,
         pg_temp.best_ms(format('SELECT count(*) FROM bench_row WHERE omni_validate(%L, j)', :'schema')) AS valid,
         pg_temp.best_ms('SELECT count(bad) FROM bench_row WHERE bad IS NOT NULL') AS scan_bad,
         pg_temp.best_ms(format('SELECT count(*) FROM bench_row WHERE omni_validate(%L, bad)', :'schema')) AS invalid,
         pg_temp.best_ms(format('SELECT count(*) FROM bench_row, omni_validation_errors(%L, j)', :'schema')) AS errors_valid,
         pg_temp.best_ms(format('SELECT count(*) FROM bench_row, omni_validation_errors(%L, bad)', :'schema')) AS errors
)
SELECT round(((parse - scan_t) * 1000 / n)::numeric, 2) AS parse_us,
       round(((valid - scan_j) * 1000 / n)::numeric, 2) AS valid_us,
       round(((invalid - scan_bad) * 1000 / n)::numeric, 2) AS invalid_us,
       round(((errors - scan_bad) * 1000 / n)::numeric, 2) AS all_errors_us,
       round(((valid - scan_j) / (parse - scan_t))::numeric, 3) AS valid_vs_parse,
       round(((invalid - scan_bad) / (valid - scan_j))::numeric, 3) AS invalid_vs_valid,
       round(((errors - scan_bad) / (valid - scan_j))::numeric, 3) AS all_errors_vs_valid,
       round(((errors_valid - scan_j) * 1000 / n)::numeric, 2) AS srf_on_valid_us,
       round(((errors - scan_bad) / (errors_valid - scan_j))::numeric, 3) AS srf_invalid_vs_valid
FROM m;
ROLLBACK;
