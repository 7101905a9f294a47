"""Two users on one machine, each with a real systemd user manager and the package's units
(daemon/systemd/) as shipped, the daemon's path and a free port put in by drop-ins (issue 23,
point 4). The Unix socket is every user's, the WebSocket port one user's at most:

- both users enable `sithsd.socket` (the whole setup on a terminal server): both get sithsd over
  the Unix socket, and nobody listens on the port;
- one user also enables `sithsd-websocket.socket` (a workstation): their pages get the WebSocket;
  the other user's WebSocket unit then fails alone, and their Unix socket keeps working;
- a daemon passed a TCP socket it will not serve (`websocket = false`) says so and closes it: a
  connection to the port is refused at once, never accepted and left unanswered.

Needs root (user_manager.py); skipped where no user manager can run."""
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import DEADLINE, SITHSD, free_port, wait_for
from user_manager import UserManager, enter_private_namespace, why_not_available

SITHSCTL = os.environ.get("SITHSCTL", "sithsctl")
UNITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "daemon", "systemd")
SHIPPED_PORT = "24891"
SKIP = why_not_available()

# Run as the user: a WebSocket upgrade to the port by hand; prints what became of it.
PROBE = r"""
import socket, sys
port = int(sys.argv[1])
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=float(sys.argv[2]))
    s.sendall(("GET /v1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "Origin: https://portal.example.se\r\n\r\n" % port).encode())
    data = s.recv(4096)
    print("status " + data.split(b" ")[1].decode() if data else "closed")
except ConnectionRefusedError:
    print("refused")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("no answer")
"""


def setUpModule():
    if SKIP:
        raise unittest.SkipTest(SKIP)
    enter_private_namespace()


def unused_uids(count, start=64200):
    uids = []
    uid = start
    while len(uids) < count:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, timeout=30).returncode != 0:
                uids.append(uid)
        uid += 1
    return uids


def socket_units():
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(UNITS, "*.socket")))


class Person:
    """A user with the package's units in ~/.config/systemd/user and a config of their own."""

    def __init__(self, manager, port, config=""):
        self.manager = manager
        self.port = port
        self.log_path = os.path.join(manager.home, "sithsd.log")
        for unit in glob.glob(os.path.join(UNITS, "sithsd*")):
            with open(unit) as f:
                text = f.read()
            name = os.path.basename(unit)
            manager.write(f".config/systemd/user/{name}", text)
            # The shipped port, wherever a unit listens on it, becomes the test's (the same for
            # both users, as 24891 is on a real machine).
            listens = re.findall(r"^ListenStream=(.*)$", text, re.M)
            if any(SHIPPED_PORT in address for address in listens):
                lines = ["[Socket]", "ListenStream="] + [
                    "ListenStream=" + address.replace(SHIPPED_PORT, str(port)) for address in listens]
                manager.write(f".config/systemd/user/{name}.d/test.conf", "\n".join(lines) + "\n")
        # The daemon under test, and its log in a file (no journald runs here).
        manager.write(".config/systemd/user/sithsd.service.d/test.conf",
                      f"[Service]\nExecStart=\nExecStart={SITHSD}\n"
                      f"StandardOutput=append:{self.log_path}\nStandardError=append:{self.log_path}\n")
        manager.write(".config/sithsd/sithsd.toml",
                      f"port = {port}\nmodules = []\nidle_exit_seconds = 0\ndesktop_reminders = false\n" + config)
        manager.systemctl("daemon-reload")

    def enable(self, *units):
        return self.manager.systemctl("enable", "--now", *units)

    def active(self, unit):
        return self.manager.systemctl("is-active", unit).stdout.strip()

    def status(self):
        return self.manager.run(SITHSCTL, "status")

    def probe_port(self, timeout=5):
        return self.manager.run("/usr/bin/python3", "-c", PROBE, str(self.port), str(timeout)).stdout.strip()

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def explain(self, unit):
        return self.manager.systemctl("status", unit).stdout + "\n--- sithsd's log:\n" + self.log()


