// The page's side of the Web eID extension protocol, written here to the letter of the message
// protocol of @web-eid/web-eid-library 2.0.2 and 2.1.0 (which is not on the npm registry this
// project uses; its sources: src/web-eid.ts, src/services/WebExtensionService.ts, src/config.ts):
// - each call first waits until 1 s has passed since the library loaded (content scripts load);
// - a request is posted to the page's own window as {action: "web-eid:<name>", libraryVersion,
//   …fields, options}, options being the caller's {userInteractionTimeout?, lang?} as given;
// - the extension must answer {action: "<action>-ack"} within 1 s (else
//   ERR_WEBEID_EXTENSION_UNAVAILABLE), then "<action>-success" (the result's fields) or
//   "<action>-failure" ({error: {code: "ERR_WEBEID_…", message}}); answers are matched by action,
//   and a second request of a pending action is refused (ERR_WEBEID_ACTION_PENDING);
// - the whole request times out (ERR_WEBEID_ACTION_TIMEOUT) after 1 s + 5 s (the native app's
//   handshake) for status, plus userInteractionTimeout (2 minutes unless given) for authenticate,
//   and plus twice that for get-signing-certificate and sign;
// - {action: "web-eid:warning", warnings} is logged once per warning.
// Used by the demo's Web eID page to test sithsd's extension.
export const LIBRARY_VERSION = "2.1.0";
const EXTENSION_HANDSHAKE_TIMEOUT = 1000;
const NATIVE_APP_HANDSHAKE_TIMEOUT = 5000;
const DEFAULT_USER_INTERACTION_TIMEOUT = 2 * 60 * 1000;
const MAX_EXTENSION_LOAD_DELAY = 1000;
const loadedAt = Date.now();

const KNOWN_CODES = new Set(["ERR_WEBEID_ACTION_PENDING", "ERR_WEBEID_ACTION_TIMEOUT", "ERR_WEBEID_CONTEXT_INSECURE",
  "ERR_WEBEID_EXTENSION_UNAVAILABLE", "ERR_WEBEID_MISSING_PARAMETER", "ERR_WEBEID_NATIVE_INVALID_ARGUMENT",
  "ERR_WEBEID_NATIVE_FATAL", "ERR_WEBEID_NATIVE_UNAVAILABLE", "ERR_WEBEID_USER_CANCELLED", "ERR_WEBEID_USER_TIMEOUT",
  "ERR_WEBEID_VERSION_INVALID", "ERR_WEBEID_VERSION_MISMATCH", "ERR_WEBEID_UNKNOWN_ERROR"]);

export interface ActionOptions {
  userInteractionTimeout?: number;
  lang?: string;
}

export class WebEidError extends Error {
  constructor(readonly code: string, message: string, readonly sithsdReason?: string) {
    super(message);
  }
}

type Pending = { resolve: (fields: Record<string, unknown>) => void; reject: (e: WebEidError) => void; ackTimer: number; replyTimer: number };
const pending = new Map<string, Pending>();
const loggedWarnings = new Set<string>();

function remove(action: string): Pending | undefined {
  const p = pending.get(action);
  if (p) {
    clearTimeout(p.replyTimer);
    pending.delete(action);
  }
  return p;
}

// The library's errorSerializer: a failure with a known code and a message string becomes that
// error; anything else ERR_WEBEID_UNKNOWN_ERROR.
function deserialize(error: { code?: unknown; message?: unknown; sithsdReason?: string } | undefined): WebEidError {
  const known = typeof error?.code === "string" && typeof error?.message === "string" && KNOWN_CODES.has(error.code);
  return new WebEidError(known ? String(error!.code) : "ERR_WEBEID_UNKNOWN_ERROR", String(error?.message ?? ""),
    error?.sithsdReason);
}

window.addEventListener("message", (event) => {
  const data = event.data;
  if (typeof data?.action !== "string" || !data.action.startsWith("web-eid:")) return;
  if (data.action === "web-eid:warning") {
    for (const warning of data.warnings ?? []) {
      if (loggedWarnings.has(warning)) continue;
      loggedWarnings.add(warning);
      console.warn(String(warning).replace(/\n|\r/g, ""));
    }
    return;
  }
  const suffix = ["success", "failure", "ack"].find((s) => data.action.endsWith(s));
  const action = data.action.replace(/-success$|-failure$|-ack$/, "");
  const p = pending.get(action);
  if (!p) return;
  if (suffix === "ack") clearTimeout(p.ackTimer);
  else if (suffix === "success") remove(action)?.resolve(data);
  else if (suffix === "failure") remove(action)?.reject(deserialize(data.error));
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function send<T>(name: string, fields: Record<string, unknown>, timeoutMs: number): Promise<T> {
  await sleep(loadedAt + MAX_EXTENSION_LOAD_DELAY - Date.now());
  const action = `web-eid:${name}`;
  if (pending.has(action)) throw new WebEidError("ERR_WEBEID_ACTION_PENDING", `${action} is pending`);
  if (!window.isSecureContext) throw new WebEidError("ERR_WEBEID_CONTEXT_INSECURE", "not a secure context");
  return new Promise<T>((resolve, reject) => {
    const p: Pending = {
      resolve: (data) => resolve(data as T),
      reject,
      ackTimer: window.setTimeout(() => {
        remove(action);
        reject(new WebEidError("ERR_WEBEID_EXTENSION_UNAVAILABLE", "no extension answered"));
      }, EXTENSION_HANDSHAKE_TIMEOUT),
      replyTimer: window.setTimeout(() => {
        remove(action);
        reject(new WebEidError("ERR_WEBEID_ACTION_TIMEOUT", "extension message timeout"));
      }, timeoutMs),
    };
    pending.set(action, p);
    window.postMessage({ ...fields, action, libraryVersion: LIBRARY_VERSION }, "*");
  });
}

const HANDSHAKES = EXTENSION_HANDSHAKE_TIMEOUT + NATIVE_APP_HANDSHAKE_TIMEOUT;
const userTime = (options?: ActionOptions) => options?.userInteractionTimeout ?? DEFAULT_USER_INTERACTION_TIMEOUT;

export const status = () =>
  send<{ library: string; extension: string; nativeApp: string }>("status", {}, HANDSHAKES);
export const authenticate = (challengeNonce: string, options?: ActionOptions) => {
  if (!challengeNonce) return Promise.reject(new WebEidError("ERR_WEBEID_MISSING_PARAMETER", "challengeNonce"));
  return send<Record<string, string>>("authenticate", { challengeNonce, options }, HANDSHAKES + userTime(options));
};
export const getSigningCertificate = (options?: ActionOptions) =>
  send<{ certificate: string; supportedSignatureAlgorithms: Record<string, string>[] }>(
    "get-signing-certificate", { options }, HANDSHAKES + 2 * userTime(options));
export const sign = (certificate: string, hash: string, hashFunction: string, options?: ActionOptions) => {
  if (!certificate || !hash || !hashFunction) {
    return Promise.reject(new WebEidError("ERR_WEBEID_MISSING_PARAMETER", "sign needs certificate, hash and hashFunction"));
  }
  return send<{ signature: string; signatureAlgorithm: Record<string, string> }>(
    "sign", { certificate, hash, hashFunction, options }, HANDSHAKES + 2 * userTime(options));
};
