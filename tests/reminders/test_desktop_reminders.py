"""Desktop reminders through a private session bus: dbus-daemon --session and a small notification
listener; sithsd with the `soon` card (certificates end in 20 days) shows the 30-day reminder once
per certificate, remembers it in state_dir across a restart, and shows none with
desktop_reminders = false."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from card_world import CardDaemon  # noqa: E402
from harness import wait_for  # noqa: E402

LISTENER = os.path.join(os.path.dirname(__file__), "notification_listener.py")


class SessionBus:
    """A private dbus-daemon and the test notification server on it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sithsd-bus-")
        self.log = os.path.join(self.dir, "notifications.jsonl")
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                                     f"--address=unix:path={self.dir}/bus"],
                                    stdout=subprocess.PIPE, text=True)
        self.address = self.bus.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        self.listener = subprocess.Popen(["/usr/bin/python3", LISTENER, self.log], env=env,
                                         stdout=subprocess.PIPE, text=True)
        assert self.listener.stdout.readline().strip() == "ready"

    def notifications(self):
        try:
            with open(self.log, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def close(self):
        for proc in (self.listener, self.bus):
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
        subprocess.run(["rm", "-rf", self.dir], check=False)


class DesktopReminders(unittest.TestCase):
    def setUp(self):
        self.bus = SessionBus()
        self.addCleanup(self.bus.close)

    def daemon(self, extra=""):
        d = CardDaemon(extra, env={"DBUS_SESSION_BUS_ADDRESS": self.bus.address})
        d.ctl("remove", "tolvan")
        d.ctl("insert", "soon")
        return d

    def test_thirty_day_reminder_once_per_certificate_across_restarts(self):
        d = self.daemon()
        try:
            d.start()
            seen = wait_for(lambda: len(self.bus.notifications()) >= 2 and self.bus.notifications(),
                            "two notifications (identification and signature certificates)")
            self.assertEqual(len(seen), 2)
            for note in seen:
                self.assertEqual(note["app"], "sithsd")
                self.assertRegex(note["summary"], r"^Ditt SITHS-certifikat går ut om (19|20) dagar$")
                self.assertIn("Sara Snart", note["body"])
                self.assertIn("3–5 veckor", note["body"])
            with open(os.path.join(d.dir, "state", "reminders.json")) as f:
                kept = json.load(f)
            self.assertEqual(len(kept), 2)
            self.assertTrue(all(key.endswith("@30") for key in kept))
            self.assertEqual(d.terminate(), 0)
            # Restarted with the same card: the reminders were remembered, none is shown again.
            # (The daemon checks the inserted cards before it listens: ready means checked.)
            d.start()
            self.assertIn("Sara", d.sithsctl("cards").stdout)
            self.assertEqual(len(self.bus.notifications()), 2)
        finally:
            d.close()

    def test_off_with_the_config_key(self):
        d = self.daemon("desktop_reminders = false\n")
        try:
            d.start()
            wait_for(lambda: "Sara" in d.sithsctl("cards").stdout, "the soon card listed")
            self.assertEqual(self.bus.notifications(), [])
            self.assertFalse(os.path.exists(os.path.join(d.dir, "state", "reminders.json")))
        finally:
            d.close()


if __name__ == "__main__":
    unittest.main()
