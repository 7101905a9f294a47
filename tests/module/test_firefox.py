"""libsithsd-pkcs11.so in Firefox ESR headless (driven through Marionette, firefox.py), on a
throwaway profile whose NSS database has the module (modutil, FRIENDLY) and whose user.js answers
the certificate pop-up with "Select Automatically": TLS client login to a server that demands a
certificate from the test CA, the PIN asked by sithsd's pinentry (the scripted one), never by
Firefox. Each story ends with a screenshot in build/screenshots/firefox-*.png."""
import os
import ssl
import unittest

from browser_case import (TOLVAN_HSA_ID, TOLVAN_PERSONNUMMER, ULLA_HSA_ID, BrowserCase,
                          wait_for)
from firefox import Firefox

# What Firefox itself holds from the module's tokens (its certificate manager's view).
MODULE_CERTIFICATES = """
const db = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
return db.getCerts().filter(c => c.tokenName.includes("(legitimering)"))
                    .map(c => [c.tokenName, c.subjectName]);
"""


class FirefoxCase(BrowserCase):
    def setUp(self):
        super().setUp()
        profile = os.path.join(self.work, "firefox-profile")
        self.nss_database(profile)  # a Firefox profile's NSS database is the profile folder
        self.firefox = Firefox(profile, self.browser_env())
        self.addCleanup(self.firefox.close)

    def assertErrorPage(self, error_page, name):
        """Firefox showed its error page (no hang, no crash) and still answers."""
        self.assertIsNotNone(error_page, "the page loaded without a client certificate")
        self.assertTrue(error_page.startswith("about:neterror"), error_page)
        self.screenshot(self.firefox, name)
        self.assertTrue(self.firefox.alive())
        self.assertIsNone(self.firefox.navigate("about:blank"))


class Login(FirefoxCase):
    def test_the_hsa_id_certificate_after_a_wrong_pin_then_tls_1_2_then_two_cards(self):
        server = self.server()
        self.daemon.answers("pin 000000", "pin 123456")
        self.assertIsNone(self.firefox.navigate(server.url))
        self.assertLoggedInAs(server, TOLVAN_HSA_ID, self.firefox.text())
        self.assertNotIn(TOLVAN_PERSONNUMMER, str(server.seen))
        self.screenshot(self.firefox, "firefox-login")
        prompts = self.daemon.prompts()
        self.assertEqual(len(prompts), 2, "the wrong PIN was asked again by sithsd")
        self.assertEqual(prompts[0]["setprompt"], "PIN för legitimering:")
        self.assertIn("firefox", prompts[0]["setdesc"])  # the program that asks
        self.assertIn("tidigare försök var fel", prompts[1]["setdesc"])
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)
        audit = self.daemon.audit_lines()
        # One line for the wrong try, one for the request that then succeeded.
        self.assertEqual([(a["method"], a["hashAlgorithm"], a["result"]) for a in audit],
                         [("moduleSign", "RSA_PKCS_PSS", "PIN_INCORRECT"),
                          ("moduleSign", "RSA_PKCS_PSS", "ok")])
        # TLS 1.2 on a new connection (NSS offers rsa_pss_rsae there too, so the mechanism may
        # still be PSS; test_nss forces PKCS#1 v1.5 with tstclnt).
        server12 = self.server(max_tls=ssl.TLSVersion.TLSv1_2)
        self.daemon.answers("pin 123456")
        self.assertIsNone(self.firefox.navigate(server12.url))
        self.assertLoggedInAs(server12, TOLVAN_HSA_ID, self.firefox.text())
        self.assertEqual(server12.seen[0][0], "TLSv1.2")
        self.assertEqual(self.sign_results()[-1], ("moduleSign", "ok"))
        self.a_second_card_offers_only_hsa_id_certificates()

    def a_second_card_offers_only_hsa_id_certificates(self):
        """Inserted while Firefox runs; pkcs11-tool and Firefox's certificate store agree."""
        self.insert("ulla", "Ulla")
        listing = self.module_listing()
        self.assertEqual(sorted(listing), ["Tolvan Tolvansson (legitimering)",
                                           "Ulla Älvsdotter (legitimering)"])
        self.assertEqual(sum(objects.count("Certificate Object") for objects in listing.values()),
                         2, listing)
        self.assertIn(TOLVAN_HSA_ID, listing["Tolvan Tolvansson (legitimering)"])
        self.assertIn(ULLA_HSA_ID, listing["Ulla Älvsdotter (legitimering)"])
        self.assertNotIn(TOLVAN_PERSONNUMMER, str(listing))
        held = wait_for(lambda: len(self.firefox.chrome_script(MODULE_CERTIFICATES)) >= 2 and
                        self.firefox.chrome_script(MODULE_CERTIFICATES), "both cards in Firefox")
        self.assertEqual(len(held), 2, held)
        for hsa_id in (TOLVAN_HSA_ID, ULLA_HSA_ID):
            self.assertTrue(any(hsa_id in subject for _, subject in held), held)
        self.assertNotIn(TOLVAN_PERSONNUMMER, str(held))
        server = self.server()
        self.daemon.answers("pin 123456")
        self.assertIsNone(self.firefox.navigate(server.url))
        # "Select Automatically" has no filter: it takes the first of the two HSA-ID certificates.
        seen = server.certificates_seen()
        self.assertEqual(len(set(seen)), 1, server.seen)
        self.assertIn(seen[0], (TOLVAN_HSA_ID, ULLA_HSA_ID))
        self.assertEqual(set(server.usages_seen()), {"identification"})
        self.assertIn(f"Hej {seen[0]}", self.firefox.text())
        self.screenshot(self.firefox, "firefox-two-cards")
        # Firefox's smart-card thread waits in C_WaitForSlotEvent; C_Finalize must end that wait.
        self.assertEqual(self.firefox.quit(), 0, "Firefox quits cleanly with the module loaded")


