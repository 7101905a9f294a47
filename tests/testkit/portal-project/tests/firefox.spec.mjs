// The same portal in Firefox ESR (Debian's), driven by puppeteer-core over WebDriver BiDi through
// @sithsd/testing's sithsdFirefox: WebSocket login and signing, extension login, TLS pop-up login.
import { test, expect } from "@sithsd/testing";

const portal = `https://127.0.0.1:${process.env.PORTAL_PORT}`;
const tls = `https://127.0.0.1:${process.env.TLS_PORT}`;
const TOLVAN = "SE5560000001-P000000000001";

async function run(browser, path, sithsd) {
  const page = await browser.newPage();
  await page.goto(`${portal}${path}?sithsd=${encodeURIComponent(sithsd.wsUrl)}`);
  await page.click("#go");
  await page.waitForSelector('#status:not([data-state="idle"])', { timeout: 30_000 });
  return page.$eval("#status", (s) => ({ state: s.dataset.state, reason: s.dataset.reason, text: s.textContent }));
}

test("Firefox: WebSocket login", async ({ sithsd, sithsdFirefox }) => {
  await sithsd.pin("123456");
  expect(await run(sithsdFirefox, "/", sithsd)).toMatchObject({ state: "done", text: `Inloggad som ${TOLVAN}` });
});

test("Firefox: extension login", async ({ sithsd, sithsdFirefox }) => {
  await sithsd.pin("123456");
  // Firefox may load the first page before it has started the extension: ask until it answers.
  const page = await sithsdFirefox.newPage();
  await page.goto(portal + "/ext");
  await page.waitForFunction(() => new Promise((resolve) => {
    addEventListener("message", (e) => e.data?.type === "sithsd:pong" && resolve(true));
    postMessage({ type: "sithsd:ping" }, location.origin);
    setTimeout(() => resolve(false), 500);
  }), { timeout: 30_000, polling: 600 }).catch(async () => page.reload());
  await page.click("#go");
  await page.waitForSelector('#status:not([data-state="idle"])', { timeout: 30_000 });
  expect(await page.$eval("#status", (s) => s.textContent)).toBe(`Inloggad som ${TOLVAN}`);
});

test("Firefox: TLS login through the certificate pop-up", async ({ sithsd, sithsdFirefox }) => {
  await sithsd.pin("123456");
  const page = await sithsdFirefox.newPage();
  await page.goto(tls + "/");
  expect(await page.$eval("#who", (p) => p.textContent)).toBe(`Inloggad med kort: ${TOLVAN}`);
});

test("Firefox: attest with the signing PIN", async ({ sithsd, sithsdFirefox }) => {
  await sithsd.pin("654321");
  const result = await run(sithsdFirefox, "/attest", sithsd);
  const [prompt] = await sithsd.prompts();
  expect(prompt.pin).toBe("signing");
  expect(result).toMatchObject({ state: "done", text: `Signerat av ${TOLVAN}: ${prompt.displayText}` });
});