class TwoUsers(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="sithsd-units-")
        os.chmod(self.folder, 0o755)
        self.port = free_port()
        self.managers = []
        self.addCleanup(shutil.rmtree, self.folder, True)
        uids = unused_uids(2)
        for uid in uids:
            folder = os.path.join(self.folder, str(uid))
            os.mkdir(folder)
            manager = UserManager(uid, folder)
            self.addCleanup(manager.stop)
            manager.start()
            self.managers.append(manager)

    def people(self, config_a="", config_b=""):
        return Person(self.managers[0], self.port, config_a), Person(self.managers[1], self.port, config_b)

    def test_both_users_get_sithsd_over_the_unix_socket(self):
        a, b = self.people()
        for person in (a, b):
            enabled = person.enable("sithsd.socket")
            self.assertEqual(enabled.returncode, 0, enabled.stderr + person.explain("sithsd.socket"))
        for person in (a, b):
            self.assertEqual(person.active("sithsd.socket"), "active", person.explain("sithsd.socket"))
            out = person.status()
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr + person.explain("sithsd.socket"))
            self.assertTrue(out.stdout.startswith("sithsd "), out.stdout)
        # The Unix socket alone: nobody holds the port.
        self.assertEqual(a.probe_port(), "refused")
        self.assertIn("WebSocket off", a.log())

    def test_one_users_websocket_unit_leaves_the_other_their_unix_socket(self):
        a, b = self.people()
        self.assertIn("sithsd-websocket.socket", socket_units(), "no WebSocket unit of its own")
        enabled = a.enable("sithsd.socket", "sithsd-websocket.socket")
        self.assertEqual(enabled.returncode, 0, enabled.stderr + a.explain("sithsd-websocket.socket"))
        self.assertEqual(b.enable("sithsd.socket").returncode, 0, b.explain("sithsd.socket"))
        # The second user's WebSocket unit cannot have the port; that unit fails, nothing else.
        self.assertNotEqual(b.enable("sithsd-websocket.socket").returncode, 0)
        self.assertEqual(b.active("sithsd-websocket.socket"), "failed")
        self.assertEqual(b.active("sithsd.socket"), "active", b.explain("sithsd.socket"))
        out = b.status()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + b.explain("sithsd.socket"))
        # The first user's page reaches their daemon through the port systemd holds for it; the
        # second user's is refused by it (another uid), as before.
        self.assertEqual(a.probe_port(), "status 101", a.explain("sithsd-websocket.socket"))
        self.assertIn("(socket from systemd)", a.log())
        self.assertEqual(b.probe_port(), "status 403")
        out = a.status()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_a_tcp_socket_the_daemon_will_not_serve_is_refused_not_left_hanging(self):
        a, _b = self.people(config_a="websocket = false\n")
        # Every socket unit shipped, as a workstation enables them, with the daemon set to
        # `websocket = false` (the old terminal-server recipe did exactly this).
        enabled = a.enable(*socket_units())
        self.assertEqual(enabled.returncode, 0, enabled.stderr + a.explain("sithsd.socket"))
        # The first connection starts the daemon, which closes the port: refused or reset at once,
        # never an accepted connection that nobody answers.
        self.assertIn(a.probe_port(timeout=DEADLINE), ("refused", "reset", "closed"), a.explain("sithsd.socket"))
        self.assertIn("websocket = false", a.log())
        self.assertEqual(a.probe_port(), "refused", a.log())
        out = a.status()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + a.log())
        # When the daemon stops, systemd finds that socket shut and fails its unit alone; the
        # Unix socket starts the daemon again.
        a.manager.systemctl("stop", "sithsd.service")
        wait_for(lambda: a.active("sithsd-websocket.socket") == "failed", "the WebSocket unit to fail")
        self.assertEqual(a.active("sithsd.socket"), "active")
        self.assertEqual(a.probe_port(), "refused")
        out = a.status()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + a.log())


if __name__ == "__main__":
    unittest.main()
