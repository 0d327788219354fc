#!/usr/bin/env python3
"""The parent dashboard in a real browser (headless Chromium through Selenium).

Run by scripts/browser-test, which starts Redis and passes what this needs:
  browser_test.py BIN REDIS_URL OUT_DIR

  1. a gateway A starts; the parent's page opens with /#token=... and must say "live"
  2. a child uploads through the API; the page shows the item within 1 s, without a reload
  3. Approve on the page: the item leaves the queue and the API says "approved"
  4. gateway A stops (SIGTERM); while it is down, a child uploads through gateway B (same Redis);
     A starts again on the same port: the page reconnects by itself and shows that item
  5. a screenshot goes to OUT_DIR/dashboard.png
  6. the child's page (a new tab, so its own sessionStorage) lists the child's items from the
     server with their statuses, "Send for Approval" adds one, and a parent's reject through the
     API shows on it within 1 s, without a reload; a screenshot goes to OUT_DIR/child.png
  7. gateway A comes back with another secret: the parent's page, whose token is now refused,
     returns to sign-in with the reason instead of retrying the stream forever
  8. many tabs, on a gateway C of their own: the parent's dashboard in 8 tabs (more than the six
     HTTP/1.1 connections a browser allows per origin) shares one stream; a child's upload shows
     in every tab within 1 s; the tab holding the stream closes, then another one freezes, and
     each time an upload still reaches every other tab within 2 s; a refetch held back (network
     emulation) turns a tab's badge to "stale", with words, and back to "live"
  9. a parent and a child of another family, signed in in two tabs of one browser, get a stream
     each, and each tab hears its own family's events only
Exits non-zero with a message on the first failed check.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager must not reach the internet

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

BIN, REDIS_URL, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
FAMILY = "browser-%d" % (time.time() * 1000)


HANDED_OUT = set()


def free_port():
    """A free port below the kernel's ephemeral range (scripts/lib.sh restart_port), not handed out
    before: gateway A restarts on its port, and a port the kernel picks could meanwhile become the
    local port of one of Chromium's outgoing connections."""
    lib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib.sh")
    while True:
        port = int(subprocess.run(["bash", "-c", 'source "$0" && restart_port', lib],
                                  check=True, capture_output=True, text=True).stdout)
        if port not in HANDED_OUT:
            HANDED_OUT.add(port)
            return port


