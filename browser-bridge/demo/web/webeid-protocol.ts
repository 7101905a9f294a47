// The page's side of the Web eID extension protocol, written here from the message protocol of
// @web-eid/web-eid-library 2.x (which is not on the npm registry this project uses): a request is
// posted to the page's own window as {action: "web-eid:<name>", libraryVersion, …}; the extension
// must answer {action: "<action>-ack"} within 1 s, then "<action>-success" (the result's fields)
// or "<action>-failure" ({error: {code: "ERR_WEBEID_…", message}}). One request per action at a
// time, as the library does. Used by the demo's Web eID page to test sithsd's extension.
export const LIBRARY_VERSION = "2.1.0";
const HANDSHAKE_MS = 1000;

export class WebEidError extends Error {
  constructor(readonly code: string, message: string, readonly sithsdReason?: string) {
    super(message);
  }
}

type Pending = { resolve: (fields: Record<string, unknown>) => void; reject: (e: WebEidError) => void; ackTimer: number; replyTimer: number };
const pending = new Map<string, Pending>();

function settle(action: string): Pending | undefined {
  const p = pending.get(action);
  if (p) {
    clearTimeout(p.ackTimer);
    clearTimeout(p.replyTimer);
    pending.delete(action);
  }
  return p;
}

window.addEventListener("message", (event) => {
  const data = event.data;
  if (typeof data?.action !== "string" || !data.action.startsWith("web-eid:")) return;
  const match = /^(web-eid:[a-z-]+?)-(ack|success|failure)$/.exec(data.action);
  if (!match) return;
  const [, action, suffix] = match;
  const p = pending.get(action);
  if (!p) return;
  if (suffix === "ack") {
    clearTimeout(p.ackTimer);
  } else if (suffix === "success") {
    settle(action)?.resolve(data);
  } else {
    const error = data.error ?? {};
    settle(action)?.reject(new WebEidError(String(error.code ?? "ERR_WEBEID_UNKNOWN_ERROR"),
      String(error.message ?? ""), error.sithsdReason));
  }
});

export function send<T>(name: string, fields: Record<string, unknown>, timeoutMs: number): Promise<T> {
  const action = `web-eid:${name}`;
  if (pending.has(action)) return Promise.reject(new WebEidError("ERR_WEBEID_ACTION_PENDING", `${action} is pending`));
  if (!window.isSecureContext) return Promise.reject(new WebEidError("ERR_WEBEID_CONTEXT_INSECURE", "not a secure context"));
  return new Promise<T>((resolve, reject) => {
    const p: Pending = {
      resolve: (data) => resolve(data as T),
      reject,
      ackTimer: window.setTimeout(() => {
        settle(action);
        reject(new WebEidError("ERR_WEBEID_EXTENSION_UNAVAILABLE", "no extension answered"));
      }, HANDSHAKE_MS),
      replyTimer: window.setTimeout(() => {
        settle(action);
        reject(new WebEidError("ERR_WEBEID_ACTION_TIMEOUT", "no answer in time"));
      }, timeoutMs),
    };
    pending.set(action, p);
    window.postMessage({ ...fields, action, libraryVersion: LIBRARY_VERSION }, "*");
  });
}

const USER_MS = 2 * 60 * 1000;
const NATIVE_MS = 5000;

export const status = () =>
  send<{ library: string; extension: string; nativeApp: string }>("status", {}, HANDSHAKE_MS + NATIVE_MS);
export const authenticate = (challengeNonce: string) =>
  send<Record<string, string>>("authenticate", { challengeNonce, options: { lang: "sv" } }, HANDSHAKE_MS + NATIVE_MS + USER_MS);
export const getSigningCertificate = () =>
  send<{ certificate: string; supportedSignatureAlgorithms: Record<string, string>[] }>(
    "get-signing-certificate", { options: { lang: "sv" } }, HANDSHAKE_MS + NATIVE_MS + 2 * USER_MS);
export const sign = (certificate: string, hash: string, hashFunction: string) =>
  send<{ signature: string; signatureAlgorithm: Record<string, string> }>(
    "sign", { certificate, hash, hashFunction, options: { lang: "sv" } }, HANDSHAKE_MS + NATIVE_MS + 2 * USER_MS);
