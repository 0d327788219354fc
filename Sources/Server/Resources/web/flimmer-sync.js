// FlimmerSync's JavaScript client: the invalidation stream, one per browser, shared by its tabs.
// A dependency-free ES module, served by the gateway at /client/flimmer-sync.js.
//
// Why share: browsers allow six HTTP/1.1 connections per origin, and an EventSource holds one
// for as long as it lives. With a stream per tab, six tabs hold all six, and every other request
// to the origin (the very refetches the stream asks for) waits behind streams that never end:
// the page hears `invalidate` but can never fetch what changed. So the tabs of one browser that
// use the same token share one stream. The tab that holds a Web Lock opens it and relays what
// it hears over a BroadcastChannel; when that tab closes, is frozen or goes into the back-forward
// cache, the lock passes to another tab, which resumes with the last event id the group has seen.
//
// Where Web Locks, BroadcastChannel or SubtleCrypto are missing (an insecure origin other than
// localhost, React Native, Node) or `share: false` is given, each stream holds its own connection.
//
// `connectInvalidations` ties the stream to a TanStack Query client (web or React Native): each
// `invalidate` becomes `queryClient.invalidateQueries`, as the seed's architecture has it.

/** The states a stream reports through `onStatus`. */
export const StreamState = Object.freeze({
  /** No stream yet: the first connection is being made. */
  CONNECTING: "connecting",
  /** The stream is up; every change from now on is announced. */
  OPEN: "open",
  /** The connection was lost; the EventSource is retrying and resumes with Last-Event-ID. */
  RECONNECTING: "reconnecting",
  /** The server refused or ended the stream for good (a refused token, a cap); a new attempt follows `retryAfterCloseMs` later. */
  CLOSED: "closed",
});

/** Which part a stream plays in its browser's group of tabs. */
export const StreamRole = Object.freeze({
  /** This tab holds the group's connection and relays it. */
  LEADER: "leader",
  /** Another tab holds the connection; this one hears it through the BroadcastChannel. */
  FOLLOWER: "follower",
  /** No sharing: this stream holds a connection of its own. */
  SOLO: "solo",
});

const EVENT_TYPES = ["invalidate", "reset"];
const EVENT_SOURCE_CLOSED = 2; // EventSource.CLOSED, also for implementations that lack the constant

/**
 * The invalidation stream of one token, shared with every tab of this browser that uses the same
 * token.
 *
 * ```js
 * const stream = new SharedStream({
 *   url: "/api/events",
 *   getToken: () => token,
 *   onEvent: ({ type, data, id }) => { ... },          // "invalidate" (data parsed) or "reset"
 *   onStatus: ({ state, role }) => { ... },            // StreamState, StreamRole
 * });
 * await stream.start();
 * ...
 * stream.close();
 * ```
 */
export class SharedStream {
  #options;
  #role = StreamRole.SOLO;
  #state = StreamState.CONNECTING;
  #lastEventId = "";
  #source = null;
  #retryTimer = null;
  #channel = null;
  #lockName = null;
  #lockRequest = null; // AbortController of a pending lock request
  #releaseLock = null; // resolves the lock callback's promise: the lock passes on
  #closed = false;
  #lifecycle = [];
  #attempt = 0; // counts connection attempts: one that was superseded while it awaited stops

