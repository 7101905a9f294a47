"""libsithsd-pkcs11.so driven by OpenSC's pkcs11-tool (a client nobody here wrote) against a real
sithsd on the soft card, with the scripted pinentry as the person: what the browser would see
(only the HSA-ID identification certificate, no signature key, no login), signatures with each
mechanism verified against the certificate, the PIN asked by the daemon, wrong, blocked and
cancelled PINs, a removed card and a daemon that is not running."""
import hashlib
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils  # noqa: E402

from card_world import TEST_PINS, CardDaemon, browser_programs  # noqa: E402
from harness import wait_for  # noqa: E402
from p11_ctypes import Module  # noqa: E402

MODULE = os.environ.get("SITHSD_PKCS11_MODULE", "")
TOLVAN = "Tolvan Tolvansson (legitimering)"
ULLA = "Ulla Älvsdotter (legitimering)"
DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")


class ModuleTest(unittest.TestCase):
    extra = ""

    def setUp(self):
        # Neither pkcs11-tool nor this ctypes caller (python) is a browser: moduleSign serves them
        # only because the config names them (tests/e2e/test_hostile_pin_cache.py shows a program
        # that is not named getting nothing).
        self.daemon = CardDaemon(browser_programs("pkcs11-tool", sys.executable) + self.extra)
        self.daemon.start()
        self.work = self.daemon.dir

    def tearDown(self):
        self.daemon.close()

    def tool(self, *args, socket=None, check=True):
        env = dict(os.environ, SITHSD_SOCKET=socket or self.daemon.socket_path)
        out = subprocess.run(["pkcs11-tool", "--module", MODULE, *args], capture_output=True,
                             text=True, timeout=60, env=env)
        if check:
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out

    def path(self, name):
        return os.path.join(self.work, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def certificate(self, token=TOLVAN):
        self.tool("--token-label", token, "--read-object", "--type", "cert", "--id", "01",
                  "-o", self.path("cert.der"))
        return x509.load_der_x509_certificate(self.read("cert.der"))

    def sign(self, mechanism, data, token=TOLVAN, *extra, check=True):
        self.write("in", data)
        return self.tool("--token-label", token, "--sign", "--mechanism", mechanism, "--id", "01",
                         "-i", self.path("in"), "-o", self.path("sig"), *extra, check=check)

    def insert(self, card, holder):
        self.daemon.ctl("insert", card)
        wait_for(lambda: holder in self.tool("--list-slots").stdout, f"{card} in the slot list")

    def remove(self, card, holder):
        self.daemon.ctl("remove", card)
        wait_for(lambda: holder not in self.tool("--list-slots").stdout, f"{card} gone")

    def assertNoPinsLogged(self):
        for path in (self.daemon.log_path, self.daemon.audit):
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                for pin in TEST_PINS:
                    self.assertNotIn(f'"{pin}"', text)


class Listing(ModuleTest):
    def test_only_the_hsa_id_identification_certificate_and_no_login(self):
        slots = self.tool("--list-slots").stdout
        self.assertIn(TOLVAN, slots)
        self.assertNotIn("underskrift", slots)
        self.assertNotIn("login required", slots)
        objects = self.tool("--list-objects").stdout
        self.assertEqual(objects.count("Certificate Object"), 1, objects)
        self.assertEqual(objects.count("Private Key Object"), 1, objects)
        self.assertEqual(objects.count("Public Key Object"), 1, objects)
        self.assertIn("SE5560000001-P000000000001", objects)
        self.assertNotIn("191212121212", objects)  # the personnummer certificate is not offered
        self.assertIn("Usage:      sign", objects)
        self.assertIn("never extractable", objects)
        cert = self.certificate()
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        self.assertTrue(usage.digital_signature)
        self.assertFalse(usage.content_commitment)  # never a nonRepudiation key
        self.assertEqual(self.daemon.prompts(), [], "listing asks for nothing")

    def test_two_cards_two_tokens_and_removal(self):
        self.insert("ulla", "Ulla")
        objects = self.tool("--list-objects", "--token-label", ULLA).stdout
        self.assertIn("EC", objects)
        self.assertIn("SE5560000002-P000000000002", objects)
        self.remove("tolvan", "Tolvan")
        self.assertIn(ULLA, self.tool("--list-slots").stdout)


class AllCertificates(ModuleTest):
    extra = 'browser_certificates = "all"\n'

    def test_the_personnummer_identification_certificate_too(self):
        objects = self.tool("--list-objects").stdout
        self.assertEqual(objects.count("Certificate Object"), 2, objects)
        self.assertNotIn("nonRepudiation", objects)


class Signing(ModuleTest):
    def test_rsa_pkcs_over_a_digest_info(self):
        digest_info = DIGEST_INFO_SHA256 + hashlib.sha256(b"TLS 1.2 handshake").digest()
        self.daemon.answers("pin 123456")
        self.sign("RSA-PKCS", digest_info)
        key = self.certificate().public_key()
        recovered = key.recover_data_from_signature(self.read("sig"), padding.PKCS1v15(), None)
        self.assertEqual(recovered, digest_info)
        prompts = self.daemon.prompts()
        self.assertEqual(len(prompts), 1)
        self.assertEqual(prompts[0]["setprompt"], "PIN för legitimering:")
        self.assertIn("pkcs11-tool", prompts[0]["setdesc"])  # the program that asks
        self.assertIn("Tolvan Tolvansson", prompts[0]["setdesc"])  # the card holder
        self.assertEqual([(l["method"], l["result"]) for l in self.daemon.audit_lines()],
                         [("moduleSign", "ok")])
        self.assertNoPinsLogged()

    def test_rsa_pss_as_tls_1_3(self):
        digest = hashlib.sha256(b"TLS 1.3 CertificateVerify").digest()
        self.daemon.answers("pin 123456")
        self.sign("RSA-PKCS-PSS", digest, TOLVAN, "--hash-algorithm", "SHA256", "--mgf",
                  "MGF1-SHA256")
        self.certificate().public_key().verify(
            self.read("sig"), digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
            utils.Prehashed(hashes.SHA256()))

    def test_ecdsa(self):
        self.insert("ulla", "Ulla")
        digest = hashlib.sha256(b"TLS with P-256").digest()
        self.daemon.answers("pin 123456")
        self.sign("ECDSA", digest, ULLA)
        raw = self.read("sig")
        self.assertEqual(len(raw), 64)  # r||s, as PKCS#11 gives it
        der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                         int.from_bytes(raw[32:], "big"))
        self.certificate(ULLA).public_key().verify(der, digest,
                                                   ec.ECDSA(utils.Prehashed(hashes.SHA256())))

    def test_a_mechanism_that_does_not_fit_the_key(self):
        out = self.sign("ECDSA", hashlib.sha256(b"x").digest(), check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("CKR_KEY_TYPE_INCONSISTENT", out.stderr)
        self.assertEqual(self.daemon.prompts(), [])


class Pins(ModuleTest):
    """The CK_RV a browser's C_Sign gets, through a ctypes caller (pkcs11-tool hides C_Sign's code
    behind its multi-part fallback, which this module refuses: no second signature is tried)."""
    DATA = DIGEST_INFO_SHA256 + hashlib.sha256(b"login").digest()

    def setUp(self):
        super().setUp()
        os.environ["SITHSD_SOCKET"] = self.daemon.socket_path
        self.p11 = Module(MODULE)
        self.assertEqual(self.p11.rv("C_Initialize", None), "CKR_OK")

    def tearDown(self):
        self.assertEqual(self.p11.rv("C_Finalize", None), "CKR_OK")
        super().tearDown()

    def c_sign(self):
        session = self.p11.first_session()
        self.assertEqual(self.p11.sign_init(session, self.p11.private_key(session)), "CKR_OK")
        return self.p11.sign(session, self.DATA)[0]

    def test_a_wrong_pin_is_asked_again_as_the_person_types_it(self):
        self.daemon.answers("pin 000000", "pin 123456")
        self.assertEqual(self.c_sign(), "CKR_OK")
        prompts = self.daemon.prompts()
        self.assertEqual(len(prompts), 2)
        self.assertIn("tidigare försök var fel", prompts[1]["setdesc"])
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)
        self.assertNoPinsLogged()

    def test_three_wrong_pins_block_and_end_with_pin_locked(self):
        self.daemon.answers("pin 000000", "pin 999999", "pin 000000")
        self.assertEqual(self.c_sign(), "CKR_PIN_LOCKED")
        self.assertEqual(len(self.daemon.prompts()), 3, "only the tries the person typed")
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 0)

    def test_a_blocked_pin_is_never_tried(self):
        self.daemon.ctl("remove", "tolvan")
        self.daemon.ctl("insert", "locked")
        wait_for(lambda: "Lars" in self.daemon.sithsctl("cards").stdout, "the locked card")
        self.daemon.answers("pin 123456")
        self.assertEqual(self.c_sign(), "CKR_PIN_LOCKED")
        self.assertEqual(self.daemon.prompts(), [], "no prompt for a blocked PIN")
        self.assertEqual(self.daemon.tries_left("locked", "identification"), 0)
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "PIN_BLOCKED")

    def test_cancel(self):
        self.daemon.answers("cancel")
        self.assertEqual(self.c_sign(), "CKR_FUNCTION_CANCELED")
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)

    def test_the_two_call_convention_and_argument_checks(self):
        session = self.p11.first_session()
        self.assertEqual(self.p11.sign(session, self.DATA)[0], "CKR_OPERATION_NOT_INITIALIZED")
        self.assertEqual(self.p11.sign_init(session, self.p11.private_key(session)), "CKR_OK")
        self.assertEqual(self.p11.sign(session, self.DATA, room=None), ("CKR_OK", 256))
        self.assertEqual(self.p11.sign(session, self.DATA, room=100)[0], "CKR_BUFFER_TOO_SMALL")
        self.assertEqual(self.daemon.prompts(), [], "the length costs no PIN")
        self.daemon.answers("pin 123456")
        rv, signature = self.p11.sign(session, self.DATA)
        self.assertEqual((rv, len(signature)), ("CKR_OK", 256))
        self.assertEqual(self.p11.sign(session, self.DATA)[0], "CKR_OPERATION_NOT_INITIALIZED")
        self.assertEqual(self.p11.rv("C_Initialize", None), "CKR_CRYPTOKI_ALREADY_INITIALIZED")
        self.assertEqual(self.p11.rv("C_OpenSession", 1, 4, None, None, None), "CKR_ARGUMENTS_BAD")


    def test_a_forked_child_initializes_its_own(self):
        self.p11.first_session()
        pid = os.fork()
        if pid == 0:  # the child: the parent's state is not its own
            ok = False
            try:
                ok = (self.p11.rv("C_GetSlotList", 1, None, None) == "CKR_CRYPTOKI_NOT_INITIALIZED"
                      and self.p11.rv("C_Initialize", None) == "CKR_OK"
                      and self.p11.first_session() > 0
                      and self.p11.rv("C_Finalize", None) == "CKR_OK")
            finally:
                os._exit(0 if ok else 1)
        self.assertEqual(self.wait_child(pid), 0)
        self.assertIsNotNone(self.p11.first_session())  # the parent goes on

    def test_card_events(self):
        wait_for(lambda: self.p11.slot_event()[0] == "CKR_NO_EVENT", "the first events drained")

        def event():
            rv, slot = self.p11.slot_event()
            return slot if rv == "CKR_OK" else None
        self.daemon.ctl("insert", "ulla")
        self.assertEqual(wait_for(event, "an insertion event"), 2)
        self.daemon.ctl("remove", "tolvan")
        self.assertEqual(wait_for(event, "a removal event"), 1)
        self.assertEqual(self.p11.slot_event()[0], "CKR_NO_EVENT")

    @staticmethod
    def wait_child(pid):
        result = {}

        def done():
            got, status = os.waitpid(pid, os.WNOHANG)
            if got:
                result["status"] = os.waitstatus_to_exitcode(status)
            return got != 0
        wait_for(done, "the forked child", deadline=20)
        return result["status"]


class NoDaemon(unittest.TestCase):
    def test_no_daemon_no_token_and_no_hang(self):
        env = dict(os.environ, SITHSD_SOCKET="/nonexistent/sithsd.sock")
        out = subprocess.run(["pkcs11-tool", "--module", MODULE, "--list-slots"], capture_output=True,
                             text=True, timeout=20, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("token label", out.stdout)
        out = subprocess.run(["pkcs11-tool", "--module", MODULE, "--list-objects"],
                             capture_output=True, text=True, timeout=20, env=env)
        self.assertNotEqual(out.returncode, 0)  # no token to list: a clean error, no crash
        self.assertNotIn("Segmentation", out.stderr)
        self.assertGreater(out.returncode, 0)

    def test_before_c_initialize(self):
        p11 = Module(MODULE)
        self.assertEqual(p11.rv("C_GetSlotList", 1, None, None), "CKR_CRYPTOKI_NOT_INITIALIZED")


if __name__ == "__main__":
    unittest.main()
