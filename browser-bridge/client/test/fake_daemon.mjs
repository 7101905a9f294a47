// A fake sithsd for the unit tests: a WebSocket class (the browser's interface) whose peer is a
// scripted daemon in the same process. Tests decide per connection whether it opens, and per
// method what the daemon answers.

export class FakeDaemon {
  constructor() {
    this.sockets = [];          // every socket the client made, in order
    this.handlers = {};         // method -> (params, message, socket) => {result} | {error} | undefined (no answer yet)
    this.refuseNext = 0;        // this many next connections fail like a closed port
    this.silent = false;        // connections neither open nor fail (handshake hangs)
    this.received = [];         // every message the daemon got
    const daemon = this;
    this.WebSocket = class FakeWebSocket {
      constructor(url, protocols) {
        this.url = url;
        this.protocols = protocols;
        this.readyState = 0;
        this.listeners = {};
        daemon.sockets.push(this);
        queueMicrotask(() => daemon.onConnect(this));
      }
      addEventListener(type, listener) {
        (this.listeners[type] ??= []).push(listener);
      }
      dispatch(type, event = {}) {
        for (const listener of this.listeners[type] ?? []) listener(event);
      }
      send(text) {
        if (this.readyState !== 1) throw new Error("send on a socket that is not open");
        const message = JSON.parse(text);
        daemon.received.push(message);
        daemon.onMessage(this, message);
      }
      close(code = 1000) {
        if (this.readyState === 3) return;
        this.readyState = 3;
        queueMicrotask(() => this.dispatch("close", { code }));
      }
    };
  }

  onConnect(socket) {
    if (this.silent) return;
    if (this.refuseNext > 0) {
      this.refuseNext--;
      socket.readyState = 3;
      socket.dispatch("error");
      socket.dispatch("close", { code: 1006 });
      return;
    }
    socket.readyState = 1;
    socket.dispatch("open");
  }

  onMessage(socket, message) {
    const handler = this.handlers[message.method];
    if (!handler) {
      this.reply(socket, { id: message.id, error: { code: -32601, message: "no such method", data: { reason: "METHOD_NOT_FOUND" } } });
      return;
    }
    const answer = handler(message.params, message, socket);
    if (answer !== undefined) queueMicrotask(() => this.reply(socket, { id: message.id, ...answer }));
  }

  reply(socket, body) {
    socket.dispatch("message", { data: JSON.stringify({ jsonrpc: "2.0", ...body }) });
  }

  notify(method, params) {
    this.reply(this.last, { method, params });
  }

  /** The connection drops (daemon stopped). */
  drop(code = 1006) {
    const socket = this.last;
    socket.readyState = 3;
    socket.dispatch("close", { code });
  }

  get last() {
    return this.sockets[this.sockets.length - 1];
  }
}

export const neverBlocked = async () => null;
export const unreachable = async () => false;

/** Resolves when condition() is true; fails after a deadline. */
export async function until(condition, what, deadlineMs = 2000) {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
