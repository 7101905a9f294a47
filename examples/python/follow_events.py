#!/usr/bin/python3
"""follow_events.py [COUNT]: prints sithsd's notifications (cards coming and going, certificates
about to expire) as they come, with the asyncio client; stops after COUNT (default: never)."""
import asyncio
import sys

import sithsd


async def main(count: int) -> None:
    async with await sithsd.AsyncClient.connect() as client:
        print("following sithsd's events", flush=True)
        seen = 0
        async for n in client.notifications():
            if n.method == "cardsChanged":
                print(f"cardsChanged: {len(n.cards)} card(s)", flush=True)
            elif n.method == "certificateExpiring":
                print(f"certificateExpiring: {n.certificate_id} in {n.days_left} days", flush=True)
            else:
                print(n.method, n.params, flush=True)
            seen += 1
            if seen == count:
                return


try:
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else -1))
except sithsd.SithsdError as e:
    sys.exit(f"follow_events: {e}")
