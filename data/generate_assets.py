#!/usr/bin/env python3
"""Generate the sample asset files (documents, audio, video) and their manifests.

Deterministic (fixed seed, Python 3 standard library only): running it again
produces byte-identical files.  Usage, from anywhere:

    python3 data/generate_assets.py

Writes
    data/doc_assets.jsonl      help-center articles, FAQ, release notes, API docs,
                               PDF manuals, community posts (doc_asset/v1)
    data/audio_assets.jsonl    support call recordings, synthetic TTS prompts,
                               customer interviews, voice notes (audio_asset/v1)
    data/video_assets.jsonl    tutorials, installation videos, screencasts, support
                               demos, customer interviews (video_asset/v1)
    data/manifests/manifest-docs-20260416-001.json    their source manifests (size
    data/manifests/manifest-calls-20260416-001.json   and SHA-256 of each file)
    data/manifests/manifest-videos-20260416-001.json
    data/seed_manifests/*.json  the drop folder of manifests over the sample files,
                               rewritten with the new sizes and checksums
                               (generate_seed_manifests.py)
and prints the expected load outcome of each file (see data/README.md).

What each file holds, on purpose (the version of an asset record is its
ingest_ts; its business key is source_id, call_id or video_id)
  * a few hundred distinct valid assets, one line each, in ingest_ts order;
  * 3 exact duplicate lines (byte-identical to an earlier line, one of them
    adjacent): Bronze skips them, Silver leaves the asset unchanged;
  * 3 later versions of earlier assets (same key, later ingest_ts, changed
    metadata: a review passed, a transcript or captions arrived, ...) placed
    after the original: Silver updates;
  * 1 older version placed after a newer one (same key, earlier ingest_ts):
    Bronze stores it, Silver must not let it overwrite the newer version
    (superseded);
  * 1 re-sent record with the same ingest_ts as an earlier line but other
    content: the later line replaces the earlier one (Silver updated);
  * 3 blank lines (empty, spaces, a tab);
  * 3 malformed lines (not JSON at all, a truncated object, a JSON value that
    is not an object);
  * 7 schema violations, one fault each: pattern, enum, required,
    additionalProperties, type, format, and one more keyword (const, maximum,
    minimum);
  * documents only: 1 record without ingest_ts (doc_asset does not require
    it), otherwise valid, which the load rejects because the record has no
    version.
Every file is UTF-8, LF line ends, and ends with a newline.

The expected counts are computed here, independently of the extension: each
line is classified with a small validator that reads the contract from
contracts/ (the keywords the shipped contracts use), the version rule (a
record needs ingest_ts) is applied on top, Bronze is simulated as a set of
(source_id, fingerprint of the canonical record) and Silver as the newest
version per key (same version: identical content is unchanged, other content
replaces).  The result is compared to EXPECTED below so that a change to the
generator cannot silently change the numbers documented in README.md.
"""

import datetime as dt
import hashlib
import json
import os
import random
import re
import sys

import generate_seed_manifests
import source_manifest
from contract_check import parse_time, validate
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SEED = 20260416
INGEST_START = dt.datetime(2026, 4, 14, 6, 0, tzinfo=dt.timezone.utc)
INGEST_END = dt.datetime(2026, 4, 16, 6, 0, tzinfo=dt.timezone.utc)
MANIFEST_CREATED = "2026-04-16T07:00:00Z"

# The numbers data/README.md documents (each file loaded into an empty
# database, dry_run false, with ingest_ts as the version field)
EXPECTED = {
    "doc": {
        "lines": 231, "blank_lines": 3, "total": 228, "valid": 217, "invalid": 11,
        "distinct_keys": 209, "bronze_inserted": 214, "bronze_skipped": 3,
        "silver_inserted": 209, "silver_updated": 4, "silver_unchanged": 3,
        "silver_superseded": 1,
    },
    "audio": {
        "lines": 232, "blank_lines": 3, "total": 229, "valid": 219, "invalid": 10,
        "distinct_keys": 211, "bronze_inserted": 216, "bronze_skipped": 3,
        "silver_inserted": 211, "silver_updated": 4, "silver_unchanged": 3,
        "silver_superseded": 1,
    },
    "video": {
        "lines": 205, "blank_lines": 3, "total": 202, "valid": 192, "invalid": 10,
        "distinct_keys": 184, "bronze_inserted": 189, "bronze_skipped": 3,
        "silver_inserted": 184, "silver_updated": 4, "silver_unchanged": 3,
        "silver_superseded": 1,
    },
}

rng = random.Random(SEED)


