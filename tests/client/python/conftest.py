"""pytest fixtures for the Python client: the sithsd module from client/python (not an installed
one), tests/e2e's harness, and a real sithsd on a private soft card world per test module."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "client", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))

from card_world import SITHSCTL, CardDaemon  # noqa: E402

NONCE = "c2l0aHNkLXB5dGhvbi1jbGllbnQtdGVzdC1ub25jZS0wMTIzNDU2Nzg5YQ=="
ORIGIN = "https://journal.example.se"


@pytest.fixture(scope="module")
def daemon():
    with CardDaemon() as d:
        yield d


def verify(kind, path, *args):
    """sithsctl verify-token / verify-cms against the world's test PKI; its exit status."""
    pki = os.path.join(os.environ["SITHSD_WORLD"], "pki")
    return subprocess.run([SITHSCTL, kind, *args, "--trust", f"{pki}/root.pem",
                           "--intermediates", f"{pki}/chain.pem", "--no-ocsp", str(path)],
                          capture_output=True, timeout=30).returncode
