#!/usr/bin/env python3
"""scripts/chaos.py: the load and fault half of scripts/chaos (run that, not this).

Given two running gateways (A, B) that share one Redis, this:

  - opens --clients SSE streams over the families of --tokens, alternating A/B, one thread
    each (raw sockets, read timeout 1 s), records every stream's last seen id
    (<epoch>-<version>) and reconnects with Last-Event-ID after any disconnect (to the
    other gateway when the open fails; backoff 0.2-1 s);
  - uploads (child tokens, random family, random gateway) at --upload-rate for
    --duration seconds and approves/rejects uploaded ids (parent tokens) at
    --decision-rate, recording every acknowledged (2xx) request;
  - at 25% of the load kill -9's redis-server (pid from its pidfile) and restarts it
    ~1.5 s later with lib.sh's start_redis on the same port and dir; at 50% SIGTERMs
    gateway B, waits for it to exit and restarts it ~1 s later with the same command
    line (the arguments after "--"); at 60% one stream (client 0, on A) stops reading
    for ~5 s;
  - after the load, waits (up to --settle seconds) until every stream's last seen
    version equals its family's contentQueue:{F}:version, then checks
      a. every acknowledged upload exists in Redis, every acknowledged decision
         left the status it asked for,
      b. every stream ended at its family's final version (and epoch);
    prints the figures and exits 1 if a check failed (2 on bad usage). Lost acknowledged
    writes are labelled as fitting Redis's appendfsync everysec window, or not (explain_lost).

Python 3 standard library only; everything on 127.0.0.1; every loop is bounded in time.
"""

import argparse
import collections
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
STARTERS = []  # start_redis runs in progress: stopped with us, so that no Redis starts after the cleanup
GATEWAYS = []  # the restarted gateway B: our child, so we stop and reap it before we exit


def stop_gateways():
    for gateway in GATEWAYS:
        if gateway.poll() is None:
            gateway.terminate()
            try:
                gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                gateway.kill()
                gateway.wait(timeout=5)


T0 = time.monotonic()
PRINT_LOCK = threading.Lock()


def elapsed():
    return time.monotonic() - T0


def say(message):
    with PRINT_LOCK:
        print(f"chaos: [{elapsed():5.1f}s] {message}", flush=True)


def version_of(tag):
    """(epoch, version) of an id "<epoch>-<version>" (split at the last '-'), or None."""
    epoch, sep, version = tag.rpartition("-")
    if not sep:
        return None
    try:
        return epoch, int(version)
    except ValueError:
        return None


# --- a tiny Redis client (RESP over one socket) ------------------------------------


class RedisReplyError(Exception):
    pass


