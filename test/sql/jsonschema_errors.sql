-- Error reports: one row per failure, instance_path and keyword_path as
-- JSON pointers (RFC 6901 escapes), keyword, and a lower-case message.

-- paths through nested objects and arrays; keys needing escapes
SELECT * FROM omni_validation_errors(
  '{"properties":{"orders":{"items":{"properties":{"lines":{"items":{"properties":{"qty":{"type":"integer"}}}}}}},
                  "a/b":{"type":"string"},"m~n":{"type":"string"},"":{"type":"string"},"ключ":{"type":"string"}}}',
  '{"orders":[{"lines":[{"qty":1},{"qty":"2"}]},{"lines":[{"qty":1.5}]}],
    "a/b":1,"m~n":2,"":3,"ключ":4}');

-- every failing keyword of one value is reported, not just the first
SELECT keyword, message FROM omni_validation_errors(
  '{"type":"string","minLength":5,"pattern":"^[0-9]+$","enum":["12345"],"format":"date"}', '"abc"');

-- long values are cut in messages
SELECT message FROM omni_validation_errors('{"enum":["a"]}', to_jsonb(repeat('x', 200)));
SELECT message FROM omni_validation_errors('{"const":{"a":[1,2,3]}}', '{"a":[1,2]}');
SELECT message FROM omni_validation_errors('{"enum":[1,2]}', '{"deep":{"er":[true,null,1.50]}}');

-- a root that is not an object still has the empty pointer as its path
SELECT * FROM omni_validation_errors('{"type":["object","null"]}', '"text"');
SELECT * FROM omni_validation_errors('{"type":"integer"}', '1.5');

-- valid instances produce no rows; NULL arguments produce none either
SELECT count(*) FROM omni_validation_errors('{"type":"object"}', '{"a":1}');
SELECT count(*) FROM omni_validation_errors(NULL, '{}');
SELECT omni_validate(NULL, '{}') IS NULL AS strict;
