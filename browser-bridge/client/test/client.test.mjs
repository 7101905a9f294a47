// Unit tests of @sithsd/client against a fake daemon (node --test).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as sithsd from "../dist/index.js";
import { FakeDaemon, neverBlocked, unreachable, until } from "./fake_daemon.mjs";

const NONCE = "A".repeat(44);

function options(daemon, extra = {}) {
  return { WebSocket: daemon.WebSocket, probeBlocked: neverBlocked, probeReachable: unreachable, ...extra };
}

describe("calls", () => {
  test("hello: the URL, the subprotocol and the JSON-RPC request", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1", version: "0.1.0", origin: "http://127.0.0.1:8080" } });
    const client = await sithsd.connect(options(daemon));
    const hello = await client.hello();
    assert.equal(hello.protocol, "sithsd/1");
    assert.equal(daemon.last.url, "ws://127.0.0.1:24891/v1");
    assert.equal(daemon.last.protocols, "sithsd.v1");
    assert.deepEqual(daemon.received[0], { jsonrpc: "2.0", id: 1, method: "hello" });
    client.close();
  });

  test("port and url options", async () => {
    const daemon = new FakeDaemon();
    const a = await sithsd.connect(options(daemon, { port: 30000 }));
    assert.equal(daemon.last.url, "ws://127.0.0.1:30000/v1");
    const b = await sithsd.connect(options(daemon, { url: "ws://[::1]:30001/v1" }));
    assert.equal(daemon.last.url, "ws://[::1]:30001/v1");
    a.close();
    b.close();
  });

  test("listCards and listCertificates pass their params and return the result", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.listCards = () => ({ result: [{ cardId: "c-1" }] });
    daemon.handlers.listCertificates = (params) => ({ result: [{ certificateId: "x", echo: params }] });
    const client = await sithsd.connect(options(daemon));
    assert.deepEqual(await client.listCards(), [{ cardId: "c-1" }]);
    const certs = await client.listCertificates({ purpose: "identification", require: "hsaId" });
    assert.deepEqual(certs[0].echo, { purpose: "identification", require: "hsaId" });
    client.close();
  });

  test("authenticate sends the nonce but not the call options", async () => {
    const daemon = new FakeDaemon();
    const token = { format: "web-eid:1.0", algorithm: "RS256", unverifiedCertificate: "MII", signature: "c2ln", appVersion: "x" };
    daemon.handlers.authenticate = () => ({ result: token });
    const client = await sithsd.connect(options(daemon));
    const controller = new AbortController();
    assert.deepEqual(await client.authenticate({ challengeNonce: NONCE, require: "hsaId", timeoutMs: 5000, signal: controller.signal }), token);
    assert.deepEqual(daemon.received.at(-1).params, { challengeNonce: NONCE, require: "hsaId" });
    client.close();
  });

  test("sign encodes data and hash as base64", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.sign = (params) => ({ result: { cms: "MIIC", certificate: "MII", echo: params } });
    const client = await sithsd.connect(options(daemon));
    const data = new TextEncoder().encode("order VMU3000096 åäö");
    const r = await client.sign({ displayText: "Attest", data, format: "cms" });
    assert.equal(r.echo.data, Buffer.from(data).toString("base64"));
    assert.equal(r.echo.format, "cms");
    const hash = new Uint8Array(32).fill(7);
    const r2 = await client.sign({ displayText: "Attest", hash: hash.buffer, hashAlgorithm: "SHA-256", format: "raw" });
    assert.equal(r2.echo.hash, Buffer.from(hash).toString("base64"));
    assert.equal(r2.echo.hashAlgorithm, "SHA-256");
    assert.equal(r2.echo.data, undefined);
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const r3 = await client.sign({ displayText: "Attest", data: big, format: "cms" });
    assert.equal(r3.echo.data, Buffer.from(big).toString("base64"));
    const r4 = await client.sign({ displayText: "Attest", data: { base64: "AAEC" }, format: "cms" });
    assert.equal(r4.echo.data, "AAEC");
    client.close();
  });

  test("late answers and non-JSON frames are ignored", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(daemon));
    daemon.reply(daemon.last, { id: 999, result: {} });
    daemon.last.dispatch("message", { data: "not json" });
    assert.equal((await client.hello()).protocol, "sithsd/1");
    client.close();
  });
});

