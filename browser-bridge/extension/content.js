// sithsd's content script: a relay between the page (window.postMessage) and the extension's
// background worker (a runtime port). It injects nothing into the page and adds no globals; the
// page's messages are data, and the page's origin is taken by the background from the browser
// (sender.origin), never from a message.
//
// Page → content script: {type: "sithsd:ping"} and {type: "sithsd:request", message: {JSON-RPC}}.
// Content script → page: {type: "sithsd:pong", version}, {type: "sithsd:message", message}
// (an answer or a notification) and {type: "sithsd:closed"} (the connection to sithsd ended).
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const MAX_REQUEST_BYTES = 4 * 1024 * 1024;  // the native host's own limit
  let port = null;

  const toPage = (data) => {
    const origin = window.location.origin;
    window.postMessage(data, origin === "null" ? "*" : origin);
  };

  const openPort = () => {
    port = api.runtime.connect({ name: "sithsd" });
    port.onMessage.addListener((data) => {
      if (data && data.closed) toPage({ type: "sithsd:closed" });
      else if (data && typeof data.message === "object") toPage({ type: "sithsd:message", message: data.message });
    });
    port.onDisconnect.addListener(() => {
      port = null;
      toPage({ type: "sithsd:closed" });
    });
    return port;
  };

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
    (port ?? openPort()).postMessage({ message: JSON.parse(text) });
  });
})();
