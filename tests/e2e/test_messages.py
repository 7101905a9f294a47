"""Messages over both transports: hello, and the bad-input matrix. After every bad input a
second client must still get correct answers."""
import json
import unittest

from harness import Daemon, HELLO, run, ws_call, ws_close_code

CONFIG = 'allowed_origins = ["http://127.0.0.1:8080"]\n'


def hello_of(reply, id_=1):
    assert reply["jsonrpc"] == "2.0", reply
    assert reply["id"] == id_, reply
    return reply["result"]


class Messages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()

    def tearDown(self):
        # After each test (good or hostile), a fresh client on each transport is served.
        async def body():
            async with self.daemon.ws() as ws:
                hello_of(await ws_call(ws, HELLO))
        run(body())
        with self.daemon.unix() as client:
            hello_of(client.call(HELLO))

    def assert_error(self, reply, code, reason, id_=None):
        self.assertEqual(reply["jsonrpc"], "2.0")
        self.assertEqual(reply["id"], id_)
        self.assertEqual(reply["error"]["code"], code)
        self.assertEqual(reply["error"]["data"]["reason"], reason)
        self.assertIsInstance(reply["error"]["message"], str)
        self.assertNotIn("result", reply)

    # --- hello ---
    def test_hello_websocket(self):
        async def body():
            async with self.daemon.ws(origin="http://127.0.0.1:8080") as ws:
                reply = await ws_call(ws, HELLO)
                self.assertEqual(hello_of(reply), {
                    "protocol": "sithsd/1", "version": "0.1.0", "origin": "http://127.0.0.1:8080",
                    "originStatus": "allowed", "transport": "websocket",
                    "methods": ["hello", "listCards", "listCertificates", "authenticate", "sign", "cancel"]})
            async with self.daemon.ws(origin="https://Portal.Example.SE:443") as ws:
                result = hello_of(await ws_call(ws, '{"jsonrpc":"2.0","id":1,"method":"hello"}'))
                self.assertEqual(result["origin"], "https://portal.example.se")
                self.assertEqual(result["originStatus"], "unknown")
        run(body())

    def test_hello_unix(self):
        with self.daemon.unix() as client:
            result = hello_of(client.call(HELLO))
            self.assertEqual(result["transport"], "unix")
            self.assertIsNone(result["origin"])
            self.assertEqual(result["protocol"], "sithsd/1")
            # The local-only methods are listed over the Unix socket only.
            self.assertEqual(result["methods"], ["hello", "listCards", "listCertificates", "authenticate",
                                                 "sign", "cancel", "changePin", "unblockPin", "status",
                                                 "introduce"])
            # Several requests on one connection, answered in order, ids echoed.
            for id_ in ["abc", 7, 0, -3, 1.5, None]:
                request = json.dumps({"jsonrpc": "2.0", "id": id_, "method": "hello"})
                self.assertEqual(client.call(request)["id"], id_)
            # CRLF line endings are tolerated; empty lines ignored.
            client.send_line(b"")
            client.send_line(HELLO.encode() + b"\r")
            self.assertEqual(json.loads(client.read_line())["id"], 1)

    def test_hello_params_are_ignored(self):
        async def body():
            async with self.daemon.ws() as ws:
                reply = await ws_call(
                    ws, '{"jsonrpc":"2.0","id":2,"method":"hello","params":{"x":[1,2]}}')
                hello_of(reply, 2)
        run(body())

    # --- the bad-input matrix, on both transports ---
    def both(self, text, check):
        async def body():
            async with self.daemon.ws() as ws:
                check(await ws_call(ws, text))
                hello_of(await ws_call(ws, HELLO))  # the same connection stays usable
        run(body())
        with self.daemon.unix() as client:
            check(client.call(text))
            hello_of(client.call(HELLO))

    def test_invalid_json(self):
        for text in ['{', '{"jsonrpc":"2.0",', 'hello', '{"a":1}}', '\u00e5', "{'a':1}", '{"a":01}',
                     '{"jsonrpc":"2.0","id":1,"method":"hello"} x']:
            with self.subTest(text=text):
                self.both(text, lambda r: self.assert_error(r, -32700, "PARSE_ERROR"))

    def test_wrong_jsonrpc_version(self):
        for version in ['"1.0"', '2.0', 'null', '"2.00"']:
            with self.subTest(version=version):
                text = '{"jsonrpc":%s,"id":5,"method":"hello"}' % version
                self.both(text, lambda r: self.assert_error(r, -32600, "INVALID_REQUEST", 5))
        self.both('{"id":5,"method":"hello"}',
                  lambda r: self.assert_error(r, -32600, "INVALID_REQUEST", 5))

    def test_missing_or_bad_method(self):
        for method in ['', ',"method":1', ',"method":null', ',"method":["hello"]']:
            with self.subTest(method=method):
                text = '{"jsonrpc":"2.0","id":"m"%s}' % method
                self.both(text, lambda r: self.assert_error(r, -32600, "INVALID_REQUEST", "m"))

    def test_bad_params_and_id(self):
        self.both('{"jsonrpc":"2.0","id":1,"method":"hello","params":"x"}',
                  lambda r: self.assert_error(r, -32600, "INVALID_REQUEST", 1))
        for id_ in ['{}', '[1]', 'true']:
            self.both('{"jsonrpc":"2.0","id":%s,"method":"hello"}' % id_,
                      lambda r: self.assert_error(r, -32600, "INVALID_REQUEST", None))

    def test_unknown_method(self):
        for method in ["listcards", "HELLO", "rpc.discover", "x" * 1000]:
            with self.subTest(method=method[:20]):
                text = json.dumps({"jsonrpc": "2.0", "id": 9, "method": method})
                self.both(text, lambda r: self.assert_error(r, -32601, "METHOD_NOT_FOUND", 9))

    def test_non_object(self):
        for text in ['1', '"hello"', 'null', 'true']:
            with self.subTest(text=text):
                self.both(text, lambda r: self.assert_error(r, -32600, "INVALID_REQUEST"))

    def test_batch_is_refused_and_connection_stays_open(self):
        for text in ['[' + HELLO + ']', '[]', '[1,2]']:
            with self.subTest(text=text):
                self.both(text, lambda r: self.assert_error(r, -32600, "INVALID_REQUEST"))

    def test_notification_gets_no_response(self):
        async def body():
            async with self.daemon.ws() as ws:
                await ws.send('{"jsonrpc":"2.0","method":"hello"}')
                await ws.send('{"jsonrpc":"2.0","method":"nothing"}')
                hello_of(await ws_call(ws, HELLO))  # the first answer is the request's
        run(body())

    def test_huge_document_under_the_limit(self):
        filler = "a" * (1024 * 1024 - 200)
        text = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "hello",
                           "params": {"filler": filler}})
        self.assertLess(len(text), 1024 * 1024)
        self.both(text, lambda r: hello_of(r, 3))

    def test_deeply_nested_document(self):
        for depth in [33, 1000, 300000]:
            with self.subTest(depth=depth):
                text = ('{"jsonrpc":"2.0","id":4,"method":"hello","params":{"x":' + "[" * depth +
                        "]" * depth + "}}")
                if len(text) > 1024 * 1024:
                    continue
                self.both(text, lambda r: self.assert_error(r, -32700, "PARSE_ERROR"))
        self.both("[" * 500000, lambda r: self.assert_error(r, -32700, "PARSE_ERROR"))
        # 30 levels is fine.
        text = '{"jsonrpc":"2.0","id":4,"method":"hello","params":{"x":' + "[" * 29 + "]" * 29 + "}}"
        self.both(text, lambda r: hello_of(r, 4))

    # --- transport-level limits ---
    def test_binary_frame_gets_error_then_close_1003(self):
        async def body():
            async with self.daemon.ws() as ws:
                await ws.send(HELLO.encode())
                reply = json.loads(await ws.recv())
                self.assert_error(reply, -32600, "INVALID_REQUEST")
                self.assertEqual(await ws_close_code(ws), 1003)
        run(body())

    def test_frame_over_1mib_closes_with_1009(self):
        async def body():
            async with self.daemon.ws(max_size=None) as ws:
                try:
                    await ws.send("x" * (2 * 1024 * 1024))
                except Exception:
                    pass  # the daemon may close while we are still sending
                self.assertEqual(await ws_close_code(ws), 1009)
        run(body())

    def test_message_of_exactly_1mib_is_read(self):
        text = json.dumps({"jsonrpc": "2.0", "id": 6, "method": "hello", "params": {"f": ""}})
        text = text.replace('"f": ""', '"f": "' + "b" * (1024 * 1024 - len(text)) + '"')
        self.assertEqual(len(text), 1024 * 1024)
        self.both(text, lambda r: hello_of(r, 6))

    def test_unix_line_over_1mib(self):
        with self.daemon.unix() as client:
            try:
                client.send_line(b"x" * (2 * 1024 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass
            reply = client.read_line()
            self.assert_error(json.loads(reply), -32600, "INVALID_REQUEST")
            self.assertIsNone(client.read_line())  # then the daemon hangs up

    def test_invalid_utf8(self):
        with self.daemon.unix() as client:
            reply = client.call(b'{"jsonrpc":"2.0","id":1,"method":"hel\xfflo"}')
            self.assert_error(reply, -32700, "PARSE_ERROR")


if __name__ == "__main__":
    unittest.main()