  /**
   * @param {object} options
   * @param {string} options.url The stream's URL, e.g. "/api/events".
   * @param {() => string | Promise<string>} options.getToken Asked before every connection: tokens expire, and a stream ends with its token.
   * @param {(event: {type: string, data: any, id: string}) => void} options.onEvent Each `invalidate` (its JSON data parsed) and `reset`.
   * @param {(status: {state: string, role: string}) => void} [options.onStatus] Each change of state or role.
   * @param {string[]} [options.keys] The query keys to hear of; all when omitted.
   * @param {boolean} [options.share=true] Share one connection among this browser's tabs of the same token.
   * @param {string} [options.lastEventId] Where to resume from, e.g. a queue's ETag without the quotes.
   * @param {typeof EventSource} [options.EventSource] An EventSource implementation where the platform has none.
   * @param {boolean} [options.tokenInHeader=false] Send the token as `Authorization: Bearer` through the EventSource's
   *   init (`{ headers }`, as Node's `eventsource` and react-native-sse take it). A browser's EventSource cannot send
   *   headers: leave it off there, and the stream is opened with a ticket.
   * @param {string | null} [options.ticketUrl] Where to trade the token for a single-use stream ticket (`POST`, token in
   *   the header), so that the token never goes in the stream's URL, where proxies and access logs keep it. Default:
   *   `url + "/ticket"`; `null` puts the token in the URL as `access_token` instead (servers without tickets).
   * @param {number} [options.reconnectMs=2000] With tickets, how long to wait (±25 %) before reconnecting after a lost
   *   connection: the EventSource's own retry would reuse a spent ticket, so the stream reconnects itself.
   * @param {number} [options.retryAfterCloseMs=5000] How long to wait after the server ended the stream for good.
   */
  constructor(options) {
    if (typeof options?.url !== "string") throw new TypeError("SharedStream needs options.url");
    if (typeof options.getToken !== "function") throw new TypeError("SharedStream needs options.getToken");
    if (typeof options.onEvent !== "function") throw new TypeError("SharedStream needs options.onEvent");
    this.#options = {
      share: true,
      retryAfterCloseMs: 5000,
      reconnectMs: 2000,
      tokenInHeader: false,
      ticketUrl: options.url + "/ticket",
      EventSource: globalThis.EventSource,
      ...options,
    };
    this.#lastEventId = options.lastEventId ?? "";
  }

  /** The stream's state (a `StreamState`). */
  get state() { return this.#state; }
  /** This tab's part in the group (a `StreamRole`). */
  get role() { return this.#role; }
  /** The last event id this tab has seen, its own or relayed. */
  get lastEventId() { return this.#lastEventId; }

  /** Joins the browser's group of tabs for this token, or connects alone where sharing is not possible. */
  async start() {
    // The token is asked for here only to name the group: where there is none, the connection asks.
    const shareKey = this.#options.share && canShare() ? await shareKeyOf(await this.#options.getToken()) : null;
    if (this.#closed) return;
    if (!shareKey) return this.#connect();
    this.#lockName = "flimmer-sync-stream:" + shareKey;
    this.#channel = new BroadcastChannel(this.#lockName);
    this.#channel.onmessage = (message) => this.#receive(message.data);
    this.#watchLifecycle();
    this.#join();
  }

  /** Ends this tab's part: a leader closes its connection and hands the stream to another tab. */
  close() {
    this.#closed = true;
    this.#stepDown();
    this.#channel?.close();
    for (const [target, type, listener] of this.#lifecycle) target.removeEventListener(type, listener);
    this.#lifecycle = [];
  }

  // --- the group -------------------------------------------------------------------------

  // Waits in the lock's queue as a follower; when the lock is granted this tab leads until the
  // callback's promise settles. Asks the leader, if there is one, for its state.
  #join() {
    this.#lockRequest = new AbortController();
    this.#setRole(StreamRole.FOLLOWER);
    navigator.locks
      .request(this.#lockName, { signal: this.#lockRequest.signal }, () => this.#lead())
      .catch((error) => {
        if (error?.name !== "AbortError") console.warn("flimmer-sync: the stream lock failed", error);
      });
    this.#channel.postMessage({ kind: "hello" });
  }

  #lead() {
    this.#lockRequest = null;
    this.#setRole(StreamRole.LEADER);
    this.#connect();
    return new Promise((resolve) => { this.#releaseLock = resolve; });
  }

  // Leaves the group's lead (or its queue): closes the connection and lets the lock pass on.
  #stepDown() {
    this.#disconnect();
    this.#lockRequest?.abort();
    this.#lockRequest = null;
    this.#releaseLock?.();
    this.#releaseLock = null;
  }

  #receive(message) {
    if (this.#role === StreamRole.LEADER) {
      if (message?.kind === "hello") this.#broadcast({ kind: "status", state: this.#state, lastEventId: this.#lastEventId });
      return;
    }
    if (message?.kind === "status") {
      if (message.lastEventId) this.#lastEventId = message.lastEventId;
      this.#setState(message.state);
    } else if (message?.kind === "event") {
      this.#deliver(message.type, message.data, message.id);
    }
  }

  // A frozen page runs no code, so a leader must hand over before it freezes (and before it
  // goes into the back-forward cache); it rejoins as a follower when it comes back.
  #watchLifecycle() {
    const listen = (target, type, listener) => {
      target.addEventListener(type, listener);
      this.#lifecycle.push([target, type, listener]);
    };
    const leave = () => {
      if (this.#closed) return;
      this.#stepDown();
      this.#setRole(StreamRole.FOLLOWER);
    };
    const rejoin = () => { if (!this.#closed && !this.#lockRequest && !this.#releaseLock) this.#join(); };
    listen(document, "freeze", leave);
    listen(document, "resume", rejoin);
    listen(window, "pagehide", (event) => { if (event.persisted) leave(); });
    listen(window, "pageshow", (event) => { if (event.persisted) rejoin(); });
  }

  // --- the connection (leader or solo) ---------------------------------------------------

  async #connect() {
    const attempt = ++this.#attempt;
    const current = () => attempt === this.#attempt && !this.#closed && this.#role !== StreamRole.FOLLOWER;
    this.#setState(this.#state === StreamState.CONNECTING ? StreamState.CONNECTING : StreamState.RECONNECTING);
    const token = await this.#options.getToken();
    if (!current()) return;
    const withTicket = !this.#options.tokenInHeader && this.#options.ticketUrl !== null;
    let source;
    if (this.#options.tokenInHeader) {
      source = new this.#options.EventSource(this.#streamURL({}), { headers: { Authorization: "Bearer " + token } });
    } else if (withTicket) {
      const ticket = await this.#ticket(token).catch(() => undefined);
      if (!current()) return;
      // No ticket: refused (the token) means wait as for a refused stream; anything else
      // (the network, a 503) is a lost connection.
      if (ticket === null) return this.#retry(StreamState.CLOSED, this.#options.retryAfterCloseMs);
      if (ticket === undefined) return this.#retry(StreamState.RECONNECTING, this.#reconnectDelay());
      source = new this.#options.EventSource(this.#streamURL({ ticket }));
    } else {
      source = new this.#options.EventSource(this.#streamURL({ access_token: token }));
    }
    this.#source = source;
    source.onopen = () => this.#setState(StreamState.OPEN);
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        this.#broadcast({ kind: "event", type, data: event.data, id: event.lastEventId });
        this.#deliver(type, event.data, event.lastEventId);
      });
    }
    source.onerror = () => {
      // Looked at once the handler returned: Node's eventsource reports a refused stream while
      // its readyState still says CONNECTING, and closes it right after.
      setTimeout(() => {
        if (this.#source !== source) return;
        const refused = source.readyState === EVENT_SOURCE_CLOSED;
        if (!refused && !withTicket) return this.#setState(StreamState.RECONNECTING);
        // An EventSource does not retry a stream the server refused (401, 429): try again later,
        // with a token asked anew; meanwhile the page's own requests tell whether it is still good.
        // With tickets it must not retry at all: it would present the spent ticket again.
        this.#disconnect();
        if (refused) this.#retry(StreamState.CLOSED, this.#options.retryAfterCloseMs);
        else this.#retry(StreamState.RECONNECTING, this.#reconnectDelay());
      }, 0);
    };
  }

  #retry(state, delayMs) {
    this.#setState(state);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  // Spread out, so that the streams of a restarted gateway do not all come back in the same instant.
  #reconnectDelay() {
    return this.#options.reconnectMs * (0.75 + Math.random() / 2);
  }

  // A ticket for one stream, bound to the token's family, user, role and to `keys`; null when the
  // server refuses the token (401, 403). Throws when the server cannot be asked or fails.
  async #ticket(token) {
    const params = new URLSearchParams();
    if (this.#options.keys) params.set("keys", this.#options.keys.join(","));
    const query = params.toString();
    const response = await fetch(this.#options.ticketUrl + (query ? "?" + query : ""), {
      method: "POST",
      headers: { Authorization: "Bearer " + token },
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) return null;
    if (!response.ok) throw new Error("the stream ticket was answered " + response.status);
    const { ticket } = await response.json();
    if (typeof ticket !== "string") throw new Error("the stream ticket answer holds no ticket");
    return ticket;
  }

  #disconnect() {
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#source?.close();
    this.#source = null;
  }

  // `credential`: { ticket } or { access_token }, or nothing when the token goes in a header. A
  // ticket carries its keys; otherwise they go here. Last-Event-ID is the group's, so a tab that
  // takes over resumes where the last leader stopped; the browser sends the header itself on its
  // own reconnects, and the server prefers the header.
  #streamURL(credential) {
    const params = new URLSearchParams(credential);
    if (this.#options.keys && !credential.ticket) params.set("keys", this.#options.keys.join(","));
    if (this.#lastEventId) params.set("lastEventId", this.#lastEventId);
    const query = params.toString();
    if (!query) return this.#options.url;
    return this.#options.url + (this.#options.url.includes("?") ? "&" : "?") + query;
  }

  // --- reporting -------------------------------------------------------------------------

  #deliver(type, data, id) {
    if (id) this.#lastEventId = id;
    let parsed = data;
    if (type === "invalidate") {
      try { parsed = JSON.parse(data); } catch { return; }
    }
    this.#options.onEvent({ type, data: parsed, id });
  }

  #broadcast(message) {
    if (this.#role === StreamRole.LEADER) this.#channel?.postMessage(message);
  }

  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#broadcast({ kind: "status", state, lastEventId: this.#lastEventId });
    this.#report();
  }

  #setRole(role) {
    if (role === this.#role) return;
    this.#role = role;
    this.#report();
  }

  #report() {
    this.#options.onStatus?.({ state: this.#state, role: this.#role });
  }
}

