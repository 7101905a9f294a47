// The portal's login and signing tests in headless Chromium, through each way a browser reaches
// sithsd: the WebSocket, the extension, a Web eID-style page, the TLS certificate pop-up.
import { test, expect } from "@sithsd/testing";

const portal = `https://127.0.0.1:${process.env.PORTAL_PORT}`;
const tls = `https://127.0.0.1:${process.env.TLS_PORT}`;
const TOLVAN = "SE5560000001-P000000000001";

// The page, told where this worker's sithsd listens (the portal's own setting would be the port).
async function run(page, path, sithsd) {
  await page.goto(`${portal}${path}?sithsd=${encodeURIComponent(sithsd.wsUrl)}`);
  await page.click("#go");
  const box = page.locator('#status:not([data-state="idle"])');
  await box.waitFor();
  return { state: await box.getAttribute("data-state"), reason: await box.getAttribute("data-reason"),
    text: await box.innerText() };
}

test("WebSocket login", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin(sithsd.pins.identification);
  expect(await run(sithsdPage, "/", sithsd)).toMatchObject({ state: "done", text: `Inloggad som ${TOLVAN}` });
  const [prompt] = await sithsd.prompts();
  expect(prompt).toMatchObject({ request: "GETPIN", pin: "identification", requester: portal });
  expect(prompt.holder).toContain(TOLVAN);
});

test("extension login (no WebSocket)", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin("123456");
  expect(await run(sithsdPage, "/ext", sithsd)).toMatchObject({ state: "done", text: `Inloggad som ${TOLVAN}` });
  expect(await sithsdPage.locator("body").getAttribute("data-transport")).toBe("unix");
});

test("Web eID-style page", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin("123456");
  expect(await run(sithsdPage, "/webeid", sithsd)).toMatchObject({ state: "done", text: `Inloggad som ${TOLVAN}` });
});

test("TLS login through the certificate pop-up", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin("123456");
  await sithsdPage.goto(tls + "/");
  await expect(sithsdPage.locator("#who")).toHaveText(`Inloggad med kort: ${TOLVAN}`);
  expect((await sithsd.prompts())[0].pin).toBe("identification");
});

test("attest with the signing PIN: the person saw what was signed", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin(sithsd.pins.signing);
  const result = await run(sithsdPage, "/attest", sithsd);
  expect(result.state).toBe("done");
  const [prompt] = await sithsd.prompts();
  expect(prompt.pin).toBe("signing");
  expect(prompt.displayText).toBe("Attest av beställning VMU3000096: Statistik VE, för Ulla Älvsdotter");
  expect(result.text).toBe(`Signerat av ${TOLVAN}: ${prompt.displayText}`);
});

test("wrong PIN, then the right one", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin("wrong", "123456");
  expect((await run(sithsdPage, "/", sithsd)).state).toBe("done");
  const prompts = await sithsd.prompts();
  expect(prompts.length).toBe(2);
  expect(prompts[1].error).toBe("Fel PIN-kod. 2 försök kvar.");
});

test("cancel in the prompt", async ({ sithsd, sithsdPage }) => {
  await sithsd.pin("cancel");
  expect(await run(sithsdPage, "/", sithsd)).toMatchObject({ state: "error", reason: "USER_CANCELLED" });
});

test("card removed", async ({ sithsd, sithsdPage }) => {
  await sithsd.removeCard("tolvan");
  expect(await run(sithsdPage, "/", sithsd)).toMatchObject({ state: "error", reason: "NO_CARD" });
  expect(await sithsd.prompts()).toEqual([]);
});
