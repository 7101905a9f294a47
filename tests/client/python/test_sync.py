"""sithsd.Client against the real daemon on the soft card: cards and certificates, a login whose
token sithsctl verifies, a CMS signature, a wrong PIN's typed error, cancel from another thread,
card events as notifications, and no daemon at all."""
import threading
import time

import pytest
import sithsd
from conftest import NONCE, ORIGIN, verify


def test_cards_and_certificates(daemon):
    with sithsd.Client(daemon.socket_path) as client:
        assert client.hello()["protocol"] == "sithsd/1"
        cards = client.list_cards()
        assert len(cards) == 1 and cards[0].identification.status == "ok"
        signing = client.list_certificates(purpose="signing", require="hsaId")
        assert len(signing) == 1
        assert signing[0].purpose == "signing" and signing[0].hsa_id
        assert signing[0].card_id == cards[0].id and signing[0].der


def test_a_wrong_pin_is_a_typed_error_with_the_tries_left(daemon):
    daemon.answers("pin 000000", "cancel")
    with sithsd.Client(daemon.socket_path) as client:
        with pytest.raises(sithsd.UserCancelledError) as caught:
            client.authenticate(ORIGIN, NONCE, require="hsaId")
    assert caught.value.code == 1002 and caught.value.retryable
    assert caught.value.pin_status == "countLow" and caught.value.tries_left == 2


def test_login_to_a_named_origin_and_the_token_verifies(daemon, tmp_path):
    daemon.answers("pin 123456")
    with sithsd.Client(daemon.socket_path) as client:
        token = client.authenticate(ORIGIN, NONCE, require="hsaId")
    (tmp_path / "token.json").write_text(token.json)
    assert verify("verify-token", tmp_path / "token.json", "--origin", ORIGIN, "--nonce", NONCE) == 0
    assert verify("verify-token", tmp_path / "token.json", "--origin", "https://other.example.se",
                  "--nonce", NONCE) != 0


def test_sign_cms_with_a_display_text(daemon, tmp_path):
    daemon.answers("pin 654321")
    content = "Beställning VMU3000096\n".encode()
    with sithsd.Client(daemon.socket_path) as client:
        cms = client.sign(content, display_text="Attest av beställning VMU3000096",
                          certificate_id=client.list_certificates("signing", "hsaId")[0].id)
    assert cms.format == "cms"
    (tmp_path / "order.txt").write_bytes(content)
    (tmp_path / "order.p7s").write_bytes(cms.bytes)
    assert verify("verify-cms", tmp_path / "order.p7s", "--content", str(tmp_path / "order.txt")) == 0
    assert any("Attest av beställning VMU3000096" in str(p) for p in daemon.prompts())


def test_cancel_from_another_thread(daemon):
    daemon.answers("hang")
    with sithsd.Client(daemon.socket_path) as client:
        threading.Timer(0.7, client.cancel).start()
        started = time.monotonic()
        with pytest.raises(sithsd.UserCancelledError):
            client.authenticate(ORIGIN, NONCE, require="hsaId")
        assert time.monotonic() - started < 5
        assert client.hello()["protocol"] == "sithsd/1"


def test_card_events_are_notifications(daemon):
    with sithsd.Client(daemon.socket_path) as client:
        client.hello()
        daemon.ctl("remove", "tolvan")
        assert wait_cards(client, 0)
        daemon.ctl("insert", "tolvan")
        assert wait_cards(client, 1)


def wait_cards(client, count, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n = client.next_notification(timeout=max(end - time.monotonic(), 0))
        if n is not None and n.method == "cardsChanged" and len(n.cards) == count:
            return True
    return False


def test_no_daemon_is_not_running(tmp_path):
    with pytest.raises(sithsd.NotRunningError) as caught:
        sithsd.Client(tmp_path / "nothing.sock")
    assert caught.value.reason == "NOT_RUNNING" and caught.value.retryable
