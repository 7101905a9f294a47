// The sithsd extension in real headless Chromium: the demo portal logs in and attests through
// extension → sithsd-native-host → sithsd's Unix socket, with no WebSocket opened; a page that
// names another origin in its message is refused; an unknown https origin gets the consent prompt;
// the daemon stopped is "not running".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EXTENSION_ID, Stack } from "./harness.mjs";

describe("through the extension", () => {
  let stack;
  let context;
  before(async () => {
    stack = await Stack.start("extension");
    context = await stack.launchWithExtension();
  });
  after(async () => { await stack?.close(); });

  async function open(path, browser = context) {
    const page = await stack.page(path, browser);
    const sockets = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    return { page, sockets };
  }

  test("the extension has the fixed id of its key", () => {
    assert.ok(context.serviceWorkers().some((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)));
  });

  test("login through the extension, no WebSocket", async () => {
    const { page, sockets } = await open("/");
    await page.locator("#cards", { hasText: "Kort i läsaren: Tolvan Tolvansson" }).waitFor();
    const before = stack.prompts().length;
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const { text } = await stack.status(page, "done");
    assert.match(text, /Inloggad som Tolvan Tolvansson \(SE5560000001-P000000000001\)/);
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.ok(prompt.setdesc.includes(stack.origin), "the prompt names the page's origin");
    assert.deepEqual(sockets, []);
    await stack.screenshot(page, "extension-inloggad");
    await page.close();
  });

  test("attest (CMS signature) through the extension, no WebSocket", async () => {
    const { page, sockets } = await open("/attest");
    await page.locator("#cards[data-count='1']").waitFor();
    const order = page.locator(`li.order[data-order="VMU3000096"]`);
    const before = stack.prompts().length;
    stack.answers("pin 654321");
    await order.getByRole("button", { name: "Godkänn och signera" }).click();
    const { text } = await stack.status(page, "done");
    assert.match(text, /VMU3000096 attesterades av Tolvan Tolvansson \(SE5560000001-P000000000001\)/);
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, /PIN för underskrift/);
    assert.ok(prompt.setdesc.includes("Attest av beställning VMU3000096"), prompt.setdesc);
    assert.match(stack.portal.output, /attest VMU3000096: Tolvan Tolvansson/);
    assert.deepEqual(sockets, []);
    await page.close();
  });

  test("a page cannot claim another origin in its message", async () => {
    const { page } = await open("/");
    await page.locator("#cards", { hasText: "Kort i läsaren" }).waitFor();
    const answer = await page.evaluate(() => new Promise((resolve) => {
      window.addEventListener("message", (event) => {
        if (event.data?.type === "sithsd:message" && event.data.message.id === 99) resolve(event.data.message);
      });
      window.postMessage({ type: "sithsd:request", origin: "https://other.example.se",
        message: { jsonrpc: "2.0", id: 99, method: "authenticate",
          params: { challengeNonce: "A".repeat(44), origin: "https://other.example.se" } } }, "*");
    }));
    assert.equal(answer.error.code, -32602);
    assert.equal(answer.error.data.field, "origin");
    await page.close();
  });

  test("an unknown https origin: consent asked once through the extension, a denial answered", async () => {
    // The pages are served by the test (Playwright fulfils the requests), so the browser, and the
    // extension with it, sees real https origins that are on no allow list.
    const at = async (origin) => {
      const page = await context.newPage();
      await page.route(`${origin}/**`, (route) => route.fulfill({
        contentType: "text/html; charset=utf-8", body: "<!doctype html><title>Portal</title><p>Portal</p>" }));
      await page.goto(`${origin}/`);
      return page;
    };
    const ask = (page, id) => page.evaluate((id) => new Promise((resolve) => {
      window.addEventListener("message", (event) => {
        if (event.data?.type === "sithsd:message" && event.data.message.id === id) resolve(event.data.message);
      });
      window.postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id, method: "listCards" } }, "*");
    }), id);

    const before = stack.prompts().length;
    stack.answers("confirm yes");
    const allowed = await at("https://okand.example.se");
    assert.ok(Array.isArray((await ask(allowed, 1)).result));
    const consent = (await stack.waitPrompts(before + 1))[before];
    assert.equal(consent.request, "CONFIRM");
    assert.ok(consent.setdesc.includes("https://okand.example.se"), consent.setdesc);
    assert.ok(Array.isArray((await ask(allowed, 2)).result));
    assert.equal(stack.prompts().length, before + 1, "the choice is remembered");

    stack.answers("confirm no");
    const denied = await at("https://nekad.example.se");
    assert.equal((await ask(denied, 1)).error.data.reason, "ORIGIN_DENIED");
    assert.ok((await stack.waitPrompts(before + 2))[before + 1].setdesc.includes("https://nekad.example.se"));
    await allowed.close();
    await denied.close();
  });

  test("Local Network Access blocking loopback: the extension's way still works", async () => {
    // As in connection.test.mjs: the portal's address counts as public, so its WebSocket to
    // loopback would be blocked; native messaging is not a network connection.
    const browser = await stack.launchWithExtension([`--ip-address-space-overrides=127.0.0.1:${stack.portalPort}=public`]);
    const { page, sockets } = await open("/", browser);
    await page.locator("#cards", { hasText: "Kort i läsaren: Tolvan Tolvansson" }).waitFor();
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Tolvan Tolvansson/);
    assert.deepEqual(sockets, []);
    // …while a WebSocket from the same page is blocked.
    const viaWebSocket = await page.evaluate((url) => new Promise((resolve) => {
      const ws = new WebSocket(url, "sithsd.v1");
      ws.onopen = () => resolve("open");
      ws.onerror = () => resolve("blocked");
    }), `ws://127.0.0.1:${stack.daemonPort}/v1`);
    assert.equal(viaWebSocket, "blocked");
    await browser.close();
  });

  test("sithsd stopped: the page is told it is not running", async () => {
    await stack.stopDaemon();
    try {
      const { page, sockets } = await open("/");
      await page.locator("#cards", { hasText: "Ingen kontakt med SITHS-tjänsten" }).waitFor();
      stack.answers("pin 123456");
      await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
      const { reason } = await stack.status(page, "error");
      assert.equal(reason, "NOT_RUNNING");
      assert.deepEqual(sockets, []);
      await page.close();
    } finally {
      stack.startDaemon();
      await stack.daemonReady();
    }
  });
});
