-- unevaluatedProperties / unevaluatedItems see what every applicator
-- evaluated: properties, patternProperties, additionalProperties,
-- prefixItems, items, contains, and through allOf, anyOf, oneOf,
-- if/then/else, dependentSchemas, $ref and $dynamicRef.

-- through allOf and $ref
SELECT v, omni_validate('{"$defs":{"named":{"properties":{"name":{"type":"string"}}}},
                          "allOf":[{"properties":{"id":true}}],
                          "$ref":"#/$defs/named",
                          "unevaluatedProperties":false}', v) AS closed_union
FROM (VALUES ('{"id":1,"name":"a"}'::jsonb), ('{"id":1,"extra":2}'), ('{}')) t(v);

-- only branches that pass count (anyOf evaluates them all)
SELECT v, omni_validate('{"anyOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},
                                   {"properties":{"b":true},"required":["b"]}],
                          "unevaluatedProperties":false}', v) AS any_of
FROM (VALUES ('{"a":1}'::jsonb), ('{"a":1,"b":1}'), ('{"a":"x","b":1}'), ('{"b":1,"c":1}')) t(v);

-- if/then/else and dependentSchemas
SELECT v, omni_validate('{"if":{"properties":{"t":{"const":"card"}},"required":["t"]},
                          "then":{"properties":{"number":true}},
                          "else":{"properties":{"iban":true}},
                          "dependentSchemas":{"t":{"properties":{"t":true}}},
                          "unevaluatedProperties":false}', v) AS payment
FROM (VALUES ('{"t":"card","number":1}'::jsonb), ('{"t":"bank","iban":1}'),
             ('{"t":"bank","number":1}'), ('{"iban":1}')) t(v);

-- a schema for unevaluated properties, and nesting: an inner
-- unevaluatedProperties evaluates everything for the outer one
SELECT v, omni_validate('{"properties":{"a":true},"unevaluatedProperties":{"type":"integer"}}', v) AS typed_rest,
          omni_validate('{"allOf":[{"unevaluatedProperties":true}],"unevaluatedProperties":false}', v) AS nested
FROM (VALUES ('{"a":"x","b":1}'::jsonb), ('{"b":"y"}')) t(v);

-- items: prefixItems, contains and unevaluatedItems
SELECT v, omni_validate('{"prefixItems":[{"type":"string"}],
                          "allOf":[{"contains":{"type":"boolean"}}],
                          "unevaluatedItems":{"type":"null"}}', v) AS tail_of_nulls
FROM (VALUES ('["a",true,null]'::jsonb), ('["a",true,1]'), ('["a",1,true]'), ('["a"]')) t(v);

-- $dynamicRef: the outermost resource's anchor wins
SELECT v, omni_validate('{"$id":"https://example.com/strict-tree",
                          "$dynamicAnchor":"node",
                          "$ref":"tree",
                          "unevaluatedProperties":false,
                          "$defs":{"tree":{"$id":"tree","$dynamicAnchor":"node","type":"object",
                                           "properties":{"data":true,
                                                         "children":{"type":"array",
                                                                     "items":{"$dynamicRef":"#node"}}}}}}', v) AS strict_tree
FROM (VALUES ('{"children":[{"data":1}]}'::jsonb), ('{"children":[{"daat":1}]}')) t(v);

-- errors name the unevaluated member
SELECT * FROM omni_validation_errors(
  '{"properties":{"a":true},"patternProperties":{"^x":true},"unevaluatedProperties":false,
    "prefixItems":[true],"unevaluatedItems":{"type":"string"}}',
  '{"a":1,"xy":2,"b":3,"c":4}');
SELECT * FROM omni_validation_errors('{"prefixItems":[true],"unevaluatedItems":{"type":"string"}}', '[1,"a",2]');
SELECT * FROM omni_validation_errors('{"prefixItems":[true],"unevaluatedItems":false}', '[1,"a"]');
