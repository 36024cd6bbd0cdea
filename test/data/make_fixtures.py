#!/usr/bin/env python3
"""Write the small JSON Lines fixtures used by the pg_regress suites.

Deterministic; run from the repository root: python3 test/data/make_fixtures.py
Each fixture's lines are listed below next to what the tests expect of them.
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = {
    "ticket_id": "TKT-20260410-000001",
    "schema_version": "ticket_v1",
    "source_id": "fixture",
    "ingest_batch_id": "fixture-batch",
    "customer_id": "CUST-00001",
    "status": "open",
    "priority": "p3_medium",
    "product_line": "northstar_workspace",
    "created_at": "2026-04-10T08:00:00Z",
    "updated_at": None,
    "pii_level": "none",
    "quality_gate": "pass",
    "owner": "support-data-team",
    "tags": ["fixture"],
}


def ticket(n, **changes):
    t = copy.deepcopy(BASE)
    t["ticket_id"] = "TKT-20260410-%06d" % n
    for k, v in changes.items():
        if v is DROP:
            del t[k]
        else:
            t[k] = v
    return t


DROP = object()


def line(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def write(name, lines, end=b"\n", bom=False):
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + end
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# bad_lines.jsonl: one line per kind of problem (line numbers in comments)
deep = b'{"ticket_id": ' + b"[" * 1200 + b"]" * 1200 + b"}"
write("bad_lines.jsonl", [
    line(ticket(1)),                                            # 1 valid (after a BOM)
    line(ticket(2)) + b"\r",                                    # 2 valid, CRLF end
    b"",                                                        # 3 blank
    b"   \t ",                                                  # 4 blank (white space)
    b'{"ticket_id": "TKT-20260410-000003", "status": ',         # 5 not JSON (truncated)
    b"[1, 2, 3]",                                               # 6 array, not object
    b'"just a string"',                                         # 7 scalar, not object
    line(ticket(8)).replace(b"fixture", b"fixt\xffure", 1),     # 8 invalid UTF-8
    line(ticket(9)).replace(b"fixture", b"fix\x00ture", 1),     # 9 NUL byte
    line(ticket(10, priority="urgent", status=DROP, extra=1)),  # 10 three schema errors
    line(ticket(11, tags="fixture")),                           # 11 wrong type
    line(ticket(12, created_at="2026-02-30T10:00:00Z")),        # 12 not a real date
    line(ticket(13, created_at="0000-01-01T00:00:00Z")),        # 13 year PostgreSQL cannot store
    line(ticket(14)).replace(b'"fixture"]', b'"fixture", 1e999999]'),  # 14 number out of range
    deep,                                                       # 15 nested too deep
    line(ticket(16, description="x" * 3000)),                  # 16 longer than max_line_bytes (tests set 2kB)
    b'{"a": "\\u0000"}',                                        # 17 \u0000 escape
    line(ticket(18)),                                           # 18 valid, no final newline
], end=b"", bom=True)

# versions_a.jsonl / versions_b.jsonl: versions of three tickets
v = lambda n, upd, status: line(ticket(n, updated_at=upd, status=status))
write("versions_a.jsonl", [
    v(101, "2026-04-12T10:00:00Z", "pending"),    # 1 newer than line 2: wins
    v(101, "2026-04-11T10:00:00Z", "open"),       # 2 older, after newer: superseded
    v(102, "2026-04-11T10:00:00Z", "open"),       # 3 tie with line 4 ...
    v(102, "2026-04-11T10:00:00Z", "escalated"),  # 4 ... the later line wins
    v(103, "2026-04-13T10:00:00Z", "resolved"),   # 5 newest version of 103
])
# versions_a_edited.jsonl: versions_a.jsonl with one status changed, same size
with open(os.path.join(HERE, "versions_a.jsonl"), "rb") as f:
    edited = f.read().replace(b'"pending"', b'"blocked"', 1)
with open(os.path.join(HERE, "versions_a_edited.jsonl"), "wb") as f:
    f.write(edited)

write("versions_b.jsonl", [
    v(101, "2026-04-10T09:00:00Z", "open"),       # 1 older than Silver: superseded
    v(103, "2026-04-14T10:00:00Z", "closed"),     # 2 newer than Silver: updated
    v(103, "2026-04-13T10:00:00Z", "resolved"),   # 3 what Silver held: superseded
    v(104, "2026-04-14T10:00:00Z", "open"),       # 4 new ticket: inserted
])

# many.jsonl: 25 valid tickets, to cross several write chunks
write("many.jsonl", [line(ticket(200 + i)) for i in range(25)])

# hostile_datetimes.jsonl: date-times that reach the rules when a contract
# does not assert "format" (the tests load it under such a copy of the
# ticket contract).  Lines 2-6 made PostgreSQL's date parser raise, which
# failed the whole batch; 7-13 were stored altered, or are not RFC 3339;
# 15 holds a member twice.
d = lambda n, **kw: line(ticket(n, **kw))
write("hostile_datetimes.jsonl", [
    d(301, created_at="2026-04-10T08:00:00.1234560+05:30"),     # 1 valid: 02:30:00.123456 UTC
    d(302, created_at="2026-04-10T00:00:00 Foo/Bar"),           # 2 unknown zone name: raised
    d(303, created_at="2026-04-10-Foo/Bar 00:00:00"),           # 3 zone inside the date: raised
    d(304, created_at="2026-04-10T00:00:00Z posix/Foo"),        # 4 zone after Z: raised
    d(305, created_at="J2461141 foo.bar"),                      # 5 Julian day and a zone: raised
    d(306, updated_at="2026-04-10T09:00:00 Nowhere/Land"),      # 6 the version field: raised
    d(307, created_at="now"),                                   # 7 was stored as the load's time
    d(308, created_at="2026-04-10T08:00:00"),                   # 8 no offset: the session's zone
    d(309, created_at="2026-04-10T08:00:00 America/New_York"),  # 9 a zone name, not an offset
    d(310, created_at="2016-12-31T23:59:60Z"),                  # 10 leap second: the next second
    d(311, created_at="2026-04-10T08:00:00.1234567Z"),          # 11 rounded to microseconds
    d(312, created_at="0000-01-01T00:00:00Z"),                  # 12 year 0000
    d(313, created_at=12),                                      # 13 not a string
    d(314, created_at="2026-04-10 08:00:00Z", updated_at="2026-04-11t09:00:00z"),  # 14 valid
    d(315).replace(b'"status": "open"', b'"status": "open", "status": "closed"'),    # 15 "status" twice
])

# hostile_values.jsonl: values for the typed Silver table of
# test/sql/hostile_values.sql (one problem a line, see the comments), and
# repeated members.  Lines marked "raised" failed the whole batch; "altered"
# ones were stored as something else than the record holds.
TYPED = {"id": "ok-1", "source_id": "fixture", "label": "x",
         "at": "2026-04-10T08:00:00Z", "n_int": 1000, "n_big": -9223372036854775808,
         "n_small": 32767, "n_num": 1234.50, "n_real": 0.5, "n_dbl": 0.1, "flag": True,
         "tags": ["a", None], "nums": [1, -2], "code": "abc", "doc": {"k": [1, 2]},
         "day": "2026-04-10", "local_at": "2026-04-10T08:00:00+00:00",
         "mood": "happy", "pos": 5}


def typed(n, **changes):
    t = {"id": "v-%02d" % n, "source_id": "fixture", "label": "x",
         "at": "2026-04-10T08:00:00Z"}
    for k, v in changes.items():
        if v is DROP:
            del t[k]
        else:
            t[k] = v
    return line(t)


write("hostile_values.jsonl", [
    line(TYPED).replace(b'"n_int": 1000', b'"n_int": 1e3').replace(b"1234.5", b"1234.50"),  # 1 valid: every type
    typed(2, n_int=1.5),                                    # 2 raised
    typed(3, n_int="12"),                                   # 3 altered (a string)
    typed(4).replace(b"}", b', "n_big": 1e30}'),            # 4 raised: huge
    typed(5, n_small=32768),                                # 5 raised
    typed(6, n_num=1.234),                                  # 6 altered: rounded to 1.23
    typed(7, n_num=12345.5),                                # 7 raised: numeric(6,2) overflow
    typed(8, n_real=0.1234567891),                          # 8 altered: rounded
    typed(9).replace(b"}", b', "n_dbl": 1e400}'),           # 9 raised
    typed(10, flag="yes"),                                  # 10 altered: true
    typed(11, flag=1),                                      # 11 altered: true
    typed(12, tags="{x,y}"),                                # 12 altered: an array
    typed(13, tags=[1, 2]),                                 # 13 altered: numbers as text
    typed(14, tags=[["a"], ["b"]]),                         # 14 altered: two dimensions
    typed(15, tags=5),                                      # 15 raised
    typed(16, nums=[1, 2.5]),                               # 16 raised
    typed(17, code="abcd"),                                 # 17 raised: varchar(3)
    typed(18, code=12),                                     # 18 altered: a number as text
    typed(19, day="2026-04-10T05:00:00Z"),                  # 19 altered: the time dropped
    typed(20, local_at="2026-04-10T08:00:00+02:00"),        # 20 altered: the offset dropped
    typed(21, mood="furious"),                              # 21 raised: not an enum label
    typed(22, pos=-1),                                      # 22 raised: domain CHECK
    typed(23, label=DROP),                                  # 23 raised: NOT NULL column
    typed(24, source_id=None),                              # 24 raised: Bronze source_id
    typed(25, doc={"a": 1, "b": {"c": 1}}).replace(b'"c": 1}', b'"c": 1, "c": 2}'),  # 25 nested repeat
    typed(26).replace(b'"label": "x"', b'"label": "x", "label": "y"'),  # 26 top-level repeat
    typed(27, doc=[{"k": 1}, {"k": 2}]).replace(b'{"k": 2}', b'{"k": 2, "j": 0, "k": 3}'),  # 27 in an array
    typed(28).replace(b'"label": "x"', b'"label": "x", "\\u006cabel": "z"'),  # 28 the same name, escaped
    typed(29, doc={"a/b~c": 1}).replace(b'"a/b~c": 1', b'"a/b~c": 1, "a/b~c": 2'),  # 29 pointer escapes
])

# budget.jsonl: for jsonschema_budget.sql, whose test contract checks "tags"
# with anyOf over a recursive $ref (two array branches and a string leaf):
# an array nested n deep whose innermost item is no string makes both
# branches fail at every level, 2^n ways
def nested(n):
    v = 1
    for _ in range(n):
        v = [v]
    return v


write("budget.jsonl", [
    line(ticket(301)),                          # 1 valid
    line(ticket(302, tags=[])),                 # 2 valid, no tags
    line(ticket(303, tags=nested(40))),         # 3 over the work limit: rejected for it alone
    line(ticket(304, status="reopened")),       # 4 invalid, the usual reason
    line(ticket(305, tags=DROP)),               # 5 valid
])

# load_*.jsonl: the load modes of omni_ingest.ingest_asset
# (test/sql/load_modes.sql), followed by updated_at
u = lambda n, upd, **kw: line(ticket(n, updated_at=upd, **kw))
write("load_base.jsonl", [
    u(301, "2026-04-11T08:00:00Z"),                    # 1
    u(302, "2026-04-12T08:00:00Z"),                    # 2
    u(303, "2026-04-13T08:00:00Z"),                    # 3 the highest: the cursor
])
# After load_base.jsonl (cursor 2026-04-13 08:00 UTC): 3 late records
write("load_late.jsonl", [
    u(301, "2026-04-14T08:00:00Z", status="pending"),  # 1 past the cursor: applied
    u(304, "2026-04-13T10:00:00+02:00"),               # 2 the cursor's very instant: late
    u(305, "2026-04-12T00:00:00Z"),                    # 3 before the cursor: late
    u(306, None, created_at="2026-04-12T08:00:00Z"),   # 4 no cursor value: rejected
    u(307, "2026-04-15T08:00:00Z"),                    # 5 the highest: the next cursor
    b'{"ticket_id": "TKT-20260410-000308", "status": ',  # 6 not JSON
    u(309, "2026-04-01T00:00:00Z"),                    # 7 long before the cursor: late
])
# A backfill window [2026-04-12T00:00Z, 2026-04-14T00:00Z)
write("load_window.jsonl", [
    u(401, "2026-04-12T00:00:00Z"),                    # 1 exactly at start_at: inside
    u(402, "2026-04-14T00:00:00Z"),                    # 2 exactly at end_at: outside
    u(403, "2026-04-13T23:59:59.999999Z"),             # 3 just before end_at: inside
    u(404, "2026-04-11T23:59:59Z"),                    # 4 before start_at: outside
    line(ticket(405, updated_at=DROP, created_at="2026-04-12T12:00:00Z")),  # 5 version created_at
])
# A contract without tables, whose cursor field (seq) compares as jsonb
write("load_seq.jsonl", [
    b'{"seq": 1}',                                     # 1 before cursor_start 3: late
    b'{"seq": 10}',                                    # 2 at cursor_end 10: outside
    b'{"seq": 2}',                                     # 3 late
    b'{"seq": 3}',                                     # 4 at cursor_start: applied
    b'{"other": 1}',                                   # 5 no seq: rejected
    b'{"seq": 4}',                                     # 6 applied
])

# fingerprints.jsonl: records whose canonical jsonb text is every case of
# jsonb's output (test/sql/fingerprint.sql compares the fingerprints with
# SQL's sha256 of payload::text); each line is a valid record of "id", at
# version "at", from source "fp"
AT = b'"at": "2026-04-10T08:00:00Z", "source_id": "fp"'
fp = lambda obj: line(dict(obj, at="2026-04-10T08:00:00Z", source_id="fp"))
controls = "".join(chr(c) for c in range(1, 32)) + "\x7f"
write("fingerprints.jsonl", [
    fp({"id": "f-01"}),                                            # 1 one member (and the version)
    fp({"id": "f-02", "s": controls}),                             # 2 every control character
    fp({"id": "f-03", "s": 'quote " backslash \\ slash / end'}),    # 3 escapes
    fp({"id": "f-04", "s": "é ü 中文 \U0001F600 \u2028"}),          # 4 multibyte UTF-8
    fp({"id": "f-05", "k\n\"ey": 1, "": 2, "ключ": 3}),            # 5 keys escaped, empty, multibyte
    b'{"id": "f-06", ' + AT + b', "n": [0, -0, 1.0, 1.50, -2.5e-3, 1e20, 12345678901234567890123, 1E+2, -0.000, 0.1e-5]}',  # 6 numbers
    fp({"id": "f-07", "t": True, "f": False, "z": None}),           # 7 literals
    fp({"id": "f-08", "a": [], "o": {}, "aa": [[], [{}]], "oo": {"x": {}}}),  # 8 empty containers
    fp({"id": "f-09", "deep": [{"a": [1, {"b": [2, [3, {"c": None}]]}]}]}),    # 9 nesting
    fp({"id": "f-10", "b": 1, "aa": 2, "a": 3, "ab": 4, "c": {"zz": 1, "y": 2}}),  # 10 key order
    b'{"id": "f-11", ' + AT + b', "x": 1, "x": 2}',                  # 11 a repeated member (last wins)
    b'{ "id" : "f-12" ,\t' + AT + b', "s":"\\u0041\\u00e9\\ud83d\\ude00\\/" , "n" : 1.000 }',  # 12 layout, \u escapes
    fp({"id": "f-13", "long": ("x" * 5000 + "\"") * 4}),            # 13 longer than the hash buffer
    fp({"id": "f-14", "many": ["\t" * 3000]}),                     # 14 escapes over the buffer's end
])

# manifests/: source manifests over the fixtures above
import hashlib

MANIFESTS = os.path.join(HERE, "manifests")
os.makedirs(MANIFESTS, exist_ok=True)


def fingerprint(name):
    with open(os.path.join(HERE, name), "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def asset(source_id, name, checksum=True, **extra):
    size, sha = fingerprint(name)
    a = {"source_id": source_id, "source_url_or_path": "../" + name,
         "asset_type": "jsonl", "size_bytes": size, "metadata_status": "complete",
         "pii_scan_status": "clear"}
    if checksum:
        a["checksum_sha256"] = sha
    a.update(extra)
    return a


def manifest(name, number, assets, **extra):
    m = {"manifest_id": "manifest-fixture-20260420-%03d" % number,
         "schema_version": "source_manifest_v1",
         "batch_id": "fixture-manifest-%03d" % number,
         "modality": "structured", "source_type": "ticket_export",
         "license_tag": "proprietary",
         "contract_ref": "omni://contracts/data/ticket/v1",
         "load_mode": "full_snapshot", "assets": assets,
         "created_at": "2026-04-20T08:00:00Z", "owner": "support-data-team",
         "ingest_config": {"parser": "jsonl", "pii_scan": True}}
    m.update(extra)
    with open(os.path.join(MANIFESTS, name), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")


# 001: accepted, warned (no checksum) and quarantined (suspected PII) assets
manifest("gates.json", 1, [
    asset("many", "many.jsonl"),
    asset("versions", "versions_a.jsonl", checksum=False),
    asset("suspect", "versions_b.jsonl", pii_scan_status="suspected"),
])
# 002: a declared checksum that does not match the file: nothing is loaded
bad = asset("edited", "versions_a_edited.jsonl")
bad["checksum_sha256"] = fingerprint("versions_a.jsonl")[1]
manifest("checksum.json", 2, [asset("many", "many.jsonl"), bad])
# 003: breaks four business rules
manifest("rules.json", 3, [asset("many", "many.jsonl"), asset("many", "versions_a.jsonl")],
         license_tag="unknown", canonization_status="canonized",
         modality="video", load_mode="incremental_cursor")
# 004: not a source manifest at all (schema errors)
with open(os.path.join(MANIFESTS, "not_a_manifest.json"), "w") as f:
    f.write('{"manifest_id": "nope", "assets": []}\n')
# 005: an asset whose file does not exist
manifest("missing.json", 5, [asset("many", "many.jsonl"),
                             dict(asset("many", "many.jsonl"), source_id="gone",
                                  source_url_or_path="../no_such_file.jsonl")])
