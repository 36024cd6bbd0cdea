-- JSON Schema applicators: allOf, anyOf, oneOf, not, if/then/else,
-- prefixItems, items, contains, patternProperties, propertyNames,
-- dependentSchemas, dependentRequired, and the legacy dependencies.

-- allOf / anyOf / oneOf / not
SELECT v, omni_validate('{"allOf":[{"type":"integer"},{"minimum":2}]}', v) AS all_of,
          omni_validate('{"anyOf":[{"type":"string"},{"minimum":2}]}', v) AS any_of,
          omni_validate('{"oneOf":[{"type":"integer"},{"minimum":2}]}', v) AS one_of,
          omni_validate('{"not":{"type":"integer"}}', v) AS not_integer
FROM (VALUES ('1'::jsonb), ('2'), ('2.5'), ('"x"')) t(v);

-- if / then / else; then and else alone do nothing
SELECT v, omni_validate('{"if":{"properties":{"kind":{"const":"a"}}},
                          "then":{"required":["a"]},"else":{"required":["b"]}}', v) AS branch
FROM (VALUES ('{"kind":"a","a":1}'::jsonb), ('{"kind":"a","b":1}'),
             ('{"kind":"z","b":1}'), ('{"kind":"z"}')) t(v);
SELECT omni_validate('{"then":false,"else":false}', '1') AS no_if;

-- prefixItems, items after them, contains with min/maxContains
SELECT v, omni_validate('{"prefixItems":[{"type":"string"},{"type":"integer"}],"items":false}', v) AS tuple
FROM (VALUES ('["a",1]'::jsonb), ('["a"]'), ('[1,"a"]'), ('["a",1,true]'), ('{}')) t(v);
SELECT v, omni_validate('{"contains":{"const":1},"minContains":2,"maxContains":3}', v) AS two_or_three_ones
FROM (VALUES ('[1,1]'::jsonb), ('[1,2]'), ('[1,1,1,1]'), ('[]'), ('"x"')) t(v);
SELECT omni_validate('{"contains":{"const":1},"minContains":0}', '[]') AS min_contains_zero;

-- patternProperties with additionalProperties, propertyNames
SELECT v, omni_validate('{"properties":{"id":{"type":"string"}},
                          "patternProperties":{"^x-":{"type":"integer"}},
                          "additionalProperties":false}', v) AS extensions
FROM (VALUES ('{"id":"a","x-rate":1}'::jsonb), ('{"x-rate":"fast"}'), ('{"rate":1}')) t(v);
SELECT v, omni_validate('{"propertyNames":{"maxLength":3,"pattern":"^[a-z]+$"}}', v) AS short_names
FROM (VALUES ('{"abc":1}'::jsonb), ('{"abcd":1}'), ('{"A":1}'), ('[]')) t(v);

-- dependentRequired, dependentSchemas and legacy dependencies
SELECT v, omni_validate('{"dependentRequired":{"card":["billing"]}}', v) AS dep_required,
          omni_validate('{"dependentSchemas":{"card":{"properties":{"billing":{"type":"string"}},"required":["billing"]}}}', v) AS dep_schema,
          omni_validate('{"dependencies":{"card":["billing"],"vip":{"required":["tier"]}}}', v) AS legacy
FROM (VALUES ('{"card":1,"billing":"x"}'::jsonb), ('{"card":1}'), ('{"billing":2}'),
             ('{"vip":true}'), ('{"vip":true,"tier":1}')) t(v);
SELECT omni_validate('{"definitions":{"n":{"type":"integer"}},"$ref":"#/definitions/n"}', '1.5') AS legacy_definitions;

-- what the failures report
SELECT * FROM omni_validation_errors(
  '{"allOf":[{"required":["a"]},{"properties":{"b":{"type":"string"}}}],
    "anyOf":[{"required":["x"]},{"required":["y"]}],
    "oneOf":[{"type":"object"},{"minProperties":1}],
    "not":{"required":["forbidden"]}}',
  '{"b":2,"forbidden":true}');
SELECT * FROM omni_validation_errors(
  '{"if":{"required":["kind"]},"then":{"properties":{"kind":{"enum":["a","b"]}}},
    "prefixItems":[{"type":"string"}],"items":{"type":"integer"},
    "contains":{"type":"boolean"}}',
  '{"kind":"c"}');
SELECT * FROM omni_validation_errors(
  '{"prefixItems":[{"type":"string"}],"items":{"type":"integer"},"contains":{"type":"boolean"},"maxContains":1}',
  '[1,"a",true,true]');
SELECT * FROM omni_validation_errors(
  '{"patternProperties":{"^x-":{"type":"integer"}},"propertyNames":{"maxLength":4},
    "dependentRequired":{"card":["billing","zip"]},
    "dependentSchemas":{"vip":{"required":["tier"]}}}',
  '{"x-long":"a","card":1,"vip":1}');
SELECT * FROM omni_validation_errors('{"prefixItems":[true],"items":false}', '[1,2,3]');

-- malformed applicators
SELECT omni_validate('{"allOf":[]}', '1');
SELECT omni_validate('{"anyOf":{}}', '1');
SELECT omni_validate('{"properties":[]}', '1');
SELECT omni_validate('{"dependentRequired":{"a":"b"}}', '1');
SELECT omni_validate('{"patternProperties":{"[":{}}}', '1');
