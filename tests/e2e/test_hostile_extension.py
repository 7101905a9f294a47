"""The second attack (issue 23) on the extension's way in, items 1 and 3: notifications only to
a peer that is known and allowed (a Unix peer may yet introduce itself as a page), nothing the
daemon sent before its answer to `introduce` passed on by sithsd-native-host, and the host's
channels of origins without consent in a budget of their own. The real sithsd on the soft card;
a fake daemon where only a daemon that breaks the rule can show the host's side."""
import asyncio
import json
import os
import socket
import tempfile
import threading
import unittest

from card_world import PORTAL, CardDaemon
from harness import DEADLINE, run, wait_for
from native_host import NativeHost, frame

UNKNOWN = "https://okand.example.se"
NONCE = "A" * 43 + "="


def request(method, params=None, id_=1):
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message)


def reason(message):
    assert "error" in message, message
    return message["error"]["data"]["reason"]


def read_until_answer(client, id_):
    """The answer with that id and the notifications that came before it."""
    notes = []
    while True:
        line = client.read_line()
        assert line is not None, "the daemon closed the connection"
        message = json.loads(line)
        if message.get("id") == id_:
            return message, notes
        notes.append(message.get("method"))


def read_until_note(client, method):
    while True:
        line = client.read_line()
        assert line is not None, "the daemon closed the connection"
        message = json.loads(line)
        if message.get("method") == method:
            return message


class SoonExpiring(unittest.TestCase):
    """A card whose certificates end in 20 days is in the reader: certificateExpiring is due to
    every client that may hear about the card."""

    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n')
        self.daemon.start()
        self.daemon.ctl("insert", "soon")
        wait_for(lambda: "2 inserted" in self.daemon.log(), "the card to be seen")

    def tearDown(self):
        self.daemon.close()

    def test_a_unix_peer_hears_nothing_before_its_first_message(self):
        # The native host's connection, before it introduces the page: before the fix the
        # certificate ids came here at once, and the host passed them to any page.
        with self.daemon.unix() as relay:
            relay.send_line(request("introduce", {"as": "extension", "origin": UNKNOWN}))
            answer, before = read_until_answer(relay, 1)
            self.assertEqual(before, [], "nothing before the introduce answer")
            self.assertEqual(answer["result"]["originStatus"], "unknown")
            # Nothing after it either, for an origin without consent (hello is a barrier: the
            # daemon writes a connection's messages in order).
            relay.send_line(request("hello", id_=2))
            _, after = read_until_answer(relay, 2)
            self.assertEqual(after, [])

    def test_an_origin_allowed_later_gets_the_connect_time_note_then(self):
        with self.daemon.unix() as relay:
            relay.send_line(request("introduce", {"as": "extension", "origin": UNKNOWN}))
            read_until_answer(relay, 1)
            self.daemon.answers("confirm yes")
            relay.send_line(request("listCards", id_=2))
            answer, before = read_until_answer(relay, 2)
            self.assertEqual(len(answer["result"]), 2)
            self.assertNotIn("certificateExpiring", before)
            note = read_until_note(relay, "certificateExpiring")
            self.assertIn(note["params"]["daysLeft"], (19, 20))
            # The person's answer is remembered: a new page of that origin is "allowed" at once,
            # and hears the note right after its introduction.
            with self.daemon.unix() as second:
                second.send_line(request("introduce", {"as": "extension", "origin": UNKNOWN}))
                answer, before = read_until_answer(second, 1)
                self.assertEqual(answer["result"]["originStatus"], "allowed")
                self.assertEqual(before, [])
                read_until_note(second, "certificateExpiring")

    def test_an_allowed_origin_hears_it_right_after_the_introduce_answer(self):
        with self.daemon.unix() as relay:
            relay.send_line(request("introduce", {"as": "extension", "origin": PORTAL}))
            answer, before = read_until_answer(relay, 1)
            self.assertEqual(before, [])
            self.assertEqual(answer["result"]["originStatus"], "allowed")
            self.assertEqual(json.loads(relay.read_line())["method"], "certificateExpiring")

    def test_a_local_program_hears_it_after_its_first_answer(self):
        with self.daemon.unix() as program:
            program.send_line(request("hello"))
            answer, before = read_until_answer(program, 1)
            self.assertEqual((answer["result"]["transport"], before), ("unix", []))
            read_until_note(program, "certificateExpiring")

    def test_a_websocket_page_allowed_later_gets_the_note_then(self):
        async def body():
            async with self.daemon.ws(origin=UNKNOWN) as ws:
                await asyncio.wait_for(ws.send(request("hello")), DEADLINE)
                hello = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                self.assertEqual(hello["result"]["originStatus"], "unknown")  # nothing before it
                self.daemon.answers("confirm yes")
                await asyncio.wait_for(ws.send(request("listCards", id_=2)), DEADLINE)
                seen = []
                while "certificateExpiring" not in seen:
                    message = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                    seen.append(message.get("method") or message.get("id"))
                self.assertEqual(seen[0], 2, "the answer first, then the note")
        run(body())


