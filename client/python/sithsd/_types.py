"""What the daemon answers, typed: cards, certificates, the login token, signatures and
notifications (docs/PROTOCOL.md), read strictly where a program relies on a field."""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._errors import MalformedError

SOCKET_ENVIRONMENT = "SITHSD_SOCKET"


def default_socket_path() -> Path:
    """$SITHSD_SOCKET, else $XDG_RUNTIME_DIR/sithsd/sithsd.sock, else /tmp/sithsd-UID/sithsd.sock
    (the daemon's default, as common/socket_path.hpp says)."""
    forced = os.environ.get(SOCKET_ENVIRONMENT)
    if forced:
        return Path(forced)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "sithsd" / "sithsd.sock"
    return Path("/tmp") / f"sithsd-{os.getuid()}" / "sithsd.sock"


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise MalformedError(f"no string {key}")
    return value


def _optional_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _bytes(obj: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(_text(obj, key), validate=True)
    except binascii.Error as e:
        raise MalformedError(f"{key} is not base64") from e


def _time(obj: dict[str, Any], key: str) -> datetime:
    text = _text(obj, key)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError as e:
        raise MalformedError(f"{key} is not an RFC 3339 UTC time") from e


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedError(f"{what} is not an object")
    return value


@dataclass(frozen=True)
class PinState:
    status: str = "unknown"  # ok, countLow, finalTry, locked, unknown
    pin_pad: bool = False


@dataclass(frozen=True)
class Card:
    id: str
    reader: str
    label: str
    identification: PinState
    signing: PinState

    @staticmethod
    def parse(value: Any) -> Card:
        card = _object(value, "a card")
        pins = card.get("pins") if isinstance(card.get("pins"), dict) else {}

        def pin(kind: str) -> PinState:
            state = pins.get(kind) if isinstance(pins.get(kind), dict) else {}
            return PinState(_optional_text(state, "status") or "unknown", state.get("pinPad") is True)

        return Card(_text(card, "cardId"), _optional_text(card, "reader") or "",
                    _optional_text(card, "label") or "", pin("identification"), pin("signing"))


@dataclass(frozen=True)
class Certificate:
    id: str
    card_id: str
    purpose: str  # identification or signing
    der: bytes
    display_name: str
    common_name: str
    organization: str | None
    hsa_id: str | None
    personal_identity_number: str | None
    issuer: str
    key_algorithm: str
    not_before: datetime
    not_after: datetime

    @staticmethod
    def parse(value: Any) -> Certificate:
        c = _object(value, "a certificate")
        subject = c.get("subject") if isinstance(c.get("subject"), dict) else {}
        return Certificate(
            _text(c, "certificateId"), _optional_text(c, "cardId") or "",
            _optional_text(c, "purpose") or "", _bytes(c, "certificate"),
            _optional_text(c, "displayName") or "", _optional_text(subject, "commonName") or "",
            _optional_text(subject, "organization"), _optional_text(c, "hsaId"),
            _optional_text(c, "personalIdentityNumber"), _optional_text(c, "issuer") or "",
            _optional_text(c, "keyAlgorithm") or "", _time(c, "notBefore"), _time(c, "notAfter"))


@dataclass(frozen=True)
class Token:
    """authenticate's web-eid:1.0 token: send `json` to the backend as it is."""
    json: str
    algorithm: str
    certificate: bytes

    @staticmethod
    def parse(value: Any) -> Token:
        token = _object(value, "the token")
        return Token(json.dumps(token, separators=(",", ":")), _text(token, "algorithm"),
                     _bytes(token, "unverifiedCertificate"))


@dataclass(frozen=True)
class Signature:
    format: str  # cms or raw
    bytes: bytes  # the DER CMS, or the bare signature
    certificate: bytes
    algorithm: str | None = None  # raw: RS256, ES256, …

    @staticmethod
    def parse(value: Any, fmt: str) -> Signature:
        s = _object(value, "the signature")
        if fmt == "cms":
            return Signature("cms", _bytes(s, "cms"), _bytes(s, "certificate"))
        return Signature("raw", _bytes(s, "signature"), _bytes(s, "certificate"), _text(s, "algorithm"))


@dataclass(frozen=True)
class Notification:
    method: str  # cardsChanged, certificateExpiring, or a newer one
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def cards(self) -> list[Card]:
        """cardsChanged: the cards now present."""
        cards = self.params.get("cards")
        return [Card.parse(c) for c in cards] if isinstance(cards, list) else []

    @property
    def certificate_id(self) -> str | None:
        return _optional_text(self.params, "certificateId")

    @property
    def days_left(self) -> int | None:
        left = self.params.get("daysLeft")
        return left if isinstance(left, int) else None
