-- Contracts that describe their own loading: the business rules of
-- "x-omni-rules" (prefix, timestamp, not_before) are judged for any
-- contract, malformed x-omni-* annotations are refused at registration,
-- and the manifests a contract fits come from its "x-omni-fit".
\getenv root OMNI_TEST_ROOT
\set orders :root '/test/data/contract_rules.jsonl'
\set tickets :root '/test/data/contract_rules_tickets.jsonl'
\set summary 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_unchanged'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;

-- A user contract with each rule kind, loaded into tables of its own
CREATE TABLE cr_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
-- Bronze carries the business key, named as the key field
ALTER TABLE cr_bronze RENAME COLUMN ticket_id TO id;
CREATE TABLE cr_silver (
	id text PRIMARY KEY, source_id text NOT NULL, seen_at timestamptz,
	opened_at jsonb, closed_at jsonb, due_at timestamptz, note text,
	record_version timestamptz NOT NULL, source_fingerprint text NOT NULL,
	last_batch_id text NOT NULL, last_line_number bigint NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now());
SELECT * FROM omni_register_contract('{
  "type": "object", "required": ["id", "source_id", "seen_at"],
  "properties": {"id": {"type": "string"}, "source_id": {"type": "string"}, "seen_at": {},
                 "opened_at": {}, "closed_at": {}, "due_at": {}, "note": {"type": "string"}},
  "x-omni-key": "id",
  "x-omni-version": ["seen_at"],
  "x-omni-rules": [
    {"rule": "prefix", "field": "id", "prefix": "ORD-"},
    {"rule": "timestamp", "field": "opened_at"},
    {"rule": "timestamp", "field": "closed_at"},
    {"rule": "timestamp", "field": "due_at"},
    {"rule": "not_before", "field": "closed_at", "than": "opened_at"}]}',
  'omni://contracts/test/order/v1');
INSERT INTO omni_ingest.contract_target
  VALUES ('omni://contracts/test/order/v1', 'cr_bronze', 'cr_silver', 'id', '{seen_at}');

-- Lines 1-4 keep the rules (no closed_at, a null one, the same instant at
-- another offset); each other line breaks one
SELECT :summary FROM omni_ingest_jsonl(:'orders', 'rules-1', dry_run => true,
                                       contract_ref => 'omni://contracts/test/order/v1');
SELECT :summary FROM omni_ingest_jsonl(:'orders', 'rules-1',
                                       contract_ref => 'omni://contracts/test/order/v1');
SELECT id, opened_at, closed_at FROM cr_silver ORDER BY last_line_number;
-- One reason per wrong value: a field stored as timestamptz is judged by
-- its column (line 13), a closed_at that is no timestamp is not compared
-- (line 10), and a record that fails its schema is judged by the prefix
-- rule only (line 11: opened_at "garbage" is not judged)
SELECT line_number, r->>'instance_path' AS instance_path, r->>'keyword' AS keyword,
       r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'rules-1' ORDER BY line_number, r->>'keyword', r->>'instance_path';
SELECT check_name, ok FROM omni_reconcile('rules-1') WHERE NOT ok OR check_name = 'verdict';

