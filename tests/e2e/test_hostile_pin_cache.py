"""Issue 23, point 7 (label `hostile`): the identification PIN cache on the real sithsd and the soft
card. Once the portal has logged in (the login kept for 60 s), a page the person allowed once must
type the PIN, another portal of the allow list must confirm in a prompt naming both, and a local
script that introduces itself as the browser module must get no signature at all; named in
`browser_programs`, it must type the PIN (the portal's login is not its own). Each failed before
the fix: the kept login served every origin and program without a prompt."""
import base64
import hashlib
import json
import os
import sys
import unittest

from card_world import PORTAL, CardDaemon
from test_cards import NONCE, CardTest, error_reason

KIV = "https://kiv.example.se"  # a second portal of the region: on the allow list
ALLOWED_ONCE = "https://allowed-once.example"  # the person allowed it in a consent prompt
# A TLS 1.2 CertificateVerify as the browser module gets it: a SHA-256 DigestInfo.
DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(b"hs").digest()
PYTHON = os.path.realpath(sys.executable)  # this script, as /proc/PID/exe names it


class KeptLoginTest(CardTest):
    extra = 'identification_pin_cache_seconds = 60\n'

    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}", "{KIV}"]\n' + self.extra)
        self.daemon.start()

    def requests(self):
        """What the person was asked, in order: GETPIN or CONFIRM, with the description."""
        return [(p["request"], p.get("setdesc", "")) for p in self.daemon.prompts()]

    def portal_logs_in(self):
        self.daemon.answers("pin 123456")
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual([r for r, _ in self.requests()], ["GETPIN"])

    def module_sign(self):
        """A local script that introduces itself as the browser module and asks for a signature of
        a DigestInfo of its choosing (from which a web-eid token for any site could be made)."""
        with self.daemon.unix() as client:
            def call(id_, method, params):
                client.send_line(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method,
                                             "params": params}))
                while True:  # notifications skipped
                    reply = json.loads(client.read_line())
                    if reply.get("id") == id_:
                        return reply
            self.assertIn("result", call(1, "introduce", {"as": "browserModule"}))
            cards = call(2, "moduleCertificates", {})["result"]["cards"]
            certificate = cards[0]["certificates"][0]["certificateId"]
            return call(3, "moduleSign", {"certificateId": certificate, "mechanism": "RSA_PKCS",
                                          "data": base64.b64encode(DIGEST_INFO).decode()})


class AnotherOrigin(KeptLoginTest):
    def test_a_page_allowed_once_types_the_pin_within_the_window(self):
        self.portal_logs_in()
        self.daemon.answers("confirm yes", "pin 123456")  # consent, then the PIN
        self.assertIn("result", self.authenticate({"require": "hsaId"}, origin=ALLOWED_ONCE))
        asked = self.requests()
        self.assertEqual([r for r, _ in asked], ["GETPIN", "CONFIRM", "GETPIN"],
                         "the portal's kept login must not serve another origin")
        self.assertIn(ALLOWED_ONCE, asked[2][1])
        self.assertIn("PIN för legitimering", asked[2][1])

    def test_another_portal_of_the_allow_list_confirms_naming_both(self):
        self.portal_logs_in()
        self.daemon.answers("confirm yes")
        self.assertIn("result", self.authenticate({"require": "hsaId"}, origin=KIV))
        asked = self.requests()
        self.assertEqual([r for r, _ in asked], ["GETPIN", "CONFIRM"])
        self.assertIn(f"redan upplåst för legitimering av {PORTAL}", asked[1][1])
        self.assertIn(f"logga in på {KIV}", asked[1][1])
        self.assertIn("Tolvan Tolvansson", asked[1][1])
        # Both are served now without a prompt; nothing else changed on the card.
        self.assertIn("result", self.authenticate({"require": "hsaId"}, origin=KIV))
        self.assertIn("result", self.authenticate({"require": "hsaId"}))
        self.assertEqual(len(self.requests()), 2)
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)

    def test_a_declined_confirm_signs_nothing(self):
        self.portal_logs_in()
        self.daemon.answers("confirm no")
        reply = self.authenticate({"require": "hsaId"}, origin=KIV)
        self.assertEqual(error_reason(reply), "USER_CANCELLED")
        self.assertEqual(self.daemon.audit_lines()[-1]["result"], "USER_CANCELLED")


class ScriptAsBrowserModule(KeptLoginTest):
    def test_a_script_gets_no_signature_from_the_kept_login(self):
        self.portal_logs_in()
        reply = self.module_sign()
        self.assertEqual(error_reason(reply), "ORIGIN_DENIED", reply)
        self.assertEqual(len(self.requests()), 1, "no prompt for it at all")
        last = self.daemon.audit_lines()[-1]
        self.assertEqual((last["method"], last["result"]), ("moduleSign", "ORIGIN_DENIED"))
        self.daemon.wait_log(f"moduleSign refused: {PYTHON} is not a browser")


class ScriptNamedAsBrowser(KeptLoginTest):
    extra = KeptLoginTest.extra + f'browser_programs = ["{PYTHON}"]\n'

    def test_a_program_named_in_browser_programs_types_its_own_pin(self):
        self.portal_logs_in()
        self.daemon.answers("pin 123456")
        self.assertIn("result", self.module_sign())
        asked = self.requests()
        self.assertEqual([r for r, _ in asked], ["GETPIN", "GETPIN"])
        self.assertIn(PYTHON, asked[1][1])
        # Its own login is kept for it now: its next handshake asks nothing.
        self.assertIn("result", self.module_sign())
        self.assertEqual(len(self.requests()), 2)


if __name__ == "__main__":
    unittest.main()
