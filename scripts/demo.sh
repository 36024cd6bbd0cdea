#!/usr/bin/env bash
# Load the sample tickets into a throwaway server and show what happened.
source "$(dirname "$0")/lib.sh"
setup

log "running the demo"
as_user psql -X -v ON_ERROR_STOP=1 -v datadir="$WORK_DIR/src/data" \
	-f "$WORK_DIR/src/scripts/demo.sql"
