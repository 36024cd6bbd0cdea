#!/usr/bin/env python3
"""Write data/seed_manifests/: a drop folder of source manifests over the sample files.

Deterministic (Python 3 standard library only): running it again gives byte-identical
files.  The sizes and SHA-256 values in the manifests are those of the sample files as
they are now, so generate_tickets.py and generate_assets.py run it after writing them.
Usage, from anywhere:

    python3 data/generate_seed_manifests.py           write the folder
    python3 data/generate_seed_manifests.py --check   fail if the folder differs

The folder is what `omni_ingest_manifest('<abs path>/data/seed_manifests')` reads, in
byte order of the file names: the four contracts' snapshots, the ticket load modes
(incremental cursor, backfill, replay), then the deliberately bad manifests and a file
that is not a manifest at all.  data/seed_manifests/README.md says what each file shows
and what it is judged.

What the ticket load modes should load is computed here, apart from the extension: each
line of data/tickets.jsonl is judged with data/contract_check.py, the window or cursor
applied as the design says (docs/blueprints/week03/batch_ingestion_design_v1.md), and
Bronze simulated as a set.  The result is compared to EXPECTED so that a change to the
sample file or to a window cannot silently change the numbers the README documents.
"""

import hashlib
import json
import os
import sys

import source_manifest
from contract_check import parse_time, validate
from source_manifest import selection_window as window

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "seed_manifests")
MANIFEST_CONTRACT = os.path.join(ROOT, "contracts", "source_manifest_v1.json")
TICKET_CONTRACT = os.path.join(ROOT, "contracts", "ticket_v1.json")

CREATED = "2026-04-17T05:00:00Z"
DAY = "20260417"
TICKETS = "omni://contracts/data/ticket/v1"
DOCS = "omni://contracts/data/doc_asset/v1"
CALLS = "omni://contracts/data/audio_asset/v1"
VIDEOS = "omni://contracts/data/video_asset/v1"

# The ticket load modes' windows
INCREMENTAL_START = "2026-04-03T00:00:00Z"
BACKFILL_START = "2026-04-05T00:00:00Z"
BACKFILL_END = "2026-04-08T00:00:00Z"

# What the ticket manifests load (see the module's docstring).  "applied" are the
# valid records written (Bronze inserted + skipped); "inserted"/"skipped" are those
# of a load into an empty database; "after_01" of a load after 01 loaded the file.
EXPECTED = {
    "01": {"total": 226, "valid": 218, "invalid": 8, "late": 0, "quarantined": 0,
           "outside_window": 0, "cursor_rejects": 0, "applied": 218, "inserted": 215,
           "skipped": 3, "after_01_inserted": 0, "cursor_after": None},
    "05": {"total": 226, "valid": 195, "invalid": 31, "late": 14, "quarantined": 14,
           "outside_window": 0, "cursor_rejects": 23, "applied": 181, "inserted": 179,
           "skipped": 2, "after_01_inserted": 0, "cursor_after": "2026-04-14T23:26:00Z"},
    "06": {"total": 226, "valid": 218, "invalid": 8, "late": 0, "quarantined": 0,
           "outside_window": 162, "cursor_rejects": 0, "applied": 56, "inserted": 56,
           "skipped": 0, "after_01_inserted": 0, "cursor_after": None},
}


def file_facts(name):
    with open(os.path.join(HERE, name), "rb") as f:
        data = f.read()
    return len(data), hashlib.sha256(data).hexdigest()


def asset(source_id, filename, metadata="complete", pii="clear", declare=True, notes=None,
          path=None):
    size, sha = file_facts(filename) if declare else (None, None)
    return source_manifest.jsonl_asset(source_id, path or "../" + filename, size, sha,
                                       metadata, pii, notes)


KINDS = {
    TICKETS: ("structured", "ticket_export", "support-data-team"),
    DOCS: ("document", "help_center", "support-content-team"),
    CALLS: ("audio", "call_recording", "voice-analytics-team"),
    VIDEOS: ("video", "tutorial_video", "enablement-media-team"),
}


