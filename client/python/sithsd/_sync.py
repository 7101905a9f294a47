"""The synchronous client: one call at a time per Client (calls from several threads wait for
each other), cancel() from any thread, notifications queued as they arrive and taken with
next_notification() or watched with fileno() in a selector. No thread of its own."""
from __future__ import annotations

import collections
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from . import _wire
from ._errors import (ConnectionClosedError, MalformedError, NotRunningError, SithsdError,
                      TimedOutError, error_from_answer)
from ._types import Card, Certificate, Notification, Signature, Token, default_socket_path


class Client:
    """A connection to sithsd's Unix socket.

    >>> with sithsd.Client() as client:
    ...     for card in client.list_cards(): print(card.reader)
    """

    def __init__(self, socket_path: str | os.PathLike[str] | None = None, *,
                 connect_timeout: float = 5.0, call_timeout: float = 300.0) -> None:
        self.call_timeout = call_timeout  # a person at a PIN prompt takes minutes
        self._path = Path(socket_path) if socket_path is not None else default_socket_path()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(connect_timeout)
        try:
            self._sock.connect(str(self._path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as e:
            self._sock.close()
            raise NotRunningError(f"nothing listens on {self._path}") from e
        except socket.timeout as e:
            self._sock.close()
            raise TimedOutError(f"no connection to {self._path} in time") from e
        except OSError:
            self._sock.close()
            raise
        self._buffer = b""
        self._call_lock = threading.Lock()   # the reader: a call, or next_notification
        self._write_lock = threading.Lock()  # every line written
        self._last_id = 0
        self._cancel_id = 0
        self._in_flight: int | None = None
        self._queue: collections.deque[Notification] = collections.deque()
        self._closed = False
        # sithsd tells its notifications only to a client that has spoken (PROTOCOL.md
        # "Notifications"): say hello, which also shows that sithsd is what answers.
        try:
            self.hello_result = self.call("hello", timeout=connect_timeout)
        except BaseException:
            self.close()
            raise

    # --- the connection ---
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fileno(self) -> int:
        """For selectors: readable when the daemon sent something (check pending() too: a
        notification that came during a call is already queued)."""
        return self._sock.fileno()

    def pending(self) -> int:
        """Notifications queued and not yet taken."""
        return len(self._queue)

    # --- calls ---
    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float | None = None) -> Any:
        """Any method of docs/PROTOCOL.md; its result, or raises SithsdError."""
        deadline = time.monotonic() + (self.call_timeout if timeout is None else timeout)
        if not self._call_lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
            raise TimedOutError("another call on this client took the whole timeout")
        try:
            if self._closed:
                raise ConnectionClosedError("the connection is closed")
            with self._write_lock:
                self._last_id += 1
                request_id = self._last_id
                self._send(_wire.request_line(request_id, method, params), deadline)
                self._in_flight = request_id
            try:
                while True:
                    message = self._read_message(deadline, f"no answer to {method} in time")
                    if not _wire.is_answer(message):
                        self._queue.append(Notification(str(message.get("method")),
                                                        message.get("params") or {}))
                        continue
                    if message.get("id") in (request_id, None):
                        return _wire.result_of(message, error_from_answer)
                    # an answer to one of our cancels, or to an abandoned call: nobody waits
            finally:
                with self._write_lock:
                    self._in_flight = None
        finally:
            self._call_lock.release()

    def cancel(self) -> None:
        """From any thread: the call in progress ends with UserCancelledError."""
        with self._write_lock:
            if self._in_flight is None or self._closed:
                return
            self._cancel_id -= 1  # our cancels count down: never a call's id
            line = _wire.request_line(self._cancel_id, "cancel", {"id": self._in_flight})
            try:
                self._sock.sendall(line)
            except OSError:
                pass  # the call itself then learns that the connection is gone

    def hello(self) -> dict[str, Any]:
        result = self.call("hello")
        if not isinstance(result, dict):
            raise MalformedError("hello's answer is not an object")
        return result

    def list_cards(self) -> list[Card]:
        result = self.call("listCards")
        if not isinstance(result, list):
            raise MalformedError("the cards are not a list")
        return [Card.parse(c) for c in result]

    def list_certificates(self, purpose: str | None = None, require: str | None = None,
                          card_id: str | None = None) -> list[Certificate]:
        result = self.call("listCertificates", _wire.filters(purpose, require, card_id))
        if not isinstance(result, list):
            raise MalformedError("the certificates are not a list")
        return [Certificate.parse(c) for c in result]

    def authenticate(self, origin: str, challenge_nonce: str, certificate_id: str | None = None,
                     require: str | None = None) -> Token:
        """origin: the https origin of the program's own backend (shown in the PIN prompt)."""
        params: dict[str, Any] = {"origin": origin, "challengeNonce": challenge_nonce}
        params.update(_wire.filters(None, require, None))
        if certificate_id is not None:
            params["certificateId"] = certificate_id
        return Token.parse(self.call("authenticate", params))

    def sign(self, data: bytes | None = None, *, display_text: str | None,
             hash: bytes | None = None, hash_algorithm: str | None = None, format: str = "cms",
             certificate_id: str | None = None) -> Signature:
        params = _wire.sign_params(data, display_text, hash, hash_algorithm, format, certificate_id)
        return Signature.parse(self.call("sign", params), format)

    def change_pin(self, card_id: str, pin: str) -> None:
        self.call("changePin", {"cardId": card_id, "pin": pin})

    def unblock_pin(self, card_id: str, pin: str) -> None:
        self.call("unblockPin", {"cardId": card_id, "pin": pin})

    # --- notifications ---
    def next_notification(self, timeout: float | None = None) -> Notification | None:
        """The oldest queued notification, or the next to arrive within timeout (None: no limit);
        None when none came."""
        if self._queue:
            return self._queue.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._call_lock:
            while not self._queue:
                try:
                    message = self._read_message(deadline, "", keep_open=True)
                except TimeoutError:
                    return None
                if not _wire.is_answer(message):
                    return Notification(str(message.get("method")), message.get("params") or {})
            return self._queue.popleft()

    def notifications(self) -> Iterator[Notification]:
        """Every notification, as it comes (until the connection closes)."""
        while True:
            notification = self.next_notification()
            if notification is not None:
                yield notification

    # --- the socket ---
    def _send(self, line: bytes, deadline: float) -> None:
        try:
            self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
            self._sock.sendall(line)
        except socket.timeout as e:
            self._fail(TimedOutError("sithsd: no room to send the request in time"), e)
        except OSError as e:
            self._fail(ConnectionClosedError(f"sithsd closed the connection ({e})"), e)

    def _read_message(self, deadline: float | None, timeout_text: str,
                      keep_open: bool = False) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            if len(self._buffer) > _wire.MAX_LINE:
                self._fail(MalformedError("sithsd sent a line over the limit"))
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                if keep_open:
                    raise TimeoutError
                self._fail(TimedOutError("sithsd: " + timeout_text))
            try:
                self._sock.settimeout(left)
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                self._fail(ConnectionClosedError(f"sithsd reset the connection ({e})"), e)
            if not chunk:
                self._fail(ConnectionClosedError("sithsd closed the connection"))
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        if not line.strip():
            return self._read_message(deadline, timeout_text, keep_open)
        try:
            return _wire.parse_line(line)
        except SithsdError as e:
            self._fail(e)

    def _fail(self, error: SithsdError, cause: BaseException | None = None) -> Any:
        self.close()
        raise error from cause
