// FlimmerSync's parent dashboard and child upload page: plain modules, no build step.
//
// Stale-while-revalidate: every query shows what sessionStorage last held at once, then
// revalidates with If-None-Match. It refetches on each `invalidate` or `reset` from the event
// stream, when the stream (re)connects, when the browser comes back online and when the page
// becomes visible again. It never polls while the stream is healthy.
//
// The stream is shared by all of this browser's tabs of the same token (flimmer-sync.js says
// why); each tab keeps its own cache and refetches on what the stream relays.

import { SharedStream, StreamState } from "/client/flimmer-sync.js";

const TOKEN_KEY = "flimmer.token";

// --- sign-in -----------------------------------------------------------------------------

// A token in the URL fragment (/#token=…) never reaches the server or its logs; it is moved
// to sessionStorage and the fragment is dropped from the address bar.
function takeTokenFromFragment() {
  const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (!match) return;
  useToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

// A different token may be a different person: what the last one cached must not show.
function useToken(token) {
  if (sessionStorage.getItem(TOKEN_KEY) !== token) sessionStorage.clear();
  sessionStorage.setItem(TOKEN_KEY, token);
}

// The token's claims, for choosing the view only: the server checks every request itself.
function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    return typeof claims.role === "string" && typeof claims.fam === "string" ? claims : null;
  } catch {
    return null;
  }
}

function signOut(message) {
  sessionStorage.clear();
  location.hash = "";
  showSignIn(message);
}

// --- queries (stale-while-revalidate) ----------------------------------------------------

class Query {
  // `key` names the cache entry; `invalidatedBy` is the invalidation key that makes it stale.
  constructor(key, url, token, invalidatedBy) {
    this.key = key;
    this.invalidatedBy = invalidatedBy;
    this.url = url;
    this.token = token;
    this.listeners = new Set();
    this.inFlight = null;
    this.again = false;
    // When the oldest unanswered revalidation was asked (null: none waits), and why the last
    // one failed (null: it did not). The badge reads both: an announced change this tab has
    // not fetched means its data is stale, whatever the stream says.
    this.waitingSince = null;
    this.failure = null;
    this.retryTimer = null;
    const saved = sessionStorage.getItem("flimmer.cache." + key);
    this.entry = saved ? JSON.parse(saved) : null;
  }

  // Calls `listener(data, state)` with the cached data at once (state "cached"), then after
  // each revalidation ("fresh").
  subscribe(listener) {
    this.listeners.add(listener);
    if (this.entry) listener(this.entry.data, "cached");
  }

  // One request at a time. A revalidation asked while one runs makes exactly one more follow
  // it: the running request may have read the state from before the change that was announced.
  revalidate() {
    this.waitingSince ??= Date.now();
    clearTimeout(this.retryTimer);
    setTimeout(showConnection, STALE_AFTER_MS);
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        await this.fetch();
      } while (this.again);
    })().finally(() => {
      this.inFlight = null;
      if (this.failure) {
        // Keep trying while the data may be stale; any later revalidation replaces this one.
        this.retryTimer = setTimeout(() => this.revalidate(), RETRY_FAILED_FETCH_MS);
      } else {
        this.waitingSince = null;
      }
      showConnection();
    });
    return this.inFlight;
  }

  async fetch() {
    const headers = { Authorization: "Bearer " + this.token };
    if (this.entry?.etag) headers["If-None-Match"] = this.entry.etag;
    let response;
    try {
      // no-store: the browser's own cache must not answer for us; the ETag is ours.
      response = await fetch(this.url, { headers, cache: "no-store" });
    } catch {
      this.failure = "the network request failed"; // keep showing what we have
      return;
    }
    if (response.status === 304 && this.entry) {
      this.failure = null;
      this.notify("fresh");
      return;
    }
    if (response.status === 401) return signOut("Your token was refused or has expired.");
    if (!response.ok) {
      this.failure = await errorText(response);
      return showError(this.failure);
    }
    this.entry = { data: await response.json(), etag: response.headers.get("ETag") };
    this.failure = null;
    sessionStorage.setItem("flimmer.cache." + this.key, JSON.stringify(this.entry));
    this.notify("fresh");
  }

  notify(state) {
    for (const listener of this.listeners) listener(this.entry.data, state);
  }
}

