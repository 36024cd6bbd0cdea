-- JSON Schema validator: the keywords the shipped contracts use
-- (type, required, properties, additionalProperties, enum, const, pattern,
-- lengths, bounds, items, $defs/$ref, boolean schemas) and error reports.

-- type: single names, unions, "integer" is a number without a fraction
SELECT omni_validate('{"type":"integer"}', v) AS integer_ok, v
FROM (VALUES ('1'::jsonb), ('1.0'), ('1.5'), ('-7'), ('"1"'), ('1e2')) t(v);
SELECT omni_validate('{"type":["string","null"]}', v) AS nullable_string, v
FROM (VALUES ('"x"'::jsonb), ('null'), ('0'), ('false'), ('[]'), ('{}')) t(v);
SELECT omni_validate('{"type":"number"}', '3') AS int_is_number,
       omni_validate('{"type":"object"}', '[]') AS array_is_object,
       omni_validate('{"type":"array"}', '[]') AS array_is_array,
       omni_validate('{"type":"boolean"}', 'true') AS bool_is_boolean;

-- required, properties, additionalProperties
SELECT omni_validate('{"required":["a","b"]}', v) AS has_a_and_b, v
FROM (VALUES ('{"a":1,"b":2}'::jsonb), ('{"a":1}'), ('{}'), ('[1]')) t(v);
SELECT omni_validate('{"properties":{"a":{"type":"string"}},"additionalProperties":false}', v) AS closed, v
FROM (VALUES ('{"a":"x"}'::jsonb), ('{}'), ('{"a":1}'), ('{"b":"x"}')) t(v);
SELECT omni_validate('{"properties":{"a":true},"additionalProperties":{"type":"integer"}}', v) AS typed_extra, v
FROM (VALUES ('{"a":"x","b":1}'::jsonb), ('{"b":1.5}')) t(v);

-- enum and const use JSON equality: 1 = 1.0, key order does not matter
SELECT omni_validate('{"enum":["open","closed",null,1,{"a":1,"b":[2]}]}', v) AS in_enum, v
FROM (VALUES ('"open"'::jsonb), ('"opened"'), ('null'), ('1.0'), ('{"b":[2.00],"a":1}'),
             ('{"a":1}'), ('false')) t(v);
SELECT omni_validate('{"const":"ticket_v1"}', '"ticket_v1"') AS const_same,
       omni_validate('{"const":"ticket_v1"}', '"ticket_v2"') AS const_other,
       omni_validate('{"const":[1,{"x":null}]}', '[1.0,{"x":null}]') AS const_deep;

-- pattern (ECMA-262, unanchored), lengths counted in code points
SELECT omni_validate('{"pattern":"^TKT-[0-9]{8}-[0-9]{6}$"}', v) AS ticket_id, v
FROM (VALUES ('"TKT-20260401-004101"'::jsonb), ('"TKT-2026041-004101"'),
             ('"xTKT-20260401-004101"'), ('7')) t(v);
SELECT omni_validate('{"pattern":"\\d+"}', '"ab12"') AS unanchored_digit,
       omni_validate('{"pattern":"^\\w+$"}', '"héllo"') AS ascii_word_only;
SELECT omni_validate('{"maxLength":3}', '"ééé"') AS three_code_points,
       omni_validate('{"maxLength":2}', '"ééé"') AS too_long,
       omni_validate('{"minLength":2}', '"é"') AS too_short,
       omni_validate('{"minLength":2}', '7') AS not_a_string;

-- numeric bounds are exact
SELECT omni_validate('{"minimum":0,"maximum":1}', v) AS in_range, v
FROM (VALUES ('0'::jsonb), ('1.0'), ('1.0000000000000000000001'), ('-0.0000000000000000000001'), ('"2"')) t(v);

-- arrays: items, minItems, maxItems
SELECT omni_validate('{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2}', v) AS tags, v
FROM (VALUES ('["a"]'::jsonb), ('[]'), ('["a","b","c"]'), ('["a",1]')) t(v);

-- $defs and local $ref, boolean schemas
SELECT omni_validate('{"$defs":{"id":{"type":"string","minLength":1}},"properties":{"a":{"$ref":"#/$defs/id"}}}', v) AS ref_ok, v
FROM (VALUES ('{"a":"x"}'::jsonb), ('{"a":""}'), ('{"a":1}')) t(v);
SELECT omni_validate('true', '{"any":1}') AS true_schema,
       omni_validate('false', '1') AS false_schema,
       omni_validate('{}', 'null') AS empty_schema;

-- every failure of a record is reported, with instance and keyword paths
SELECT * FROM omni_validation_errors(
  '{"type":"object","required":["id","tags"],"additionalProperties":false,
    "properties":{"id":{"type":"string","pattern":"^T-"},
                  "tags":{"type":"array","items":{"type":"string","maxLength":3}},
                  "n":{"type":"integer","minimum":1},
                  "s":{"enum":["a","b"]}}}',
  '{"id":"X-1","tags":["abc","abcd",7],"n":0.5,"s":"c","extra/key~":1}');
SELECT * FROM omni_validation_errors('{"type":"object","required":["a"]}', '[1]');
SELECT * FROM omni_validation_errors('false', '{"a":1}');
SELECT * FROM omni_validation_errors('{"properties":{"a":false}}', '{"a":1}');
SELECT count(*) AS no_errors FROM omni_validation_errors('{"type":"object"}', '{}');

-- the shipped ticket contract
SELECT schema AS ticket FROM omni_ingest.contract
WHERE contract_ref = 'omni://contracts/data/ticket/v1' ORDER BY version DESC LIMIT 1 \gset
SELECT omni_validate(:'ticket', '{"ticket_id":"TKT-20260401-004101","schema_version":"ticket_v1",
  "source_id":"zendesk-export","ingest_batch_id":"b1","customer_id":"CUST-1","status":"open",
  "priority":"p2_high","product_line":"northstar_studio","created_at":"2026-04-01T00:42:16Z",
  "pii_level":"none","quality_gate":"pass","owner":"team","assignee_id":null,
  "tags":["a","b"],"updated_at":null}') AS ticket_valid;
SELECT * FROM omni_validation_errors(:'ticket', '{"ticket_id":"TKT-1","schema_version":"ticket_v2",
  "source_id":"zendesk-export","customer_id":7,"status":"reopened",
  "priority":"p2_high","product_line":"northstar_studio","created_at":"2026-04-01T00:42:16Z",
  "pii_level":"none","quality_gate":"pass","owner":"team","assignee_id":null,
  "tags":["a",2],"colour":"red"}');

-- invalid schemas are refused at compile time, naming the location
SELECT omni_validate('{"properties":{"x":{"type":"strng"}}}', '{}');
SELECT omni_validate('{"properties":{"x":{"type":7}}}', '{}');
SELECT omni_validate('{"required":"a"}', '{}');
SELECT omni_validate('{"maxLength":-1}', '""');
SELECT omni_validate('{"items":3}', '[]');
SELECT omni_validate('{"pattern":"(a"}', '""');
SELECT omni_validate('{"$ref":"#/$defs/missing"}', '1');
SELECT omni_validate('{"$ref":"http://example.com/nowhere.json"}', '1');