def manifest(seq, source, contract, assets, notes, load_mode="full_snapshot", sel=None,
             gate_policy=None, license_tag="proprietary", canonization="raw"):
    modality, source_type, owner = KINDS[contract]
    return source_manifest.manifest(
        "manifest-seed-%s-%s-%03d" % (source, DAY, seq), "seed-%s-%03d" % (DAY, seq),
        modality, source_type, contract, assets, CREATED, owner, notes, load_mode=load_mode,
        window=sel, gate_policy=gate_policy, license_tag=license_tag, canonization=canonization)


GENERATED = ("Written by python3 data/generate_seed_manifests.py (sizes and checksums follow "
             "the sample files); see data/seed_manifests/README.md.")


def tickets_asset(**kw):
    return asset("zendesk-export", "tickets.jsonl", pii="redacted", **kw)


def files():
    """(file name, content: a manifest dict or raw text, meant to satisfy the manifest contract)"""
    yield "01-tickets-full-snapshot.json", manifest(
        1, "tickets", TICKETS, [tickets_asset()],
        "The ticket export loaded as a snapshot. " + GENERATED), True
    yield "02-docs-full-snapshot.json", manifest(
        2, "docs", DOCS, [asset("helpcenter-export", "doc_assets.jsonl")],
        "The help-center export loaded as a snapshot. " + GENERATED), True
    yield "03-calls-full-snapshot.json", manifest(
        3, "calls", CALLS, [asset("call-recordings-index", "audio_assets.jsonl", pii="redacted")],
        "The call recordings index loaded as a snapshot. " + GENERATED), True
    yield "04-videos-full-snapshot.json", manifest(
        4, "videos", VIDEOS, [asset("media-library-index", "video_assets.jsonl", metadata="partial",
                                    notes="Some videos are not segmented yet (segment_count null).")],
        "The media library index loaded as a snapshot; metadata is partial, so the gate warns "
        "and still loads it. " + GENERATED), True
    yield "05-tickets-incremental-cursor.json", manifest(
        5, "tickets", TICKETS, [tickets_asset()],
        "Tickets changed since %s, by updated_at. Tickets updated before it are late and held in "
        "the quarantine (this manifest is stricter than the site's on_late_arrival); tickets "
        "without updated_at cannot be placed on the cursor and are rejected. %s"
        % (INCREMENTAL_START, GENERATED),
        load_mode="incremental_cursor",
        sel=window(cursor_field="updated_at", cursor_start=INCREMENTAL_START),
        gate_policy={"on_late_arrival": "quarantine"}), True
    yield "06-tickets-backfill.json", manifest(
        6, "tickets", TICKETS, [tickets_asset()],
        "Backfill of the tickets whose version (updated_at, else created_at) lies in "
        "[%s, %s); the others are counted outside the window. %s"
        % (BACKFILL_START, BACKFILL_END, GENERATED),
        load_mode="backfill",
        sel=window(start_at=BACKFILL_START, end_at=BACKFILL_END,
                   backfill_reason="SLA due dates of 2026-04-05..07 recomputed at the source")), True
    yield "07-tickets-replay.json", manifest(
        7, "tickets", TICKETS, [tickets_asset()],
        "Replays the tickets of manifest 01 (batch seed-%s-001) from Bronze; no file is read. "
        "It comes after 01 in name order, so a folder run loads 01 first. %s" % (DAY, GENERATED),
        load_mode="replay", sel=window(replay_from_batch="seed-%s-001" % DAY)), True

    # The deliberately bad ones
    yield "51-bad-unknown-licence-canonized.json", manifest(
        51, "calls", CALLS, [asset("call-recordings-index", "audio_assets.jsonl", pii="redacted")],
        "Bad on purpose: an unknown licence may not be canonized (a manifest rule). " + GENERATED,
        license_tag="unknown", canonization="canonized"), True
    yield "52-bad-duplicate-source-ids.json", manifest(
        52, "docs", DOCS, [asset("helpcenter-export", "doc_assets.jsonl"),
                           asset("helpcenter-export", "doc_assets.jsonl",
                                 notes="The same export listed a second time.")],
        "Bad on purpose: two assets with one source_id (a manifest rule). " + GENERATED), True
    stale = hashlib.sha256(b"the SHA-256 of an earlier export of tickets.jsonl").hexdigest()
    m = manifest(53, "tickets", TICKETS, [tickets_asset()],
                 "Bad on purpose: the declared size is the file's, the SHA-256 is not: the "
                 "load that reads the file fails the asset and keeps nothing. " + GENERATED)
    m["assets"][0]["checksum_sha256"] = stale
    yield "53-bad-checksum-mismatch.json", m, True
    yield "54-bad-incremental-without-window.json", manifest(
        54, "tickets", TICKETS, [tickets_asset()],
        "Bad on purpose: incremental_cursor needs selection_window.cursor_field and "
        "cursor_start; this one has a backfill's window instead. " + GENERATED,
        load_mode="incremental_cursor",
        sel=window(start_at="2026-04-01T00:00:00Z", end_at="2026-04-15T00:00:00Z")), True
    yield "55-bad-pii-suspected.json", manifest(
        55, "calls", CALLS, [asset("call-recordings-unredacted", "audio_assets.jsonl", pii="suspected",
                                   notes="The PII scan flagged caller names in the transcripts.")],
        "Bad on purpose: the PII scan suspects personal data, which always quarantines, "
        "whatever the manifest's gate_policy says. " + GENERATED,
        gate_policy={"on_pii_gap": "accept"}), True
    yield "56-bad-s3-asset.json", manifest(
        56, "docs", DOCS, [asset("helpcenter-export", "doc_assets.jsonl",
                                 path="s3://northstar-support-raw/helpcenter/2026-04-16/doc_assets.jsonl")],
        "Bad on purpose: an object-store URL; omni_ingest reads server files only and never "
        "fetches it. " + GENERATED), True
    yield "57-bad-cdc.json", manifest(
        57, "tickets", TICKETS, [tickets_asset()],
        "Bad on purpose: cdc is not supported (its window is there, so only the load mode is "
        "judged). " + GENERATED,
        load_mode="cdc", sel=window(cursor_field="updated_at", watermark_field="updated_at")), True
    yield "58-bad-manifest-accepts-everything.json", manifest(
        58, "videos", VIDEOS, [asset("media-library-index", "video_assets.jsonl", metadata="missing",
                                     pii="not_run", declare=False)],
        "Bad on purpose: the manifest's own gate_policy accepts everything (unknown licence, "
        "no checksum, no metadata, no PII scan); the site's policy comes first and rejects the "
        "unknown licence. " + GENERATED,
        license_tag="unknown",
        gate_policy={k: "accept" for k in ("on_missing_checksum", "on_partial_metadata",
                                             "on_missing_metadata", "on_pii_gap",
                                             "on_contract_mismatch", "on_unknown_license")}), True
    # Not a manifest at all: the first ticket of the export, saved here by mistake
    with open(os.path.join(HERE, "tickets.jsonl"), encoding="utf-8") as f:
        ticket = json.loads(f.readline())
    yield "59-not-a-manifest.json", ticket, False