const queries = new Map();

// A revalidation not answered within this long turns the badge from "live" to "stale".
const STALE_AFTER_MS = 3000;
const RETRY_FAILED_FETCH_MS = 5000;

function revalidateAll() {
  for (const query of queries.values()) query.revalidate();
}

// An invalidation names a key; the queries it makes stale revalidate, the others stay.
function revalidateKey(key) {
  for (const query of queries.values()) {
    if (query.invalidatedBy === key) query.revalidate();
  }
}

// --- the live stream -------------------------------------------------------------------

let stream = null;

function connect(token) {
  stream = new SharedStream({
    url: "/api/events",
    getToken: () => token,
    onEvent: ({ type, data }) => {
      if (type === "invalidate") revalidateKey(data.key);
      else revalidateAll();
    },
    onStatus: ({ state }) => {
      // (Re)connected: what changed while the stream was down is fetched now. Refused for good:
      // whether the token is still good shows in a fetch, and a 401 there signs out instead of
      // retrying a dead token forever.
      if (state === StreamState.OPEN || state === StreamState.CLOSED) revalidateAll();
      showConnection();
    },
  });
  showConnection();
  stream.start();
}

// The badge never says "live" unless the stream is up *and* every refetch it asked for has
// answered: a stream that announces changes this tab cannot fetch is not live.
function connectionState() {
  if (!navigator.onLine || !stream || stream.state === StreamState.CLOSED) return ["offline", "Offline: showing the last copy this tab saved."];
  if (stream.state !== StreamState.OPEN) return ["reconnecting", "Reconnecting to live updates; this list may be out of date."];
  const now = Date.now();
  for (const query of queries.values()) {
    if (query.waitingSince !== null && query.failure) {
      return ["stale", `This list may be out of date: refreshing it failed (${query.failure}); trying again.`];
    }
    if (query.waitingSince !== null && now - query.waitingSince >= STALE_AFTER_MS) {
      const seconds = Math.round((now - query.waitingSince) / 1000);
      return ["stale", `This list may be out of date: a change was announced ${seconds} s ago and refreshing has not answered yet.`];
    }
  }
  return ["live", ""];
}

function showConnection() {
  const [state, words] = connectionState();
  const badge = document.getElementById("connection");
  if (badge.dataset.state !== state) {
    badge.dataset.state = state;
    badge.textContent = state;
  }
  badge.dataset.role = stream?.role ?? "";
  const detail = document.getElementById("connection-detail");
  if (detail.textContent !== words) detail.textContent = words;
  detail.hidden = words === "";
  // While stale the words count the seconds; nothing else would redraw them.
  clearTimeout(showConnection.timer);
  if (state === "stale") showConnection.timer = setTimeout(showConnection, 1000);
}

// --- views -----------------------------------------------------------------------------

function showParent(token) {
  const queue = new Query("contentQueue", "/api/content/queue", token, "contentQueue");
  queries.set(queue.key, queue);
  queue.subscribe((data, state) => renderQueue(data, token, state));
  queue.revalidate();
  showHistory(token);
  document.getElementById("parent").hidden = false;
  // "sent 2 min ago" ages without a refetch.
  setInterval(() => {
    for (const node of document.querySelectorAll("time[data-relative]")) node.textContent = ago(node.dateTime, node.dataset.relative);
  }, 30000);
}

let shownIds = null; // the queue's ids last drawn: what is new is announced

