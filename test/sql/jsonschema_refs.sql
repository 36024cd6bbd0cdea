-- References and identifiers: $ref, $defs, $id (base URIs, embedded
-- resources), $anchor, $dynamicRef/$dynamicAnchor, references to other
-- registered contracts, the built-in 2020-12 meta-schemas, $schema and
-- $vocabulary.

-- JSON pointer fragments, with escapes and percent-encoding
SELECT omni_validate('{"$defs":{"a/b":{"type":"integer"},"c~d":{"type":"string"},"e%f":{"const":1}},
                       "properties":{"x":{"$ref":"#/$defs/a~1b"},"y":{"$ref":"#/$defs/c~0d"},
                                     "z":{"$ref":"#/$defs/e%25f"}}}',
                     '{"x":1,"y":"s","z":1}') AS escaped_pointers;
SELECT omni_validate('{"prefixItems":[{"type":"integer"},{"$ref":"#/prefixItems/0"}]}', '[1,"2"]') AS pointer_into_array;

-- $id changes the base URI; $anchor names a subschema
SELECT omni_validate('{"$id":"https://example.com/root.json",
                       "$defs":{"item":{"$id":"item.json","$defs":{"n":{"$anchor":"num","type":"number"}},
                                        "type":"array","items":{"$ref":"#num"}}},
                       "$ref":"item.json"}', v) AS embedded_resource, v
FROM (VALUES ('[1,2]'::jsonb), ('[1,"x"]')) t(v);
SELECT omni_validate('{"$id":"urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed",
                       "properties":{"a":{"$ref":"urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/s"}},
                       "$defs":{"s":{"type":"string"}}}', '{"a":7}') AS urn_base;

-- $ref beside other keywords: both apply
SELECT omni_validate('{"$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s","maxLength":2}', v) AS ref_and_siblings, v
FROM (VALUES ('"ab"'::jsonb), ('"abc"'), ('1')) t(v);

-- recursive schemas terminate on finite instances
SELECT omni_validate('{"$id":"https://example.com/tree","type":"object",
                       "properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}}}',
                     '{"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"v":"x"}]}') AS recursive_tree;

-- $dynamicRef without a matching $dynamicAnchor in scope acts like $ref
SELECT omni_validate('{"$id":"https://example.com/list","$defs":{"item":{"$dynamicAnchor":"item","type":"string"}},
                       "type":"array","items":{"$dynamicRef":"#item"}}', v) AS dynamic_default, v
FROM (VALUES ('["a"]'::jsonb), ('[1]')) t(v);

-- keyword paths follow the reference
SELECT * FROM omni_validation_errors(
  '{"$defs":{"id":{"type":"string","pattern":"^T"}},"properties":{"a":{"$ref":"#/$defs/id"}}}',
  '{"a":"X"}');

-- the 2020-12 meta-schema is built in: validate schemas against it
SELECT s, omni_validate('{"$ref":"https://json-schema.org/draft/2020-12/schema"}', s) AS is_schema
FROM (VALUES ('{"type":"string"}'::jsonb), ('{"type":"strng"}'), ('{"minLength":-1}'),
             ('{"properties":{"a":{"items":{"type":7}}}}'), ('true'), ('3')) t(s);

-- references to other contracts are resolved when the schema is compiled
BEGIN;
SELECT contract_ref, version FROM omni_register_contract(
  '{"$id":"https://example.com/common.json","$defs":{"sku":{"type":"string","pattern":"^SKU-[0-9]+$"}}}');
SELECT omni_validate('{"properties":{"sku":{"$ref":"https://example.com/common.json#/$defs/sku"}}}', v) AS remote_ref, v
FROM (VALUES ('{"sku":"SKU-1"}'::jsonb), ('{"sku":"1"}')) t(v);
SELECT * FROM omni_validation_errors(
  '{"properties":{"sku":{"$ref":"https://example.com/common.json#/$defs/sku"}}}', '{"sku":"1"}');
-- a registered dialect whose $vocabulary lacks validation turns it off;
-- one that requires an unknown vocabulary is refused
SELECT contract_ref FROM omni_register_contract(
  '{"$id":"https://example.com/applicator-only",
    "$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true,
                   "https://json-schema.org/draft/2020-12/vocab/applicator":true}}');
SELECT omni_validate('{"$schema":"https://example.com/applicator-only","type":"string","properties":{"a":false}}', v) AS no_validation_vocab, v
FROM (VALUES ('1'::jsonb), ('{"a":1}')) t(v);
SELECT contract_ref FROM omni_register_contract(
  '{"$id":"https://example.com/needs-custom",
    "$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true,
                   "https://example.com/vocab/custom":true}}');
SELECT omni_validate('{"$schema":"https://example.com/needs-custom"}', '1');
ROLLBACK;

-- dialects: 2020-12 only; others are refused, never read as 2020-12
SELECT omni_validate('{"$schema":"https://json-schema.org/draft/2020-12/schema#","type":"integer"}', '1') AS with_empty_fragment;
SELECT omni_validate('{"$schema":"http://json-schema.org/draft-07/schema#","type":"integer"}', '1');
SELECT omni_validate('{"$schema":"https://json-schema.org/draft/2019-09/schema"}', '1');
SELECT omni_validate('{"$schema":"https://example.com/unknown-dialect"}', '1');

-- bad references and identifiers
SELECT omni_validate('{"$ref":"#/$defs/nope"}', '1');
SELECT omni_validate('{"$ref":"#nope"}', '1');
SELECT omni_validate('{"$ref":"https://example.com/not-registered.json"}', '1');
SELECT omni_validate('{"$ref":7}', '1');
SELECT omni_validate('{"$id":"https://example.com/a#frag"}', '1');
SELECT omni_validate('{"$defs":{"a":{"$anchor":"x"},"b":{"$anchor":"x"}}}', '1');
-- deep recursion through the instance is fine; an instance nested deeper
-- than the stack allows is an invalid record, not a server error
SET max_stack_depth = '2MB';
SELECT omni_validate('{"type":"array","items":{"$ref":"#"}}',
                     (repeat('[', 1000) || repeat(']', 1000))::jsonb) AS nested_1000;
SELECT omni_validate('{"contains":{"$ref":"#"},"minContains":0}',
                     (repeat('[', 1000) || repeat(']', 1000))::jsonb) AS contains_1000;
SELECT keyword, message, length(instance_path) > 1000 AS deep_path
FROM omni_validation_errors('{"type":"array","items":{"$ref":"#"}}',
                            (repeat('[', 5000) || repeat(']', 5000))::jsonb);
RESET max_stack_depth;
-- a reference cycle that never reaches the instance is stopped
SELECT omni_validate('{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}', '1');
