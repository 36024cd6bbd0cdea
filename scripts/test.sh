#!/usr/bin/env bash
# Run the whole test suite (pg_regress, then TAP) against a throwaway server.
# Arguments go to make installcheck, to run a part of it, e.g.
#   bash scripts/test.sh REGRESS=rerun PROVE_TESTS=test/t/007_upgrade.pl
# OMNI_WRITE_PATH=sql runs it all on the SQL write path, OMNI_READ_SPAN_BYTES=64
# with background workers reading nearly every file (see scripts/lib.sh).
source "$(dirname "$0")/lib.sh"
setup

log "running make installcheck"
rc=0
as_user make -C "$WORK_DIR/src" -s PG_CONFIG="$PG_CONFIG" installcheck "$@" || rc=$?
if [ $rc != 0 ]; then
	for f in "$WORK_DIR/src/regression.diffs" "$WORK_DIR"/src/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	log "tests failed"
	exit $rc
fi
log "all tests passed"
