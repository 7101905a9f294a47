// The frame's one channel to sithsd, shared by this extension's content scripts of the frame:
// content.js (pages using @sithsd/client) and webeid.js (pages written for Web eID). The content
// scripts of one extension in one frame share a scope (not the page's), where this leaves
// `sithsdChannel`. The channel is a port to the background worker, opened when the page first
// asks (not at load), so that a frame costs the native host one daemon connection, and only once
// it uses sithsd.
//
// A document whose origin is opaque (a sandboxed frame, a page served with
// `Content-Security-Policy: sandbox`) is nobody: it gets no channel, whatever its URL says, and
// the content scripts do not answer it at all (its client sees no extension).
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const available = window.origin !== "null";

  let port = null;
  const requests = new Map();  // JSON-RPC id (as JSON) → {onAnswer, onClosed} of the one who asked
  let listener = { onMessage: () => {}, onClosed: () => {} };  // the page's relay (content.js)

  const keyOf = (id) => JSON.stringify(id ?? null);  // the host answers a request without id with id null

  const closed = () => {
    const waiting = [...requests.values()];
    requests.clear();
    for (const request of waiting) request.onClosed();
    listener.onClosed();
  };

  const open = () => {
    port = api.runtime.connect({ name: "sithsd" });
    port.onMessage.addListener((data) => {
      if (data?.closed) return closed();  // the daemon closed the connection; the next request opens anew
      const message = data?.message;
      if (!message || typeof message !== "object") return;
      const key = "id" in message ? keyOf(message.id) : undefined;
      const request = key === undefined ? undefined : requests.get(key);
      if (!request) return listener.onMessage(message);  // a notification, or an answer to nobody here
      requests.delete(key);
      request.onAnswer(message);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      closed();
    });
    return port;
  };

  globalThis.sithsdChannel = Object.freeze({
    available,
    /** Whether a request with this id is waiting for its answer. */
    waiting: (id) => requests.has(keyOf(id)),
    /**
     * Sends one JSON-RPC request; its answer goes to `onAnswer`, and `onClosed` is called if the
     * connection ends first. False (nothing sent) when a request with the same id is waiting:
     * its answer could not be told apart.
     */
    request(message, { onAnswer, onClosed }) {
      if (!available) return false;
      const key = keyOf(message.id);
      if (requests.has(key)) return false;
      requests.set(key, { onAnswer, onClosed });
      (port ?? open()).postMessage({ message });
      return true;
    },
    /** The page's relay: notifications, answers nobody here waits for, and the end of the connection. */
    listen(relay) {
      listener = relay;
    },
  });
})();
