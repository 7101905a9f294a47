// A smoke test of the extension in Firefox ESR, headless: the same unpacked source, loaded through
// a profile's extension proxy file (ESR accepts unsigned extensions with
// xpinstall.signatures.required = false), its host manifest in ~/.mozilla/native-messaging-hosts
// (HOME is the test's), and a page of the test's own that asks `web-eid:status` and
// `sithsd:request hello` and posts the answers back to the test's server. Playwright's Firefox is
// not Debian's, so Firefox runs as a plain process here.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Stack, until } from "./harness.mjs";

const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";
const EXTENSION = process.env.SITHSD_EXTENSION;
const ORIGINS = ["https://*/*", "http://localhost/*", "http://127.0.0.1/*"];  // the content scripts' matches

// The page asks until the extension's content scripts answer, then reports each first answer to
// the test's server. Firefox may load the first page before it has started the extension, and a
// page loaded then never gets the content scripts: the page reloads itself after 5 s of silence.
// Each ask has an id of its own: the extension opens its channel at the first ask, and a repeated id
// while the first is pending would be refused as a duplicate (PROTOCOL.md), not answered.
const PAGE = `<!doctype html><meta charset="utf-8"><title>sithsd i Firefox</title><script>
const seen = {};
const report = (kind, data) => {  // the first answer of each kind
  if (seen[kind]) return;
  seen[kind] = true;
  fetch("/result", { method: "POST", body: JSON.stringify({ kind, data }) });
};
addEventListener("message", (e) => {
  const d = e.data;
  if (d?.action === "web-eid:status-success") report("status", d);
  if (d?.action === "web-eid:status-failure" && d.error?.code !== "ERR_WEBEID_ACTION_PENDING") report("status", d);
  if (d?.type === "sithsd:message" && String(d.message?.id).startsWith("ff-hello-")) report("hello", d.message);
});
let asks = 0;
const ask = setInterval(() => {
  if (seen.status && seen.hello) return clearInterval(ask);
  postMessage({ action: "web-eid:status", libraryVersion: "2.1.0" }, "*");
  postMessage({ type: "sithsd:request", message: { jsonrpc: "2.0", id: \`ff-hello-\${++asks}\`, method: "hello" } }, "*");
}, 500);
setTimeout(() => { if (!(seen.status && seen.hello)) location.reload(); }, 5000);
</script><p>sithsd i Firefox</p>`;

let stack;
let server;
const results = {};

before(async () => {
  server = http.createServer((req, res) => {
    if (req.method === "POST" && req.url === "/result") {
      let body = "";
      req.on("data", (d) => { body += d; });
      req.on("end", () => {
        const { kind, data } = JSON.parse(body);
        results[kind] = data;
        res.end("ok");
      });
      return;
    }
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  // The page's origin is plain http on loopback: allowed in sithsd's config, as the portal's is.
  stack = await Stack.start("firefox", { allowedOrigins: [`http://127.0.0.1:${server.address().port}`] });
});

after(async () => {
  server?.close();
  await stack?.close();
});

test("Firefox ESR: the extension's content scripts reach sithsd through the native host", async () => {
  const home = join(stack.dir, "firefox-home");
  const profile = join(home, "profile");
  mkdirSync(join(profile, "extensions"), { recursive: true });
  // An extension proxy file: the file named by the id holds the unpacked extension's folder.
  writeFileSync(join(profile, "extensions", "extension@sithsd.se"), EXTENSION);
  writeFileSync(join(profile, "user.js"), [
    'user_pref("xpinstall.signatures.required", false);',
    'user_pref("extensions.autoDisableScopes", 0);',
    'user_pref("extensions.enabledScopes", 15);',
    'user_pref("browser.shell.checkDefaultBrowser", false);',
    'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
    'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);',
    ""].join("\n"));
  // Firefox treats an MV3 extension's content-script matches as host permissions. ESR 153 granted
  // them at the first start here (in extension-preferences.json); written beforehand all the same,
  // so that the test does not depend on when Firefox grants them.
  writeFileSync(join(profile, "extension-preferences.json"), JSON.stringify({
    "extension@sithsd.se": { permissions: [], origins: ORIGINS, data_collection: [] } }));
  const hosts = join(home, ".mozilla", "native-messaging-hosts");
  mkdirSync(hosts, { recursive: true });
  writeFileSync(join(hosts, "se.sithsd.native_host.json"), JSON.stringify({
    name: "se.sithsd.native_host", description: "sithsd native-messaging host",
    path: process.env.SITHSD_NATIVE_HOST, type: "stdio", allowed_extensions: ["extension@sithsd.se"] }));

  const url = `http://127.0.0.1:${server.address().port}/`;
  const firefox = stack.spawn("firefox", FIREFOX, ["--headless", "--no-remote", "--profile", profile, url], {
    env: { ...process.env, HOME: home, SITHSD_SOCKET: stack.socketPath, MOZ_CRASHREPORTER_DISABLE: "1" },
  });
  try {
    // Firefox's first start of a profile is slow on a busy machine: a minute and a half at most.
    await until(() => results.status && results.hello, "the extension's answers in Firefox", 90_000);
  } finally {
    await firefox.stop();
  }
  assert.ok(results.hello.result, JSON.stringify(results.hello));
  assert.equal(results.hello.result.transport, "unix");  // sithsd saw the native host, not a WebSocket
  assert.equal(results.hello.result.origin, url.slice(0, -1));  // the origin Firefox reported
  assert.equal(results.status.action, "web-eid:status-success", JSON.stringify(results.status));
  assert.equal(results.status.extension, "0.1.0");
  assert.equal(results.status.nativeApp, results.hello.result.version);
});
