"""The portal's API with the card, no browser: pytest with the sithsd fixture (pytest-sithsd from
the sithsd-testkit package). The portal runs at https://127.0.0.1:$PORTAL_PORT."""
import base64
import http.cookiejar
import json
import os
import ssl
import urllib.error
import urllib.request

import pytest
from pytest_sithsd import SithsdError

PORTAL = f"https://127.0.0.1:{os.environ['PORTAL_PORT']}"
TOLVAN = "SE5560000001-P000000000001"


class Portal:
    """A browser-less client of the portal: one cookie session, the world's root trusted."""

    def __init__(self, root_pem):
        context = ssl.create_default_context(cafile=root_pem)
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                                  urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path, data=None):
        request = urllib.request.Request(PORTAL + path, data=json.dumps(data or {}).encode(),
                                         headers={"content-type": "application/json"})
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)


@pytest.fixture
def portal(sithsd):
    return Portal(sithsd.root_pem)


def test_login_with_the_card(sithsd, portal):
    _, answer = portal.post("/api/nonce")
    token = sithsd.authenticate(origin=PORTAL, nonce=answer["nonce"])
    assert portal.post("/api/login", {"token": token}) == (200, {"hsaId": TOLVAN})
    [prompt] = sithsd.prompts()
    assert prompt["pin"] == "identification" and prompt["requester"].startswith(PORTAL)


def test_a_token_is_used_once(sithsd, portal):
    _, answer = portal.post("/api/nonce")
    token = sithsd.authenticate(origin=PORTAL, nonce=answer["nonce"])
    assert portal.post("/api/login", {"token": token})[0] == 200
    assert portal.post("/api/login", {"token": token})[0] == 401


def test_wrong_pin_then_right(sithsd, portal):
    _, answer = portal.post("/api/nonce")
    sithsd.pin("wrong", "123456")
    token = sithsd.authenticate(origin=PORTAL, nonce=answer["nonce"], pin=None)
    assert portal.post("/api/login", {"token": token})[0] == 200
    assert [p["error"] for p in sithsd.prompts()] == [None, "Fel PIN-kod. 2 försök kvar."]


def test_cancel(sithsd, portal):
    _, answer = portal.post("/api/nonce")
    with pytest.raises(SithsdError) as refused:
        sithsd.authenticate(origin=PORTAL, nonce=answer["nonce"], pin="cancel")
    assert refused.value.reason == "USER_CANCELLED"


def test_attest_with_the_signing_pin(sithsd, portal):
    _, order = portal.post("/api/prepare")
    cms = sithsd.sign(base64.b64decode(order["data"]), order["displayText"])
    status, signed = portal.post("/api/sign", {"cms": base64.b64encode(cms).decode()})
    assert status == 200 and signed["signer"] == TOLVAN
    [prompt] = sithsd.prompts()
    assert prompt["pin"] == "signing" and prompt["displayText"].startswith(order["displayText"])


def test_card_removed(sithsd, portal):
    sithsd.remove_card("tolvan")
    with pytest.raises(SithsdError) as refused:
        sithsd.authenticate(origin=PORTAL, nonce="x" * 44)
    assert refused.value.reason == "NO_CARD"
