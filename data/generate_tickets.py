#!/usr/bin/env python3
"""Generate data/tickets.jsonl and its source manifest.

Deterministic (fixed seed, Python 3 standard library only): running it again
produces byte-identical files.  Usage, from anywhere:

    python3 data/generate_tickets.py

Writes
    data/tickets.jsonl                                  the sample ticket export
    data/manifests/manifest-tickets-20260415-001.json   its source manifest
                                                        (size and SHA-256 of the file)
    data/seed_manifests/*.json                          the drop folder of manifests over
                                                        the sample files (generate_seed_manifests.py)
and prints the expected load outcome (see data/README.md).

What the file holds, on purpose
  * 210 distinct valid tickets (one line each, in created_at order);
  * 3 exact duplicate lines (byte-identical to an earlier line): Bronze skips
    them, Silver leaves the ticket unchanged;
  * 4 later versions of earlier tickets (same ticket_id, later updated_at,
    new status) placed after the original: Silver updates;
  * 1 older version placed after a newer one (same ticket_id, earlier
    updated_at): Bronze stores it, Silver must not let it overwrite the newer
    version (superseded);
  * 2 blank lines (one empty, one only spaces);
  * 8 invalid lines, one fault each: truncated JSON, a JSON array instead of
    an object, a bad priority enum, a missing customer_id, an undeclared
    property, a ticket_id not matching the pattern, created_at on 30 February,
    tags as a string instead of an array.
The file is UTF-8, LF line ends, and ends with a newline.

The expected counts are computed here, independently of the extension: each
line is classified with a small validator that reads contracts/ticket_v1.json
(the keywords the shipped contracts use), Bronze is simulated as a set of
(source_id, fingerprint of the canonical record), Silver as the newest version
per ticket_id.  The result is compared to EXPECTED below so that a change to
the generator cannot silently change the numbers documented in README.md.
"""

import datetime as dt
import hashlib
import json
import os
import random
import sys

import generate_seed_manifests
import source_manifest
from contract_check import parse_time, validate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICKETS_PATH = os.path.join(HERE, "tickets.jsonl")
MANIFEST_PATH = os.path.join(HERE, "manifests", "manifest-tickets-20260415-001.json")
CONTRACT_PATH = os.path.join(ROOT, "contracts", "ticket_v1.json")

SEED = 20260415
N_TICKETS = 210
BATCH_ID = "batch-20260415-001"
SOURCE_ID = "zendesk-export"
OWNER = "support-data-team"
EXPORT_START = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
EXPORT_END = dt.datetime(2026, 4, 15, tzinfo=dt.timezone.utc)

# The numbers data/README.md documents (loaded into an empty database, dry_run false)
EXPECTED = {
    "lines": 228,
    "blank_lines": 2,
    "total": 226,
    "valid": 218,
    "invalid": 8,
    "distinct_tickets": 210,
    "bronze_inserted": 215,
    "bronze_skipped": 3,
    "silver_inserted": 210,
    "silver_updated": 4,
    "silver_unchanged": 3,
    "silver_superseded": 1,
}

rng = random.Random(SEED)


