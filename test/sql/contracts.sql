-- Contracts: shipped ones are present; registration versions, refuses what
-- is not a contract, and new versions are used from the next call on.
\getenv root OMNI_TEST_ROOT
\set many :root '/test/data/many.jsonl'
\set VERBOSITY default
SELECT contract_ref, version, shipped, format_assertion,
       schema->>'$schema' AS dialect
  FROM omni_ingest.contract ORDER BY contract_ref, version;
SELECT contract_ref, bronze_table, silver_table, key_field, version_fields
  FROM omni_ingest.contract_target ORDER BY contract_ref;

-- Register under $id, again (same version), then a changed schema
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/widget/v1", "type": "object",
  "required": ["widget_id"], "properties": {"widget_id": {"type": "string"}}}');
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/widget/v1", "type": "object",
  "required": ["widget_id"], "properties": {"widget_id": {"type": "string"}}}');
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/widget/v1", "type": "object",
  "required": ["widget_id", "size"], "properties": {"widget_id": {"type": "string"}, "size": {"type": "integer"}}}');
-- Under an explicit reference, when the schema has no $id
SELECT * FROM omni_register_contract('{"type": "integer"}', 'omni://contracts/test/int');
SELECT contract_ref, version, shipped FROM omni_ingest.contract
 WHERE contract_ref LIKE 'omni://contracts/test/%' ORDER BY 1, 2;

-- Refused
SELECT * FROM omni_register_contract('{"type": "integer"}');
SELECT * FROM omni_register_contract(NULL);
SELECT * FROM omni_register_contract('{"type": "integer"}', '');
SELECT * FROM omni_register_contract('{"type": 12}', 'omni://contracts/test/bad');
SELECT * FROM omni_register_contract('{"$ref": "omni://contracts/test/missing"}', 'omni://contracts/test/dangling');

-- A reference to another registered contract resolves to it
SELECT * FROM omni_register_contract('{"properties": {"n": {"$ref": "omni://contracts/test/int"}}}',
                                     'omni://contracts/test/uses-int');
SELECT omni_validate(schema, '{"n": 1}') AS int_ok, omni_validate(schema, '{"n": "x"}') AS string_ok
  FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/test/uses-int';

-- A new version is used from the next call on: widget v2 requires "size",
-- which no ticket has; v3 drops it again
SELECT contract_version, total, valid, invalid
  FROM omni_ingest_jsonl(:'many', 'widget-1', dry_run => true, contract_ref => 'omni://contracts/test/widget/v1');
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/widget/v1", "type": "object",
  "required": ["ticket_id"]}');
SELECT contract_version, total, valid, invalid
  FROM omni_ingest_jsonl(:'many', 'widget-2', dry_run => true, contract_ref => 'omni://contracts/test/widget/v1');

-- Validate against a registered contract by reference, also in a CHECK
-- constraint
SELECT omni_contract_validate('omni://contracts/data/ticket/v1',
  '{"ticket_id": "TKT-20260410-000001", "schema_version": "ticket_v1", "source_id": "s",
    "ingest_batch_id": "b", "customer_id": "c", "status": "open", "priority": "p1_critical",
    "product_line": "northstar_studio", "created_at": "2026-04-10T08:00:00Z",
    "pii_level": "none", "quality_gate": "pass", "owner": "o"}') AS ticket_ok;
SELECT * FROM omni_contract_validation_errors('omni://contracts/data/ticket/v1',
  '{"ticket_id": "T-1", "status": "lost", "created_at": "yesterday", "tags": [1]}')
 ORDER BY keyword_path, instance_path, message;
SELECT omni_contract_validate('omni://contracts/data/nothing/v1', '{}');
CREATE TABLE widgets (doc jsonb CHECK (omni_contract_validate('omni://contracts/test/widget/v1', doc)));
INSERT INTO widgets VALUES ('{"ticket_id": "w-1"}');
INSERT INTO widgets VALUES ('{"widget_id": "w-2"}');
DROP TABLE widgets;
