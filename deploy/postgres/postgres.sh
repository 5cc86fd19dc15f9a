#!/usr/bin/env bash
# Run hrcase's own PostgreSQL cluster (not the system "main" cluster) on this
# machine, for development and tests. PostgreSQL comes from Debian's package.
#
# Usage: deploy/postgres/postgres.sh start|stop|restart|status|url|psql [ARGS...]|logs [-f] [N]|reset
# See deploy/postgres/README.md for the environment knobs.
set -euo pipefail

PG_PORT="${HRCASE_PG_PORT:-55432}"
PG_DB="${HRCASE_PG_DB:-hrcase}"
PG_USER="${HRCASE_PG_USER:-hrcase}"
PG_PASSWORD="${HRCASE_PG_PASSWORD:-hrcase}"
START_TIMEOUT="${HRCASE_PG_START_TIMEOUT:-60}"
# OS user that owns and runs the cluster when this script runs as root
# (PostgreSQL refuses to run as root).
PG_OS_USER="${HRCASE_PG_OS_USER:-postgres}"
# Where the data lives when the default cache dir is not reachable by $PG_OS_USER.
FALLBACK_HOME="/var/tmp/hrcase-postgres"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat >&2 <<EOF
usage: $(basename "$0") COMMAND
  start            install PostgreSQL if missing, init + start the hrcase cluster, ensure role/db, wait until ready
  stop             stop the cluster (pg_ctl stop -m fast)
  restart          stop, then start
  status           exit 0 if the cluster is running and accepting connections, else 1
  url              print the SQLAlchemy URL (postgresql+psycopg://...)
  psql [ARGS...]   open psql on the hrcase database over TCP, with extra psql ARGS
  logs [-f] [N]    last N (default 100) lines of the server log; -f follows it
  reset            stop and delete the whole cluster (data and logs)
EOF
}

url() {
    printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "$PG_DB"
}

# ---------------------------------------------------------------- who runs the server

if [[ $EUID -eq 0 ]]; then
    AS_ROOT=1
else
    AS_ROOT=0
fi

# Run a command as the cluster's OS user, from a directory that user can read.
# fd 9 (our lock) is closed so the postmaster started by pg_ctl does not keep it.
as_pg() {
    if ((AS_ROOT)); then
        (cd / && runuser -u "$PG_OS_USER" -- "$@" 9>&-)
    else
        (cd / && "$@" 9>&-)
    fi
}

# Can the cluster's OS user reach directory $1 (search permission on the whole path)?
pg_can_traverse() {
    if ((AS_ROOT)); then
        runuser -u "$PG_OS_USER" -- test -x "$1" 2>/dev/null
    else
        test -x "$1"
    fi
}

deepest_existing() {
    local d="$1"
    while [[ ! -e "$d" ]]; do
        d="$(dirname "$d")"
    done
    echo "$d"
}

# HRCASE_PG_HOME if set; else ${XDG_CACHE_HOME:-$HOME/.cache}/hrcase/postgres,
# unless the cluster's OS user cannot traverse to it (as root: /root is 0700 on
# Debian, and "postgres" cannot enter it), then $FALLBACK_HOME.
resolve_home() {
    if [[ -n "${HRCASE_PG_HOME:-}" ]]; then
        PG_HOME="$HRCASE_PG_HOME"
        PG_HOME_IS_DEFAULT=0
        return
    fi
    PG_HOME_IS_DEFAULT=1
    local preferred="${XDG_CACHE_HOME:-$HOME/.cache}/hrcase/postgres"
    if ! ((AS_ROOT)) || ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        PG_HOME="$preferred"
        return
    fi
    if pg_can_traverse "$(deepest_existing "$preferred")"; then
        PG_HOME="$preferred"
    else
        PG_HOME="$FALLBACK_HOME"
    fi
}

