#!/usr/bin/env bash
# Throughput of loads split across sessions, one session per file, each file
# of a contract (and tables) of its own, as one session per asset: on a
# local server, and on Citus with one and with two workers, every node on
# this machine (loopback).  For each run: wall time, lines per second, and
# the CPU seconds each node's processes used (coordinator: reading,
# parsing, validating; workers: writing shards).
#
#   bash bench/scale_out.sh                     # as root, like the README's commands
#   OMNI_PG_BIN=/path/to/bin ROWS=50000 FILES=4 SESSIONS="1 2 4" SHARDS=32 CHUNK_ROWS=1000 \
#     bash bench/scale_out.sh
#
# Skips (and exits 0) when the citus extension is not installed for the
# server; docs/scale-out.md has figures and what they mean.
source "$(dirname "$0")/../scripts/lib.sh"

ROWS=${ROWS:-50000}             # tickets per file
FILES=${FILES:-4}               # files, each loaded into a contract of its own
SESSIONS=${SESSIONS:-"1 2 4"}   # concurrent sessions; files are dealt out to them
SHARDS=${SHARDS:-32}            # shards per distributed table
CHUNK_ROWS=${CHUNK_ROWS:-1000}  # omni_ingest.chunk_rows: records per statement

if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]; then
	echo "skipped: the citus extension is not installed for $PG_BIN (see docs/scale-out.md)"
	exit 0
fi

LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
setup      # builds and installs omni_ingest, starts the local server on $PGPORT
NODES=()   # data folders of the Citus nodes now running
stop_nodes() {
	local d
	for d in "${NODES[@]}"; do
		as_user pg_ctl -D "$d" -m fast -w stop >/dev/null 2>&1 || true
	done
	NODES=()
}
trap 'rc=$?; stop_nodes; (exit $rc); cleanup' EXIT

psql_at() { local port=$1; shift; as_user psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }

# A Citus node on a port, its socket in the work folder
start_node() {
	local port=$1 dir=$WORK_DIR/node$1
	as_user initdb -D "$dir" -U "$RUN_USER" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
	cat >>"$dir/postgresql.conf" <<-EOF
	port = $port
	listen_addresses = ''
	unix_socket_directories = '$WORK_DIR'
	shared_preload_libraries = 'citus'
	max_prepared_transactions = 200
	max_connections = 300
	citus.node_conninfo = 'sslmode=disable'
	EOF
	as_user pg_ctl -D "$dir" -l "$WORK_DIR/node$port.log" -w start >/dev/null
	NODES+=("$dir")
	psql_at "$port" -c 'CREATE EXTENSION citus' >/dev/null
}

# The files: valid sample tickets, renumbered, distinct tickets per file
log "writing $FILES files of $ROWS tickets"
psql_at "$PGPORT" -v rows="$ROWS" -v files="$FILES" -v sample="$WORK_DIR/src/data/tickets.jsonl" \
	-v out="$WORK_DIR/bench_file_" >/dev/null <<-'SQL'
	SET client_min_messages = warning;
	CREATE EXTENSION omni_ingest;
	CREATE TEMP TABLE sample_line (line text);
	COPY sample_line FROM :'sample' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
	CREATE TEMP TABLE sample AS
	  SELECT row_number() OVER () AS n, line::jsonb AS t FROM sample_line
	   WHERE line ~ '^\{' AND line ~ '\}$'
	     AND omni_contract_validate('omni://contracts/data/ticket/v1', line::jsonb)
	     AND line::jsonb->>'ticket_id' NOT IN ('TKT-20260413-005001');
	SELECT count(*) AS sample_tickets FROM sample \gset
	SELECT format('COPY (SELECT jsonb_set(s.t, ''{ticket_id}'', to_jsonb(format(''TKT-%%s-%%s'', %s, lpad(g::text, 6, ''0''))))::text
	                 FROM generate_series(1, %s) g JOIN sample s ON s.n = 1 + g %% %s)
	               TO %L WITH (FORMAT csv, QUOTE e''\x01'', DELIMITER e''\x02'')',
	              20260300 + f, :rows, :sample_tickets, :'out' || f || '.jsonl')
	  FROM generate_series(1, :files) f \gexec
	SQL

