// sithsd's content script: a relay between the page (window.postMessage) and the frame's channel
// to sithsd (channel.js, shared with webeid.js). It injects nothing into the page and adds no
// globals; the page's messages are data, and the page's origin is taken by the background from
// the browser (sender.origin), never from a message. In a document with an opaque origin it does
// nothing: such a page has no sithsd (channel.js).
//
// Page → content script: {type: "sithsd:ping"} and {type: "sithsd:request", message: {JSON-RPC}}.
// Content script → page: {type: "sithsd:pong", version}, {type: "sithsd:message", message}
// (an answer or a notification) and {type: "sithsd:closed"} (the connection to sithsd ended).
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const channel = globalThis.sithsdChannel;
  if (!channel?.available) return;
  const MAX_REQUEST_BYTES = 4 * 1024 * 1024;  // the native host's own limit

  const toPage = (data) => window.postMessage(data, window.origin);
  const relay = (message) => toPage({ type: "sithsd:message", message });

  channel.listen({ onMessage: relay, onClosed: () => toPage({ type: "sithsd:closed" }) });

  window.addEventListener("message", (event) => {
    if (event.source !== window) return;  // only this page's own window, not frames or openers
    const data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "sithsd:ping") {
      toPage({ type: "sithsd:pong", version: api.runtime.getManifest().version });
      return;
    }
    if (data.type !== "sithsd:request") return;
    const message = data.message;
    if (!message || typeof message !== "object" || typeof message.method !== "string") return;
    let text;
    try {
      text = JSON.stringify(message);
    } catch {
      return;
    }
    if (text.length > MAX_REQUEST_BYTES) return;
    const request = JSON.parse(text);
    // The host answers what went wrong itself; closing is said once, by the listener above.
    if (channel.request(request, { onAnswer: relay, onClosed: () => {} })) return;
    // As sithsd answers a duplicate id (the channel is shared with webeid.js, so it is told here).
    relay({ jsonrpc: "2.0", id: request.id ?? null, error: { code: -32600,
      message: `Request id ${JSON.stringify(request.id ?? null)} is already pending.`, data: { reason: "INVALID_REQUEST" } } });
  });
})();