def ticket_outcome(mode, records, cursor_field=None, start=None, end=None, stored=None):
    """The figures of a ticket load of `mode` over the judged lines `records`."""
    c = dict.fromkeys(["total", "valid", "invalid", "late", "quarantined", "outside_window",
                       "cursor_rejects", "applied", "inserted", "skipped"], 0)
    bronze = set()
    applied = []
    highest = None
    for record in records:
        c["total"] += 1
        if record is None:
            c["invalid"] += 1
            continue
        if mode == "incremental_cursor":
            value = record.get(cursor_field)
            if value is None:
                c["cursor_rejects"] += 1
                c["invalid"] += 1
                continue
            v = parse_time(value)
            if (stored is not None and v <= parse_time(stored)) or (stored is None and v < parse_time(start)):
                c["late"] += 1
                c["quarantined"] += 1       # on_late_arrival: quarantine
                c["valid"] += 1
                continue
            if end is not None and v >= parse_time(end):
                c["outside_window"] += 1
                c["valid"] += 1
                continue
            if highest is None or v > parse_time(highest):
                highest = value
        elif mode == "backfill":
            v = parse_time(record.get(cursor_field) if cursor_field else
                           (record.get("updated_at") or record["created_at"]))
            if not (parse_time(start) <= v < parse_time(end)):
                c["outside_window"] += 1
                c["valid"] += 1
                continue
        c["valid"] += 1
        c["applied"] += 1
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        key = (record["source_id"], hashlib.sha256(canonical.encode()).hexdigest())
        applied.append(key)
        if key in bronze:
            c["skipped"] += 1
        else:
            bronze.add(key)
            c["inserted"] += 1
    c["cursor_after"] = highest
    return c, applied


