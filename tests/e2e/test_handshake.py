"""The WebSocket handshake checks of PROTOCOL.md over real sockets, against the real sithsd."""
import asyncio
import unittest

import websockets

from harness import Daemon, HELLO, raw_handshake, run, wait_for, ws_call

CONFIG = '''allowed_origins = ["http://127.0.0.1:8080", "https://*.allowed.example.se"]
denied_origins = ["https://evil.example.se", "https://*.bad.example.se"]
'''


class Handshake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()

    def status(self, **kw):
        status, _, s = raw_handshake(self.daemon.port, **kw)
        s.close()
        return status

    def assert_still_serving(self):
        async def body():
            async with self.daemon.ws() as ws:
                reply = await ws_call(ws, HELLO)
                self.assertEqual(reply["result"]["protocol"], "sithsd/1")
        run(body())

    def test_allowed_http_origin_is_accepted(self):
        status, headers, s = raw_handshake(self.daemon.port, origin="http://127.0.0.1:8080")
        s.close()
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("upgrade", "").lower(), "websocket")

    def test_unknown_https_origin_is_accepted_when_prompting(self):
        self.assertEqual(self.status(origin="https://portal.example.se"), 101)

    def test_wildcard_allowed_origin(self):
        async def body():
            async with self.daemon.ws(origin="https://journal.allowed.example.se") as ws:
                reply = await ws_call(ws, HELLO)
                self.assertEqual(reply["result"]["origin"], "https://journal.allowed.example.se")
                self.assertEqual(reply["result"]["originStatus"], "allowed")
        run(body())

    def test_loopback_host_names(self):
        port = self.daemon.port
        for host, address in [(f"127.0.0.1:{port}", "127.0.0.1"), (f"localhost:{port}", "127.0.0.1"),
                              (f"LOCALHOST:{port}", "127.0.0.1"), (f"[::1]:{port}", "::1")]:
            with self.subTest(host=host):
                status, _, s = raw_handshake(port, host=host, origin="https://a.example.se",
                                             address=address)
                s.close()
                self.assertEqual(status, 101)

    def test_foreign_host_is_refused(self):  # DNS rebinding
        port = self.daemon.port
        for host in [f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", "127.0.0.1",
                     f"127.0.0.2:{port}", f"0.0.0.0:{port}", f"localhost.evil.example:{port}", ""]:
            with self.subTest(host=host):
                self.assertEqual(self.status(host=host, origin="https://a.example.se"), 403)
        self.assert_still_serving()

    def test_two_host_headers_are_refused(self):
        status = self.status(origin="https://a.example.se",
                             extra=[f"Host: evil.example:{self.daemon.port}"])
        self.assertIn(status, (400, 403))

    def test_no_origin_is_refused(self):
        self.assertEqual(self.status(), 403)
        self.assert_still_serving()

    def test_http_origin_not_on_allow_list_is_refused(self):
        for origin in ["http://127.0.0.1:8081", "http://portal.example.se", "http://localhost",
                       "ws://127.0.0.1:8080", "file://", "null", "chrome-extension://abcdef"]:
            with self.subTest(origin=origin):
                self.assertEqual(self.status(origin=origin), 403)

    def test_denied_origin_is_refused(self):
        for origin in ["https://evil.example.se", "https://EVIL.example.se:443",
                       "https://x.bad.example.se"]:
            with self.subTest(origin=origin):
                self.assertEqual(self.status(origin=origin), 403)
        self.assert_still_serving()

    def test_malformed_origin_is_refused(self):
        for origin in ["https://a.example.se/", "https://a.example.se/path", "https://u@a.se",
                       "garbage", "https://a.se:0", "https://*.allowed.example.se", ""]:
            with self.subTest(origin=origin):
                self.assertEqual(self.status(origin=origin), 403)

    def test_two_origin_headers_are_refused(self):
        self.assertEqual(self.status(origin="https://a.example.se",
                                     extra=["Origin: https://evil.example.se"]), 403)

    def test_wrong_path_is_404(self):
        for path in ["/", "/v2", "/v1/", "/v1?x=1", "/V1", "/v1/../v1x"]:
            with self.subTest(path=path):
                self.assertEqual(self.status(origin="https://a.example.se", path=path), 404)

    def test_plain_http_request_is_refused(self):
        self.assertEqual(self.status(origin="https://a.example.se", upgrade=False), 400)

    def test_refusals_are_logged_once_each(self):
        before = self.daemon.log().count("HTTP 403")
        self.assertEqual(self.status(origin="https://evil.example.se"), 403)
        self.daemon.wait_log("HTTP 403", before + 1)
        self.assertEqual(self.daemon.log().count("HTTP 403"), before + 1)
        self.assertIn("deny list", self.daemon.log())

    def test_subprotocol_selected_when_offered(self):
        async def body():
            async with self.daemon.ws(subprotocols=["other", "sithsd.v1"]) as ws:
                self.assertEqual(ws.subprotocol, "sithsd.v1")
                self.assertEqual((await ws_call(ws, HELLO))["id"], 1)
            async with self.daemon.ws() as ws:
                self.assertIsNone(ws.subprotocol)
        run(body())

    def test_ipv6_loopback(self):
        async def body():
            url = f"ws://[::1]:{self.daemon.port}/v1"
            async with self.daemon.ws(url=url) as ws:
                self.assertEqual((await ws_call(ws, HELLO))["result"]["transport"], "websocket")
        run(body())

    def test_websockets_client_sees_refusal(self):
        async def body():
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                async with self.daemon.ws(origin="https://evil.example.se"):
                    pass
            self.assertEqual(refused.exception.status_code, 403)
        run(body())


