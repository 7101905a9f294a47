"""sithsd: log in and sign with a SITHS card from Python, through the local sithsd daemon.

    import sithsd
    with sithsd.Client() as client:
        token = client.authenticate("https://journal.example.se", nonce)
        cms = client.sign(data, display_text="Attest av beställning 42")

A synchronous Client and an asyncio AsyncClient, the same errors (SithsdError and one class per
reason of docs/PROTOCOL.md) and notifications. Standard library only. docs/DESKTOP.md.
"""
from ._async import AsyncClient
from ._errors import (WIRE_ERRORS, BusyError, CardRemovedError, CertificateExpiredError,
                      CertificateNotFoundError, CertificateSelectionRequiredError,
                      ConnectionClosedError, InternalError, InvalidParamsError,
                      InvalidRequestError, LocalOnlyError, MalformedError, MethodNotFoundError,
                      NoCardError, NotRunningError, OriginDeniedError, ParseError,
                      PinBlockedError, PinIncorrectError, PromptTimeoutError,
                      PromptUnavailableError, RateLimitedError, ShuttingDownError, SithsdError,
                      TimedOutError, TokenError, UserCancelledError)
from ._sync import Client
from ._types import (Card, Certificate, Notification, PinState, Signature, Token,
                     default_socket_path)

__version__ = "0.1.0"
__all__ = [
    "AsyncClient", "BusyError", "Card", "CardRemovedError", "Certificate",
    "CertificateExpiredError", "CertificateNotFoundError", "CertificateSelectionRequiredError",
    "Client", "ConnectionClosedError", "InternalError", "InvalidParamsError",
    "InvalidRequestError", "LocalOnlyError", "MalformedError", "MethodNotFoundError",
    "NoCardError", "NotRunningError", "Notification", "OriginDeniedError", "ParseError",
    "PinBlockedError", "PinIncorrectError", "PinState", "PromptTimeoutError",
    "PromptUnavailableError", "RateLimitedError", "ShuttingDownError", "Signature",
    "SithsdError", "TimedOutError", "Token", "TokenError", "UserCancelledError", "WIRE_ERRORS",
    "default_socket_path",
]