-- Malformed annotations are refused, naming the annotation; nothing is registered
CREATE FUNCTION pg_temp.refused(schema text) RETURNS TABLE (part text, said text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hnt text;
BEGIN
  PERFORM omni_register_contract(schema::jsonb, 'omni://contracts/test/malformed/v1');
  RETURN QUERY SELECT 'no error', NULL::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
  RETURN QUERY VALUES ('sqlstate', st), ('message', msg), ('hint', hnt);
END $$;
SELECT * FROM pg_temp.refused('{"x-omni-rules": {"rule": "prefix"}}');
SELECT s.schema, r.said
  FROM (VALUES
    ('{"x-omni-rules": [1]}'),
    ('{"x-omni-rules": [{"field": "id"}]}'),
    ('{"x-omni-rules": [{"rule": 3, "field": "id"}]}'),
    ('{"x-omni-rules": [{"rule": "timestamp", "field": "a"}, {"rule": "regex", "field": "id"}]}'),
    ('{"x-omni-rules": [{"rule": "timestamp"}]}'),
    ('{"x-omni-rules": [{"rule": "timestamp", "field": ""}]}'),
    ('{"x-omni-rules": [{"rule": "prefix", "field": "id"}]}'),
    ('{"x-omni-rules": [{"rule": "prefix", "field": "id", "prefix": 5}]}'),
    ('{"x-omni-rules": [{"rule": "timestamp", "field": "id", "than": "at"}]}'),
    ('{"properties": {"id": {}}, "x-omni-rules": [{"rule": "timestamp", "field": "at"}]}'),
    ('{"properties": {"id": {}, "at": {}}, "x-omni-rules": [{"rule": "not_before", "field": "at", "than": "til"}]}'),
    ('{"x-omni-key": ["id"]}'),
    ('{"properties": {"id": {}}, "x-omni-key": "key"}'),
    ('{"x-omni-version": []}'),
    ('{"x-omni-version": ["at", 2]}'),
    ('{"properties": {"at": {}}, "x-omni-version": ["at", "til"]}'),
    ('{"x-omni-fit": ["document"]}'),
    ('{"x-omni-fit": {"modality": "document"}}'),
    ('{"x-omni-fit": {"source_type": ["faq", 1]}}'),
    ('{"x-omni-fit": {"kind": []}}'),
    ('{"x-omni-frozen": "yes"}'),
    ('{"x-omni-rule": []}')) AS s(schema),
       LATERAL pg_temp.refused(s.schema) AS r
 WHERE r.part = 'message';
-- Each annotation's hint
SELECT s.schema, r.said AS hint
  FROM (VALUES ('{"x-omni-key": 1}'), ('{"x-omni-version": 1}'), ('{"x-omni-fit": 1}'),
               ('{"x-omni-frozen": 1}'), ('{"x-omni-other": 1}')) AS s(schema),
       LATERAL pg_temp.refused(s.schema) AS r
 WHERE r.part = 'hint';
SELECT count(*) AS registered FROM omni_ingest.contract
 WHERE contract_ref = 'omni://contracts/test/malformed/v1';
-- Without "properties" any field may be named; a boolean schema has no annotations
SELECT version FROM omni_register_contract(
  '{"x-omni-key": "anything", "x-omni-version": ["at"], "x-omni-frozen": false,
    "x-omni-fit": {}, "x-omni-rules": [{"rule": "timestamp", "field": "at"}]}',
  'omni://contracts/test/loose/v1');
SELECT version FROM omni_register_contract('true', 'omni://contracts/test/anything/v1');