class Redis:
    def __init__(self, port, timeout=3.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()

    @staticmethod
    def _encode(args):
        out = bytearray(b"*%d\r\n" % len(args))
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        return out

    def _read(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.file.read(size + 2)
            if len(data) != size + 2:
                raise ConnectionError("Redis closed the connection")
            return data[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read() for _ in range(size)]
        raise ConnectionError(f"unexpected RESP reply {line[:40]!r}")

    def pipeline(self, commands, batch=500):
        replies = []
        for start in range(0, len(commands), batch):
            part = commands[start:start + batch]
            self.sock.sendall(b"".join(self._encode(cmd) for cmd in part))
            replies.extend(self._read() for _ in part)
        return replies


def redis_query(port, commands):
    """Runs the commands on a fresh connection; raises on connection errors."""
    redis = Redis(port)
    try:
        return redis.pipeline(commands)
    finally:
        redis.close()


# --- shared counters ---------------------------------------------------------------


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, key, amount=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + amount

    def get(self, key):
        with self.lock:
            return self.counts.get(key, 0)

    def summary(self):
        with self.lock:
            items = sorted(self.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        return ", ".join(f"{key} x{value}" for key, value in items) or "none"


# --- SSE clients -------------------------------------------------------------------


class OpenFailed(Exception):
    pass


class ChunkedDecoder:
    """Incremental Transfer-Encoding: chunked decoder."""

    def __init__(self):
        self.buffer = b""
        self.remaining = None  # bytes left in the current chunk; None: a size line is next
        self.done = False

    def feed(self, data):
        self.buffer += data
        out = []
        while not self.done:
            if self.remaining is None:
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    break
                size_text = self.buffer[:end].split(b";", 1)[0].strip()
                self.buffer = self.buffer[end + 2:]
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise OpenFailed(f"bad chunk size {size_text[:20]!r}")
                if size == 0:
                    self.done = True
                    break
                self.remaining = size
            elif self.remaining > 0:
                if not self.buffer:
                    break
                take = self.buffer[:self.remaining]
                out.append(take)
                self.buffer = self.buffer[len(take):]
                self.remaining -= len(take)
            else:  # the CRLF after a chunk
                if len(self.buffer) < 2:
                    break
                self.buffer = self.buffer[2:]
                self.remaining = None
        return b"".join(out)


class Client(threading.Thread):
    STALL_SECONDS = 10.0  # no byte at all for this long (heartbeats are every few s): reconnect

    def __init__(self, index, family, role, token, ports, gateway, stop):
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.family = family
        self.role = role
        self.token = token
        self.ports = ports
        self.gateway = gateway  # 0: A, 1: B
        self.stop = stop
        self.lock = threading.Lock()
        self.last_id = None
        self.epoch = None
        self.version = None
        self.events = 0
        self.opens = 0
        self.open_failures = 0
        self.disconnects = 0
        self.stalls = 0
        self.regressions = 0
        self.shutdown_notices = 0
        self.last_error = ""
        self.pause_request = 0.0  # seconds to stop reading, set by the fault schedule
        self.paused_for = 0.0
        self.partial = b""
        self.block = {}

    # state seen by other threads
    def seen(self):
        with self.lock:
            return self.epoch, self.version

    _connected = False  # a stream is open (response head 200 read); guarded by lock

    def run(self):
        first = True
        while not self.stop.is_set():
            if not first:
                self.stop.wait(random.uniform(0.2, 1.0))
                if self.stop.is_set():
                    break
            first = False
            outcome, error = None, None
            try:
                outcome = self.stream_once()
            except Exception as caught:  # OpenFailed, OSError; anything else is a bug, retried the same way
                error = caught
            with self.lock:
                was_open, self._connected = self._connected, False
            where = "AB"[self.gateway]
            if was_open:
                # the stream had opened: EOF, a read error or a stall; reconnect to the same gateway first
                if outcome != "stopped":
                    self.disconnects += 1
                if outcome == "stall":
                    self.stalls += 1
                elif error is not None:
                    self.last_error = f"stream on {where}: {error!r}"
            elif error is not None:
                # could not connect, or no 200: try the other gateway
                self.open_failures += 1
                self.last_error = f"open on {where}: {error}"
                self.gateway ^= 1

    def request_bytes(self):
        lines = [
            "GET /api/events HTTP/1.1",
            f"Host: {HOST}:{self.ports[self.gateway]}",
            f"Authorization: Bearer {self.token}",
            "Accept: text/event-stream",
            "Cache-Control: no-cache",
        ]
        if self.last_id is not None:
            lines.append(f"Last-Event-ID: {self.last_id}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def stream_once(self):
        port = self.ports[self.gateway]
        sock = socket.create_connection((HOST, port), timeout=2.0)
        try:
            sock.settimeout(1.0)
            sock.sendall(self.request_bytes())
            head = b""
            deadline = time.monotonic() + 6.0
            while b"\r\n\r\n" not in head:
                if self.stop.is_set():
                    return "stopped"
                if time.monotonic() > deadline:
                    raise OpenFailed("no response head within 6 s")
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    raise OpenFailed("closed before the response head")
                head += data
            head, _, rest = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if status != 200:
                raise OpenFailed(f"HTTP {status or lines[0][:40]}")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            decoder = ChunkedDecoder() if "chunked" in headers.get("transfer-encoding", "") else None
            self.partial = b""
            self.block = {}
            with self.lock:
                self.opens += 1
                self._connected = True
            self.consume(rest, decoder)
            last_byte = time.monotonic()
            while not self.stop.is_set():
                if self.pause_request > 0:
                    pause, self.pause_request = self.pause_request, 0.0
                    started = time.monotonic()
                    self.stop.wait(pause)  # just stop calling recv
                    self.paused_for += time.monotonic() - started
                    last_byte = time.monotonic()
                    continue
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    if time.monotonic() - last_byte > self.STALL_SECONDS:
                        self.last_error = f"no byte from {'AB'[self.gateway]} for {self.STALL_SECONDS:.0f} s"
                        return "stall"
                    continue
                if not data:
                    return "eof"
                last_byte = time.monotonic()
                if self.consume(data, decoder):
                    return "eof"
            return "stopped"
        finally:
            sock.close()

    def consume(self, data, decoder):
        """Feeds body bytes to the SSE parser; True when the chunked body ended."""
        if decoder is not None:
            data = decoder.feed(data)
        if data:
            lines = (self.partial + data).split(b"\n")
            self.partial = lines.pop()
            for line in lines:
                if line.endswith(b"\r"):
                    line = line[:-1]
                if not line:
                    self.dispatch()
                elif line.startswith(b":"):
                    if b"shutting down" in line:
                        self.shutdown_notices += 1
                else:
                    field, _, value = line.partition(b":")
                    if value.startswith(b" "):
                        value = value[1:]
                    if field == b"data":
                        self.block.setdefault(b"data", []).append(value)
                    elif field in (b"id", b"event"):
                        self.block[field] = value
        return decoder is not None and decoder.done

    def dispatch(self):
        block, self.block = self.block, {}
        tag = block.get(b"id")
        if tag is not None:
            tag = tag.decode("utf-8", "replace")
            parsed = version_of(tag)
            with self.lock:
                self.last_id = tag
                if parsed is not None:
                    epoch, version = parsed
                    if epoch == self.epoch and self.version is not None and version < self.version:
                        self.regressions += 1
                    self.epoch, self.version = epoch, version
        if b"event" in block or b"data" in block:
            self.events += 1


# --- HTTP requests -----------------------------------------------------------------


def http_call(port, method, path, token, body=None, timeout=5.0):
    """(status, parsed JSON or None); status is "conn" when no response came."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, parsed
    except (OSError, http.client.HTTPException):
        return "conn", None
    finally:
        conn.close()


# One acknowledged (2xx) mutation: what it did, the version its response carried, when
# it was sent and answered (seconds since the start) and through which gateway.
Ack = collections.namedtuple("Ack", "family id status version sent answered gateway")


class Load:
    def __init__(self, args, tokens, families, stop_at):
        self.args = args
        self.tokens = tokens
        self.families = families
        self.stop_at = stop_at
        self.lock = threading.Lock()
        self.uploaded = []  # Ack of every 2xx upload (status "pending")
        self.undecided = []  # (family, id) not yet sent for a decision
        self.decided = []  # Ack of every 2xx decision (status "approved" or "rejected")
        self.upload_errors = Counter()
        self.decision_errors = Counter()
        self.sequence = 0

    def pace(self, rate, offset, work):
        interval = 1.0 / rate
        next_at = time.monotonic() + offset
        while True:
            now = time.monotonic()
            if now >= self.stop_at:
                return
            if next_at > now:
                time.sleep(min(next_at - now, self.stop_at - now))
                continue
            work()
            # behind schedule (slow requests during a fault): no burst to catch up
            next_at = max(next_at + interval, time.monotonic() - interval)

    def upload(self):
        family = random.choice(self.families)
        gateway = random.randrange(2)
        with self.lock:
            self.sequence += 1
            n = self.sequence
        sent = elapsed()
        status, body = http_call(
            self.args.ports[gateway], "POST", "/api/content/upload", self.tokens[(family, "child")],
            {"title": f"chaos {family} #{n}"},
        )
        if isinstance(status, int) and 200 <= status < 300:
            try:
                item_id = body["item"]["id"]
                version = int(body["version"])
            except (TypeError, KeyError, ValueError):
                self.upload_errors.add(f"{status} without item.id/version")
                return
            with self.lock:
                self.uploaded.append(Ack(family, item_id, "pending", version, sent, elapsed(), "AB"[gateway]))
                self.undecided.append((family, item_id))
        else:
            self.upload_errors.add(status)

    def decide(self):
        with self.lock:
            if not self.undecided:
                return
            family, item_id = self.undecided.pop(random.randrange(len(self.undecided)))
        approve = random.random() < 0.5
        gateway = random.randrange(2)
        sent = elapsed()
        status, body = http_call(
            self.args.ports[gateway], "POST",
            f"/api/content/{item_id}/{'approve' if approve else 'reject'}",
            self.tokens[(family, "parent")], None if approve else {"reason": "chaos"},
        )
        if isinstance(status, int) and 200 <= status < 300:
            try:
                version = int(body["version"])
            except (TypeError, KeyError, ValueError):
                version = None
            with self.lock:
                self.decided.append(Ack(
                    family, item_id, "approved" if approve else "rejected", version, sent, elapsed(), "AB"[gateway],
                ))
        else:
            self.decision_errors.add(status)


# --- faults ------------------------------------------------------------------------


def pid_alive(pid):
    """The process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def read_pid(path):
    try:
        with open(path) as file:
            text = "".join(ch for ch in file.read() if ch.isdigit())
        return int(text) if text else None
    except OSError:
        return None


def port_open(port):
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def http_ok(port, path):
    status, _ = http_call(port, "GET", path, "-", timeout=1.0)
    return status == 200


class Faults(threading.Thread):
    def __init__(self, args, clients, load_start):
        super().__init__(name="faults", daemon=True)
        self.args = args
        self.clients = clients
        self.load_start = load_start
        self.redis_restarts = 0
        self.redis_killed_at = None  # seconds since the start
        self.gateway_restarts = 0
        self.problems = []  # faults that could not be applied or misbehaved: the run fails
        self.pause_end = 0.0
        self.gateway_b = None  # the restarted gateway B (subprocess.Popen)

    def at(self, fraction):
        """Sleeps until `fraction` of the load duration."""
        target = self.load_start + fraction * self.args.duration
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def run(self):
        # the pause on its own timer, so that a slow gateway restart does not delay it
        delay = self.load_start + 0.60 * self.args.duration - time.monotonic()
        self.pause_end = self.load_start + 0.60 * self.args.duration + self.args.pause
        pause = threading.Timer(max(0.0, delay), self.pause_client)
        pause.daemon = True
        pause.start()
        try:
            self.at(0.25)
            self.kill_redis()
            self.at(0.50)
            self.restart_gateway_b()
        except Exception as error:  # a bug here must not hang the run
            self.problems.append(f"fault schedule crashed: {error!r}")
        pause.join(timeout=max(0.0, self.load_start + 0.60 * self.args.duration - time.monotonic()) + 2.0)

    def kill_redis(self):
        args = self.args
        pid = read_pid(os.path.join(args.redis_dir, "redis.pid"))
        if pid is None or not pid_alive(pid):
            self.problems.append(f"no live redis-server pid in {args.redis_dir}/redis.pid")
            return
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        self.redis_killed_at = elapsed()
        deadline = killed_at + 5.0
        while (pid_alive(pid) or port_open(args.redis_port)) and time.monotonic() < deadline:
            time.sleep(0.05)
        say(f"kill -9 redis-server (pid {pid})")
        time.sleep(max(0.0, killed_at + 1.5 - time.monotonic()))
        # lib.sh's start_redis, exactly as scripts/chaos started it: same port, dir and configuration
        starter = subprocess.Popen(
            ["bash", "-c", 'source "$0" && start_redis "$1" "$2"', args.lib, str(args.redis_port), args.redis_dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        STARTERS.append(starter)
        try:
            output, _ = starter.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            starter.kill()
            output, _ = starter.communicate()
        if starter.returncode != 0:
            self.problems.append("redis-server did not restart: " + output.decode(errors="replace").strip()[-500:])
            say("redis-server did NOT restart")
            return
        self.redis_restarts += 1
        new_pid = read_pid(os.path.join(args.redis_dir, "redis.pid"))
        say(f"redis-server restarted (pid {new_pid}), down {time.monotonic() - killed_at:.1f} s")

    def restart_gateway_b(self):
        args = self.args
        pid = read_pid(args.gateway_b_pidfile)
        if pid is None or not pid_alive(pid):
            self.problems.append("gateway B was not running at 50% of the load")
            return
        os.kill(pid, signal.SIGTERM)
        sent = time.monotonic()
        while pid_alive(pid) and time.monotonic() < sent + 15.0:
            time.sleep(0.05)
        took = time.monotonic() - sent
        if pid_alive(pid):
            self.problems.append(f"gateway B (pid {pid}) still running 15 s after SIGTERM; killed")
            os.kill(pid, signal.SIGKILL)
            while pid_alive(pid) and time.monotonic() < sent + 20.0:
                time.sleep(0.05)
        say(f"SIGTERM gateway B (pid {pid}): exited after {took:.2f} s")
        time.sleep(max(0.0, sent + took + 1.0 - time.monotonic()))
        with open(args.gateway_b_log, "ab") as log:
            log.write(b"--- chaos: gateway B restarted ---\n")
            log.flush()
            self.gateway_b = subprocess.Popen(
                args.gateway_b_cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
            )
            GATEWAYS.append(self.gateway_b)
        with open(args.gateway_b_pidfile, "w") as file:
            file.write(f"{self.gateway_b.pid}\n")
        port = args.ports[1]
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline and self.gateway_b.poll() is None:
            if http_ok(port, "/health/live"):
                break
            time.sleep(0.1)
        if self.gateway_b.poll() is not None:
            self.problems.append(f"restarted gateway B exited with {self.gateway_b.returncode} (log {args.gateway_b_log})")
            return
        if not http_ok(port, "/health/live"):
            self.problems.append("restarted gateway B did not answer /health/live within 20 s")
            return
        self.gateway_restarts += 1
        say(f"gateway B restarted (pid {self.gateway_b.pid}) on port {port}")

    def pause_client(self):
        client = self.clients[0]
        client.pause_request = self.args.pause
        say(f"client 0 ({client.family}, {client.role}, gateway {'AB'[client.gateway]}) stops reading for {self.args.pause:.0f} s")


# --- main --------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/chaos.py",
        description="Load and faults against two FlimmerSync gateways; started by scripts/chaos.",
        epilog="Arguments after -- are the command line that (re)starts gateway B.",
    )
    parser.add_argument("--gateway-a", type=int, required=True, help="port of gateway A")
    parser.add_argument("--gateway-b", type=int, required=True, help="port of gateway B")
    parser.add_argument("--gateway-b-pidfile", required=True)
    parser.add_argument("--gateway-b-log", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--redis-dir", required=True, help="the --dir of redis-server (holds redis.pid)")
    parser.add_argument("--lib", required=True, help="scripts/lib.sh, for start_redis")
    parser.add_argument("--tokens", required=True, help='file of "family role token" lines')
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--upload-rate", type=float, default=40.0, help="uploads per second")
    parser.add_argument("--decision-rate", type=float, default=10.0, help="approvals/rejections per second")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds client 0 stops reading")
    parser.add_argument("--settle", type=float, default=15.0, help="max seconds to wait for quiescence")
    parser.add_argument("--seed", type=int, default=None)
    args, rest = parser.parse_known_args(argv)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        parser.error("the command line of gateway B is missing after --")
    args.gateway_b_cmd = rest
    args.ports = (args.gateway_a, args.gateway_b)
    if args.clients < 1 or args.duration <= 0 or args.upload_rate <= 0 or args.decision_rate <= 0:
        parser.error("--clients, --duration, --upload-rate and --decision-rate must be positive")
    return args


def read_tokens(path):
    tokens, families = {}, []
    with open(path) as file:
        for line in file:
            parts = line.split()
            if len(parts) != 3:
                continue
            family, role, token = parts
            tokens[(family, role)] = token
            if family not in families:
                families.append(family)
    for family in families:
        for role in ("parent", "child"):
            if (family, role) not in tokens:
                raise SystemExit(f"chaos: no {role} token for family {family} in {path}")
    return tokens, families


def final_versions(redis_port, families):
    commands = []
    for family in families:
        commands.append(("GET", f"contentQueue:{{{family}}}:version"))
        commands.append(("GET", f"epoch:{{{family}}}"))
    replies = redis_query(redis_port, commands)
    result = {}
    for i, family in enumerate(families):
        version, epoch = replies[2 * i], replies[2 * i + 1]
        if isinstance(version, Exception) or isinstance(epoch, Exception):
            raise ConnectionError(f"Redis error reading {family}: {version} {epoch}")
        result[family] = (epoch.decode() if epoch is not None else None, int(version) if version is not None else 0)
    return result


def aof_mentions(redis_dir, item_id):
    """Whether the AOF files still hold the id: tells a write that never reached the AOF
    (lost before the kill) from one that did but was not loaded back."""
    folder = os.path.join(redis_dir, "appendonlydir")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return f"no AOF folder {folder}"
    needle = item_id.encode()
    for name in names:
        try:
            with open(os.path.join(folder, name), "rb") as file:
                if needle in file.read():
                    return f"the id IS in the AOF file {name}"
        except OSError:
            continue
    return f"the id is in none of the AOF files ({', '.join(names)})"


def explain_lost(kept, killed):
    """One line on whether the lost acknowledged writes fit Redis's appendfsync everysec window.

    Under everysec Redis postpones the AOF write(2) for up to 2 s while a background fsync
    is still running, and sends the replies anyway; kill -9 then loses those acknowledged
    writes. Such a loss is always a suffix of what the old Redis executed: every write it
    ran after a lost one is lost too. So a lost write that answered before some kept write
    was even sent is NOT that window, nor is one answered more than ~2 s before the kill.
    """
    lost = [ack for ack, ok in kept.items() if not ok]
    if killed is None:
        return f"{len(lost)} acknowledged writes lost although Redis was never killed"
    old_kept = [ack for ack, ok in kept.items() if ok and ack.sent < killed]
    unexplained = [
        ack for ack in lost
        if ack.sent >= killed or ack.answered < killed - 2.5 or any(k.sent > ack.answered for k in old_kept)
    ]
    if unexplained:
        return (f"{len(lost)} acknowledged writes lost; {len(unexplained)} of them do NOT fit Redis's everysec "
                f"window (answered more than 2.5 s before the kill -9 at {killed:.2f} s, or a write sent after "
                f"their answer was kept): not a Redis durability window, look at the gateway")
    first = min(ack.answered for ack in lost)
    return (f"{len(lost)} acknowledged writes lost, all answered in the last {killed - first:.2f} s before the "
            f"kill -9 at {killed:.2f} s and no later write kept: this fits Redis's appendfsync everysec, which "
            f"postpones the AOF write while a background fsync runs and replies anyway; the shipped "
            f"redis.conf uses appendfsync always, under which this must not happen: check its appendfsync)")


def lagging(clients, finals):
    """Clients whose last seen (epoch, version) is not their family's final one."""
    behind = []
    for client in clients:
        epoch, version = client.seen()
        final_epoch, final_version = finals[client.family]
        if version != final_version or (final_epoch is not None and epoch != final_epoch):
            behind.append(client)
    return behind


def main(argv):
    args = parse_args(argv)
    if args.seed is not None:
        random.seed(args.seed)
    tokens, families = read_tokens(args.tokens)
    # Nothing may outlive its budget: a stuck run ends itself.
    budget = args.duration + args.settle + 120.0
    watchdog = threading.Timer(budget, lambda: (say(f"watchdog: still running after {budget:.0f} s; giving up"), os._exit(3)))
    watchdog.daemon = True
    watchdog.start()
    threading.stack_size(512 * 1024)

    say(f"{args.clients} clients, {len(families)} families, {args.duration:g} s of load "
        f"({args.upload_rate:g} uploads/s, {args.decision_rate:g} decisions/s); "
        f"gateways A :{args.gateway_a}, B :{args.gateway_b}, Redis :{args.redis_port}")

    # 1. the streams: client i is the k-th of family i % F; k alternates gateways, pairs of k alternate roles
    stop = threading.Event()
    clients = []
    for i in range(args.clients):
        family = families[i % len(families)]
        k = i // len(families)
        role = "parent" if (k // 2) % 2 == 0 else "child"
        clients.append(Client(i, family, role, tokens[(family, role)], args.ports, k % 2, stop))
    for client in clients:
        client.start()
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline and not all(c.seen()[1] is not None for c in clients):
        time.sleep(0.1)
    ready = sum(1 for c in clients if c.seen()[1] is not None)
    say(f"{ready}/{len(clients)} streams open")
    if ready < len(clients):
        stuck = [c for c in clients if c.seen()[1] is None]
        for c in stuck[:5]:
            say(f"  client {c.index} ({c.family}, {c.role}): {c.last_error or 'no id received'}")
        stop.set()
        say("FAILED: not every stream opened before the load; no faults injected")
        return 1

    # 2. load and faults
    load_start = time.monotonic()
    load_end = load_start + args.duration
    load = Load(args, tokens, families, load_end)
    upload_workers = max(1, min(16, int(args.upload_rate // 10) or 1))
    workers = []
    for w in range(upload_workers):
        rate = args.upload_rate / upload_workers
        workers.append(threading.Thread(target=load.pace, args=(rate, w / args.upload_rate, load.upload), daemon=True))
    workers.append(threading.Thread(target=load.pace, args=(args.decision_rate, 0.5, load.decide), daemon=True))
    faults = Faults(args, clients, load_start)
    for worker in workers:
        worker.start()
    faults.start()
    for worker in workers:
        worker.join(timeout=max(0.0, load_end - time.monotonic()) + 15.0)
    say(f"load stopped: {len(load.uploaded)} uploads and {len(load.decided)} decisions acknowledged")
    faults.join(timeout=max(0.0, load_end - time.monotonic()) + 60.0)
    if faults.is_alive():
        faults.problems.append("the fault schedule did not finish")

    # 3. quiescence: every stream at its family's final version
    settle_start = time.monotonic()
    settle_deadline = max(settle_start, faults.pause_end) + args.settle
    finals, behind, redis_error = None, list(clients), None
    while True:
        try:
            finals = final_versions(args.redis_port, families)
            redis_error = None
            behind = lagging(clients, finals)
        except (OSError, ConnectionError) as error:
            redis_error = repr(error)
        if (finals is not None and not behind and redis_error is None) or time.monotonic() >= settle_deadline:
            break
        time.sleep(0.25)
    settled = time.monotonic() - settle_start
    stop.set()

    # 4. checks
    failures = []
    uploads_found = decisions_found = 0
    try:
        finals = final_versions(args.redis_port, families)
        behind = lagging(clients, finals)
        killed = faults.redis_killed_at

        def when(ack):
            text = f"sent at {ack.sent:.2f} s, answered at {ack.answered:.2f} s by gateway {ack.gateway}"
            if killed is not None:
                text += f"; Redis killed at {killed:.2f} s"
            return text

        kept = {}  # Ack -> whether Redis still holds what it acknowledged
        lost_lines = []
        replies = redis_query(args.redis_port, [("EXISTS", f"content:{{{a.family}}}:{a.id}") for a in load.uploaded])
        for ack, reply in zip(load.uploaded, replies):
            kept[ack] = reply == 1
            if kept[ack]:
                uploads_found += 1
            else:
                lost_lines.append(f"upload {ack.id} of {ack.family} acknowledged with version {ack.version} "
                                  f"({when(ack)}) is not in Redis; {aof_mentions(args.redis_dir, ack.id)}")
        replies = redis_query(args.redis_port, [("HGET", f"content:{{{a.family}}}:{a.id}", "status") for a in load.decided])
        for ack, reply in zip(load.decided, replies):
            found = reply.decode() if isinstance(reply, bytes) else reply
            kept[ack] = found == ack.status
            if kept[ack]:
                decisions_found += 1
            else:
                lost_lines.append(f"decision {ack.status} of {ack.id} ({ack.family}) acknowledged with version "
                                  f"{ack.version} ({when(ack)}), but Redis has status {found!r}")
        if lost_lines:
            failures.append(explain_lost(kept, killed))
            failures.extend(lost_lines)
        for ack in load.uploaded + load.decided:
            if ack.version is not None and finals[ack.family][1] < ack.version:
                failures.append(f"family {ack.family}: final version {finals[ack.family][1]} is below the "
                                f"acknowledged version {ack.version} ({when(ack)})")
                break
    except (OSError, ConnectionError) as error:
        failures.append(f"Redis could not be read for the checks: {error!r}")
        finals = None
    # Every mutation of a family bumps its version by one, so two acknowledgements carrying
    # one version mean that Redis lost the first write and handed its version out again.
    by_version = collections.defaultdict(list)
    for ack in load.uploaded + load.decided:
        if ack.version is not None:
            by_version[(ack.family, ack.version)].append(ack)
    reused = sorted((key for key, acks in by_version.items() if len(acks) > 1),
                    key=lambda key: by_version[key][0].answered)
    if finals is not None:
        for client in behind:
            epoch, version = client.seen()
            final_epoch, final_version = finals[client.family]
            failures.append(
                f"client {client.index} ({client.family}, {client.role}, last on gateway {'AB'[client.gateway]}) "
                f"last saw {epoch}-{version}, final is {final_epoch}-{final_version}"
                f"{'; last error: ' + client.last_error if client.last_error else ''}"
            )
    failures.extend(faults.problems)

    for client in clients:
        client.join(timeout=0.1)
    give_up = time.monotonic() + 5.0
    for client in clients:
        client.join(timeout=max(0.0, give_up - time.monotonic()))

    at_final = len(clients) - len(behind) if finals is not None else 0
    events = sum(c.events for c in clients)
    reconnects = sum(max(0, c.opens - 1) for c in clients)
    print(
        f"chaos: clients {len(clients)}, families {len(families)}, events received {events}, "
        f"uploads acknowledged {len(load.uploaded)}, uploads found {uploads_found}, "
        f"decisions acknowledged {len(load.decided)}, decisions found {decisions_found}, "
        f"clients at the final version {at_final}/{len(clients)}, reconnects {reconnects}, "
        f"redis restarts {faults.redis_restarts}, gateway restarts {faults.gateway_restarts}",
        flush=True,
    )
    print(
        f"chaos: upload errors: {load.upload_errors.summary()}; decision errors: {load.decision_errors.summary()}; "
        f"failed stream opens {sum(c.open_failures for c in clients)}, stalled streams {sum(c.stalls for c in clients)}, "
        f"shutdown notices {sum(c.shutdown_notices for c in clients)}, id regressions {sum(c.regressions for c in clients)}, "
        f"versions acknowledged twice {len(reused)}, "
        f"client 0 paused {clients[0].paused_for:.1f} s, settled in {settled:.1f} s, total {elapsed():.1f} s",
        flush=True,
    )
    for family, version in reused[:5]:
        acks = ", ".join(f"{a.status} {a.id[:8]} (sent {a.sent:.2f} s, answered {a.answered:.2f} s, {a.gateway})"
                         for a in by_version[(family, version)])
        print(f"chaos:   {family} version {version} acknowledged twice: {acks}", flush=True)
    if failures:
        print(f"chaos: FAILED ({len(failures)} problem{'s' if len(failures) != 1 else ''}):", flush=True)
        for line in failures[:20]:
            print(f"  {line}", flush=True)
        if len(failures) > 20:
            print(f"  ... and {len(failures) - 20} more", flush=True)
        return 1
    print("chaos: ok", flush=True)
    return 0


def on_term(signum, _frame):
    say(f"interrupted by signal {signum}")
    for starter in STARTERS:
        if starter.poll() is None:
            starter.terminate()
    stop_gateways()
    os._exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    # Started in the background by scripts/chaos, which leaves SIGINT ignored: take it back,
    # so that Ctrl-C ends the run at once.
    signal.signal(signal.SIGINT, on_term)
    try:
        status = main(sys.argv[1:])
    finally:
        stop_gateways()
    sys.exit(status)
