"""`make demo`'s script (scripts/demo) as a newcomer runs it, on a test world of its own and free
ports: it prints the addresses; sithsctl reaches its sithsd; the portal's login page loads and
sithsd lets its origin upgrade; the KIV-like page greets the test card's HSA-ID certificate; and
Ctrl-C (SIGINT to the whole foreground group, as a terminal sends it) stops everything."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import free_port, raw_handshake, wait_for  # noqa: E402

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.environ["SITHSD_BUILD"]
SOFTCARD_MODULE = os.environ["SOFTCARD_MODULE"]
TOLVAN_HSA_ID = "SE5560000001-P000000000001"


class Demo(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sithsd-demo-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.world = os.path.join(self.dir, "world")
        subprocess.run([os.path.join(REPO, "ca-test", "make-world"), self.world, "--module", SOFTCARD_MODULE],
                       check=True, capture_output=True, timeout=120)
        self.ports = {name: free_port() for name in ("SITHSD_PORT", "PORTAL_PORT", "KIV_PORT", "OCSP_PORT")}
        env = dict(os.environ, **{name: str(port) for name, port in self.ports.items()})
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "SITHSD_CONFIG", "SITHSD_SOCKET"):
            env.pop(name, None)
        self.out_path = os.path.join(self.dir, "demo.out")
        with open(self.out_path, "w") as out:
            # A group of its own, as a shell's foreground job: Ctrl-C reaches every process in it.
            self.demo = subprocess.Popen([os.path.join(REPO, "scripts", "demo"), BUILD, self.world],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
        self.addCleanup(self.kill_group)

    def kill_group(self):
        try:
            os.killpg(self.demo.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.demo.wait(timeout=30)

    def output(self):
        with open(self.out_path, encoding="utf-8") as f:
            return f.read()

    def group_alive(self):
        try:
            os.killpg(self.demo.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def test_runs_what_it_prints_and_stops_on_ctrl_c(self):
        wait_for(lambda: "Ctrl-C stops everything." in self.output() or self.demo.poll() is not None,
                 "the demo to print its addresses", 180)
        text = self.output()
        self.assertIsNone(self.demo.poll(), text)
        portal = f"http://127.0.0.1:{self.ports['PORTAL_PORT']}/"
        kiv = f"https://127.0.0.1:{self.ports['KIV_PORT']}/"
        self.assertIn(f"Open the demo portal:  {portal}", text)
        self.assertIn(kiv, text)

        # The sithsctl line it prints reaches its daemon.
        config = os.path.join(self.world, "run", "demo.toml")
        status = subprocess.run([os.path.join(BUILD, "daemon", "sithsctl"), "--config", config, "status"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(status.returncode, 0, status.stdout + status.stderr)
        self.assertIn("1 card(s)", status.stdout)

        # The portal's login page, and sithsd allowing the portal's origin.
        with urllib.request.urlopen(portal, timeout=30) as page:
            self.assertEqual(page.status, 200)
            self.assertIn("Logga in med SITHS-kort", page.read().decode())
        code, _, s = raw_handshake(self.ports["SITHSD_PORT"], origin=portal.rstrip("/"))
        s.close()
        self.assertEqual(code, 101)

        # The KIV-like page greets the card's HSA-ID certificate (the key file, as curl has it).
        card = os.path.join(self.world, "cards", "tolvan", "id-hsa")
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # curl loads nothing of ours
        greeting = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert",
                                   os.path.join(self.world, "pki", "root.pem"), "--cert", card + ".pem",
                                   "--key", card + ".key", kiv], capture_output=True, text=True, timeout=30,
                                  env=env)
        self.assertEqual(greeting.returncode, 0, greeting.stderr)
        self.assertIn(TOLVAN_HSA_ID, greeting.stdout)

        # Ctrl-C: everything stops, within a deadline, and says so.
        os.killpg(self.demo.pid, signal.SIGINT)
        self.demo.wait(timeout=30)
        wait_for(lambda: not self.group_alive(), "every process of the demo to end", 30)
        self.assertIn("demo: stopped", self.output())
        for port in self.ports.values():  # nothing holds the ports any more
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", port))


if __name__ == "__main__":
    unittest.main()