class PromptUnknownOff(unittest.TestCase):
    def test_unknown_https_origin_refused(self):
        with Daemon(CONFIG + "prompt_unknown_origins = false\n") as daemon:
            status, _, s = raw_handshake(daemon.port, origin="https://portal.example.se")
            s.close()
            self.assertEqual(status, 403)
            self.assertIn("prompt_unknown_origins = false", daemon.log())
            for ok in ["http://127.0.0.1:8080", "https://a.allowed.example.se"]:
                status, _, s = raw_handshake(daemon.port, origin=ok)
                s.close()
                self.assertEqual(status, 101, ok)


class MaxConnections(unittest.TestCase):
    def test_503_beyond_max_connections(self):
        # max_connections is the allowed origins' budget; the others have their own (test_hostile).
        with Daemon('max_connections = 2\nallowed_origins = ["https://*.example.se"]\n') as daemon:
            async def body():
                a = await daemon.ws(origin="https://a.example.se")
                b = await daemon.ws(origin="https://b.example.se")
                status, _, s = raw_handshake(daemon.port, origin="https://a.example.se")
                s.close()
                self.assertEqual(status, 503)
                # An origin without consent counts elsewhere, and so does the Unix socket.
                status, _, s = raw_handshake(daemon.port, origin="https://other.example.org")
                s.close()
                self.assertEqual(status, 101)
                with daemon.unix() as client:
                    self.assertEqual(client.call(HELLO)["id"], 1)
                # The two open connections still work.
                self.assertEqual((await ws_call(a, HELLO))["id"], 1)
                self.assertEqual((await ws_call(b, HELLO))["id"], 1)
                await a.close()
                # The slot comes back once the daemon has seen the close.
                daemon.wait_log("closed", 1)

                def accepted():
                    status, _, s = raw_handshake(daemon.port, origin="https://a.example.se")
                    s.close()
                    return status == 101
                # (a refused attempt is not a connection, so retrying is harmless)
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: wait_for(accepted, "a free slot"))
                await b.close()
            run(body())
            self.assertIn("max_connections (2) reached", daemon.log())


if __name__ == "__main__":
    unittest.main()