/**
 * Connects the invalidation stream to a TanStack Query client: the server says what is stale,
 * React Query refetches it in the background.
 *
 * ```js
 * const sync = connectInvalidations(queryClient, { url: "/api/events", getToken });
 * // ...
 * sync.close();
 * ```
 *
 * - each `invalidate` calls `queryClient.invalidateQueries({ queryKey })`, with `[key]` as the
 *   query key (`keyMap(key, data)` for other shapes; return null to ignore a key);
 * - invalidations that come less than `collapseMs` apart are gathered, one call per query key
 *   once they pause, and at most `maxWaitMs` after the first: a burst makes one call or a few;
 * - a `reset`, and every reconnection after the stream had been open (a restart, a failover, a
 *   token replaced), invalidates every query: what was missed meanwhile is not known;
 * - the stream resumes with Last-Event-ID, and asks `getToken` before every connection.
 *
 * Every option of `SharedStream` applies (`EventSource`, `tokenInHeader`, `share`, `keys`,
 * `lastEventId`, `retryAfterCloseMs`), except `onEvent`, which this function provides.
 *
 * @param {{ invalidateQueries: (filters?: { queryKey: unknown[] }) => unknown }} queryClient
 * @param {object} options `SharedStream`'s options, and:
 * @param {(key: string, data: object) => unknown[] | null} [options.keyMap] The query key of an invalidated key.
 * @param {number} [options.collapseMs=100] The pause that ends a burst of invalidations.
 * @param {number} [options.maxWaitMs=1000] The longest an invalidation waits for its burst to end.
 * @returns {{ close(): void, reconnect(): void, readonly lastEventId: string }}
 */
