-- JSON Schema validation keywords on numbers, arrays and objects:
-- multipleOf (exact), exclusive bounds, uniqueItems (JSON equality),
-- min/maxProperties; and their error reports.

-- multipleOf is exact decimal arithmetic, not floating point
SELECT v, omni_validate('{"multipleOf":0.1}', v) AS tenths,
          omni_validate('{"multipleOf":0.0001}', v) AS ten_thousandths,
          omni_validate('{"multipleOf":3}', v) AS threes
FROM (VALUES ('0.3'::jsonb), ('0.30000000000000004'), ('0.0075'), ('12345678901234567890123456789'),
             ('-9'), ('0'), ('"9"')) t(v);

-- exclusive bounds, exact beyond double precision
SELECT v, omni_validate('{"exclusiveMinimum":0,"exclusiveMaximum":1}', v) AS open_unit
FROM (VALUES ('0'::jsonb), ('0.0000000000000000000000000001'), ('0.9999999999999999999999999999'), ('1')) t(v);
SELECT omni_validate('{"maximum":18446744073709551615}', '18446744073709551616') AS over_u64,
       omni_validate('{"minimum":-1e400}', '-1e399') AS tiny_minimum;

-- uniqueItems: 1 and 1.0 are equal, object key order does not matter
SELECT v, omni_validate('{"uniqueItems":true}', v) AS unique_items
FROM (VALUES ('[1,2,3]'::jsonb), ('[1,1.0]'), ('[{"a":1,"b":2},{"b":2,"a":1}]'),
             ('[{"a":1},{"a":2}]'), ('[[1],[true]]'), ('["1",1]'), ('[null,false,0,""]'),
             ('[[1,{"x":[]}],[1.00,{"x":[]}]]'), ('[]')) t(v);
SELECT omni_validate('{"uniqueItems":false}', '[1,1]') AS not_asked;
-- long arrays are compared by hash first, not pairwise
SELECT omni_validate('{"uniqueItems":true}', (SELECT jsonb_agg(g) FROM generate_series(1, 100000) g)) AS long_unique,
       omni_validate('{"uniqueItems":true}',
                     (SELECT jsonb_agg(jsonb_build_object('k', g % 1000, 'v', (g / 1000)::text)) FROM generate_series(1, 50000) g)) AS long_objects;
SELECT * FROM omni_validation_errors('{"uniqueItems":true}',
  (SELECT jsonb_agg(g) || '[{"x":[1]}, 4000.00, {"x":[1.0]}]'::jsonb FROM generate_series(1, 5000) g));

-- minProperties / maxProperties
SELECT v, omni_validate('{"minProperties":1,"maxProperties":2}', v) AS one_or_two
FROM (VALUES ('{}'::jsonb), ('{"a":1}'), ('{"a":1,"b":2,"c":3}'), ('[]')) t(v);

-- what failures report
SELECT * FROM omni_validation_errors(
  '{"properties":{"n":{"multipleOf":0.5,"exclusiveMaximum":1},
                  "m":{"exclusiveMinimum":10,"maximum":5},
                  "u":{"uniqueItems":true,"minItems":5},
                  "o":{"minProperties":2,"maxProperties":0}}}',
  '{"n":1.25,"m":3,"u":[{"k":1},"x",{"k":1.0}],"o":{"a":1}}');

-- malformed numbers
SELECT omni_validate('{"multipleOf":0}', '1');
SELECT omni_validate('{"multipleOf":-2}', '1');
SELECT omni_validate('{"minimum":"1"}', '1');
SELECT omni_validate('{"minItems":1.5}', '[]');
SELECT omni_validate('{"uniqueItems":"yes"}', '[]');
SELECT omni_validate('{"minLength":1.0,"maxLength":2e0}', '"ab"') AS integral_floats_are_counts;
