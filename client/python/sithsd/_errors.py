"""The errors of sithsd (docs/PROTOCOL.md "Errors") and of this client.

WIRE_ERRORS is the table of protocol/wire_errors.hpp, written out for Python (tests/protocol/
check_wire_errors.py fails on any difference). Every error is a SithsdError with the wire
`reason`, the JSON-RPC `code`, whether trying again may help (`retryable`), and what the daemon
sent in `data` (pinStatus, triesLeft, field, ckr, candidates).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import Certificate

# (code, reason, retryable): the daemon's errors, as protocol/wire_errors.hpp has them.
WIRE_ERRORS: tuple[tuple[int, str, bool], ...] = (
    (-32700, "PARSE_ERROR", False),
    (-32600, "INVALID_REQUEST", False),
    (-32601, "METHOD_NOT_FOUND", False),
    (-32602, "INVALID_PARAMS", False),
    (-32603, "INTERNAL_ERROR", False),
    (1001, "ORIGIN_DENIED", False),
    (1002, "USER_CANCELLED", True),
    (1003, "NO_CARD", True),
    (1004, "CARD_REMOVED", True),
    (1005, "CERTIFICATE_NOT_FOUND", False),
    (1006, "CERTIFICATE_SELECTION_REQUIRED", True),
    (1007, "PIN_INCORRECT", True),
    (1008, "PIN_BLOCKED", False),
    (1009, "PROMPT_UNAVAILABLE", False),
    (1010, "BUSY", True),
    (1011, "TIMEOUT", True),
    (1012, "TOKEN_ERROR", True),
    (1013, "CERTIFICATE_EXPIRED", False),
    (1014, "LOCAL_ONLY", False),
    (1015, "RATE_LIMITED", True),
    (1016, "SHUTTING_DOWN", True),
)


class SithsdError(Exception):
    """A failure: the daemon's error answer, or this client's own (NOT_RUNNING, TIMED_OUT, …)."""

    reason: str = "UNKNOWN"
    code: int | None = None
    retryable: bool = False

    def __init__(self, message: str, *, reason: str | None = None, code: int | None = None,
                 data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        if code is not None:
            self.code = code
        self.data: dict[str, Any] = data or {}

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    @property
    def pin_status(self) -> str:
        """After a wrong PIN: ok, countLow, finalTry, locked or unknown."""
        status = self.data.get("pinStatus")
        return status if isinstance(status, str) else "unknown"

    @property
    def tries_left(self) -> int | None:
        left = self.data.get("triesLeft")
        return left if isinstance(left, int) else None

    @property
    def field(self) -> str | None:
        """INVALID_PARAMS: the parameter's wire name."""
        field = self.data.get("field")
        return field if isinstance(field, str) else None

    @property
    def candidates(self) -> list[Certificate]:
        """CERTIFICATE_SELECTION_REQUIRED: the certificates to choose from."""
        from ._types import Certificate
        candidates = self.data.get("candidates")
        return [Certificate.parse(c) for c in candidates] if isinstance(candidates, list) else []


# --- this client's own failures (the reasons are those of libsithsd-client's statuses) ---
class NotRunningError(SithsdError):
    """Nothing listens on the socket: sithsd is not running."""
    reason = "NOT_RUNNING"
    retryable = True


class TimedOutError(SithsdError):
    """No connection or no answer in time (the connection is then closed)."""
    reason = "TIMED_OUT"
    retryable = True


class ConnectionClosedError(SithsdError):
    """The daemon went away, or the client was closed."""
    reason = "CLOSED"
    retryable = True


class MalformedError(SithsdError):
    """The daemon sent something this client cannot read."""
    reason = "MALFORMED"


def _daemon_error(name: str, reason: str) -> type[SithsdError]:
    entry = next(e for e in WIRE_ERRORS if e[1] == reason)
    return type(name, (SithsdError,), {"reason": reason, "code": entry[0], "retryable": entry[2],
                                       "__doc__": f"The daemon's {reason} ({entry[0]})."})


ParseError = _daemon_error("ParseError", "PARSE_ERROR")
InvalidRequestError = _daemon_error("InvalidRequestError", "INVALID_REQUEST")
MethodNotFoundError = _daemon_error("MethodNotFoundError", "METHOD_NOT_FOUND")
InvalidParamsError = _daemon_error("InvalidParamsError", "INVALID_PARAMS")
InternalError = _daemon_error("InternalError", "INTERNAL_ERROR")
OriginDeniedError = _daemon_error("OriginDeniedError", "ORIGIN_DENIED")
UserCancelledError = _daemon_error("UserCancelledError", "USER_CANCELLED")
NoCardError = _daemon_error("NoCardError", "NO_CARD")
CardRemovedError = _daemon_error("CardRemovedError", "CARD_REMOVED")
CertificateNotFoundError = _daemon_error("CertificateNotFoundError", "CERTIFICATE_NOT_FOUND")
CertificateSelectionRequiredError = _daemon_error("CertificateSelectionRequiredError",
                                                  "CERTIFICATE_SELECTION_REQUIRED")
PinIncorrectError = _daemon_error("PinIncorrectError", "PIN_INCORRECT")
PinBlockedError = _daemon_error("PinBlockedError", "PIN_BLOCKED")
PromptUnavailableError = _daemon_error("PromptUnavailableError", "PROMPT_UNAVAILABLE")
BusyError = _daemon_error("BusyError", "BUSY")
PromptTimeoutError = _daemon_error("PromptTimeoutError", "TIMEOUT")
TokenError = _daemon_error("TokenError", "TOKEN_ERROR")
CertificateExpiredError = _daemon_error("CertificateExpiredError", "CERTIFICATE_EXPIRED")
LocalOnlyError = _daemon_error("LocalOnlyError", "LOCAL_ONLY")
RateLimitedError = _daemon_error("RateLimitedError", "RATE_LIMITED")
ShuttingDownError = _daemon_error("ShuttingDownError", "SHUTTING_DOWN")

_BY_REASON: dict[str, type[SithsdError]] = {
    cls.reason: cls for cls in SithsdError.__subclasses__() if cls.code is not None}
_BY_CODE: dict[int, str] = {code: reason for code, reason, _ in WIRE_ERRORS}


def error_from_answer(error: Any) -> SithsdError:
    """The error object of a JSON-RPC answer as the typed error."""
    if not isinstance(error, dict):
        return MalformedError("an error answer without an error object")
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = error.get("message") if isinstance(error.get("message"), str) else "error"
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    if reason is None and code is not None:
        reason = _BY_CODE.get(code)
    cls = _BY_REASON.get(reason or "")
    if cls is not None:
        return cls(message, code=code, data=data)
    return SithsdError(message, reason=reason or "UNKNOWN", code=code, data=data)