-- The shipped ticket contract's prefix rule is its annotation: a copy
-- under another reference judges the same way, a copy without the
-- pattern shows the rule alone, and a copy without the rule accepts (the
-- copies write to one pair of tables: the valid line is loaded once)
CREATE TABLE cr_ticket_bronze (LIKE omni_ingest.raw_ticket_event INCLUDING ALL);
CREATE TABLE cr_ticket_silver (LIKE omni_ingest.ticket_fact INCLUDING ALL);
SELECT schema->'x-omni-rules' AS shipped_rules FROM omni_ingest.contract
 WHERE contract_ref = 'omni://contracts/data/ticket/v1';
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'tkt-shipped', dry_run => true);
SELECT contract_ref, version FROM omni_register_contract(
  (SELECT schema FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://contracts/test/ticket-copy/v1');
SELECT contract_ref, version FROM omni_register_contract(
  (SELECT schema #- '{properties,ticket_id,pattern}' FROM omni_ingest.contract
    WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://contracts/test/ticket-nopattern/v1');
SELECT contract_ref, version FROM omni_register_contract(
  (SELECT (schema #- '{properties,ticket_id,pattern}') - 'x-omni-rules'::text FROM omni_ingest.contract
    WHERE contract_ref = 'omni://contracts/data/ticket/v1'),
  'omni://contracts/test/ticket-norules/v1');
INSERT INTO omni_ingest.contract_target
  SELECT ref, 'cr_ticket_bronze', 'cr_ticket_silver', 'ticket_id', '{updated_at,created_at}'
    FROM unnest(ARRAY['omni://contracts/test/ticket-copy/v1', 'omni://contracts/test/ticket-nopattern/v1',
                      'omni://contracts/test/ticket-norules/v1']) AS ref;
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'tkt-copy',
                                       contract_ref => 'omni://contracts/test/ticket-copy/v1');
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'tkt-nopattern',
                                       contract_ref => 'omni://contracts/test/ticket-nopattern/v1');
SELECT :summary FROM omni_ingest_jsonl(:'tickets', 'tkt-norules',
                                       contract_ref => 'omni://contracts/test/ticket-norules/v1');
SELECT batch_id, line_number, r->>'instance_path' AS instance_path, r->>'keyword' AS keyword,
       r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id LIKE 'tkt-%' ORDER BY batch_id, line_number, r->>'keyword';
SELECT ticket_id, last_batch_id FROM cr_ticket_silver ORDER BY ticket_id;

-- Manifests: a contract fits the modality, source type and asset types of
-- its "x-omni-fit"; one without x-omni-fit fits any manifest
SELECT version FROM omni_register_contract('{"type": "object",
  "x-omni-fit": {"modality": ["document"], "source_type": ["faq"], "asset_type": ["jsonl"]}}',
  'omni://contracts/test/faq/v1');
CREATE FUNCTION pg_temp.violations(contract_ref text, modality text, source_type text,
                                   asset_type text DEFAULT 'jsonl')
RETURNS SETOF text LANGUAGE sql AS $$
  SELECT omni_manifest_rule_violations(jsonb_build_object(
    'contract_ref', contract_ref, 'modality', modality, 'source_type', source_type,
    'assets', jsonb_build_array(jsonb_build_object('source_id', 'a1', 'asset_type', asset_type),
                                jsonb_build_object('source_id', 'a2', 'asset_type', 'jsonl'))))
$$;
SELECT * FROM pg_temp.violations('omni://contracts/test/faq/v1', 'document', 'faq');
SELECT * FROM pg_temp.violations('omni://contracts/test/faq/v1', 'audio', 'faq');
SELECT * FROM pg_temp.violations('omni://contracts/test/faq/v1', 'document', 'help_center', 'pdf');
SELECT * FROM pg_temp.violations('omni://contracts/test/order/v1', 'video', 'screencast', 'video');
SELECT * FROM pg_temp.violations('omni://contracts/test/none/v1', 'document', 'faq');
-- The shipped contracts' fit
SELECT * FROM pg_temp.violations('omni://contracts/data/ticket/v1', 'structured', 'ticket_export', 'csv');
SELECT * FROM pg_temp.violations('omni://contracts/data/ticket/v1', 'structured', 'call_recording');
SELECT * FROM pg_temp.violations('omni://contracts/data/doc_asset/v1', 'document', 'pdf_manual', 'pdf');
SELECT * FROM pg_temp.violations('omni://contracts/data/doc_asset/v1', 'document', 'ticket_export');
SELECT * FROM pg_temp.violations('omni://contracts/data/audio_asset/v1', 'audio', 'call_recording', 'video');
SELECT * FROM pg_temp.violations('omni://contracts/data/video_asset/v1', 'video', 'tutorial_video', 'video');
-- A multimodal manifest: each asset fits its own contract
SELECT omni_manifest_rule_violations('{"contract_ref": "omni://contracts/data/video_asset/v1",
  "modality": "multimodal", "source_type": "other",
  "assets": [{"source_id": "v", "asset_type": "video"},
             {"source_id": "c", "asset_type": "audio", "contract_ref": "omni://contracts/data/audio_asset/v1"},
             {"source_id": "t", "asset_type": "pdf", "contract_ref": "omni://contracts/data/ticket/v1"},
             {"source_id": "x", "asset_type": "jsonl", "contract_ref": "omni://contracts/test/gone/v1"}]}');

-- Leave the catalog as it was
DELETE FROM omni_ingest.contract_target WHERE NOT shipped;
DELETE FROM omni_ingest.contract WHERE contract_ref LIKE 'omni://contracts/test/%';
DROP TABLE cr_bronze, cr_silver, cr_ticket_bronze, cr_ticket_silver;
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject RESTART IDENTITY;
