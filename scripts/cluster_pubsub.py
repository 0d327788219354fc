#!/usr/bin/env python3
"""Redis-side cost of FlimmerSync's invalidations on a Redis Cluster, classic against sharded.

Used by scripts/bench (MATRIX=cluster). Publishes EVENTS invalidations over FAMILIES families
the way the gateway's mutations do (on the master of each family's slot: PUBLISH
invalidate:contentQueue in classic mode, SPUBLISH invalidate:{F} in sharded mode), with
GATEWAYS subscribers shaped as gateways subscribe (classic: one PSUBSCRIBE invalidate:* each, on
one node; sharded: one SSUBSCRIBE per family, on the master that serves it, one connection per
master). It waits until every subscriber has every event, and prints one JSON object: the
events per second delivered and the CPU (user + sys, from INFO cpu) each node spent per event.

No gateway and no SSE client take part: this is what Redis itself pays in each mode.
"""
import argparse
import json
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
    args = parser.parse_args()
    args.password = args.password or os.environ.get("REDIS_PASSWORD")
    if not args.password:
        parser.error("--password or REDIS_PASSWORD is required")

    ports = [int(p) for p in args.ports.split(",")]
    admin = {port: Connection(port, args.user, args.password) for port in ports}
    owners = {}
    for entry in admin[ports[0]].call("CLUSTER", "SLOTS"):
        for number in range(entry[0], entry[1] + 1):
            owners[number] = entry[2][1]
    masters = sorted(set(owners.values()))
    families = ["bench-%d" % i for i in range(args.families)]
    owner = {f: owners[slot("{%s}" % f)] for f in families}

    counts = [0] * args.gateways
    lock = threading.Lock()
    subscribers = []

    def listen(index, connection, expected_confirmations):
        for _ in range(expected_confirmations):
            connection.reply()
        while True:
            try:
                message = connection.reply()
            except (ConnectionError, OSError):
                return
            if isinstance(message, list) and message and message[0] in (b"message", b"pmessage", b"smessage"):
                with lock:
                    counts[index] += 1

    for index in range(args.gateways):
        if args.mode == "classic":
            # Each gateway PSUBSCRIBEs on one node; spread them as several gateways would be.
            connection = Connection(masters[index % len(masters)], args.user, args.password)
            connection.send(("PSUBSCRIBE", "invalidate:*"))
            subscribers.append((index, connection, 1))
        else:
            for master in masters:
                mine = [f for f in families if owner[f] == master]
                connection = Connection(master, args.user, args.password)
                connection.send(*[("SSUBSCRIBE", "invalidate:{%s}" % f) for f in mine])
                subscribers.append((index, connection, len(mine)))
    threads = [threading.Thread(target=listen, args=s, daemon=True) for s in subscribers]
    for thread in threads:
        thread.start()
    time.sleep(1.0)

    publishers = {master: Connection(master, args.user, args.password) for master in masters}
    payload = '{"key":"contentQueue","family":"%s","version":%d,"reason":"bench"}'
    before = {port: cpu_seconds(admin[port]) for port in ports}
    start = time.monotonic()
    batch = 200
    for first in range(0, args.events, batch):
        pending = {}
        for number in range(first, min(first + batch, args.events)):
            family = families[number % len(families)]
            if args.mode == "classic":
                command = ("PUBLISH", "invalidate:contentQueue", payload % (family, number))
            else:
                command = ("SPUBLISH", "invalidate:{%s}" % family, payload % (family, number))
            pending.setdefault(owner[family], []).append(command)
        for master, commands in pending.items():
            publishers[master].send(*commands)
        for master, commands in pending.items():
            for _ in commands:
                publishers[master].reply()
    published = time.monotonic()
    deadline = published + args.timeout
    while time.monotonic() < deadline:
        with lock:
            if all(count >= args.events for count in counts):
                break
        time.sleep(0.01)
    delivered = time.monotonic()
    after = {port: cpu_seconds(admin[port]) for port in ports}
    with lock:
        received = list(counts)
    roles = {}
    for port in ports:
        role = admin[port].call("ROLE")[0]
        roles[port] = role.decode() if isinstance(role, bytes) else role
    print(
        json.dumps(
            {
                "mode": args.mode,
                "masters": len(masters),
                "nodes": len(ports),
                "families": args.families,
                "gateways": args.gateways,
                "events": args.events,
                "received_per_gateway": received,
                "all_delivered": all(count >= args.events for count in received),
                "seconds": round(delivered - start, 3),
                "events_per_second": round(args.events / (delivered - start), 1),
                "cpu_us_per_event": {
                    "%s %d" % (roles[port], port): round((after[port] - before[port]) * 1e6 / args.events, 2) for port in ports
                },
            }
        )
    )


if __name__ == "__main__":
    main()
