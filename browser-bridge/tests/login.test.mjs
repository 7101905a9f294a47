// The login page in headless Chromium: page -> WebSocket -> sithsd -> soft card -> scripted
// pinentry -> web-eid token -> the portal's server verifies it (with OCSP).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack, until } from "./harness.mjs";

const TOLVAN = "Tolvan Tolvansson (SE5560000001-P000000000001)";

describe("login page", () => {
  let stack;
  before(async () => { stack = await Stack.start("login"); });
  after(async () => { await stack?.close(); });

  async function openLogin() {
    const page = await stack.page("/");
    await page.locator("#cards", { hasText: "Kort i läsaren: Tolvan Tolvansson" }).waitFor();  // connected and listed
    return page;
  }

  test("login with the right PIN: the server verified the token", async () => {
    const page = await openLogin();
    assert.equal(await page.locator("#cards").innerText(), "Kort i läsaren: Tolvan Tolvansson");
    const before = stack.prompts().length;
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const { text } = await stack.status(page, "done");
    assert.match(text, /Inloggad som Tolvan Tolvansson \(SE5560000001-P000000000001\)/);
    assert.equal(text.split("\n")[0], `Inloggad som ${TOLVAN}`);
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, new RegExp(stack.origin.replace(/[.]/g, "\\.")));
    assert.match(prompt.setdesc, /PIN för legitimering/);
    assert.match(stack.portal.output, /login: Tolvan Tolvansson \(SE5560000001-P000000000001\)/);
    await stack.screenshot(page, "login-inloggad");
    await page.close();
  });

  test("the logged-in view is the server's session: kept on reload, ended by Logga ut", async () => {
    const page = await openLogin();
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    await stack.status(page, "done");
    const view = page.locator("#account-view");
    await view.waitFor({ state: "visible" });
    assert.equal(await page.locator("#user").innerText(), `Inloggad som ${TOLVAN}`);
    assert.equal(await page.locator("#account-hsa-id").innerText(), "SE5560000001-P000000000001");
    // Swedish local time, e.g. "7 december 2026 kl. 14:05".
    assert.match(await page.locator("#account-since").innerText(), /^\d{1,2} [a-zåäö]+ \d{4} kl\. \d{2}:\d{2}$/);
    assert.equal(await page.getByRole("button", { name: "Logga in med SITHS-kort" }).count(), 0);

    // A new page of the same browser: the server knows who it is (the page keeps nothing).
    const again = await stack.page("/", stack.context, { keepSession: true });
    await again.locator("#account-view").waitFor({ state: "visible" });
    assert.equal(await again.locator("#account-name").innerText(), "Tolvan Tolvansson");
    const attest = await stack.page("/attest", stack.context, { keepSession: true });
    await attest.locator("#user", { hasText: "Inloggad som Tolvan Tolvansson" }).waitFor();
    await attest.close();
    assert.equal(await again.locator("#home").innerText(), "Mina sidor");
    await again.locator("#cards[data-count='1']").waitFor();
    await stack.screenshot(again, "login-inloggad-mina-sidor");

    await again.getByRole("button", { name: "Logga ut" }).first().click();
    const out = await stack.status(again, "info");
    assert.match(out.text, /Du är utloggad\./);
    await again.getByRole("button", { name: "Logga in med SITHS-kort" }).waitFor();
    assert.equal(await again.locator("#user").isVisible(), false);
    await stack.screenshot(again, "login-utloggad");
    // The session ended on the server: the first page's reload shows the login again.
    await page.reload();
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).waitFor();
    assert.equal(await page.locator("#account-view").isVisible(), false);
    await again.close();
    await page.close();
  });

  test("wrong PIN, then the right one, in the same dialog", async () => {
    const page = await openLogin();
    const before = stack.prompts().length;
    stack.answers("pin 000000", "pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Tolvan Tolvansson/);
    // sithsd asked again itself, with the reason above the field; the page saw one login.
    const prompts = await stack.waitPrompts(before + 2);
    assert.equal(prompts[before + 1].seterror, "Fel PIN-kod. 2 försök kvar.");
    assert.equal(stack.triesLeft("tolvan", "identification"), 3);
    await page.close();
  });

  test("cancelled in the PIN prompt, and by the page's Avbryt button", async () => {
    const page = await openLogin();
    stack.answers("cancel");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    // Neutral information, not an error: the person chose to stop.
    const cancelled = await stack.status(page, "info");
    assert.equal(cancelled.reason, "USER_CANCELLED");
    assert.match(cancelled.text, /Du avbröt\. Inget har skickats\./);

    const prompts = stack.prompts().length;
    stack.answers("hang");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    await stack.waitPrompts(prompts + 1);
    await page.locator("#status[data-state=waiting]").waitFor();
    await page.getByRole("button", { name: "Avbryt" }).click();
    const byPage = await stack.status(page, "info");
    assert.equal(byPage.reason, "USER_CANCELLED");
    await stack.screenshot(page, "login-avbruten");
    await page.close();
  });

  test("two cards: the certificate chooser", async () => {
    const page = await openLogin();
    stack.ctl("insert", "ulla");
    await until(async () => (await page.locator("#cards").innerText()).includes("Ulla Älvsdotter"), "cardsChanged with Ulla");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const candidates = page.locator("#chooser button.candidate");
    await page.locator("#chooser").waitFor({ state: "visible" });
    assert.equal(await candidates.count(), 2);
    const names = await candidates.allInnerTexts();
    assert.ok(names.some((n) => n.startsWith("Ulla Älvsdotter, Vårdcentralen Åby (SE5560000002-P000000000002)")), names.join(" | "));
    assert.ok(names.some((n) => n.startsWith("Tolvan Tolvansson, Testregionen Västra (SE5560000001-P000000000001)")), names.join(" | "));
    await stack.screenshot(page, "login-valj-certifikat");
    stack.answers("pin 123456");
    await candidates.filter({ hasText: "Ulla Älvsdotter" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Ulla Älvsdotter \(SE5560000002-P000000000002\)/);
    stack.ctl("remove", "ulla");
    await until(async () => !(await page.locator("#cards").innerText()).includes("Ulla"), "Ulla's card gone");
    await page.close();
  });

  test("no card, then a card with a blocked PIN", async () => {
    const page = await openLogin();
    stack.ctl("remove", "tolvan");
    await page.locator("#cards", { hasText: "Inget kort i läsaren" }).waitFor();
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const noCard = await stack.status(page, "error");
    assert.equal(noCard.reason, "NO_CARD");
    assert.match(noCard.text, /Inget SITHS-kort hittades\. Sätt i ditt kort/);
    await stack.screenshot(page, "login-inget-kort");

    stack.ctl("insert", "locked");
    await page.locator("#cards", { hasText: "Kort i läsaren: Lars Låst" }).waitFor();
    const prompts = stack.prompts().length;
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const blocked = await stack.status(page, "error", "PIN_BLOCKED");
    assert.equal(blocked.reason, "PIN_BLOCKED");
    assert.match(blocked.text, /PIN-koden är spärrad/);
    assert.equal(stack.prompts().length, prompts, "no PIN asked for a blocked PIN");
    await stack.screenshot(page, "login-spärrad-pin");
    stack.ctl("remove", "locked");
    stack.ctl("insert", "tolvan");
    await page.close();
  });

  test("a certificate that expires soon: certificateExpiring shown on the page", async () => {
    stack.ctl("remove", "tolvan");
    stack.ctl("insert", "soon");
    const page = await stack.page("/");
    await page.locator("#cards", { hasText: "Kort i läsaren: Sara Snart" }).waitFor();
    const note = page.locator("#expiring");
    await note.waitFor({ state: "visible" });
    assert.ok(["19", "20"].includes(await note.getAttribute("data-days-left")));
    assert.match(await note.innerText(), /Ett certifikat på ditt SITHS-kort går ut om (19|20) dagar \(\d{4}-\d{2}-\d{2}\)/);
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Sara Snart/);
    await stack.screenshot(page, "login-certifikat-gar-ut-snart");
    stack.ctl("remove", "soon");
    stack.ctl("insert", "tolvan");
    await page.close();
  });

  test("a revoked certificate: the card signs, the server's OCSP check refuses", async () => {
    const page = await openLogin();
    stack.ctl("remove", "tolvan");
    stack.ctl("insert", "revoked");
    await page.locator("#cards", { hasText: "Kort i läsaren: Rolf Spärrad" }).waitFor();
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in med SITHS-kort" }).click();
    const revoked = await stack.status(page, "error");
    assert.equal(revoked.reason, "CERTIFICATE_REVOKED");
    assert.match(revoked.text, /Certifikatet är spärrat\./);
    assert.match(stack.portal.output, /login refused: CERTIFICATE_REVOKED/);
    await stack.screenshot(page, "login-spärrat-certifikat");
    stack.ctl("remove", "revoked");
    stack.ctl("insert", "tolvan");
    await page.close();
  });
});
