"""The demo's KIV-like page (browser-bridge/demo/kiv-page) on a free port with the world's server
certificate: curl with the test card's key file is greeted by its HSA-ID, the personnummer
certificate is told to pick the HSA-ID one, a request without a client certificate and one with a
revoked card's certificate are refused; and NSS's tstclnt logs in through libsithsd-pkcs11.so
(the soft card in a real sithsd), as a browser would."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

from card_world import CardDaemon, browser_programs  # noqa: E402
from harness import wait_for  # noqa: E402

KIV_PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "browser-bridge", "demo", "kiv-page")
WORLD = os.environ["SITHSD_WORLD"]
MODULE = os.environ["SITHSD_PKCS11_MODULE"]
TOLVAN_HSA_ID = "SE5560000001-P000000000001"
TOLVAN = "Tolvan Tolvansson (legitimering):Tolvan Tolvansson, Testregionen Västra"


class KivPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = tempfile.TemporaryFile(mode="w+")  # its log: one line per request
        cls.server = subprocess.Popen(["/usr/bin/python3", KIV_PAGE, "--world", WORLD, "--port", "0"],
                                      stdout=subprocess.PIPE, stderr=cls.log, text=True)
        line = cls.server.stdout.readline()  # "kiv: URL", or end-of-file when it failed
        if not line.startswith("kiv: "):
            cls.server.kill()
            cls.server.wait(timeout=10)
            cls.log.seek(0)
            raise RuntimeError("kiv-page did not start: " + cls.log.read())
        cls.url = line.split()[1]
        cls.port = int(cls.url.rsplit(":", 1)[1].rstrip("/"))

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.server.stdout.close()
        cls.log.close()

    def curl(self, card=None, stem="id-hsa"):
        args = ["curl", "-sS", "--max-time", "20", "--cacert", os.path.join(WORLD, "pki", "root.pem"),
                "-w", "\n%{http_code}"]
        if card:
            base = os.path.join(WORLD, "cards", card, stem)
            args += ["--cert", base + ".pem", "--key", base + ".key"]
        # curl loads no module of ours: the ASan runtime preloaded for the sanitizer pass (which
        # hung curl past its own --max-time) is not for it.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        return subprocess.run(args + [self.url], capture_output=True, text=True, timeout=30, env=env)

    def test_greets_by_the_hsa_id_of_the_client_certificate(self):
        out = self.curl("tolvan")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.endswith("\n200"), out.stdout)
        self.assertIn(f'Välkommen, Tolvan Tolvansson! Du är inloggad med HSA-ID <b id="hsa-id">{TOLVAN_HSA_ID}</b>',
                      out.stdout)
        self.assertLess(out.stdout.index("Välkommen,"), out.stdout.index("Welcome,"))  # Swedish first

    def test_the_personnummer_certificate_is_told_to_pick_the_hsa_id_one(self):
        out = self.curl("tolvan", "id-pnr")
        self.assertTrue(out.stdout.endswith("\n403"), out.stdout)
        self.assertIn("Välj det certifikat som innehåller ditt HSA-ID", out.stdout)

    def test_no_client_certificate_and_a_revoked_one_are_refused(self):
        for card in (None, "revoked"):
            with self.subTest(card=card):
                out = self.curl(card)
                self.assertNotEqual(out.returncode, 0, out.stdout)
                self.assertNotIn("Välkommen", out.stdout)

        def refusals():  # the server logs after the handshake, maybe after curl has ended
            self.log.seek(0)
            text = self.log.read()
            return ("refused: PEER_DID_NOT_RETURN_A_CERTIFICATE" in text
                    and "refused: CERTIFICATE_VERIFY_FAILED" in text)
        wait_for(refusals, "the server's two refusals in its log")
        # The server is still there for the next person.
        self.assertIn(TOLVAN_HSA_ID, self.curl("tolvan").stdout)

    @unittest.skipUnless(MODULE, "SITHSD_PKCS11_MODULE not set")
    def test_tstclnt_logs_in_through_the_browser_module(self):
        # tstclnt is not a browser: moduleSign serves it only when the config names it.
        daemon = CardDaemon(browser_programs("tstclnt"))
        daemon.start()
        self.addCleanup(daemon.close)
        db = "sql:" + os.path.join(daemon.dir, "nssdb")
        os.makedirs(db[4:])
        env = dict(os.environ, SITHSD_SOCKET=daemon.socket_path)
        for args in (["certutil", "-N", "-d", db, "--empty-password"],
                     ["modutil", "-dbdir", db, "-add", "sithsd", "-libfile", MODULE, "-mechanisms",
                      "FRIENDLY", "-force"]):
            subprocess.run(args, check=True, capture_output=True, timeout=60, env=env)
        daemon.answers("pin 123456")
        # -o: the server certificate is the test root's, which this database does not trust.
        client = subprocess.Popen(["tstclnt", "-h", "127.0.0.1", "-p", str(self.port), "-d", db,
                                   "-n", TOLVAN, "-o", "-V", "tls1.3:tls1.3"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        client.stdin.write("GET / HTTP/1.0\r\n\r\n")
        client.stdin.flush()

        def answered():  # tstclnt stays in its loop after the server has closed (NSS 3.87)
            self.log.seek(0)
            return '"GET / HTTP/1.0" 200' in self.log.read()
        wait_for(answered, "the page's answer to tstclnt")
        try:
            client.wait(timeout=2)
        except subprocess.TimeoutExpired:
            client.terminate()
        stdout, stderr = client.communicate(timeout=10)
        self.assertIn(f'<b id="hsa-id">{TOLVAN_HSA_ID}</b>', stdout, stderr)
        wait_for(lambda: daemon.audit_lines() and daemon.audit_lines()[-1]["result"] == "ok",
                 "the signature's audit line")
        self.assertEqual(daemon.audit_lines()[-1]["method"], "moduleSign")


if __name__ == "__main__":
    unittest.main()