function renderQueue(data, token, state) {
  document.getElementById("queue-version").textContent = data.version;
  document.getElementById("queue-empty").hidden = data.items.length > 0;
  if (shownIds && state === "fresh") {
    const arrived = data.items.filter((item) => !shownIds.has(item.id));
    if (arrived.length === 1) announce(`New video from ${arrived[0].childId}: ${arrived[0].title}`);
    else if (arrived.length > 1) announce(`${arrived.length} new videos wait for approval`);
  }
  shownIds = new Set(data.items.map((item) => item.id));
  const list = document.getElementById("queue");
  list.replaceChildren(...data.items.map((item) => {
    const row = element("li", { "data-id": item.id });
    row.append(element("span", { class: "title" }, item.title));
    row.append(element("span", { class: "status", "data-status": item.status }, "from " + item.childId));
    row.append(when("sent", item.createdAt));
    for (const decision of ["approve", "reject"]) {
      const label = decision === "approve" ? "Approve" : "Reject";
      const button = element("button", { class: decision, "aria-label": `${label} “${item.title}”` }, label);
      button.addEventListener("click", () => decide(item, decision, token, button));
      row.append(button);
    }
    const facts = [];
    if (item.durationSeconds != null) facts.push(duration(item.durationSeconds));
    if (item.description) facts.push(item.description);
    if (facts.length) row.append(element("p", { class: "details" }, facts.join(" · ")));
    const video = player(item);
    if (video) row.append(video);
    return row;
  }));
}

// An inline player for http(s) videos only; the CSP's media-src says the same to the browser.
function player(item) {
  let url;
  try {
    url = new URL(item.videoUrl ?? "");
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const video = element("video", { controls: "", preload: "metadata", src: url.href, "aria-label": `Video: ${item.title}` });
  return video;
}

// --- the history (approved or rejected, newest first, page by page) ----------------------

function showHistory(token) {
  let status = "approved";
  let older = []; // pages fetched with "Show older": not cached, dropped when the first page changes
  let next = null;
  const render = () => {
    const data = queries.get("history-" + status)?.entry?.data;
    if (!data) return;
    const items = [...data.items, ...older];
    document.getElementById("history-empty").hidden = items.length > 0;
    document.getElementById("history").replaceChildren(...items.map(historyRow));
    const more = document.getElementById("history-more");
    more.hidden = next === null;
  };
  for (const which of ["approved", "rejected"]) {
    const query = new Query("history-" + which, `/api/content/history?status=${which}&limit=20`, token, "contentQueue");
    queries.set(query.key, query);
    query.subscribe((data) => {
      if (which !== status) return;
      older = [];
      next = data.nextCursor;
      render();
    });
  }
  for (const which of ["approved", "rejected"]) {
    document.getElementById("history-" + which).addEventListener("click", () => {
      status = which;
      for (const other of ["approved", "rejected"]) {
        document.getElementById("history-" + other).setAttribute("aria-pressed", String(other === which));
      }
      const query = queries.get("history-" + which);
      older = [];
      next = query.entry?.data.nextCursor ?? null;
      render();
      query.revalidate();
    });
  }
  document.getElementById("history-more").addEventListener("click", async () => {
    if (next === null) return;
    const response = await fetch(`/api/content/history?status=${status}&limit=20&cursor=${next}`, {
      headers: { Authorization: "Bearer " + token },
      cache: "no-store",
    });
    if (!response.ok) return showError(await errorText(response));
    const page = await response.json();
    older.push(...page.items);
    next = page.nextCursor;
    render();
  });
  queries.get("history-approved").revalidate();
  queries.get("history-rejected").revalidate();
}

function historyRow(item) {
  const row = element("li", { "data-id": item.id });
  row.append(element("span", { class: "title" }, item.title));
  row.append(element("span", { class: "status", "data-status": item.status }, `${item.status} by ${item.decidedBy ?? "?"}`));
  if (item.decidedAt) row.append(when("", item.decidedAt));
  if (item.rejectReason) row.append(element("p", { class: "details reason" }, item.rejectReason));
  return row;
}

async function decide(item, decision, token, button) {
  button.disabled = true;
  const response = await mutate(`/api/content/${encodeURIComponent(item.id)}/${decision}`, token);
  if (!response.ok) {
    button.disabled = false;
    return showError(await errorText(response));
  }
  announce(`${decision === "approve" ? "Approved" : "Rejected"} “${item.title}”`);
  // The invalidation will come over the stream too; this makes the click feel instant.
  revalidateKey("contentQueue");
}

// Every content mutation advances the family's contentQueue version, decisions on this
// child's items included, so that key's invalidations are the ones that make "mine" stale.
function showChild(token) {
  document.getElementById("child").hidden = false;
  const mine = new Query("mine", "/api/content/mine", token, "contentQueue");
  queries.set(mine.key, mine);
  mine.subscribe((data) => renderMine(data));
  mine.revalidate();
  document.getElementById("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("upload-title");
    const response = await mutate("/api/content/upload", token, { title: input.value });
    if (!response.ok) return showError(await errorText(response));
    input.value = "";
    // The invalidation will come over the stream too; this makes the upload show at once.
    mine.revalidate();
  });
}

