// sithsd's background worker: one native-messaging port to sithsd-native-host for the browser
// profile, and one channel per page (a content script's port). The page's origin is what the
// browser says about the port's sender, never what the page writes. No remote code, no storage.
const api = globalThis.browser ?? globalThis.chrome;
const HOST = "se.sithsd.native_host";

let native = null;                // the port to the host, opened when the first page asks
const pages = new Map();          // channel name → { port, origin }
let nextChannel = 1;

// The page's origin as the browser reports it. An opaque origin ("null": a sandboxed frame, a
// page served with `Content-Security-Policy: sandbox`) is nobody and gets no channel, whatever its
// URL says. Only a browser that reports no sender.origin (older Firefox) falls back to the URL's
// origin; the content scripts open no port in a document whose own origin is opaque (channel.js),
// so a sandboxed frame never reaches this fallback.
function originOf(sender) {
  if (typeof sender.origin === "string") return sender.origin === "null" ? null : sender.origin;
  try {
    const origin = new URL(sender.url).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

function hostPort() {
  if (native) return native;
  native = api.runtime.connectNative(HOST);
  native.onMessage.addListener((envelope) => {
    const page = envelope && typeof envelope.channel === "string" ? pages.get(envelope.channel) : undefined;
    if (!page) return;  // a page that went away meanwhile, or an error about a bad envelope
    if (envelope.closed) page.port.postMessage({ closed: true });
    else page.port.postMessage({ message: envelope.message });
  });
  native.onDisconnect.addListener(() => {
    // The host is not installed, or it exited: every page's connection ends (the pages'
    // clients reconnect; the next request starts the host again).
    native = null;
    for (const [, page] of pages) page.port.disconnect();
    pages.clear();
  });
  return native;
}

api.runtime.onConnect.addListener((port) => {
  if (port.name !== "sithsd" || !port.sender || port.sender.id !== api.runtime.id) return;
  const origin = originOf(port.sender);
  if (!origin) {
    port.disconnect();
    return;
  }
  const channel = String(nextChannel++);
  pages.set(channel, { port, origin });
  port.onMessage.addListener((data) => {
    if (!data || typeof data.message !== "object" || data.message === null) return;
    hostPort().postMessage({ channel, origin, message: data.message });
  });
  port.onDisconnect.addListener(() => {
    if (!pages.delete(channel)) return;
    if (native) native.postMessage({ channel, close: true });  // cancels its pending requests
  });
});