def token(user, role, family=FAMILY):
    out = subprocess.run([BIN, "token", "--dev", "--family", family, "--user", user, "--role", role],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def start_gateway(port, log, secret=None):
    """A gateway with the development secret, or with `secret` (so that the pages' tokens fail)."""
    env = dict(os.environ)
    env.pop("FLIMMER_JWT_SECRET", None)
    if secret:
        env["FLIMMER_JWT_SECRET"] = secret
    process = subprocess.Popen([BIN, "serve", "--dev", "--port", str(port), "--redis-url", REDIS_URL,
                                "--log-level", "warning"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health/ready" % port, timeout=1) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gateway on port %d did not become ready" % port)


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def api(port, method, path, tok, body=None):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.loads(r.read())


def wait_for(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit("browser: FAILED: %s (waited %.1f s)" % (what, timeout))


def within(what, predicate, limit):
    """Waits up to 5 s so that a miss says how late it was, then holds the result to `limit`."""
    started = time.time()
    wait_for(what, predicate, 5.0)
    elapsed = time.time() - started
    if elapsed > limit:
        raise SystemExit("browser: FAILED: %s took %.0f ms (limit %.0f ms)" % (what, elapsed * 1000, limit * 1000))
    return elapsed


def check(name):
    print("  ok    " + name, flush=True)


def streams_open(port):
    """The gateway's open streams, from its /metrics."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("flimmer_streams_open"):
                return int(float(line.split()[-1]))
    raise SystemExit("browser: FAILED: /metrics has no flimmer_streams_open")


# Records in a tab when a row titled arguments[1] (with the status arguments[2], if given) first
# shows in the list arguments[0], by the browser's clock (the same clock as this script's on one
# machine), so that tabs can be checked against one deadline, and against when they were looked at.
WATCH_TITLE = """
const [list, title, status] = arguments;
const key = title + (status ? '/' + status : '');
window.flimmerSeen = window.flimmerSeen || {};
const look = () => {
  if (window.flimmerSeen[key]) return;
  for (const row of document.querySelectorAll('#' + list + ' li')) {
    if (row.querySelector('.title').textContent !== title) continue;
    if (!status || row.querySelector('.status').textContent === status) window.flimmerSeen[key] = Date.now();
  }
};
new MutationObserver(look).observe(document.getElementById(list), { childList: true, subtree: true });
look();
"""
SEEN = "return (window.flimmerSeen || {})[arguments[0]] || null"


os.makedirs(OUT, exist_ok=True)
log = open(os.path.join(OUT, "gateways.log"), "ab")
port_a, port_b = free_port(), free_port()
gateway_a = start_gateway(port_a, log)
gateway_b = None
parent, child = token("mom", "parent"), token("kid", "child")

options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,700"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(15)
gateway_c = None
port_c = None


def badge(attribute="data-state"):
    return driver.find_element(By.ID, "connection").get_attribute(attribute)


def only_one_tab():
    """Closes every tab but one, which is left current."""
    for handle in driver.window_handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(driver.window_handles[0])


def open_tab(url, first=False):
    if not first:
        driver.switch_to.new_window("tab")
    try:
        driver.get(url)
    except TimeoutException:
        # The page's own files wait for a connection: every one the origin may have is taken.
        raise SystemExit("browser: FAILED: tab %d never finished loading" % len(driver.window_handles))
    wait_for("a new tab says live", lambda: badge() == "live", 10)
    return driver.current_window_handle


def upload_reaches(tabs, port, tok, title, limit):
    """Uploads `title` as the child and checks that every tab in `tabs` shows it within `limit` s."""
    for handle in tabs:
        driver.switch_to.window(handle)
        driver.execute_script(WATCH_TITLE, "queue", title, None)
    sent = time.time() * 1000
    api(port, "POST", "/api/content/upload", tok, {"title": title})
    time.sleep(limit + 0.5)
    late = []
    for number, handle in enumerate(tabs):
        driver.switch_to.window(handle)
        seen = driver.execute_script(SEEN, title)
        if seen is None or seen - sent > limit * 1000:
            late.append("tab %d: %s" % (number + 1, "never" if seen is None else "%.0f ms" % (seen - sent)))
    if late:
        raise SystemExit("browser: FAILED: %r did not reach every tab within %.0f ms (%s)" % (title, limit * 1000, ", ".join(late)))


def leader_of(tabs):
    leaders = []
    for handle in tabs:
        driver.switch_to.window(handle)
        if badge("data-role") == "leader":
            leaders.append(handle)
    return leaders


def one_leader(tabs, what):
    """Waits until exactly one of `tabs` holds the stream, and returns it."""
    return wait_for(what, lambda: (lambda found: found[0] if len(found) == 1 else None)(leader_of(tabs)), 5)


def many_tabs():
    """8 tabs of one parent share one stream, survive losing the tab that holds it, and say stale
    when a refetch is held back. On a gateway of their own, so that /metrics counts their streams only."""
    global gateway_c, port_c
    port_c = free_port()
    gateway_c = start_gateway(port_c, log)
    family = "tabs-%d" % (time.time() * 1000)
    mom = token("mom", "parent", family)
    kid = token("kid", "child", family)
    url = "http://127.0.0.1:%d/#token=%s" % (port_c, mom)
    only_one_tab()
    tabs = [open_tab(url, first=True)] + [open_tab(url) for _ in range(7)]
    check("the parent's dashboard opens in 8 tabs and each says live")

    upload_reaches(tabs, port_c, kid, "Seen in eight tabs", 1.0)
    check("a child's upload shows in all 8 tabs within 1 s, no reload")
    wait_for("the gateway holds one stream for the 8 tabs", lambda: streams_open(port_c) == 1, 3)
    leader = one_leader(tabs, "one tab holds the stream")
    check("the gateway holds one stream for the browser's 8 tabs")

    driver.switch_to.window(leader)
    driver.close()
    tabs.remove(leader)
    upload_reaches(tabs, port_c, kid, "After the stream's tab closed", 2.0)
    leader = one_leader(tabs, "another tab takes the stream over")
    wait_for("the closed tab's stream ends", lambda: streams_open(port_c) == 1, 5)
    check("the tab holding the stream closes: another takes over, an upload reaches the other 7 within 2 s")

    # A frozen tab runs no code: the tab holding the stream must hand it over before it freezes.
    driver.switch_to.window(leader)
    driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "frozen"})
    awake = [handle for handle in tabs if handle != leader]
    upload_reaches(awake, port_c, kid, "After the stream's tab froze", 2.0)
    one_leader(awake, "another tab takes the stream over from the frozen one")
    driver.switch_to.window(leader)
    driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "active"})
    wait_for("the woken tab follows the stream again", lambda: badge("data-role") == "follower" and badge() == "live", 5)
    wait_for("the frozen tab's stream ends", lambda: streams_open(port_c) == 1, 5)
    check("the tab holding the stream freezes: another takes over, an upload reaches the other 6 within 2 s")

    # The badge never says live while a refetch the stream asked for has not answered.
    leader = one_leader(tabs, "one tab holds the stream")
    follower = next(handle for handle in tabs if handle != leader)
    driver.switch_to.window(follower)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": False, "latency": 8000, "downloadThroughput": -1, "uploadThroughput": -1})
    api(port_c, "POST", "/api/content/upload", kid, {"title": "Held back"})
    wait_for("a refetch held back turns the badge to stale", lambda: badge() == "stale", 6)
    words = driver.find_element(By.ID, "connection-detail").text
    driver.save_screenshot(os.path.join(OUT, "stale.png"))
    if "out of date" not in words:
        raise SystemExit("browser: FAILED: the stale badge came with the words %r" % words)
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    wait_for("the badge says live again once the refetch answered", lambda: badge() == "live", 15)
    if not driver.find_elements(By.XPATH, "//li/span[@class='title' and text()='Held back']"):
        raise SystemExit("browser: FAILED: the held-back upload is not shown")
    check("a refetch held back turns the badge to stale (%r), and back to live" % words)
    only_one_tab()


def parent_and_child_side_by_side():
    """A parent of one family and a child of another, in two tabs of one browser: a stream each,
    and each tab hears only its own family's events."""
    mom_family, kid_family = "side-a-%d" % (time.time() * 1000), "side-b-%d" % (time.time() * 1000)
    mom, mom_kid = token("mom", "parent", mom_family), token("kid", "child", mom_family)
    kid, kid_parent = token("kid", "child", kid_family), token("dad", "parent", kid_family)
    earlier = driver.current_window_handle
    parent_tab = open_tab("http://127.0.0.1:%d/#token=%s" % (port_c, mom))
    child_tab = open_tab("http://127.0.0.1:%d/#token=%s" % (port_c, kid))
    driver.switch_to.window(earlier)
    driver.close()
    wait_for("the gateway holds a stream for each of the two tokens", lambda: streams_open(port_c) == 2, 5)

    def queue_fetches():
        return driver.execute_script(
            "return performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/content/queue')).length")

    # Looking at a tab makes it visible, and a page revalidates when it becomes visible: so the
    # child's tab records when its rows change, and is looked at only afterwards.
    title = "The other family's"
    driver.switch_to.window(child_tab)
    driver.execute_script(WATCH_TITLE, "mine", title, "pending")
    driver.execute_script(WATCH_TITLE, "mine", title, "rejected")
    driver.switch_to.window(parent_tab)
    time.sleep(0.5)
    fetches = queue_fetches()
    sent = time.time() * 1000
    mine = api(port_c, "POST", "/api/content/upload", kid, {"title": title})["item"]["id"]
    time.sleep(0.3)
    api(port_c, "POST", "/api/content/%s/reject" % mine, kid_parent, {"reason": "Not now"})
    time.sleep(1.0)
    if queue_fetches() != fetches:
        raise SystemExit("browser: FAILED: the parent's tab refetched on another family's events")
    looked = time.time() * 1000
    driver.switch_to.window(child_tab)
    for status in ("pending", "rejected"):
        seen = driver.execute_script(SEEN, title + "/" + status)
        if seen is None or seen > looked or seen - sent > 1500:
            raise SystemExit("browser: FAILED: the child's tab did not hear its family's %s event while in the background" % status)
    driver.switch_to.window(parent_tab)
    title = "Our family's"
    driver.execute_script(WATCH_TITLE, "queue", title, None)
    api(port_c, "POST", "/api/content/upload", mom_kid, {"title": title})
    wait_for("the parent's tab hears its own family's upload", lambda: driver.execute_script(SEEN, title), 1.5)
    check("a parent and a child of another family in two tabs: two streams, each hears its own family only")


try:
    def state():
        return driver.find_element(By.ID, "connection").get_attribute("data-state")

    def row(item_id):
        found = driver.find_elements(By.CSS_SELECTOR, '#queue li[data-id="%s"]' % item_id)
        return found[0] if found else None

    driver.get("http://127.0.0.1:%d/#token=%s" % (port_a, parent))
    wait_for("the page says live", lambda: state() == "live", 10)
    if "token=" in driver.current_url:
        raise SystemExit("browser: FAILED: the token stayed in the address bar")
    check("the parent's page opens and says live; the token left the address bar")

    uploaded = api(port_a, "POST", "/api/content/upload", child, {"title": "Skateboard trick"})
    sent = time.time()
    item = uploaded["item"]["id"]
    within("the upload appears in the queue", lambda: row(item), 1.0)
    check("a child's upload appears on the page %.0f ms after the API answered, no reload" % ((time.time() - sent) * 1000))

    # An invalidation that arrives while a refetch is running must not be folded into it: that
    # request may have read the queue from before the change. Chromium's network emulation
    # slows the page's fetches (not the open stream) so the refetch is surely running.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": False, "latency": 300, "downloadThroughput": -1, "uploadThroughput": -1})
    driver.execute_script("window.dispatchEvent(new Event('online'))")
    during = api(port_a, "POST", "/api/content/upload", child, {"title": "Uploaded during a refetch"})["item"]["id"]
    within("an upload announced during a running refetch appears", lambda: row(during), 1.5)
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    check("an invalidation that arrives during a running refetch is not lost")

    row(item).find_element(By.CSS_SELECTOR, "button.approve").click()
    wait_for("the approved item leaves the queue", lambda: row(item) is None, 3)
    status = api(port_a, "GET", "/api/content/%s" % item, parent)["item"]["status"]
    if status != "approved":
        raise SystemExit("browser: FAILED: the API says %s after Approve" % status)
    check("Approve on the page approves it (the API says approved)")

    # What a parent decides on: the video itself, its length, its description, when it was sent.
    shown = api(port_a, "POST", "/api/content/upload", child, {
        "title": "Juggling", "description": "Three balls!", "durationSeconds": 65,
        "videoUrl": "https://videos.example/juggling.mp4"})["item"]["id"]
    wait_for("the item with a video appears", lambda: row(shown), 3)
    details = driver.execute_script(
        "const li = document.querySelector('#queue li[data-id=\"' + arguments[0] + '\"]');"
        "return [li.querySelector('video')?.getAttribute('src'), li.querySelector('.details')?.textContent,"
        " li.querySelector('time')?.textContent];", shown)
    if details != ["https://videos.example/juggling.mp4", "1:05 · Three balls!", "sent just now"]:
        raise SystemExit("browser: FAILED: the pending item shows %r" % (details,))
    csp = urllib.request.urlopen("http://127.0.0.1:%d/" % port_a, timeout=5).headers["Content-Security-Policy"]
    if "media-src http: https:" not in csp or "default-src 'self'" not in csp:
        raise SystemExit("browser: FAILED: the page's CSP is %r" % csp)
    check("a pending item shows its video inline (http(s) only, by the CSP too), its length, description and age")

    # Keyboard and screen reader: the item's Approve is reached with Tab, works with Enter, and
    # what happened is said in the live region; the history then lists it with who decided.
    driver.find_element(By.TAG_NAME, "body").click()
    label = "Approve “Juggling”"
    for _ in range(60):
        webdriver.ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.execute_script("return document.activeElement.getAttribute('aria-label')") == label:
            break
    else:
        raise SystemExit("browser: FAILED: Tab never reached %r" % label)
    webdriver.ActionChains(driver).send_keys(Keys.ENTER).perform()
    wait_for("the live region says it was approved",
             lambda: driver.find_element(By.ID, "announcer").get_attribute("textContent") == "Approved “Juggling”", 3)
    wait_for("the history lists it, newest first, with who approved it", lambda: driver.execute_script(
        "const li = document.querySelector('#history li');"
        "return li && li.dataset.id === arguments[0] && li.querySelector('.status').textContent === 'approved by mom';",
        shown), 3)
    check("Tab reaches Approve, Enter approves, the live region says so, and the history shows it first")

    # A retried approve counts once: the page's first attempt reaches the server but its answer is
    # lost (the fetch fails after the server answered); the page retries with the same
    # Idempotency-Key and the server answers from its record.
    retried = api(port_a, "POST", "/api/content/upload", child, {"title": "Answer lost"})["item"]["id"]
    wait_for("the item appears", lambda: row(retried), 3)
    version_before = api(port_a, "GET", "/api/content/queue", parent)["version"]
    driver.execute_script("""
        const realFetch = window.fetch;
        window.flimmerApproveCalls = [];
        window.fetch = async (url, init) => {
          const response = await realFetch(url, init);
          if (init?.method === 'POST' && String(url).endsWith('/approve')) {
            window.flimmerApproveCalls.push([init.headers['Idempotency-Key'], response.status, response.headers.get('Idempotent-Replayed')]);
            if (window.flimmerApproveCalls.length === 1) throw new TypeError('the answer was lost');
          }
          return response;
        };""")
    row(retried).find_element(By.CSS_SELECTOR, "button.approve").click()
    calls = wait_for("the page retried the approve", lambda: (lambda c: c if len(c) >= 2 else None)(
        driver.execute_script("return window.flimmerApproveCalls")), 10)
    if len(calls) != 2 or calls[0][0] != calls[1][0] or calls[0][1] != 200 or calls[1][1] != 200 or calls[1][2] != "true":
        raise SystemExit("browser: FAILED: the approve attempts were %r" % (calls,))
    wait_for("the retried item leaves the queue", lambda: row(retried) is None, 3)
    version_after = api(port_a, "GET", "/api/content/queue", parent)["version"]
    approved = [i["id"] for i in api(port_a, "GET", "/api/content/history?status=approved&limit=200", parent)["items"]]
    if version_after != version_before + 1 or approved.count(retried) != 1:
        raise SystemExit("browser: FAILED: a retried approve moved the version %d -> %d and is listed %d times"
                         % (version_before, version_after, approved.count(retried)))
    check("an approve whose answer was lost is retried with its Idempotency-Key and counted once")

    gateway_b = start_gateway(port_b, log)
    stop(gateway_a)
    wait_for("the page notices the gateway left", lambda: state() in ("reconnecting", "offline"), 10)
    missed = api(port_b, "POST", "/api/content/upload", child, {"title": "Made while the gateway was down"})["item"]["id"]
    gateway_a = start_gateway(port_a, log)
    wait_for("the page reconnects by itself", lambda: state() == "live", 15)
    wait_for("the page catches up with the upload made while it was away", lambda: row(missed), 5)
    check("after the gateway restarts the page reconnects by itself and catches up")

    driver.save_screenshot(os.path.join(OUT, "dashboard.png"))
    check("screenshot: %s" % os.path.join(OUT, "dashboard.png"))

    def mine():
        # Read in one script: the list is re-rendered whole, so element handles go stale.
        return driver.execute_script(
            "return [...document.querySelectorAll('#mine li')].map((li) => ["
            "li.dataset.id, li.querySelector('.title').textContent, li.querySelector('.status').textContent])")

    def mine_status(item_id):
        return next((status for (found, _, status) in mine() if found == item_id), None)

    driver.switch_to.new_window("tab")
    driver.get("http://127.0.0.1:%d/#token=%s" % (port_a, child))
    wait_for("the child's page says live", lambda: state() == "live", 10)
    wait_for("the child's page lists its earlier items with their statuses",
             lambda: mine_status(item) == "approved" and mine_status(missed) == "pending", 3)
    check("the child's page lists the child's own items from the server: approved, pending")

    driver.find_element(By.ID, "upload-title").send_keys("Drawing a dragon")
    driver.find_element(By.ID, "upload-button").click()
    newest = wait_for("Send for Approval shows the new item as pending",
                      lambda: next((found for (found, title, status) in mine()
                                    if title == "Drawing a dragon" and status == "pending"), None), 3)
    queued = [i["id"] for i in api(port_a, "GET", "/api/content/queue", parent)["items"]]
    if newest not in queued:
        raise SystemExit("browser: FAILED: the child's upload is not in the parent's queue")
    check("Send for Approval on the child's page puts the item in the parent's queue")

    api(port_b, "POST", "/api/content/%s/reject" % missed, parent, {"reason": "Ask me first"})
    sent = time.time()
    within("the parent's reject shows on the child's page", lambda: mine_status(missed) == "rejected", 1.0)
    check("a parent's reject shows on the child's page %.0f ms after the API answered, no reload"
          % ((time.time() - sent) * 1000))
    driver.save_screenshot(os.path.join(OUT, "child.png"))
    check("screenshot: %s" % os.path.join(OUT, "child.png"))

    # The gateway comes back with another secret (rotated), so the page's token is refused:
    # the browser gives the stream up, and the page must ask to sign in again rather than
    # retry a dead token every few seconds.
    driver.switch_to.window(driver.window_handles[0])
    stop(gateway_a)
    gateway_a = start_gateway(port_a, log, secret="rotated-" + "0123456789abcdef" * 3)
    wait_for("the parent's page asks to sign in again after its token is refused",
             lambda: driver.find_element(By.ID, "sign-in").is_displayed(), 15)
    message = driver.find_element(By.ID, "sign-in-error").text
    if "refused" not in message:
        raise SystemExit("browser: FAILED: the sign-in page says %r" % message)
    if state() != "offline":
        raise SystemExit("browser: FAILED: the badge says %s after signing out" % state())
    check("a token the gateway refuses sends the page back to sign-in, with the reason")

    many_tabs()
    parent_and_child_side_by_side()
finally:
    driver.quit()
    for process in (gateway_a, gateway_b, gateway_c):
        if process and process.poll() is None:
            stop(process)
print("browser: ok")
