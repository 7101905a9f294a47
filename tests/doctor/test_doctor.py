"""`sithsctl doctor` on the soft card world, next to a pcscd of its own (run inside
in-private-pcscd): everything set up answers exit 0 with ✓ lines; then each check is made to fail in
turn and must answer ✗, say what to do, and exit 1. --report hides the personnummer; --json parses.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from card_world import SITHSCTL, CardDaemon  # noqa: E402

NATIVE_HOST = os.environ.get("SITHSD_NATIVE_HOST", "")
BROWSER_MODULE = os.environ.get("SITHSD_BROWSER_MODULE", "")


class Doctor(unittest.TestCase):
    def setUp(self):
        self.daemon = CardDaemon()
        self.addCleanup(self.daemon.close)
        self.home = os.path.join(self.daemon.dir, "home")
        os.makedirs(self.home)
        self.env = dict(self.daemon.env, HOME=self.home, SITHSD_SOCKET=self.daemon.socket_path)
        for name in ("XDG_CONFIG_HOME", "LANG", "LC_ALL", "LC_MESSAGES"):
            self.env.pop(name, None)

    def tool(self, *args):
        env = self.env
        if os.environ.get("SITHSD_ASAN_PRELOAD") and args[0] != SITHSCTL:
            # The sanitizer pass: modutil loads our ASan-built module, so the runtime comes first.
            env = dict(env, LD_PRELOAD=os.environ["SITHSD_ASAN_PRELOAD"], ASAN_OPTIONS="detect_leaks=0")
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def register_browser_module(self):
        db = "sql:" + os.path.join(self.home, ".pki", "nssdb")
        os.makedirs(db[4:])
        self.tool("certutil", "-N", "-d", db, "--empty-password")
        self.tool("modutil", "-dbdir", db, "-add", "sithsd", "-libfile", BROWSER_MODULE,
                  "-mechanisms", "FRIENDLY", "-force")

    def register_native_host(self):
        self.tool(SITHSCTL, "browsers", "register", "--native-host", "--host-path", NATIVE_HOST)

    def doctor(self, *args, prefix=()):
        out = subprocess.run([*prefix, SITHSCTL, "doctor", "--config", self.daemon.config_path, *args],
                             capture_output=True, text=True, timeout=120, env=self.env)
        return out.returncode, out.stdout

    def line(self, stdout, start):
        lines = [line for line in stdout.splitlines() if line[2:].startswith(start)]
        self.assertTrue(lines, f"no line starting {start!r} in:\n{stdout}")
        return lines[0]

    def assert_fails(self, stdout, start, advice):
        line = self.line(stdout, start)
        self.assertTrue(line.startswith("✗"), stdout)
        self.assertIn(advice, stdout)

    def set_up_everything(self):
        self.register_browser_module()
        self.register_native_host()
        self.daemon.start()

    def test_everything_set_up_nothing_blocks(self):
        self.set_up_everything()
        code, out = self.doctor()
        self.assertEqual(code, 0, out)
        self.assertTrue(self.line(out, "pcscd körs").startswith("✓"), out)
        self.assertIn("Virtual PCD", self.line(out, "Kortläsare:"))
        self.assertIn("softcard", self.line(out, "PKCS#11-modul:").lower())
        self.assertTrue(self.line(out, "Kort: 1").startswith("✓"), out)
        self.assertIn("legitimering + underskrift", out)
        self.assertIn("HSA-ID SE5560000001-P000000000001", out)
        self.assertIn("personnummer 191212121212", out)  # the person's own screen: in full
        self.assertIn("utfärdare TEST SITHS e-id Person HSA-id 3 CA v1", out)
        self.assertTrue(self.line(out, "PIN: inte spärrad").startswith("✓"), out)
        self.assertTrue(self.line(out, "sithsd ").startswith("✓"), out)
        self.assertIn(f"port: {self.daemon.port} (svarar)", out)
        self.assertTrue(self.line(out, "Webbläsarmodulen är registrerad i: Chromium").startswith("✓"), out)
        self.assertRegex(self.line(out, "Tilläggets värdprogram: "), r"^✓ Tilläggets värdprogram: \d+ manifest")
        self.assertIn("Inget hindrar inloggning", out)

    def test_report_and_json_carry_no_personal_number(self):
        self.set_up_everything()
        code, report = self.doctor("--report")
        self.assertEqual(code, 0, report)
        self.assertNotIn("191212121212", report)
        self.assertIn("personnummer 19121212-****", report)
        self.assertIn("sithsctl ", report.splitlines()[1])
        code, text = self.doctor("--json", "--report")
        data = json.loads(text)
        self.assertFalse(data["loginBlocked"])
        self.assertNotIn("191212121212", text)
        ids = [c["id"] for c in data["checks"]]
        self.assertEqual(ids, ["config", "pcscd", "readers", "module", "card", "certificates", "pin",
                               "daemon", "audit", "nss", "nativeHost"])

    def test_english(self):
        self.set_up_everything()
        code, out = self.doctor("--language", "en")
        self.assertEqual(code, 0, out)
        self.assertIn("Nothing blocks login", out)

    def test_pcscd_absent(self):
        self.set_up_everything()
        # A mount namespace of its own where pcscd's socket folder is empty: no pcscd to reach.
        hide = ["unshare", "-m", "sh", "-c",
                'mount --make-rprivate / && mount -t tmpfs tmpfs /run/pcscd && exec "$@"', "sh"]
        code, out = self.doctor(prefix=hide)
        self.assertEqual(code, 1, out)
        self.assert_fails(out, "pcscd svarar inte", "sudo apt install pcscd")
        self.assertTrue(self.line(out, "Kortläsare:").startswith("–"), out)

    def test_no_module_at_the_configured_path(self):
        self.daemon.start()
        with open(self.daemon.config_path) as f:
            config = f.read()
        bad = os.path.join(self.daemon.dir, "bad.toml")
        with open(bad, "w") as f:
            f.write("\n".join(line for line in config.splitlines() if not line.startswith("modules"))
                    + '\nmodules = ["/nonexistent/libiidp11.so"]\n')
        out = subprocess.run([SITHSCTL, "doctor", "--config", bad], capture_output=True, text=True,
                             timeout=120, env=self.env)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assert_fails(out.stdout, "PKCS#11-modulen laddas inte", "modules")
        self.assertIn("/nonexistent/libiidp11.so", out.stdout)

    def test_no_card(self):
        self.set_up_everything()
        self.daemon.ctl("remove", "tolvan")
        code, out = self.doctor()
        self.assertEqual(code, 1, out)
        self.assert_fails(out, "Inget kort hittades", "Sätt i id-kortet")

    def test_blocked_pin(self):
        self.set_up_everything()
        self.daemon.ctl("tries", "tolvan", "identification", "0")
        code, out = self.doctor()
        self.assertEqual(code, 1, out)
        self.assert_fails(out, "Legitimerings-PIN är spärrad", "din id-korts-administratör")

    def test_daemon_not_running(self):
        self.register_browser_module()
        self.register_native_host()
        code, out = self.doctor()
        self.assertEqual(code, 1, out)
        self.assert_fails(out, "sithsd körs inte", "systemctl --user enable --now sithsd.socket")

    def test_module_not_registered_nor_host(self):
        self.daemon.start()
        os.makedirs(os.path.join(self.home, ".pki", "nssdb"))
        self.tool("certutil", "-N", "-d", "sql:" + os.path.join(self.home, ".pki", "nssdb"),
                  "--empty-password")
        code, out = self.doctor()
        self.assertEqual(code, 1, out)
        self.assert_fails(out, "Webbläsarmodulen är inte registrerad i: Chromium", "sithsctl browsers register")
        self.assert_fails(out, "Tilläggets värdprogram är inte installerat", "--native-host")


if __name__ == "__main__":
    unittest.main()
