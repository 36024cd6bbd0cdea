#!/usr/bin/env bash
# Run bench/ingest_bench.sql against a throwaway server (as root, like the
# README's commands) ROUNDS times, then measure the loading backend's peak
# private memory for a tenth of the file and for all of it, and print the
# issue's target table: each figure is the median, over the rounds, of a
# ratio of two timings taken side by side in the same round.
#   ROWS=200000 ROUNDS=3 bash bench/ingest_bench.sh
# On a shared machine, run it with nice: the server inherits the niceness.
source "$(dirname "$0")/../scripts/lib.sh"
setup
ROWS=${ROWS:-200000}
ROUNDS=${ROUNDS:-3}
log "benchmarking the ingest with $ROWS tickets, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
	log "round $round"
	as_user psql -X -v rows="$ROWS" -v round="$round" -v datadir="$WORK_DIR/src/data" \
		-v workdir="$WORK_DIR" -f "$WORK_DIR/src/bench/ingest_bench.sql"
done

# Peak RssAnon (private memory; shared buffers excluded) of a fresh
# backend loading $1, sampled every 20 ms
peak_rss() {
	local file=$1 batch=$2 pid peak=0 peak_readers=0 kb r v
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
		# and the read workers of that backend, together
		kb=0
		for r in $(pgrep -f "omni_ingest reader [0-9]+ for PID $pid" || true); do
			v=$(awk '/^RssAnon:/ {print $2}' "/proc/$r/status" 2>/dev/null || true)
			kb=$((kb + ${v:-0}))
		done
		[ "$kb" -gt "$peak_readers" ] && peak_readers=$kb
		sleep 0.02
	done
	wait "$client"
	echo "$peak $peak_readers"
}

read -r small small_readers < <(peak_rss "$WORK_DIR/bench_tickets_small.jsonl" mem-small)
read -r big big_readers < <(peak_rss "$WORK_DIR/bench_tickets.jsonl" mem-big)

printf '\n== per round (ms)\n'
as_user psql -X -q -P footer=off <<-'SQL'
	SELECT what, string_agg(ms::text, ' | ' ORDER BY round) AS ms_by_round
	  FROM public.bench_timing GROUP BY what ORDER BY min(ctid);
SQL

printf '\n== the targets of issue 11 (median over the rounds of same-round ratios)\n'
as_user psql -X -q -P footer=off -v small="$small" -v big="$big" -v rows="$ROWS" \
	-v small_readers="$small_readers" -v big_readers="$big_readers" <<-'SQL'
	WITH t AS (SELECT round, what, ms FROM public.bench_timing),
	r AS (
	  SELECT a.round, f.figure, f.target, f.ord, a.ms / b.ms AS ratio
	    FROM (VALUES (1, 'first load ÷ COPY into jsonb', 'ingest', 'copy_jsonb', '≤ 2.0'),
	                 (2, 'first load ÷ write limit', 'ingest', 'write_limit', '≤ 1.25'),
	                 (3, 'first load ÷ COPY+SQL pipeline without validation', 'ingest', 'sql_pipeline', '≤ 0.67'),
	                 (4, 'same file under a new batch id ÷ COPY jsonb', 'reload', 'copy_jsonb', '≤ 1.0'),
	                 (5, 'dry run ÷ COPY jsonb', 'dry_run', 'copy_jsonb', '≤ 0.5'),
	                 (6, 'rerun of a loaded batch ÷ COPY jsonb', 'rerun', 'copy_jsonb', '≤ 0.1'),
	                 (8, '10× the rows ÷ time', 'ingest', 'ingest_tenth', '≤ 10.5'),
	                 (9, '(write limit ÷ COPY into jsonb)', 'write_limit', 'copy_jsonb', ''),
	                 (10, '(COPY+SQL pipeline ÷ COPY into jsonb)', 'sql_pipeline', 'copy_jsonb', ''),
	                 (11, '(first load, SQL write path ÷ COPY into jsonb)', 'ingest_sql', 'copy_jsonb', ''),
	                 (12, '(first load ÷ first load, SQL write path)', 'ingest', 'ingest_sql', ''),
	                 (13, '(first load ÷ first load read by the backend alone)', 'ingest', 'ingest_backend', ''),
	                 (14, '(first load read by the backend alone ÷ COPY into jsonb)', 'ingest_backend', 'copy_jsonb', ''),
	                 (15, '(dry run read by the backend alone ÷ COPY into jsonb)', 'dry_run_backend', 'copy_jsonb', ''))
	         AS f(ord, figure, num, den, target)
	    JOIN t a ON a.what = f.num JOIN t b ON b.what = f.den AND b.round = a.round)
	SELECT figure, median, range, target FROM (
	  SELECT ord, figure, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio)::numeric, 2)::text AS median,
	         round(min(ratio), 2) || '–' || round(max(ratio), 2) AS range, target
	    FROM r GROUP BY figure, target, ord
	  UNION ALL
	  SELECT 7, format('backend private memory, %s and %s tickets', :rows / 10, :rows),
	         format('%s / %s MB', round(:small / 1024.0, 1), round(:big / 1024.0, 1)),
	         format('%s× for 10× the rows', round(:big::numeric / :small, 2)), '≤ 64 MB, flat'
	  UNION ALL
	  SELECT 7.5, format('(its read workers together, %s and %s tickets)', :rows / 10, :rows),
	         format('%s / %s MB', round(:small_readers / 1024.0, 1), round(:big_readers / 1024.0, 1)),
	         '', '') AS x
	 ORDER BY ord;
SQL
