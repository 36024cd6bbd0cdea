-- The validation budget: a schema and instance that would take exponential
-- time or memory stop with an error naming the limit; in a load, such a
-- record is a reject and the load goes on.
\getenv root OMNI_TEST_ROOT
\set budget :root '/test/data/budget.jsonl'
\set summary 'status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded, errors, blank_lines, bytes_read'
\set VERBOSITY default
TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
         omni_ingest.raw_ticket_event, omni_ingest.ticket_fact RESTART IDENTITY;

-- The settings, once the library is loaded (by its first call)
SELECT omni_validate('true', '1') AS loaded;
SELECT name, setting, unit, boot_val, min_val, max_val, context
  FROM pg_settings WHERE name LIKE 'omni_ingest.validation%' ORDER BY name;

-- anyOf over a recursive $ref: at each of 60 levels both branches are
-- tried, 2^60 ways (without the budget it runs for days)
CREATE TEMP TABLE hostile AS
SELECT '{"anyOf": [{"type": "array", "items": {"$ref": "#"}},
                   {"type": "array", "items": {"$ref": "#"}}]}'::jsonb AS schema,
       '{"unevaluatedItems": false,
         "anyOf": [{"type": "array", "items": {"$ref": "#"}},
                   {"type": "array", "items": {"$ref": "#"}}]}'::jsonb AS uneval_schema,
       (repeat('[', 60) || '1' || repeat(']', 60))::jsonb AS instance;
SET omni_ingest.validation_work_limit = 10000;
SELECT omni_validate(schema, instance) FROM hostile;
SELECT * FROM omni_validation_errors((SELECT schema FROM hostile), (SELECT instance FROM hostile));
-- every call has a budget of its own: a shallow instance is judged
SELECT omni_validate(schema, '[[[]]]') AS shallow_ok, omni_validate(schema, '[[1]]') AS shallow_bad
  FROM hostile;
SELECT * FROM omni_validation_errors((SELECT schema FROM hostile), '[[1]]');

-- The limit is exact: "items" over n integers takes n + 1 steps
SELECT omni_validate('{"items": {"type": "integer"}}', pg_catalog.to_jsonb(array_fill(1, ARRAY[9999])))
  AS steps_10000;
SELECT omni_validate('{"items": {"type": "integer"}}', pg_catalog.to_jsonb(array_fill(1, ARRAY[10000])))
  AS steps_10001;

-- unevaluatedItems keeps a set of evaluated items for every branch tried:
-- the memory budget stops it
RESET omni_ingest.validation_work_limit;
SET omni_ingest.validation_memory_limit = '1MB';
SELECT omni_validate(uneval_schema, instance) FROM hostile;
SELECT count(*) FROM omni_validation_errors((SELECT uneval_schema FROM hostile), (SELECT instance FROM hostile));
SELECT omni_validate(uneval_schema, '[[[]]]') AS shallow_ok FROM hostile;
RESET omni_ingest.validation_memory_limit;

-- Normal schemas validate as before under a small budget: the ticket contract
SET omni_ingest.validation_work_limit = 1000;
SET omni_ingest.validation_memory_limit = '64kB';
SELECT omni_contract_validate('omni://contracts/data/ticket/v1',
  '{"ticket_id": "TKT-20260410-000001", "schema_version": "ticket_v1", "source_id": "s",
    "ingest_batch_id": "b", "customer_id": "c", "status": "open", "priority": "p1_critical",
    "product_line": "northstar_studio", "created_at": "2026-04-10T08:00:00Z",
    "pii_level": "none", "quality_gate": "pass", "owner": "o", "tags": ["a", "b"]}') AS ticket_ok;
SELECT * FROM omni_contract_validation_errors('omni://contracts/data/ticket/v1',
  '{"ticket_id": "T-1", "status": "lost", "created_at": "yesterday", "tags": [1]}')
 ORDER BY keyword_path, instance_path, message;
RESET omni_ingest.validation_work_limit;
RESET omni_ingest.validation_memory_limit;

