"""The wire of the Unix socket: one JSON-RPC message per line, requests built and answers sorted,
shared by the synchronous and the asyncio client."""
from __future__ import annotations

import base64
import json
from typing import Any

from ._errors import MalformedError, SithsdError

# The longest line accepted from the daemon: certificates and CMS of up to 1 MiB of data in base64.
MAX_LINE = 8 * 1024 * 1024


def request_line(request_id: int, method: str, params: dict[str, Any] | None) -> bytes:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}
    return (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def parse_line(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedError("sithsd sent a message that is not JSON-RPC") from e
    if not isinstance(message, dict):
        raise MalformedError("sithsd sent a message that is not JSON-RPC")
    return message


def is_answer(message: dict[str, Any]) -> bool:
    return "id" in message


def sign_params(data: bytes | None, display_text: str | None, hash: bytes | None,
                hash_algorithm: str | None, fmt: str, certificate_id: str | None) -> dict[str, Any]:
    if (data is None) == (hash is None):
        raise ValueError("sign: give data or hash (with hash_algorithm), not both")
    if fmt not in ("cms", "raw"):
        raise ValueError("sign: format is cms or raw")
    params: dict[str, Any] = {"format": fmt}
    if certificate_id is not None:
        params["certificateId"] = certificate_id
    if display_text is not None:
        params["displayText"] = display_text
    if data is not None:
        params["data"] = base64.b64encode(data).decode()
    else:
        params["hash"] = base64.b64encode(hash or b"").decode()
        params["hashAlgorithm"] = hash_algorithm or "SHA-256"
    return params


def filters(purpose: str | None, require: str | None, card_id: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if purpose is not None:
        params["purpose"] = purpose
    if require is not None:
        params["require"] = require
    if card_id is not None:
        params["cardId"] = card_id
    return params


def result_of(message: dict[str, Any], error_from_answer: Any) -> Any:
    if "result" in message:
        return message["result"]
    raise_error: SithsdError = error_from_answer(message.get("error"))
    raise raise_error
