#!/usr/bin/python3
"""run_e2e.py TEST_BINARY: the real sithsd on a private copy of the soft card world (tests/e2e's
CardDaemon), then the client's e2e test binary against it (SITHSD_SOCKET and the rest in its
environment). The daemon is stopped on every way out."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from card_world import SITHSCTL, SOFTCARD_CTL, CardDaemon  # noqa: E402

with CardDaemon() as daemon:
    env = dict(os.environ, SITHSD_SOCKET=daemon.socket_path, E2E_PINENTRY_SCRIPT=daemon.script,
               E2E_WORLD=daemon.world, SOFTCARD_CTL=SOFTCARD_CTL, SITHSCTL=SITHSCTL)
    result = subprocess.run([sys.argv[1]], env=env, timeout=240)
sys.exit(result.returncode)
