-- omni_create_target: Bronze and Silver tables for any registered contract,
-- typed from its schema; a load into them, a rerun and reconcile; the
-- shipped asset contracts' tables; and what it refuses.
\getenv root OMNI_TEST_ROOT
\set gadgets :root '/test/data/gadgets.jsonl'
\set audio :root '/test/data/audio_assets.jsonl'
\set summary 'batch_id, status, total, valid, invalid, inserted, skipped, silver_inserted, silver_updated, silver_unchanged, silver_superseded'
\set VERBOSITY default

-- The shipped asset contracts have tables from CREATE EXTENSION on, as
-- members of the extension, owned by its owner, readable by readers
SELECT t.contract_ref, t.bronze_table, t.silver_table, t.key_field, t.version_fields, t.shipped,
       (SELECT pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ')
          FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a
            ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = t.silver_table AND i.indisprimary) AS silver_key
  FROM omni_ingest.contract_target t ORDER BY 1;
SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) = pg_catalog.pg_get_userbyid(e.extowner) AS owned_by_extension_owner,
       EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e'
                  AND d.refobjid = e.oid) AS member,
       c.oid = ANY (e.extconfig) AS dumped,
       pg_catalog.has_table_privilege('omni_ingest_reader', c.oid, 'SELECT') AS readable
  FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
 WHERE e.extname = 'omni_ingest' AND c.relnamespace = 'omni_ingest'::regnamespace
   AND c.relname ~ '(audio|doc|video)_asset' AND c.relkind IN ('r', 'S')
 ORDER BY 1;
-- doc_asset's own source_fingerprint stays in Bronze: Silver's is the record's
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = 'omni_ingest.doc_asset_fact'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

-- A shipped asset contract loads end to end
SELECT :summary FROM omni_ingest_jsonl(:'audio', 'ct-audio', false, 'omni://contracts/data/audio_asset/v1');
SELECT call_id, duration_sec, speaker_count, asr_confidence, pii_redacted, ingest_ts, record_version, last_line_number
  FROM omni_ingest.audio_asset_fact ORDER BY 1;
SELECT check_name, ok FROM omni_reconcile('ct-audio') WHERE check_name = 'verdict';

-- A contract no file of the project knows, with every kind of field
SELECT * FROM omni_register_contract($$
{"$id": "omni://regress/gadget/v1", "type": "object",
 "required": ["gadget_id", "source_id", "count", "created_at", "kind"],
 "$defs": {"level": {"type": "integer", "minimum": 0}},
 "properties": {
   "gadget_id": {"type": "string"},
   "source_id": {"type": "string"},
   "count": {"type": "integer"},
   "price": {"type": "number"},
   "active": {"type": "boolean"},
   "made_on": {"type": "string", "format": "date"},
   "created_at": {"type": "string", "format": "date-time"},
   "updated_at": {"type": ["string", "null"], "format": "date-time"},
   "serial": {"type": "string", "format": "uuid"},
   "labels": {"type": "array", "items": {"type": ["string", "null"]}},
   "specs": {"type": "object"},
   "note": {"type": ["string", "null"]},
   "mixed": {"type": ["string", "integer"]},
   "anything": {},
   "kind": {"const": "gadget"},
   "level": {"$ref": "#/$defs/level"},
   "Odd Name": {"type": "string"}}}
$$, NULL, false);
SELECT * FROM omni_create_target('omni://regress/gadget/v1', 'gadget_id', '{updated_at,created_at}');
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       co.collname
  FROM pg_catalog.pg_attribute a
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
 WHERE a.attrelid = 'omni_ingest.gadget_fact'::regclass AND a.attnum > 0
 ORDER BY a.attnum;
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       a.attidentity, co.collname
  FROM pg_catalog.pg_attribute a
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
 WHERE a.attrelid = 'omni_ingest.raw_gadget_event'::regclass AND a.attnum > 0
 ORDER BY a.attnum;
SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i
 WHERE i.indrelid IN ('omni_ingest.gadget_fact'::regclass, 'omni_ingest.raw_gadget_event'::regclass)
 ORDER BY 1;
-- Made at run time: not members of the extension, not shipped
SELECT t.shipped, EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.objid = t.silver_table AND d.deptype = 'e') AS member
  FROM omni_ingest.contract_target t WHERE t.contract_ref = 'omni://regress/gadget/v1';

-- A load with later versions, a bad UUID (line 4) and a missing count (line 7)
SELECT :summary FROM omni_ingest_jsonl(:'gadgets', 'ct-gadgets', false, 'omni://regress/gadget/v1');
SELECT line_number, e->>'instance_path' AS at, e->>'keyword' AS keyword, e->>'message' AS message
  FROM omni_ingest.reject, jsonb_array_elements(reasons) AS e
 WHERE batch_id = 'ct-gadgets' ORDER BY 1, 2;
