# shellcheck shell=bash
# Shared helpers for scripts/run, scripts/test and scripts/demo. Source it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: ensure_packages, ensure_bench_packages, free_port, start_redis PORT DIR [ARGS...],
# stop_redis DIR, redis_ping PORT, redis_server_pid PORT, start_nchan PORT DIR,
# stop_nchan DIR, nchan_pids DIR, and the small log/die helpers. Nothing here changes shell options of the caller.

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
ensure_packages() {
    local -a missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    [[ -f /usr/include/hiredis/hiredis.h ]] || missing+=(libhiredis-dev)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    ((${#missing[@]} == 0)) && return 0
    _apt_install "${missing[@]}"

    command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
    command -v redis-cli >/dev/null 2>&1 || die "redis-cli still missing after apt-get install"
    [[ -f /usr/include/hiredis/hiredis.h ]] || die "/usr/include/hiredis/hiredis.h still missing after apt-get install"
    command -v curl >/dev/null 2>&1 || die "curl still missing after apt-get install"
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

# The Nchan module as Debian's libnginx-mod-nchan installs it (scripts/nchan.conf loads it).
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so

# ensure_bench_packages: what only scripts/bench needs on top of ensure_packages: nginx and
# the Nchan module (the comparison target of issue 5). Kept apart so scripts/run and
# scripts/test never install a web server.
ensure_bench_packages() {
    local -a missing=()
    command -v nginx >/dev/null 2>&1 || missing+=(nginx)
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
# its SHA-256 in the ACL file. EXTRA_LINEs are appended (scripts/test adds a test user).
render_acl() {
    local dir="$1"
    shift
    mkdir -p "$dir"
    local user
    local -a sed_args=()
    for user in gateway operator; do
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
