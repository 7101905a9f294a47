"""Two (and a third, short-lived-nonce) sithsd-portal nodes sharing a real redis-server, as behind
a load balancer: a nonce from one node is accepted once by another, bound to its browser session,
never after its lifetime; OCSP answers are shared; without Redis no login is accepted (503)."""
import time
import unittest

from cluster import (Browser, OcspResponder, Portal, Redis, make_token, remove_dir,
                     sanitizer_reports, temp_dir, wait_for)

ORIGIN = "https://portal.example.se"
TOLVAN = "Tolvan Tolvansson (SE5560000001-P000000000001)"


class PortalCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir()
        cls.nodes = []
        try:
            cls.redis = Redis(cls.dir).start()
            cls.ocsp = OcspResponder(cls.dir).start()
            # A stopped responder costs the whole timeout (OpenSSL retries the connection).
            common = ["--redis", cls.redis.url(), "--origin", ORIGIN, "--ocsp-url", cls.ocsp.url(),
                      "--ocsp-timeout", "2"]
            cls.node1 = Portal("node1", cls.dir, common)
            cls.node2 = Portal("node2", cls.dir, common)
            # Issues nonces that live one second (the lifetime is set in Redis by the issuer).
            cls.node3 = Portal("node3", cls.dir, [*common, "--nonce-ttl", "1"])
            cls.nodes = [cls.node1, cls.node2, cls.node3]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()
        problems = sanitizer_reports([node.child for node in cls.nodes])
        for service in ("ocsp", "redis"):
            if hasattr(cls, service):
                getattr(cls, service).stop()
        remove_dir(cls.dir)
        if problems:
            raise AssertionError("\n".join(problems))

    def logins(self):
        return sum(n.child.output().count(f"login: {TOLVAN}") for n in self.nodes)

    def assertRefused(self, answer, reasons):
        status, body = answer
        self.assertIn(status, (401, 403), body)
        self.assertIn(body.get("error"), reasons, body)
        self.assertTrue(body.get("message"), "a sentence for the page")

    def test_1_nonce_of_node1_login_at_node2_then_replays(self):
        browser = Browser()
        nonce = browser.nonce(self.node1)
        self.assertEqual(len(nonce), 44)
        cookie = browser.set_cookie_headers[-1]
        for attribute in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
            self.assertIn(attribute, cookie)
        before_cookie = dict(browser.cookies)
        token = make_token("tolvan", "id-hsa", ORIGIN, nonce)

        status, who = browser.login(self.node2, token)
        self.assertEqual(status, 200, who)
        self.assertEqual(who["display"], TOLVAN)
        self.assertNotEqual(browser.cookies, before_cookie, "a new session id at login")
        # The session (in Redis) is known to every node.
        status, me = browser.call(self.node1, "GET", "/api/session")
        self.assertEqual(status, 200, me)
        self.assertEqual(me["user"]["hsaId"], "SE5560000001-P000000000001")

        # The same token again, on both nodes, with the session of the login and with the old one.
        for node in (self.node1, self.node2):
            self.assertRefused(browser.login(node, token), {"NONCE_INVALID"})
            replayer = Browser()
            replayer.cookies = dict(before_cookie)
            self.assertRefused(replayer.login(node, token), {"NO_SESSION"})
        # And after a fresh nonce in the same session: it is signed over the old one.
        browser.nonce(self.node2)
        self.assertRefused(browser.login(self.node1, token), {"SIGNATURE_INVALID"})

    def test_2_nonce_of_another_session(self):
        alice, mallory = Browser(), Browser()
        alice_nonce = alice.nonce(self.node1)
        alice_token = make_token("tolvan", "id-hsa", ORIGIN, alice_nonce)
        # Mallory has a session of her own and brings Alice's token (and names its nonce).
        mallory.nonce(self.node2)
        self.assertRefused(mallory.login(self.node1, alice_token, nonce=alice_nonce),
                           {"NONCE_MISMATCH"})
        # Without naming it: checked against Mallory's own nonce, the signature fails.
        mallory.nonce(self.node2)
        self.assertRefused(mallory.login(self.node2, alice_token), {"SIGNATURE_INVALID"})
        # No session at all.
        self.assertRefused(Browser().login(self.node1, alice_token), {"NO_SESSION"})
        # Alice's own nonce was not touched by any of it.
        status, who = alice.login(self.node2, alice_token)
        self.assertEqual(status, 200, who)

    def test_3_expired_nonce(self):
        browser = Browser()
        nonce = browser.nonce(self.node3)  # lives one second
        key = f"sithsd:nonce:{nonce}"
        self.assertIn(self.redis.command("TTL", key), (0, 1))
        wait_for(lambda: self.redis.command("EXISTS", key) == 0, "Redis to expire the nonce",
                 deadline=5)
        token = make_token("tolvan", "id-hsa", ORIGIN, nonce)
        self.assertRefused(browser.login(self.node1, token), {"NONCE_INVALID"})

    def test_4_ocsp_answers_shared_revoked_remembered_failure_not(self):
        # A good answer, asked by node2, lands in Redis until its nextUpdate (the responder says
        # one minute; the portal's maximum is five).
        browser = Browser()
        status, body = browser.login(self.node2, make_token("tolvan", "id-hsa", ORIGIN,
                                                            browser.nonce(self.node2)))
        self.assertEqual(status, 200, body)
        keys = self.redis.command("KEYS", "sithsd:ocsp:*")
        self.assertTrue(keys)
        for key in keys:
            self.assertTrue(1 <= self.redis.command("TTL", key) <= 60, key)
        # A revoked answer is remembered too.
        revoked = Browser()
        self.assertRefused(revoked.login(self.node1, make_token("revoked", "id-hsa", ORIGIN,
                                                                revoked.nonce(self.node1))),
                           {"CERTIFICATE_REVOKED"})
        self.ocsp.stop()
        try:
            # The responder is gone: both answers still hold, on the other node.
            browser = Browser()
            status, body = browser.login(self.node1, make_token("tolvan", "id-hsa", ORIGIN,
                                                                browser.nonce(self.node1)))
            self.assertEqual(status, 200, body)
            self.assertRefused(revoked.login(self.node2, make_token("revoked", "id-hsa", ORIGIN,
                                                                    revoked.nonce(self.node2))),
                               {"CERTIFICATE_REVOKED"})
            # A certificate never asked about: the failing responder refuses the login...
            ulla = Browser()
            self.assertRefused(ulla.login(self.node1, make_token("ulla", "id-hsa", ORIGIN,
                                                                 ulla.nonce(self.node1))),
                               {"OCSP_UNAVAILABLE"})
        finally:
            self.ocsp.start()
        # ...and is not remembered: once the responder is back, the same card logs in.
        status, body = ulla.login(self.node2, make_token("ulla", "id-hsa", ORIGIN,
                                                         ulla.nonce(self.node2)))
        self.assertEqual(status, 200, body)

    def test_5_redis_stopped_then_restarted(self):
        browser = Browser()
        token = make_token("tolvan", "id-hsa", ORIGIN, browser.nonce(self.node1))
        logins = self.logins()
        self.redis.stop()
        try:
            for node in (self.node1, self.node2):
                started = time.monotonic()
                status, body = browser.login(node, token)
                self.assertEqual(status, 503, body)
                self.assertEqual(body["error"], "STORE_UNAVAILABLE")
                self.assertLess(time.monotonic() - started, 5, "a clear answer, not a hang")
                status, body = browser.call(node, "POST", "/api/nonce")
                self.assertEqual((status, body["error"]), (503, "STORE_UNAVAILABLE"))
            self.assertEqual(self.logins(), logins, "no login accepted without the nonce check")
        finally:
            self.redis.start()
        # A fresh Redis knows no sessions (no persistence): the old token stays refused...
        self.assertRefused(browser.login(self.node2, token), {"NO_SESSION"})
        # ...and a new login goes through on both nodes' connections to the restarted server.
        for issuer, verifier in ((self.node1, self.node2), (self.node2, self.node1)):
            fresh = Browser()
            status, body = fresh.login(verifier, make_token("tolvan", "id-hsa", ORIGIN,
                                                            fresh.nonce(issuer)))
            self.assertEqual(status, 200, body)
        self.assertEqual(self.logins(), logins + 2)


if __name__ == "__main__":
    unittest.main()
