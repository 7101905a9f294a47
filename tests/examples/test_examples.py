"""The examples of examples/ as a desktop developer gets them: libsithsd-client0,
libsithsd-client-dev and python3-sithsd installed (here into a temporary root with
`cmake --install --component`, as the .debs hold them), the C examples built by examples/Makefile
with `pkg-config --cflags --libs sithsd-client` from that root (never the build tree), then every
example run against the real sithsd on the soft card: list the cards, log in to a named origin and
verify the token with `sithsctl verify-token`, sign a file as CMS with a display text and verify it
with `sithsctl verify-cms`, follow card events."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from card_world import SITHSCTL, CardDaemon  # noqa: E402

BUILD = os.environ["SITHSD_BUILD"]
SOURCE = os.environ["SITHSD_SOURCE"]
NONCE = "c2l0aHNkLWV4YW1wbGVzLXRlc3Qtbm9uY2UtMDEyMzQ1Njc4OWFiY2RlZmc="
ORIGIN = "https://journal.example.se"
COMPONENTS = ("libsithsd-client0", "libsithsd-client-dev", "python3-sithsd")


def multiarch():
    return subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                          text=True, check=True).stdout.strip()


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sithsd-examples-")
        cls.root = os.path.join(cls.tmp, "root")
        for component in COMPONENTS:
            subprocess.run(["cmake", "--install", BUILD, "--component", component, "--prefix", "/usr"],
                           env=dict(os.environ, DESTDIR=cls.root), check=True, capture_output=True)
        libdir = os.path.join(cls.root, "usr", "lib", multiarch())
        cls.env = dict(os.environ,
                       PKG_CONFIG_LIBDIR=os.path.join(libdir, "pkgconfig"),
                       PKG_CONFIG_SYSROOT_DIR=cls.root,
                       LD_LIBRARY_PATH=libdir,
                       PYTHONPATH=os.path.join(cls.root, "usr", "lib", "python3", "dist-packages"))
        cls.bin = os.path.join(cls.tmp, "bin")
        os.mkdir(cls.bin)
        build = subprocess.run(["make", "-s", "-f", os.path.join(SOURCE, "examples", "Makefile"),
                                f"OUT={cls.bin}"], env=cls.env, capture_output=True, text=True)
        if build.returncode != 0:
            shutil.rmtree(cls.tmp)
            raise AssertionError(f"the C examples did not build:\n{build.stdout}{build.stderr}")
        cls.daemon = CardDaemon().start()
        cls.env["SITHSD_SOCKET"] = cls.daemon.socket_path

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def program(self, language, name):
        if language == "c":
            return [os.path.join(self.bin, name)]
        return [sys.executable, os.path.join(SOURCE, "examples", "python", name + ".py")]

    def run_example(self, language, name, *args):
        out = subprocess.run(self.program(language, name) + list(args), env=self.env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, f"{language} {name}: {out.stderr}")
        return out.stdout

    def verify(self, kind, path, *args):
        pki = os.path.join(self.daemon.world, "pki")
        return subprocess.run([SITHSCTL, kind, *args, "--trust", f"{pki}/root.pem", "--intermediates",
                               f"{pki}/chain.pem", "--no-ocsp", path], capture_output=True,
                              timeout=30).returncode

    def test_built_against_the_installed_library(self):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sithsd-client"], env=self.env,
                               capture_output=True, text=True, check=True).stdout
        self.assertIn(self.root, flags)
        self.assertNotIn(BUILD, flags)
        linked = subprocess.run(["ldd", os.path.join(self.bin, "list_cards")], env=self.env,
                                capture_output=True, text=True, check=True).stdout
        self.assertIn(os.path.join(self.root, "usr", "lib"), linked)
        self.assertNotIn(BUILD, linked)

    def test_list_cards(self):
        for language in ("c", "python"):
            with self.subTest(language):
                out = self.run_example(language, "list_cards")
                self.assertIn("identification PIN", out)
                self.assertIn("Tolvan Tolvansson", out)
                self.assertIn("SE5560000001-", out)

    def test_login_and_verify_the_token(self):
        for language in ("c", "python"):
            with self.subTest(language):
                self.daemon.answers("pin 123456")
                token = os.path.join(self.tmp, f"token-{language}.json")
                with open(token, "w") as f:
                    f.write(self.run_example(language, "login", ORIGIN, NONCE))
                self.assertEqual(self.verify("verify-token", token, "--origin", ORIGIN, "--nonce", NONCE), 0)

    def test_sign_a_file_as_cms(self):
        document = os.path.join(self.tmp, "order.txt")
        with open(document, "w") as f:
            f.write("Beställning VMU3000096: Statistik VE, K3 Barn och Kvinna\n")
        for language in ("c", "python"):
            with self.subTest(language):
                self.daemon.answers("pin 654321")
                cms = os.path.join(self.tmp, f"order-{language}.p7s")
                self.run_example(language, "sign_file", document, "Attest av beställning VMU3000096", cms)
                self.assertEqual(self.verify("verify-cms", cms, "--content", document), 0)
                self.assertIn("Attest av beställning VMU3000096", str(self.daemon.prompts()[-1]))

    def test_the_ten_lines_of_desktop_md(self):
        """The C and the Python example of docs/DESKTOP.md, copied from the page as they stand."""
        with open(os.path.join(SOURCE, "docs", "DESKTOP.md"), encoding="utf-8") as f:
            page = f.read()
        c_code = page.split("```c\n", 1)[1].split("```", 1)[0]
        python_code = page.split("```python\n", 1)[1].split("```", 1)[0]
        source, program = os.path.join(self.tmp, "login.c"), os.path.join(self.tmp, "desktop-login")
        with open(source, "w") as f:
            f.write(c_code)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sithsd-client"], env=self.env,
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", "-Wall", "-Werror", "-o", program, source, *flags], env=self.env, check=True)
        self.daemon.answers("pin 123456")
        token = os.path.join(self.tmp, "desktop-token.json")
        with open(token, "w") as f:
            subprocess.run([program, ORIGIN, NONCE], env=self.env, stdout=f, check=True, timeout=60)
        self.assertEqual(self.verify("verify-token", token, "--origin", ORIGIN, "--nonce", NONCE), 0)
        script, document = os.path.join(self.tmp, "sign.py"), os.path.join(self.tmp, "report.txt")
        with open(script, "w") as f:
            f.write(python_code)
        with open(document, "w") as f:
            f.write("Månadsrapport\n")
        self.daemon.answers("pin 654321")
        cms = os.path.join(self.tmp, "report.p7s")
        subprocess.run([sys.executable, script, document, "Månadsrapport, avdelning 42", cms],
                       env=self.env, check=True, timeout=60)
        self.assertEqual(self.verify("verify-cms", cms, "--content", document), 0)

    def test_follow_card_events(self):
        for language in ("c", "python"):
            with self.subTest(language):
                follower = subprocess.Popen(self.program(language, "follow_events") + ["2"], env=self.env,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    self.assertEqual(follower.stdout.readline().strip(), "following sithsd's events")
                    self.daemon.ctl("remove", "tolvan")
                    removed = follower.stdout.readline().strip()  # pipes end with the process
                    self.daemon.ctl("insert", "tolvan")
                    out, err = follower.communicate(timeout=30)
                finally:
                    if follower.poll() is None:
                        follower.kill()
                        follower.wait()
                self.assertEqual(follower.returncode, 0, err)
                self.assertEqual(removed, "cardsChanged: 0 card(s)")
                self.assertIn("cardsChanged: 1 card(s)", out)


if __name__ == "__main__":
    unittest.main()
