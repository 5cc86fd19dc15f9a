#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft mode, no ZooKeeper) on this
# machine, for hrcase development and tests. The jars come from Maven Central
# via deploy/kafka/pom.xml; nothing else is downloaded.
#
# Usage: deploy/kafka/kafka.sh start|stop|restart|status|logs [-f] [N]|reset|scram-user NAME
#                              |topics ARGS...|tool CLASS ARGS...|bootstrap
# See deploy/kafka/README.md for the environment knobs.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KAFKA_HOME="${HRCASE_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/hrcase/kafka}"
KAFKA_PORT="${HRCASE_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${HRCASE_KAFKA_CONTROLLER_PORT:-9093}"
NUM_PARTITIONS="${HRCASE_KAFKA_NUM_PARTITIONS:-1}"
AUTO_CREATE_TOPICS="${HRCASE_KAFKA_AUTO_CREATE_TOPICS:-false}"
START_TIMEOUT="${HRCASE_KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${HRCASE_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
# SASL_SSL: the client listener takes TLS and SCRAM-SHA-512 (the broker's key and
# certificate chain in one PEM file, its CA in another, and the password of its own
# SCRAM user "admin", created when the storage is formatted). PLAINTEXT: neither.
SECURITY="${HRCASE_KAFKA_SECURITY:-PLAINTEXT}"
SSL_KEYSTORE="${HRCASE_KAFKA_SSL_KEYSTORE:-}"
SSL_TRUSTSTORE="${HRCASE_KAFKA_SSL_TRUSTSTORE:-}"
ADMIN_PASSWORD="${HRCASE_KAFKA_ADMIN_PASSWORD:-}"
# Extra arguments for mvn, e.g. -Dmaven.repo.local=/some/dir or -o.
MVN_ARGS="${HRCASE_KAFKA_MVN_ARGS:-}"

LIBS_DIR="$KAFKA_HOME/libs"
DATA_DIR="$KAFKA_HOME/data"
LOG_DIR="$KAFKA_HOME/logs"
RUN_DIR="$KAFKA_HOME/run"
CONFIG_FILE="$RUN_DIR/server.properties"
ADMIN_CONFIG="$RUN_DIR/admin.properties"
PID_FILE="$RUN_DIR/kafka.pid"
CLUSTER_ID_FILE="$KAFKA_HOME/cluster.id"
OUT_FILE="$LOG_DIR/kafka.out"
SERVER_LOG="$LOG_DIR/server.log"
LIBS_STAMP="$LIBS_DIR/.hrcase-fetched"
# Keep in step with pom.xml. The goal is called by its full name, so Maven
# needs no plugin-prefix metadata lookup (and -o works once ~/.m2 has it all).
DEP_PLUGIN_VERSION="3.8.1"

BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA="java"
fi

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat >&2 <<EOF
usage: $(basename "$0") COMMAND
  start             fetch jars if needed, format storage once, start the broker, wait until it answers
  stop              stop the broker (SIGTERM, then SIGKILL after 30 s)
  restart           stop, then start
  status            exit 0 if the broker is running and answering, else 1
  logs [-f] [N]     last N (default 100) lines of the broker log; -f follows it
  reset             stop and delete data, logs and generated config (keeps the jars)
  scram-user NAME   create or change SCRAM-SHA-512 user NAME, password read from stdin (SASL_SSL only)
  topics ARGS...    run org.apache.kafka.tools.TopicCommand --bootstrap-server $BOOTSTRAP ARGS...
  tool CLASS ARGS.. run any main class from the Kafka jars
  bootstrap         print the bootstrap server ($BOOTSTRAP)
home: $KAFKA_HOME
EOF
}

# ---------------------------------------------------------------- helpers

