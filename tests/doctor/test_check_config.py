"""`sithsd --check-config` (exit 0, or 2 with the key and the problem) and the journal's level
prefixes when stderr is the journal stream JOURNAL_STREAM names (sd-daemon(3))."""
import os
import subprocess
import tempfile
import unittest

SITHSD = os.environ.get("SITHSD", "sithsd")


class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="sithsd-check-")
        self.addCleanup(self.dir.cleanup)
        self.env = dict(os.environ, HOME=self.dir.name)
        self.env.pop("JOURNAL_STREAM", None)
        self.env.pop("XDG_CONFIG_HOME", None)

    def config(self, text):
        path = os.path.join(self.dir.name, "sithsd.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, text):
        return subprocess.run([SITHSD, "--check-config", "--config", self.config(text)],
                              capture_output=True, text=True, timeout=30, env=self.env)

    def test_a_good_config(self):
        out = self.check('port = 24999\nlanguage = "en"\n')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.endswith("sithsd.toml: ok\n"), out.stdout)

    def test_no_config_is_the_defaults(self):
        out = subprocess.run([SITHSD, "--check-config"], capture_output=True, text=True, timeout=30,
                             env=self.env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("the defaults: ok", out.stdout)

    def test_bad_values_name_the_key(self):
        for text, key in [("port = 70000\n", "key 'port'"), ("colour = 1\n", "unknown key 'colour'"),
                          ("desktop_reminders = 1\n", "key 'desktop_reminders'"),
                          ('modules = ["/nonexistent/libiidp11.so"]\n', "key 'modules[0]'"),
                          ("port = \n", "not valid TOML")]:
            out = self.check(text)
            self.assertEqual(out.returncode, 2, text)
            self.assertIn(key, out.stderr, text)

    def run_logging(self, journal):
        """sithsd with a broken config, its stderr a file; JOURNAL_STREAM names that file or not."""
        log = os.path.join(self.dir.name, "stderr")
        with open(log, "w") as f:
            st = os.fstat(f.fileno())
            env = dict(self.env)
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino if journal else st.st_ino + 1}"
            code = subprocess.run([SITHSD, "--config", self.config("port = 0\n")], stderr=f,
                                  timeout=30, env=env).returncode
        self.assertEqual(code, 2)
        with open(log) as f:
            return f.read()

    def test_journal_levels_when_stderr_is_the_journal(self):
        self.assertTrue(self.run_logging(journal=True).startswith("<3>bad configuration: "))
        plain = self.run_logging(journal=False)
        self.assertRegex(plain, r"^\d{4}-\d\d-\d\dT\S+ error bad configuration: ")


if __name__ == "__main__":
    unittest.main()