class FakeDaemon:
    """A Unix socket that speaks first: a certificateExpiring on connect (what sithsd did before
    the fix), then answers introduce and hello as sithsd does."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "sithsd.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        self.server.settimeout(DEADLINE)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            connection, _ = self.server.accept()
        except OSError:
            return
        with connection:
            connection.sendall(b'{"jsonrpc":"2.0","method":"certificateExpiring","params":'
                               b'{"certificateId":"leaked","notAfter":"2027-01-01T00:00:00Z","daysLeft":20}}\n')
            buffer = b""
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = json.loads(line)
                    result = ({"methods": ["hello"], "origin": PORTAL, "originStatus": "unknown"}
                              if message["method"] == "introduce" else {"protocol": "sithsd/1"})
                    connection.sendall(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result})
                                       .encode() + b"\n")

    def close(self):
        self.server.close()
        self.thread.join(DEADLINE)
        self.dir.cleanup()


class HostBeforeIntroduce(unittest.TestCase):
    def test_the_host_passes_on_nothing_from_before_the_introduce_answer(self):
        fake = FakeDaemon()
        try:
            with NativeHost(fake.path) as host:
                self.assertIn("result", host.call("tab", PORTAL, "hello", id_=1))
                self.assertIn("result", host.call("tab", PORTAL, "hello", id_=2))
                self.assertEqual(host.skipped, [], "no envelope besides the two answers")
        finally:
            fake.close()


class HostBudgets(unittest.TestCase):
    """Item 1: a page with many frames of origins without consent cannot take the channels an
    allowed portal needs (PROTOCOL.md "Connection budgets", the host's side)."""

    def setUp(self):
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n')
        self.daemon.start()
        self.host = NativeHost(self.daemon.socket_path)

    def tearDown(self):
        self.host.close()
        self.daemon.close()

    def frames(self, count, origin="https://ramar.example.se"):
        """Opens `count` channels of an origin without consent (hello needs none); their answers."""
        for i in range(count):
            self.host.send(f"frame{i}", origin, "hello", id_=i + 1)
        return [self.host.answer(i + 1)["message"] for i in range(count)]

    def test_seventy_frames_without_consent_leave_the_portal_its_place(self):
        answers = self.frames(70)
        self.assertEqual(sum("result" in a for a in answers), 32)
        busy = [a for a in answers if "error" in a]
        self.assertEqual({reason(a) for a in busy}, {"BUSY"})
        self.assertIn("without consent", busy[0]["error"]["message"])
        self.assertEqual(self.daemon.prompts(), [], "hello asked nobody")
        # The allowed portal in another tab logs in.
        self.daemon.answers("pin 123456")
        token = self.host.call("portal", PORTAL, "authenticate", {"challengeNonce": NONCE, "require": "hsaId"},
                               id_=100)
        self.assertEqual(token["result"]["format"], "web-eid:1.0")
        # A frame that goes frees its place.
        self.host.write(frame({"channel": "frame0", "close": True}))
        self.assertIn("result", self.host.call("late", "https://ramar.example.se", "hello", id_=101))

    def test_an_origin_the_person_allowed_counts_as_allowed_on_its_next_page(self):
        self.daemon.answers("confirm yes")
        self.assertIn("result", self.host.call("first", "https://beh.example.se", "listCards", id_=200))
        self.frames(70)
        # The first page stays where it was counted; the next page of the origin is allowed now.
        hello = self.host.call("next", "https://beh.example.se", "hello", id_=201)
        self.assertEqual(hello["result"]["originStatus"], "allowed")


if __name__ == "__main__":
    unittest.main()
