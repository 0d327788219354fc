// connectInvalidations (Sources/Server/Resources/web/flimmer-sync.js) against a live gateway, with
// Node's EventSource (Debian's node-eventsource) and a recorder shaped like a TanStack QueryClient.
// Run by scripts/js-test, which sets FLIMMER_BIN (a built flimmer-sync) and FLIMMER_REDIS_URL.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { connectInvalidations, StreamState } from "../../Sources/Server/Resources/web/flimmer-sync.js";

const EventSource = createRequire(import.meta.url)("eventsource");
const BIN = process.env.FLIMMER_BIN;
const REDIS_URL = process.env.FLIMMER_REDIS_URL;
if (!BIN || !REDIS_URL) throw new Error("FLIMMER_BIN and FLIMMER_REDIS_URL must be set (scripts/js-test sets them)");

let port;
let gateway;
const base = () => `http://127.0.0.1:${port}`;

// A port below the kernel's ephemeral range (scripts/lib.sh restart_port): the gateway is
// restarted on it, and a port the kernel picks could meanwhile become the local port of an
// outgoing connection.
function restartPort() {
  const lib = new URL("../lib.sh", import.meta.url).pathname;
  return Number(execFileSync("bash", ["-c", 'source "$0" && restart_port', lib], { encoding: "utf8" }).trim());
}

async function startGateway() {
  gateway = spawn(BIN, ["serve", "--dev", "--port", String(port), "--log-level", "warning"], {
    env: { ...process.env, REDIS_URL },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(base() + "/health/ready")).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error("the gateway did not become ready");
}

async function stopGateway() {
  if (!gateway || gateway.exitCode !== null) return;
  const exited = new Promise((resolve) => gateway.once("exit", resolve));
  gateway.kill("SIGTERM");
  await exited;
}

// Minting runs the CLI synchronously, which stalls this process's event loop: each token is
// made once, and bursts use tokens made beforehand.
const tokens = new Map();
function token(family, user, role, ttl = 3600) {
  const key = [family, user, role, ttl].join(" ");
  if (!tokens.has(key)) {
    const args = ["token", "--dev", "--family", family, "--user", user, "--role", role, "--ttl", String(ttl)];
    tokens.set(key, execFileSync(BIN, args).toString().trim());
  }
  return tokens.get(key);
}

let families = 0;
function newFamily() {
  return `js-${process.pid}-${Date.now().toString(36)}-${families++}`;
}

async function upload(family, title = "a video") {
  const response = await fetch(base() + "/api/content/upload", {
    method: "POST",
    headers: { Authorization: "Bearer " + token(family, "kid", "child"), "Content-Type": "application/json" },
    body: JSON.stringify({ title }),
  });
  assert.equal(response.status, 200, `upload answered ${response.status}: ${await response.text()}`);
}

/** A QueryClient as far as the module uses one: it records each invalidateQueries call. */
class RecordingQueryClient {
  calls = [];
  invalidateQueries(filters) {
    this.calls.push({ filters, at: Date.now() });
  }
  keyed(key) {
    return this.calls.filter((call) => JSON.stringify(call.filters?.queryKey) === JSON.stringify([key]));
  }
  everything() {
    return this.calls.filter((call) => call.filters === undefined);
  }
}

async function until(condition, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + (typeof what === "function" ? what() : what));
    await sleep(10);
  }
}

/** Connects as a parent of `family`, the token in the header; resolves once the stream is open. */
async function connect(queryClient, family, extra = {}) {
  const states = [];
  const sync = connectInvalidations(queryClient, {
    url: base() + "/api/events",
    getToken: () => token(family, "mum", "parent"),
    EventSource,
    tokenInHeader: true,
    retryAfterCloseMs: 200,
    onStatus: ({ state }) => states.push(state),
    ...extra,
  });
  await until(() => states.includes(StreamState.OPEN), "the stream to open");
  return { sync, states };
}

before(async () => {
  port = restartPort();
  await startGateway();
});

after(async () => {
  await stopGateway();
});

test("an upload invalidates ['contentQueue'] within a second", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  const { sync } = await connect(queryClient, family);
  try {
    const sent = Date.now();
    await upload(family);
    await until(() => queryClient.keyed("contentQueue").length > 0, "the invalidation", 1000);
    assert.ok(queryClient.keyed("contentQueue")[0].at - sent <= 1000);
    assert.equal(queryClient.everything().length, 0, "nothing else invalidated");
  } finally {
    sync.close();
  }
});

test("a burst of 50 invalidations makes a few calls", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  const { sync } = await connect(queryClient, family);
  try {
    token(family, "kid", "child");
    await Promise.all(Array.from({ length: 50 }, (_, index) => upload(family, `video ${index}`)));
    await until(() => queryClient.keyed("contentQueue").length > 0, "the invalidations");
    await sleep(500);
    const calls = queryClient.keyed("contentQueue").length;
    assert.ok(calls >= 1 && calls <= 5, `${calls} calls for 50 uploads`);
  } finally {
    sync.close();
  }
});

test("a reset invalidates every query", async () => {
  const family = newFamily();
  await upload(family);
  const queryClient = new RecordingQueryClient();
  // An id from a history the family never had: the gateway answers with a reset.
  const { sync } = await connect(queryClient, family, { lastEventId: "0123456789abcdef-7" });
  try {
    await until(() => queryClient.everything().length > 0, "the reset's invalidation");
  } finally {
    sync.close();
  }
});

