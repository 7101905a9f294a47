"""Smoke test of the benchmark's load client (label bench): sithsd-load against a real sithsd without
cards, over both transports, in each mode that run-bench and run-soak rely on. About a second."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import Daemon  # noqa: E402

LOAD = os.environ["SITHSD_LOAD"]
PORTAL = "http://127.0.0.1:8080"


def load(*args):
    out = subprocess.run([LOAD, *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


class LoadClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(f'allowed_origins = ["{PORTAL}"]\n').start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()

    def targets(self):
        return {"ws": ["--ws", str(self.daemon.port), "--origin", PORTAL],
                "unix": ["--unix", self.daemon.socket_path]}

    def test_latency_gives_one_sample_per_request(self):
        for name, target in self.targets().items():
            with self.subTest(name):
                r = load(*target, "latency", "--body", '"method":"hello"', "--count", "25", "--warmup", "3")[0]
                self.assertEqual(len(r["samples_us"]), 25)
                self.assertEqual(r["errors"], 0)
                self.assertTrue(all(s > 0 for s in r["samples_us"]))

    def test_flood_counts_every_answer_once_and_error_reasons(self):
        for name, target in self.targets().items():
            with self.subTest(name):
                r = load(*target, "flood", "--connections", "8", "--requests", "30", "--window", "4",
                         "--body", '"method":"hello"', "--body", '"method":"listCards"',
                         "--body", '"method":"nosuchmethod"')[0]
                self.assertEqual((r["sent"], r["answered"], r["missing"], r["duplicates"]), (240, 240, 0, 0))
                # ids 1..30 take the bodies in turn: id % 3 == 2 is the unknown method.
                self.assertEqual(r["errors"], 8 * 10)
                self.assertEqual(len(r["error_reasons"]), 1)

    def test_throughput_reports_a_rate(self):
        r = load(*self.targets()["unix"], "throughput", "--body", '"method":"hello"', "--clients", "4",
                 "--seconds", "0.3")[0]
        self.assertGreater(r["requests"], 0)
        self.assertEqual(r["errors"], 0)
        self.assertGreater(r["rate"], 0)

    def test_idle_holds_connections_until_stdin_ends(self):
        p = subprocess.Popen([LOAD, *self.targets()["ws"], "idle", "--connections", "20"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(json.loads(p.stdout.readline()), {"ready": 20})
        finally:
            p.stdin.close()
            self.assertEqual(p.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
