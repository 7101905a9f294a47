"""sithsd.AsyncClient against the real daemon on the soft card: requests in flight together, a
login, a cancelled task that closes the PIN prompt, and card events by `async for`."""
import asyncio

import pytest
import sithsd
from conftest import NONCE, ORIGIN, verify


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 60))


def test_several_requests_in_flight(daemon):
    async def body():
        async with await sithsd.AsyncClient.connect(daemon.socket_path) as client:
            hello, cards, certificates = await asyncio.gather(
                client.hello(), client.list_cards(), client.list_certificates("identification"))
            assert hello["transport"] == "unix"
            assert len(cards) == 1 and len(certificates) >= 1
    run(body())


def test_login_and_the_token_verifies(daemon, tmp_path):
    daemon.answers("pin 123456")

    async def body():
        async with await sithsd.AsyncClient.connect(daemon.socket_path) as client:
            return await client.authenticate(ORIGIN, NONCE, require="hsaId")
    token = run(body())
    (tmp_path / "token.json").write_text(token.json)
    assert verify("verify-token", tmp_path / "token.json", "--origin", ORIGIN, "--nonce", NONCE) == 0


def test_a_cancelled_task_cancels_the_request(daemon):
    daemon.answers("hang")

    async def body():
        async with await sithsd.AsyncClient.connect(daemon.socket_path) as client:
            login = asyncio.create_task(client.authenticate(ORIGIN, NONCE, require="hsaId"))
            await asyncio.sleep(0.7)
            login.cancel()
            with pytest.raises(asyncio.CancelledError):
                await login
            # The daemon closed the prompt: the next card job is not held behind it.
            daemon.answers("pin 123456")
            token = await asyncio.wait_for(client.authenticate(ORIGIN, NONCE, require="hsaId"), 10)
            assert token.algorithm
    run(body())


def test_card_events_by_async_for(daemon):
    async def body():
        async with await sithsd.AsyncClient.connect(daemon.socket_path) as client:
            await client.hello()
            await asyncio.get_running_loop().run_in_executor(None, daemon.ctl, "remove", "tolvan")
            async for n in client.notifications():
                if n.method == "cardsChanged" and not n.cards:
                    break
            await asyncio.get_running_loop().run_in_executor(None, daemon.ctl, "insert", "tolvan")
            async for n in client.notifications():
                if n.method == "cardsChanged" and len(n.cards) == 1:
                    break
    run(body())


def test_a_daemon_error_is_typed(daemon):
    async def body():
        async with await sithsd.AsyncClient.connect(daemon.socket_path) as client:
            with pytest.raises(sithsd.InvalidParamsError) as caught:
                await client.sign(b"x", display_text="", format="cms")
            assert caught.value.field == "displayText"
    run(body())