check_settings() {
    local p
    for p in "$KAFKA_PORT" "$CONTROLLER_PORT" "$NUM_PARTITIONS" "$START_TIMEOUT"; do
        [[ "$p" =~ ^[0-9]+$ ]] || die "not a number: '$p'"
    done
    [[ "$KAFKA_PORT" != "$CONTROLLER_PORT" ]] || die "HRCASE_KAFKA_PORT and HRCASE_KAFKA_CONTROLLER_PORT must differ"
    case "$AUTO_CREATE_TOPICS" in
        true|false) ;;
        *) die "HRCASE_KAFKA_AUTO_CREATE_TOPICS must be true or false" ;;
    esac
    case "$SECURITY" in
        PLAINTEXT) ;;
        SASL_SSL)
            [[ -r "$SSL_KEYSTORE" ]] || die "SASL_SSL needs HRCASE_KAFKA_SSL_KEYSTORE: a readable PEM file with the broker's PKCS#8 key and certificate chain"
            [[ -r "$SSL_TRUSTSTORE" ]] || die "SASL_SSL needs HRCASE_KAFKA_SSL_TRUSTSTORE: a readable PEM file with the CA's certificate"
            [[ -n "$ADMIN_PASSWORD" ]] || die "SASL_SSL needs HRCASE_KAFKA_ADMIN_PASSWORD, the password of the broker's own SCRAM user admin"
            [[ "$ADMIN_PASSWORD" =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "HRCASE_KAFKA_ADMIN_PASSWORD: letters, digits and ._~+/=- only (it goes into a JAAS line)"
            ;;
        *) die "HRCASE_KAFKA_SECURITY must be PLAINTEXT or SASL_SSL" ;;
    esac
}

