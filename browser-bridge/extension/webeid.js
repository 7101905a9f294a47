// Pages written for Web eID: this content script answers the window messages of
// @web-eid/web-eid-library 2.x (`web-eid:status`, `-authenticate`, `-get-signing-certificate`,
// `-sign`) as Web eID's own extension does, with a SITHS card through sithsd. It speaks to sithsd
// as any page does, over the frame's one channel (channel.js, shared with content.js) to the
// background worker, which names the page's origin from the browser (sender.origin), never from
// the message. A document with an opaque origin gets no answer at all (channel.js).
//
// Page → here: {action: "web-eid:<name>", libraryVersion, …}. Here → page: at once
// {action: "web-eid:<name>-ack"}, then {action: "web-eid:<name>-success", …result fields} or
// {action: "web-eid:<name>-failure", error: {code: "ERR_WEBEID_…", message, sithsdReason?}}.
// The library matches answers by action only, so one request per action is served at a time.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const channel = globalThis.sithsdChannel;
  if (!channel?.available) return;  // an opaque origin has no sithsd: no ack, as if we were absent
  const ACTIONS = ["web-eid:status", "web-eid:authenticate", "web-eid:get-signing-certificate", "web-eid:sign"];
  const HASH_FUNCTIONS = ["SHA-256", "SHA-384", "SHA-512"];  // what sithsd signs; Web eID also names SHA-224 and SHA3
  // The library's timers (web-eid.js config.ts): status waits 1 s for the ack and 5 s for the
  // native app; the other actions 1 s + 5 s + options.userInteractionTimeout (2 minutes unless
  // given; twice that for get-signing-certificate and sign). Web eID's extension gives the native
  // app userInteractionTimeout, then closes it and answers ERR_WEBEID_USER_TIMEOUT; so do we: at
  // the deadline the action's sithsd requests are cancelled (the prompt closes) and the page is
  // answered, always before the library's own timer, so that a retry finds nothing pending.
  const NATIVE_HANDSHAKE_MS = 5000;
  const DEFAULT_USER_INTERACTION_MS = 2 * 60 * 1000;
  // sithsd ends a prompt at prompt_timeout_seconds (at most an hour); a longer wish is cut here,
  // which also keeps the number within what setTimeout takes.
  const MAX_USER_INTERACTION_MS = 61 * 60 * 1000;
  const NOT_RUNNING = { code: -32000, message: "sithsd is not running.", data: { reason: "NOT_RUNNING" } };

  const busy = new Set();  // actions being served
  let nextId = 1;

  const toPage = (data) => window.postMessage(data, window.origin);

  /** An id no request of this frame's channel (the page's own included) is waiting with. */
  const freshId = () => {
    for (;;) {
      const id = `web-eid-${nextId++}`;
      if (!channel.waiting(id)) return id;
    }
  };

  /**
   * The sithsd requests of one action, ended together: call() sends one and resolves with its
   * result (rejects with its JSON-RPC error); end() cancels those still waiting (their prompts
   * close) and makes later calls fail with `why`.
   */
  const requestsOfOneAction = () => {
    const waiting = new Set();
    let ended = null;
    const cancel = (id) => channel.request({ jsonrpc: "2.0", id: freshId(), method: "cancel", params: { id } },
      { onAnswer: () => {}, onClosed: () => {} });
    return {
      call: (method, params = {}) => new Promise((resolve, reject) => {
        if (ended) return reject(ended);
        const id = freshId();
        waiting.add(id);
        channel.request({ jsonrpc: "2.0", id, method, params }, {
          onAnswer: (answer) => {
            waiting.delete(id);
            if (answer.error) reject(answer.error);
            else resolve(answer.result);
          },
          onClosed: () => {
            waiting.delete(id);
            reject(NOT_RUNNING);
          },
        });
      }),
      end: (why) => {
        ended = why;
        for (const id of waiting) cancel(id);
        waiting.clear();
      },
    };
  };

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
    "web-eid:status": async (request, call) => {
      const hello = await call("hello");
      return { library: String(request.libraryVersion ?? ""), extension: api.runtime.getManifest().version,
        nativeApp: hello.version };
    },
    "web-eid:authenticate": async (request, call) => {
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
    "web-eid:get-signing-certificate": async (request, call) => {
      const chosen = pick(await call("listCertificates", { purpose: "signing" }), "signing");
      return { certificate: chosen.certificate, supportedSignatureAlgorithms: signatureAlgorithms(chosen.keyAlgorithm) };
    },
    "web-eid:sign": async (request, call) => {
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

  /** How long the action may take before the page is answered ERR_WEBEID_USER_TIMEOUT, and with what. */
  const deadlineOf = (request) => {
    if (request.action === "web-eid:status") {
      return { ms: NATIVE_HANDSHAKE_MS, failure: new WebEidFailure("ERR_WEBEID_NATIVE_UNAVAILABLE", "sithsd did not answer in time.") };
    }
    // As Web eID's extension: a missing or zero option means the library's default.
    const wanted = Number(request.options?.userInteractionTimeout) || DEFAULT_USER_INTERACTION_MS;
    return { ms: Math.min(Math.max(wanted, 0), MAX_USER_INTERACTION_MS),
      failure: new WebEidFailure("ERR_WEBEID_USER_TIMEOUT", "user failed to respond in time") };
  };

  /** The action's result, or its failure; at its deadline its sithsd requests are cancelled. */
  const serve = (request) => {
    const requests = requestsOfOneAction();
    const { ms, failure } = deadlineOf(request);
    let timer;
    const expiry = new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        requests.end(failure);
        reject(failure);
      }, ms);
    });
    return Promise.race([handlers[request.action](request, requests.call), expiry])
      .finally(() => clearTimeout(timer));
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
    serve(request).then(
      (result) => toPage({ ...result, action: `${action}-success` }),
      (error) => toPage({ action: `${action}-failure`, error: { ...fromSithsd(error) } }),
    ).finally(() => busy.delete(action));
  });
})();
