#!/usr/bin/env bash
# Run bench/ingest_bench.sql against a throwaway server (as root, like the
# README's commands), then measure the loading backend's peak private memory
# for a tenth of the file and for all of it.  ROWS=200000 by default.
source "$(dirname "$0")/../scripts/lib.sh"
setup
ROWS=${ROWS:-200000}
log "benchmarking the ingest with $ROWS tickets"
as_user psql -X -v rows="$ROWS" -v datadir="$WORK_DIR/src/data" \
	-v workdir="$WORK_DIR" -f "$WORK_DIR/src/bench/ingest_bench.sql"

# Peak RssAnon (private memory; shared buffers excluded) of a fresh
# backend loading $1, sampled every 20 ms
peak_rss() {
	local file=$1 batch=$2 pid peak=0 kb
	as_user psql -X -q -c "TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject,
		omni_ingest.raw_ticket_event, omni_ingest.ticket_fact" >/dev/null
	as_user psql -X -q -v file="$file" -v batch="$batch" >/dev/null <<-'SQL' &
		SET application_name = 'omni_bench';
		SELECT pg_sleep(0.3);
		SELECT status FROM omni_ingest_jsonl(:'file', :'batch');
	SQL
	local client=$!
	sleep 0.1
	pid=$(as_user psql -X -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'omni_bench'")
	while kill -0 "$client" 2>/dev/null; do
		kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
		sleep 0.02
	done
	wait "$client"
	echo "$peak"
}

small=$(peak_rss "$WORK_DIR/bench_tickets_small.jsonl" mem-small)
big=$(peak_rss "$WORK_DIR/bench_tickets.jsonl" mem-big)
printf '\n backend peak private memory (RssAnon)\n'
printf ' %-14s %8s kB\n' "$((ROWS / 10)) tickets" "$small" "$ROWS tickets" "$big"
printf ' ratio (all / a tenth): %s\n' "$(awk -v a="$big" -v b="$small" 'BEGIN { printf "%.2f", a / b }')"