# Install java / mvn from Debian when they are missing (fresh machines).
ensure_tools() {
    local pkgs=()
    command -v "$JAVA" >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
    ((${#pkgs[@]} == 0)) && return 0
    [[ $EUID -eq 0 ]] || die "missing ${pkgs[*]}; install them (apt-get install ${pkgs[*]})"
    log "installing ${pkgs[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

pom_hash() {
    sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1
}

libs_cached() {
    [[ -f "$LIBS_STAMP" && "$(cat "$LIBS_STAMP")" == "$(pom_hash)" ]]
}

# Copy kafka + runtime deps into $LIBS_DIR. Fetches into a temp dir and swaps
# it in, so an interrupted download never leaves a half-filled classpath.
fetch_libs() {
    if libs_cached; then
        return 0
    fi
    ensure_tools
    log "fetching Kafka jars with Maven into $LIBS_DIR"
    mkdir -p "$KAFKA_HOME"
    local tmp="$KAFKA_HOME/libs.tmp.$$"
    rm -rf "$tmp"
    # (sed strips the stray colour codes Debian's Maven 3.8.7 prints even with -q -B;
    # pipefail keeps mvn's exit status.)
    # shellcheck disable=SC2086  # MVN_ARGS is a list of words on purpose
    if ! mvn -q -B -f "$SCRIPT_DIR/pom.xml" $MVN_ARGS \
        "org.apache.maven.plugins:maven-dependency-plugin:$DEP_PLUGIN_VERSION:copy-dependencies" \
        -DoutputDirectory="$tmp" 2>&1 | sed $'s/\x1b\\[[0-9;]*m//g' >&2; then
        rm -rf "$tmp"
        die "mvn failed to fetch the Kafka jars"
    fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "mvn ran, but no kafka_2.13 jar in $tmp"; }
    pom_hash >"$tmp/.hrcase-fetched"
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
}

# Run a main class from the jars (tools log WARN+ to stderr only).
run_java_tool() {
    "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
        -Dlog4j.configuration="file:$SCRIPT_DIR/tools-log4j.properties" \
        -cp "$LIBS_DIR/*" "$@"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid from the pid file if that process is alive and is our broker.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse: the process must be kafka.Kafka with our config.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONFIG_FILE" || return 1
    echo "$pid"
}

is_answering() {
    running_pid >/dev/null && port_open "$KAFKA_PORT"
}

# A real request through the Kafka protocol: list the topics.
broker_answers() {
    timeout 30 "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Dlog4j.configuration="file:$SCRIPT_DIR/tools-log4j.properties" \
        -cp "$LIBS_DIR/*" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --list >/dev/null 2>&1
}

# $RUN_DIR/server.properties = deploy/kafka/server.properties minus the keys
# set here, plus those keys with this run's values.
generate_config() {
    mkdir -p "$RUN_DIR" "$DATA_DIR" "$LOG_DIR"
    local overridden='^(listeners|advertised\.listeners|inter\.broker\.listener\.name|controller\.quorum\.voters|log\.dirs|num\.partitions|auto\.create\.topics\.enable)='
    {
        grep -Ev "$overridden" "$SCRIPT_DIR/server.properties"
        echo
        echo "############################# set by kafka.sh #############################"
        echo "listeners=$SECURITY://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
        echo "advertised.listeners=$SECURITY://127.0.0.1:$KAFKA_PORT"
        echo "inter.broker.listener.name=$SECURITY"
        if [[ "$SECURITY" == SASL_SSL ]]; then
            # The broker reaches itself through the same listener, as its SCRAM user admin.
            echo "sasl.enabled.mechanisms=SCRAM-SHA-512"
            echo "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"
            echo "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$(admin_jaas)"
            echo "ssl.keystore.type=PEM"
            echo "ssl.keystore.location=$SSL_KEYSTORE"
            echo "ssl.truststore.type=PEM"
            echo "ssl.truststore.location=$SSL_TRUSTSTORE"
        fi
        echo "controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT"
        echo "log.dirs=$DATA_DIR"
        echo "num.partitions=$NUM_PARTITIONS"
        echo "auto.create.topics.enable=$AUTO_CREATE_TOPICS"
    } >"$CONFIG_FILE.tmp"
    chmod 600 "$CONFIG_FILE.tmp"  # it may hold the admin password
    mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
    # Short timeouts for the readiness probe's admin client; the tools connect as admin on SASL_SSL.
    (
        umask 077
        cat >"$ADMIN_CONFIG" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
        if [[ "$SECURITY" == SASL_SSL ]]; then
            cat >>"$ADMIN_CONFIG" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(admin_jaas)
ssl.truststore.type=PEM
ssl.truststore.location=$SSL_TRUSTSTORE
EOF
        fi
    )
}

admin_jaas() {
    echo "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\";"
}

format_storage() {
    if [[ -f "$DATA_DIR/meta.properties" ]]; then
        return 0
    fi
    local cluster_id
    if [[ -s "$CLUSTER_ID_FILE" ]]; then
        cluster_id="$(cat "$CLUSTER_ID_FILE")"
    else
        cluster_id="$(run_java_tool kafka.tools.StorageTool random-uuid)"
        echo "$cluster_id" >"$CLUSTER_ID_FILE"
    fi
    log "formatting storage in $DATA_DIR (cluster id $cluster_id)"
    local scram=()
    if [[ "$SECURITY" == SASL_SSL ]]; then
        # KRaft: the inter-broker user must exist before the broker can reach itself, so it is formatted in.
        scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]")
    fi
    run_java_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG_FILE" "${scram[@]}" >&2 \
        || die "kafka.tools.StorageTool format failed"
}

show_log_tail() {
    local f
    for f in "$SERVER_LOG" "$OUT_FILE"; do
        if [[ -s "$f" ]]; then
            echo "----- last 80 lines of $f -----" >&2
            tail -n 80 "$f" >&2
        fi
    done
}

# Serialise start/stop/reset of one $KAFKA_HOME (e.g. parallel test runs).
take_lock() {
    mkdir -p "$KAFKA_HOME"
    exec 9>"$KAFKA_HOME/.lock"
    flock -w 300 9 || die "another kafka.sh holds $KAFKA_HOME/.lock"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    check_settings
    local pid
    if pid="$(running_pid)"; then
        if port_open "$KAFKA_PORT"; then
            log "already running (pid $pid) on $BOOTSTRAP"
            return 0
        fi
        log "broker pid $pid is alive but $BOOTSTRAP does not answer yet; waiting"
    else
        rm -f "$PID_FILE"
        local p
        for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
            if port_open "$p"; then
                die "port $p on 127.0.0.1 is already in use by another process (not this broker: $KAFKA_HOME); set HRCASE_KAFKA_PORT / HRCASE_KAFKA_CONTROLLER_PORT"
            fi
        done
        ensure_tools
        fetch_libs
        generate_config
        format_storage

        log "starting broker on $BOOTSTRAP (controller 127.0.0.1:$CONTROLLER_PORT)"
        # setsid: own session, so the broker outlives the calling shell and is
        # not hit by signals sent to the caller's process group. setsid does
        # not fork here (a background child is no group leader), so $! is java.
        # shellcheck disable=SC2086  # HEAP_OPTS is a list of words on purpose
        setsid nohup "$JAVA" $HEAP_OPTS \
            -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
            -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
            -Dkafka.logs.dir="$LOG_DIR" \
            -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
            -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" \
            </dev/null >>"$OUT_FILE" 2>&1 9>&- &
        pid=$!
        echo "$pid" >"$PID_FILE"
    fi

    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "broker process $pid exited during startup"
            rm -f "$PID_FILE"
            show_log_tail
            exit 1
        fi
        if port_open "$KAFKA_PORT" && broker_answers; then
            log "broker is up (pid $pid) on $BOOTSTRAP; logs in $LOG_DIR"
            return 0
        fi
        sleep 1
    done
    log "broker did not answer on $BOOTSTRAP within ${START_TIMEOUT}s (pid $pid left running; '$0 stop' stops it)"
    show_log_tail
    exit 1
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    log "stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still alive after 30s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    if pid="$(running_pid)" && port_open "$KAFKA_PORT"; then
        echo "running (pid $pid) on $BOOTSTRAP, home $KAFKA_HOME"
        return 0
    fi
    if [[ -n "${pid:-}" ]]; then
        echo "process $pid alive but $BOOTSTRAP not answering"
    else
        echo "not running (home $KAFKA_HOME)"
    fi
    return 1
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
    [[ -f "$SERVER_LOG" ]] || die "no log yet: $SERVER_LOG"
    tail -n "$lines" "${follow[@]}" "$SERVER_LOG"
}

# kafka-configs.sh --alter --add-config SCRAM-SHA-512=[...]: a user for the clients, on a running SASL_SSL broker.
cmd_scram_user() {
    local name="${1:-}" password
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die "scram-user: need a user name (letters, digits and ._- only)"
    [[ "$SECURITY" == SASL_SSL ]] || die "scram-user: the broker is not SASL_SSL (HRCASE_KAFKA_SECURITY)"
    [[ -f "$ADMIN_CONFIG" ]] || die "scram-user: start the broker first"
    IFS= read -r password || true
    [[ "$password" =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "scram-user: a password on stdin, letters, digits and ._~+/=- only"
    run_java_tool kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \
        --alter --entity-type users --entity-name "$name" \
        --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >&2 \
        || die "scram-user: kafka.admin.ConfigCommand failed"
    log "SCRAM-SHA-512 user $name set"
}

cmd_reset() {
    cmd_stop
    log "deleting data, logs and generated config under $KAFKA_HOME (keeping $LIBS_DIR)"
    rm -rf "$DATA_DIR" "$LOG_DIR" "$RUN_DIR" "$CLUSTER_ID_FILE"
}

main() {
    local cmd="${1:-}"
    (($#)) && shift
    case "$cmd" in
        start) take_lock; cmd_start ;;
        stop) take_lock; cmd_stop ;;
        restart) take_lock; cmd_stop; cmd_start ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        reset) take_lock; cmd_reset ;;
        scram-user) check_settings; cmd_scram_user "$@" ;;
        topics)
            fetch_libs
            local config=()
            [[ -f "$ADMIN_CONFIG" ]] && config=(--command-config "$ADMIN_CONFIG")
            run_java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "${config[@]}" "$@" ;;
        tool)
            (($#)) || die "tool: need a main class"
            fetch_libs
            run_java_tool "$@" ;;
        bootstrap) echo "$BOOTSTRAP" ;;
        -h|--help|help) usage ;;
        *) usage; exit 2 ;;
    esac
}

main "$@"