function renderMine(data) {
  document.getElementById("mine-empty").hidden = data.items.length > 0;
  const more = document.getElementById("mine-more");
  more.hidden = data.total <= data.items.length;
  more.textContent = `Showing the newest ${data.items.length} of ${data.total}.`;
  document.getElementById("mine").replaceChildren(...data.items.map((item) => {
    const row = element("li", { "data-id": item.id });
    row.append(element("span", { class: "title" }, item.title));
    row.append(element("span", { class: "status", "data-status": item.status }, item.status));
    if (item.rejectReason) row.append(element("span", { class: "reason" }, item.rejectReason));
    return row;
  }));
}

function showSignIn(message) {
  for (const id of ["parent", "child"]) document.getElementById(id).hidden = true;
  document.getElementById("sign-in").hidden = false;
  document.getElementById("sign-out").hidden = true;
  const error = document.getElementById("sign-in-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  stream?.close();
  stream = null;
  for (const query of queries.values()) clearTimeout(query.retryTimer);
  queries.clear();
  showConnection();
}

function showError(message) {
  const error = document.getElementById("error");
  error.textContent = message;
  error.hidden = false;
}

// A mutation with an Idempotency-Key of its own, retried with the same key when the answer was
// lost (a network error) or the server asks for it (503 with Retry-After: Redis unavailable, or
// a write the replicas did not confirm in time during a failover). The server answers a retry
// from the first success's record, so a click is written once however often it is sent.
async function mutate(url, token, body) {
  const key = crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const headers = { Authorization: "Bearer " + token, "Idempotency-Key": key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const init = { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) };
  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    if (response && (response.status !== 503 || attempt >= 5)) return response;
    const seconds = Number(response?.headers.get("Retry-After")) || 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 5) * 1000 * attempt));
  }
}

async function errorText(response) {
  try {
    return (await response.json()).error.message;
  } catch {
    return `the server answered ${response.status}`;
  }
}

// Says `text` to screen readers (a polite live region); sighted users see the change itself.
function announce(text) {
  const region = document.getElementById("announcer");
  // The same words twice in a row are announced again only if the region changes in between.
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

// "sent 2 min ago", with the exact time for whoever hovers or asks.
function when(verb, iso) {
  return element("time", { class: "when", datetime: iso, title: new Date(iso).toLocaleString(), "data-relative": verb }, ago(iso, verb));
}

function ago(iso, verb) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  let text;
  if (seconds < 60) text = "just now";
  else if (seconds < 3600) text = `${Math.floor(seconds / 60)} min ago`;
  else if (seconds < 86400) text = `${Math.floor(seconds / 3600)} h ago`;
  else text = `${Math.floor(seconds / 86400)} d ago`;
  return verb ? `${verb} ${text}` : text;
}

function duration(seconds) {
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// Text only (never innerHTML): titles and names come from users.
function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- start -----------------------------------------------------------------------------

function start() {
  takeTokenFromFragment();
  document.getElementById("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useToken(document.getElementById("token-input").value.trim());
    location.reload();
  });
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  const token = sessionStorage.getItem(TOKEN_KEY);
  const claims = token && claimsOf(token);
  if (!claims || (claims.role !== "parent" && claims.role !== "child")) {
    return showSignIn(token ? "This token is not a parent's or a child's." : null);
  }
  document.getElementById("who").textContent = `${claims.sub} · ${claims.role} · family ${claims.fam}`;
  document.getElementById("sign-out").hidden = false;
  if (claims.role === "parent") showParent(token); else showChild(token);
  window.addEventListener("online", () => { showConnection(); revalidateAll(); });
  window.addEventListener("offline", () => showConnection());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") revalidateAll(); });
  connect(token);
}

start();
