#!/usr/bin/env bash
# Write reports/week03/seed_loader_smoke_report.md from a real dry run of
# omni_ingest_manifest over data/seed_manifests, on a throwaway server (as
# scripts/demo.sh: run as root on Debian 12; OMNI_PG_BIN and OMNI_PGPORT as there).
source "$(dirname "$0")/lib.sh"

REPORT=$SRC_DIR/reports/week03/seed_loader_smoke_report.md

# The folder must hold what the generator writes for the sample files as they are
check=$(python3 "$SRC_DIR/data/generate_seed_manifests.py" --check 2>&1) || {
	printf '%s\n' "$check" >&2
	exit 1
}

setup

log "dry run over data/seed_manifests"
as_user psql -XAtq -v ON_ERROR_STOP=1 -v folder="$WORK_DIR/src/data/seed_manifests" \
	-v root="$WORK_DIR/src" \
	-f "$WORK_DIR/src/scripts/seed_smoke_report.sql" -o "$WORK_DIR/report.md"
cp "$WORK_DIR/report.md" "$REPORT"
log "wrote ${REPORT#"$SRC_DIR"/}"
