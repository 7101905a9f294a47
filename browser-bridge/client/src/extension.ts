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

// The id of the hello that opens a connection; the client's own ids are numbers.
const OPENING_ID = "sithsd-open";

/**
 * One page's connection through the extension. It opens when sithsd answers a hello (so that,
 * as with the WebSocket, an open connection means a daemon that accepted the page and sends it
 * events); when the answer is an error, `failure` holds it and "error" then "close" follow.
 */
export class ExtensionSocket implements WebSocketLike {
  readyState = 0;
  failure: { code?: number; message?: string; data?: unknown } | null = null;
  private readonly listeners = new Map<string, Array<(event: any) => void>>();

  constructor(private readonly win: MessageWindow) {
    win.addEventListener("message", this.onWindowMessage);
    win.postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id: OPENING_ID, method: "hello" } },
      targetOrigin(win));
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

  private opened(answer: { result?: unknown; error?: { code?: number; message?: string; data?: unknown } }) {
    if (answer.error || answer.result === undefined) return this.failed(answer.error ?? {});
    this.readyState = OPEN;
    this.dispatch("open", {});
  }

  private failed(error: { code?: number; message?: string; data?: unknown }) {
    this.failure = error;
    this.dispatch("error", {});
    this.end(1006);
  }

  private dispatch(type: string, event: unknown) {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }

  private readonly onWindowMessage = (event: { source: unknown; data: any }) => {
    if (event.source !== this.win || this.readyState === CLOSED) return;
    const data = event.data;
    if (this.readyState === 0) {
      if (data?.type === "sithsd:message" && data.message?.id === OPENING_ID) this.opened(data.message);
      else if (data?.type === "sithsd:closed") this.failed({ data: { reason: "NOT_RUNNING" } });
      return;
    }
    if (data?.type === "sithsd:message" && data.message && typeof data.message === "object") {
      this.dispatch("message", { data: JSON.stringify(data.message) });
    } else if (data?.type === "sithsd:closed") {
      this.end(1006);  // the host or the daemon went away: the client reconnects as after a lost WebSocket
    }
  };
}
