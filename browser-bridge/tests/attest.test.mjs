// The attest page in headless Chromium: the server's signing request -> sithsd's sign (CMS) ->
// the server verifies the CMS (with OCSP) and the displayText shown in the PIN prompt.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack } from "./harness.mjs";

describe("attest page", () => {
  let stack;
  before(async () => { stack = await Stack.start("attest"); });
  after(async () => { await stack?.close(); });

  const row = (page, id) => page.locator(`li.order[data-order="${id}"]`);

  test("Godkänn och signera: the server verified the signature and the text", async () => {
    const page = await stack.page("/attest");
    await page.locator("#cards[data-count='1']").waitFor();
    const order = row(page, "VMU3000096");
    assert.match(await order.innerText(), /VMU3000096 · Statistik VE · K3 Barn och Kvinna · för Ulla Älvsdotter · Väntar på attest/);
    assert.equal(await page.locator("#signing").isVisible(), false, "nothing to sign before the click");
    const before = stack.prompts().length;
    stack.answers("pin 654321");
    await order.getByRole("button", { name: "Godkänn och signera" }).click();
    const { text } = await stack.status(page, "done");
    // Past tense, in Swedish local time: "7 december 2026 kl. 14:05".
    const localTime = "\\d{1,2} [a-zåäö]+ \\d{4} kl\\. \\d{2}:\\d{2}";
    assert.match(text, new RegExp(`^VMU3000096 attesterades av Tolvan Tolvansson \\(SE5560000001-P000000000001\\), ${localTime}\\.`));
    await order.locator(".order-status", { hasText: "Attesterad" }).waitFor();
    assert.match(await order.locator(".attested-by").innerText(),
      new RegExp(`^ ?av Tolvan Tolvansson \\(SE5560000001-P000000000001\\), ${localTime}$`));
    assert.equal(await order.getByRole("button").count(), 0);
    const displayText = "Attest av beställning VMU3000096: Statistik VE, K3 Barn och Kvinna, för Ulla Älvsdotter";
    assert.equal(await page.locator("#signing-label").innerText(), "Det du signerade:");
    assert.equal(await page.locator("#display-text").innerText(), displayText);
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, /PIN för underskrift/);
    assert.ok(prompt.setdesc.includes(displayText), prompt.setdesc);
    assert.match(stack.portal.output, /attest VMU3000096: Tolvan Tolvansson/);
    await stack.screenshot(page, "attest-attesterad");
    // The server keeps the state: a fresh page shows it too.
    const again = await stack.page("/attest");
    await row(again, "VMU3000096").locator(".order-status", { hasText: "Attesterad" }).waitFor();
    await again.close();
    await page.close();
  });

  test("cancelled in the PIN prompt: neutral information, nothing signed", async () => {
    const page = await stack.page("/attest");
    await page.locator("#cards[data-count='1']").waitFor();
    stack.answers("cancel");
    await row(page, "VMU3000097").getByRole("button", { name: "Godkänn och signera" }).click();
    const cancelled = await stack.status(page, "info");
    assert.equal(cancelled.reason, "USER_CANCELLED");
    assert.match(cancelled.text, /Du avbröt\. Inget har skickats\./);
    assert.equal(await page.locator("#signing").isVisible(), false);
    assert.match(await row(page, "VMU3000097").innerText(), /Väntar på attest/);
    await stack.screenshot(page, "attest-avbruten");
    await page.close();
  });

  test("the card is removed during the signature", async () => {
    const page = await stack.page("/attest");
    await page.locator("#cards[data-count='1']").waitFor();
    stack.ctl("remove-during-sign", "tolvan");
    stack.answers("pin 654321");
    await row(page, "VMU3000097").getByRole("button", { name: "Godkänn och signera" }).click();
    const removed = await stack.status(page, "error");
    assert.equal(removed.reason, "CARD_REMOVED");
    assert.equal(await page.locator("#signing").isVisible(), false, "nothing was signed");
    assert.match(removed.text, /Kortet togs ut innan det var klart/);
    assert.match(await row(page, "VMU3000097").innerText(), /Väntar på attest/);
    await stack.screenshot(page, "attest-kortet-uttaget");
    await page.locator("#cards[data-count='0']").waitFor();
    stack.ctl("insert", "tolvan");
    await page.locator("#cards[data-count='1']").waitFor();
    await page.close();
  });

  test("two cards: the person chooses the signature certificate (Ulla's EC key)", async () => {
    const page = await stack.page("/attest");
    await page.locator("#cards", { hasText: "Kort i läsaren: Tolvan Tolvansson" }).waitFor();
    stack.ctl("insert", "ulla");
    await page.locator("#cards", { hasText: "Ulla Älvsdotter" }).waitFor();
    await row(page, "VMU3000097").getByRole("button", { name: "Godkänn och signera" }).click();
    const candidates = page.locator("#chooser button.candidate");
    await page.locator("#chooser").waitFor({ state: "visible" });
    assert.equal(await candidates.count(), 2);
    stack.answers("pin 654321");
    await candidates.filter({ hasText: "Ulla Älvsdotter" }).click();
    assert.match((await stack.status(page, "done")).text,
      /VMU3000097 attesterades av Ulla Älvsdotter \(SE5560000002-P000000000002\)/);
    await stack.screenshot(page, "attest-valj-certifikat-attesterad");
    stack.ctl("remove", "ulla");
    await page.close();
  });
});
