-- Contract versions evolve the tables: registering a new version of a
-- contract that has Bronze and Silver tables adds a column for a new
-- field, drops a NOT NULL that loads could no longer satisfy, keeps the
-- column of a removed field, and refuses what rows or loads could not
-- satisfy: a type change, a new required non-nullable field while Silver
-- holds rows, any change of a frozen contract's Silver shape.
\getenv root OMNI_TEST_ROOT
\set v1file :root '/test/data/evolve_v1.jsonl'
\set v2file :root '/test/data/evolve_v2.jsonl'
\set bookfile :root '/test/data/evolve_bookkeeping.jsonl'
\set summary 'contract_version, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded'
\set newest '(SELECT schema FROM omni_ingest.contract WHERE contract_ref = ''omni://regress/evolve/gizmo'' ORDER BY version DESC LIMIT 1)'
\set columns 'SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull FROM pg_catalog.pg_attribute a WHERE a.attrelid = ''omni_ingest.gizmo_fact''::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum'
\set versions 'SELECT pg_catalog.max(version) AS newest_version, pg_catalog.count(*) AS versions FROM omni_ingest.contract WHERE contract_ref = ''omni://regress/evolve/gizmo'''
\set VERBOSITY default

-- Version 1 of a contract no file of the project knows, its tables, a load
SELECT * FROM omni_register_contract($$
{"$id": "omni://regress/evolve/gizmo", "type": "object",
 "x-omni-key": "gizmo_id", "x-omni-version": ["updated_at", "created_at"],
 "required": ["gizmo_id", "source_id", "quantity", "created_at", "code"],
 "properties": {
   "gizmo_id": {"type": "string"},
   "source_id": {"type": "string"},
   "quantity": {"type": "integer"},
   "price": {"type": "number"},
   "active": {"type": "boolean"},
   "made_on": {"type": "string", "format": "date"},
   "created_at": {"type": "string", "format": "date-time"},
   "updated_at": {"type": ["string", "null"], "format": "date-time"},
   "tags": {"type": "array", "items": {"type": "string"}},
   "specs": {"type": "object"},
   "code": {"type": "string"},
   "note": {"type": "string"}}}
$$, NULL, false);
SELECT silver_table, silver_columns FROM omni_create_target('omni://regress/evolve/gizmo');
:columns;
SELECT :summary FROM omni_ingest_jsonl(:'v1file', 'ev-1', false, 'omni://regress/evolve/gizmo');

-- The same schema again: the same version, the same table
SELECT version FROM omni_register_contract(:newest, 'omni://regress/evolve/gizmo', false);
:columns;

-- Version 2 adds an optional field and one named like a bookkeeping
-- column, and lets "code" be null: a nullable column "colour", none for
-- "loaded_at", and "code" no longer NOT NULL
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(pg_catalog.jsonb_set(pg_catalog.jsonb_set(:newest,
    '{properties,colour}', '{"type": "string"}'),
    '{properties,loaded_at}', '{"type": "string"}'),
    '{properties,code}', '{"type": ["string", "null"]}'),
  'omni://regress/evolve/gizmo', false);
:columns;
-- The table's SELECT grant covers the new column
SELECT pg_catalog.has_column_privilege('omni_ingest_reader', 'omni_ingest.gizmo_fact', 'colour', 'SELECT') AS readable;
-- A load of version 2 records fills it; the older row keeps NULL
SELECT :summary FROM omni_ingest_jsonl(:'v2file', 'ev-2', false, 'omni://regress/evolve/gizmo');
SELECT gizmo_id, quantity, code, colour, note, record_version, last_batch_id
  FROM omni_ingest.gizmo_fact ORDER BY 1;
