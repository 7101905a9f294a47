// The two failures before any card: sithsd not running, and the browser blocking the page's
// connection to the loopback WebSocket. Each has its own Swedish message and reason.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack } from "./harness.mjs";

describe("connection to sithsd", () => {
  let stack;
  before(async () => { stack = await Stack.start("connection"); });
  after(async () => { await stack?.close(); });

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
