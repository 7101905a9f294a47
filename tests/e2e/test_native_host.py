"""sithsd-native-host against the real sithsd on the soft card: framing errors, the caller check,
a page's requests relayed with the origin the extension gave, notifications, a daemon that is
gone. The scripted pinentry is the person."""
import base64
import json
import os
import struct
import subprocess
import tempfile
import unittest

from card_world import PORTAL, SITHSCTL, CardDaemon
from harness import DEADLINE
from native_host import NATIVE_HOST, NativeHost, frame

NONCE = base64.b64encode(os.urandom(32)).decode()


def reason(message):
    assert "error" in message, message
    return message["error"]["data"]["reason"]


class HostTest(unittest.TestCase):
    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n'
                                 'denied_origins = ["https://evil.example.se"]\n')
        self.daemon.start()
        self.host = NativeHost(self.daemon.socket_path)

    def tearDown(self):
        self.host.close()
        self.daemon.close()


class Callers(unittest.TestCase):
    def run_host(self, *args):
        return subprocess.run([NATIVE_HOST, *args], input=frame({"channel": "a"}), capture_output=True,
                              timeout=DEADLINE, env=dict(os.environ, SITHSD_SOCKET="/nonexistent/sock"))

    def test_wrong_caller_gets_nothing(self):
        for args in ((), ("chrome-extension://ncibgoaomkmdpilpocfeponihegamlic/",),
                     ("/tmp/manifest.json", "other@example.org")):
            out = self.run_host(*args)
            self.assertEqual(out.returncode, 2, args)
            self.assertEqual(out.stdout, b"")
            self.assertIn(b"not started by the sithsd extension", out.stderr)

    def test_firefox_caller_is_accepted(self):
        out = self.run_host("/home/x/.mozilla/native-messaging-hosts/se.sithsd.native_host.json",
                            "extension@sithsd.se")
        self.assertEqual(out.returncode, 0, out.stderr)


