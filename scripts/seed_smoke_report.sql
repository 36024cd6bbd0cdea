-- The seed loader smoke report: a dry run of omni_ingest_manifest over
-- data/seed_manifests, written as Markdown on standard output.  Run by
-- scripts/seed_smoke_report.sh (psql -XAtq -v folder=... -v root=<the checkout copy>).
\set ON_ERROR_STOP on
\pset format unaligned
\pset tuples_only on
\pset footer off
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS omni_ingest;

-- The dry run itself: one row per asset, or per manifest that is rejected whole
CREATE TEMP TABLE run AS
SELECT row_number() OVER () AS n, r.*, regexp_replace(r.manifest_path, '^.*/', '') AS file
  FROM omni_ingest_manifest(:'folder', dry_run => true) AS r;

-- What a manifest file declares, when it is a JSON object at all
CREATE FUNCTION pg_temp.declared(path text, member text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  RETURN pg_catalog.pg_read_file(path)::jsonb ->> member;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

-- One reason as a sentence: "rule: message" for an object, the text
-- otherwise; paths inside the throwaway copy of the checkout shortened
CREATE FUNCTION pg_temp.reason(x jsonb, root text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(CASE jsonb_typeof(x)
                   WHEN 'object' THEN concat_ws(': ', x->>'rule', coalesce(x->>'message', x::text))
                   ELSE x #>> '{}' END, root, '<checkout>')
$$;

-- success: would load; skip: held back or nothing to do; fail: rejected or failed
CREATE FUNCTION pg_temp.outcome(status text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status IN ('dry_run', 'loaded', 'replayed') THEN 'success'
              WHEN status IN ('already_loaded', 'quarantined', 'not_loaded') THEN 'skip'
              ELSE 'fail' END
$$;

CREATE TEMP VIEW manifest_outcome AS
SELECT file, min(manifest_id) AS manifest_id, min(manifest_path) AS manifest_path,
       CASE WHEN bool_or(pg_temp.outcome(status) = 'fail') THEN 'fail'
            WHEN bool_and(pg_temp.outcome(status) = 'success') THEN 'success'
            ELSE 'skip' END AS outcome,
       count(*) AS rows
  FROM run GROUP BY file;

SELECT format(E'<!-- Generated, not written by hand: the output of scripts/seed_smoke_report.sh on\n' ||
              E'     PostgreSQL %s with omni_ingest %s, a dry run over a copy of data/seed_manifests:\n' ||
              E'       SELECT * FROM omni_ingest_manifest(\'<checkout>/data/seed_manifests\', dry_run => true);\n' ||
              '     Regenerate with: bash scripts/seed_smoke_report.sh -->',
              current_setting('server_version'),
              (SELECT extversion FROM pg_extension WHERE extname = 'omni_ingest')) || E'\n';

SELECT E'# Seed loader smoke report: data/seed_manifests, dry run\n\n' ||
       'Every `*.json` file of the folder, in name order, judged and dry-run as the scheduled job ' ||
       'would load it (`data/seed_manifests/README.md` says what each file is meant to show). ' ||
       'A dry run reads and judges everything and writes nothing but its ledger rows.' || E'\n';

SELECT E'## Counts\n\n' ||
       E'| | manifests | result rows |\n|---|---:|---:|\n' ||
       format('| read | %s | %s |', (SELECT count(*) FROM manifest_outcome), (SELECT count(*) FROM run)) || E'\n' ||
       string_agg(format('| %s | %s | %s |', o.outcome,
                         (SELECT count(*) FROM manifest_outcome m WHERE m.outcome = o.outcome),
                         (SELECT count(*) FROM run r WHERE pg_temp.outcome(r.status) = o.outcome)),
                  E'\n' ORDER BY o.ord) ||
       E'\n\nsuccess: every asset would load (`dry_run`; `loaded`, `replayed` in a real run); ' ||
       'skip: held back or nothing to do (`quarantined`, `not_loaded`, `already_loaded`); ' ||
       'fail: `rejected` or `failed`. A manifest counts by its worst asset.' || E'\n'
  FROM (VALUES (1, 'success'), (2, 'skip'), (3, 'fail')) AS o(ord, outcome);

SELECT E'## Every manifest\n\n' ||
       E'| file | manifest | load mode | judgment | status | total | valid | invalid | late | outside window |\n' ||
       E'|---|---|---|---|---|---:|---:|---:|---:|---:|\n' ||
       string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |',
                         omni_markdown_inline(file, true),
                         coalesce(omni_markdown_inline(manifest_id, true), '–'),
                         coalesce(omni_markdown_inline(pg_temp.declared(manifest_path, 'load_mode'), true), '–'),
                         judgment, status,
                         coalesce(total::text, ''), coalesce(valid::text, ''),
                         coalesce(invalid::text, ''), coalesce(late::text, ''),
                         coalesce(outside_window::text, '')),
                  E'\n' ORDER BY n) || E'\n'
  FROM run;

SELECT E'## Manifests that would load\n\n' ||
       coalesce(string_agg(format('- %s (%s): %s', omni_markdown_inline(m.file, true),
                                  omni_markdown_inline(m.manifest_id, true),
                                  (SELECT string_agg(format('%s, %s, as batch %s%s', r.judgment, r.status,
                                                            omni_markdown_inline(r.asset_batch_id, true),
                                                            coalesce(' (' || (SELECT string_agg(omni_markdown_inline(pg_temp.reason(x, :'root'), false), '; ')
                                                                                FROM jsonb_array_elements(r.reasons) AS x) || ')', '')),
                                                     '; ' ORDER BY r.n)
                                     FROM run r WHERE r.file = m.file)),
                           E'\n' ORDER BY m.file), 'none') || E'\n'
  FROM manifest_outcome m WHERE m.outcome = 'success';

SELECT E'## Held back or rejected, and why\n\n' ||
       coalesce(string_agg(format('- %s, %s: %s, %s%s', omni_markdown_inline(r.file, true),
                                  coalesce(omni_markdown_inline(r.source_id, true), 'the whole file'),
                                  r.judgment, r.status,
                                  coalesce((SELECT E'\n' || string_agg('  - ' || omni_markdown_inline(pg_temp.reason(x, :'root'), false), E'\n' ORDER BY i)
                                              FROM jsonb_array_elements(r.reasons) WITH ORDINALITY AS e(x, i)), '')),
                           E'\n' ORDER BY r.n), 'none') || E'\n'
  FROM run r WHERE pg_temp.outcome(r.status) <> 'success';

-- Rows of a table
CREATE FUNCTION pg_temp.rows(t regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
  RETURN n;
END $$;

SELECT E'## What the dry run left behind\n\n' ||
       E'| table | rows |\n|---|---:|\n' ||
       format(E'| `omni_ingest.manifest_run`, dry runs | %s |\n', (SELECT count(*) FROM omni_ingest.manifest_run WHERE dry_run)) ||
       format(E'| `omni_ingest.batch_ledger`, dry runs | %s |\n', (SELECT count(*) FROM omni_ingest.batch_ledger WHERE dry_run)) ||
       format(E'| `omni_ingest.batch_ledger`, other runs | %s |\n', (SELECT count(*) FROM omni_ingest.batch_ledger WHERE NOT dry_run)) ||
       (SELECT string_agg(format(E'| `%s`, `%s` (Bronze, Silver) | %s, %s |\n', bronze_table, silver_table,
                                 pg_temp.rows(bronze_table), pg_temp.rows(silver_table)), '' ORDER BY contract_ref)
          FROM omni_ingest.contract_target) ||
       format(E'| `omni_ingest.reject` | %s |\n', (SELECT count(*) FROM omni_ingest.reject)) ||
       format(E'| `omni_ingest.quarantine` | %s |\n', (SELECT count(*) FROM omni_ingest.quarantine)) ||
       format(E'| `omni_ingest.load_cursor` | %s |', (SELECT count(*) FROM omni_ingest.load_cursor));