describe("errors", () => {
  const table = [
    [1001, "ORIGIN_DENIED", sithsd.OriginDeniedError, false],
    [1002, "USER_CANCELLED", sithsd.UserCancelledError, true],
    [1003, "NO_CARD", sithsd.NoCardError, true],
    [1004, "CARD_REMOVED", sithsd.CardRemovedError, true],
    [1005, "CERTIFICATE_NOT_FOUND", sithsd.CertificateNotFoundError, false],
    [1006, "CERTIFICATE_SELECTION_REQUIRED", sithsd.CertificateSelectionRequiredError, true],
    [1007, "PIN_INCORRECT", sithsd.PinIncorrectError, true],
    [1008, "PIN_BLOCKED", sithsd.PinBlockedError, false],
    [1009, "PROMPT_UNAVAILABLE", sithsd.PromptUnavailableError, false],
    [1010, "BUSY", sithsd.BusyError, true],
    [1011, "TIMEOUT", sithsd.PromptTimeoutError, true],
    [1012, "TOKEN_ERROR", sithsd.TokenError, true],
    [1013, "CERTIFICATE_EXPIRED", sithsd.CertificateExpiredError, false],
    [1014, "LOCAL_ONLY", sithsd.LocalOnlyError, false],
    [1015, "RATE_LIMITED", sithsd.RateLimitedError, true],
    [1016, "SHUTTING_DOWN", sithsd.ShuttingDownError, true],
  ];

  test("one class per reason of PROTOCOL.md", async () => {
    const daemon = new FakeDaemon();
    let current;
    daemon.handlers.authenticate = () => ({ error: { code: current[0], message: "m", data: { reason: current[1] } } });
    const client = await sithsd.connect(options(daemon));
    for (const row of table) {
      current = row;
      const [code, reason, cls, retryable] = row;
      await assert.rejects(client.authenticate({ challengeNonce: NONCE }), (e) => {
        assert.ok(e instanceof cls, `${reason}: ${e.name}`);
        assert.ok(e instanceof sithsd.SithsdError);
        assert.equal(e.reason, reason);
        assert.equal(e.code, code);
        assert.equal(e.retryable, retryable);
        assert.equal(e.name, cls.name);
        assert.ok(e.advice.length > 10);
        return true;
      });
    }
    assert.equal(new Set(table.map((r) => r[2])).size, table.length);
    client.close();
  });

  test("data: candidates, pinStatus, ckr, field", async () => {
    const daemon = new FakeDaemon();
    const answers = [
      { code: 1006, message: "m", data: { reason: "CERTIFICATE_SELECTION_REQUIRED", candidates: [{ certificateId: "a" }, { certificateId: "b" }] } },
      { code: 1007, message: "m", data: { reason: "PIN_INCORRECT", pinStatus: "finalTry" } },
      { code: 1012, message: "m", data: { reason: "TOKEN_ERROR", ckr: "CKR_DEVICE_ERROR" } },
      { code: -32602, message: "m", data: { field: "challengeNonce" } },
      { code: -32601, message: "m" },
    ];
    daemon.handlers.authenticate = () => ({ error: answers.shift() });
    const client = await sithsd.connect(options(daemon));
    const run = () => client.authenticate({ challengeNonce: NONCE }).catch((e) => e);
    const sel = await run();
    assert.deepEqual(sel.candidates.map((c) => c.certificateId), ["a", "b"]);
    assert.equal((await run()).pinStatus, "finalTry");
    assert.equal((await run()).ckr, "CKR_DEVICE_ERROR");
    const invalid = await run();
    assert.ok(invalid instanceof sithsd.ProtocolError);
    assert.equal(invalid.reason, "INVALID_PARAMS");
    assert.equal(invalid.field, "challengeNonce");
    const missing = await run();
    assert.ok(missing instanceof sithsd.ProtocolError);
    assert.equal(missing.reason, "METHOD_NOT_FOUND");
    client.close();
  });
});

