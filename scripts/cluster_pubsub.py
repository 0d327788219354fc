#!/usr/bin/env python3
"""Redis-side cost of FlimmerSync's invalidations on a Redis Cluster, classic against sharded.

Used by scripts/bench (MATRIX=cluster). Publishes EVENTS invalidations over FAMILIES families
the way the gateway's mutations do (on the master of each family's slot: PUBLISH
invalidate:contentQueue in classic mode, SPUBLISH invalidate:{F} in sharded mode), with
GATEWAYS subscribers shaped as gateways subscribe (classic: one PSUBSCRIBE invalidate:* each, on
one node; sharded: one SSUBSCRIBE per family, on the master that serves it, one connection per
master). It waits until every subscriber has every event, and prints one JSON object: the
events per second delivered and the CPU (user + sys, from INFO cpu) each node spent per event.

Without --sse, no gateway and no SSE client take part: this is what Redis itself pays in each
mode. With --sse GATEWAYS (base URLs) and --tokens FILE ("family token" lines), the subscribers
are those gateways (started in the matching --redis-pubsub mode) and STREAMS SSE streams spread
over the families and the gateways; it counts every `event: invalidate` they receive and adds
each gateway process's CPU (--gateway-pids, from /proc) per delivery. On one Redis that is not a
cluster, every family's master is that node.
"""
import argparse
import json
import selectors
import os
import socket
import threading
import time


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def slot(key: str) -> int:
    raw = key.encode()
    start = raw.find(b"{")
    if start >= 0:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1 : end]
    return crc16(raw) % 16384


def encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class Connection:
    def __init__(self, port, user, password):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.call("AUTH", user, password)

    def send(self, *commands):
        self.sock.sendall(b"".join(encode(*c) for c in commands))

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, count):
        while len(self.buffer) < count + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count + 2 :]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size)
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.reply() for _ in range(size)]
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        self.send(args)
        return self.reply()


