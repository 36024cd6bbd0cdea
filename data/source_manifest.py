"""The shape of a source manifest (source_manifest_v1), as the sample generators write it.

generate_tickets.py, generate_assets.py and generate_seed_manifests.py build their
manifests here, so that every manifest shipped in data/ has the same members in the
same order.
"""

# The gate policy of domain.md, written out in full
DEFAULT_GATE_POLICY = {
    "on_missing_checksum": "warn",
    "on_partial_metadata": "warn",
    "on_missing_metadata": "quarantine",
    "on_pii_gap": "quarantine",
    "on_contract_mismatch": "reject",
    "on_unknown_license": "reject",
}


def selection_window(**kw):
    """Every member of selection_window, null unless given."""
    w = dict.fromkeys(["start_at", "end_at", "cursor_field", "cursor_start", "cursor_end",
                       "watermark_field", "replay_from_batch", "backfill_reason"])
    w.update(kw)
    return w


def jsonl_asset(source_id, path, size=None, sha256=None, metadata="complete", pii="clear",
                notes=None):
    """One JSON Lines asset; size and SHA-256 declared when given."""
    a = {"source_id": source_id, "source_url_or_path": path, "asset_type": "jsonl"}
    if size is not None:
        a["size_bytes"] = size
        a["checksum_sha256"] = sha256
    a["metadata_status"] = metadata
    a["pii_scan_status"] = pii
    a["language"] = "en"
    if notes:
        a["notes"] = notes
    return a


def manifest(manifest_id, batch_id, modality, source_type, contract_ref, assets, created_at,
             owner, notes, load_mode="full_snapshot", window=None, gate_policy=None,
             license_tag="proprietary", canonization="raw"):
    """A manifest; gate_policy is left out when None."""
    m = {
        "manifest_id": manifest_id,
        "schema_version": "source_manifest_v1",
        "batch_id": batch_id,
        "modality": modality,
        "source_type": source_type,
        "license_tag": license_tag,
        "contract_ref": contract_ref,
        "load_mode": load_mode,
        "product_line": "cross_product",
        "canonization_status": canonization,
        "selection_window": window if window is not None else selection_window(),
    }
    if gate_policy is not None:
        m["gate_policy"] = gate_policy
    m["ingest_config"] = {"parser": "jsonl", "chunk_size": 1000, "chunk_overlap": 0, "pii_scan": True}
    m["assets"] = assets
    m["created_at"] = created_at
    m["owner"] = owner
    m["notes"] = notes
    return m
