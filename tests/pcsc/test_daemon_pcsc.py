"""cardsChanged through pcscd: the real sithsd, a real pcscd with vsmartcard-vpcd's virtual reader,
and vicc inserting and removing a card. Run inside in-private-pcscd (its own pcscd in a private
mount + network namespace)."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from card_world import PORTAL, CardDaemon  # noqa: E402
from harness import DEADLINE, run  # noqa: E402

VICC = os.environ.get("VICC", "")


async def next_cards_changed(ws, deadline=15):
    end = asyncio.get_running_loop().time() + deadline
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, end - asyncio.get_running_loop().time())))
        if message.get("method") == "cardsChanged":
            return message


class PcscEvents(unittest.TestCase):
    def test_vicc_insert_and_remove_reach_the_client(self):
        with CardDaemon(f'allowed_origins = ["{PORTAL}"]\n') as daemon:

            async def body():
                async with daemon.ws(origin=PORTAL) as ws:
                    await asyncio.wait_for(ws.send('{"jsonrpc":"2.0","id":1,"method":"hello"}'), DEADLINE)
                    vicc = subprocess.Popen([VICC], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    try:
                        inserted = await next_cards_changed(ws)
                        # The soft card's tolvan is still the one card a module shows.
                        self.assertEqual(len(inserted["params"]["cards"]), 1)
                    finally:
                        vicc.send_signal(signal.SIGTERM)
                        vicc.wait(timeout=10)
                    await next_cards_changed(ws)
            run(body(), timeout=60)
            self.assertNotIn("PC/SC is not available", daemon.log())


if __name__ == "__main__":
    unittest.main()
