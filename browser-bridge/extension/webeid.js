// Pages written for Web eID: this content script answers the window messages of
// @web-eid/web-eid-library 2.x (`web-eid:status`, `-authenticate`, `-get-signing-certificate`,
// `-sign`) as Web eID's own extension does, with a SITHS card through sithsd. It speaks to sithsd
// as any page does: a port to the background worker, which names the page's origin from the
// browser (sender.origin), never from the message.
//
// Page → here: {action: "web-eid:<name>", libraryVersion, …}. Here → page: at once
// {action: "web-eid:<name>-ack"}, then {action: "web-eid:<name>-success", …result fields} or
// {action: "web-eid:<name>-failure", error: {code: "ERR_WEBEID_…", message, sithsdReason?}}.
// The library matches answers by action only, so one request per action is served at a time.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const ACTIONS = ["web-eid:status", "web-eid:authenticate", "web-eid:get-signing-certificate", "web-eid:sign"];
  const HASH_FUNCTIONS = ["SHA-256", "SHA-384", "SHA-512"];  // what sithsd signs; Web eID also names SHA-224 and SHA3
  // sithsd answers every request (a prompt ends at prompt_timeout_seconds, at most an hour); this
  // bound only frees the action should the way to sithsd stall without closing.
  const CALL_DEADLINE_MS = 61 * 60 * 1000;
  const NOT_RUNNING = { code: -32000, message: "sithsd is not running.", data: { reason: "NOT_RUNNING" } };

  const busy = new Set();  // actions being served
  const calls = new Map();  // JSON-RPC id → settle(answer)
  let port = null;
  let nextId = 1;

  const toPage = (data) => {
    const origin = window.location.origin;
    window.postMessage(data, origin === "null" ? "*" : origin);
  };

  const endAll = () => {
    for (const [, settle] of calls) settle({ error: NOT_RUNNING });
    calls.clear();
  };

  const openPort = () => {
    port = api.runtime.connect({ name: "sithsd" });
    port.onMessage.addListener((data) => {
      if (data?.closed) {  // the daemon closed this page's connection: the next call opens anew
        const old = port;
        port = null;
        old.disconnect();
        endAll();
        return;
      }
      const message = data?.message;
      const settle = message && calls.get(message.id);
      if (!settle) return;  // a notification (cardsChanged, …): Web eID has none
      calls.delete(message.id);
      settle(message);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      endAll();
    });
    return port;
  };

  /** One sithsd request; resolves with its result, rejects with its JSON-RPC error. */
  const call = (method, params = {}) => new Promise((resolve, reject) => {
    const id = `web-eid-${nextId++}`;
    const timer = setTimeout(() => {
      if (!calls.delete(id)) return;
      port?.postMessage({ message: { jsonrpc: "2.0", id: `${id}-cancel`, method: "cancel", params: { id } } });
      reject({ code: 1011, message: "No answer from sithsd.", data: { reason: "TIMEOUT" } });
    }, CALL_DEADLINE_MS);
    calls.set(id, (answer) => {
      clearTimeout(timer);
      if (answer.error) reject(answer.error);
      else resolve(answer.result);
    });
    (port ?? openPort()).postMessage({ message: { jsonrpc: "2.0", id, method, params } });
  });

  /** A failure the library turns into its own error class (errorSerializer's codes). */
  class WebEidFailure {
    constructor(code, message, sithsdReason) {
      this.code = code;
      this.message = message;
      if (sithsdReason) this.sithsdReason = sithsdReason;
    }
  }

  const fromSithsd = (error) => {
    if (error instanceof WebEidFailure) return error;
    const reason = error?.data?.reason;
    const message = typeof error?.message === "string" ? error.message : "sithsd failed.";
    const code =
      reason === "USER_CANCELLED" ? "ERR_WEBEID_USER_CANCELLED"
      : reason === "TIMEOUT" ? "ERR_WEBEID_USER_TIMEOUT"
      : reason === "NOT_RUNNING" ? "ERR_WEBEID_NATIVE_UNAVAILABLE"
      : error?.code === -32602 ? "ERR_WEBEID_NATIVE_INVALID_ARGUMENT"
      : typeof error?.code === "number" && (error.code >= 1001 && error.code <= 1016) ? "ERR_WEBEID_NATIVE_FATAL"
      : "ERR_WEBEID_UNKNOWN_ERROR";
    return new WebEidFailure(code, message, reason);
  };

  const invalid = (message) => new WebEidFailure("ERR_WEBEID_NATIVE_INVALID_ARGUMENT", message);

  // Web eID's app lets the person choose among several certificates; sithsd has no chooser for
  // pages, so: the only one, else the only one with an HSA-ID (SITHS's identity in care).
  const pick = (candidates, purpose) => {
    if (candidates.length === 1) return candidates[0];
    const withHsaId = candidates.filter((c) => c.hsaId);
    if (withHsaId.length === 1) return withHsaId[0];
    if (candidates.length === 0) {
      throw new WebEidFailure("ERR_WEBEID_NATIVE_FATAL", `No ${purpose} certificate on an inserted SITHS card.`, "NO_CARD");
    }
    throw new WebEidFailure("ERR_WEBEID_NATIVE_FATAL",
      `Several ${purpose} certificates match; leave only one SITHS card in the readers.`, "CERTIFICATE_SELECTION_REQUIRED");
  };

  const signatureAlgorithms = (keyAlgorithm) => {
    const ec = String(keyAlgorithm).startsWith("EC");
    return HASH_FUNCTIONS.map((hashFunction) => ({
      cryptoAlgorithm: ec ? "ECC" : "RSA", hashFunction, paddingScheme: ec ? "NONE" : "PKCS1.5" }));
  };

  const handlers = {
    "web-eid:status": async (request) => {
      const hello = await call("hello");
      return { library: String(request.libraryVersion ?? ""), extension: api.runtime.getManifest().version,
        nativeApp: hello.version };
    },
    "web-eid:authenticate": async (request) => {
      if (typeof request.challengeNonce !== "string") throw invalid("challengeNonce must be a string.");
      const params = { challengeNonce: request.challengeNonce };
      let token;
      try {
        token = await call("authenticate", params);
      } catch (error) {
        if (error?.data?.reason !== "CERTIFICATE_SELECTION_REQUIRED") throw error;
        const chosen = pick(error.data.candidates ?? [], "identification");
        token = await call("authenticate", { ...params, certificateId: chosen.certificateId });
      }
      const { unverifiedCertificate, algorithm, signature, format, appVersion } = token;
      return { unverifiedCertificate, algorithm, signature, format, appVersion };
    },
    "web-eid:get-signing-certificate": async () => {
      const chosen = pick(await call("listCertificates", { purpose: "signing" }), "signing");
      return { certificate: chosen.certificate, supportedSignatureAlgorithms: signatureAlgorithms(chosen.keyAlgorithm) };
    },
    "web-eid:sign": async (request) => {
      const { certificate, hash, hashFunction } = request;
      if (typeof certificate !== "string" || typeof hash !== "string") throw invalid("certificate and hash must be base64 strings.");
      if (!HASH_FUNCTIONS.includes(hashFunction)) throw invalid("hashFunction must be SHA-256, SHA-384 or SHA-512.");
      const match = (await call("listCertificates", { purpose: "signing" })).find((c) => c.certificate === certificate);
      if (!match) {
        throw new WebEidFailure("ERR_WEBEID_NATIVE_FATAL", "The certificate is not on an inserted SITHS card.",
          "CERTIFICATE_NOT_FOUND");
      }
      // No displayText: Web eID sends none, and sithsd's prompt then says that the page did not
      // say what is signed, and names the page's origin.
      const result = await call("sign", { certificateId: match.certificateId, hash, hashAlgorithm: hashFunction, format: "raw" });
      const ec = result.algorithm.startsWith("ES");
      return { signature: result.signature,
        signatureAlgorithm: { cryptoAlgorithm: ec ? "ECC" : "RSA", hashFunction, paddingScheme: ec ? "NONE" : "PKCS1.5" } };
    },
  };

  window.addEventListener("message", (event) => {
    if (event.source !== window) return;  // only this page's own window, not frames or openers
    const request = event.data;
    if (!request || typeof request !== "object" || !ACTIONS.includes(request.action)) return;
    const action = request.action;
    if (busy.has(action)) {
      // As Web eID's extension: the library itself never sends a second one while one is pending.
      toPage({ action: `${action}-failure`, error: { code: "ERR_WEBEID_ACTION_PENDING", message: `${action} is already pending.` } });
      return;
    }
    busy.add(action);
    toPage({ action: `${action}-ack` });
    handlers[action](request).then(
      (result) => toPage({ ...result, action: `${action}-success` }),
      (error) => toPage({ action: `${action}-failure`, error: { ...fromSithsd(error) } }),
    ).finally(() => busy.delete(action));
  });
})();
