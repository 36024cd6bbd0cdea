-- "pattern" and "patternProperties" are ECMA-262 regular expressions,
-- run on PostgreSQL's regex engine after translation.  What ECMA-262 means
-- differently is rewritten; what cannot be carried over is refused.

-- \d, \w, \s and \b are ASCII / ECMA-262 classes, not locale classes
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^\d+$', '123'), ('^\d+$', '١٢٣'), ('^\w+$', 'snake_case1'), ('^\w+$', 'café'),
             ('^\s$', e'\t'), ('^\s$', U&'\00A0'), ('^\s$', U&'\FEFF'), ('^\S+$', 'a b'),
             ('\bcat\b', 'a cat.'), ('\bcat\b', 'concat'), ('\Bcat', 'concat'),
             ('^[\D]+$', 'abc'), ('^[^\d\s]+$', 'ab c'), ('^[\w.-]+$', 'a.b-c')) t(p, v);

-- "." is any code point but a line terminator; non-BMP characters are one
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^.$', 'é'), ('^.$', U&'\+01F600'), ('^.$', e'\n'), ('^.$', e'\r'),
             ('^a.c$', 'abc'), ('^[^a]$', U&'\+01F600')) t(p, v);

-- escapes: \xHH, \uHHHH, \u{...}, surrogate pairs, \cX
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^\x41$', 'A'), ('^\u00e9$', 'é'), ('^\u{1F600}$', U&'\+01F600'),
             ('^\uD83D\uDE00$', U&'\+01F600'), ('^\cJ$', e'\n'), ('^\x41B$', 'AB')) t(p, v);

-- Unicode letters and digits: \p{L}, \p{Lu}, \p{Ll}, \p{Nd}
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^\p{L}+$', 'Straße'), ('^\p{L}+$', 'π'), ('^\p{L}+$', 'a1'),
             ('^\p{Lu}', 'Ω'), ('^\p{Ll}', 'Ω'), ('^\p{Nd}+$', '١٢٣'), ('^\P{L}+$', '12'),
             ('^[\p{L}\d]+$', 'é9')) t(p, v);

-- repeat counts above 255 (PostgreSQL's limit) are nested
SELECT n, omni_validate('{"pattern":"^a{300}$"}', to_jsonb(repeat('a', n))) AS exactly_300,
          omni_validate('{"pattern":"^(?:ab){2,600}$"}', to_jsonb(repeat('ab', n))) AS ab_2_to_600
FROM (VALUES (1), (299), (300), (600), (601)) t(n);

-- groups: named groups and back-references, lookahead and lookbehind
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^(?<q>[''"]).*\k<q>$', '"quoted"'), ('^(?<q>[''"]).*\k<q>$', '"mixed'''),
             ('^(a|b)\1$', 'aa'), ('^(a|b)\1$', 'ab'),
             ('^(?!admin$)\w+$', 'admin'), ('^(?!admin$)\w+$', 'admins'),
             ('(?<=\$)\d+', 'cost: $30'), ('(?<!\$)\b\d+', '$30'),
             ('^[]$', ''), ('^[^]$', 'x'), ('a{,3}', 'a{,3}'), ('^x{2}?$', 'xx')) t(p, v);

-- simple anchored patterns (matched byte by byte) agree with the engine
SELECT p, v, omni_validate(jsonb_build_object('pattern', p), to_jsonb(v)) AS matches
FROM (VALUES ('^doc:[a-z0-9_]+:[a-f0-9]{12}$', 'doc:help_center:0123456789ab'),
             ('^doc:[a-z0-9_]+:[a-f0-9]{12}$', 'doc:help_center:0123456789a'),
             ('^manifest-[a-z0-9_-]+-[0-9]{8}-[0-9]{3}$', 'manifest-tickets-x-20260415-001'),
             ('^manifest-[a-z0-9_-]+-[0-9]{8}-[0-9]{3}$', 'manifest--20260415-001'),
             ('[0-9]{3}', 'ab1234'), ('^é', 'é'), ('^[a-z]+$', 'aé'),
             ('^a*a*a*a*a*a*a*a*a*b$', repeat('a', 30))) t(p, v);

-- patternProperties use the same dialect
SELECT omni_validate('{"patternProperties":{"^\\p{Lu}":{"type":"integer"}},"additionalProperties":false}', v) AS capitalised, v
FROM (VALUES ('{"Étage":1}'::jsonb), ('{"étage":1}'), ('{"Étage":"1"}')) t(v);

-- refused, naming the construct
SELECT omni_validate('{"pattern":"^\\p{Greek}+$"}', '"x"');
SELECT omni_validate('{"pattern":"(?i)abc"}', '"x"');
SELECT omni_validate('{"pattern":"\\a"}', '"x"');
SELECT omni_validate('{"pattern":"a**"}', '"x"');
SELECT omni_validate('{"pattern":"x{3,2}"}', '"x"');
SELECT omni_validate('{"pattern":"a)"}', '"x"');
SELECT omni_validate('{"pattern":"\\k<nope>"}', '"x"');
SELECT omni_validate('{"pattern":"a{70000}"}', '"x"');
SELECT omni_validate('{"patternProperties":{"\\p{Sc}":true}}', '{}');
