"""The asyncio client: several requests in flight on one connection (answers matched by id by
one reader task), a cancelled awaiting task cancels its request at the daemon, notifications by
callback, by await or by `async for`."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from . import _wire
from ._errors import (ConnectionClosedError, MalformedError, NotRunningError, SithsdError,
                      TimedOutError, error_from_answer)
from ._types import Card, Certificate, Notification, Signature, Token, default_socket_path


class AsyncClient:
    """`client = await sithsd.AsyncClient.connect()`; `async with` closes it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 call_timeout: float) -> None:
        self.call_timeout = call_timeout
        self._reader = reader
        self._writer = writer
        self._last_id = 0
        self._cancel_id = 0
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._queue: asyncio.Queue[Notification | None] = asyncio.Queue()
        self._callback: Callable[[Notification], None] | None = None
        self._closed: SithsdError | None = None
        self._task = asyncio.get_running_loop().create_task(self._read_forever())
        self.hello_result: Any = None

    @classmethod
    async def connect(cls, socket_path: str | os.PathLike[str] | None = None, *,
                      connect_timeout: float = 5.0, call_timeout: float = 300.0) -> AsyncClient:
        path = Path(socket_path) if socket_path is not None else default_socket_path()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(path), limit=_wire.MAX_LINE), connect_timeout)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as e:
            raise NotRunningError(f"nothing listens on {path}") from e
        except asyncio.TimeoutError as e:
            raise TimedOutError(f"no connection to {path} in time") from e
        client = cls(reader, writer, call_timeout)
        # sithsd tells its notifications only to a client that has spoken: say hello.
        try:
            client.hello_result = await client.call("hello", timeout=connect_timeout)
        except BaseException:
            await client.close()
            raise
        return client

    async def close(self) -> None:
        self._task.cancel()
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except OSError:
            pass
        self._end(ConnectionClosedError("the client was closed"))

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- calls ---
    async def call(self, method: str, params: dict[str, Any] | None = None,
                   timeout: float | None = None) -> Any:
        """Any method of docs/PROTOCOL.md. Cancelling the awaiting task cancels the request at
        the daemon (its prompt closes); a timeout does the same and raises TimedOutError."""
        if self._closed is not None:
            raise ConnectionClosedError(str(self._closed.message))
        self._last_id += 1
        request_id = self._last_id
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        try:
            self._writer.write(_wire.request_line(request_id, method, params))
            await self._writer.drain()
            return await asyncio.wait_for(asyncio.shield(answer),
                                          self.call_timeout if timeout is None else timeout)
        except asyncio.TimeoutError as e:
            self._send_cancel(request_id)
            raise TimedOutError(f"sithsd: no answer to {method} in time") from e
        except asyncio.CancelledError:
            self._send_cancel(request_id)
            raise
        except (ConnectionError, OSError) as e:
            raise ConnectionClosedError(f"sithsd closed the connection ({e})") from e
        finally:
            self._waiting.pop(request_id, None)

    async def hello(self) -> dict[str, Any]:
        result = await self.call("hello")
        if not isinstance(result, dict):
            raise MalformedError("hello's answer is not an object")
        return result

    async def list_cards(self) -> list[Card]:
        result = await self.call("listCards")
        if not isinstance(result, list):
            raise MalformedError("the cards are not a list")
        return [Card.parse(c) for c in result]

    async def list_certificates(self, purpose: str | None = None, require: str | None = None,
                                card_id: str | None = None) -> list[Certificate]:
        result = await self.call("listCertificates", _wire.filters(purpose, require, card_id))
        if not isinstance(result, list):
            raise MalformedError("the certificates are not a list")
        return [Certificate.parse(c) for c in result]

    async def authenticate(self, origin: str, challenge_nonce: str,
                           certificate_id: str | None = None, require: str | None = None) -> Token:
        params: dict[str, Any] = {"origin": origin, "challengeNonce": challenge_nonce}
        params.update(_wire.filters(None, require, None))
        if certificate_id is not None:
            params["certificateId"] = certificate_id
        return Token.parse(await self.call("authenticate", params))

    async def sign(self, data: bytes | None = None, *, display_text: str | None,
                   hash: bytes | None = None, hash_algorithm: str | None = None,
                   format: str = "cms", certificate_id: str | None = None) -> Signature:
        params = _wire.sign_params(data, display_text, hash, hash_algorithm, format, certificate_id)
        return Signature.parse(await self.call("sign", params), format)

    async def change_pin(self, card_id: str, pin: str) -> None:
        await self.call("changePin", {"cardId": card_id, "pin": pin})

    async def unblock_pin(self, card_id: str, pin: str) -> None:
        await self.call("unblockPin", {"cardId": card_id, "pin": pin})

    # --- notifications ---
    def on_notification(self, callback: Callable[[Notification], None] | None) -> None:
        """Called on the event loop for every notification (instead of queueing it)."""
        self._callback = callback

    async def next_notification(self, timeout: float | None = None) -> Notification | None:
        try:
            notification = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if notification is None:  # the connection ended
            self._queue.put_nowait(None)
            raise ConnectionClosedError(str(self._closed.message if self._closed else "closed"))
        return notification

    async def notifications(self) -> AsyncIterator[Notification]:
        while True:
            notification = await self.next_notification()
            if notification is not None:
                yield notification

    # --- the reader ---
    def _send_cancel(self, request_id: int) -> None:
        if self._closed is not None:
            return
        self._cancel_id -= 1  # our cancels count down: never a call's id
        try:
            self._writer.write(_wire.request_line(self._cancel_id, "cancel", {"id": request_id}))
        except (ConnectionError, OSError, RuntimeError):
            pass

    async def _read_forever(self) -> None:
        try:
            while True:
                try:
                    line = await self._reader.readuntil(b"\n")
                except asyncio.IncompleteReadError:
                    raise ConnectionClosedError("sithsd closed the connection") from None
                except asyncio.LimitOverrunError:
                    raise MalformedError("sithsd sent a line over the limit") from None
                if line.strip():
                    self._dispatch(_wire.parse_line(line))
        except SithsdError as e:
            self._end(e)
        except (ConnectionError, OSError) as e:
            self._end(ConnectionClosedError(f"sithsd reset the connection ({e})"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if not _wire.is_answer(message):
            notification = Notification(str(message.get("method")), message.get("params") or {})
            if self._callback is not None:
                self._callback(notification)
            else:
                self._queue.put_nowait(notification)
            return
        ids = [message.get("id")] if message.get("id") is not None else list(self._waiting)[-1:]
        for request_id in ids:
            waiter = self._waiting.get(request_id) if isinstance(request_id, int) else None
            if waiter is None or waiter.done():
                continue
            if "result" in message:
                waiter.set_result(message["result"])
            else:
                waiter.set_exception(error_from_answer(message.get("error")))

    def _end(self, error: SithsdError) -> None:
        if self._closed is not None:
            return
        self._closed = error
        for waiter in self._waiting.values():
            if not waiter.done():
                waiter.set_exception(ConnectionClosedError(error.message))
        self._queue.put_nowait(None)
