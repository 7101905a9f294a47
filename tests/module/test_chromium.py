"""libsithsd-pkcs11.so in Chromium headless (driven over CDP, chromium.py): the module in
$HOME/.pki/nssdb of a throwaway HOME (modutil, FRIENDLY), the certificate picked by the
AutoSelectCertificateForUrls policy (headless, Chromium can show no pop-up), the PIN asked by
sithsd's pinentry. Screenshots in build/screenshots/chromium-*.png.

The policy's filter lets the tests pick which card's certificate Chromium sends, which Firefox's
"Select Automatically" cannot: the second card (EC) and the card with a blocked PIN. A filter that
fits no certificate (tried: the personnummer CA's) does not send "no certificate": headless Chromium
then waits for its pop-up, which it never shows, so which certificates are offered is checked in
Firefox's certificate store and with pkcs11-tool (test_firefox.py)."""
import os
import unittest

from browser_case import (TOLVAN_HSA_ID, TOLVAN_PERSONNUMMER, ULLA_HSA_ID, BrowserCase)
from chromium import Chromium, policy_allowed

ANY = {}


@unittest.skipUnless(policy_allowed(), "Chromium's managed policy folder is not writable")
class ChromiumCase(BrowserCase):
    def launch(self, *rules):
        """Chromium with one policy rule per (server, certificate filter)."""
        home = os.path.join(self.work, "home")
        self.nss_database(os.path.join(home, ".pki", "nssdb"))
        chromium = Chromium(self.work, self.browser_env(HOME=home),
                            [(f"https://127.0.0.1:{server.port}", selector)
                             for server, selector in rules])
        self.addCleanup(chromium.close)
        return chromium

    def assertErrorPage(self, chromium, error, name):
        """The load failed with a net:: error, Chromium shows its error page and still answers."""
        self.assertIsNotNone(error, "the page loaded without a client certificate")
        self.assertTrue(error.startswith("net::ERR_"), error)
        self.screenshot(chromium, name)
        self.assertTrue(chromium.alive())
        self.assertIsNone(chromium.navigate("about:blank"))


class Login(ChromiumCase):
    def test_the_hsa_id_certificate_then_cancel_then_a_stopped_daemon(self):
        ok, cancelled, stopped = self.server(), self.server(), self.server()
        chromium = self.launch((ok, ANY), (cancelled, ANY), (stopped, ANY))
        self.daemon.answers("pin 123456")
        self.assertIsNone(chromium.navigate(ok.url))
        self.assertLoggedInAs(ok, TOLVAN_HSA_ID, chromium.text())
        self.assertNotIn(TOLVAN_PERSONNUMMER, str(ok.seen))
        self.screenshot(chromium, "chromium-login")
        prompt = self.daemon.prompts()[0]
        self.assertEqual(prompt["setprompt"], "PIN för legitimering:")
        self.assertIn("chromium", prompt["setdesc"])
        self.assertEqual(self.sign_results(), [("moduleSign", "ok")])

        self.daemon.answers("cancel")
        self.assertErrorPage(chromium, chromium.navigate(cancelled.url), "chromium-cancel")
        self.assertNoCertificate(cancelled)
        self.assertEqual(self.sign_results()[-1], ("moduleSign", "USER_CANCELLED"))
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)

        self.assertEqual(self.daemon.terminate(), 0)
        self.assertErrorPage(chromium, chromium.navigate(stopped.url), "chromium-daemon-stopped")
        self.assertNoCertificate(stopped)
        self.assertEqual(len(self.daemon.prompts()), 2)


class Cards(ChromiumCase):
    def test_the_second_card_and_a_blocked_pin(self):
        self.insert("ulla", "Ulla")
        self.insert("locked", "Lars")
        ulla, lars = self.server(), self.server()
        chromium = self.launch((ulla, {"SUBJECT": {"CN": "Ulla Älvsdotter"}}),
                               (lars, {"SUBJECT": {"CN": "Lars Låst"}}))
        self.daemon.answers("pin 123456")
        self.assertIsNone(chromium.navigate(ulla.url))
        self.assertLoggedInAs(ulla, ULLA_HSA_ID, chromium.text())
        self.assertEqual(self.daemon.audit_lines()[-1]["hashAlgorithm"], "ECDSA")
        self.screenshot(chromium, "chromium-second-card")

        before = (self.daemon.tries_left("locked", "identification"),
                  self.daemon.tries_left("locked", "signing"))
        self.assertErrorPage(chromium, chromium.navigate(lars.url), "chromium-pin-blocked")
        self.assertNoCertificate(lars)
        self.assertEqual(len(self.daemon.prompts()), 1, "no prompt for a blocked PIN")
        self.assertEqual((self.daemon.tries_left("locked", "identification"),
                          self.daemon.tries_left("locked", "signing")), before)
        self.assertEqual(self.sign_results()[-1], ("moduleSign", "PIN_BLOCKED"))


if __name__ == "__main__":
    unittest.main()
