#!/usr/bin/python3
"""list_cards.py: the inserted SITHS cards, the state of both PINs, and their certificates."""
import sys

import sithsd

try:
    with sithsd.Client() as client:
        for card in client.list_cards():
            print(f"card {card.id} in {card.reader}: identification PIN "
                  f"{card.identification.status}, signing PIN {card.signing.status}")
        for c in client.list_certificates():
            print(f"  {c.purpose:<14} {c.display_name}, {c.hsa_id or '(personnummer)'}, "
                  f"until {c.not_after:%Y-%m-%d}  [{c.id}]")
except sithsd.SithsdError as e:
    sys.exit(f"list_cards: {e}")