describe("timeouts and cancel", () => {
  test("a per-call timeout rejects and cancels the card operation in the daemon", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.authenticate = () => undefined;  // the person never answers
    daemon.handlers.cancel = () => ({ result: { cancelled: true } });
    const client = await sithsd.connect(options(daemon));
    await assert.rejects(client.authenticate({ challengeNonce: NONCE, timeoutMs: 20 }), (e) => {
      assert.ok(e instanceof sithsd.CallTimeoutError);
      assert.equal(e.reason, "CALL_TIMEOUT");
      return true;
    });
    const cancel = daemon.received.find((m) => m.method === "cancel");
    assert.deepEqual(cancel.params, { id: daemon.received.find((m) => m.method === "authenticate").id });
    client.close();
  });

  test("a timeout of a listing sends no cancel; the default timeout option applies", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.listCards = () => undefined;
    const client = await sithsd.connect(options(daemon, { callTimeoutMs: 15 }));
    await assert.rejects(client.listCards(), sithsd.CallTimeoutError);
    assert.equal(daemon.received.filter((m) => m.method === "cancel").length, 0);
    client.close();
  });

  test("an AbortSignal cancels the prompt", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.sign = () => undefined;
    daemon.handlers.cancel = () => ({ result: { cancelled: true } });
    const client = await sithsd.connect(options(daemon));
    const controller = new AbortController();
    const pending = client.sign({ displayText: "x", data: new Uint8Array([1]), format: "cms", signal: controller.signal });
    await until(() => daemon.received.some((m) => m.method === "sign"), "sign sent");
    controller.abort();
    await assert.rejects(pending, sithsd.UserCancelledError);
    assert.equal(daemon.received.at(-1).method, "cancel");
    await assert.rejects(client.sign({ displayText: "x", data: new Uint8Array([1]), format: "cms", signal: controller.signal }),
      sithsd.UserCancelledError);
    client.close();
  });

  test("cancel() cancels every pending card operation", async () => {
    const daemon = new FakeDaemon();
    const held = new Map();
    daemon.handlers.authenticate = (params, message, socket) => { held.set(message.id, socket); return undefined; };
    daemon.handlers.listCards = () => ({ result: [] });
    daemon.handlers.cancel = ({ id }) => {
      const socket = held.get(id);
      held.delete(id);
      queueMicrotask(() => daemon.reply(socket, { id, error: { code: 1002, message: "cancelled", data: { reason: "USER_CANCELLED" } } }));
      return { result: { cancelled: socket !== undefined } };
    };
    const client = await sithsd.connect(options(daemon));
    const a = client.authenticate({ challengeNonce: NONCE });
    const b = client.authenticate({ challengeNonce: NONCE });
    await until(() => held.size === 2, "two requests");
    assert.equal(await client.cancel(), 2);
    await assert.rejects(a, sithsd.UserCancelledError);
    await assert.rejects(b, sithsd.UserCancelledError);
    assert.equal(await client.cancel(), 0);
    assert.deepEqual(await client.listCards(), []);
    client.close();
  });
});

describe("connection failures", () => {
  test("nothing listens: NotRunningError with advice", async () => {
    const daemon = new FakeDaemon();
    daemon.refuseNext = 1;
    let probedHttp;
    await assert.rejects(sithsd.connect(options(daemon, { probeReachable: async (u) => { probedHttp = u; return false; } })), (e) => {
      assert.ok(e instanceof sithsd.NotRunningError);
      assert.equal(e.reason, "NOT_RUNNING");
      assert.match(e.advice, /Start sithsd/);
      return true;
    });
    assert.equal(probedHttp, "http://127.0.0.1:24891/v1");
  });

  test("the browser denied Local Network Access: ConnectionBlockedError", async () => {
    const daemon = new FakeDaemon();
    daemon.refuseNext = 1;
    await assert.rejects(sithsd.connect(options(daemon, { probeBlocked: async () => "denied" })), (e) => {
      assert.ok(e instanceof sithsd.ConnectionBlockedError);
      assert.equal(e.reason, "CONNECTION_BLOCKED");
      assert.equal(e.blockedBy, "local-network-access");
      assert.match(e.advice, /Local Network Access/);
      return true;
    });
  });

  test("the WebSocket constructor throws (SecurityError): blocked", async () => {
    class Throwing { constructor() { throw new Error("SecurityError"); } }
    await assert.rejects(sithsd.connect({ WebSocket: Throwing, probeBlocked: neverBlocked, probeReachable: unreachable }), (e) => {
      assert.ok(e instanceof sithsd.ConnectionBlockedError);
      assert.equal(e.blockedBy, "security");
      return true;
    });
  });

  test("a Content-Security-Policy violation for the URL: blocked by csp", async () => {
    const daemon = new FakeDaemon();
    daemon.refuseNext = 1;
    const listeners = [];
    globalThis.document = {
      addEventListener: (type, f) => { if (type === "securitypolicyviolation") listeners.push(f); },
      removeEventListener: () => {},
    };
    const realConnect = daemon.onConnect.bind(daemon);
    daemon.onConnect = (socket) => {
      for (const f of listeners) f({ blockedURI: "ws://127.0.0.1:24891/v1" });
      realConnect(socket);
    };
    try {
      await assert.rejects(sithsd.connect(options(daemon)), (e) => e instanceof sithsd.ConnectionBlockedError && e.blockedBy === "csp");
    } finally {
      delete globalThis.document;
    }
  });

  test("the daemon answers HTTP but refused the handshake: HandshakeRefusedError", async () => {
    const daemon = new FakeDaemon();
    daemon.refuseNext = 1;
    await assert.rejects(sithsd.connect(options(daemon, { probeReachable: async () => true })), (e) => {
      assert.ok(e instanceof sithsd.HandshakeRefusedError);
      assert.match(e.advice, /allowed_origins/);
      return true;
    });
  });

  test("a handshake that hangs while the browser asks for permission: blocked (prompt)", async () => {
    const daemon = new FakeDaemon();
    daemon.silent = true;
    await assert.rejects(sithsd.connect(options(daemon, { connectTimeoutMs: 20, probeBlocked: async () => "prompt" })),
      (e) => e instanceof sithsd.ConnectionBlockedError && e.blockedBy === "local-network-access-prompt");
    const hang = new FakeDaemon();
    hang.silent = true;
    await assert.rejects(sithsd.connect(options(hang, { connectTimeoutMs: 20 })), sithsd.NotRunningError);
  });

  test("first connect with several attempts backs off and then succeeds", async () => {
    const daemon = new FakeDaemon();
    daemon.refuseNext = 2;
    const started = Date.now();
    const client = await sithsd.connect(options(daemon, { attempts: 3, reconnect: { initialDelayMs: 20, maxDelayMs: 1000 } }));
    assert.ok(client.connected);
    assert.equal(daemon.sockets.length, 3);
    assert.ok(Date.now() - started >= 20 + 40 - 5, "waited 20 then 40 ms");
    client.close();
  });
});

