#!/usr/bin/python3
"""login.py ORIGIN NONCE: logs in to ORIGIN (this program's own backend) with the identification
certificate that carries an HSA-ID and prints the web-eid:1.0 token for the backend, which checks
it (`sithsctl verify-token` does what a backend does)."""
import sys

import sithsd

if len(sys.argv) != 3:
    sys.exit("usage: login.py https://ORIGIN NONCE")
try:
    with sithsd.Client() as client:
        print(client.authenticate(sys.argv[1], sys.argv[2], require="hsaId").json)
except sithsd.PinIncorrectError as e:
    sys.exit(f"login: wrong PIN, {e.tries_left} tries left")
except sithsd.SithsdError as e:
    sys.exit(f"login: {e}")
