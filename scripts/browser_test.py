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
Exits non-zero with a message on the first failed check.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager must not reach the internet

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

BIN, REDIS_URL, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
FAMILY = "browser-%d" % (time.time() * 1000)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(user, role):
    out = subprocess.run([BIN, "token", "--dev", "--family", FAMILY, "--user", user, "--role", role],
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
finally:
    driver.quit()
    for process in (gateway_a, gateway_b):
        if process and process.poll() is None:
            stop(process)
print("browser: ok")