def ts(t):
    """Render a timestamp the way the export does: UTC, seconds, Z."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Vocabulary of the Northstar support domain
# ---------------------------------------------------------------------------

# (category, subject, description, error codes, tags); {v} is the product version
TEMPLATES = {
    "northstar_workspace": [
        ("authentication", "SSO login loops back to the sign-in page",
         "After the IdP redirect, users land on the Workspace sign-in page again. Started after rotating the SAML signing certificate. Affects every user in the tenant on {v}.",
         ["NS-E1042"], ["sso", "saml", "login"]),
        ("authentication", "MFA codes rejected for users in one region",
         "TOTP codes are rejected as expired for users whose laptops are set to Asia/Kolkata. Other regions sign in fine.",
         ["NS-E1047"], ["mfa", "totp", "timezone"]),
        ("configuration", "Shared calendar permissions not applied to new members",
         "New team members added via SCIM do not inherit the shared calendar permissions of their group until an admin re-saves the group.",
         [], ["scim", "permissions", "calendar"]),
        ("performance", "Document search takes more than 20 seconds",
         "Full-text search in Workspace {v} takes 20-40 s for queries over the Projects space (about 80k documents). It was under 2 s last week.",
         ["NS-E3310"], ["search", "latency"]),
        ("bug_report", "Export to PDF drops embedded tables",
         "Exporting a page with embedded tables to PDF produces empty boxes where the tables should be. HTML export is correct.",
         ["NS-E2207"], ["export", "pdf"]),
        ("billing", "Invoice shows seats for deactivated users",
         "The April invoice counts 14 seats for users deactivated in March. Please credit the difference and confirm how seats are counted.",
         [], ["invoice", "seats"]),
        ("feature_request", "Allow read-only guest links that expire",
         "We need guest links for external auditors that are read-only and expire after a set number of days.",
         [], ["sharing", "guest-access"]),
        ("connectivity", "Desktop client stuck on 'Reconnecting'",
         "Desktop client {v} shows 'Reconnecting' every few minutes behind our corporate proxy. Web client works through the same proxy.",
         ["NS-E1103"], ["desktop", "proxy", "websocket"]),
        ("documentation", "API rate limits not documented for bulk import",
         "The bulk import guide does not say how many requests per minute are allowed; our migration script hits 429 responses.",
         ["NS-E4290"], ["api", "rate-limit", "docs"]),
        ("security", "Audit log missing admin role changes",
         "Role changes made by admins in the console do not appear in the audit log export, which our compliance review needs.",
         [], ["audit-log", "compliance"]),
        ("installation", "Desktop installer fails on managed Windows devices",
         "MSI install of Workspace desktop {v} via Intune fails with exit code 1603 on Windows 11 devices.",
         ["NS-E0912"], ["installer", "windows", "intune"]),
    ],
    "northstar_edge_gateway": [
        ("connectivity", "Gateway drops IPsec tunnel every 8 hours",
         "The IPsec tunnel to our data centre goes down at each rekey, roughly every 8 hours, and takes 2-3 minutes to come back. Edge Gateway {v}.",
         ["NS-E5021"], ["ipsec", "vpn", "rekey"]),
        ("connectivity", "VPN clients time out after firmware upgrade",
         "Since upgrading the gateway to {v}, remote VPN clients time out during the handshake. Rolling back fixes it.",
         ["NS-E5008", "NS-E5021"], ["vpn", "firmware", "timeout"]),
        ("installation", "Zero-touch provisioning stuck at 'claiming device'",
         "New EG-400 units stay at 'claiming device' in the console for hours. Serials are registered to our org.",
         ["NS-E0730"], ["ztp", "provisioning"]),
        ("configuration", "Firewall rule order changes after reboot",
         "After a reboot the gateway reorders custom firewall rules alphabetically, which breaks our deny-before-allow policy.",
         [], ["firewall", "rules"]),
        ("performance", "Throughput capped at 300 Mbps on 1 Gbps uplink",
         "Throughput tests through the gateway top out at 300 Mbps with IDS enabled; with IDS off we get 940 Mbps. Model EG-400, {v}.",
         [], ["throughput", "ids"]),
        ("security", "Certificate expiry warning for management interface",
         "The management interface still presents the factory certificate, which expires this month. How do we install our own?",
         ["NS-E6101"], ["certificate", "tls"]),
        ("bug_report", "DHCP leases not released after client disconnect",
         "The DHCP pool on VLAN 20 fills up because leases of disconnected clients are never released. Pool exhausted twice this week.",
         ["NS-E5340"], ["dhcp", "vlan"]),
        ("connectivity", "Site-to-site link flaps when LTE failover engages",
         "When the primary WAN drops and the LTE modem takes over, the site-to-site link flaps for 10 minutes before stabilising.",
         ["NS-E5102"], ["failover", "lte", "wan"]),
        ("configuration", "Cannot push config template to gateway group",
         "Pushing the 'branch-standard' template to the gateway group fails for 6 of 40 devices with a validation error.",
         ["NS-E7003"], ["templates", "fleet"]),
        ("other", "Request RMA for gateway with failed power supply",
         "Unit in the warehouse site does not power on; the PSU LED stays off. Requesting an RMA under the hardware warranty.",
         [], ["rma", "hardware"]),
    ],
    "northstar_studio": [
        ("bug_report", "Render queue freezes at 99%",
         "Rendering a 4K timeline in Studio {v} freezes at 99% and never writes the output file. Smaller projects render fine.",
         ["NS-E8120"], ["render", "export"]),
        ("performance", "Timeline scrubbing lags with proxy media",
         "Scrubbing a 45-minute timeline lags 2-3 seconds even with proxy media generated. GPU usage stays low.",
         [], ["timeline", "proxy", "gpu"]),
        ("installation", "Plugin installer cannot find Studio installation",
         "The audio plugin pack installer reports 'Studio not found' although Studio {v} is installed in the default location on macOS.",
         ["NS-E0955"], ["plugins", "macos"]),
        ("authentication", "License activation fails offline",
         "Our editing suite has no internet access. Offline activation with the challenge file fails with an invalid response code.",
         ["NS-E1301"], ["license", "activation", "offline"]),
        ("feature_request", "Batch caption import for multiple clips",
         "We import captions one clip at a time. Please support importing SRT files for a whole bin at once.",
         [], ["captions", "srt"]),
        ("bug_report", "Auto-save corrupts project with nested sequences",
         "Auto-save produced a project file that fails to open ('unexpected end of project data'). The project uses nested sequences.",
         ["NS-E8204"], ["autosave", "project-file"]),
        ("documentation", "Colour management guide outdated for {v}",
         "The colour management guide still shows the old LUT dialog; the menu entries changed in {v}.",
         [], ["docs", "color"]),
        ("billing", "Charged twice for annual Studio subscription",
         "Our card was charged twice for the annual Studio subscription renewal on the same day. Please refund one charge.",
         [], ["refund", "subscription"]),
        ("configuration", "Shared media cache path not honoured",
         "Studio ignores the shared media cache path set by the admin policy and writes the cache to the local disk.",
         [], ["cache", "policy"]),
    ],
    "cross_product": [
        ("authentication", "Admin console login fails for all products",
         "Our admins cannot sign in to the Northstar admin console; Workspace, Edge Gateway and Studio consoles all return an error page.",
         ["NS-E1042", "NS-E1050"], ["admin-console", "login"]),
        ("billing", "Consolidated invoice missing Edge Gateway support plan",
         "The consolidated April invoice lists Workspace and Studio but not the Edge Gateway support plan we renewed.",
         [], ["invoice", "support-plan"]),
        ("security", "Request SOC 2 report and pen-test summary",
         "Our security team needs the latest SOC 2 Type II report and the summary of the most recent penetration test.",
         [], ["compliance", "soc2"]),
        ("configuration", "SCIM provisioning creates duplicate accounts",
         "SCIM provisioning from our IdP creates duplicate user accounts across products when the email address has upper-case letters.",
         ["NS-E1210"], ["scim", "identity"]),
        ("other", "Transfer ownership of the organisation account",
         "Our primary account owner is leaving the company. Please transfer ownership of the organisation to another admin.",
         [], ["account", "ownership"]),
        ("feature_request", "Single status page for all Northstar services",
         "We would like one status page covering Workspace, Edge Gateway cloud management and Studio licensing.",
         [], ["status-page"]),
    ],
}

VERSIONS = {
    "northstar_workspace": ["4.1.3", "4.2.0", "4.2.1", "4.3.0"],
    "northstar_edge_gateway": ["2.8.4", "2.9.0", "3.0.1", "3.0.2"],
    "northstar_studio": ["2025.4", "2026.1", "2026.1.2", "2026.2"],
    "cross_product": ["platform-2026.03", "platform-2026.04"],
}
PRODUCT_WEIGHTS = [("northstar_workspace", 40), ("northstar_edge_gateway", 30),
                   ("northstar_studio", 20), ("cross_product", 10)]
STATUS_WEIGHTS = [("open", 18), ("pending", 12), ("in_progress", 22), ("resolved", 25),
                  ("closed", 17), ("escalated", 6)]
PRIORITY_WEIGHTS = [("p1_critical", 6), ("p2_high", 22), ("p3_medium", 47), ("p4_low", 25)]
# hours until the SLA is due, by tier and priority; free tier has no SLA
SLA_HOURS = {
    "enterprise": {"p1_critical": 4, "p2_high": 8, "p3_medium": 24, "p4_low": 72},
    "professional": {"p1_critical": 8, "p2_high": 24, "p3_medium": 48, "p4_low": 120},
    "standard": {"p1_critical": 24, "p2_high": 48, "p3_medium": 96, "p4_low": 168},
}
AGENTS = ["agent-%03d" % i for i in (7, 12, 15, 21, 28, 33, 41, 46, 52, 58, 64, 71)]
FIRST_NAMES = ["Maria", "Jonas", "Aisha", "Kenji", "Lucía", "Tomasz", "Priya", "Olu", "Sven", "Chloé"]

# Customers belong to organisations; the SLA tier is the organisation's
ORGS = []
for i in range(34):
    tier = rng.choices(["enterprise", "professional", "standard", "free"], [25, 35, 30, 10])[0]
    ORGS.append(("ORG-%04d" % rng.randint(1000, 9999), tier))
CUSTOMERS = []
for i in range(120):
    org = ORGS[i % len(ORGS)] if i < 100 else rng.choice(ORGS)
    CUSTOMERS.append(("CUST-%05d" % rng.randint(10000, 99999), org))


def pick(weighted):
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def description_with_pii(text, level):
    """Add what a real ticket carries: a signature, sometimes contact data."""
    if level == "none":
        return text, False
    if level == "low":
        return "%s\n\nThanks, %s" % (text, rng.choice(FIRST_NAMES)), False
    # high: the export replaced contact data by placeholders
    return ("%s\n\nPlease call me back on [REDACTED_PHONE] or write to [REDACTED_EMAIL]. "
            "-- [REDACTED_NAME]" % text), True


def make_ticket(seq, created):
    """One ticket record with realistic, internally consistent fields."""
    product = pick(PRODUCT_WEIGHTS)
    category, subject, description, codes, tags = rng.choice(TEMPLATES[product])
    version = rng.choice(VERSIONS[product])
    customer, (org, tier) = rng.choice(CUSTOMERS)
    status = pick(STATUS_WEIGHTS)
    priority = pick(PRIORITY_WEIGHTS)
    if category == "security" and priority == "p4_low":
        priority = "p3_medium"
    pii_level = rng.choices(["none", "low", "high"], [55, 30, 15])[0]
    text, redacted = description_with_pii(description.format(v=version), pii_level)

    assets = []
    if rng.random() < 0.12:
        assets.append("CALL-%s-%08d" % (created.strftime("%Y%m%d"), rng.randint(1, 99999999)))
    if rng.random() < 0.10:
        assets.append("att-%s" % "".join(rng.choice("0123456789abcdef") for _ in range(10)))

    updated = None
    if status != "open" or rng.random() < 0.5:
        updated = created + dt.timedelta(minutes=rng.randint(20, 60 * 72))
    if updated and updated >= EXPORT_END:
        updated = max(EXPORT_END - dt.timedelta(minutes=rng.randint(5, 600)),
                      created + dt.timedelta(minutes=10))
    resolved = updated if status in ("resolved", "closed") else None
    sla_due = None
    if tier != "free":
        sla_due = created + dt.timedelta(hours=SLA_HOURS[tier][priority])

    ticket = {
        "ticket_id": "TKT-%s-%06d" % (created.strftime("%Y%m%d"), seq),
        "schema_version": "ticket_v1",
        "source_id": SOURCE_ID,
        "ingest_batch_id": BATCH_ID,
        "customer_id": customer,
        "org_id": org,
        "status": status,
        "priority": priority,
        "category": category,
        "product_line": product,
        "product_version": version,
        "subject": subject.format(v=version),
        "description": text,
        "error_codes": list(codes),
        "asset_ids": assets,
        "tags": list(tags) + ([tier] if tier == "enterprise" else []),
        "assignee_id": None if status == "open" else rng.choice(AGENTS),
        "sla_tier": tier,
        "created_at": ts(created),
        "sla_due_at": ts(sla_due) if sla_due else None,
        "updated_at": ts(updated) if updated else None,
        "resolved_at": ts(resolved) if resolved else None,
        "pii_level": pii_level,
        "pii_redacted": redacted,
        "quality_gate": rng.choices(["pass", "warn", "pending"], [86, 10, 4])[0],
        "owner": OWNER,
    }
    return ticket


def dump(record):
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


# ---------------------------------------------------------------------------
# Build the base export: N_TICKETS tickets in created_at order
# ---------------------------------------------------------------------------
created_times = sorted(
    EXPORT_START + dt.timedelta(seconds=rng.randint(0, 13 * 86400 - 1))
    for _ in range(N_TICKETS + 8))
base_times, spare_times = created_times[:N_TICKETS], created_times[N_TICKETS:]
base = [make_ticket(4101 + i, t) for i, t in enumerate(base_times)]


def at(i):
    return dt.datetime.strptime(base[i]["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)


def set_state(t, status, updated, assignee=True):
    """Put ticket t in a status as of updated (resolved_at follows the status)."""
    t["status"] = status
    t["updated_at"] = ts(updated)
    t["resolved_at"] = ts(updated) if status in ("resolved", "closed") else None
    if assignee and t["assignee_id"] is None:
        t["assignee_id"] = rng.choice(AGENTS)


# Later versions: (base index of the original, original status, new status,
# hours from created to the original version, hours to the new version,
# base index after which the new version is placed)
LATER_VERSIONS = [
    (12, "in_progress", "resolved", 5, 30, 61),
    (47, "open", "in_progress", 2, 9, 119),
    (88, "pending", "closed", 20, 70, 171),
    (130, "in_progress", "escalated", 3, 26, 204),
]
# Older version after a newer one: the first line is the newest version
OLDER_AFTER_NEWER = (30, "closed", "in_progress", 60, 8, 151)
# Exact duplicates: (base index duplicated, base index after which the copy is placed)
DUPLICATES = [(5, 5), (70, 98), (140, 188)]

versions_after = {}     # base index -> list of records placed after it
for idx, old_status, new_status, h_old, h_new, after in LATER_VERSIONS:
    t = base[idx]
    set_state(t, old_status, at(idx) + dt.timedelta(hours=h_old), assignee=old_status != "open")
    if old_status == "open":
        t["assignee_id"] = None
    newer = dict(t)
    set_state(newer, new_status, at(idx) + dt.timedelta(hours=h_new))
    newer["tags"] = t["tags"] + (["escalated"] if new_status == "escalated" else [])
    versions_after.setdefault(after, []).append(newer)

idx, new_status, old_status, h_new, h_old, after = OLDER_AFTER_NEWER
t = base[idx]
set_state(t, new_status, at(idx) + dt.timedelta(hours=h_new))
older = dict(t)
set_state(older, old_status, at(idx) + dt.timedelta(hours=h_old))
versions_after.setdefault(after, []).append(older)


# ---------------------------------------------------------------------------
# Invalid lines: one fault each, ticket_ids not used by any valid line
# ---------------------------------------------------------------------------
def spare(n):
    return make_ticket(5001 + n, spare_times[n])


def truncated():
    text = dump(spare(0))
    return text[:text.index('"priority"') + 14]


def array_root():
    return "[" + dump(spare(1)) + "]"


def bad_priority():
    t = spare(2)
    t["priority"] = "urgent"
    return dump(t)


def missing_customer():
    t = spare(3)
    del t["customer_id"]
    return dump(t)


def unknown_property():
    t = spare(4)
    t["internal_note"] = "customer is on the beta channel, do not quote the public roadmap"
    return dump(t)


def bad_ticket_id():
    t = spare(5)
    t["ticket_id"] = "TKT-2026041-%06d" % (5001 + 5)    # 7-digit date: starts with TKT- but fails the pattern
    return dump(t)


def impossible_date():
    t = spare(6)
    t["created_at"] = "2026-02-30T10:00:00Z"
    return dump(t)


def tags_as_string():
    t = spare(7)
    t["tags"] = "vpn,timeout"
    return dump(t)


# (kind, builder, base index after which the line is placed)
INVALID = [
    ("malformed_json", truncated, 19),
    ("not_an_object", array_root, 39),
    ("enum", bad_priority, 79),
    ("required", missing_customer, 109),
    ("additional_property", unknown_property, 124),
    ("pattern", bad_ticket_id, 144),
    ("format", impossible_date, 179),
    ("type", tags_as_string, 199),
]
BLANK = [("", 49), ("    ", 159)]

# ---------------------------------------------------------------------------
# Assemble: each base ticket, then whatever is placed after it
# ---------------------------------------------------------------------------
lines = []          # (text, kind)
for i, t in enumerate(base):
    lines.append((dump(t), "ticket"))
    for src, after in DUPLICATES:
        if after == i:
            lines.append((dump(base[src]), "duplicate"))
    for v in versions_after.get(i, []):
        lines.append((dump(v), "version"))
    for kind, build, after in INVALID:
        if after == i:
            lines.append((build(), "invalid:" + kind))
    for text, after in BLANK:
        if after == i:
            lines.append((text, "blank"))


# ---------------------------------------------------------------------------
# Independent check: data/contract_check.py, a small validator of its own
# ---------------------------------------------------------------------------
def expected_outcome(texts, contract):
    """Classify every line and simulate Bronze and Silver on an empty database."""
    counts = dict.fromkeys(EXPECTED, 0)
    detail = []         # (line number, outcome)
    bronze = set()
    silver = {}         # ticket_id -> (version, fingerprint)
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
        errors = list(validate(contract, record, "", contract))
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
        key = record["ticket_id"]
        version = parse_time(record.get("updated_at") or record["created_at"])
        if key not in silver:
            s = "silver_inserted"
        elif version > silver[key][0]:
            s = "silver_updated"
        elif version < silver[key][0]:
            s = "silver_superseded"
        elif fingerprint == silver[key][1]:
            s = "silver_unchanged"
        else:
            sys.exit("line %d: same version of %s with other content: outcome undefined" % (n, key))
        if s in ("silver_inserted", "silver_updated"):
            silver[key] = (version, fingerprint)
        counts[s] += 1
        detail.append((n, "%s %s, %s, %s" % (key, record["status"], b, s.replace("_", " "))))
    counts["distinct_tickets"] = len(silver)
    return counts, detail


def main():
    texts = [text for text, _ in lines]
    data = ("\n".join(texts) + "\n").encode("utf-8")
    with open(TICKETS_PATH, "wb") as f:
        f.write(data)

    with open(CONTRACT_PATH) as f:
        contract = json.load(f)
    counts, detail = expected_outcome(data.decode("utf-8").split("\n")[:-1], contract)

    manifest = source_manifest.manifest(
        "manifest-tickets-20260415-001", BATCH_ID, "structured", "ticket_export",
        "omni://contracts/data/ticket/v1",
        [source_manifest.jsonl_asset(
            SOURCE_ID, "../tickets.jsonl", len(data), hashlib.sha256(data).hexdigest(),
            pii="redacted",
            notes="Zendesk export of tickets created 2026-04-01..2026-04-13, all product lines; "
                  "holds deliberate duplicates, re-exported versions, blank and invalid lines "
                  "(see data/README.md).")],
        "2026-04-15T03:00:00Z", OWNER,
        "Sample batch shipped with omni_ingest for the demo and the tests. Regenerate with "
        "python3 data/generate_tickets.py (size and checksum follow the file).",
        window=source_manifest.selection_window(start_at=ts(EXPORT_START), end_at=ts(EXPORT_END)),
        gate_policy=source_manifest.DEFAULT_GATE_POLICY)
    os.makedirs(os.path.dirname(MANIFEST_PATH), exist_ok=True)
    with open(MANIFEST_PATH, "w") as f:
        f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

    print("wrote %s (%d bytes, sha256 %s)" % (os.path.relpath(TICKETS_PATH, ROOT), len(data),
                                             hashlib.sha256(data).hexdigest()))
    print("wrote %s" % os.path.relpath(MANIFEST_PATH, ROOT))
    print()
    for n, outcome in detail:
        if "blank" in outcome or "invalid" in outcome or "silver inserted" not in outcome:
            print("line %3d: %s" % (n, outcome))
    print()
    for key, value in counts.items():
        print("%-18s %d" % (key, value))
    if counts != EXPECTED:
        sys.exit("counts differ from EXPECTED: update data/README.md and EXPECTED together")
    print()
    generate_seed_manifests.main([])


if __name__ == "__main__":
    main()