set_paths() {
    DATA_DIR="$PG_HOME/data"
    SOCKET_DIR="$PG_HOME/run"
    LOG_DIR="$PG_HOME/log"
    LOG_FILE="$LOG_DIR/postgres.log"
}

# ---------------------------------------------------------------- installation

find_pg_bin() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        if [[ -z "$best" ]] || [[ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" == "$d" ]]; then
            best="$d"
        fi
    done
    [[ -n "$best" ]] || return 1
    echo "$best"
}

ensure_installed() {
    if PG_BIN="$(find_pg_bin)"; then
        return 0
    fi
    ((AS_ROOT)) || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run: sudo apt-get install -y postgresql"
    log "PostgreSQL not found; installing Debian's postgresql package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN="$(find_pg_bin)" || die "postgresql installed, but no initdb under /usr/lib/postgresql/*/bin"
}

# ---------------------------------------------------------------- cluster

prepare_home() {
    if ((AS_ROOT)); then
        id -u "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (Debian's postgresql package creates 'postgres')"
    fi
    # umask 022: intermediate dirs must stay traversable for $PG_OS_USER.
    (umask 022 && mkdir -p "$PG_HOME")
    mkdir -p "$LOG_DIR" "$SOCKET_DIR"
    if ((AS_ROOT)); then
        chown "$PG_OS_USER": "$PG_HOME" "$LOG_DIR" "$SOCKET_DIR"
    fi
    chmod 0700 "$SOCKET_DIR"
    if ! pg_can_traverse "$PG_HOME"; then
        if ((PG_HOME_IS_DEFAULT)); then
            die "OS user '$PG_OS_USER' cannot reach $PG_HOME"
        fi
        die "OS user '$PG_OS_USER' cannot reach HRCASE_PG_HOME=$PG_HOME (a parent directory is not traversable, e.g. /root is 0700); choose another HRCASE_PG_HOME, e.g. $FALLBACK_HOME"
    fi
}

init_cluster() {
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        local have want
        have="$(cat "$DATA_DIR/PG_VERSION")"
        want="$(basename "$(dirname "$PG_BIN")")"
        [[ "$have" == "$want" ]] || die "cluster in $DATA_DIR is PostgreSQL $have, binaries are $want; run '$0 reset'"
        return 0
    fi
    log "initdb into $DATA_DIR"
    if [[ -e "$DATA_DIR" ]]; then
        rm -rf "$DATA_DIR"   # a half-made cluster from an interrupted initdb
    fi
    # Local (unix socket) connections are trusted: the socket lives in a 0700
    # directory owned by the server's OS user. TCP needs a password (scram).
    as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 \
        || { tail -n 40 "$LOG_DIR/initdb.log" >&2; die "initdb failed (full output: $LOG_DIR/initdb.log)"; }
    printf "\n# hrcase: port, listen address and socket dir are set by postgres.sh\ninclude_if_exists = 'hrcase.conf'\n" \
        >>"$DATA_DIR/postgresql.conf"
}

write_conf() {
    local conf="$DATA_DIR/hrcase.conf"
    cat >"$conf.tmp" <<EOF
# Written by deploy/postgres/postgres.sh on every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
EOF
    if ((AS_ROOT)); then
        chown "$PG_OS_USER": "$conf.tmp"
    fi
    mv "$conf.tmp" "$conf"
}

server_running() {
    [[ -f "$DATA_DIR/PG_VERSION" ]] || return 1
    as_pg "$PG_BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

is_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -t 2 >/dev/null 2>&1
}

show_log_tail() {
    if [[ -s "$LOG_FILE" ]]; then
        echo "----- last 80 lines of $LOG_FILE -----" >&2
        tail -n 80 "$LOG_FILE" >&2
    fi
}

# Superuser session over the unix socket (trusted, no password).
su_psql() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

ensure_role_and_db() {
    su_psql -v role="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SQL
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- commands

cmd_start() {
    [[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "HRCASE_PG_PORT is not a number: '$PG_PORT'"
    ensure_installed
    prepare_home
    init_cluster
    if server_running; then
        log "already running (data $DATA_DIR)"
    else
        if port_in_use "$PG_PORT"; then
            die "port $PG_PORT on 127.0.0.1 is already in use by another process; set HRCASE_PG_PORT"
        fi
        write_conf
        log "starting PostgreSQL $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$PG_PORT (data $DATA_DIR)"
        if ! as_pg "$PG_BIN/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" -s >&2; then
            log "pg_ctl start failed"
            show_log_tail
            exit 1
        fi
    fi
    local deadline=$((SECONDS + START_TIMEOUT))
    until is_ready; do
        if ((SECONDS >= deadline)); then
            log "server does not accept connections on 127.0.0.1:$PG_PORT after ${START_TIMEOUT}s"
            show_log_tail
            exit 1
        fi
        sleep 0.5
    done
    if ! ensure_role_and_db; then
        log "could not create role '$PG_USER' / database '$PG_DB'"
        show_log_tail
        exit 1
    fi
    log "ready: $(url)"
}

cmd_stop() {
    if ! server_running; then
        log "not running"
        return 0
    fi
    log "stopping (data $DATA_DIR)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 -s >&2 || { show_log_tail; die "pg_ctl stop failed"; }
    log "stopped"
}

cmd_status() {
    if server_running && is_ready; then
        echo "running on 127.0.0.1:$PG_PORT, data $DATA_DIR"
        return 0
    fi
    echo "not running (data $DATA_DIR)"
    return 1
}

cmd_psql() {
    server_running || die "not running; start it with: $0 start"
    PGPASSWORD="$PG_PASSWORD" exec "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"
}

cmd_logs() {
    local follow=() lines=100
    while (($#)); do
        case "$1" in
            -f) follow=(-F) ;;
            *) [[ "$1" =~ ^[0-9]+$ ]] || die "logs: bad argument '$1'"; lines="$1" ;;
        esac
        shift
    done
    [[ -f "$LOG_FILE" ]] || die "no log yet: $LOG_FILE"
    tail -n "$lines" "${follow[@]}" "$LOG_FILE"
}

cmd_reset() {
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        cmd_stop
    fi
    log "deleting $PG_HOME"
    rm -rf "$PG_HOME"
}

# Serialise start/stop/reset of one cluster (e.g. parallel test runs).
take_lock() {
    local lock
    lock="$(dirname "$PG_HOME")/.$(basename "$PG_HOME").lock"
    (umask 022 && mkdir -p "$(dirname "$PG_HOME")")
    exec 9>>"$lock"
    flock -w 300 9 || die "another postgres.sh holds $lock"
}

main() {
    local cmd="${1:-}"
    (($#)) && shift
    resolve_home
    set_paths
    case "$cmd" in
        url) url; return 0 ;;
        -h|--help|help) usage; return 0 ;;
        start|stop|restart|status|psql|logs|reset) ;;
        *) usage; exit 2 ;;
    esac
    # Commands below need the binaries (status/stop/psql never install them).
    if [[ "$cmd" == start || "$cmd" == restart ]]; then
        ensure_installed
    elif ! PG_BIN="$(find_pg_bin)"; then
        case "$cmd" in
            stop|reset) log "PostgreSQL is not installed; nothing is running" ;;
            status) echo "not running (PostgreSQL not installed)"; exit 1 ;;
            *) die "PostgreSQL is not installed; run: $0 start" ;;
        esac
        [[ "$cmd" == reset ]] && rm -rf "$PG_HOME"
        return 0
    fi
    case "$cmd" in
        start) take_lock; cmd_start ;;
        stop) take_lock; cmd_stop ;;
        restart) take_lock; cmd_stop; cmd_start ;;
        status) cmd_status ;;
        psql) cmd_psql "$@" ;;
        logs) cmd_logs "$@" ;;
        reset) take_lock; cmd_reset ;;
    esac
}

main "$@"
