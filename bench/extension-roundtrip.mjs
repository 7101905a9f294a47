// Round trips as a page sees them, in one headless Chromium with the sithsd extension loaded:
// hello and a cached authenticate (the card already logged in, no prompt) through
// page → extension → sithsd-native-host → Unix socket, against the same over the WebSocket.
// Environment as for the browser tests (tests/browser/CMakeLists.txt). Prints median and p95.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Stack } from "../browser-bridge/tests/harness.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 300);
const EXTENSION = process.env.SITHSD_EXTENSION;
const EXTENSION_ID = "dhcgobcphckpalnkldnainiihecbaibm";

const stack = await Stack.start("bench-extension");
try {
  // A cached login: the daemon keeps the card logged in after the first authenticate.
  // No rate limit (0): the bench sends more than a person would.
  appendFileSync(stack.config, "identification_pin_cache_seconds = 600\nrate_limit_per_minute = 0\n");
  await stack.stopDaemon();
  stack.startDaemon();
  await stack.daemonReady();
  const context = await stack.launchBrowser([`--disable-extensions-except=${EXTENSION}`, `--load-extension=${EXTENSION}`], {
    setup: (profile) => {
      mkdirSync(join(profile, "NativeMessagingHosts"));
      writeFileSync(join(profile, "NativeMessagingHosts", "se.sithsd.native_host.json"), JSON.stringify({
        name: "se.sithsd.native_host", description: "sithsd", path: process.env.SITHSD_NATIVE_HOST, type: "stdio",
        allowed_origins: [`chrome-extension://${EXTENSION_ID}/`] }));
    },
    env: { SITHSD_SOCKET: stack.socketPath },
  });
  const page = await stack.page("/", context);
  await page.locator("#cards", { hasText: "Kort i läsaren" }).waitFor();
  stack.answers("pin 123456");  // the first authenticate logs in; the rest are cached
  const figures = await page.evaluate(async ({ rounds, wsUrl }) => {
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    let nextId = 1_000_000;  // far from the demo client's own ids on the same channel
    const viaExtension = (method, params) => new Promise((resolve) => {
      const id = nextId++;
      const on = (e) => {
        if (e.source !== window || e.data?.type !== "sithsd:message" || e.data.message.id !== id) return;
        window.removeEventListener("message", on);
        resolve(e.data.message);
      };
      window.addEventListener("message", on);
      window.postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id, method, params } }, location.origin);
    });
    const ws = new WebSocket(wsUrl, "sithsd.v1");
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    const waiting = new Map();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    };
    const viaWebSocket = (method, params) => new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
    const time = async (call, method, params) => {
      const first = await call(method, params);  // warm-up (and the login for authenticate)
      if (first.error) throw new Error(`${method}: ${JSON.stringify(first.error)}`);
      const ms = [];
      for (let i = 0; i < rounds; i++) {
        const t = performance.now();
        const answer = await call(method, params);
        ms.push(performance.now() - t);
        if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
      }
      ms.sort((a, b) => a - b);
      return { median: ms[Math.floor(rounds / 2)], p95: ms[Math.floor(rounds * 0.95)] };
    };
    const auth = { challengeNonce: nonce, require: "hsaId" };
    return {
      "hello, extension": await time(viaExtension, "hello"),
      "hello, WebSocket": await time(viaWebSocket, "hello"),
      "authenticate (cached), extension": await time(viaExtension, "authenticate", auth),
      "authenticate (cached), WebSocket": await time(viaWebSocket, "authenticate", auth),
    };
  }, { rounds: ROUNDS, wsUrl: `ws://127.0.0.1:${stack.daemonPort}/v1` });
  console.log(`round trips seen by a page, ${ROUNDS} each (ms):`);
  for (const [what, { median, p95 }] of Object.entries(figures))
    console.log(`  ${what.padEnd(36)} median ${median.toFixed(2).padStart(7)}   p95 ${p95.toFixed(2).padStart(7)}`);
} finally {
  await stack.close();
}
