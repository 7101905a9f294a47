// The second attack (issue 23) on the extension in real headless Chromium: a page full of frames
// of an origin without consent cannot lock an allowed portal out of the extension's way in (the
// native host's budgets, one channel per frame, opened when the page first asks), and a sandboxed
// document (an opaque origin) served from an allowed portal's origin is nobody: no channel, no
// prompt, no audit line, and its client finds no extension. The pages of https origins are
// served by the test itself (Playwright fulfils the requests), so the browser, and the extension
// with it, sees those origins.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { DEADLINE_MS, Stack, until } from "./harness.mjs";

const CLIENT_DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "client", "dist");
const FRAMES = 40;
const FRAME_ORIGIN = "https://ramar.example.se";
const UPLOADS = "https://portal.example.se";  // an allowed portal that also serves what people upload
const QUIET_MS = 2500;  // how long "nothing comes" is waited for: well over the round trip through host and daemon

// Each frame asks as both kinds of page do: @sithsd/client's hello and Web eID's status; it tells
// the top page what it got.
const FRAME_PAGE = `<!doctype html><title>ram</title><script>
const got = {};
addEventListener("message", (e) => {
  if (e.source !== window) return;
  const d = e.data;
  if (d?.type === "sithsd:message" && d.message.id === 1) got.hello = d.message.error ? d.message.error.data.reason : "ok";
  if (d?.action === "web-eid:status-success") got.webeid = "ok";
  if (d?.action === "web-eid:status-failure") got.webeid = d.error.code;
  if (got.hello && got.webeid) parent.postMessage({ frame: location.search, ...got }, "*");
});
postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id: 1, method: "hello" } }, "*");
postMessage({ action: "web-eid:status", libraryVersion: "2.1.0" }, "*");
</script>`;

const TOP_PAGE = `<!doctype html><title>Många ramar</title><script>
window.results = [];
addEventListener("message", (e) => { if (e.data?.frame) window.results.push(e.data); });
</script>${Array.from({ length: FRAMES }, (_, i) => `<iframe src="${FRAME_ORIGIN}/ram?${i}"></iframe>`).join("")}`;

const html = (body, headers = {}) => ({ status: 200, contentType: "text/html; charset=utf-8", headers, body });