def ts(t):
    """Render a timestamp the way the exports do: UTC, seconds, Z."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(record):
    return json.dumps(record, ensure_ascii=False)


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ingest_times(n):
    """n sorted ingest timestamps spread over the ingest window."""
    span = int((INGEST_END - INGEST_START).total_seconds()) - 4 * 3600
    return sorted(INGEST_START + dt.timedelta(seconds=rng.randrange(span)) for _ in range(n))


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


PRODUCTS = {
    "northstar_workspace": ("Workspace", ["5.1", "5.2", "5.3"]),
    "northstar_edge_gateway": ("Edge Gateway", ["3.0", "3.1", "3.2"]),
    "northstar_studio": ("Studio", ["2.7", "2.8", "2.9"]),
}

# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------
DOC_BATCH = "batch-20260416-001"
DOC_OWNER = "support-content-team"

# Topics per product: (title, tags)
DOC_TOPICS = {
    "northstar_workspace": [
        ("Configure SAML single sign-on", ["sso", "saml"]),
        ("Rotate the SAML signing certificate", ["sso", "certificate"]),
        ("Provision users with SCIM", ["scim", "provisioning"]),
        ("Set up multi-factor authentication", ["mfa", "security"]),
        ("Share a space with guests", ["sharing", "guest-access"]),
        ("Export pages to PDF", ["export", "pdf"]),
        ("Search operators and filters", ["search"]),
        ("Manage seats and billing", ["billing", "seats"]),
        ("Install the desktop client on Windows", ["desktop", "windows", "installer"]),
        ("Install the desktop client on macOS", ["desktop", "macos", "installer"]),
        ("Run the desktop client behind a proxy", ["desktop", "proxy"]),
        ("Read and export the audit log", ["audit-log", "compliance"]),
        ("Bulk import pages from another wiki", ["import", "migration"]),
        ("Shared calendars and permissions", ["calendar", "permissions"]),
        ("Data retention policies", ["retention", "compliance"]),
        ("Offline mode in the mobile app", ["mobile", "offline"]),
    ],
    "northstar_edge_gateway": [
        ("Claim a gateway with zero-touch provisioning", ["ztp", "provisioning"]),
        ("Configure a site-to-site IPsec tunnel", ["ipsec", "vpn"]),
        ("Remote access VPN for employees", ["vpn", "remote-access"]),
        ("Order firewall rules", ["firewall", "rules"]),
        ("Enable intrusion detection", ["ids", "security"]),
        ("Install your own management certificate", ["certificate", "tls"]),
        ("DHCP pools and lease times", ["dhcp", "networking"]),
        ("Upgrade the gateway firmware", ["firmware", "upgrade"]),
        ("Roll back a firmware upgrade", ["firmware", "rollback"]),
        ("High availability pairs", ["ha", "failover"]),
        ("VLANs and trunk ports", ["vlan", "networking"]),
        ("Throughput sizing for EG-400 and EG-800", ["throughput", "sizing"]),
        ("Send syslog to a SIEM", ["syslog", "siem"]),
        ("Reset a gateway to factory settings", ["reset", "recovery"]),
    ],
    "northstar_studio": [
        ("Create your first project", ["getting-started"]),
        ("Import footage and audio", ["import", "media"]),
        ("Render presets and codecs", ["render", "codecs"]),
        ("GPU acceleration requirements", ["gpu", "performance"]),
        ("Collaborate on a timeline", ["collaboration", "timeline"]),
        ("Automatic captions", ["captions", "accessibility"]),
        ("Color grading with LUTs", ["color", "lut"]),
        ("Licence activation offline", ["licensing", "activation"]),
        ("Plug-in SDK overview", ["sdk", "plugins"]),
        ("Proxy media workflow", ["proxy-media", "performance"]),
        ("Recover an autosaved project", ["autosave", "recovery"]),
        ("Keyboard shortcuts", ["shortcuts"]),
    ],
}
FAQS = [
    ("northstar_workspace", "Why do users land on the sign-in page again after SSO?", ["sso", "login"]),
    ("northstar_workspace", "How are seats counted on the invoice?", ["billing", "seats"]),
    ("northstar_workspace", "Can guest links expire?", ["sharing", "guest-access"]),
    ("northstar_workspace", "What are the API rate limits?", ["api", "rate-limit"]),
    ("northstar_edge_gateway", "Why does the IPsec tunnel drop at rekey?", ["ipsec", "rekey"]),
    ("northstar_edge_gateway", "Which ports must be open for zero-touch provisioning?", ["ztp", "firewall"]),
    ("northstar_edge_gateway", "Does IDS reduce throughput?", ["ids", "throughput"]),
    ("northstar_studio", "Which GPUs are supported?", ["gpu"]),
    ("northstar_studio", "Can I move my licence to a new computer?", ["licensing"]),
    ("northstar_studio", "Why is my render slower than the preview?", ["render", "performance"]),
    ("cross_product", "How do I contact support by phone?", ["support", "contact"]),
    ("cross_product", "What do the support tiers include?", ["support", "sla"]),
    ("cross_product", "Where is my data stored?", ["data-residency", "compliance"]),
    ("cross_product", "How do I reset my Northstar ID password?", ["account", "password"]),
]
API_AREAS = {
    "northstar_workspace": ["pages", "spaces", "users", "groups", "search", "audit-events",
                            "webhooks", "bulk-import"],
    "northstar_edge_gateway": ["devices", "tunnels", "firewall-rules", "firmware", "metrics"],
    "northstar_studio": ["projects", "render-jobs", "assets", "licences"],
}
MANUALS = [
    ("northstar_edge_gateway", "EG-400 installation guide", 48),
    ("northstar_edge_gateway", "EG-800 installation guide", 56),
    ("northstar_edge_gateway", "EG-400 and EG-800 administrator manual", 212),
    ("northstar_edge_gateway", "Rack mount kit quick start", 4),
    ("northstar_edge_gateway", "Safety and regulatory information", 18),
    ("northstar_workspace", "Workspace administrator guide", 164),
    ("northstar_workspace", "Workspace security whitepaper", 26),
    ("northstar_workspace", "Workspace migration handbook", 72),
    ("northstar_studio", "Studio user manual", 318),
    ("northstar_studio", "Studio plug-in SDK reference", 140),
    ("northstar_studio", "Studio hardware requirements", 9),
    ("cross_product", "Northstar support handbook", 38),
]
COMMUNITY = [
    ("northstar_edge_gateway", "IPsec to Azure VPN gateway working config", ["ipsec", "azure"]),
    ("northstar_edge_gateway", "EG-400 fan noise after firmware 3.1", ["firmware", "hardware"]),
    ("northstar_edge_gateway", "Script to export firewall rules as CSV", ["firewall", "scripting"]),
    ("northstar_workspace", "Okta SCIM mapping for nested groups", ["scim", "okta"]),
    ("northstar_workspace", "Migrating 80k pages from an old wiki lessons learned", ["migration"]),
    ("northstar_workspace", "Desktop client behind Zscaler", ["proxy", "desktop"]),
    ("northstar_studio", "Best render preset for YouTube 4K", ["render", "presets"]),
    ("northstar_studio", "Studio on Linux with Wine does it work", ["linux", "unsupported"]),
    ("northstar_studio", "Sharing LUT packs with the team", ["lut", "collaboration"]),
]
LANGS = ["en"] * 14 + ["de", "fr", "ja", "es"]


def doc_record(source, asset_type, product_line, url, version, tags, t, **extra):
    fingerprint = sha("%s|%s|%s" % (url, version, asset_type))
    r = {
        "source_id": "doc:%s:%s" % (source, fingerprint[:12]),
        "asset_type": asset_type,
        "schema_version": "doc_asset_v1",
        "source_fingerprint": fingerprint,
        "ingest_batch_id": DOC_BATCH,
        "license_tag": extra.pop("license_tag", "proprietary"),
        "source_url": url,
        "modality": "document",
    }
    if "page_count" in extra:
        r["page_count"] = extra.pop("page_count")
    r["product_line"] = product_line
    r["doc_version"] = version
    r["language"] = extra.pop("language", "en")
    ext = {"pdf": "pdf", "faq": "html", "html": "html", "release_notes": "md",
           "api_doc": "json", "community_post": "html", "other": "html"}[asset_type]
    r["raw_object_path"] = "s3://omni-raw/docs/2026/04/%s/%s.%s" % (
        t.strftime("%d"), fingerprint, ext)
    r["ingest_ts"] = ts(t)
    r["tags"] = tags
    r["pii_level"] = extra.pop("pii_level", "none")
    r["quality_gate"] = extra.pop("quality_gate", "pass")
    r["owner"] = DOC_OWNER
    assert not extra, extra
    return r


def make_docs(times):
    """The distinct valid documents, one per ingest time."""
    specs = []      # (source, asset_type, product_line, url, version, tags, extra)
    for pl, topics in DOC_TOPICS.items():
        name, versions = PRODUCTS[pl]
        for i, (title, tags) in enumerate(topics):
            art = 36000000 + 1000 * list(PRODUCTS).index(pl) + 17 * i
            langs = ["en"] + (["de", "fr"] if i % 4 == 0 else []) + (["ja"] if i % 7 == 3 else [])
            for lang in langs:
                url = "https://help.northstar.example/hc/%s/articles/%d-%s" % (
                    {"en": "en-us", "de": "de", "fr": "fr", "ja": "ja"}[lang], art, slugify(title))
                specs.append(("help_center", "html", pl, url, versions[-1], tags,
                              {"language": lang, "page_count": 1 + (i % 3)}))
    for i, (pl, q, tags) in enumerate(FAQS):
        url = "https://help.northstar.example/hc/en-us/articles/%d-%s" % (36100000 + 13 * i, slugify(q))
        specs.append(("faq", "faq", pl, url, "2026.04", ["faq"] + tags, {}))
    for pl, (name, versions) in PRODUCTS.items():
        for v in versions:
            for patch in range(6):
                ver = "%s.%d" % (v, patch)
                url = "https://docs.northstar.example/release-notes/%s/%s" % (
                    slugify(name), ver.replace(".", "-"))
                specs.append(("release_notes", "release_notes", pl, url, ver,
                              ["release-notes", slugify(name)], {}))
    for pl, areas in API_AREAS.items():
        name, versions = PRODUCTS[pl]
        for api_v in ("v2", "v3"):
            for area in areas:
                url = "https://developer.northstar.example/%s/api/%s/%s" % (slugify(name), api_v, area)
                specs.append(("api_reference", "api_doc", pl, url, api_v, ["api", area], {}))
    for pl, title, pages in MANUALS:
        for rev in ("rev-a", "rev-b"):
            url = "https://downloads.northstar.example/manuals/%s-%s.pdf" % (slugify(title), rev)
            specs.append(("pdf_manuals", "pdf", pl, url, rev, ["manual", "pdf"],
                          {"page_count": pages + (2 if rev == "rev-b" else 0)}))
    for i, (pl, title, tags) in enumerate(COMMUNITY):
        url = "https://community.northstar.example/t/%s/%d" % (slugify(title), 48210 + 37 * i)
        specs.append(("community", "community_post", pl, url, "1", ["community"] + tags,
                      {"license_tag": "cc_by_sa", "pii_level": "low"}))
    # a few course documents written for the support academy
    for i, title in enumerate(["Troubleshooting VPN handshakes", "Reading gateway logs",
                               "Escalating a P1 incident", "Writing a good bug report"]):
        url = "https://academy.northstar.example/courses/support-basics/%d-%s" % (i + 1, slugify(title))
        specs.append(("academy", "other", "cross_product", url, "2026.1", ["course"],
                      {"license_tag": "course_synthetic"}))
    assert len(specs) == len(times), (len(specs), len(times))
    order = list(range(len(specs)))
    rng.shuffle(order)
    docs = []
    for t, i in zip(times, order):
        source, asset_type, pl, url, version, tags, extra = specs[i]
        extra = dict(extra)
        extra.setdefault("quality_gate", rng.choice(["pass"] * 8 + ["warn", "pending"]))
        docs.append(doc_record(source, asset_type, pl, url, version, list(tags), t, **extra))
    return docs


def doc_variants(base):
    """Later/older/same-time versions of some documents, and the invalid lines."""
    def later(i, hours, change):
        r = dict(base[i])
        r["ingest_ts"] = ts(parse_time(r["ingest_ts"]) + dt.timedelta(hours=hours))
        change(r)
        return r

    def review_passed(r):
        r["quality_gate"] = "pass"

    def add_tag(tag):
        def f(r):
            r["tags"] = r["tags"] + [tag]
        return f

    def page_fix(r):
        r["page_count"] = r.get("page_count", 1) + 3

    pending = [i for i, r in enumerate(base) if r["quality_gate"] == "pending"]
    pdfs = [i for i, r in enumerate(base) if r["asset_type"] == "pdf"]
    htmls = [i for i, r in enumerate(base) if r["asset_type"] == "html"]
    notes = [i for i, r in enumerate(base) if r["asset_type"] == "release_notes"]
    used = set()

    def pick(candidates, lo, hi):
        for i in candidates:
            if lo <= i <= hi and i not in used:
                used.add(i)
                return i
        sys.exit("no candidate in %d..%d" % (lo, hi))

    out = {}    # base index after which -> list of (text, kind)
    # later versions
    for (cands, lo, hi, hours, change, after_gap, what) in [
        (pending, 5, 60, 7, review_passed, 40, "review passed: quality_gate pending -> pass"),
        (pdfs, 40, 110, 11, page_fix, 55, "page_count corrected (+3 pages)"),
        (htmls, 100, 170, 5, add_tag("reviewed-2026q2"), 30, "tag reviewed-2026q2 added"),
    ]:
        i = pick(cands, lo, hi)
        out.setdefault(i + after_gap, []).append((dump(later(i, hours, change)), "version", what))
    # older after newer: the base line is the newer version, the later line an older one
    i = pick(notes, 120, 190)
    older = dict(base[i])
    older["ingest_ts"] = ts(parse_time(base[i]["ingest_ts"]) - dt.timedelta(hours=20))
    older["quality_gate"] = "pending"
    out.setdefault(i + 17, []).append((dump(older), "older", "older export of the same notes, quality_gate pending"))
    # same ingest_ts, other content
    i = pick(htmls, 180, 210)
    same = dict(base[i])
    same["tags"] = same["tags"] + ["needs-screenshot-update"]
    same["quality_gate"] = "warn"
    out.setdefault(i + 3, []).append((dump(same), "same_version", "re-sent with the same ingest_ts, quality_gate warn and a tag added"))
    # duplicates
    for i, gap in [(pick(range(len(base)), 9, 9), 0), (pick(range(len(base)), 77, 77), 31),
                   (pick(range(len(base)), 150, 150), 44)]:
        out.setdefault(i + gap, []).append((dump(base[i]), "duplicate", "exact duplicate"))

    # invalid lines: spare documents not in the file otherwise
    def spare(n, asset_type="html", pl="northstar_workspace"):
        t = INGEST_START + dt.timedelta(hours=3 + 4 * n)
        url = "https://help.northstar.example/hc/en-us/articles/%d-draft-article-%d" % (36900000 + n, n)
        return doc_record("help_center", asset_type, pl, url, "5.3", ["draft"], t, page_count=1)

    r0 = spare(0)
    invalid = [
        (23, "not JSON: a CSV header from a wrong export",
         "source_id,asset_type,source_url,ingest_ts"),
        (48, "pattern at /source_id: upper-case hex digits",
         lambda: dump(dict(spare(1), source_id=spare(1)["source_id"].upper().replace("DOC:HELP_CENTER:", "doc:help_center:")))),
        (66, "enum at /asset_type: \"markdown\"", lambda: dump(dict(spare(2), asset_type="markdown"))),
        (91, "truncated inside the source_url value",
         lambda: dump(r0)[:dump(r0).index('"source_url"') + 40]),
        (104, "required: source_fingerprint missing",
         lambda: dump({k: v for k, v in spare(3).items() if k != "source_fingerprint"})),
        (127, "additionalProperties at /title",
         lambda: dump(dict(spare(4), title="Draft: configure SCIM for nested groups"))),
        (139, "not an object: a JSON string", lambda: json.dumps("doc:help_center:draft")),
        (158, "type at /page_count: the string \"12\"", lambda: dump(dict(spare(5), page_count="12"))),
        (176, "format (uri) at /source_url: no scheme",
         lambda: dump(dict(spare(6), source_url="help.northstar.example/hc/en-us/articles/36900006-draft-article-6"))),
        (190, "const at /schema_version: \"doc_asset_v2\"", lambda: dump(dict(spare(7), schema_version="doc_asset_v2"))),
        (203, "no ingest_ts: the record has no version (schema-valid; rejected by the load's version rule)",
         lambda: dump({k: v for k, v in spare(8).items() if k != "ingest_ts"})),
    ]
    for after, what, build in invalid:
        text = build() if callable(build) else build
        out.setdefault(after, []).append((text, "invalid" if "no ingest_ts" not in what else "no_version", what))
    for after, text in [(30, ""), (112, "   "), (201, "\t")]:
        out.setdefault(after, []).append((text, "blank", "blank"))
    return out


# ---------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------
AUDIO_BATCH = "batch-20260416-002"
AUDIO_OWNER = "voice-analytics-team"


def ticket_ids():
    """The ticket ids of the valid tickets in tickets.jsonl (calls refer to them)."""
    ids = []
    with open(os.path.join(HERE, "tickets.jsonl"), encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and re.match(r"^TKT-[0-9]{8}-004[0-9]{3}$", r.get("ticket_id", "")):
                if r["ticket_id"] not in ids:
                    ids.append(r["ticket_id"])
    return ids


def make_audio(times):
    tickets = ticket_ids()
    kinds = (["real_call"] * 14 + ["tts_synthetic"] * 3 + ["interview"] * 2 + ["voicenote"] * 1)
    seq = {}
    out = []
    for t in times:
        kind = rng.choice(kinds)
        day = t - dt.timedelta(hours=rng.randrange(6, 40))
        d = day.strftime("%Y%m%d")
        seq[d] = seq.get(d, rng.randrange(100, 900) * 1000) + rng.randrange(1, 40)
        call_id = "CALL-%s-%08d" % (d, seq[d])
        r = {"call_id": call_id, "schema_version": "audio_asset_v1"}
        if kind == "real_call":
            r["source_id"] = "genesys-cloud-export"
            duration = round(rng.uniform(95, 2400), 1)
            speakers = rng.choice([2, 2, 2, 2, 3])
            noise = rng.choice(["clean", "light", "light", "moderate", "heavy"])
            transcribed = rng.random() < 0.85
            pii_level, redacted = "high", transcribed and rng.random() < 0.9
            license_tag = "proprietary"
            ticket = rng.choice(tickets) if rng.random() < 0.8 else None
            ext = "opus"
        elif kind == "tts_synthetic":
            r["source_id"] = "tts-prompt-studio"
            duration = round(rng.uniform(4, 45), 1)
            speakers, noise, transcribed = 1, "clean", True
            pii_level, redacted, license_tag, ticket, ext = "none", False, "course_synthetic", None, "wav"
        elif kind == "interview":
            r["source_id"] = "ux-research-interviews"
            duration = round(rng.uniform(1500, 3600), 1)
            speakers = rng.choice([2, 3])
            noise = rng.choice(["clean", "light"])
            transcribed = True
            pii_level, redacted, license_tag, ticket, ext = "low", True, "proprietary", None, "m4a"
        else:
            r["source_id"] = "voicemail-gateway"
            duration = round(rng.uniform(8, 180), 1)
            speakers, noise = 1, rng.choice(["light", "moderate", "unknown"])
            transcribed = rng.random() < 0.7
            pii_level, redacted, license_tag, ext = "high", transcribed, "proprietary", "opus"
            ticket = rng.choice(tickets) if rng.random() < 0.5 else None
        r["ingest_batch_id"] = AUDIO_BATCH
        r["audio_type"] = kind
        r["duration_sec"] = duration
        r["speaker_count"] = speakers
        conf = {"clean": 0.93, "light": 0.89, "moderate": 0.82, "heavy": 0.71, "unknown": 0.8}[noise]
        r["asr_confidence"] = round(min(0.99, conf + rng.uniform(-0.05, 0.05)), 3) if transcribed else None
        r["noise_level"] = noise
        r["raw_object_path"] = "s3://omni-raw/audio/%s/%s/%s.%s" % (
            r["source_id"], day.strftime("%Y/%m/%d"), call_id.lower(), ext)
        r["transcript_path"] = ("s3://omni-derived/transcripts/%s.json" % call_id.lower()) if transcribed else None
        r["ticket_id"] = ticket
        r["pii_level"] = pii_level
        r["pii_redacted"] = redacted
        r["quality_gate"] = ("pass" if transcribed and (redacted or pii_level != "high")
                             else "pending" if not transcribed else "warn")
        r["owner"] = AUDIO_OWNER
        r["license_tag"] = license_tag
        r["ingest_ts"] = ts(t)
        out.append(r)
    assert len({r["call_id"] for r in out}) == len(out)
    return out


def audio_variants(base):
    def later(i, hours):
        r = dict(base[i])
        r["ingest_ts"] = ts(parse_time(r["ingest_ts"]) + dt.timedelta(hours=hours))
        return r

    untranscribed = [i for i, r in enumerate(base) if r["asr_confidence"] is None and r["audio_type"] == "real_call"]
    unredacted = [i for i, r in enumerate(base)
                  if r["asr_confidence"] is not None and not r["pii_redacted"] and r["pii_level"] == "high"]
    calls = [i for i, r in enumerate(base) if r["audio_type"] == "real_call" and r["ticket_id"] is None]
    tts = [i for i, r in enumerate(base) if r["audio_type"] == "tts_synthetic"]
    used = set()

    def pick(candidates, lo, hi):
        for i in candidates:
            if lo <= i <= hi and i not in used:
                used.add(i)
                return i
        sys.exit("no audio candidate in %d..%d" % (lo, hi))

    out = {}
    i = pick(untranscribed, 5, 80)
    r = later(i, 6)
    r.update(asr_confidence=0.874, transcript_path="s3://omni-derived/transcripts/%s.json" % r["call_id"].lower(),
             pii_redacted=True, quality_gate="pass")
    out.setdefault(i + 35, []).append((dump(r), "version", "transcript arrived: asr_confidence, transcript_path, redacted, pass"))
    i = pick(unredacted, 60, 150)
    r = later(i, 9)
    r.update(pii_redacted=True, quality_gate="pass")
    out.setdefault(i + 50, []).append((dump(r), "version", "PII redaction done: pii_redacted true, quality_gate pass"))
    i = pick(calls, 100, 180)
    r = later(i, 3)
    r["ticket_id"] = ticket_ids()[57]
    out.setdefault(i + 24, []).append((dump(r), "version", "linked to its ticket"))
    # older after newer
    i = pick([j for j in range(len(base)) if base[j]["asr_confidence"] is not None and base[j]["audio_type"] == "real_call"], 120, 190)
    older = dict(base[i])
    older["ingest_ts"] = ts(parse_time(base[i]["ingest_ts"]) - dt.timedelta(hours=14))
    older.update(asr_confidence=None, transcript_path=None, pii_redacted=False, quality_gate="pending")
    out.setdefault(i + 12, []).append((dump(older), "older", "older export, before the transcript"))
    # same ingest_ts, other content
    i = pick(tts, 150, 205)
    same = dict(base[i])
    same["duration_sec"] = round(same["duration_sec"] + 1.5, 1)
    out.setdefault(i + 2, []).append((dump(same), "same_version", "re-sent with the same ingest_ts, duration re-measured"))
    for i, gap in [(pick(range(len(base)), 14, 14), 0), (pick(range(len(base)), 88, 88), 27),
                   (pick(range(len(base)), 160, 160), 38)]:
        out.setdefault(i + gap, []).append((dump(base[i]), "duplicate", "exact duplicate"))

    def spare(n):
        t = INGEST_START + dt.timedelta(hours=2 + 3 * n)
        r = dict(base[0])
        r.update(call_id="CALL-20260413-%08d" % (99000001 + n), ingest_ts=ts(t), ticket_id=None,
                 raw_object_path="s3://omni-raw/audio/genesys-cloud-export/2026/04/13/call-20260413-%08d.opus" % (99000001 + n),
                 transcript_path=None, asr_confidence=None, quality_gate="pending",
                 source_id="genesys-cloud-export", audio_type="real_call", pii_level="high",
                 pii_redacted=False, license_tag="proprietary", speaker_count=2, noise_level="light")
        return r

    r0 = spare(0)
    invalid = [
        (19, "not JSON: an error message from the export job",
         "ERROR 2026-04-14T06:12:09Z export worker 3: connection reset by peer"),
        (41, "pattern at /call_id: seven-digit date", lambda: dump(dict(spare(1), call_id="CALL-2026041-99000002"))),
        (63, "enum at /audio_type: \"phone_call\"", lambda: dump(dict(spare(2), audio_type="phone_call"))),
        (84, "truncated inside the duration_sec value",
         lambda: dump(r0)[:dump(r0).index('"duration_sec"') + 18]),
        (99, "required: pii_redacted missing", lambda: dump({k: v for k, v in spare(3).items() if k != "pii_redacted"})),
        (118, "additionalProperties at /caller_phone",
         lambda: dump(dict(spare(4), caller_phone="[REDACTED_PHONE]"))),
        (133, "not an object: a JSON array", lambda: json.dumps([spare(5)["call_id"], 312.5])),
        (151, "type at /speaker_count: the string \"two\"", lambda: dump(dict(spare(6), speaker_count="two"))),
        (172, "format (date-time) at /ingest_ts: a space instead of T",
         lambda: dump(dict(spare(7), ingest_ts=spare(7)["ingest_ts"].replace("T", " ")))),
        (193, "maximum at /asr_confidence: 1.07", lambda: dump(dict(spare(8), asr_confidence=1.07))),
    ]
    for after, what, build in invalid:
        out.setdefault(after, []).append((build() if callable(build) else build, "invalid", what))
    for after, text in [(36, ""), (109, "    "), (187, "\t")]:
        out.setdefault(after, []).append((text, "blank", "blank"))
    return out


# ---------------------------------------------------------------------------
# Video
# ---------------------------------------------------------------------------
VIDEO_BATCH = "batch-20260416-003"
VIDEO_OWNER = "enablement-media-team"
VIDEO_SOURCES = {
    "tutorial": ("academy", "https://academy.northstar.example/videos/"),
    "installation": ("install_guides", "https://help.northstar.example/videos/install/"),
    "screencast": ("screencasts", None),
    "support_demo": ("support_demos", None),
    "interview": ("customer_stories", "https://www.northstar.example/customers/stories/"),
}
VIDEO_TOPICS = {
    "northstar_workspace": ["SSO", "SCIM", "Gastzugänge", "search", "guest links", "audit log",
                            "desktop client", "billing", "bulk import"],
    "northstar_edge_gateway": ["IPsec", "VPN", "zero-touch provisioning", "firewall rules", "IDS",
                               "firmware upgrade", "VLAN", "rack mount", "Inbetriebnahme"],
    "northstar_studio": ["timeline", "render presets", "GPU", "captions", "color grading",
                         "plug-ins", "proxy media", "licence activation"],
}


def make_videos(times):
    types = ["tutorial"] * 6 + ["installation"] * 3 + ["screencast"] * 4 + ["support_demo"] * 2 + ["interview"]
    out = []
    seen = set()
    for n, t in enumerate(times):
        vt = rng.choice(types)
        source, base_url = VIDEO_SOURCES[vt]
        pl = rng.choice(list(PRODUCTS))
        name, versions = PRODUCTS[pl]
        topics = rng.sample(VIDEO_TOPICS[pl], rng.choice([1, 2, 2, 3]))
        title = "%s %s %s" % (name, " and ".join(topics), versions[rng.randrange(3)])
        fingerprint = sha("%s|%s|%d" % (vt, title, n))
        vid = "VID-%s-%s" % (source, fingerprint[:12])
        assert vid not in seen
        seen.add(vid)
        duration = {"tutorial": (180, 1500), "installation": (240, 900), "screencast": (45, 600),
                    "support_demo": (300, 2700), "interview": (600, 2400)}[vt]
        segmented = rng.random() < 0.85
        caption = vt in ("tutorial", "installation", "interview") or rng.random() < 0.4
        key = vid.lower()
        r = {
            "video_id": vid,
            "schema_version": "video_asset_v1",
            "source_id": "media-library-" + source.replace("_", "-"),
            "ingest_batch_id": VIDEO_BATCH,
            "video_type": vt,
            "duration_sec": round(rng.uniform(*duration), 1),
            "segment_count": rng.randrange(3, 40) if segmented else None,
            "topics": topics,
            "has_ocr": vt in ("screencast", "support_demo") or rng.random() < 0.3,
            "has_caption": caption,
            "source_url": (base_url + slugify(title)) if base_url else None,
            "raw_object_path": "s3://omni-raw/video/%s/%s.mp4" % (source, key),
            "transcript_path": ("s3://omni-derived/transcripts/%s.json" % key) if caption else None,
            "caption_path": ("s3://omni-derived/captions/%s.en.vtt" % key) if caption else None,
            "thumbnail_path": "s3://omni-derived/thumbnails/%s.jpg" % key,
            "pii_level": "low" if vt in ("support_demo", "interview") else "none",
            "quality_gate": rng.choice(["pass"] * 7 + ["warn", "pending"]) if segmented else "pending",
            "owner": VIDEO_OWNER,
            "license_tag": "cc_by" if vt == "tutorial" and rng.random() < 0.25 else "proprietary",
            "ingest_ts": ts(t),
        }
        out.append(r)
    return out


def video_variants(base):
    def later(i, hours):
        r = dict(base[i])
        r["ingest_ts"] = ts(parse_time(r["ingest_ts"]) + dt.timedelta(hours=hours))
        return r

    unsegmented = [i for i, r in enumerate(base) if r["segment_count"] is None]
    uncaptioned = [i for i, r in enumerate(base) if not r["has_caption"]]
    pending = [i for i, r in enumerate(base) if r["quality_gate"] in ("pending", "warn") and r["segment_count"] is not None]
    used = set()

    def pick(candidates, lo, hi):
        for i in candidates:
            if lo <= i <= hi and i not in used:
                used.add(i)
                return i
        sys.exit("no video candidate in %d..%d" % (lo, hi))

    out = {}
    i = pick(unsegmented, 3, 70)
    r = later(i, 8)
    r.update(segment_count=14, quality_gate="pass")
    out.setdefault(i + 30, []).append((dump(r), "version", "segmented: segment_count 14, quality_gate pass"))
    i = pick(uncaptioned, 60, 130)
    r = later(i, 5)
    key = r["video_id"].lower()
    r.update(has_caption=True, caption_path="s3://omni-derived/captions/%s.en.vtt" % key,
             transcript_path="s3://omni-derived/transcripts/%s.json" % key)
    out.setdefault(i + 40, []).append((dump(r), "version", "captions and transcript arrived"))
    i = pick(pending, 110, 160)
    r = later(i, 12)
    r.update(quality_gate="pass", topics=r["topics"] + ["troubleshooting"])
    out.setdefault(i + 21, []).append((dump(r), "version", "review passed, topic troubleshooting added"))
    i = pick([j for j in range(len(base)) if base[j]["has_caption"] and base[j]["segment_count"] is not None], 120, 170)
    older = dict(base[i])
    older["ingest_ts"] = ts(parse_time(base[i]["ingest_ts"]) - dt.timedelta(hours=18))
    older.update(has_caption=False, caption_path=None, transcript_path=None, segment_count=None, quality_gate="pending")
    out.setdefault(i + 15, []).append((dump(older), "older", "older export, before captions and segmentation"))
    i = pick(range(len(base)), 165, 175)
    same = dict(base[i])
    same["thumbnail_path"] = same["thumbnail_path"].replace(".jpg", "-v2.jpg")
    out.setdefault(i + 4, []).append((dump(same), "same_version", "re-sent with the same ingest_ts, new thumbnail"))
    for i, gap in [(pick(range(len(base)), 11, 11), 0), (pick(range(len(base)), 73, 73), 22),
                   (pick(range(len(base)), 140, 140), 33)]:
        out.setdefault(i + gap, []).append((dump(base[i]), "duplicate", "exact duplicate"))

    def spare(n):
        t = INGEST_START + dt.timedelta(hours=1 + 3 * n)
        fingerprint = sha("spare video %d" % n)
        key = "vid-academy-" + fingerprint[:12]
        r = dict(base[0])
        r.update(video_id="VID-academy-" + fingerprint[:12], ingest_ts=ts(t), video_type="tutorial",
                 source_id="media-library-academy", source_url="https://academy.northstar.example/videos/draft-%d" % n,
                 raw_object_path="s3://omni-raw/video/academy/%s.mp4" % key,
                 thumbnail_path="s3://omni-derived/thumbnails/%s.jpg" % key,
                 transcript_path=None, caption_path=None, has_caption=False, quality_gate="pending")
        return r

    r0 = spare(0)
    invalid = [
        (17, "not JSON: a YAML fragment", "- video_id: VID-academy-draft"),
        (38, "pattern at /video_id: upper-case source segment",
         lambda: dump(dict(spare(1), video_id=spare(1)["video_id"].replace("academy", "Academy")))),
        (57, "enum at /video_type: \"webinar\"", lambda: dump(dict(spare(2), video_type="webinar"))),
        (76, "truncated inside the topics array", lambda: dump(r0)[:dump(r0).index('"topics"') + 14]),
        (94, "required: ingest_ts missing", lambda: dump({k: v for k, v in spare(3).items() if k != "ingest_ts"})),
        (113, "additionalProperties at /view_count", lambda: dump(dict(spare(4), view_count=1893))),
        (129, "not an object: a number", lambda: "1893"),
        (146, "type at /has_caption: the string \"yes\"", lambda: dump(dict(spare(5), has_caption="yes"))),
        (160, "format (uri) at /source_url: a space in the path",
         lambda: dump(dict(spare(6), source_url="https://academy.northstar.example/videos/edge gateway setup"))),
        (178, "minimum at /duration_sec: -12.5", lambda: dump(dict(spare(7), duration_sec=-12.5))),
    ]
    for after, what, build in invalid:
        out.setdefault(after, []).append((build() if callable(build) else build, "invalid", what))
    for after, text in [(27, ""), (101, "  "), (155, "\t")]:
        out.setdefault(after, []).append((text, "blank", "blank"))
    return out


# ---------------------------------------------------------------------------
# Independent check: data/contract_check.py, a small validator of its own
# ---------------------------------------------------------------------------
def expected_outcome(texts, contract, key_field):
    """Classify every line and simulate Bronze and Silver on an empty database."""
    counts = dict.fromkeys(EXPECTED["doc"], 0)
    detail = []
    bronze = set()
    silver = {}         # key -> (version, fingerprint)
    for n, text in enumerate(texts, 1):
        counts["lines"] += 1
        if text.strip(" \t\r") == "":
            counts["blank_lines"] += 1
            detail.append((n, "blank"))
            continue
        counts["total"] += 1
        try:
            record = json.loads(text)
        except ValueError:
            counts["invalid"] += 1
            detail.append((n, "invalid: malformed JSON"))
            continue
        errors = list(validate(contract, record, ""))
        if not errors and record.get("ingest_ts") is None:
            errors = [("/ingest_ts", "business_rule (no version)")]
        if errors:
            counts["invalid"] += 1
            detail.append((n, "invalid: " + ", ".join("%s at '%s'" % (k, p) for p, k in errors)))
            continue
        counts["valid"] += 1
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
        if (record["source_id"], fingerprint) in bronze:
            counts["bronze_skipped"] += 1
            b = "bronze skipped"
        else:
            bronze.add((record["source_id"], fingerprint))
            counts["bronze_inserted"] += 1
            b = "bronze inserted"
        key = record[key_field]
        version = parse_time(record["ingest_ts"])
        if key not in silver:
            s = "silver_inserted"
        elif version > silver[key][0]:
            s = "silver_updated"
        elif version < silver[key][0]:
            s = "silver_superseded"
        elif fingerprint == silver[key][1]:
            s = "silver_unchanged"
        else:
            s = "silver_updated"      # same version, other content: the later line replaces
        if s in ("silver_inserted", "silver_updated"):
            silver[key] = (version, fingerprint)
        counts[s] += 1
        detail.append((n, "%s %s, %s, %s" % (key, record["ingest_ts"], b, s.replace("_", " "))))
    counts["distinct_keys"] = len(silver)
    return counts, detail


def assemble(base, variants):
    lines = []      # (text, kind, what)
    for i, r in enumerate(base):
        lines.append((dump(r), "asset", ""))
        lines.extend(variants.get(i, []))
    assert max(variants) < len(base), max(variants)
    return lines


FILES = [
    # name, file, contract, key, batch, base count, maker, variants, manifest facts
    ("doc", "doc_assets.jsonl", "doc_asset_v1.json", "source_id", DOC_BATCH, 209, make_docs, doc_variants, {
        "manifest_id": "manifest-docs-20260416-001",
        "modality": "document", "source_type": "help_center", "license_tag": "proprietary",
        "contract_ref": "omni://contracts/data/doc_asset/v1",
        "owner": DOC_OWNER, "asset_source_id": "helpcenter-export", "pii_scan_status": "clear",
        "metadata_status": "complete",
        "asset_notes": "Help-center export of 2026-04-14..2026-04-16: articles (en, de, fr, ja), FAQ, "
                       "release notes, API reference pages, PDF manuals, community posts and academy "
                       "course pages; holds deliberate duplicates, re-ingested versions, blank and "
                       "invalid lines (see data/README.md).",
    }),
    ("audio", "audio_assets.jsonl", "audio_asset_v1.json", "call_id", AUDIO_BATCH, 211, make_audio, audio_variants, {
        "manifest_id": "manifest-calls-20260416-001",
        "modality": "audio", "source_type": "call_recording", "license_tag": "proprietary",
        "contract_ref": "omni://contracts/data/audio_asset/v1",
        "owner": AUDIO_OWNER, "asset_source_id": "call-recordings-index", "pii_scan_status": "redacted",
        "metadata_status": "complete",
        "asset_notes": "Index of support call recordings (Genesys Cloud export), synthetic TTS prompts, "
                       "UX research interviews and voicemails ingested 2026-04-14..2026-04-16; the audio "
                       "itself stays in object storage; holds deliberate duplicates, re-ingested "
                       "versions, blank and invalid lines (see data/README.md).",
    }),
    ("video", "video_assets.jsonl", "video_asset_v1.json", "video_id", VIDEO_BATCH, 184, make_videos, video_variants, {
        "manifest_id": "manifest-videos-20260416-001",
        "modality": "video", "source_type": "tutorial_video", "license_tag": "proprietary",
        "contract_ref": "omni://contracts/data/video_asset/v1",
        "owner": VIDEO_OWNER, "asset_source_id": "media-library-index", "pii_scan_status": "clear",
        "metadata_status": "partial",
        "asset_notes": "Index of the media library (academy tutorials, installation videos, screencasts, "
                       "support demos, customer stories) ingested 2026-04-14..2026-04-16; metadata is "
                       "partial: some videos are not segmented yet (segment_count null); holds "
                       "deliberate duplicates, re-ingested versions, blank and invalid lines (see "
                       "data/README.md).",
    }),
]


def manifest(facts, batch, filename, data):
    return source_manifest.manifest(
        facts["manifest_id"], batch, facts["modality"], facts["source_type"], facts["contract_ref"],
        [source_manifest.jsonl_asset(
            facts["asset_source_id"], "../" + filename, len(data), hashlib.sha256(data).hexdigest(),
            facts["metadata_status"], facts["pii_scan_status"], facts["asset_notes"])],
        MANIFEST_CREATED, facts["owner"],
        "Sample batch shipped with omni_ingest for the demo and the tests. Regenerate with "
        "python3 data/generate_assets.py (size and checksum follow the file).",
        window=source_manifest.selection_window(start_at=ts(INGEST_START), end_at=ts(INGEST_END)),
        gate_policy=source_manifest.DEFAULT_GATE_POLICY, license_tag=facts["license_tag"])


def main():
    failed = False
    for name, filename, contract_file, key, batch, n, maker, variants, facts in FILES:
        base = maker(ingest_times(n))
        lines = assemble(base, variants(base))
        data = ("\n".join(text for text, _, _ in lines) + "\n").encode("utf-8")
        path = os.path.join(HERE, filename)
        with open(path, "wb") as f:
            f.write(data)
        m = manifest(facts, batch, filename, data)
        mpath = os.path.join(HERE, "manifests", facts["manifest_id"] + ".json")
        os.makedirs(os.path.dirname(mpath), exist_ok=True)
        with open(mpath, "w") as f:
            f.write(json.dumps(m, indent=2, ensure_ascii=False) + "\n")

        with open(os.path.join(ROOT, "contracts", contract_file)) as f:
            contract = json.load(f)
        counts, detail = expected_outcome(data.decode("utf-8").split("\n")[:-1], contract, key)
        print("wrote %s (%d bytes, sha256 %s)" % (os.path.relpath(path, ROOT), len(data),
                                                 hashlib.sha256(data).hexdigest()))
        print("wrote %s" % os.path.relpath(mpath, ROOT))
        print()
        for (n_, outcome), (_, kind, what) in zip(detail, lines):
            if kind != "asset":
                print("line %3d: %-12s %s\n          %s" % (n_, kind, what, outcome))
            elif "silver inserted" not in outcome or "bronze inserted" not in outcome:
                print("line %3d: unexpected outcome of a plain asset: %s" % (n_, outcome))
                failed = True
        print()
        for k, v in counts.items():
            print("%-18s %d" % (k, v))
        print()
        if counts != EXPECTED[name]:
            print("%s: counts differ from EXPECTED" % name)
            failed = True
    if failed:
        sys.exit("counts differ from EXPECTED: update data/README.md and EXPECTED together")
    generate_seed_manifests.main([])


if __name__ == "__main__":
    main()