export function connectInvalidations(queryClient, options) {
  if (typeof queryClient?.invalidateQueries !== "function") throw new TypeError("connectInvalidations needs a QueryClient");
  const { keyMap, collapseMs = 100, maxWaitMs = 1000, onStatus, onEvent: _ignored, ...streamOptions } = options ?? {};
  const pending = new Map(); // JSON of a query key -> the query key
  let timer = null;
  let firstPendingAt = 0;
  let everOpen = false;
  let lastState = null;

  const flush = () => {
    timer = null;
    firstPendingAt = 0;
    const queryKeys = [...pending.values()];
    pending.clear();
    for (const queryKey of queryKeys) queryClient.invalidateQueries({ queryKey });
  };
  const invalidateAll = () => {
    clearTimeout(timer);
    timer = null;
    firstPendingAt = 0;
    pending.clear();
    queryClient.invalidateQueries();
  };
  const onEvent = ({ type, data }) => {
    if (type === "reset") return invalidateAll();
    if (typeof data?.key !== "string") return;
    const queryKey = keyMap ? keyMap(data.key, data) : [data.key];
    if (!Array.isArray(queryKey)) return;
    pending.set(JSON.stringify(queryKey), queryKey);
    // Called once things are quiet for collapseMs, but never later than maxWaitMs after the first.
    const now = Date.now();
    firstPendingAt ||= now;
    clearTimeout(timer);
    timer = setTimeout(flush, Math.max(0, Math.min(collapseMs, firstPendingAt + maxWaitMs - now)));
  };
  const onStreamStatus = (status) => {
    if (status.state === StreamState.OPEN && lastState !== StreamState.OPEN && everOpen) invalidateAll();
    if (status.state === StreamState.OPEN) everOpen = true;
    lastState = status.state;
    onStatus?.(status);
  };
  const open = (lastEventId) => {
    const stream = new SharedStream({ ...streamOptions, lastEventId, onEvent, onStatus: onStreamStatus });
    stream.start().catch((error) => console.warn("flimmer-sync: the stream did not start", error));
    return stream;
  };

  let stream = open(streamOptions.lastEventId);
  return {
    /** Closes the stream; no more invalidations. */
    close() {
      stream.close();
      clearTimeout(timer);
      timer = null;
    },
    /** Closes the stream and opens it again from the last event id (say, when an app comes back to the foreground). */
    reconnect() {
      const lastEventId = stream.lastEventId || streamOptions.lastEventId;
      stream.close();
      lastState = null; // the new stream's opening counts as a reconnection
      stream = open(lastEventId);
    },
    /** The last event id heard: where a new stream resumes. */
    get lastEventId() {
      return stream.lastEventId;
    },
  };
}

// Tabs share a stream only when they use the same token: a parent and a child signed in side by
// side never hear each other's events. The lock and channel names carry a digest of the token,
// never the token. `canShare` says whether this platform can share at all.
function canShare() {
  const { navigator, BroadcastChannel, crypto } = globalThis;
  if (!navigator?.locks || typeof BroadcastChannel !== "function" || !crypto?.subtle) return false;
  return typeof document !== "undefined" && typeof window !== "undefined";
}

async function shareKeyOf(token) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest).slice(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