describe("hostile pages and the extension", () => {
  let stack;
  before(async () => {
    stack = await Stack.start("hostile", { allowedOrigins: [UPLOADS] });
  });
  after(async () => { await stack?.close(); });

  test(`${FRAMES} frames of an origin without consent, then the allowed portal's login in another tab`, async () => {
    const browser = await stack.launchWithExtension();
    await browser.route(`${FRAME_ORIGIN}/**`, (route) => route.fulfill(html(FRAME_PAGE)));
    await browser.route("https://angripare.example.se/**", (route) => route.fulfill(html(TOP_PAGE)));
    const before = stack.prompts().length;
    const attacker = await browser.newPage();
    await attacker.goto("https://angripare.example.se/");
    const results = await until(async () => {
      const r = await attacker.evaluate(() => window.results);
      return r.length === FRAMES && r;
    }, `all ${FRAMES} frames to be answered`, 2 * DEADLINE_MS);  // 40 pages' worth of work on a busy machine
    // One channel per frame, shared by its two content scripts: 32 frames (the budget of origins
    // without consent) are served, the others hear BUSY; nobody was asked anything.
    const served = results.filter((r) => r.hello === "ok");
    assert.equal(served.length, 32, JSON.stringify(results));
    assert.ok(served.every((r) => r.webeid === "ok"), "a served frame's Web eID status uses the same channel");
    assert.ok(results.filter((r) => r.hello !== "ok").every((r) => r.hello === "BUSY"), JSON.stringify(results));
    assert.equal(stack.prompts().length, before);

    // The allowed portal, in another tab while the frames still hold their channels, logs in.
    const page = await stack.page("/", browser);
    await page.locator("#cards", { hasText: "Kort i läsaren: Tolvan Tolvansson" }).waitFor();
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Tolvan Tolvansson/);
    await browser.close();
  });

  test("a sandboxed document of an allowed origin is nobody: no channel, no prompt, no audit line", async () => {
    const browser = await stack.launchWithExtension();
    await browser.route(`${UPLOADS}/**`, (route) => {
      const url = new URL(route.request().url());
      if (url.pathname.startsWith("/client/")) {  // @sithsd/client, for the sandboxed page's import
        return route.fulfill({ path: join(CLIENT_DIST, url.pathname.slice("/client/".length)),
          contentType: "text/javascript", headers: { "access-control-allow-origin": "*" } });
      }
      const sandboxed = url.pathname === "/uppladdat";
      return route.fulfill(html("<!doctype html><title>Fil</title><p>En uppladdad fil</p>",
        sandboxed ? { "content-security-policy": "sandbox allow-scripts" } : {}));
    });
    const audit = join(stack.dir, "state", "audit.jsonl");
    const auditLines = () => (existsSync(audit) ? readFileSync(audit, "utf8").split("\n").filter(Boolean).length : 0);

    // What a page of this origin may do, and how long it waits for each thing.
    const probe = (page) => page.evaluate(async ({ quiet }) => {
      const first = (test, ms) => new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), ms);
        addEventListener("message", (e) => {
          if (e.source === window && test(e.data)) {
            clearTimeout(timer);
            resolve(e.data);
          }
        });
      });
      const pong = first((d) => d?.type === "sithsd:pong", quiet);
      postMessage({ type: "sithsd:ping" }, "*");
      const hello = first((d) => d?.type === "sithsd:message" && d.message.id === 7, quiet);
      postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id: 7, method: "hello" } }, "*");
      const login = first((d) => d?.type === "sithsd:message" && d.message.id === 8, quiet);
      postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id: 8, method: "authenticate",
        params: { challengeNonce: "A".repeat(43) + "=", require: "hsaId" } } }, "*");
      const ack = first((d) => d?.action === "web-eid:status-ack", quiet);
      postMessage({ action: "web-eid:status", libraryVersion: "2.1.0" }, "*");
      const { SithsdClient } = await import("/client/index.js");
      const client = await new SithsdClient({ transport: "extension", reconnect: false }).open()
        .then(() => "open", (e) => e.reason);
      return { origin: window.origin, pong: !!(await pong), hello: (await hello)?.message ?? null,
        login: (await login)?.message ?? null, ack: !!(await ack), client };
    }, { quiet: QUIET_MS });

    // A plain page of the origin is served (the test's pages and the extension work there)…
    const plain = await browser.newPage();
    await plain.goto(`${UPLOADS}/vanlig`);
    const promptsAtFirst = stack.prompts().length;
    stack.answers("cancel");  // its login: the person cancels
    const seen = await probe(plain);
    assert.equal(seen.origin, UPLOADS);
    assert.ok(seen.pong && seen.ack);
    assert.equal(seen.hello.result.origin, UPLOADS);
    assert.equal(seen.login.error.data.reason, "USER_CANCELLED");
    assert.ok(stack.prompts()[promptsAtFirst].setdesc.includes(UPLOADS));
    assert.equal(seen.client, "open");
    await plain.close();

    // …the same origin's sandboxed document is not.
    writeFileSync(stack.script, "");
    const promptsBefore = stack.prompts().length;
    const auditBefore = auditLines();
    stack.answers("pin 123456");  // what the person would type, were they asked
    const sandboxed = await browser.newPage();
    await sandboxed.goto(`${UPLOADS}/uppladdat`);
    const got = await probe(sandboxed);
    assert.equal(got.origin, "null", "the document's origin is opaque");
    assert.deepEqual({ pong: got.pong, hello: got.hello, login: got.login, ack: got.ack },
      { pong: false, hello: null, login: null, ack: false });
    assert.equal(got.client, "NOT_RUNNING", "the page's client finds no extension");
    assert.equal(stack.prompts().length, promptsBefore, "no prompt");
    assert.equal(auditLines(), auditBefore, "no audit line");
    writeFileSync(stack.script, "");
    await browser.close();
  });
});