def judged_ticket_lines():
    """Every non-blank line of tickets.jsonl: its record when valid, else None"""
    with open(TICKET_CONTRACT) as f:
        contract = json.load(f)
    with open(os.path.join(HERE, "tickets.jsonl"), encoding="utf-8") as f:
        texts = f.read().split("\n")[:-1]
    out = []
    for text in texts:
        if text.strip(" \t\r") == "":
            continue
        try:
            record = json.loads(text)
        except ValueError:
            out.append(None)
            continue
        out.append(None if isinstance(record, list) or list(validate(contract, record, "", contract))
                   else record)
    return out


def check_outcomes():
    records = judged_ticket_lines()
    got = {}
    full, bronze_01 = ticket_outcome("full_snapshot", records)
    runs = {
        "01": (full, bronze_01),
        "05": ticket_outcome("incremental_cursor", records, "updated_at", INCREMENTAL_START),
        "06": ticket_outcome("backfill", records, None, BACKFILL_START, BACKFILL_END),
    }
    for name, (c, keys) in runs.items():
        c["after_01_inserted"] = len(set(keys) - set(bronze_01))
        got[name] = c
        print("%s: %s" % (name, ", ".join("%s %s" % kv for kv in c.items())))
        assert c["valid"] == c["applied"] + c["quarantined"] + c["outside_window"]
        assert c["applied"] == c["inserted"] + c["skipped"]
    return got == EXPECTED


def main(argv):
    check = "--check" in argv
    with open(MANIFEST_CONTRACT) as f:
        contract = json.load(f)
    declared_late = "on_late_arrival" in contract["properties"]["gate_policy"]["properties"]
    wanted = {}
    ok = True
    for name, content, meant_valid in files():
        wanted[name] = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        errors = list(validate(contract, content, "", contract))
        if not declared_late:
            # contracts/source_manifest_v1.json gains gate_policy.on_late_arrival with the
            # site gate policy; until then it is the one error a manifest may have
            errors = [e for e in errors if e != ("/gate_policy/on_late_arrival", "additionalProperties")]
        if bool(errors) == meant_valid:
            print("%s: %s" % (name, errors or "satisfies the manifest contract, it should not"))
            ok = False
    if check:
        have = {n for n in os.listdir(OUT) if n.endswith(".json")} if os.path.isdir(OUT) else set()
        for name in sorted(have | set(wanted)):
            path = os.path.join(OUT, name)
            if name not in wanted:
                print("%s: not written by this script" % name)
                ok = False
            elif not os.path.exists(path):
                print("%s: missing" % name)
                ok = False
            else:
                with open(path, encoding="utf-8") as f:
                    if f.read() != wanted[name]:
                        print("%s: differs from what this script writes (run it)" % name)
                        ok = False
    else:
        os.makedirs(OUT, exist_ok=True)
        for name, text in wanted.items():
            with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
                f.write(text)
        print("wrote %d files in %s" % (len(wanted), os.path.relpath(OUT, ROOT)))
    if not check_outcomes():
        print("the ticket load modes' figures differ from EXPECTED: update "
              "data/seed_manifests/README.md and EXPECTED together")
        ok = False
    if not ok:
        sys.exit("data/seed_manifests: see above")


if __name__ == "__main__":
    main(sys.argv[1:])
