# shellcheck shell=bash
# Shared helpers for scripts/run, scripts/test and scripts/demo. Source it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: ensure_packages, ensure_bench_packages, free_port, restart_port, start_redis PORT DIR [ARGS...],
# stop_redis DIR, redis_ping PORT, redis_server_pid PORT, render_acl DIR, a Sentinel topology
# (start_ha DIR [REPLICAS [SENTINELS]], stop_ha DIR, ha_master_port DIR, ha_sentinel_ports DIR,
# ha_gateway_url DIR, render_ha_node_conf, render_sentinel_conf), a Redis Cluster
# (start_cluster DIR [MASTERS [REPLICAS_PER_MASTER]], stop_cluster DIR, cluster_ports DIR,
# cluster_seed_url DIR, render_cluster_node_conf, cluster_create), start_nchan PORT DIR,
# stop_nchan DIR, nchan_pids DIR, start_pushpin HTTP_PORT DIR, stop_pushpin DIR, pushpin_pids
# DIR, and the small log/die helpers. Nothing here changes shell
# options of the caller.

# The repository root (the folder holding Package.swift), wherever we are called from.
FLIMMER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The Redis configuration start_redis uses unless FLIMMER_REDIS_CONF names another.
FLIMMER_REDIS_CONF="${FLIMMER_REDIS_CONF:-$FLIMMER_ROOT/redis/redis.conf}"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages: installs what the scripts and the build need, if missing:
# redis-server (and redis-cli), libhiredis-dev (the headers the CHiredis shim
# includes), curl, python3. Uses apt-get (sudo when not root); does nothing
# when everything is present.
#
# Sentinels (scripts/run --ha, the tests' SentinelGroup) need nothing more: they are
# `redis-server --sentinel`, the same binary. Debian's redis-sentinel package adds only a
# /usr/bin/redis-sentinel link to it, plus a system service that its installation starts at
# once (a Sentinel on port 26379 watching 127.0.0.1:6379, scripts/run's default Redis), so
# it is deliberately not installed.
ensure_packages() {
    local -a missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    [[ -f /usr/include/hiredis/hiredis.h ]] || missing+=(libhiredis-dev)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    # FoundationNetworking, which the URLSession client tests link, loads libcurl.so.4.
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libcurl\.so\.4 ' || missing+=(libcurl4)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    ((${#missing[@]} == 0)) && return 0
    _apt_install "${missing[@]}"

    command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
    command -v redis-cli >/dev/null 2>&1 || die "redis-cli still missing after apt-get install"
    [[ -f /usr/include/hiredis/hiredis.h ]] || die "/usr/include/hiredis/hiredis.h still missing after apt-get install"
    command -v curl >/dev/null 2>&1 || die "curl still missing after apt-get install"
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libcurl\.so\.4 ' || die "libcurl.so.4 still missing after apt-get install"
    command -v python3 >/dev/null 2>&1 || die "python3 still missing after apt-get install"
}

