"""pytest-sithsd: the fixture `sithsd`, a private sithsd on an emulated SITHS card (test keys only).

A thin layer over the `sithsd-testkit` command (installed with it in the sithsd-testkit package):
one instance per test session (per worker with pytest-xdist), on a world made once and shared by
the workers; after each test the cards go back as the world made them and no scripted answer is
left. Options (command line or ini): --sithsd-world DIR, --sithsd-origin ORIGIN (repeat),
--sithsd-card SPEC (repeat), --sithsd-testkit PATH.

    def test_login(sithsd, portal):
        nonce = portal.post("/api/nonce").json()["nonce"]
        token = sithsd.authenticate(origin=portal.origin, nonce=nonce)   # PIN 123456 scripted
        assert portal.post("/api/login", json={"token": token}).ok
        assert sithsd.prompts()[-1]["requester"].startswith(portal.origin)
"""
import hashlib
import json
import os
import subprocess
import tempfile

import pytest

ID_PIN, SIGN_PIN = "123456", "654321"


class SithsdError(Exception):
    """sithsd or the command answered with an error; `reason` is PROTOCOL.md's name when known."""

    def __init__(self, message):
        super().__init__(message)
        self.reason = next((r for r in ("USER_CANCELLED", "TIMEOUT", "NO_CARD", "PIN_BLOCKED", "CARD_REMOVED",
                                        "CERTIFICATE_EXPIRED", "PIN_INCORRECT") if r in message), None)


class Sithsd:
    """One running instance: what `sithsd-testkit up` printed, as attributes, and its commands."""

    def __init__(self, command, info):
        self.command = command
        self.info = info
        self.run_dir = info["runDir"]
        self.ws_url = info["wsUrl"]
        self.socket = info["socket"]
        self.root_pem = info["rootPem"]
        self.chain_pem = info["chainPem"]
        self.ocsp_url = info["ocspUrl"]
        self.origins = info["origins"]
        self.cards = info["cards"]
        self.pins = info["pins"]
        self.env_file = info["envFile"]

    def _kit(self, *args):
        return run_json(self.command, *args, "--run", self.run_dir)

    def _ctl(self, *args):
        out = subprocess.run([self.info["sithsctl"], "--socket", self.socket, *args],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise SithsdError(out.stderr.strip() or out.stdout.strip())
        return out.stdout

    # --- the person ---
    def pin(self, *answers):
        """Scripts the next prompts' answers: "123456", "wrong", "cancel", "timeout", "empty"."""
        return self._kit("pin", "next", *answers)

    def prompts(self):
        """What each prompt said: request, pin, requester (the origin), holder, displayText, error."""
        return self._kit("prompts")

    # --- the cards ---
    def remove_card(self, name="tolvan"):
        return self._kit("card", "remove", name)

    def insert_card(self, name):
        return self._kit("card", "insert", name)

    def card_status(self):
        return self._kit("card", "status")

    def reset(self):
        """Every card as the world made it; no scripted answer left."""
        return self._kit("card", "reset")

    def card(self, name):
        return next(c for c in self.cards if c["name"] == name)

    # --- what a portal's API test needs from the card ---
    def certificate_id(self, purpose, card="tolvan"):
        hsa_id = self.card(card)["hsaId"]
        certs = json.loads(self._ctl("certs", "--purpose", purpose, "--json"))
        for cert in certs:
            if cert["hsaId"] == hsa_id:
                return cert["certificateId"]
        raise SithsdError(f"NO_CARD: no {purpose} certificate of {card} (is the card inserted?)")

    def authenticate(self, origin, nonce, card="tolvan", pin=ID_PIN):
        """A web-eid:1.0 token for `origin` over `nonce` from the card's HSA-ID certificate (the PIN
        scripted first unless pin is None)."""
        cert = self.certificate_id("identification", card)
        if pin is not None:
            self.pin(pin)
        return json.loads(self._ctl("authenticate", "--origin", origin, "--nonce", nonce, "--cert", cert))

    def sign(self, data, display_text, card="tolvan", pin=SIGN_PIN, fmt="cms"):
        """The detached CMS (DER bytes) over `data` from the card's signature certificate."""
        cert = self.certificate_id("signing", card)
        with tempfile.TemporaryDirectory() as tmp:
            source, out = os.path.join(tmp, "data"), os.path.join(tmp, "signature")
            with open(source, "wb") as f:
                f.write(data)
            if pin is not None:
                self.pin(pin)
            self._ctl("sign", "--text", display_text, "--in", source, "--out", out, "--format", fmt,
                      "--cert", cert)
            with open(out, "rb") as f:
                return f.read()

    def browser(self, which, profile_dir, origins=()):
        """Prepares a Chromium or Firefox profile; returns the launch (executable, args, env)."""
        args = ["browser", which, str(profile_dir)]
        for origin in origins:
            args += ["--origin", origin]
        return self._kit(*args)


def run_json(command, *args):
    out = subprocess.run([command, *args], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SithsdError(f"sithsd-testkit {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def pytest_addoption(parser):
    group = parser.getgroup("sithsd", "sithsd-testkit (test keys only)")
    group.addoption("--sithsd-world", help="a world made by `sithsd-testkit world` (default: one shared "
                    "by this run's workers in the temp folder)")
    group.addoption("--sithsd-origin", action="append", default=[], help="an origin sithsd allows (repeat)")
    group.addoption("--sithsd-card", action="append", default=[], help="a card SPEC for the world (repeat)")
    group.addoption("--sithsd-testkit", default="sithsd-testkit", help="the command (default on PATH)")
    parser.addini("sithsd_origins", "origins sithsd allows", type="linelist", default=[])
    parser.addini("sithsd_cards", "card SPECs for the world", type="linelist", default=[])


def _settings(config):
    origins = config.getoption("sithsd_origin") + config.getini("sithsd_origins")
    cards = config.getoption("sithsd_card") + config.getini("sithsd_cards")
    return config.getoption("sithsd_testkit"), config.getoption("sithsd_world"), origins, cards


@pytest.fixture(scope="session")
def sithsd_instance(request):
    command, world, origins, cards = _settings(request.config)
    if world is None:
        # One world per user and set of options: the workers share it (`world` waits for a
        # running make and finds it made), and so do later runs the same day.
        key = hashlib.sha256(json.dumps([origins, cards]).encode()).hexdigest()[:12]
        world = os.path.join(tempfile.gettempdir(), f"sithsd-testkit-world-{os.getuid()}-{key}")
        args = ["world", world]
        for origin in origins:
            args += ["--origin", origin]
        for card in cards:
            args += ["--card", card]
        run_json(command, *args)
    args = ["up", "--world", world]
    for origin in origins:
        args += ["--origin", origin]
    instance = Sithsd(command, run_json(command, *args))
    try:
        yield instance
    finally:
        run_json(command, "down", "--run", instance.run_dir)


@pytest.fixture
def sithsd(sithsd_instance):
    """The session's sithsd, its cards as the world made them at the start of each test."""
    yield sithsd_instance
    sithsd_instance.reset()
