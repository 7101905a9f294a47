// A page written for Web eID (its library's message protocol, demo/web/webeid-protocol.ts) in real
// headless Chromium with sithsd's extension, against a sithsd whose WebSocket is off (as on a
// terminal server): status, login (the web-eid:1.0 token verified by the portal's verifier, OCSP
// included), signing a hash (verified here against the certificate), the prompt that says the
// page did not say what is signed, the page's own userInteractionTimeout, and the failures the
// library knows.
import assert from "node:assert/strict";
import { X509Certificate, verify } from "node:crypto";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { Stack, until } from "./harness.mjs";

/** Whether a process of ours still runs. */
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
const listening = (port) => new Promise((resolve) => {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.once("connect", () => { socket.destroy(); resolve(true); });
  socket.once("error", () => resolve(false));
});

describe("a page written for Web eID", () => {
  let stack;
  let context;
  before(async () => {
    stack = await Stack.start("webeid", { daemonConfig: ["websocket = false"] });
    context = await stack.launchWithExtension();
  });
  after(async () => { await stack?.close(); });

  async function open(browser = context, path = "/webeid") {
    const page = await stack.page(path, browser);
    const sockets = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    return { page, sockets };
  }

  test("sithsd's WebSocket is off: nothing listens on its port", async () => {
    assert.equal(await listening(stack.daemonPort), false);
    assert.match(stack.daemon.output, /WebSocket off/);
  });

  test("status: the versions of library, extension and sithsd", async () => {
    const { page } = await open();
    const versions = page.locator("#versions[data-state='ok']");
    await versions.waitFor();
    assert.match(await versions.innerText(), /^library 2\.1\.0, extension 0\.1\.0, native \d+\.\d+\.\d+/);
    await page.close();
  });

  test("login: the web-eid:1.0 token is accepted by the portal's verifier", async () => {
    const { page, sockets } = await open();
    const before = stack.prompts().length;
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
    const { text } = await stack.status(page, "done");
    // Tolvan's card has an HSA-ID and a personnummer identification certificate: the HSA-ID one.
    assert.match(text, /Inloggad som Tolvan Tolvansson \(SE5560000001-P000000000001\)/);
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, /PIN för legitimering/);
    assert.ok(prompt.setdesc.includes(stack.origin), prompt.setdesc);
    assert.deepEqual(sockets, []);
    await stack.screenshot(page, "webeid-inloggad");
    await page.close();
  });

  test("sign: a raw signature over the page's hash, verified against the signing certificate", async () => {
    const { page, sockets } = await open();
    const before = stack.prompts().length;
    stack.answers("pin 654321");
    await page.getByRole("button", { name: "Skriv under intyget (Web eID)" }).click();
    await stack.status(page, "done");
    const result = JSON.parse(await page.locator("#result").innerText());
    const certificate = new X509Certificate(Buffer.from(result.certificate, "base64"));
    assert.match(certificate.subject, /SE5560000001-P000000000001/);
    assert.deepEqual(result.signatureAlgorithm, { cryptoAlgorithm: "RSA", hashFunction: "SHA-256", paddingScheme: "PKCS1.5" });
    assert.deepEqual(result.supportedSignatureAlgorithms.map((a) => a.hashFunction), ["SHA-256", "SHA-384", "SHA-512"]);
    assert.ok(verify("sha256", Buffer.from(result.document, "utf8"), certificate.publicKey,
      Buffer.from(result.signature, "base64")), "the signature verifies against the certificate");
    // Web eID sends no text: the prompt says so and names the page's origin.
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, /PIN för underskrift/);
    assert.match(prompt.setdesc, /har inte sagt vad du skriver under/);
    assert.ok(prompt.setdesc.includes(`Ingen text att visa: ${stack.origin}`), prompt.setdesc);
    assert.deepEqual(sockets, []);
    await page.close();
  });

  test("the person cancels: ERR_WEBEID_USER_CANCELLED", async () => {
    const { page } = await open();
    stack.answers("cancel");
    await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
    assert.equal((await stack.status(page, "info")).reason, "ERR_WEBEID_USER_CANCELLED");
    await page.close();
  });

  test("the page's userInteractionTimeout ends the request: ERR_WEBEID_USER_TIMEOUT, the prompt closed, a retry works", async () => {
    // The library (authenticate) gives up after 1 s + 5 s + userInteractionTimeout with
    // ERR_WEBEID_ACTION_TIMEOUT; the extension must answer first, as Web eID's own does.
    const { page } = await open(context, "/webeid?userInteractionTimeout=2000");
    const before = stack.prompts().length;
    stack.answers("hang");  // the person does not answer
    const clicked = Date.now();
    await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
    const { text } = await stack.status(page, "error", "ERR_WEBEID_USER_TIMEOUT");
    const took = Date.now() - clicked;
    assert.match(text, /user failed to respond in time/);
    assert.ok(took >= 2000 && took < 1000 + 5000 + 2000, `answered after ${took} ms`);
    // The PIN prompt was open, and is closed now (sithsd's request was cancelled).
    const prompt = (await stack.waitPrompts(before + 1))[before];
    assert.match(prompt.setdesc, /PIN för legitimering/);
    await until(() => !alive(prompt.pid), "the PIN prompt to close");
    // A retry right after is served, not refused as pending.
    stack.answers("pin 123456");
    await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
    assert.match((await stack.status(page, "done")).text, /Inloggad som Tolvan Tolvansson/);
    await page.close();
  });

  test("without sithsd's extension: ERR_WEBEID_EXTENSION_UNAVAILABLE after the 1 s handshake", async () => {
    const { page } = await open(stack.context);
    await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
    assert.equal((await stack.status(page, "error")).reason, "ERR_WEBEID_EXTENSION_UNAVAILABLE");
    await page.close();
  });

  test("sithsd stopped: ERR_WEBEID_NATIVE_UNAVAILABLE", async () => {
    await stack.stopDaemon();
    try {
      const { page } = await open();
      await page.locator("#versions[data-state='ERR_WEBEID_NATIVE_UNAVAILABLE']").waitFor();
      await page.getByRole("button", { name: "Logga in (Web eID)" }).click();
      assert.equal((await stack.status(page, "error")).reason, "ERR_WEBEID_NATIVE_UNAVAILABLE");
      await page.close();
    } finally {
      stack.startDaemon();
      await stack.daemonReady();
    }
  });
});