class Failures(FirefoxCase):
    def test_cancel_then_the_card_pulled_out_then_a_stopped_daemon(self):
        # Cancel in sithsd's pinentry: the handshake fails, Firefox shows its error page.
        cancelled = self.server()
        self.daemon.answers("cancel")
        self.assertErrorPage(self.firefox.navigate(cancelled.url), "firefox-cancel")
        self.assertNoCertificate(cancelled)
        self.assertEqual(self.sign_results(), [("moduleSign", "USER_CANCELLED")])
        self.assertEqual(self.daemon.tries_left("tolvan", "identification"), 3)
        # The card pulled out while it signs (after the right PIN): the handshake fails.
        self.daemon.ctl("remove-during-sign", "tolvan")
        self.daemon.answers("pin 123456")
        during = self.server()
        self.assertErrorPage(self.firefox.navigate(during.url), "firefox-card-removed-while-signing")
        self.assertNoCertificate(during)
        self.assertEqual(self.sign_results()[-1], ("moduleSign", "CARD_REMOVED"))
        # The card out: no token, so no certificate to offer; no PIN asked.
        wait_for(lambda: "Tolvan" not in self.slots(), "the card gone from the module")
        removed = self.server()
        self.assertErrorPage(self.firefox.navigate(removed.url), "firefox-card-removed")
        self.assertNoCertificate(removed)
        # sithsd stopped: the module has no token and Firefox neither crashes nor hangs.
        self.daemon.ctl("insert", "tolvan")
        self.assertEqual(self.daemon.terminate(), 0)
        stopped = self.server()
        self.assertErrorPage(self.firefox.navigate(stopped.url), "firefox-daemon-stopped")
        self.assertNoCertificate(stopped)
        self.assertEqual(len(self.daemon.prompts()), 2, "cancelled, then the card pulled out")

    def test_a_blocked_pin_is_never_tried(self):
        self.remove("tolvan", "Tolvan")
        self.insert("locked", "Lars")
        before = (self.daemon.tries_left("locked", "identification"),
                  self.daemon.tries_left("locked", "signing"))
        server = self.server()
        self.daemon.answers("pin 123456")
        self.assertErrorPage(self.firefox.navigate(server.url), "firefox-pin-blocked")
        self.assertNoCertificate(server)
        self.assertEqual(self.daemon.prompts(), [], "no prompt for a blocked PIN")
        self.assertEqual((self.daemon.tries_left("locked", "identification"),
                          self.daemon.tries_left("locked", "signing")), before)
        self.assertEqual(before, (0, 1))
        self.assertEqual(self.sign_results(), [("moduleSign", "PIN_BLOCKED")])


if __name__ == "__main__":
    unittest.main()
