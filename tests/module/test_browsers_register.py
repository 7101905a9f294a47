"""`sithsctl browsers register|unregister|status` in a throwaway HOME, checked with NSS's own
modutil: the module lands in Chromium's ~/.pki/nssdb (made when missing) and in every Firefox
profile of profiles.ini (also the Snap location), a profile without a database gets one, a second
register changes nothing, status says per database and manifest what is there, unregister removes
both, and a missing modutil is a clear error that changes nothing."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SITHSCTL = os.environ["SITHSCTL"]
MODULE = os.environ["SITHSD_PKCS11_MODULE"]
NATIVE_HOST = os.environ["SITHSD_NATIVE_HOST"]
DEADLINE = 60


def profiles_ini(root, profiles):
    """profiles.ini naming (name, folder) pairs, the folders relative to root."""
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "profiles.ini"), "w") as f:
        f.write("[General]\nStartWithLastProfile=1\nVersion=2\n\n")
        for i, (name, folder) in enumerate(profiles):
            f.write(f"[Profile{i}]\nName={name}\nIsRelative=1\nPath={folder}\nDefault={int(i == 0)}\n\n")
            os.makedirs(os.path.join(root, folder), exist_ok=True)
        f.write("[Install4F96D1932A9F858E]\nDefault=a.default-esr\nLocked=1\n")


class Register(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="sithsd-register-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)
        # Swedish (the default); no daemon: listing loads the module, which then has no token.
        self.env = dict(os.environ, HOME=self.home, LC_ALL="C.UTF-8",
                        SITHSD_SOCKET=os.path.join(self.home, "no-sithsd.sock"))
        for name in ("XDG_CONFIG_HOME", "LANG", "LC_MESSAGES"):
            self.env.pop(name, None)
        firefox = os.path.join(self.home, ".mozilla", "firefox")
        profiles_ini(firefox, [("default-esr", "a.default-esr"), ("ny", "b.ny")])
        self.chromium = os.path.join(self.home, ".pki", "nssdb")
        self.used = os.path.join(firefox, "a.default-esr")  # a profile Firefox has run in
        self.fresh = os.path.join(firefox, "b.ny")          # a profile with no database yet
        snap = os.path.join(self.home, "snap", "firefox", "common", ".mozilla", "firefox")
        profiles_ini(snap, [("snap", "c.snap")])
        self.snap = os.path.join(snap, "c.snap")
        self.tool(["certutil", "-N", "-d", "sql:" + self.used, "--empty-password"])
        self.databases = [self.chromium, self.used, self.fresh, self.snap]

    def tool(self, args, check=True, env=None):
        out = subprocess.run(args, capture_output=True, text=True, timeout=DEADLINE,
                             env=env or self.env)
        if check:
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out

    def sithsctl(self, *args, env=None):
        return self.tool([SITHSCTL, "browsers", *args], check=False, env=env)

    def registered(self, db):
        """How often modutil lists our module in db, and with which library."""
        # modutil -list exits 32 even when it lists (NSS 3.87); its text is what counts.
        listing = self.tool(["modutil", "-list", "-dbdir", "sql:" + db], check=False).stdout
        names = re.findall(r"^\s*\d+\. sithsd$", listing, re.M)
        libraries = re.findall(r"^\s*\d+\. sithsd\n\s*library name: (.*)$", listing, re.M)
        return len(names), libraries

    def register(self, *extra):
        out = self.sithsctl("register", "--module", MODULE, "--host-path", NATIVE_HOST, *extra)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def test_register_is_idempotent_and_unregister_undoes_it(self):
        first = self.register()
        for db in self.databases:
            self.assertEqual(self.registered(db), (1, [os.path.abspath(MODULE)]), db)
            self.assertIn(db + "\n    ", first)
        self.assertEqual(first.count("databasen skapades, registrerad"), 3, first)  # all but `used`
        self.assertEqual(first.count("    registrerad\n"), 1, first)
        self.assertIn('Firefox "default-esr"', first)
        self.assertIn('Firefox (Snap) "snap"', first)
        self.assertIn("Starta om webbläsarna om de är igång", first)
        manifests = re.findall(r"skrev (.*)", first)
        self.assertEqual(len(manifests), 3)
        self.assertTrue(all(os.path.exists(m) for m in manifests))

        again = self.register()
        self.assertEqual(again.count("redan registrerad"), 4, again)
        self.assertNotIn("Starta om", again, "nothing changed, nothing to restart")
        for db in self.databases:
            self.assertEqual(self.registered(db), (1, [os.path.abspath(MODULE)]), db)

        status = self.sithsctl("status", "--module", MODULE)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertEqual(status.stdout.count("    registrerad\n"), 4, status.stdout)
        self.assertEqual(status.stdout.count("finns, pekar på " + os.path.abspath(NATIVE_HOST)), 3,
                         status.stdout)

        gone = self.sithsctl("unregister")
        self.assertEqual(gone.returncode, 0, gone.stderr)
        self.assertEqual(gone.stdout.count("avregistrerad"), 4, gone.stdout)
        self.assertEqual(len(re.findall(r"tog bort .*", gone.stdout)), 3, gone.stdout)
        for db in self.databases:
            self.assertEqual(self.registered(db), (0, []), db)
        after = self.sithsctl("status", "--module", MODULE).stdout
        self.assertEqual(after.count("inte registrerad"), 4, after)
        self.assertEqual(after.count("saknas"), 3, after)
        self.assertEqual(self.sithsctl("unregister").stdout.count("inte registrerad"), 4)

    def test_another_library_is_replaced_and_a_running_firefox_is_named(self):
        other = os.path.join(self.home, "old-libsithsd-pkcs11.so")
        shutil.copy(MODULE, other)
        self.tool(["modutil", "-dbdir", "sql:" + self.used, "-add", "sithsd", "-libfile", other,
                   "-force"])
        os.symlink("127.0.0.1:+%d" % os.getpid(), os.path.join(self.used, "lock"))  # "running"
        out = self.register("--nss")
        self.assertIn("uppdaterad (var " + other + ")", out)
        self.assertEqual(self.registered(self.used), (1, [os.path.abspath(MODULE)]))
        self.assertIn("Starta om Firefox (pid %d)" % os.getpid(), out)
        self.assertNotIn("skrev", out, "--nss alone writes no manifest")

    def test_english_when_the_locale_says_so(self):
        out = self.sithsctl("register", "--nss", "--module", MODULE,
                            env=dict(self.env, LC_ALL="en_GB.UTF-8"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("database created, registered", out.stdout)
        self.assertIn("The browser module " + os.path.abspath(MODULE), out.stdout)

    def test_missing_nss_tools_and_module_are_clear_errors_that_change_nothing(self):
        bare = dict(self.env, PATH=os.path.join(self.home, "empty-bin"))
        out = self.sithsctl("register", "--module", MODULE, "--host-path", NATIVE_HOST, env=bare)
        self.assertEqual(out.returncode, 2)
        self.assertIn("installera libnss3-tools", out.stderr)
        self.assertFalse(os.path.exists(self.chromium))
        self.assertFalse(os.path.exists(os.path.join(self.home, ".config")))
        # The manifests alone need no NSS tool.
        self.assertEqual(self.sithsctl("register", "--native-host", "--host-path", NATIVE_HOST,
                                       env=bare).returncode, 0)
        missing = self.sithsctl("register", "--nss", "--module", "/nonexistent/libsithsd-pkcs11.so")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("ingen webbläsarmodul", missing.stderr)
        self.assertFalse(os.path.exists(self.chromium))
        both = self.sithsctl("register", "--nss", "--native-host")
        self.assertEqual(both.returncode, 2, "--nss and --native-host exclude each other")

    def test_no_firefox_profile_is_said(self):
        shutil.rmtree(os.path.join(self.home, ".mozilla"))
        shutil.rmtree(os.path.join(self.home, "snap"))
        out = self.register("--nss")
        self.assertIn("Firefox: ingen profil hittades", out)
        self.assertEqual(self.registered(self.chromium), (1, [os.path.abspath(MODULE)]))


if __name__ == "__main__":
    unittest.main()
