"""Chromium headless on a throwaway profile and HOME (its NSS database is $HOME/.pki/nssdb), driven
over the DevTools protocol (CDP, JSON over a WebSocket; python3-websockets), with the
`AutoSelectCertificateForUrls` policy for the test server's address: headless, Chromium can show
no certificate pop-up, so without the policy the page waits forever.

The policy can only come from /etc/chromium/policies/managed/ (Chromium reads no user policy on
Linux): one file per test with a unique name, removed on every exit path (close(), and close_all()
from the tests' signal handler on ctest's timeout). Its pattern names only the test
server's port, so other Chromium runs on the machine are not touched.
The repo's other Chromium tests use playwright-core from Node; these tests live with the module's
Python harness (the daemon, the card, the TLS server), and CDP's few commands here need nothing
more than a WebSocket."""
import asyncio
import base64
import json
import os
import re
import subprocess
import time
import urllib.request

import websockets.client

from process_group import stop_group

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
POLICY_DIR = "/etc/chromium/policies/managed"
DEADLINE = 60.0  # seconds for the start and for one page load (a PIN prompt included)


_running = set()  # the Chromium objects not yet closed


def close_all():
    """For a signal handler (ctest's timeout): no policy file and no browser is left behind."""
    for browser in list(_running):
        browser.close()


def policy_allowed():
    """Whether this user may write Chromium's managed policy (root in CI and here)."""
    return os.access(POLICY_DIR if os.path.isdir(POLICY_DIR) else "/etc", os.W_OK)


class Chromium:
    def __init__(self, work, env, rules):
        """`rules`: [(URL pattern, certificate filter)], e.g. ("https://127.0.0.1:PORT", {}) or a
        filter {"SUBJECT": {"CN": "…"}} (Chromium takes the first certificate that fits)."""
        self.proc = None
        self.loop = asyncio.new_event_loop()
        self.ws = None
        self.next_id = 0
        self.events = []
        self.log = open(os.path.join(work, "chromium.log"), "w")
        _running.add(self)
        self.policy = os.path.join(POLICY_DIR, f"sithsd-test-{os.getpid()}-{time.time_ns()}.json")
        policy = {"AutoSelectCertificateForUrls": [
            json.dumps({"pattern": pattern, "filter": selector}) for pattern, selector in rules]}
        try:
            os.makedirs(POLICY_DIR, exist_ok=True)
            with open(self.policy, "w") as f:
                json.dump(policy, f)
            self.proc = subprocess.Popen(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-features=MediaRouter", "--remote-debugging-port=0",
                 f"--user-data-dir={os.path.join(work, 'chromium-profile')}",
                 "--window-size=1000,720", "--lang=sv-SE", "about:blank"],
                stdout=self.log, stderr=self.log, env=env, start_new_session=True)
            self.connect()
        except BaseException:
            self.close()
            raise

    def run(self, coroutine, deadline=DEADLINE):
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, deadline))

    def connect(self):
        end = time.monotonic() + DEADLINE
        found = None
        while not found:
            if self.proc.poll() is not None:
                raise AssertionError(f"chromium exited ({self.proc.returncode}): {self.output()}")
            if time.monotonic() > end:
                raise AssertionError(f"no DevTools endpoint within {DEADLINE} s: {self.output()}")
            found = re.search(r"DevTools listening on ws://127.0.0.1:(\d+)/", self.output())
            time.sleep(0.05)
        # The page's own endpoint, from the browser's target list.
        with urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/json/list",
                                    timeout=DEADLINE) as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")

        async def attach():
            self.ws = await websockets.client.connect(page["webSocketDebuggerUrl"],
                                                      max_size=2**26, ping_interval=None)
            await self.call("Page.enable")
        self.run(attach())

    async def call(self, method, params=None):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    async def wait_event(self, method):
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(json.loads(await self.ws.recv()))

    # --- what a test asks ---
    def navigate(self, url):
        """None when the page loaded, else Chromium's error (net::ERR_…); its error page shows."""
        async def go():
            self.events.clear()
            result = await self.call("Page.navigate", {"url": url})
            await self.wait_event("Page.loadEventFired")  # error pages load too
            return result.get("errorText")
        return self.run(go())

    def text(self):
        result = self.run(self.call("Runtime.evaluate", {"expression": "document.body.innerText",
                                                          "returnByValue": True}))
        return result["result"].get("value")

    def screenshot(self, path):
        data = self.run(self.call("Page.captureScreenshot", {"format": "png"}))["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-6000:]

    def close(self):
        _running.discard(self)
        try:
            if self.ws and not self.loop.is_running():  # running: a signal came mid-command
                self.run(self.ws.close(), deadline=5)
        except (asyncio.TimeoutError, OSError, websockets.exceptions.WebSocketException):
            pass
        finally:
            try:
                if self.proc is not None:
                    stop_group(self.proc)
            finally:
                self.log.close()
                remove_policy(self.policy)
                if not self.loop.is_running():
                    self.loop.close()


def remove_policy(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