SELECT pg_catalog.count(*) AS total, pg_catalog.count(colour) AS with_colour FROM omni_ingest.gizmo_fact;
SELECT check_name, ok FROM omni_reconcile('ev-2') WHERE check_name = 'verdict';
-- A member named like a bookkeeping column ("loaded_at": "whenever", a
-- string the contract allows) is not the record's to fill: it stays in
-- Bronze, Silver's loaded_at is the writer's, and the batch loads
SELECT :summary FROM omni_ingest_jsonl(:'bookfile', 'ev-2b', false, 'omni://regress/evolve/gizmo');
SELECT gizmo_id, loaded_at IS NOT NULL AS loaded_at_set,
       (SELECT payload->>'loaded_at' FROM omni_ingest.raw_gizmo_event WHERE batch_id = 'ev-2b') AS in_bronze
  FROM omni_ingest.gizmo_fact WHERE gizmo_id = 'Z-4';
DELETE FROM omni_ingest.gizmo_fact WHERE gizmo_id = 'Z-4';
:versions;

-- A type change is refused: quantity is bigint, the new version says text
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(:newest, '{properties,quantity}', '{"type": "string"}'),
  'omni://regress/evolve/gizmo', false);
-- A new required, non-nullable field while Silver holds rows is refused
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(pg_catalog.jsonb_set(:newest, '{properties,serial}', '{"type": "string"}'),
    '{required}', (:newest)->'required' || '["serial"]'),
  'omni://regress/evolve/gizmo', false);
-- Neither was registered, nor changed the table
:versions;
:columns;

-- A removed field keeps its column, and its values
SELECT version FROM omni_register_contract(:newest #- '{properties,note}', 'omni://regress/evolve/gizmo', false);
:columns;
SELECT gizmo_id, note FROM omni_ingest.gizmo_fact ORDER BY 1;

-- Frozen: the same Silver shape registers; any change of it is refused
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(:newest, '{x-omni-frozen}', 'true'), 'omni://regress/evolve/gizmo', false);
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(:newest, '{properties,price,minimum}', '0'), 'omni://regress/evolve/gizmo', false);
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(:newest, '{properties,size}', '{"type": "integer"}'), 'omni://regress/evolve/gizmo', false);
-- Unfreezing in the same version does not help: the registered one is frozen
SELECT version FROM omni_register_contract(
  pg_catalog.jsonb_set(pg_catalog.jsonb_set(:newest, '{properties,size}', '{"type": "integer"}'),
    '{x-omni-frozen}', 'false'), 'omni://regress/evolve/gizmo', false);
SELECT version FROM omni_register_contract(:newest #- '{properties,colour}', 'omni://regress/evolve/gizmo', false);
:versions;
:columns;

-- A contract whose Silver table is empty takes a new required field as NOT NULL
SELECT version FROM omni_register_contract($$
{"$id": "omni://regress/evolve/sprocket", "type": "object",
 "x-omni-key": "id", "x-omni-version": ["at"], "required": ["id", "source_id", "at"],
 "properties": {"id": {"type": "string"}, "source_id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"}}}
$$, NULL, false);
SELECT silver_table FROM omni_create_target('omni://regress/evolve/sprocket');
SELECT version FROM omni_register_contract($$
{"$id": "omni://regress/evolve/sprocket", "type": "object",
 "x-omni-key": "id", "x-omni-version": ["at"], "required": ["id", "source_id", "at", "size"],
 "properties": {"id": {"type": "string"}, "source_id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "size": {"type": "integer"}}}
$$, NULL, false);
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = 'omni_ingest.sprocket_fact'::regclass AND a.attnum > 0 AND a.attname = 'size';

-- Clean up what this suite made
SET omni_ingest.allow_drop_data = on;
DELETE FROM omni_ingest.contract_target WHERE contract_ref LIKE 'omni://regress/evolve/%';
DROP TABLE omni_ingest.raw_gizmo_event, omni_ingest.gizmo_fact,
           omni_ingest.raw_sprocket_event, omni_ingest.sprocket_fact;
RESET omni_ingest.allow_drop_data;
DELETE FROM omni_ingest.contract WHERE contract_ref LIKE 'omni://regress/evolve/%';
DELETE FROM omni_ingest.reject WHERE batch_id LIKE 'ev-%';
DELETE FROM omni_ingest.batch_ledger WHERE batch_id LIKE 'ev-%';
