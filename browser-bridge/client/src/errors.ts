// One error class per `reason` of PROTOCOL.md, plus the failures that happen before or around a
// call (no daemon, connection blocked by the browser, connection lost, call timeout).
// Every error says what it is (`reason`), whether trying again may help (`retryable`) and what
// to do about it (`advice`, English; a portal shows its own words, keyed on `reason`).
import type { Certificate, PinStatus } from "./types.js";

export class SithsdError extends Error {
  /** PROTOCOL.md's reason name ("NO_CARD", ...) or one of this library's ("NOT_RUNNING", ...). */
  readonly reason: string;
  /** The JSON-RPC error code, when the daemon answered with one. */
  readonly code: number | undefined;
  /** error.data as the daemon sent it. */
  readonly data: Record<string, unknown>;
  readonly retryable: boolean;
  readonly advice: string;

  constructor(reason: string, message: string, opts: { code?: number; data?: Record<string, unknown>; retryable?: boolean; advice?: string } = {}) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    this.code = opts.code;
    this.data = opts.data ?? {};
    this.retryable = opts.retryable ?? false;
    this.advice = opts.advice ?? "";
  }
}

type DaemonErrorInit = { message: string; data: Record<string, unknown> };

function daemonError(reason: string, code: number, retryable: boolean, advice: string) {
  return class extends SithsdError {
    static readonly reason = reason;
    static readonly code = code;
    constructor(init: DaemonErrorInit) {
      super(reason, init.message, { code, data: init.data, retryable, advice });
    }
  };
}

// --- PROTOCOL.md's table ---
export class OriginDeniedError extends daemonError("ORIGIN_DENIED", 1001, false,
  "This site is denied by sithsd (config or the person's choice); the person can change it in sithsd's settings.") {}
export class UserCancelledError extends daemonError("USER_CANCELLED", 1002, true,
  "The person cancelled (or the request was cancelled); offer to try again.") {}
export class NoCardError extends daemonError("NO_CARD", 1003, true,
  "Ask the person to insert their card (with a matching certificate) and try again.") {}
export class CardRemovedError extends daemonError("CARD_REMOVED", 1004, true,
  "The card was removed during the operation; ask the person to insert it and try again.") {}
export class CertificateNotFoundError extends daemonError("CERTIFICATE_NOT_FOUND", 1005, false,
  "The certificate is gone or has the wrong purpose; list certificates again.") {}
export class CertificateSelectionRequiredError extends daemonError("CERTIFICATE_SELECTION_REQUIRED", 1006, true,
  "Several certificates match: let the person choose one of `candidates` and call again with its certificateId.") {
  get candidates(): Certificate[] {
    return (this.data.candidates as Certificate[] | undefined) ?? [];
  }
}
export class PinIncorrectError extends daemonError("PIN_INCORRECT", 1007, true,
  "Wrong PIN; say how many tries are left (pinStatus) and let the person try again.") {
  /** The PIN's status after the attempt: countLow, finalTry or locked tells the person to take care. */
  get pinStatus(): PinStatus {
    return (this.data.pinStatus as PinStatus | undefined) ?? "unknown";
  }
}
export class PinBlockedError extends daemonError("PIN_BLOCKED", 1008, false,
  "The PIN is blocked; the person unblocks it with the PUK (sithsctl or the card issuer's tool).") {}
export class PromptUnavailableError extends daemonError("PROMPT_UNAVAILABLE", 1009, false,
  "sithsd cannot show its PIN prompt (no pinentry or no display); the person must fix sithsd's setup.") {}
export class BusyError extends daemonError("BUSY", 1010, true,
  "Too many requests are waiting for the card; try again in a moment.") {}
export class PromptTimeoutError extends daemonError("TIMEOUT", 1011, true,
  "The person did not answer the prompt in time; offer to try again.") {}
export class TokenError extends daemonError("TOKEN_ERROR", 1012, true,
  "The card or its middleware failed (data.ckr); try again, or re-insert the card.") {
  get ckr(): string | undefined {
    return this.data.ckr as string | undefined;
  }
}
export class CertificateExpiredError extends daemonError("CERTIFICATE_EXPIRED", 1013, false,
  "The certificate is outside its validity period; the person needs a new card or certificate.") {}
export class LocalOnlyError extends daemonError("LOCAL_ONLY", 1014, false,
  "This method is only available to local programs, not to web pages.") {}
