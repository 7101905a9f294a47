// The two failures before any card: sithsd not running, and the browser blocking the page's
// connection to the loopback WebSocket. Each has its own Swedish message and reason.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack, freePort } from "./harness.mjs";

describe("connection to sithsd", () => {
  let stack;
  before(async () => { stack = await Stack.start("connection"); });
  after(async () => { await stack?.close(); });

  test("the browser blocks the connection (Local Network Access): told apart from a stopped sithsd", async () => {
    // Chromium treats the portal's address as public: a public page opening a WebSocket to
    // loopback is what Local Network Access guards (Chrome 147+ for WebSockets). The headless
    // browser has nobody to ask, so the permission is denied, as a person or a policy would.
    const browser = await stack.launchBrowser([`--ip-address-space-overrides=127.0.0.1:${stack.portalPort}=public`]);
    const page = await stack.page("/", browser);
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const blocked = await stack.status(page, "error");
    assert.equal(blocked.reason, "CONNECTION_BLOCKED");
    assert.match(blocked.text, /Webbläsaren blockerade kontakten med SITHS-tjänsten/);
    assert.equal(await page.evaluate(async () => (await navigator.permissions.query({ name: "loopback-network" })).state), "denied");
    await stack.screenshot(page, "anslutning-blockerad-av-webblasaren");
    await browser.close();
  });

  test("sithsd refuses a page whose origin is not allowed: told apart from both", async () => {
    // A second portal on another port: its origin is missing from allowed_origins, so sithsd
    // answers the handshake with 403 (a route-fulfilled page would not do: Chromium counts a
    // page without an address as public and Local Network Access blocks it first).
    const port = await freePort();
    const other = stack.spawn("portal-2", process.env.SITHSD_PORTAL, [
      "--world", stack.world, "--static", process.env.SITHSD_PORTAL_STATIC, "--port", String(port),
      "--daemon-port", String(stack.daemonPort), "--no-ocsp"]);
    await other.waitFor("portal: http://127.0.0.1:");
    const page = await stack.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const refused = await stack.status(page, "error");
    assert.equal(refused.reason, "HANDSHAKE_REFUSED");
    assert.match(refused.text, /SITHS-tjänsten på den här datorn tillåter inte den här webbplatsen/);
    assert.match(stack.daemon.output, new RegExp(`127\\.0\\.0\\.1:${port} is not https and not on the allow list`));
    await stack.screenshot(page, "anslutning-webbplatsen-inte-tillaten");
    await page.close();
  });

  test("sithsd stops: the page says it is not running; it reconnects when sithsd is back", async () => {
    const page = await stack.page("/");
    await page.locator("#cards[data-count='1']").waitFor();
    await stack.stopDaemon();
    await page.locator("#cards", { hasText: "Ingen kontakt med SITHS-tjänsten" }).waitFor();
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const down = await stack.status(page, "error");
    assert.equal(down.reason, "NOT_RUNNING");
    assert.match(down.text, /SITHS-tjänsten \(sithsd\) körs inte på den här datorn/);
    await stack.screenshot(page, "anslutning-sithsd-kors-inte");

    // Started again on the same port: the client's backoff finds it without a reload.
    stack.startDaemon();
    await stack.daemonReady();
    await page.locator("#cards[data-count='1']").waitFor({ timeout: 20_000 });
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Tolvan Tolvansson/);
    await page.close();
  });
});
