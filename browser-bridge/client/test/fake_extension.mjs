// A fake window with a fake sithsd extension in it: the page's postMessage reaches the "content
// script", which answers as the real one does (pong, sithsd:message, sithsd:closed) from scripted
// handlers. Messages from elsewhere (another frame) can be posted with another source.

export class FakeWindow {
  constructor({ extension = true, origin = "https://portal.example.se" } = {}) {
    this.location = { origin };
    this.extension = extension;
    this.listeners = new Set();
    this.handlers = {};      // method -> (params, message) => {result} | {error} | undefined (no answer yet)
    this.requests = [];      // every request the extension got
    this.targets = [];       // the targetOrigin of every postMessage by the page
    this.openAnswer = { result: { protocol: "sithsd/1" } };  // to the hello that opens a connection
    this.opened = 0;
  }

  addEventListener(type, listener) {
    if (type === "message") this.listeners.add(listener);
  }

  removeEventListener(type, listener) {
    if (type === "message") this.listeners.delete(listener);
  }

  postMessage(data, targetOrigin) {
    this.targets.push(targetOrigin);
    this.deliver(data, this);
    if (this.extension) queueMicrotask(() => this.contentScript(data));
  }

  deliver(data, source) {
    queueMicrotask(() => {
      for (const listener of [...this.listeners]) listener({ source, data });
    });
  }

  // --- what the extension does ---
  contentScript(data) {
    if (data?.type === "sithsd:ping") this.deliver({ type: "sithsd:pong", version: "0.1.0" }, this);
    if (data?.type !== "sithsd:request") return;
    const message = data.message;
    if (message.id === "sithsd-open") {
      this.opened++;
      this.answer(message.id, this.openAnswer);
      return;
    }
    this.requests.push(message);
    const handler = this.handlers[message.method];
    const answer = handler ? handler(message.params, message)
      : { error: { code: -32601, message: "no such method", data: { reason: "METHOD_NOT_FOUND" } } };
    if (answer !== undefined) this.answer(message.id, answer);
  }

  answer(id, body) {
    this.deliver({ type: "sithsd:message", message: { jsonrpc: "2.0", id, ...body } }, this);
  }

  notify(method, params) {
    this.deliver({ type: "sithsd:message", message: { jsonrpc: "2.0", method, params } }, this);
  }

  closeConnection() {
    this.deliver({ type: "sithsd:closed" }, this);
  }
}
