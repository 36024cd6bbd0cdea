-- "format": an annotation by default (omni_validate), an assertion when the
-- schema's dialect has the format-assertion vocabulary (or the contract was
-- registered with format_assertion).

SELECT omni_validate('{"format":"date-time"}', '"not a date"') AS annotation_only,
       omni_validate('{"format":"no-such-format"}', '"x"') AS unknown_format;
SELECT omni_validate('{"format":7}', '"x"');

BEGIN;
SELECT contract_ref FROM omni_register_contract(
  '{"$id":"https://example.com/format-assertion",
    "$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true,
                   "https://json-schema.org/draft/2020-12/vocab/applicator":true,
                   "https://json-schema.org/draft/2020-12/vocab/validation":true,
                   "https://json-schema.org/draft/2020-12/vocab/format-assertion":true}}');

SELECT f, v, omni_validate(jsonb_build_object('$schema', 'https://example.com/format-assertion',
                                              'format', f), to_jsonb(v)) AS valid
FROM (VALUES
  ('date-time', '2026-04-01T00:42:16Z'), ('date-time', '2026-04-01t00:42:16.123+02:00'),
  ('date-time', '1998-12-31T23:59:60Z'), ('date-time', '1998-12-31T15:59:60-08:00'),
  ('date-time', '1998-12-31T23:58:60Z'), ('date-time', '2026-02-29T00:00:00Z'),
  ('date-time', '2026-04-01 00:42:16Z'), ('date-time', '2026-04-01T00:42:16'),
  ('date', '2024-02-29'), ('date', '2023-02-29'), ('date', '2026-4-01'),
  ('time', '23:59:59.5+05:30'), ('time', '24:00:00Z'), ('time', '12:00:00'),
  ('duration', 'P1Y2M3DT4H5M6S'), ('duration', 'P2W'), ('duration', 'PT'), ('duration', 'P1D2H'),
  ('email', 'joe.bloggs@example.com'), ('email', '"joe bloggs"@example.com'),
  ('email', 'joe@[IPv6:::1]'), ('email', 'te..st@example.com'), ('email', 'joe@'),
  ('hostname', 'www.example.com'), ('hostname', '-bad.example'), ('hostname', 'a_b.com'),
  ('ipv4', '192.168.0.1'), ('ipv4', '256.1.1.1'), ('ipv4', '01.2.3.4'),
  ('ipv6', '::1'), ('ipv6', '2001:db8::8a2e:370:7334'), ('ipv6', '::ffff:192.168.0.1'),
  ('ipv6', '1:2:3:4:5:6:7:8:9'), ('ipv6', '1::2::3'),
  ('uri', 'https://example.com/a?b=c#d'), ('uri', 'urn:isbn:0451450523'), ('uri', '/relative'),
  ('uri', 'http://exa mple.com'), ('uri-reference', '../a/b'), ('uri-reference', '#frag'),
  ('uri-reference', '\\\\WINDOWS'), ('iri', 'https://例え.jp/パス'),
  ('uuid', '2EB8AA08-AA98-11EA-B4AA-73B441D16380'), ('uuid', '2eb8aa08-aa98-11ea-b4aa-73b441d1638'),
  ('json-pointer', '/a~1b/0'), ('json-pointer', 'a'), ('json-pointer', '/~2'),
  ('relative-json-pointer', '0#'), ('relative-json-pointer', '1/a'), ('relative-json-pointer', '01'),
  ('regex', '^[a-z]+$'), ('regex', '(unclosed'),
  ('uri-template', 'https://example.com/{id}'), ('uri-template', 'https://example.com/{id')
) t(f, v);

-- formats apply to strings only
SELECT omni_validate('{"$schema":"https://example.com/format-assertion","format":"ipv4"}', v) AS non_strings, v
FROM (VALUES ('12'::jsonb), ('null'), ('{}')) t(v);

SELECT * FROM omni_validation_errors(
  '{"$schema":"https://example.com/format-assertion",
    "properties":{"at":{"format":"date-time"},"site":{"format":"uri"}}}',
  '{"at":"yesterday","site":"example.com"}');
ROLLBACK;