test("after a gateway restart the stream resumes with Last-Event-ID and invalidates everything", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  const { sync, states } = await connect(queryClient, family);
  try {
    await upload(family);
    await until(() => sync.lastEventId !== "", "an event id");
    const idBefore = sync.lastEventId;
    await stopGateway();
    await upload(family).catch(() => {}); // refused: the gateway is down, Redis is not written
    await startGateway();
    await until(() => states.lastIndexOf(StreamState.OPEN) > states.indexOf(StreamState.RECONNECTING) && states.includes(StreamState.RECONNECTING), "the stream to reopen", 10000);
    await until(() => queryClient.everything().length > 0, "the reconnection's invalidation");
    assert.equal(sync.lastEventId.split("-")[0], idBefore.split("-")[0], "the same history");
    await upload(family, "after the restart");
    await until(() => sync.lastEventId !== idBefore, "the next event");
  } finally {
    sync.close();
  }
});

test("an expired token is replaced through getToken", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  let asked = 0;
  // The first token lives 1 s, and the gateway honours it for 30 s more (clock skew): its stream
  // ends then, the EventSource's retry with it is refused, and the next connection asks anew.
  const { sync, states } = await connect(queryClient, family, {
    getToken: () => token(family, "mum", "parent", asked++ === 0 ? 1 : 3600),
  });
  try {
    await until(() => asked >= 2 && states.filter((state) => state === StreamState.OPEN).length >= 2, () => `a second stream on a new token (asked ${asked}, states ${states.join(",")})`, 45000);
    assert.ok(states.includes(StreamState.CLOSED), "the old token was refused");
    assert.ok(queryClient.everything().length > 0, "the reconnection invalidated everything");
    const before = queryClient.keyed("contentQueue").length;
    await upload(family);
    await until(() => queryClient.keyed("contentQueue").length > before, "the invalidation on the new token");
  } finally {
    sync.close();
  }
});

test("without headers the stream opens with single-use tickets: the token is never in a URL, and a restart takes a new ticket", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  const urls = [];
  // A browser's EventSource as far as this goes: it is given a URL and nothing else.
  class URLOnlyEventSource extends EventSource {
    constructor(url) {
      urls.push(url);
      super(url);
    }
  }
  const { sync, states } = await connect(queryClient, family, { EventSource: URLOnlyEventSource, tokenInHeader: false, reconnectMs: 200 });
  try {
    await upload(family);
    await until(() => queryClient.keyed("contentQueue").length > 0, "the invalidation");
    await stopGateway();
    await startGateway();
    await until(() => states.lastIndexOf(StreamState.OPEN) > states.indexOf(StreamState.RECONNECTING) && states.includes(StreamState.RECONNECTING), "the stream to reopen", 10000);
    await until(() => queryClient.everything().length > 0, "the reconnection's invalidation");
    const before = queryClient.keyed("contentQueue").length;
    await upload(family, "after the restart");
    await until(() => queryClient.keyed("contentQueue").length > before, "the invalidation on the new stream");
    const token = tokens.get([family, "mum", "parent", 3600].join(" "));
    assert.ok(urls.length >= 2, `${urls.length} connections`);
    for (const url of urls) {
      assert.ok(!url.includes(token) && !url.includes("access_token"), `a token in ${url}`);
      assert.match(url, /[?&]ticket=[0-9a-f]{64}(&|$)/);
    }
    assert.equal(new Set(urls.map((url) => new URL(url).searchParams.get("ticket"))).size, urls.length, "each connection had a ticket of its own");
    // A spent ticket is refused.
    const spent = await fetch(urls[0].replace(/&?lastEventId=[^&]*/, ""));
    assert.equal(spent.status, 401);
  } finally {
    sync.close();
  }
});

// The React Native wiring of docs/clients.md, with stand-ins for what only React Native has:
// AppState (an emitter of "change") and TanStack's focusManager (a recorder). The lines inside
// the listener are the snippet's.
test("the React Native wiring: closed in the background, resumed from its last id on active", async () => {
  const family = newFamily();
  const queryClient = new RecordingQueryClient();
  const events = new EventEmitter();
  const AppState = { addEventListener: (type, listener) => events.on(type, listener) };
  const focused = [];
  const focusManager = { setFocused: (value) => focused.push(value) };
  const connected = await connect(queryClient, family);
  const { states } = connected;
  let sync = connected.sync;
  AppState.addEventListener("change", (state) => {
    focusManager.setFocused(state === "active");
    if (state === "active") sync.reconnect(); else sync.close();
  });
  try {
    await upload(family, "in the foreground");
    await until(() => queryClient.keyed("contentQueue").length === 1, "the first invalidation");
    assert.match(sync.lastEventId, /-1$/);

    events.emit("change", "background");
    await upload(family, "while in the background");
    await sleep(500);
    assert.equal(queryClient.keyed("contentQueue").length, 1, "a closed stream invalidates nothing");
    assert.equal(queryClient.everything().length, 0);

    const opened = states.filter((state) => state === StreamState.OPEN).length;
    events.emit("change", "active");
    await until(() => states.filter((state) => state === StreamState.OPEN).length > opened, "the stream to reopen");
    await until(() => queryClient.everything().length === 1, "everything invalidated on the way back");
    // It resumed from its last id: the gateway caught it up to the upload made in the background.
    await until(() => /-2$/.test(sync.lastEventId), () => `the id of version 2, not ${sync.lastEventId}`);
    const before = queryClient.keyed("contentQueue").length;
    await upload(family, "after coming back");
    await until(() => queryClient.keyed("contentQueue").length > before, "the invalidation after coming back");
    assert.match(sync.lastEventId, /-3$/);
    assert.deepEqual(focused, [false, true]);
  } finally {
    sync.close();
  }
});
