# Shared set-up for scripts/demo.sh and scripts/test.sh.
#
# Run as root on Debian 12: installs what is missing from Debian packages,
# builds and installs the extension, and starts a throwaway PostgreSQL 15
# owned by an unprivileged OS user on a private port.  The server is stopped
# and its files removed when the calling script exits.

set -euo pipefail

PG_MAJOR=15
# OMNI_PG_BIN: another (relocated) copy of the server, e.g. to run two test
# suites side by side; by default Debian's
PG_BIN=${OMNI_PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PG_CONFIG=$PG_BIN/pg_config
RUN_USER=${OMNI_RUN_USER:-postgres}
# OMNI_WRITE_PATH: omni_ingest.write_path for every server of the run (the
# throwaway one and the TAP tests' own), e.g. sql to run the whole suite on
# the SQL write path; by default the setting's own default (auto)
WRITE_PATH=${OMNI_WRITE_PATH:-}
# OMNI_READ_SPAN_BYTES: omni_ingest.read_span_bytes the same way, e.g. 64 to
# have background workers read (nearly) every file of the suite
READ_SPAN_BYTES=${OMNI_READ_SPAN_BYTES:-}
SETTINGS=()
[ -n "$WRITE_PATH" ] && SETTINGS+=("omni_ingest.write_path=$WRITE_PATH")
[ -n "$READ_SPAN_BYTES" ] && SETTINGS+=("omni_ingest.read_span_bytes=$READ_SPAN_BYTES")
PGPORT=${OMNI_PGPORT:-54329}
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PACKAGES=(make gcc libc6-dev perl libipc-run-perl
          postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
          postgresql-contrib postgresql-$PG_MAJOR-cron)

log() { printf '== %s\n' "$*"; }

# Install the Debian packages that are not installed yet
ensure_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

# Warnings are errors here; the shipped Makefile leaves that to packagers
STRICT_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers"

# Build and install the extension from the source tree
build_and_install() {
	log "building omni_ingest"
	make -C "$SRC_DIR" -s PG_CONFIG="$PG_CONFIG" clean >/dev/null
	make -C "$SRC_DIR" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$STRICT_CFLAGS"
	make -C "$SRC_DIR" -s PG_CONFIG="$PG_CONFIG" install
}

# Copy the tree where the unprivileged user can read and write it
make_workdir() {
	WORK_DIR=$(mktemp -d /tmp/omni_ingest.XXXXXX)
	chmod 755 "$WORK_DIR"
	mkdir "$WORK_DIR/src"
	cp -a "$SRC_DIR/." "$WORK_DIR/src"
	rm -rf "$WORK_DIR/src/.git"
	local setting
	for setting in "${SETTINGS[@]}"; do
		printf "%s = '%s'\n" "${setting%%=*}" "${setting#*=}"
	done >"$WORK_DIR/settings.conf"
	chown -R "$RUN_USER" "$WORK_DIR"
	trap cleanup EXIT
}

# Run a command as the unprivileged user, from a folder it may enter
as_user() {
	local conf=()
	[ ${#SETTINGS[@]} -gt 0 ] && conf=(TEMP_CONFIG="$WORK_DIR/settings.conf")
	(cd / && runuser -u "$RUN_USER" -- env LANG=C.UTF-8 PATH="$PG_BIN:$PATH" PGHOST="$WORK_DIR" \
		PGPORT="$PGPORT" PGDATABASE="${PGDATABASE:-postgres}" "${conf[@]}" "$@")
}

# Start a private server: socket in the work dir, no TCP listener
start_server() {
	local options="-p $PGPORT -k $WORK_DIR -c listen_addresses=''" setting
	for setting in "${SETTINGS[@]}"; do
		options="$options -c $setting"
	done
	log "starting PostgreSQL $PG_MAJOR as $RUN_USER on port $PGPORT${SETTINGS[*]:+ (${SETTINGS[*]})}"
	as_user initdb -D "$WORK_DIR/pgdata" -U "$RUN_USER" -A trust -E UTF8 \
		--locale=C.UTF-8 >"$WORK_DIR/initdb.log"
	as_user pg_ctl -D "$WORK_DIR/pgdata" -l "$WORK_DIR/server.log" -w \
		-o "$options" start >/dev/null
	SERVER_STARTED=1
}

cleanup() {
	local rc=$?
	if [ "${SERVER_STARTED:-0}" = 1 ]; then
		as_user pg_ctl -D "$WORK_DIR/pgdata" -m fast -w stop >/dev/null || true
	fi
	if [ "${OMNI_KEEP_WORKDIR:-0}" = 1 ]; then
		log "kept $WORK_DIR"
	else
		rm -rf "$WORK_DIR"
	fi
	exit $rc
}

# Everything both commands need before they do their own work
setup() {
	if [ "$(id -u)" != 0 ]; then
		echo "run this as root: it installs packages and the extension" >&2
		exit 1
	fi
	ensure_packages
	build_and_install
	make_workdir
	start_server
}
