#!/usr/bin/env bash
# Run the whole test suite (pg_regress, then TAP) against a throwaway server.
source "$(dirname "$0")/lib.sh"
setup

log "running make installcheck"
rc=0
as_user make -C "$WORK_DIR/src" -s PG_CONFIG="$PG_CONFIG" installcheck || rc=$?
if [ $rc != 0 ]; then
	for f in "$WORK_DIR/src/regression.diffs" "$WORK_DIR"/src/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	log "tests failed"
	exit $rc
fi
log "all tests passed"
