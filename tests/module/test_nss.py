"""libsithsd-pkcs11.so in NSS, the browsers' library: added to a throwaway NSS database with
modutil (FRIENDLY, as a browser registration would), certutil lists the HSA-ID certificate with its
key, and NSS's tstclnt logs in to a TLS server that demands a client certificate from the test CA
(Python's ssl): TLS 1.3 with RSA-PSS and ECDSA, TLS 1.2 with PKCS#1 v1.5, the server seeing the
HSA-ID; a cancelled PIN fails the handshake cleanly."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

from card_world import CardDaemon, browser_programs  # noqa: E402
from harness import wait_for  # noqa: E402
from client_auth_server import ClientAuthServer  # noqa: E402

MODULE = os.environ.get("SITHSD_PKCS11_MODULE", "")
TOLVAN = "Tolvan Tolvansson (legitimering):Tolvan Tolvansson, Testregionen Västra"
ULLA = "Ulla Älvsdotter (legitimering):Ulla Älvsdotter, Vårdcentralen Åby"


class Nss(unittest.TestCase):
    def setUp(self):
        # tstclnt is not a browser: moduleSign serves it only when the config names it.
        self.daemon = CardDaemon(browser_programs("tstclnt"))
        self.daemon.start()
        self.db = "sql:" + os.path.join(self.daemon.dir, "nssdb")
        os.makedirs(self.db[4:])
        self.env = dict(os.environ, SITHSD_SOCKET=self.daemon.socket_path)
        self.run_tool(["certutil", "-N", "-d", self.db, "--empty-password"])
        self.run_tool(["modutil", "-dbdir", self.db, "-add", "sithsd", "-libfile", MODULE,
                       "-mechanisms", "FRIENDLY", "-force"])

    def tearDown(self):
        self.daemon.close()

    def run_tool(self, args, check=True, stdin=""):
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, env=self.env,
                             input=stdin)
        if check:
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out

    def handshake(self, nickname, versions, *extra):
        """(what the server saw, tstclnt's stderr). tstclnt stays in its loop after the server has
        answered and closed (NSS 3.87), so it is stopped once the server is done."""
        server = ClientAuthServer(self.daemon.dir, self.daemon.world)
        client = subprocess.Popen(["tstclnt", "-h", "127.0.0.1", "-p", str(server.port), "-d",
                                   self.db, "-n", nickname, "-o", "-V", versions, *extra],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=self.env)
        client.stdin.write("GET / HTTP/1.0\r\n\r\n")
        client.stdin.flush()
        try:
            seen = server.wait_seen(lambda seen: seen, "the handshake", deadline=40)[0]
        finally:
            server.close()
        try:
            client.wait(timeout=2)
        except subprocess.TimeoutExpired:
            client.terminate()
        _, stderr = client.communicate(timeout=10)
        return seen, stderr

    def test_certutil_lists_the_hsa_id_certificate_with_its_key(self):
        self.daemon.ctl("insert", "ulla")
        wait_for(lambda: "Ulla" in self.daemon.sithsctl("cards").stdout, "the second card")
        listing = self.run_tool(["certutil", "-L", "-h", "all", "-d", self.db]).stdout
        self.assertIn(TOLVAN + " u,u,u", listing)  # u: a user certificate with its private key
        self.assertIn(ULLA + " u,u,u", listing)
        self.assertNotIn("underskrift", listing)
        self.assertEqual(listing.count("(legitimering)"), 2, listing)
        keys = self.run_tool(["certutil", "-K", "-h", "all", "-d", self.db]).stdout
        self.assertIn("rsa", keys)
        self.assertIn("ec ", keys)
        # modutil -list exits 32 even when it lists (NSS 3.87); its text is what counts.
        modules = self.run_tool(["modutil", "-dbdir", self.db, "-list", "sithsd"], check=False).stdout
        self.assertIn("Public (no login required)", modules)
        self.assertEqual(self.daemon.prompts(), [], "listing asks for no PIN")

    def test_tls_client_login_with_each_mechanism(self):
        self.daemon.ctl("insert", "ulla")
        wait_for(lambda: "Ulla" in self.daemon.sithsctl("cards").stdout, "the second card")
        cases = [(TOLVAN, "tls1.3:tls1.3", (), "RSA_PKCS_PSS", "SE5560000001-P000000000001"),
                 (TOLVAN, "tls1.2:tls1.2", ("-J", "rsa_pkcs1_sha256,ecdsa_secp256r1_sha256"),
                  "RSA_PKCS", "SE5560000001-P000000000001"),
                 (ULLA, "tls1.3:tls1.3", (), "ECDSA", "SE5560000002-P000000000002")]
        for nickname, versions, extra, mechanism, hsa_id in cases:
            with self.subTest(versions=versions, mechanism=mechanism):
                self.daemon.answers("pin 123456")
                seen, stderr = self.handshake(nickname, versions, *extra)
                self.assertEqual(seen, (versions.split(":")[0].replace("tls1.", "TLSv1."), hsa_id,
                                        "identification"),
                                 stderr)
                audit = self.daemon.audit_lines()[-1]
                self.assertEqual((audit["method"], audit["hashAlgorithm"], audit["result"]),
                                 ("moduleSign", mechanism, "ok"))
                self.assertIn("tstclnt", self.daemon.prompts()[-1]["setdesc"])

    def test_cancel_fails_the_handshake_cleanly(self):
        self.daemon.answers("cancel")
        seen, stderr = self.handshake(TOLVAN, "tls1.3:tls1.3")
        self.assertEqual(seen[0], "error")
        self.assertIn("SSL_ERROR_SIGN_HASHES_FAILURE", stderr)
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "USER_CANCELLED")
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)


if __name__ == "__main__":
    unittest.main()
