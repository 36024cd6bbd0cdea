-- The shipped asset samples (data/doc_assets.jsonl, audio_assets.jsonl,
-- video_assets.jsonl): a dry run judges every line exactly as a load does,
-- with the counts data/README.md documents; each invalid line fails for the
-- one reason the README gives; each manifest is acceptable and its asset is
-- accepted (documents, audio) or warned about (video: partial metadata).
\getenv root OMNI_TEST_ROOT
\set docs :root '/data/doc_assets.jsonl'
\set audio :root '/data/audio_assets.jsonl'
\set video :root '/data/video_assets.jsonl'
\set docs_manifest :root '/data/manifests/manifest-docs-20260416-001.json'
\set audio_manifest :root '/data/manifests/manifest-calls-20260416-001.json'
\set video_manifest :root '/data/manifests/manifest-videos-20260416-001.json'
\set summary 'batch_id, contract_ref, contract_version, status, total, valid, invalid, inserted, skipped, errors, blank_lines, bytes_read'
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;

-- Dry runs: documents (the record without ingest_ts at line 226 is rejected
-- once the contract names ingest_ts as its version field; see data/README.md)
SELECT :summary FROM omni_ingest_jsonl(:'docs', 'batch-20260416-001', dry_run => true,
                                       contract_ref => 'omni://contracts/data/doc_asset/v1');
SELECT :summary FROM omni_ingest_jsonl(:'audio', 'batch-20260416-002', dry_run => true,
                                       contract_ref => 'omni://contracts/data/audio_asset/v1');
SELECT :summary FROM omni_ingest_jsonl(:'video', 'batch-20260416-003', dry_run => true,
                                       contract_ref => 'omni://contracts/data/video_asset/v1');
-- Recorded as dry runs, with the whole file read and hashed
SELECT batch_id, status, dry_run, lines_read, file_size, file_sha256
  FROM omni_ingest.batch_ledger ORDER BY run_id;
SELECT count(*) AS rejects_written FROM omni_ingest.reject;

-- Every line that is not a plain valid record, judged on its own against the
-- contract (schema only): malformed, not an object, or the failing keywords
CREATE FUNCTION pg_temp.line_faults(path text, contract text)
RETURNS TABLE (line_number bigint, fault text)
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  n bigint := 0;
  j jsonb;
BEGIN
  FOR t IN SELECT regexp_split_to_table(rtrim(pg_read_file(path), E'\n'), E'\n') LOOP
    n := n + 1;
    IF t ~ '^[ \t\r]*$' THEN
      line_number := n; fault := 'blank'; RETURN NEXT; CONTINUE;
    END IF;
    BEGIN
      j := t::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      line_number := n; fault := 'malformed JSON'; RETURN NEXT; CONTINUE;
    END;
    IF jsonb_typeof(j) <> 'object' THEN
      line_number := n; fault := 'not an object: ' || jsonb_typeof(j); RETURN NEXT; CONTINUE;
    END IF;
    SELECT string_agg(e.keyword || ' at ' || coalesce(nullif(e.instance_path, ''), '/'), ', '
                      ORDER BY e.keyword, e.instance_path)
      INTO fault FROM omni_contract_validation_errors(contract, j) AS e;
    IF fault IS NULL AND NOT j ? 'ingest_ts' THEN
      fault := 'schema-valid, no ingest_ts';
    END IF;
    IF fault IS NOT NULL THEN
      line_number := n; RETURN NEXT;
    END IF;
  END LOOP;
END $$;
SELECT * FROM pg_temp.line_faults(:'docs', 'omni://contracts/data/doc_asset/v1');
SELECT * FROM pg_temp.line_faults(:'audio', 'omni://contracts/data/audio_asset/v1');
SELECT * FROM pg_temp.line_faults(:'video', 'omni://contracts/data/video_asset/v1');

-- Keys and versions of the valid lines: distinct keys, and the lines that
-- repeat a key (duplicates, later, older and same-version re-sends)
CREATE FUNCTION pg_temp.valid_records(path text, contract text, key text)
RETURNS TABLE (line_number bigint, k text, version text, record jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  n bigint := 0;
  j jsonb;
BEGIN
  FOR t IN SELECT regexp_split_to_table(rtrim(pg_read_file(path), E'\n'), E'\n') LOOP
    n := n + 1;
    BEGIN
      j := t::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      CONTINUE;
    END;
    IF jsonb_typeof(j) = 'object' AND j ? 'ingest_ts'
       AND NOT EXISTS (SELECT FROM omni_contract_validation_errors(contract, j)) THEN
      line_number := n; k := j->>key; version := j->>'ingest_ts'; record := j;
      RETURN NEXT;
    END IF;
  END LOOP;
END $$;
CREATE TEMP TABLE valid_line AS
  SELECT 'doc' AS file, * FROM pg_temp.valid_records(:'docs', 'omni://contracts/data/doc_asset/v1', 'source_id')
  UNION ALL
  SELECT 'audio', * FROM pg_temp.valid_records(:'audio', 'omni://contracts/data/audio_asset/v1', 'call_id')
  UNION ALL
  SELECT 'video', * FROM pg_temp.valid_records(:'video', 'omni://contracts/data/video_asset/v1', 'video_id');
SELECT file, count(*) AS valid_with_version, count(DISTINCT k) AS distinct_keys,
       count(DISTINCT (record->>'source_id', record)) AS distinct_records
  FROM valid_line GROUP BY file ORDER BY file;
-- Each repeated key, line by line, against the line before it of that key
SELECT file, line_number, k,
       CASE WHEN record = prev_record THEN 'same record'
            WHEN version::timestamptz > prev_version::timestamptz THEN 'newer'
            WHEN version::timestamptz < prev_version::timestamptz THEN 'older'
            ELSE 'same version, other content' END AS against_previous,
       prev_line
  FROM (SELECT *, lag(record) OVER w AS prev_record, lag(version) OVER w AS prev_version,
               lag(line_number) OVER w AS prev_line
          FROM valid_line WINDOW w AS (PARTITION BY file, k ORDER BY line_number)) AS v
 WHERE prev_line IS NOT NULL
 ORDER BY file, line_number;

-- The manifests: valid, within the rules, their asset judged (dry run)
SELECT m.manifest_id, m.source_id, m.judgment, m.status, m.asset_batch_id,
       jsonb_path_query_array(m.reasons, '$[*].rule') AS rules
  FROM omni_ingest_manifest(:'docs_manifest', dry_run => true) AS m;
SELECT m.manifest_id, m.source_id, m.judgment, m.status, m.asset_batch_id,
       jsonb_path_query_array(m.reasons, '$[*].rule') AS rules
  FROM omni_ingest_manifest(:'audio_manifest', dry_run => true) AS m;
SELECT m.manifest_id, m.source_id, m.judgment, m.status, m.asset_batch_id,
       jsonb_path_query_array(m.reasons, '$[*].rule') AS rules
  FROM omni_ingest_manifest(:'video_manifest', dry_run => true) AS m;
-- The manifests' dry runs judged the same counts; nothing was recorded as loaded
SELECT batch_id, status, total, valid, invalid, blank_lines
  FROM omni_ingest.batch_ledger WHERE batch_id LIKE '%/%' ORDER BY run_id;
SELECT count(*) AS manifests FROM omni_ingest.manifest;
SELECT v AS rule_violation
  FROM (SELECT omni_manifest_rule_violations(omni_read_manifest(p)) AS v
          FROM unnest(ARRAY[:'docs_manifest', :'audio_manifest', :'video_manifest']) AS p) AS x;

TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;
