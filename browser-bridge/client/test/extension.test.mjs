// @sithsd/client through the extension (a fake window and content script) and the choice between
// the extension and the WebSocket (node --test).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as sithsd from "../dist/index.js";
import { FakeDaemon, neverBlocked, unreachable, until } from "./fake_daemon.mjs";
import { FakeWindow } from "./fake_extension.mjs";

function options(win, daemon = new FakeDaemon(), extra = {}) {
  return { window: win, WebSocket: daemon.WebSocket, probeBlocked: neverBlocked, probeReachable: unreachable,
    extensionProbeMs: 50, ...extra };
}

describe("transport choice", () => {
  test("the extension when it answers: no WebSocket is opened", async () => {
    const win = new FakeWindow();
    const daemon = new FakeDaemon();
    win.handlers.hello = () => ({ result: { protocol: "sithsd/1", version: "0.1.0", origin: "https://portal.example.se" } });
    const client = await sithsd.connect(options(win, daemon));
    assert.equal(client.transport, "extension");
    assert.equal((await client.hello()).protocol, "sithsd/1");
    assert.deepEqual(win.requests[0], { jsonrpc: "2.0", id: 1, method: "hello" });
    assert.equal(daemon.sockets.length, 0);
    assert.ok(win.targets.every((t) => t === "https://portal.example.se"), "postMessage names the page's own origin");
    client.close();
  });

  test("the WebSocket when no extension answers", async () => {
    const win = new FakeWindow({ extension: false });
    const daemon = new FakeDaemon();
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(win, daemon));
    assert.equal(client.transport, "websocket");
    assert.equal((await client.hello()).protocol, "sithsd/1");
    assert.equal(daemon.sockets.length, 1);
    client.close();
  });

  test("transport websocket never asks the extension; extension without one is NOT_RUNNING", async () => {
    const win = new FakeWindow();
    const client = await sithsd.connect(options(win, new FakeDaemon(), { transport: "websocket" }));
    assert.equal(client.transport, "websocket");
    assert.equal(win.targets.length, 0);
    client.close();
    const none = new FakeWindow({ extension: false });
    await assert.rejects(sithsd.connect(options(none, new FakeDaemon(), { transport: "extension" })),
      (e) => e instanceof sithsd.NotRunningError);
  });
});

describe("through the extension", () => {
  test("events arrive as on the WebSocket", async () => {
    const win = new FakeWindow();
    const client = await sithsd.connect(options(win));
    const seen = [];
    client.on("cardsChanged", (e) => seen.push(["cards", e.cards.length]));
    client.on("certificateExpiring", (e) => seen.push(["expiring", e.daysLeft]));
    win.notify("cardsChanged", { cards: [{ cardId: "a" }, { cardId: "b" }] });
    win.notify("certificateExpiring", { certificateId: "x", notAfter: "2027-01-01T00:00:00Z", daysLeft: 7 });
    await until(() => seen.length === 2, "two events");
    assert.deepEqual(seen, [["cards", 2], ["expiring", 7]]);
    client.close();
  });

  test("sithsd not running: connecting fails with NotRunningError, as do calls later", async () => {
    const win = new FakeWindow();
    const notRunning = { error: { code: -32000, message: "sithsd is not running: nothing listens",
      data: { reason: "NOT_RUNNING" } } };
    win.openAnswer = notRunning;
    await assert.rejects(sithsd.connect(options(win)),
      (e) => e instanceof sithsd.NotRunningError && e.retryable && /not running/.test(e.message));
    win.openAnswer = { result: {} };
    win.handlers.hello = () => notRunning;
    const client = await sithsd.connect(options(win));
    await assert.rejects(client.hello(), (e) => e instanceof sithsd.NotRunningError);
    client.close();
  });

  test("an origin sithsd refuses: connecting fails with OriginDeniedError", async () => {
    const win = new FakeWindow();
    win.openAnswer = { error: { code: 1001, message: "origin denied", data: { reason: "ORIGIN_DENIED" } } };
    await assert.rejects(sithsd.connect(options(win)), (e) => e instanceof sithsd.OriginDeniedError);
  });

  test("messages from another window are ignored", async () => {
    const win = new FakeWindow();
    win.handlers.listCards = () => undefined;  // answered below
    const client = await sithsd.connect(options(win, new FakeDaemon(), { callTimeoutMs: 200 }));
    const cards = client.listCards();
    await until(() => win.requests.length === 1, "the request");
    const frame = {};
    win.deliver({ type: "sithsd:message", message: { jsonrpc: "2.0", id: 1, result: ["forged"] } }, frame);
    win.answer(1, { result: [{ cardId: "real" }] });
    assert.deepEqual(await cards, [{ cardId: "real" }]);
    client.close();
  });

  test("a closed connection fails pending calls and the client reconnects through the extension", async () => {
    const win = new FakeWindow();
    win.handlers.authenticate = () => undefined;  // the person is still at the prompt
    win.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(win, new FakeDaemon(), { reconnect: { initialDelayMs: 5 } }));
    const reconnected = new Promise((resolve) => client.on("connected", resolve));
    const pending = client.authenticate({ challengeNonce: "A".repeat(44) });
    await until(() => win.requests.length === 1, "the request");
    win.closeConnection();
    await assert.rejects(pending, (e) => e instanceof sithsd.ConnectionLostError);
    assert.deepEqual(await reconnected, { reconnected: true });
    assert.equal(client.transport, "extension");
    assert.equal(win.opened, 2, "the reconnection opened with a hello again");
    assert.equal((await client.hello()).protocol, "sithsd/1");
    client.close();
  });

  test("cancel goes through the extension with the pending request's id", async () => {
    const win = new FakeWindow();
    win.handlers.authenticate = () => undefined;
    win.handlers.cancel = (params) => {
      win.answer(params.id, { error: { code: 1002, message: "cancelled", data: { reason: "USER_CANCELLED" } } });
      return { result: { cancelled: true } };
    };
    const client = await sithsd.connect(options(win));
    const pending = client.authenticate({ challengeNonce: "A".repeat(44) });
    await until(() => win.requests.length === 1, "the request");
    assert.equal(await client.cancel(), 1);
    await assert.rejects(pending, (e) => e instanceof sithsd.UserCancelledError);
    assert.deepEqual(win.requests[1].params, { id: 1 });
    client.close();
  });
});