SELECT gadget_id, count, price, active, made_on, created_at, updated_at, serial, labels, specs,
       note, mixed, kind, level, "Odd Name", record_version, last_line_number
  FROM omni_ingest.gadget_fact ORDER BY 1;
-- Rerun: a no-op; reconcile: every check holds
SELECT :summary FROM omni_ingest_jsonl(:'gadgets', 'ct-gadgets', false, 'omni://regress/gadget/v1');
SELECT check_name, expected, actual, ok FROM omni_reconcile('ct-gadgets');

-- Key and version from the schema's annotations; table names given
SELECT * FROM omni_register_contract($$
{"$id": "urn:regress:Widget-Log", "type": "object", "x-omni-key": "widget_id",
 "x-omni-version": ["seen_at"], "required": ["widget_id", "source_id"],
 "properties": {"widget_id": {"type": "string"}, "source_id": {"type": "string"},
                "seen_at": {"type": "string", "format": "date-time"}}}
$$);
SELECT * FROM omni_create_target('urn:regress:Widget-Log', bronze_table => 'widget_events',
                                 silver_table => 'omni_ingest."Widgets"');

-- Refused: no key anywhere, a field that cannot be a column, a key or
-- version field of the wrong kind, a second target, an unknown contract,
-- a table that exists
SELECT * FROM omni_register_contract($$
{"$id": "omni://regress/bare/v1", "type": "object", "required": ["id", "source_id"],
 "properties": {"id": {"type": "string"}, "n": {"type": "integer"}, "source_id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "loaded_at": {"type": "string"}}}
$$);
SELECT * FROM omni_create_target('omni://regress/bare/v1');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id', '{at}');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'n', '{at}', omit_fields => '{loaded_at}');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id', '{n}', omit_fields => '{loaded_at}');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id', '{at}', omit_fields => '{id}');
SELECT * FROM omni_create_target('omni://regress/gadget/v1', 'gadget_id', '{created_at}');
SELECT * FROM omni_create_target('omni://regress/nobody/v1', 'id', '{at}');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id', '{at}', 'gadget_fact', omit_fields => '{loaded_at}');
SELECT * FROM omni_create_target('omni://regress/bare/v1', 'id', '{at}', 'public.bare_b', omit_fields => '{loaded_at}');
SELECT * FROM omni_register_contract(format($$
{"$id": "omni://regress/names/v1", "type": "object", "required": ["id", "source_id"],
 "properties": {"id": {"type": "string"}, "source_id": {"type": "string"}, "%s": {"type": "string"}}}
$$, repeat('x', 64))::jsonb);
SELECT * FROM omni_create_target('omni://regress/names/v1', 'id', '{at}');
-- Nothing of the refused calls was left behind
SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE '%bare%';
-- The field left out of Silver: then it is created
SELECT contract_ref, bronze_table, silver_table, key_field, version_fields,
       jsonb_path_query_array(silver_columns, '$[*].column') AS columns
  FROM omni_create_target('omni://regress/bare/v1', 'id', '{at}', omit_fields => '{loaded_at}');

-- Only administrators (and superusers) may create targets
CREATE ROLE regress_ct_loader IN ROLE omni_ingest_loader;
CREATE ROLE regress_ct_admin IN ROLE omni_ingest_admin;
SELECT * FROM omni_register_contract($$
{"$id": "omni://regress/rights/v1", "type": "object", "required": ["id", "source_id"],
 "properties": {"id": {"type": "string"}, "source_id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"}}}
$$);
SET ROLE regress_ct_loader;
SELECT * FROM omni_create_target('omni://regress/rights/v1', 'id', '{at}');
RESET ROLE;
SET ROLE regress_ct_admin;
SELECT bronze_table, silver_table FROM omni_create_target('omni://regress/rights/v1', 'id', '{at}');
RESET ROLE;
SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) = pg_catalog.pg_get_userbyid(e.extowner) AS owned_by_extension_owner
  FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
 WHERE e.extname = 'omni_ingest' AND c.relname IN ('raw_rights_event', 'rights_fact') ORDER BY 1;

-- Clean up what this suite made
SET omni_ingest.allow_drop_data = on;
DELETE FROM omni_ingest.contract_target WHERE NOT shipped;
DROP TABLE omni_ingest.raw_gadget_event, omni_ingest.gadget_fact,
           omni_ingest.widget_events, omni_ingest."Widgets",
           omni_ingest.raw_bare_event, omni_ingest.bare_fact,
           omni_ingest.raw_rights_event, omni_ingest.rights_fact;
RESET omni_ingest.allow_drop_data;
DELETE FROM omni_ingest.contract WHERE NOT shipped;
DELETE FROM omni_ingest.reject WHERE batch_id LIKE 'ct-%';
DELETE FROM omni_ingest.batch_ledger WHERE batch_id LIKE 'ct-%';
TRUNCATE omni_ingest.raw_audio_asset_event, omni_ingest.audio_asset_fact;
DROP ROLE regress_ct_loader, regress_ct_admin;