describe("events and reconnection", () => {
  test("cardsChanged and certificateExpiring reach their listeners; unsubscribe works", async () => {
    const daemon = new FakeDaemon();
    const client = await sithsd.connect(options(daemon));
    const cards = [];
    const expiring = [];
    const off = client.on("cardsChanged", (e) => cards.push(e));
    client.on("certificateExpiring", (e) => expiring.push(e));
    client.on("cardsChanged", () => { throw new Error("a listener's bug"); });
    const uncaught = [];
    globalThis.reportError = (e) => uncaught.push(e);
    daemon.notify("cardsChanged", { cards: [{ cardId: "c-1" }] });
    daemon.notify("certificateExpiring", { certificateId: "x", notAfter: "2027-01-01T00:00:00Z", daysLeft: 20 });
    off();
    daemon.notify("cardsChanged", { cards: [] });
    delete globalThis.reportError;
    assert.equal(uncaught.length, 2, "the listener's error reported outside the client");
    assert.deepEqual(cards, [{ cards: [{ cardId: "c-1" }] }]);
    assert.deepEqual(expiring, [{ certificateId: "x", notAfter: "2027-01-01T00:00:00Z", daysLeft: 20 }]);
    client.close();
  });

  test("a lost connection fails pending calls, then reconnects with backoff", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.authenticate = () => undefined;
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(daemon, { reconnect: { initialDelayMs: 10, maxDelayMs: 40 } }));
    const events = [];
    client.on("disconnected", (e) => events.push(["disconnected", e.error.reason]));
    client.on("connected", (e) => events.push(["connected", e.reconnected]));
    const pending = client.authenticate({ challengeNonce: NONCE });
    await until(() => daemon.received.some((m) => m.method === "authenticate"), "authenticate sent");
    daemon.refuseNext = 2;  // the daemon is down for two attempts
    daemon.drop();
    await assert.rejects(pending, sithsd.ConnectionLostError);
    assert.equal(client.connected, false);
    await until(() => client.connected, "reconnected");
    assert.equal(daemon.sockets.length, 4);
    assert.deepEqual(events, [["disconnected", "CONNECTION_LOST"], ["connected", true]]);
    assert.equal((await client.hello()).protocol, "sithsd/1");
    client.close();
  });

  test("a call while disconnected connects at once instead of waiting for the backoff", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(daemon, { reconnect: { initialDelayMs: 60_000 } }));
    daemon.drop();
    assert.equal((await client.hello()).protocol, "sithsd/1");
    client.close();
  });

  test("a call that fails while sithsd is down does not stop the backoff", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.hello = () => ({ result: { protocol: "sithsd/1" } });
    const client = await sithsd.connect(options(daemon, { reconnect: { initialDelayMs: 10, maxDelayMs: 20 } }));
    daemon.refuseNext = 1000;
    daemon.drop();
    await assert.rejects(client.hello(), sithsd.NotRunningError);
    const attempts = daemon.sockets.length;
    await until(() => daemon.sockets.length >= attempts + 2, "the backoff trying again");
    daemon.refuseNext = 0;
    await until(() => client.connected, "reconnected once sithsd is back");
    client.close();
  });

  test("close() stops reconnecting and fails pending calls", async () => {
    const daemon = new FakeDaemon();
    daemon.handlers.sign = () => undefined;
    const client = await sithsd.connect(options(daemon, { reconnect: { initialDelayMs: 5 } }));
    const pending = client.sign({ displayText: "x", data: new Uint8Array([1]), format: "raw" });
    await until(() => daemon.received.length === 1, "sign sent");
    client.close();
    await assert.rejects(pending, sithsd.ConnectionLostError);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(daemon.sockets.length, 1);
  });

  test("no reconnection when reconnect is false", async () => {
    const daemon = new FakeDaemon();
    const client = await sithsd.connect(options(daemon, { reconnect: false }));
    const lost = new Promise((resolve) => client.on("disconnected", resolve));
    daemon.drop();
    await lost;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(daemon.sockets.length, 1);
    client.close();
  });
});