export class RateLimitedError extends daemonError("RATE_LIMITED", 1015, true,
  "Too many requests from this site; wait and try again.") {}
export class ShuttingDownError extends daemonError("SHUTTING_DOWN", 1016, true,
  "sithsd is stopping; try again when it is running again.") {}

/** -32700..-32603: a bug in the caller or the daemon, never the person's doing. */
export class ProtocolError extends SithsdError {
  /** data.field for invalid params */
  get field(): string | undefined {
    return this.data.field as string | undefined;
  }
}

// --- failures around the call ---
export class NotRunningError extends SithsdError {
  constructor(url: string, detail?: string) {
    super("NOT_RUNNING", detail ?? `sithsd is not running (nothing answers at ${url})`, {
      retryable: true,
      advice: "Start sithsd (systemctl --user start sithsd, or install it) and try again.",
    });
  }
}

export class ConnectionBlockedError extends SithsdError {
  /** What blocked it: "local-network-access" (permission denied), "csp" (connect-src), "security" (the constructor threw). */
  readonly blockedBy: string;
  constructor(url: string, blockedBy: string) {
    super("CONNECTION_BLOCKED", `the browser blocked the connection to ${url} (${blockedBy})`, {
      retryable: false,
      advice: blockedBy === "csp"
        ? "The page's Content-Security-Policy must allow connect-src ws://127.0.0.1:PORT."
        : "Allow this site to access apps on this device (Local Network Access in the site settings), or ask IT for the LocalNetworkAccessAllowedForUrls policy.",
    });
    this.blockedBy = blockedBy;
  }
}

export class ConnectionLostError extends SithsdError {
  constructor(detail: string) {
    super("CONNECTION_LOST", `the connection to sithsd was lost (${detail})`, {
      retryable: true,
      advice: "sithsd stopped or restarted; the client reconnects; try again.",
    });
  }
}

export class CallTimeoutError extends SithsdError {
  constructor(method: string, ms: number) {
    super("CALL_TIMEOUT", `${method} got no answer within ${ms} ms`, {
      retryable: true,
      advice: "Try again; if it keeps happening, restart sithsd.",
    });
  }
}

const byReason: Record<string, new (init: DaemonErrorInit) => SithsdError> = {};
for (const cls of [OriginDeniedError, UserCancelledError, NoCardError, CardRemovedError, CertificateNotFoundError,
  CertificateSelectionRequiredError, PinIncorrectError, PinBlockedError, PromptUnavailableError, BusyError,
  PromptTimeoutError, TokenError, CertificateExpiredError, LocalOnlyError, RateLimitedError, ShuttingDownError]) {
  byReason[cls.reason] = cls;
}

const jsonRpcReasons: Record<number, string> = {
  [-32700]: "PARSE_ERROR", [-32600]: "INVALID_REQUEST", [-32601]: "METHOD_NOT_FOUND",
  [-32602]: "INVALID_PARAMS", [-32603]: "INTERNAL_ERROR",
};

/** The error object of a JSON-RPC response as the typed error. */
export function errorFromResponse(error: { code?: unknown; message?: unknown; data?: unknown }): SithsdError {
  const code = typeof error.code === "number" ? error.code : 0;
  const message = typeof error.message === "string" ? error.message : "error";
  const data = (error.data && typeof error.data === "object" ? error.data : {}) as Record<string, unknown>;
  const reason = typeof data.reason === "string" ? data.reason : jsonRpcReasons[code] ?? "UNKNOWN";
  // The native-messaging host's answer when sithsd does not run (the extension's way in).
  if (reason === "NOT_RUNNING") return new NotRunningError("the sithsd extension", message);
  const cls = byReason[reason];
  if (cls) return new cls({ message, data });
  return new ProtocolError(reason, message, { code, data, advice: "A bug in the page or in sithsd; report it." });
}

export class HandshakeRefusedError extends SithsdError {
  constructor(url: string) {
    super("HANDSHAKE_REFUSED", `sithsd at ${url} is running but refused this page (origin not allowed)`, {
      retryable: false,
      advice: "Add the page's origin to sithsd's allowed_origins (an http origin must be listed; https needs no listing unless prompt_unknown_origins = false) and make sure it is not in denied_origins.",
    });
  }
}
