// The portal's pages: each has a button #go and a box #status (data-state "done" or "error",
// data-reason the error's reason). One page per way a browser reaches sithsd.
const common = (wsUrl) => `
const status = (state, text, reason = "") => {
  const box = document.getElementById("status");
  Object.assign(box.dataset, { state, reason });
  box.textContent = text;
};
const post = async (path, data) => {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data ?? {}) });
  return { ok: r.ok, ...(await r.json()) };
};
// JSON-RPC over sithsd's WebSocket (PROTOCOL.md), one connection per call. Its address is the
// portal's setting, or ?sithsd=URL (the tests' private sithsd, on a port of its own).
const sithsdUrl = new URLSearchParams(location.search).get("sithsd") ?? ${JSON.stringify(wsUrl)};
const viaWebSocket = (method, params) => new Promise((resolve, reject) => {
  const ws = new WebSocket(sithsdUrl);
  ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id !== 1) return;
    ws.close();
    m.error ? reject(m.error) : resolve(m.result);
  };
  ws.onerror = () => reject({ message: "no sithsd", data: { reason: "NOT_RUNNING" } });
});
// The same through the sithsd extension (window messages, answered by its content script).
const viaExtension = (method, params) => new Promise((resolve, reject) => {
  const id = "page-" + Math.random().toString(16).slice(2);
  addEventListener("message", function answer(e) {
    if (e.source !== window || e.data?.type !== "sithsd:message" || e.data.message?.id !== id) return;
    removeEventListener("message", answer);
    e.data.message.error ? reject(e.data.message.error) : resolve(e.data.message.result);
  });
  postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id, method, params } }, location.origin);
});
const failed = (e) => status("error", e.message ?? String(e), e.data?.reason ?? e.reason ?? "");
const login = async (authenticate) => {
  try {
    const { nonce } = await post("/api/nonce");
    const token = await authenticate(nonce);
    const r = await post("/api/login", { token });
    r.ok ? status("done", "Inloggad som " + r.hsaId) : status("error", r.error, "REFUSED");
  } catch (e) { failed(e); }
};`;

const page = (title, wsUrl, script) => `<!doctype html><meta charset="utf-8"><title>${title}</title>
<h1>${title}</h1><button id="go">Logga in</button><p id="status" data-state="idle"></p>
<script>${common(wsUrl)}
${script}</script>`;

export const pages = {
  "/": (ws) => page("Mina sidor", ws, `
document.getElementById("go").onclick = () => login((challengeNonce) =>
  viaWebSocket("authenticate", { challengeNonce, require: "hsaId" }));`),

  "/ext": (ws) => page("Mina sidor (tillägget)", ws, `
document.getElementById("go").onclick = async () => {
  const hello = await viaExtension("hello", {}).catch(failed);
  document.body.dataset.transport = hello?.transport ?? "";
  await login((challengeNonce) => viaExtension("authenticate", { challengeNonce, require: "hsaId" }));
};`),

  // A page written for Web eID's window messages (web-eid:authenticate → -ack, -success/-failure).
  "/webeid": (ws) => page("Web eID", ws, `
const webEid = (action, fields) => new Promise((resolve, reject) => {
  addEventListener("message", function answer(e) {
    if (e.source !== window) return;
    if (e.data?.action === "web-eid:" + action + "-success") {
      removeEventListener("message", answer);
      const { action: _, ...result } = e.data;
      resolve(result);
    } else if (e.data?.action === "web-eid:" + action + "-failure") {
      removeEventListener("message", answer);
      reject({ message: e.data.error?.message, reason: e.data.error?.code });
    }
  });
  postMessage({ action: "web-eid:" + action, libraryVersion: "2.1.0", ...fields }, "*");
});
document.getElementById("go").onclick = () => login((challengeNonce) =>
  webEid("authenticate", { challengeNonce, options: {} }));`),

  "/attest": (ws) => page("Attestera", ws, `
document.getElementById("go").onclick = async () => {
  try {
    const { displayText, data } = await post("/api/prepare");
    // The card's HSA-ID signature certificate (a SITHS card also has a personnummer one).
    const [certificate] = await viaWebSocket("listCertificates", { purpose: "signing", require: "hsaId" });
    if (!certificate) throw { message: "no signature certificate", data: { reason: "NO_CARD" } };
    const { cms } = await viaWebSocket("sign",
      { certificateId: certificate.certificateId, displayText, data, format: "cms" });
    const r = await post("/api/sign", { cms });
    r.ok ? status("done", "Signerat av " + r.signer + ": " + r.shown) : status("error", r.error, "REFUSED");
  } catch (e) { failed(e); }
};`),
};
