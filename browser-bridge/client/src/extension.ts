// The sithsd extension as a transport: a WebSocket-like object over window.postMessage, so that
// the client's calls, timeouts, reconnection and events work the same on both ways in. The
// extension's content script relays to its background worker, which relays to sithsd through the
// native-messaging host; the page's origin is taken by the extension from the browser.
import type { WebSocketLike } from "./client.js";

/** The part of `window` this transport uses (so tests can pass their own). */
export interface MessageWindow {
  readonly location: { readonly origin: string };
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: "message", listener: (event: { source: unknown; data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { source: unknown; data: unknown }) => void): void;
}

const OPEN = 1;
const CLOSED = 3;

function targetOrigin(win: MessageWindow): string {
  const origin = win.location.origin;
  return origin === "null" ? "*" : origin;  // an opaque origin cannot be named; it is our own window
}

/**
 * Whether the sithsd extension's content script runs in this window: it answers a ping within
 * `timeoutMs`. Resolves with its version, or null.
 */
export function probeExtension(win: MessageWindow, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const onMessage = (event: { source: unknown; data: any }) => {
      if (event.source !== win || event.data?.type !== "sithsd:pong") return;
      finish(typeof event.data.version === "string" ? event.data.version : "");
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (version: string | null) => {
      clearTimeout(timer);
      win.removeEventListener("message", onMessage);
      resolve(version);
    };
    win.addEventListener("message", onMessage);
    win.postMessage({ type: "sithsd:ping" }, targetOrigin(win));
  });
}

/** One page's connection through the extension; opens at once (the host starts on first use). */
export class ExtensionSocket implements WebSocketLike {
  readyState = 0;
  private readonly listeners = new Map<string, Array<(event: any) => void>>();

  constructor(private readonly win: MessageWindow) {
    win.addEventListener("message", this.onWindowMessage);
    queueMicrotask(() => {
      if (this.readyState !== 0) return;
      this.readyState = OPEN;
      this.dispatch("open", {});
    });
  }

  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: any) => void): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener);
    this.listeners.set(type, list);
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error("the extension connection is closed");
    this.win.postMessage({ type: "sithsd:request", message: JSON.parse(data) }, targetOrigin(this.win));
  }

  close(code = 1000): void {
    if (this.readyState === CLOSED) return;
    this.end(code);
  }

  private end(code: number) {
    this.readyState = CLOSED;
    this.win.removeEventListener("message", this.onWindowMessage);
    queueMicrotask(() => this.dispatch("close", { code }));
  }

  private dispatch(type: string, event: unknown) {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }

  private readonly onWindowMessage = (event: { source: unknown; data: any }) => {
    if (event.source !== this.win || this.readyState !== OPEN) return;
    const data = event.data;
    if (data?.type === "sithsd:message" && data.message && typeof data.message === "object") {
      this.dispatch("message", { data: JSON.stringify(data.message) });
    } else if (data?.type === "sithsd:closed") {
      this.end(1006);  // the host or the daemon went away: the client reconnects as after a lost WebSocket
    }
  };
}