# One contract and one pair of tables per file (the ticket contract under
# another name), distributed on Citus
prepare_targets() {
	local port=$1 citus=$2
	psql_at "$port" -v files="$FILES" -v citus="$citus" -v shards="$SHARDS" >/dev/null <<-'SQL'
	SET client_min_messages = warning;
	CREATE EXTENSION IF NOT EXISTS omni_ingest;
	SELECT format('SELECT omni_register_contract(schema, %L) FROM omni_ingest.contract
	                WHERE contract_ref = ''omni://contracts/data/ticket/v1''', 'omni://bench/f' || f || '/v1'),
	       format('SELECT omni_create_target(%L)', 'omni://bench/f' || f || '/v1')
	  FROM generate_series(1, :files) f \gexec
	\if :citus
	SELECT format('SELECT omni_ingest_distribute(%L, %s)', 'omni://bench/f' || f || '/v1', :shards)
	  FROM generate_series(1, :files) f \gexec
	\endif
	SQL
}

# CPU seconds used so far by a server's processes: the postmaster, its live
# children, and (through the postmaster's cutime) the children it reaped
node_cpu() {
	local pm
	pm=$(head -1 "$1/postmaster.pid")
	{ awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
	  for c in $(ps -o pid= --ppid "$pm"); do awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null; done
	} | awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.1f", s / hz }'
}

# Load every file once, dealt out to $2 concurrent sessions; print a row.
# With DRY=true the loads are dry runs: reading, parsing and validating
# alone, the coordinator's share of a load.
run_loads() {
	local label=$1 sessions=$2 port=$3; shift 3
	local dry=${DRY:-false}
	local dirs=("$@") before=() after=() pids=() s f t0 t1 i
	psql_at "$port" -c "SET omni_ingest.allow_drop_data = on" \
		-c "TRUNCATE omni_ingest.batch_ledger, omni_ingest.reject" >/dev/null
	for f in $(seq 1 "$FILES"); do
		psql_at "$port" -c "TRUNCATE omni_ingest.raw_f${f}_event, omni_ingest.f${f}_fact"
	done
	for i in "${!dirs[@]}"; do before[i]=$(node_cpu "${dirs[i]}"); done
	t0=$(date +%s.%N)
	for s in $(seq 0 $((sessions - 1))); do
		(
			for f in $(seq $((s + 1)) "$sessions" "$FILES"); do
				psql_at "$port" -At -c "SET omni_ingest.chunk_rows = $CHUNK_ROWS" -c "SELECT status FROM omni_ingest_jsonl('$WORK_DIR/bench_file_$f.jsonl',
					'bench-$f', dry_run => $dry, contract_ref => 'omni://bench/f$f/v1')" >/dev/null
			done
		) &
		pids+=($!)
	done
	for s in "${pids[@]}"; do wait "$s"; done
	t1=$(date +%s.%N)
	sleep 1     # let the backends of the sessions exit, so their CPU is counted
	for i in "${!dirs[@]}"; do after[i]=$(node_cpu "${dirs[i]}"); done
	local loaded
	loaded=$(psql_at "$port" -At -c "SELECT count(*) FILTER (WHERE valid = $ROWS AND CASE WHEN $dry
		THEN status = 'dry_run' ELSE status = 'loaded' AND silver_inserted = $ROWS END) FROM omni_ingest.batch_ledger")
	[ "$loaded" = "$FILES" ] || { echo "expected $FILES exact loads, got $loaded" >&2; exit 1; }
	local cpu="" secs lines
	for i in "${!dirs[@]}"; do
		cpu+=$(awk -v a="${before[i]}" -v b="${after[i]}" 'BEGIN { printf "%s%.1f", "", b - a }')" "
	done
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	lines=$(awk -v s="$secs" -v n="$((ROWS * FILES))" 'BEGIN { printf "%.0f", n / s }')
	printf ' %-14s %8s %9s %11s   %s\n' "$label" "$sessions" "$secs" "$lines" "$cpu"
}

header() {
	printf '\n %-14s %8s %9s %11s   %s\n' setup sessions seconds 'lines/s' "$1"
}

log "local server"
prepare_targets "$PGPORT" false
header 'CPU s: server'
DRY=true run_loads 'local dry' 1 "$PGPORT" "$WORK_DIR/pgdata"
for s in $SESSIONS; do run_loads local "$s" "$PGPORT" "$WORK_DIR/pgdata"; done

for workers in 1 2; do
	log "Citus: a coordinator and $workers worker(s), $SHARDS shards per table"
	coord=$((PGPORT + 10 * workers))
	dirs=("$WORK_DIR/node$coord")
	start_node "$coord"
	psql_at "$coord" -c "SELECT citus_set_coordinator_host('$WORK_DIR', $coord)" >/dev/null
	for w in $(seq 1 "$workers"); do
		start_node $((coord + w))
		psql_at "$coord" -c "SELECT citus_add_node('$WORK_DIR', $((coord + w)))" >/dev/null
		dirs+=("$WORK_DIR/node$((coord + w))")
	done
	prepare_targets "$coord" true
	header "CPU s: coordinator, worker(s)"
	DRY=true run_loads "citus-${workers}w dry" 1 "$coord" "${dirs[@]}"
	for s in $SESSIONS; do run_loads "citus-${workers}w" "$s" "$coord" "${dirs[@]}"; done
	stop_nodes
done
printf '\n %s lines in %s files of %s bytes, chunks of %s records; %s cores; load average at the start: %s\n' \
	"$((ROWS * FILES))" "$FILES" "$(stat -c %s "$WORK_DIR/bench_file_1.jsonl")" "$CHUNK_ROWS" "$(nproc)" \
	"$LOAD0"
