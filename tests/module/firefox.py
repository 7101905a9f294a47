"""Firefox ESR headless on a throwaway profile, driven through its built-in Marionette server (a
length-prefixed JSON protocol over TCP; no geckodriver, which Debian 12 does not package).

Why not `firefox-esr --headless --screenshot FILE URL` (measured here earlier): it works for a page
that loads but never exits on an error page, so every failure case would cost its whole timeout
and say nothing about the error; Marionette says "Reached error page: about:neterror?e=…" and
keeps the browser for the next question. WebDriver BiDi would need a WebSocket client and more
protocol for the same three commands."""
import base64
import json
import os
import socket
import subprocess
import time

from process_group import stop_group

FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
DEADLINE = 60.0  # seconds for the start and for one command (a page load with a PIN prompt)

PREFS = {
    # The certificate pop-up is answered by the first certificate that fits the server's request.
    "security.default_personal_cert": "Select Automatically",
    "marionette.port": 0,  # a free port, written to MarionetteActivePort in the profile
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "security.OCSP.enabled": 0,  # the test server's certificate has no OCSP responder
    "network.http.speculative-parallel-limit": 0,  # no connection opened unasked
}


class MarionetteError(Exception):
    def __init__(self, error, message):
        super().__init__(f"{error}: {message}")
        self.error, self.message = error, message


class Firefox:
    def __init__(self, profile, env):
        self.profile = profile
        with open(os.path.join(profile, "user.js"), "w") as f:
            for name, value in PREFS.items():
                f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        self.log = open(os.path.join(profile, "firefox.log"), "w")
        # Its own process group: close() ends the browser and its content processes, nothing else.
        self.proc = subprocess.Popen([FIREFOX, "--headless", "--no-remote", "--marionette",
                                      "--remote-allow-system-access", "--profile", profile,
                                      "about:blank"],
                                     stdout=self.log, stderr=self.log, env=env,
                                     start_new_session=True)
        self.sock = None
        self.buffer = b""
        self.next_id = 0
        try:
            self.connect()
            self.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {}}})
        except BaseException:
            self.close()
            raise

    def connect(self):
        port_file = os.path.join(self.profile, "MarionetteActivePort")
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"firefox exited with {self.proc.returncode}: {self.output()}")
            try:
                with open(port_file) as f:
                    port = int(f.read().strip())
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
                self.read()  # the server's hello: {"applicationType": "gecko", …}
                return
            except (FileNotFoundError, ValueError, ConnectionRefusedError):
                time.sleep(0.05)
        raise AssertionError(f"no Marionette within {DEADLINE} s: {self.output()}")

    def read(self):
        while b":" not in self.buffer:
            self.receive()
        length, _, rest = self.buffer.partition(b":")
        while len(rest) < int(length):
            self.receive()
            length, _, rest = self.buffer.partition(b":")
        self.buffer = rest[int(length):]
        return json.loads(rest[:int(length)])

    def receive(self):
        chunk = self.sock.recv(65536)  # the socket's timeout is the deadline
        if not chunk:
            raise AssertionError(f"Marionette closed the connection: {self.output()}")
        self.buffer += chunk

    def command(self, name, params=None):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            kind, msg_id, error, result = self.read()
            if kind == 1 and msg_id == self.next_id:
                break
        if error:
            raise MarionetteError(error.get("error"), error.get("message"))
        return result.get("value") if isinstance(result, dict) else result

    # --- what a test asks ---
    def navigate(self, url):
        """None when the page loaded, else the error page's address (about:neterror?e=…)."""
        try:
            self.command("WebDriver:Navigate", {"url": url})
            return None
        except MarionetteError as e:
            if "Reached error page" in (e.message or ""):
                return e.message.split("Reached error page: ", 1)[1]
            raise

    def text(self):
        return self.command("WebDriver:ExecuteScript",
                            {"script": "return document.body ? document.body.innerText : ''",
                             "args": []})

    def screenshot(self, path):
        data = self.command("WebDriver:TakeScreenshot", {"full": False})
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def chrome_script(self, script):
        """Runs `script` with Firefox's own privileges (XPCOM), e.g. to read its certificates."""
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            return self.command("WebDriver:ExecuteScript", {"script": script, "args": []})
        finally:
            self.command("Marionette:SetContext", {"value": "content"})

    def quit(self):
        """Quits as a person would (NSS shut down, C_Finalize on every module); the exit code."""
        self.command("Marionette:Quit", {"flags": ["eForceQuit"]})  # no "close tabs?" question
        return self.proc.wait(timeout=DEADLINE)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-4000:]

    def close(self):
        if self.sock:
            self.sock.close()
        stop_group(self.proc)
        self.log.close()