class Relaying(HostTest):
    def test_page_methods_with_the_extensions_origin(self):
        hello = self.host.call("tab1", PORTAL, "hello", id_=7)
        self.assertEqual(hello["id"], 7)
        self.assertIn("authenticate", hello["result"]["methods"])
        self.assertNotIn("status", hello["result"]["methods"])
        self.assertEqual(len(self.host.call("tab1", PORTAL, "listCards", id_=8)["result"]), 1)
        self.assertEqual(reason(self.host.call("tab1", PORTAL, "status", {}, id_=9)), "LOCAL_ONLY")
        self.assertEqual(reason(self.host.call("tab1", PORTAL, "introduce", {"as": "browserModule"}, id_=10)),
                         "LOCAL_ONLY")

    def test_authenticate_binds_the_token_to_the_channels_origin(self):
        self.daemon.answers("pin 123456")
        token = self.host.call("tab1", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"})
        self.assertEqual(token["result"]["format"], "web-eid:1.0")
        self.assertIn(PORTAL, self.daemon.prompts()[-1]["setdesc"])
        # The page cannot name another origin in its message, as on the WebSocket.
        other = self.host.call("tab1", PORTAL, "authenticate",
                               {"challengeNonce": NONCE, "origin": "https://other.example.se"}, id_=2)
        self.assertEqual(other["error"]["data"]["field"], "origin")

    def test_origin_rules_apply(self):
        self.assertEqual(reason(self.host.call("t", "https://evil.example.se", "hello")), "ORIGIN_DENIED")
        self.assertEqual(reason(self.host.call("u", "http://intranet.example.se", "hello")), "ORIGIN_DENIED")
        self.assertEqual(reason(self.host.call("v", "not an origin", "hello")), "INVALID_PARAMS")
        # The same channel cannot change its origin.
        self.host.call("w", PORTAL, "hello")
        self.assertEqual(reason(self.host.call("w", "https://other.example.se", "hello", id_=2)), "INVALID_REQUEST")

    def test_consent_for_an_unknown_https_origin(self):
        self.daemon.answers("confirm yes", "confirm no")
        self.assertIn("result", self.host.call("a", "https://beh.example.se", "listCards"))
        self.assertEqual(reason(self.host.call("b", "https://other.example.se", "listCards")), "ORIGIN_DENIED")
        prompts = self.daemon.prompts()
        self.assertEqual([p["request"] for p in prompts], ["CONFIRM", "CONFIRM"])
        self.assertIn("https://beh.example.se", prompts[0]["setdesc"])
        # Remembered, as for the WebSocket: no third prompt.
        self.assertIn("result", self.host.call("c", "https://beh.example.se", "listCards", id_=2))
        self.assertEqual(len(self.daemon.prompts()), 2)

    def test_cancel_reaches_the_pending_request_of_the_same_page(self):
        self.daemon.answers("hang")
        self.host.send("tab1", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"}, id_=5)
        self.daemon.wait_prompts(1)
        self.assertEqual(self.host.call("tab1", PORTAL, "cancel", {"id": 5}, id_=6)["result"], {"cancelled": True})
        self.assertEqual(reason(self.host.answer(5)["message"]), "USER_CANCELLED")

    def test_cards_changed_reaches_each_page(self):
        self.host.call("tab1", PORTAL, "hello")
        self.host.call("tab2", PORTAL, "hello")
        self.daemon.ctl("insert", "ulla")
        seen = set()
        while len(seen) < 2:
            envelope = self.host.next()
            if envelope["message"].get("method") == "cardsChanged":
                self.assertEqual(len(envelope["message"]["params"]["cards"]), 2)
                seen.add(envelope["channel"])
        self.assertEqual(seen, {"tab1", "tab2"})


class BadInput(HostTest):
    def test_not_json_and_bad_envelopes_get_errors_and_the_host_goes_on(self):
        self.host.write(frame(b"{not json"))
        self.assertEqual(reason(self.host.next()["message"]), "PARSE_ERROR")
        self.host.write(frame({"origin": PORTAL, "message": {"jsonrpc": "2.0", "id": 1, "method": "hello"}}))
        self.assertEqual(reason(self.host.next()["message"]), "INVALID_REQUEST")
        self.host.write(frame({"channel": "a", "origin": PORTAL, "message": {"jsonrpc": "2.0", "method": "hello"}}))
        self.assertEqual(reason(self.host.next()["message"]), "INVALID_REQUEST")
        self.host.write(frame({"channel": "a", "message": {"jsonrpc": "2.0", "id": 3, "method": "hello"}}))
        self.assertEqual(reason(self.host.next()["message"]), "INVALID_REQUEST")
        self.assertIn("result", self.host.call("a", PORTAL, "hello", id_=4))

    def test_oversized_message_is_refused_and_skipped(self):
        self.host.write(frame(b"x" * (5 * 1024 * 1024)))
        self.assertEqual(reason(self.host.next()["message"]), "MESSAGE_TOO_LARGE")
        self.assertIn("result", self.host.call("a", PORTAL, "hello"))

    def test_truncated_message_ends_the_host(self):
        self.host.write(struct.pack("=I", 100) + b'{"channel"')
        self.assertEqual(self.host.end(), 1)
        self.assertIn("input ended inside a message", self.host.stderr())

    def test_a_length_no_browser_sends_ends_the_host(self):
        self.host.write(struct.pack("=I", 0xFFFFFFF0))
        self.assertEqual(reason(self.host.next()["message"]), "PARSE_ERROR")
        self.assertEqual(self.host.proc.wait(timeout=DEADLINE), 1)

    def test_end_of_input_ends_the_host_cleanly(self):
        self.host.call("a", PORTAL, "hello")
        self.assertEqual(self.host.end(), 0)


class DaemonGone(HostTest):
    def test_not_running_then_running_again(self):
        self.host.call("a", PORTAL, "hello")
        self.daemon.answers("hang")
        self.host.send("a", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"}, id_=2)
        self.daemon.wait_prompts(1)
        self.assertEqual(self.daemon.terminate(), 0)
        # The pending request is answered (by the daemon as it stops, or by the host), then the
        # channel is closed.
        self.assertIn(reason(self.host.answer(2)["message"]), ("SHUTTING_DOWN", "NOT_RUNNING"))
        while True:
            envelope = self.host.next()
            if envelope.get("closed"):
                self.assertEqual(envelope["channel"], "a")
                break
        gone = self.host.call("a", PORTAL, "hello", id_=3)
        self.assertEqual(reason(gone), "NOT_RUNNING")
        self.assertEqual(gone["error"]["code"], -32000)
        self.daemon.start()
        self.daemon.wait_log("ready", count=2)  # the first run's "ready" is in the same log
        self.assertIn("result", self.host.call("a", PORTAL, "hello", id_=4))


class Register(unittest.TestCase):
    def test_sithsctl_writes_the_host_manifests_for_this_user(self):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, HOME=home, LC_ALL="C.UTF-8")  # Swedish: the default language
            env.pop("XDG_CONFIG_HOME", None)
            out = subprocess.run([SITHSCTL, "browsers", "register", "--native-host", "--host-path", NATIVE_HOST],
                                 capture_output=True, text=True, timeout=DEADLINE, env=env)
            self.assertEqual(out.returncode, 0, out.stderr)
            chromium = os.path.join(home, ".config", "chromium", "NativeMessagingHosts", "se.sithsd.native_host.json")
            chrome = os.path.join(home, ".config", "google-chrome", "NativeMessagingHosts", "se.sithsd.native_host.json")
            firefox = os.path.join(home, ".mozilla", "native-messaging-hosts", "se.sithsd.native_host.json")
            self.assertEqual([line.split("skrev ", 1)[1] for line in out.stdout.splitlines() if "skrev " in line],
                             [chromium, chrome, firefox])
            self.assertFalse(os.path.exists(os.path.join(home, ".pki")), "--native-host alone touches no NSS database")
            for path in (chromium, chrome):
                with open(path) as f:
                    manifest = json.load(f)
                self.assertEqual(manifest["name"], "se.sithsd.native_host")
                self.assertEqual(manifest["type"], "stdio")
                self.assertEqual(manifest["path"], os.path.abspath(NATIVE_HOST))
                self.assertEqual(manifest["allowed_origins"], ["chrome-extension://dhcgobcphckpalnkldnainiihecbaibm/"])
            with open(firefox) as f:
                self.assertEqual(json.load(f)["allowed_extensions"], ["extension@sithsd.se"])
            missing = subprocess.run([SITHSCTL, "browsers", "register", "--native-host", "--host-path", "/nonexistent"],
                                     capture_output=True, text=True, timeout=DEADLINE, env=env)
            self.assertEqual(missing.returncode, 2)
            self.assertIn("ingen sithsd-native-host", missing.stderr)


if __name__ == "__main__":
    unittest.main()
