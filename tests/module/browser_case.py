"""What the real-browser tests of libsithsd-pkcs11.so share: a sithsd on the soft card, a throwaway
NSS database with the module added the way a registration does (modutil, FRIENDLY) and the test
server's CA trusted, TLS servers that demand a client certificate, and a screenshot of each end
state in $SITHSD_SCREENSHOTS (build/screenshots)."""
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

import chromium  # noqa: E402
from card_world import CardDaemon  # noqa: E402
from client_auth_server import ClientAuthServer, make_server_certificate  # noqa: E402
from harness import wait_for  # noqa: E402

MODULE = os.environ.get("SITHSD_PKCS11_MODULE", "")
SCREENSHOTS = os.environ.get("SITHSD_SCREENSHOTS", "")
TOLVAN_HSA_ID = "SE5560000001-P000000000001"
TOLVAN_PERSONNUMMER = "191212121212"
ULLA_HSA_ID = "SE5560000002-P000000000002"


_current = None  # the test running, whose cleanups a signal runs


def _stop(signum, _frame):
    """ctest's timeout (SIGTERM) or ^C: the running test's cleanups stop its browser, servers and
    daemon and remove Chromium's policy file before the exit."""
    try:
        if _current is not None:
            _current.doCleanups()
    finally:
        chromium.close_all()  # one still starting, not yet in the cleanups
        os._exit(128 + signum)


class BrowserCase(unittest.TestCase):
    extra_config = ""

    def setUp(self):
        global _current
        _current = self
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, _stop)
        # No browser_programs: Debian's chromium and firefox-esr are known browsers to sithsd.
        self.daemon = CardDaemon(self.extra_config)
        self.addCleanup(self.daemon.close)
        self.daemon.start()
        self.work = self.daemon.dir
        self.servers = []

    def nss_database(self, path):
        """A new NSS database at `path` with the module and the server CA, as sql:PATH."""
        os.makedirs(path, exist_ok=True)
        db = "sql:" + path
        self.tool(["certutil", "-N", "-d", db, "--empty-password"])
        self.tool(["modutil", "-dbdir", db, "-add", "sithsd", "-libfile", MODULE,
                   "-mechanisms", "FRIENDLY", "-force"])
        self.tool(["certutil", "-A", "-d", db, "-n", "sithsd test server CA", "-t", "C,,",
                   "-i", make_server_certificate(self.work)[2]])
        return db

    def browser_env(self, **extra):
        return dict(os.environ, SITHSD_SOCKET=self.daemon.socket_path, **extra)

    def tool(self, args):
        out = subprocess.run(args, capture_output=True, text=True, timeout=60,
                             env=self.browser_env())
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def server(self, **kw):
        """A new TLS server (a new port: no TLS session of an earlier one is reused)."""
        server = ClientAuthServer(self.work, self.daemon.world, **kw)
        self.addCleanup(server.close)
        self.servers.append(server)
        return server

    def screenshot(self, browser, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        browser.screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))

    def pkcs11_tool(self, *args):
        out = subprocess.run(["pkcs11-tool", "--module", MODULE, *args], capture_output=True,
                             text=True, timeout=60, env=self.browser_env())
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def module_listing(self):
        """pkcs11-tool's view of the module: each token's certificates (what a browser can be
        offered), by token label."""
        labels = re.findall(r"token label\s*:\s*(.+)", self.pkcs11_tool("--list-token-slots"))
        return {label.strip(): self.pkcs11_tool("--list-objects", "--type", "cert",
                                                "--token-label", label.strip())
                for label in labels}

    def slots(self):
        return self.pkcs11_tool("--list-slots")

    def insert(self, card, holder):
        self.daemon.ctl("insert", card)
        wait_for(lambda: holder in self.slots(), f"{card} in the module's slots")

    def remove(self, card, holder):
        self.daemon.ctl("remove", card)
        wait_for(lambda: holder not in self.slots(), f"{card} gone from the module")

    def sign_results(self):
        return [(line["method"], line["result"]) for line in self.daemon.audit_lines()]

    def assertLoggedInAs(self, server, hsa_id, text):
        """The server saw exactly this HSA-ID's identification certificate and answered the page."""
        self.assertEqual(set(server.certificates_seen()), {hsa_id}, server.seen)
        self.assertEqual(set(server.usages_seen()), {"identification"}, server.seen)
        self.assertIn(f"Hej {hsa_id}", text)

    def assertNoCertificate(self, server):
        """The handshake failed at the server: no client certificate was accepted."""
        server.wait_seen(lambda seen: seen, "a handshake")
        self.assertEqual(server.certificates_seen(), [], server.seen)
