"""What the prompt shows is what is signed (issue 16): a displayText with control characters or
bidirectional overrides is refused naming the field, and the longest displayText the protocol
allows reaches Debian's real pinentry-tty whole, on a pseudo-terminal, as one SETDESC line within
libassuan's 1000 bytes. The scripted test pinentry refuses longer lines as libassuan does."""
import asyncio
import os
import pty
import select
import subprocess
import time
import unittest

from card_world import PINENTRY, PORTAL, CardDaemon
from harness import DEADLINE, run
from test_cards import CardTest, call, replies_by_id, request

PINENTRY_TTY = "/usr/bin/pinentry-tty"


def prompt_size(text):
    return sum(3 if c in "%\n" else len(c.encode()) for c in text)


def longest_display_text():
    """Exactly 500 bytes as the prompt's line counts them (UTF-8; a line break or % counts 3)."""
    lines = ["Attest av beställning VMU3000096: Statistik VE, K3 Barn och Kvinna, 100 % av kostnaden",
             "för Ulla Älvsdotter, Sahlgrenska Universitetssjukhuset, Göteborg.",
             "Belopp: 12 345,00 kr. Konto 4010, ansvar 7123, verksamhet 330, projekt 9002.",
             "Övrigt: "]
    text = "\n".join(lines)
    while prompt_size(text) < 500:
        text += "x"
    assert prompt_size(text) == 500
    return text


class ControlCharacters(CardTest):
    def test_control_and_bidi_characters_are_refused_naming_the_field(self):
        cert = self.certificate("signing")
        for hidden in ("\x00", "\x1b[2J", "\r", "\t", "\x7f", "\x85", "\x9b", "\u202a", "\u202e",
                       "\u2066", "\u2069"):
            with self.subTest(hidden=repr(hidden)):
                reply = self.sign(self.sign_params(cert, displayText=f"Betala 100{hidden} kr"))
                self.assertEqual(reply["error"]["code"], -32602, reply)
                self.assertEqual(reply["error"]["data"]["field"], "displayText")
        self.assertEqual(self.daemon.prompts(), [], "nothing was shown")
        too_long = longest_display_text() + "x"
        self.assertEqual(self.sign(self.sign_params(cert, displayText=too_long))["error"]["data"]["field"],
                         "displayText")
        self.daemon.answers("pin 654321")
        self.assertIn("result", self.sign(self.sign_params(cert, displayText="Rad ett\nRad två")))


class RealPinentryTty(unittest.TestCase):
    def setUp(self):
        if not os.access(PINENTRY_TTY, os.X_OK):
            self.fail(f"{PINENTRY_TTY} is missing (scripts/install-deps installs pinentry-tty)")
        self.master, slave = pty.openpty()
        self.daemon = CardDaemon(f'allowed_origins = ["{PORTAL}"]\n', pinentry=PINENTRY_TTY,
                                 env={"TERM": "xterm"})
        self.daemon.stdin = slave
        try:
            self.daemon.start()
        finally:
            os.close(slave)

    def tearDown(self):
        self.daemon.close()
        os.close(self.master)

    def read_screen_until(self, text, screen):
        end = time.monotonic() + DEADLINE
        while text not in screen.decode(errors="replace").replace("\r\n", "\n"):
            left = end - time.monotonic()
            self.assertGreater(left, 0, f"pinentry-tty never showed {text!r}; screen:\n{screen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                screen += os.read(self.master, 65536)
        return screen

    def test_the_longest_display_text_reaches_pinentry_tty_whole(self):
        text = longest_display_text()

        async def body():
            async with self.daemon.ws(origin=PORTAL) as ws:
                reply = await call(ws, "listCertificates", {"purpose": "signing"})
                cert = reply["result"][0]["certificateId"]
                await ws.send(request("sign", {"certificateId": cert, "displayText": text, "format": "raw",
                                               "data": "b3JkZXI="}, "s1"))
                loop = asyncio.get_running_loop()
                screen = await loop.run_in_executor(None, self.read_screen_until, text, b"")
                await loop.run_in_executor(None, self.read_screen_until, "PIN", screen)
                os.write(self.master, b"654321\n")
                return screen, (await replies_by_id(ws, 1))["s1"]
        screen, reply = run(body(), timeout=60)
        self.assertIn(text, screen.decode().replace("\r\n", "\n"))
        self.assertIn("result", reply, reply)


class ScriptedPinentryLineLimit(unittest.TestCase):
    def test_lines_over_1000_bytes_are_refused_as_libassuan_does(self):
        ok_line = b"SETDESC " + b"a" * (1000 - 8)
        long_line = b"SETDESC " + "å".encode() * 497  # 8 + 994 = 1002 bytes
        out = subprocess.run([PINENTRY], input=ok_line + b"\n" + long_line + b"\nBYE\n",
                             capture_output=True, timeout=30, env={"PATH": os.environ.get("PATH", "")})
        lines = out.stdout.decode().splitlines()
        self.assertEqual(lines[1], "OK")
        self.assertTrue(lines[2].startswith("ERR ") and "Line too long" in lines[2], lines)


if __name__ == "__main__":
    unittest.main()