# ensure_browser_packages: headless Chromium and its driver, for scripts/browser-test only.
ensure_browser_packages() {
    local -a missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    ((${#missing[@]} == 0)) && return 0
    _apt_install "${missing[@]}"
    command -v chromium >/dev/null 2>&1 || die "chromium still missing after apt-get install"
    command -v chromedriver >/dev/null 2>&1 || die "chromedriver still missing after apt-get install"
}

# Where Debian's node-* packages put their modules (node-eventsource: /usr/share/nodejs/eventsource).
DEBIAN_NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs

# ensure_js_packages: what the JavaScript client's tests need: Node (nodejs) and Debian's
# EventSource for Node (node-eventsource).
ensure_js_packages() {
    local -a missing=()
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    [[ -f /usr/share/nodejs/eventsource/package.json ]] || missing+=(node-eventsource)
    ((${#missing[@]} == 0)) && return 0
    _apt_install "${missing[@]}"
    command -v node >/dev/null 2>&1 || die "node still missing after apt-get install"
    [[ -f /usr/share/nodejs/eventsource/package.json ]] || die "node-eventsource still missing after apt-get install"
}

# The Nchan module as Debian's libnginx-mod-nchan installs it (scripts/nchan.conf loads it).
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so

# ensure_bench_packages: what only scripts/bench needs on top of ensure_packages: nginx and
# the Nchan module (the comparison target of issue 5), and Pushpin (issue 16). Kept apart so
# scripts/run and scripts/test never install a web server.
ensure_bench_packages() {
    local -a missing=()
    command -v nginx >/dev/null 2>&1 || missing+=(nginx)
    command -v pushpin >/dev/null 2>&1 || missing+=(pushpin)
    [[ -f "$NCHAN_MODULE" ]] || missing+=(libnginx-mod-nchan)
    ((${#missing[@]} == 0)) && return 0
    _apt_install "${missing[@]}"
    command -v nginx >/dev/null 2>&1 || die "nginx still missing after apt-get install"
    [[ -f "$NCHAN_MODULE" ]] || die "$NCHAN_MODULE still missing after apt-get install libnginx-mod-nchan"
}

# _apt_install PKG...: apt-get update + install (sudo when not root); dies on failure.
_apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "missing $* and apt-get is not available; install them by hand"
    local -a sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing $*; not root and no sudo to install them"
        sudo=(sudo)
    fi
    log "installing $* (apt-get)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update ||
        die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" ||
        die "apt-get install $* failed"
}

# require_swift: fails with a clear message when the Swift toolchain is not on PATH.
require_swift() {
    command -v swift >/dev/null 2>&1 ||
        die "swift is not on PATH (install a Swift 6 toolchain, e.g. to /opt/swift, and add its usr/bin to PATH)"
}

# free_port: prints a loopback TCP port that is free right now (the kernel's pick).
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
        return
    fi
    # Fallback without python3: a random high port nobody accepts connections on.
    local port _
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}

# restart_port [COUNT]: prints COUNT (default 1) distinct free loopback ports, one per line,
# below the kernel's ephemeral range (above it when there is no room below), for servers that
# may be restarted on their ports: a port from free_port (the ephemeral range) could meanwhile
# become the local port of one of the many outgoing connections on the machine, and the restart
# would fail with "address in use". Falls back to free_port without python3 or when nothing is
# found.
restart_port() {
    local count="${1:-1}" i
    python3 - "$count" <<'PY' 2>/dev/null && return 0
import random, socket, sys
count = int(sys.argv[1])
low, high = 32768, 60999
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as file:
        low, high = map(int, file.read().split())
except (OSError, ValueError):
    pass
ranges = [r for r in (range(10000, low), range(high + 1, 65536)) if len(r) >= 1000]
if not ranges:
    raise SystemExit(1)
ports = []
for _ in range(200 * count):
    port = random.choice(random.choice(ranges))
    if port in ports:
        continue
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            continue
    ports.append(port)
    if len(ports) == count:
        break
else:
    raise SystemExit(1)
print("\n".join(map(str, ports)))
PY
    for ((i = 0; i < count; i++)); do free_port || return 1; done
}

# REDIS_CLI_USER / REDIS_CLI_PASS: when set (plain shell variables, deliberately not
# exported, so child scripts that start a Redis of their own do not inherit them), every
# redis-cli call below authenticates as that ACL user.
_redis_cli_auth() {
    if [[ -n "${REDIS_CLI_USER:-}" ]]; then
        printf '%s\n' --user "$REDIS_CLI_USER" --pass "${REDIS_CLI_PASS:-}" --no-auth-warning
    fi
}

# redis_cli PORT ARGS...: redis-cli against 127.0.0.1:PORT, never reading stdin.
redis_cli() {
    local port="$1"
    shift
    local -a auth=()
    mapfile -t auth < <(_redis_cli_auth)
    redis-cli -h 127.0.0.1 -p "$port" "${auth[@]}" "$@" </dev/null
}

# redis_ping PORT: succeeds when a Redis on 127.0.0.1:PORT answers PONG.
# Bounded by timeout: something that accepts connections but never answers must
# not hang the caller.
redis_ping() {
    local -a auth=()
    mapfile -t auth < <(_redis_cli_auth)
    [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" "${auth[@]}" ping </dev/null 2>/dev/null)" == PONG ]]
}

# redis_server_pid PORT: the process_id the Redis on 127.0.0.1:PORT reports.
redis_server_pid() {
    local -a auth=()
    mapfile -t auth < <(_redis_cli_auth)
    timeout 2 redis-cli -h 127.0.0.1 -p "$1" "${auth[@]}" info server </dev/null 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p' || true
}

# render_acl DIR [EXTRA_LINE...]: writes DIR/users.acl from redis/users.acl, with a password
# per user generated once into DIR/<user>.password (mode 600; reused on later calls) and only
# its SHA-256 in the ACL file: gateway.password (the user flimmer), operator.password,
# replicator.password, sentinel.password (these two used by a Sentinel topology, the first
# by a Redis Cluster too) and clusteradmin.password (a Redis Cluster only). EXTRA_LINEs are
# appended (scripts/test adds a test user).
render_acl() {
    local dir="$1"
    shift
    mkdir -p "$dir"
    local user
    local -a sed_args=()
    for user in gateway operator replicator sentinel clusteradmin; do
        if [[ ! -s "$dir/$user.password" ]]; then
            (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(24))' >"$dir/$user.password")
        fi
        local hash
        hash="$(tr -d '\n' <"$dir/$user.password" | sha256sum | cut -d' ' -f1)"
        sed_args+=(-e "s/@${user^^}_PASSWORD_SHA256@/$hash/")
    done
    # redis-server accepts no comments or blank lines in an ACL file: they are dropped here.
    (umask 077 && sed "${sed_args[@]}" -e "/^#/d" -e "/^[[:space:]]*$/d" "$FLIMMER_ROOT/redis/users.acl" >"$dir/users.acl")
    local line
    for line in "$@"; do printf '%s\n' "$line" >>"$dir/users.acl"; done
}

# _pid_alive PID: the process exists and is not a zombie (a daemonized Redis is
# reparented to PID 1, which in a container may never reap it).
_pid_alive() {
    local pid="$1" stat
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
        stat="${stat##*) }"
        [[ "${stat%% *}" != Z ]] || return 1
    fi
    return 0
}

# _is_redis_pid PID: the process is a redis-server (guards against a recycled pid).
_is_redis_pid() {
    local pid="$1"
    if [[ -r "/proc/$pid/comm" ]]; then
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]]
    else
        ps -p "$pid" -o comm= 2>/dev/null | grep -q '^redis-server'
    fi
}

# _redis_pidfile_pid DIR: prints the pid in DIR/redis.pid if it names a live redis-server.
_redis_pidfile_pid() {
    local pidfile="$1/redis.pid" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n "$pid" ]] && _pid_alive "$pid" && _is_redis_pid "$pid" || return 1
    echo "$pid"
}

# start_redis PORT DIR [ARGS...]: starts a daemonized redis-server on 127.0.0.1:PORT
# with $FLIMMER_REDIS_CONF (redis/redis.conf), its data, pidfile (DIR/redis.pid)
# and log (DIR/redis.log) in DIR; extra ARGS go to redis-server after the config
# (e.g. --save "" --appendonly no). Waits up to ~10 s for PING to answer and for
# the answering server to be the one just started; otherwise prints the log and
# returns 1.
start_redis() {
    (($# >= 2)) || { echo "usage: start_redis PORT DIR [ARGS...]" >&2; return 2; }
    local port="$1" dir="$2"
    shift 2
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "start_redis: bad port '$port'" >&2; return 2; }
    command -v redis-server >/dev/null 2>&1 || { echo "start_redis: redis-server is not installed" >&2; return 1; }
    [[ -f "$FLIMMER_REDIS_CONF" ]] || { echo "start_redis: no config at $FLIMMER_REDIS_CONF" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)" || return 1

    if redis_ping "$port"; then
        echo "start_redis: another Redis (pid $(redis_server_pid "$port")) already answers on port $port" >&2
        return 1
    fi
    local other
    if other="$(_redis_pidfile_pid "$dir")"; then
        echo "start_redis: $dir is already used by redis-server pid $other (not on port $port); stop it first" >&2
        return 1
    fi

    local pidfile="$dir/redis.pid" logfile="$dir/redis.log" startout="$dir/redis-start.out"
    rm -f "$pidfile"
    local logstart=0
    [[ -f "$logfile" ]] && logstart="$(wc -l <"$logfile")"

    if ! redis-server "$FLIMMER_REDIS_CONF" \
        --port "$port" --dir "$dir" --pidfile "$pidfile" --logfile "$logfile" --daemonize yes \
        "$@" >"$startout" 2>&1 </dev/null; then
        echo "start_redis: redis-server refused to start:" >&2
        sed 's/^/    /' "$startout" >&2
        return 1
    fi

    # The pidfile appears only once the server listens; until then, the daemon's pid
    # comes from its "pid=N, just started" log line, so an early exit (port taken,
    # unwritable dir) is noticed at once instead of after the full 10 s.
    local deadline=$((SECONDS + 10)) daemon="" expected="" pid=""
    while :; do
        if [[ -z "$daemon" && -f "$logfile" ]]; then
            daemon="$(tail -n "+$((logstart + 1))" "$logfile" |
                sed -n 's/.*pid=\([0-9][0-9]*\), just started.*/\1/p' | tail -n 1 || true)"
        fi
        if [[ -n "$daemon" ]] && ! _pid_alive "$daemon"; then
            echo "start_redis: redis-server (pid $daemon) exited during startup" >&2
            break
        fi
        expected="$(tr -dc '0-9' 2>/dev/null <"$pidfile" || true)"
        if [[ -n "$expected" ]] && redis_ping "$port"; then
            pid="$(redis_server_pid "$port")"
            if [[ "$pid" == "$expected" ]]; then
                rm -f "$startout"
                return 0
            fi
            echo "start_redis: port $port answers as pid ${pid:-?}, not as our redis-server (pid $expected)" >&2
            break
        fi
        if ((SECONDS >= deadline)); then
            echo "start_redis: no PONG on port $port within 10 s" >&2
            break
        fi
        sleep 0.1
    done

    echo "start_redis: Redis on port $port did not come up; its log ($logfile):" >&2
    if [[ -f "$logfile" ]]; then
        tail -n "+$((logstart + 1))" "$logfile" | tail -n 40 | sed 's/^/    /' >&2
    else
        echo "    (no log written)" >&2
    fi
    [[ -s "$startout" ]] && sed 's/^/    /' "$startout" >&2
    stop_redis "$dir" >/dev/null 2>&1 || true
    # Still starting up (no pidfile yet)? Stop it by the pid it logged.
    if [[ -n "$daemon" ]] && _pid_alive "$daemon" && _is_redis_pid "$daemon"; then
        kill -TERM "$daemon" 2>/dev/null || true
    fi
    return 1
}

# stop_redis DIR: stops the redis-server whose pid is in DIR/redis.pid (SIGTERM,
# then SIGKILL after ~15 s) and waits until it is gone. Succeeds when nothing runs.
stop_redis() {
    (($# == 1)) || { echo "usage: stop_redis DIR" >&2; return 2; }
    local dir="$1" pid _
    pid="$(_redis_pidfile_pid "$dir")" || { rm -f "$dir/redis.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    # SIGTERM makes Redis write its RDB snapshot (when save points are set) and fsync the AOF.
    for _ in $(seq 1 150); do
        _pid_alive "$pid" || { rm -f "$dir/redis.pid"; return 0; }
        sleep 0.1
    done
    echo "stop_redis: redis-server pid $pid ignored SIGTERM for 15 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        _pid_alive "$pid" || { rm -f "$dir/redis.pid"; return 0; }
        sleep 0.1
    done
    echo "stop_redis: redis-server pid $pid is still running" >&2
    return 1
}

# --- a Sentinel topology (scripts/run --ha, docs/high-availability.md) -------------------

# _ha_option NAME VALUE: fails (usage) when an option's value is missing.
_ha_option() {
    [[ -n "$2" ]] || { echo "$1 needs a value" >&2; return 2; }
}

# render_ha_node_conf DIR PORT [--replica-of MASTER_PORT] [--acl ACL_DIR] [--base CONF]:
# writes DIR/redis.conf (mode 600), the configuration of one data node of a Sentinel
# topology: CONF (default $FLIMMER_REDIS_CONF, redis/redis.conf; "" for none), then
# redis/ha.conf, then `port PORT` and, with --replica-of, `replicaof 127.0.0.1 MASTER_PORT`.
# With --acl, masterauth is the password in ACL_DIR/replicator.password (render_acl);
# without, the masteruser/masterauth lines are left out, for data nodes whose default user
# is open (the tests' plain topologies).
render_ha_node_conf() {
    (($# >= 2)) || { echo "usage: render_ha_node_conf DIR PORT [--replica-of MASTER_PORT] [--acl ACL_DIR] [--base CONF]" >&2; return 2; }
    local dir="$1" port="$2" master="" acl="" base="$FLIMMER_REDIS_CONF"
    shift 2
    while (($# > 0)); do
        case "$1" in
        --replica-of) _ha_option "$1" "${2-}" || return 2; master="$2"; shift 2 ;;
        --acl) _ha_option "$1" "${2-}" || return 2; acl="$2"; shift 2 ;;
        --base) (($# >= 2)) || { echo "--base needs a value" >&2; return 2; }; base="$2"; shift 2 ;;
        *) echo "render_ha_node_conf: unknown option $1" >&2; return 2 ;;
        esac
    done
    [[ "$port" =~ ^[0-9]+$ && "$master" =~ ^[0-9]*$ ]] || { echo "render_ha_node_conf: bad port" >&2; return 2; }
    local -a sed_args=(-e '/^masteruser /d' -e '/^masterauth /d')
    if [[ -n "$acl" ]]; then
        [[ -s "$acl/replicator.password" ]] || { echo "render_ha_node_conf: no $acl/replicator.password (render_acl first)" >&2; return 1; }
        sed_args=(-e "s/@REPLICATOR_PASSWORD@/$(tr -d '\n' <"$acl/replicator.password")/")
    fi
    mkdir -p "$dir" || return 1
    (
        umask 077
        {
            if [[ -n "$base" ]]; then cat "$base" && echo; fi
            sed "${sed_args[@]}" "$FLIMMER_ROOT/redis/ha.conf"
            printf '\n# This node (render_ha_node_conf); the Sentinels rewrite its role below.\nport %s\n' "$port"
            if [[ -n "$master" ]]; then printf 'replicaof 127.0.0.1 %s\n' "$master"; fi
        } >"$dir/redis.conf"
    )
}

# render_sentinel_conf DIR PORT MASTER_NAME MASTER_PORT [--acl ACL_DIR]
#                      [--sentinel-user NAME --sentinel-password-file FILE]:
# writes DIR/sentinel.conf (mode 600) from redis/sentinel.conf plus `port PORT`. With --acl
# the Sentinel logs in to the data nodes as the user sentinel with the password in
# ACL_DIR/sentinel.password; without, the auth lines are left out (data nodes whose default
# user is open). With --sentinel-user, the Sentinel itself requires that user (the default
# user off) and logs in to the other Sentinels as it: see the end of redis/sentinel.conf.
render_sentinel_conf() {
    (($# >= 4)) || { echo "usage: render_sentinel_conf DIR PORT MASTER_NAME MASTER_PORT [--acl ACL_DIR] [--sentinel-user NAME --sentinel-password-file FILE]" >&2; return 2; }
    local dir="$1" port="$2" name="$3" master="$4" acl="" own_user="" own_file=""
    shift 4
    while (($# > 0)); do
        case "$1" in
        --acl) _ha_option "$1" "${2-}" || return 2; acl="$2"; shift 2 ;;
        --sentinel-user) _ha_option "$1" "${2-}" || return 2; own_user="$2"; shift 2 ;;
        --sentinel-password-file) _ha_option "$1" "${2-}" || return 2; own_file="$2"; shift 2 ;;
        *) echo "render_sentinel_conf: unknown option $1" >&2; return 2 ;;
        esac
    done
    [[ "$port" =~ ^[0-9]+$ && "$master" =~ ^[0-9]+$ ]] || { echo "render_sentinel_conf: bad port" >&2; return 2; }
    # The name goes into sed, a config line and the gateway's URL: keep it plain.
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "render_sentinel_conf: master name '$name' must be of A-Z a-z 0-9 . _ -" >&2; return 2; }
    [[ "$own_user" =~ ^[A-Za-z0-9._-]*$ ]] || { echo "render_sentinel_conf: bad user name '$own_user'" >&2; return 2; }
    [[ -z "$own_user" || -s "$own_file" ]] || { echo "render_sentinel_conf: --sentinel-user needs a non-empty --sentinel-password-file" >&2; return 2; }
    local -a sed_args=(-e "s/@MASTER_NAME@/$name/g" -e "s/@MASTER_PORT@/$master/")
    if [[ -n "$acl" ]]; then
        [[ -s "$acl/sentinel.password" ]] || { echo "render_sentinel_conf: no $acl/sentinel.password (render_acl first)" >&2; return 1; }
        sed_args+=(-e "s/@SENTINEL_PASSWORD@/$(tr -d '\n' <"$acl/sentinel.password")/")
    else
        sed_args+=(-e '/^sentinel auth-user /d' -e '/^sentinel auth-pass /d')
    fi
    mkdir -p "$dir" || return 1
    (
        umask 077
        {
            sed "${sed_args[@]}" "$FLIMMER_ROOT/redis/sentinel.conf"
            printf '\n# This Sentinel (render_sentinel_conf); Sentinel appends its own state below.\nport %s\n' "$port"
            if [[ -n "$own_user" ]]; then
                local password
                password="$(tr -d '\n' <"$own_file")"
                printf 'user default off\nuser %s on #%s ~* &* +@all\nsentinel sentinel-user %s\nsentinel sentinel-pass %s\n' \
                    "$own_user" "$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)" "$own_user" "$password"
            fi
        } >"$dir/sentinel.conf"
    )
}

# _ha_port CONF: the port a node's or Sentinel's configuration file names (its last `port`
# line: CONFIG REWRITE keeps one).
_ha_port() {
    sed -n 's/^port \([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | tail -n 1
}

# _ha_dirs DIR KIND: the folders of one kind (node or sentinel) of the topology in DIR, in order.
_ha_dirs() {
    local d
    for d in "$1/$2"-*; do [[ -d "$d" ]] && printf '%s\n' "$d"; done | sort -V
}

# _ha_cli PORT ARGS...: redis-cli on 127.0.0.1:PORT, bounded (a paused node must not hang the
# caller), without carriage returns. Authenticates as REDIS_CLI_USER when set (data nodes);
# Sentinels are called with REDIS_CLI_USER empty.
_ha_cli() {
    local port="$1"
    shift
    local -a auth=()
    mapfile -t auth < <(_redis_cli_auth)
    timeout 2 redis-cli -h 127.0.0.1 -p "$port" "${auth[@]}" "$@" </dev/null 2>/dev/null | tr -d '\r'
}

# _ha_field KEY: the value after the line KEY in a SENTINEL MASTER reply (one line each).
_ha_field() {
    awk -v key="$1" 'previous == key { print; exit } { previous = $0 }'
}

# ha_sentinel_ports DIR: the ports of the topology's Sentinels, one per line.
ha_sentinel_ports() {
    local d
    while IFS= read -r d; do _ha_port "$d/sentinel.conf"; done < <(_ha_dirs "$1" sentinel)
}

# ha_master_port DIR: the master's port as the first Sentinel that answers names it.
ha_master_port() {
    local name port answer
    name="$(cat "$1/master-name" 2>/dev/null)" || { echo "ha_master_port: no topology in $1" >&2; return 1; }
    while IFS= read -r port; do
        answer="$(REDIS_CLI_USER='' _ha_cli "$port" SENTINEL get-master-addr-by-name "$name" | sed -n 2p)"
        [[ "$answer" =~ ^[0-9]+$ ]] && { echo "$answer"; return 0; }
    done < <(ha_sentinel_ports "$1")
    echo "ha_master_port: no Sentinel of $1 names a master" >&2
    return 1
}

# ha_gateway_url DIR [DB]: the gateway's URL on the topology:
# redis+sentinel://flimmer:PASSWORD@127.0.0.1:S1,127.0.0.1:S2,.../MASTER_NAME/DB (it holds the
# password: pass it through the environment, never a command line).
ha_gateway_url() {
    local dir="$1" db="${2:-0}" name hosts
    name="$(cat "$dir/master-name" 2>/dev/null)" || { echo "ha_gateway_url: no topology in $dir" >&2; return 1; }
    hosts="$(ha_sentinel_ports "$dir" | sed 's/^/127.0.0.1:/' | paste -sd, -)"
    [[ -n "$hosts" ]] || { echo "ha_gateway_url: no Sentinels in $dir" >&2; return 1; }
    printf 'redis+sentinel://flimmer:%s@%s/%s/%s\n' "$(tr -d '\n' <"$dir/acl/gateway.password")" "$hosts" "$name" "$db"
}

# _ha_start_node DIR ACL_DIR [ARGS...]: starts the data node of folder DIR from its
# DIR/redis.conf on the port it names; a node's port is its own, so a port taken meanwhile
# fails (a fresh topology retries on another port, see start_ha).
_ha_start_node() {
    local dir="$1" acl="$2"
    shift 2
    FLIMMER_REDIS_CONF="$dir/redis.conf" start_redis "$(_ha_port "$dir/redis.conf")" "$dir" --aclfile "$acl/users.acl" "$@"
}

# _ha_start_sentinel DIR: starts the Sentinel of folder DIR from its DIR/sentinel.conf.
_ha_start_sentinel() {
    REDIS_CLI_USER='' FLIMMER_REDIS_CONF="$1/sentinel.conf" start_redis "$(_ha_port "$1/sentinel.conf")" "$1" --sentinel
}

# _ha_fresh_node DIR ACL_DIR [MASTER_PORT]: renders and starts a new data node on a free
# port (restart_port: a node restarts on its port, so not one of the ephemeral range); the port
# cannot be reserved, so a lost race is retried on another one.
_ha_fresh_node() {
    local dir="$1" acl="$2" master="${3:-}" attempt
    local -a replica=()
    [[ -z "$master" ]] || replica=(--replica-of "$master")
    for attempt in 1 2 3; do
        render_ha_node_conf "$dir" "$(restart_port)" --acl "$acl" "${replica[@]}" || return 1
        _ha_start_node "$dir" "$acl" && return 0
        echo "start_ha: could not start the data node in $dir (attempt $attempt of 3)" >&2
    done
    return 1
}

# _ha_fresh_sentinel DIR ACL_DIR NAME MASTER_PORT: renders and starts a new Sentinel on a free port (restart_port).
_ha_fresh_sentinel() {
    local attempt
    for attempt in 1 2 3; do
        render_sentinel_conf "$1" "$(restart_port)" "$3" "$4" --acl "$2" || return 1
        _ha_start_sentinel "$1" && return 0
        echo "start_ha: could not start the Sentinel in $1 (attempt $attempt of 3)" >&2
    done
    return 1
}

# _ha_linked PORT [MASTER_PORT]: the data node on PORT is a replica whose link to its master
# (to MASTER_PORT, when given) is up.
_ha_linked() {
    local info
    info="$(_ha_cli "$1" INFO replication)"
    grep -qx 'role:slave' <<<"$info" && grep -qx 'master_link_status:up' <<<"$info" &&
        { [[ -z "${2:-}" ]] || grep -qx "master_port:$2" <<<"$info"; }
}

# _ha_ready DIR NAME: prints nothing and succeeds when the topology is settled: every
# Sentinel names the same master, sees it up (flags "master"), knows all the other data
# nodes as its replicas and all the other Sentinels; that master answers role:master; every
# other data node is its replica with the link up. Otherwise prints what is missing.
_ha_ready() {
    local dir="$1" name="$2" nodes sentinels master="" port reply answer
    nodes="$(_ha_dirs "$dir" node | wc -l)"
    sentinels="$(_ha_dirs "$dir" sentinel | wc -l)"
    while IFS= read -r port; do
        reply="$(REDIS_CLI_USER='' _ha_cli "$port" SENTINEL master "$name")"
        answer="$(_ha_field port <<<"$reply")"
        [[ -n "$answer" ]] || { echo "Sentinel $port does not answer for $name"; return 1; }
        [[ -z "$master" || "$answer" == "$master" ]] || { echo "Sentinels disagree on the master ($master, $answer)"; return 1; }
        master="$answer"
        [[ "$(_ha_field flags <<<"$reply")" == master ]] || { echo "Sentinel $port sees the master $master as $(_ha_field flags <<<"$reply")"; return 1; }
        [[ "$(_ha_field num-slaves <<<"$reply")" == "$((nodes - 1))" ]] || { echo "Sentinel $port knows $(_ha_field num-slaves <<<"$reply") of $((nodes - 1)) replicas"; return 1; }
        [[ "$(_ha_field num-other-sentinels <<<"$reply")" == "$((sentinels - 1))" ]] || { echo "Sentinel $port knows $(_ha_field num-other-sentinels <<<"$reply") of $((sentinels - 1)) other Sentinels"; return 1; }
    done < <(ha_sentinel_ports "$dir")
    [[ -n "$master" ]] || { echo "no Sentinels"; return 1; }
    _ha_cli "$master" INFO replication | grep -qx 'role:master' || { echo "the master $master does not answer role:master"; return 1; }
    local d
    while IFS= read -r d; do
        port="$(_ha_port "$d/redis.conf")"
        [[ "$port" == "$master" ]] || _ha_linked "$port" "$master" || { echo "the data node $port is not linked to the master $master"; return 1; }
    done < <(_ha_dirs "$dir" node)
}

# start_ha DIR [REPLICAS [SENTINELS]]: a Sentinel topology on loopback, everything in DIR:
# the ACL of redis/users.acl rendered into DIR/acl (render_acl: passwords made once, kept),
# data nodes in DIR/node-1 (starts as the master) to DIR/node-<1+REPLICAS> (default 2
# replicas), Sentinels in DIR/sentinel-1 to DIR/sentinel-<SENTINELS> (default 3), each
# daemonized from its own configuration file (render_ha_node_conf, render_sentinel_conf),
# with its data, pidfile (redis.pid) and log (redis.log) in its folder, on a free port. The
# Sentinels watch the master under the name in DIR/master-name ($HA_MASTER_NAME when it is
# made, default flimmersync).
#
# On a DIR that already holds a topology (DIR/master-name) it starts whatever of it is not
# running, on its ports, each node with the role its configuration file last recorded (the
# Sentinels rewrite it at every change; a stale master among them is made a replica by the
# Sentinels about 8 s after it is back); REPLICAS and SENTINELS are then ignored. So running
# it again is harmless.
#
# Returns once the topology is settled (see _ha_ready; up to 30 s). On any failure it prints
# why, stops every node and Sentinel of DIR (all of them: a topology half up is no use) and
# returns 1.
start_ha() {
    (($# >= 1 && $# <= 3)) || { echo "usage: start_ha DIR [REPLICAS [SENTINELS]]" >&2; return 2; }
    local dir="$1" replicas="${2:-2}" sentinels="${3:-3}"
    [[ "$replicas" =~ ^[0-9]+$ && "$sentinels" =~ ^[1-9][0-9]*$ ]] || { echo "start_ha: bad counts '$replicas' '$sentinels'" >&2; return 2; }
    command -v redis-server >/dev/null 2>&1 || { echo "start_ha: redis-server is not installed" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)" || return 1
    # The operator may PING and read INFO: enough for start_redis's and the readiness checks.
    render_acl "$dir/acl" || return 1
    local REDIS_CLI_USER=operator REDIS_CLI_PASS
    REDIS_CLI_PASS="$(cat "$dir/acl/operator.password")"

    local name i d master deadline unlinked missing
    if [[ -s "$dir/master-name" ]]; then
        name="$(cat "$dir/master-name")"
        log "start_ha: starting what is not running of the topology in $dir"
        while IFS= read -r d; do
            _redis_pidfile_pid "$d" >/dev/null || _ha_start_node "$d" "$dir/acl" || { stop_ha "$dir" >/dev/null 2>&1; return 1; }
        done < <(_ha_dirs "$dir" node)
        while IFS= read -r d; do
            _redis_pidfile_pid "$d" >/dev/null || _ha_start_sentinel "$d" || { stop_ha "$dir" >/dev/null 2>&1; return 1; }
        done < <(_ha_dirs "$dir" sentinel)
    else
        name="${HA_MASTER_NAME:-flimmersync}"
        [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "start_ha: HA_MASTER_NAME '$name' must be of A-Z a-z 0-9 . _ -" >&2; return 2; }
        # Left by a fresh start that failed (master-name is written last): nothing worth keeping.
        if [[ -n "$(_ha_dirs "$dir" node)$(_ha_dirs "$dir" sentinel)" ]]; then
            stop_ha "$dir" || return 1
            rm -rf "$dir"/node-* "$dir"/sentinel-*
        fi
        _ha_fresh_node "$dir/node-1" "$dir/acl" || { stop_ha "$dir" >/dev/null 2>&1; return 1; }
        master="$(_ha_port "$dir/node-1/redis.conf")"
        for ((i = 2; i <= replicas + 1; i++)); do
            _ha_fresh_node "$dir/node-$i" "$dir/acl" "$master" || { stop_ha "$dir" >/dev/null 2>&1; return 1; }
        done
        # Linked before the Sentinels start, so that their first INFO of the master lists
        # every replica (the next comes 10 s later).
        deadline=$((SECONDS + 20))
        while :; do
            unlinked=""
            for ((i = 2; i <= replicas + 1; i++)); do
                _ha_linked "$(_ha_port "$dir/node-$i/redis.conf")" "$master" || unlinked+=" node-$i"
            done
            [[ -z "$unlinked" ]] && break
            if ((SECONDS >= deadline)); then
                echo "start_ha: replicas not linked to the master within 20 s:$unlinked (logs: $dir/node-*/redis.log)" >&2
                stop_ha "$dir" >/dev/null 2>&1
                return 1
            fi
            sleep 0.1
        done
        for ((i = 1; i <= sentinels; i++)); do
            _ha_fresh_sentinel "$dir/sentinel-$i" "$dir/acl" "$name" "$master" || { stop_ha "$dir" >/dev/null 2>&1; return 1; }
        done
        echo "$name" >"$dir/master-name"
    fi

    deadline=$((SECONDS + 30))
    until missing="$(_ha_ready "$dir" "$name")"; do
        if ((SECONDS >= deadline)); then
            echo "start_ha: the topology in $dir did not settle within 30 s: $missing (logs: $dir/*/redis.log)" >&2
            stop_ha "$dir" >/dev/null 2>&1
            return 1
        fi
        sleep 0.2
    done
}

# stop_ha DIR: stops the Sentinels of the topology in DIR, then its data nodes (stop_redis
# each: SIGTERM, SIGKILL after 15 s); the Sentinels first, so that stopping a master starts
# no failover. Succeeds when nothing of it runs any more; keeps the data.
stop_ha() {
    (($# == 1)) || { echo "usage: stop_ha DIR" >&2; return 2; }
    local rc=0 d
    while IFS= read -r d; do stop_redis "$d" || rc=1; done < <(_ha_dirs "$1" sentinel)
    while IFS= read -r d; do stop_redis "$d" || rc=1; done < <(_ha_dirs "$1" node)
    return "$rc"
}

# --- a Redis Cluster (scripts/run --cluster, issue 15) -------------------------------------

# render_cluster_node_conf DIR PORT BUS_PORT [--acl ACL_DIR] [--base CONF]: writes
# DIR/redis.conf (mode 600), the configuration of one node of a Redis Cluster: CONF (default
# $FLIMMER_REDIS_CONF, redis/redis.conf; "" for none), then redis/cluster.conf, then `port
# PORT` and `cluster-port BUS_PORT`. The bus port is given, not Redis's default of PORT +
# 10000: that is past 65535 for a port above 55535, as free ports often are. With --acl,
# masterauth is the password in ACL_DIR/replicator.password (render_acl); without, the
# masteruser/masterauth lines are left out, for nodes whose default user is open.
render_cluster_node_conf() {
    (($# >= 3)) || { echo "usage: render_cluster_node_conf DIR PORT BUS_PORT [--acl ACL_DIR] [--base CONF]" >&2; return 2; }
    local dir="$1" port="$2" bus="$3" acl="" base="$FLIMMER_REDIS_CONF"
    shift 3
    while (($# > 0)); do
        case "$1" in
        --acl) _ha_option "$1" "${2-}" || return 2; acl="$2"; shift 2 ;;
        --base) (($# >= 2)) || { echo "--base needs a value" >&2; return 2; }; base="$2"; shift 2 ;;
        *) echo "render_cluster_node_conf: unknown option $1" >&2; return 2 ;;
        esac
    done
    [[ "$port" =~ ^[0-9]+$ && "$bus" =~ ^[0-9]+$ && "$port" != "$bus" ]] || { echo "render_cluster_node_conf: bad ports '$port' '$bus'" >&2; return 2; }
    local -a sed_args=(-e '/^masteruser /d' -e '/^masterauth /d')
    if [[ -n "$acl" ]]; then
        [[ -s "$acl/replicator.password" ]] || { echo "render_cluster_node_conf: no $acl/replicator.password (render_acl first)" >&2; return 1; }
        sed_args=(-e "s/@REPLICATOR_PASSWORD@/$(tr -d '\n' <"$acl/replicator.password")/")
    fi
    mkdir -p "$dir" || return 1
    (
        umask 077
        {
            if [[ -n "$base" ]]; then cat "$base" && echo; fi
            sed "${sed_args[@]}" "$FLIMMER_ROOT/redis/cluster.conf"
            printf '\n# This node (render_cluster_node_conf): the port for clients, the cluster bus port.\nport %s\ncluster-port %s\n' "$port" "$bus"
        } >"$dir/redis.conf"
    )
}

# cluster_create REPLICAS_PER_MASTER PORT...: makes the new, empty nodes on 127.0.0.1:PORT...
# one cluster, with `redis-cli --cluster create`: it splits the 16384 slots evenly among the
# masters (the first count / (1 + REPLICAS_PER_MASTER) ports, in the order given) and makes
# each of the other nodes a replica of one of them (redis-cli picks which), sets the config
# epochs, introduces every node to the others (CLUSTER MEET with each node's bus port) and
# waits until they agree on the configuration. Authenticates as REDIS_CLI_USER (clusteradmin
# of redis/users.acl, or any user allowed every CLUSTER subcommand, INFO and PING). Bounded to
# 60 s; prints redis-cli's output when it fails.
cluster_create() {
    (($# >= 4)) || { echo "usage: cluster_create REPLICAS_PER_MASTER PORT PORT PORT..." >&2; return 2; }
    local replicas="$1" port out
    shift
    [[ "$replicas" =~ ^[0-9]+$ ]] || { echo "cluster_create: bad replica count '$replicas'" >&2; return 2; }
    local -a nodes=() auth=()
    for port in "$@"; do
        [[ "$port" =~ ^[0-9]+$ ]] || { echo "cluster_create: bad port '$port'" >&2; return 2; }
        nodes+=("127.0.0.1:$port")
    done
    mapfile -t auth < <(_redis_cli_auth)
    if ! out="$(timeout 60 redis-cli "${auth[@]}" --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes </dev/null 2>&1)"; then
        echo "cluster_create: redis-cli --cluster create ${nodes[*]} --cluster-replicas $replicas failed:" >&2
        sed 's/^/    /' <<<"$out" >&2
        return 1
    fi
}

# _cluster_view: reads CLUSTER NODES and prints the cluster as that node sees it, one line per
# node, sorted: `PORT FLAGS MASTER_PORT SLOT_RANGES...` (FLAGS without `myself`; MASTER_PORT
# `-` for a master; a slot being migrated, `[slot->-id]`, left out), so that the views of two
# nodes are equal when they agree.
_cluster_view() {
    awk '{
        n++; id[n] = $1; flags[n] = $3; master[n] = $4
        split($2, address, "[:@,]"); port[$1] = address[2]
        slots[n] = ""
        for (i = 9; i <= NF; i++) if ($i !~ /^\[/) slots[n] = slots[n] " " $i
    }
    END {
        for (i = 1; i <= n; i++) {
            f = flags[i]; sub(/myself,?/, "", f); sub(/,$/, "", f)
            print port[id[i]], f, (master[i] == "-" ? "-" : port[master[i]]) slots[i]
        }
    }' | sort -n
}

# cluster_ports DIR: the ports of the cluster's nodes, one per line, node-1 first.
cluster_ports() {
    local d
    while IFS= read -r d; do _ha_port "$d/redis.conf"; done < <(_ha_dirs "$1" node)
}

# cluster_seed_url DIR: the gateway's URL on the cluster:
# redis+cluster://flimmer:PASSWORD@127.0.0.1:P1,127.0.0.1:P2,... with every node as a seed (it
# holds the password: pass it through the environment, never a command line). No database:
# a cluster has only database 0.
cluster_seed_url() {
    local dir="$1" hosts
    [[ -s "$dir/created" ]] || { echo "cluster_seed_url: no cluster in $dir" >&2; return 1; }
    hosts="$(cluster_ports "$dir" | sed 's/^/127.0.0.1:/' | paste -sd, -)"
    [[ -n "$hosts" ]] || { echo "cluster_seed_url: no nodes in $dir" >&2; return 1; }
    printf 'redis+cluster://flimmer:%s@%s\n' "$(tr -d '\n' <"$dir/acl/gateway.password")" "$hosts"
}

# _cluster_ready DIR: prints nothing and succeeds when the cluster in DIR has settled: every
# node answers cluster_state:ok with all 16384 slots assigned and none failing, knows every
# other node, sees none of them failing or still joining, and sees the same cluster as the
# others (_cluster_view: the same masters with the same slots, the same replicas of the same
# masters); every replica's link to its master is up. Otherwise prints what is missing.
_cluster_ready() {
    local dir="$1" d port info view flagged first="" first_port="" nodes
    nodes="$(_ha_dirs "$dir" node | wc -l)"
    ((nodes > 0)) || { echo "no nodes"; return 1; }
    while IFS= read -r d; do
        port="$(_ha_port "$d/redis.conf")"
        info="$(_ha_cli "$port" CLUSTER INFO)"
        [[ -n "$info" ]] || { echo "node $port does not answer CLUSTER INFO"; return 1; }
        grep -qx 'cluster_state:ok' <<<"$info" || { echo "node $port: $(grep '^cluster_state:' <<<"$info")"; return 1; }
        grep -qx 'cluster_slots_assigned:16384' <<<"$info" && grep -qx 'cluster_slots_ok:16384' <<<"$info" ||
            { echo "node $port: $(grep -E '^cluster_slots_(assigned|ok):' <<<"$info" | paste -sd' ' -) of 16384"; return 1; }
        grep -qx "cluster_known_nodes:$nodes" <<<"$info" || { echo "node $port: $(grep '^cluster_known_nodes:' <<<"$info") of $nodes"; return 1; }
        view="$(_ha_cli "$port" CLUSTER NODES | _cluster_view)"
        flagged="$(grep -Ev '^[0-9]+ (master|slave) ' <<<"$view" | paste -sd';' -)"
        [[ -z "$flagged" ]] || { echo "node $port sees: $flagged"; return 1; }
        [[ -z "$first" || "$view" == "$first" ]] || { echo "nodes $first_port and $port see different clusters"; return 1; }
        first="$view" first_port="$port"
        if grep -q "^$port slave " <<<"$view"; then
            _ha_linked "$port" || { echo "the replica $port is not linked to its master"; return 1; }
        fi
    done < <(_ha_dirs "$dir" node)
}

# _cluster_fresh_node DIR ACL_DIR: renders and starts a new cluster node on free ports
# (restart_port, as _ha_fresh_node: a node restarts on its ports), retried on other ports
# when one was taken meanwhile.
_cluster_fresh_node() {
    local dir="$1" acl="$2" attempt port bus
    for attempt in 1 2 3; do
        port="$(restart_port)" bus="$(restart_port)"
        [[ "$port" != "$bus" ]] || continue
        render_cluster_node_conf "$dir" "$port" "$bus" --acl "$acl" || return 1
        _ha_start_node "$dir" "$acl" && return 0
        echo "start_cluster: could not start the node in $dir (attempt $attempt of 3)" >&2
    done
    return 1
}

# start_cluster DIR [MASTERS [REPLICAS_PER_MASTER]]: a Redis Cluster on loopback, everything
# in DIR: the ACL of redis/users.acl rendered into DIR/acl (render_acl: passwords made once,
# kept), MASTERS × (1 + REPLICAS_PER_MASTER) nodes (default 3 masters with 1 replica each, the
# smallest cluster that survives the loss of any one node) in DIR/node-1, DIR/node-2, ..., each
# daemonized from its own configuration file (render_cluster_node_conf), with its data,
# nodes.conf, pidfile (redis.pid) and log (redis.log) in its folder, on free ports; made one
# cluster by cluster_create as the user clusteradmin (node-1 to node-MASTERS start as the
# masters). DIR/created, written last, records the shape ("MASTERS REPLICAS_PER_MASTER").
#
# On a DIR that already holds a cluster (DIR/created) it starts whatever of it is not
# running, on its ports; each node rejoins with the role its nodes.conf last recorded (a
# master that was failed over meanwhile becomes a replica of its successor as soon as it
# hears of it); MASTERS and REPLICAS_PER_MASTER are then ignored. So running it again is
# harmless.
#
# Returns once the cluster has settled (see _cluster_ready; up to 30 s). On any failure it
# prints why, stops every node of DIR (a cluster half up is no use) and returns 1.
start_cluster() {
    (($# >= 1 && $# <= 3)) || { echo "usage: start_cluster DIR [MASTERS [REPLICAS_PER_MASTER]]" >&2; return 2; }
    local dir="$1" masters="${2:-3}" replicas="${3:-1}"
    [[ "$masters" =~ ^[0-9]+$ && "$replicas" =~ ^[0-9]+$ ]] || { echo "start_cluster: bad counts '$masters' '$replicas'" >&2; return 2; }
    # redis-cli --cluster create refuses fewer: with two masters, losing one leaves no majority to elect a replica.
    ((masters >= 3)) || { echo "start_cluster: a Redis Cluster needs at least 3 masters, not $masters" >&2; return 2; }
    command -v redis-server >/dev/null 2>&1 || { echo "start_cluster: redis-server is not installed" >&2; return 1; }
    command -v redis-cli >/dev/null 2>&1 || { echo "start_cluster: redis-cli is not installed" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)" || return 1
    # The operator may PING and read INFO and CLUSTER INFO/NODES: enough for start_redis's and
    # the readiness checks. Only cluster_create logs in as clusteradmin.
    render_acl "$dir/acl" || return 1
    local REDIS_CLI_USER=operator REDIS_CLI_PASS
    REDIS_CLI_PASS="$(cat "$dir/acl/operator.password")"

    local i d deadline missing
    local -a ports=()
    if [[ -s "$dir/created" ]]; then
        log "start_cluster: starting what is not running of the cluster in $dir"
        while IFS= read -r d; do
            _redis_pidfile_pid "$d" >/dev/null || _ha_start_node "$d" "$dir/acl" || { stop_cluster "$dir" >/dev/null 2>&1; return 1; }
        done < <(_ha_dirs "$dir" node)
    else
        # Left by a fresh start that failed (created is written last): nothing worth keeping.
        if [[ -n "$(_ha_dirs "$dir" node)" ]]; then
            stop_cluster "$dir" || return 1
            rm -rf "$dir"/node-*
        fi
        for ((i = 1; i <= masters * (1 + replicas); i++)); do
            _cluster_fresh_node "$dir/node-$i" "$dir/acl" || { stop_cluster "$dir" >/dev/null 2>&1; return 1; }
            ports+=("$(_ha_port "$dir/node-$i/redis.conf")")
        done
        REDIS_CLI_USER=clusteradmin REDIS_CLI_PASS="$(cat "$dir/acl/clusteradmin.password")" \
            cluster_create "$replicas" "${ports[@]}" || { stop_cluster "$dir" >/dev/null 2>&1; return 1; }
        echo "$masters $replicas" >"$dir/created"
    fi

    deadline=$((SECONDS + 30))
    until missing="$(_cluster_ready "$dir")"; do
        if ((SECONDS >= deadline)); then
            echo "start_cluster: the cluster in $dir did not settle within 30 s: $missing (logs: $dir/node-*/redis.log)" >&2
            stop_cluster "$dir" >/dev/null 2>&1
            return 1
        fi
        sleep 0.2
    done
}

# stop_cluster DIR: stops every node of the cluster in DIR: SIGTERM to all of them at once,
# so that no replica has the time (cluster-node-timeout) to take over from a master already
# gone while the others are still being stopped, then stop_redis each (waits; SIGKILL after
# 15 s). Succeeds when nothing of it runs any more, also when nothing ran; keeps the data.
stop_cluster() {
    (($# == 1)) || { echo "usage: stop_cluster DIR" >&2; return 2; }
    local rc=0 d pid
    while IFS= read -r d; do
        if pid="$(_redis_pidfile_pid "$d")"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done < <(_ha_dirs "$1" node)
    while IFS= read -r d; do stop_redis "$d" || rc=1; done < <(_ha_dirs "$1" node)
    return "$rc"
}

# --- nginx + Nchan (scripts/bench's comparison target) ----------------------------------

# _nchan_master_pid DIR: prints the pid in DIR/nginx.pid if it names a live nginx.
_nchan_master_pid() {
    local pidfile="$1/nginx.pid" pid comm
    [[ -f "$pidfile" ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n "$pid" ]] && _pid_alive "$pid" || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || ps -p "$pid" -o comm= 2>/dev/null)"
    [[ "$comm" == nginx* ]] || return 1
    echo "$pid"
}

# _nchan_worker_pids MASTER: the master's child processes (its workers), one per line.
_nchan_worker_pids() {
    ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

# nchan_pids DIR: prints the master and worker pids of the nginx started in DIR, comma
# separated (flimmer-bench fanout --nchan-pids takes this list to sum their CPU and memory).
nchan_pids() {
    local master
    master="$(_nchan_master_pid "$1")" || { echo "nchan_pids: no nginx running from $1" >&2; return 1; }
    { echo "$master"; _nchan_worker_pids "$master"; } | paste -sd, -
}

# nchan_http_code PORT [PATH]: the HTTP status nginx on 127.0.0.1:PORT answers (000: none).
nchan_http_code() {
    curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1${2:-/}" 2>/dev/null || true
}

# start_nchan PORT DIR: renders scripts/nchan.conf into DIR/nginx.conf (listen 127.0.0.1:PORT,
# pid, logs and temp paths in DIR) and starts nginx with it, daemonized. Waits up to ~10 s for
# the master's pidfile and for the port to answer HTTP; otherwise prints the error log, stops
# whatever started and returns 1.
start_nchan() {
    (($# == 2)) || { echo "usage: start_nchan PORT DIR" >&2; return 2; }
    local port="$1" dir="$2"
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "start_nchan: bad port '$port'" >&2; return 2; }
    command -v nginx >/dev/null 2>&1 || { echo "start_nchan: nginx is not installed (ensure_bench_packages)" >&2; return 1; }
    [[ -f "$NCHAN_MODULE" ]] || { echo "start_nchan: $NCHAN_MODULE missing (libnginx-mod-nchan)" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)" || return 1
    # The config is a template with no quoting: a path with spaces or sed specials would break it.
    [[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] || { echo "start_nchan: unsupported characters in $dir" >&2; return 1; }

    if [[ "$(nchan_http_code "$port")" != 000 ]]; then
        echo "start_nchan: something already answers HTTP on port $port" >&2
        return 1
    fi
    local other
    if other="$(_nchan_master_pid "$dir")"; then
        echo "start_nchan: $dir is already used by nginx pid $other; stop it first" >&2
        return 1
    fi
    rm -f "$dir/nginx.pid"
    sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$FLIMMER_ROOT/scripts/nchan.conf" >"$dir/nginx.conf" || return 1
    # Started as root, nginx runs its workers as "nobody". They open no files of their own
    # (logs are opened by the master), only request-body temp files past 64 KiB, in DIR.
    if [[ "$(id -u)" == 0 ]]; then chmod o+x "$dir"; fi

    local -a nginx=(nginx -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log")
    if ! "${nginx[@]}" -t >"$dir/nginx-start.out" 2>&1 </dev/null; then
        echo "start_nchan: nginx -t rejects $dir/nginx.conf:" >&2
        sed 's/^/    /' "$dir/nginx-start.out" >&2
        return 1
    fi
    if ! "${nginx[@]}" >"$dir/nginx-start.out" 2>&1 </dev/null; then
        echo "start_nchan: nginx refused to start:" >&2
        sed 's/^/    /' "$dir/nginx-start.out" "$dir/error.log" 2>/dev/null | tail -n 40 >&2
        stop_nchan "$dir" >/dev/null 2>&1 || true
        return 1
    fi

    local deadline=$((SECONDS + 10)) master="" code
    while ((SECONDS < deadline)); do
        master="$(_nchan_master_pid "$dir" || true)"
        code="$(nchan_http_code "$port")"
        # 404 on / is the expected answer: only /sub/ and /pub/ are configured.
        if [[ -n "$master" && "$code" != 000 ]]; then
            if [[ -n "$(_nchan_worker_pids "$master")" ]]; then
                rm -f "$dir/nginx-start.out"
                return 0
            fi
        fi
        sleep 0.1
    done
    echo "start_nchan: nginx on port $port did not come up (master pid ${master:-none}); its log ($dir/error.log):" >&2
    tail -n 40 "$dir/error.log" 2>/dev/null | sed 's/^/    /' >&2
    stop_nchan "$dir" >/dev/null 2>&1 || true
    return 1
}

# stop_nchan DIR: stops the nginx whose master pid is in DIR/nginx.pid (SIGTERM: fast
# shutdown, since open event streams would hold a graceful SIGQUIT for as long as they last;
# SIGKILL to master and workers after ~15 s) and waits until master and workers are gone.
# Succeeds when nothing runs.
stop_nchan() {
    (($# == 1)) || { echo "usage: stop_nchan DIR" >&2; return 2; }
    local dir="$1" master _ pid
    master="$(_nchan_master_pid "$dir")" || { rm -f "$dir/nginx.pid"; return 0; }
    local -a all=("$master")
    mapfile -t -O 1 all < <(_nchan_worker_pids "$master")
    kill -TERM "$master" 2>/dev/null || true
    for _ in $(seq 1 150); do
        local alive=0
        for pid in "${all[@]}"; do _pid_alive "$pid" && alive=1; done
        ((alive)) || { rm -f "$dir/nginx.pid"; return 0; }
        sleep 0.1
    done
    echo "stop_nchan: nginx (pids ${all[*]}) ignored SIGTERM for 15 s; sending SIGKILL" >&2
    for pid in "${all[@]}"; do
        # Only processes that are still nginx: a pid may have been reused meanwhile.
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nginx* ]] && kill -KILL "$pid" 2>/dev/null
    done
    for _ in $(seq 1 50); do
        local alive=0
        for pid in "${all[@]}"; do _pid_alive "$pid" && alive=1; done
        ((alive)) || { rm -f "$dir/nginx.pid"; return 0; }
        sleep 0.1
    done
    echo "stop_nchan: nginx (pids ${all[*]}) is still running" >&2
    return 1
}

# --- Pushpin (scripts/bench's second peer) --------------------------------------------

# start_pushpin HTTP_PORT DIR: Pushpin (Debian's pushpin) on 127.0.0.1:HTTP_PORT with its run
# folder DIR, from scripts/pushpin.conf (its other ports free ones, written to DIR/ports), in
# front of scripts/pushpin_origin.py (which holds every GET /sub/<channel> with GRIP); returns
# once its publish port answers. Its publish URL goes to DIR/publish-url.
start_pushpin() {
    (($# == 2)) || { echo "usage: start_pushpin HTTP_PORT DIR" >&2; return 2; }
    local http_port="$1" dir="$2" origin_port push_in push_sub publish command _
    command -v pushpin >/dev/null 2>&1 || { echo "start_pushpin: pushpin is not installed" >&2; return 1; }
    mkdir -p "$dir" && dir="$(cd "$dir" && pwd)" || return 1
    origin_port="$(free_port)" push_in="$(free_port)" push_sub="$(free_port)" publish="$(free_port)" command="$(free_port)"
    echo "* 127.0.0.1:$origin_port" >"$dir/routes"
    sed -e "s|@RUNDIR@|$dir|g" -e "s|@HTTP_PORT@|$http_port|" -e "s|@ROUTES@|$dir/routes|" -e "s|@PUSH_IN_PORT@|$push_in|" \
        -e "s|@PUSH_SUB_PORT@|$push_sub|" -e "s|@PUBLISH_PORT@|$publish|" -e "s|@COMMAND_PORT@|$command|" \
        "$FLIMMER_ROOT/scripts/pushpin.conf" >"$dir/pushpin.conf"
    python3 "$FLIMMER_ROOT/scripts/pushpin_origin.py" "$origin_port" >>"$dir/origin.log" 2>&1 </dev/null &
    echo "$!" >"$dir/origin.pid"
    pushpin --config "$dir/pushpin.conf" >>"$dir/runner.log" 2>&1 </dev/null &
    echo "$!" >"$dir/runner.pid"
    echo "http://127.0.0.1:$publish" >"$dir/publish-url"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null -d '{"items":[]}' "http://127.0.0.1:$publish/publish/" 2>/dev/null &&
            curl -sS -o /dev/null --max-time 1 "http://127.0.0.1:$http_port/" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "start_pushpin: Pushpin did not answer on :$http_port and :$publish within 10 s; its log:" >&2
    tail -n 20 "$dir/runner.log" >&2
    stop_pushpin "$dir"
    return 1
}

# pushpin_pids DIR: the runner's pid and its children's (condure, zurl, proxy, handler),
# comma-separated; the origin is not Pushpin and not counted.
pushpin_pids() {
    local runner
    runner="$(cat "$1/runner.pid" 2>/dev/null)" && _pid_alive "$runner" || return 1
    { echo "$runner"; pgrep -P "$runner"; } | paste -sd, -
}

# stop_pushpin DIR: SIGTERM to the runner (it stops its children) and the origin, SIGKILL to
# what is left after 10 s.
stop_pushpin() {
    local dir="$1" pids pid _
    pids="$(pushpin_pids "$dir" 2>/dev/null | tr , ' ') $(cat "$dir/origin.pid" 2>/dev/null)"
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        local alive=0
        for pid in $pids; do _pid_alive "$pid" && alive=1; done
        ((alive)) || { rm -f "$dir/runner.pid" "$dir/origin.pid"; return 0; }
        sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -f "$dir/runner.pid" "$dir/origin.pid"
}