def cpu_seconds(connection) -> float:
    info = connection.call("INFO", "cpu").decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True, help="every node's port, comma-separated")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", help="default: the environment's REDIS_PASSWORD (kept off the command line)")
    parser.add_argument("--mode", choices=["classic", "sharded"], required=True)
    parser.add_argument("--families", type=int, default=300)
    parser.add_argument("--events", type=int, default=60000)
    parser.add_argument("--gateways", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--sse", help="gateway base URLs, comma-separated: SSE streams instead of Redis subscribers")
    parser.add_argument("--tokens", help="with --sse: a file of 'family token' lines (a parent token per family)")
    parser.add_argument("--streams", type=int, default=600, help="with --sse: streams in all")
    parser.add_argument("--gateway-pids", default="", help="with --sse: the gateways' pids, for their CPU")
    args = parser.parse_args()
    args.password = args.password or os.environ.get("REDIS_PASSWORD")
    if not args.password:
        parser.error("--password or REDIS_PASSWORD is required")

    ports = [int(p) for p in args.ports.split(",")]
    admin = {port: Connection(port, args.user, args.password) for port in ports}
    owners = {}
    clustered = "cluster_enabled:1" in admin[ports[0]].call("INFO", "cluster").decode()
    if clustered:
        for entry in admin[ports[0]].call("CLUSTER", "SLOTS"):
            for number in range(entry[0], entry[1] + 1):
                owners[number] = entry[2][1]
    masters = sorted(set(owners.values())) if clustered else [ports[0]]
    if args.sse:
        tokens = dict(line.split() for line in open(args.tokens) if line.strip())
        families = sorted(tokens)[: args.families]
    else:
        families = ["bench-%d" % i for i in range(args.families)]
    owner = {f: owners[slot("{%s}" % f)] if clustered else ports[0] for f in families}

    if args.sse:
        counter = SSECounter(args.sse.split(","), families, tokens, args.streams)
        expected_per_event = {f: counter.streams_of(f) for f in families}
        expected = sum(expected_per_event[families[n % len(families)]] for n in range(args.events))
        gateway_pids = [int(p) for p in args.gateway_pids.split(",") if p]
    else:
        counter = RedisCounter(args.mode, masters, families, owner, args.gateways, args.user, args.password)
        expected = args.events * args.gateways
        gateway_pids = []
    counter.start()

    publishers = {master: Connection(master, args.user, args.password) for master in masters}
    payload = '{"key":"contentQueue","family":"%s","version":%d,"reason":"bench"}'
    version = {f: 0 for f in families}
    before = {port: cpu_seconds(admin[port]) for port in ports}
    gateways_before = {pid: process_cpu_seconds(pid) for pid in gateway_pids}
    start = time.monotonic()
    batch = 200
    for first in range(0, args.events, batch):
        pending = {}
        for number in range(first, min(first + batch, args.events)):
            family = families[number % len(families)]
            version[family] += 1
            data = payload % (family, version[family])
            if args.mode == "classic":
                command = ("PUBLISH", "invalidate:contentQueue", data)
            else:
                command = ("SPUBLISH", "invalidate:{%s}" % family, data)
            pending.setdefault(owner[family], []).append(command)
        for master, commands in pending.items():
            publishers[master].send(*commands)
        for master, commands in pending.items():
            for _ in commands:
                publishers[master].reply()
        if args.sse:
            # Paced by what the streams took: the gateways drop the oldest frames of a stream
            # that falls more than 16 behind, which is not what is measured here.
            waited = time.monotonic() + 5
            while counter.total() < expected_until(first + batch, families, expected_per_event) - 8 * batch:
                if time.monotonic() > waited:
                    break
                time.sleep(0.001)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and counter.total() < expected:
        time.sleep(0.01)
    delivered = time.monotonic()
    after = {port: cpu_seconds(admin[port]) for port in ports}
    gateways_after = {pid: process_cpu_seconds(pid) for pid in gateway_pids}
    received = counter.total()
    roles = {}
    for port in ports:
        role = admin[port].call("ROLE")[0]
        roles[port] = role.decode() if isinstance(role, bytes) else role
    result = {
        "mode": args.mode,
        "masters": len(masters),
        "nodes": len(ports),
        "families": len(families),
        "events": args.events,
        "deliveries_expected": expected,
        "deliveries": received,
        "all_delivered": received >= expected,
        "seconds": round(delivered - start, 3),
        "events_per_second": round(args.events / (delivered - start), 1),
        "cpu_us_per_event": {
            "%s %d" % (roles[port], port): round((after[port] - before[port]) * 1e6 / args.events, 2) for port in ports
        },
    }
    if args.sse:
        result["streams"] = counter.count
        result["gateways"] = len(args.sse.split(","))
        result["gateway_cpu_us_per_delivery"] = {
            str(pid): round((gateways_after[pid] - gateways_before[pid]) * 1e6 / max(received, 1), 3) for pid in gateway_pids
        }
    else:
        result["gateways"] = args.gateways
    print(json.dumps(result))
    counter.stop()


def expected_until(count, families, per_event):
    whole, rest = divmod(count, len(families))
    return whole * sum(per_event.values()) + sum(per_event[f] for f in families[:rest])


def process_cpu_seconds(pid) -> float:
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RedisCounter:
    """Subscribers shaped as gateways subscribe, counting the messages they get."""

    def __init__(self, mode, masters, families, owner, gateways, user, password):
        self.counts = [0] * gateways
        self.lock = threading.Lock()
        self.subscribers = []
        for index in range(gateways):
            if mode == "classic":
                # Each gateway PSUBSCRIBEs on one node; spread them as several gateways would be.
                connection = Connection(masters[index % len(masters)], user, password)
                connection.send(("PSUBSCRIBE", "invalidate:*"))
                self.subscribers.append((index, connection, 1))
            else:
                for master in masters:
                    mine = [f for f in families if owner[f] == master]
                    if not mine:
                        continue
                    connection = Connection(master, user, password)
                    connection.send(*[("SSUBSCRIBE", "invalidate:{%s}" % f) for f in mine])
                    self.subscribers.append((index, connection, len(mine)))

    def _listen(self, index, connection, confirmations):
        for _ in range(confirmations):
            connection.reply()
        while True:
            try:
                message = connection.reply()
            except (ConnectionError, OSError):
                return
            if isinstance(message, list) and message and message[0] in (b"message", b"pmessage", b"smessage"):
                with self.lock:
                    self.counts[index] += 1

    def start(self):
        for subscriber in self.subscribers:
            threading.Thread(target=self._listen, args=subscriber, daemon=True).start()
        time.sleep(1.0)

    def total(self):
        with self.lock:
            return sum(self.counts)

    def stop(self):
        for _, connection, _ in self.subscribers:
            connection.sock.close()


class SSECounter:
    """SSE streams on the gateways, round robin over families and gateways, in one thread."""

    MARK = b"\nevent: invalidate\n"

    def __init__(self, gateways, families, tokens, count):
        self.count = count
        self.families = families
        self.per_family = {f: 0 for f in families}
        self.selector = selectors.DefaultSelector()
        self.received = 0
        self.lock = threading.Lock()
        self.running = True
        for index in range(count):
            family = families[index % len(families)]
            self.per_family[family] += 1
            host, port = gateways[index % len(gateways)].split("//", 1)[1].split(":")
            sock = socket.create_connection((host, int(port)))
            sock.sendall(
                (
                    "GET /api/events HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n"
                    % (host, port, tokens[family])
                ).encode()
            )
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, {"tail": b"", "opened": False})

    def streams_of(self, family):
        return self.per_family[family]

    def start(self):
        threading.Thread(target=self._read, daemon=True).start()
        # Every stream's opening (its id line) before the first event.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(key.data["opened"] for key in self.selector.get_map().values()):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("not every SSE stream opened within 30 s")

    def _read(self):
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                try:
                    chunk = key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.selector.unregister(key.fileobj)
                    continue
                data = key.data["tail"] + chunk
                if not key.data["opened"] and b"\nid: " in data:
                    key.data["opened"] = True
                found = data.count(self.MARK)
                # Keep a tail shorter than the mark, so a mark split over two chunks counts once.
                key.data["tail"] = data[-(len(self.MARK) - 1) :]
                if found:
                    with self.lock:
                        self.received += found

    def total(self):
        with self.lock:
            return self.received

    def stop(self):
        self.running = False


if __name__ == "__main__":
    main()