-- A plain role may set the work limit (its own CPU time), not the memory
-- budget (the server's memory)
CREATE ROLE budget_plain;
SET ROLE budget_plain;
SET omni_ingest.validation_work_limit = 500;
SHOW omni_ingest.validation_work_limit;
SET omni_ingest.validation_memory_limit = '1GB';
SET omni_ingest.validation_memory_limit = '1MB';
SHOW omni_ingest.validation_memory_limit;
RESET ROLE;
DROP ROLE budget_plain;
RESET omni_ingest.validation_work_limit;

-- In a load, a record over the budget is a reject with the budget as its
-- reason; the other lines load.  The test contract is the ticket contract
-- with "tags" checked by anyOf over a recursive $ref.
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/budget/v1",
  "allOf": [{"$ref": "omni://contracts/data/ticket/v1"}],
  "properties": {"tags": {"$ref": "#/$defs/nest"}},
  "$defs": {"nest": {"anyOf": [{"type": "string"},
                               {"type": "array", "items": {"$ref": "#/$defs/nest"}},
                               {"type": "array", "items": {"$ref": "#/$defs/nest"}}]}}}');
INSERT INTO omni_ingest.contract_target
     VALUES ('omni://contracts/test/budget/v1', 'omni_ingest.raw_ticket_event',
             'omni_ingest.ticket_fact', 'ticket_id', '{updated_at,created_at}');
SET omni_ingest.validation_work_limit = 100000;
SELECT :summary FROM omni_ingest_jsonl(:'budget', 'budget-1', contract_ref => 'omni://contracts/test/budget/v1');
SELECT line_number, r->>'instance_path' AS instance_path,
       r->>'keyword_path' AS keyword_path, r->>'keyword' AS keyword,
       r->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS r
 WHERE batch_id = 'budget-1' ORDER BY line_number, keyword_path, instance_path;
SELECT ticket_id, last_line_number FROM omni_ingest.ticket_fact ORDER BY 1;
SELECT check_name, ok FROM omni_reconcile('budget-1');
-- Through the contract functions: line 3 raises the budget error, while the
-- same ticket with its tags nested 3 deep gets its reasons in full
SELECT omni_contract_validate('omni://contracts/test/budget/v1',
       (SELECT payload FROM omni_ingest.raw_ticket_event WHERE line_number = 1)
       || jsonb_build_object('tags', (repeat('[', 40) || '1' || repeat(']', 40))::jsonb));
SELECT keyword_path, instance_path, message
  FROM omni_contract_validation_errors('omni://contracts/test/budget/v1',
       (SELECT payload FROM omni_ingest.raw_ticket_event WHERE line_number = 1)
       || jsonb_build_object('tags', (repeat('[', 40) || '1' || repeat(']', 40))::jsonb));
SELECT keyword_path, instance_path, message
  FROM omni_contract_validation_errors('omni://contracts/test/budget/v1',
       (SELECT payload FROM omni_ingest.raw_ticket_event WHERE line_number = 1)
       || '{"tags": [[[1]]]}')
 ORDER BY keyword_path, instance_path, message;
RESET omni_ingest.validation_work_limit;

DELETE FROM omni_ingest.contract_target WHERE contract_ref = 'omni://contracts/test/budget/v1';
DELETE FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/test/budget/v1';

-- A schema whose in-place cycle only some records enter (here, those with
-- tags): those records are rejected for it, the others are judged as usual
SELECT * FROM omni_register_contract('{"$id": "omni://contracts/test/cycle/v1",
    "if": {"required": ["tags"]}, "then": {"$ref": "#"}}');
SELECT total, valid, invalid
  FROM omni_ingest_jsonl(:'budget', 'cycle-1', dry_run => true,
                         contract_ref => 'omni://contracts/test/cycle/v1');
\set VERBOSITY terse
SELECT omni_contract_validate('omni://contracts/test/cycle/v1', '{"tags": []}');
\set VERBOSITY default
SELECT omni_contract_validate('omni://contracts/test/cycle/v1', '{"no_tags": []}');
DELETE FROM omni_ingest.contract WHERE contract_ref = 'omni://contracts/test/cycle/v1';
DROP TABLE hostile;
