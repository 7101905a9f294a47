// A portal team's own small portal, as a team would write it against the installed sithsd packages
// (copied to a temp folder by scripts/test-testkit-package; it imports nothing from the sithsd
// repository). Login with the token (WebSocket, extension, Web eID-style pages), a CMS signature,
// and TLS client login on a second port. Tokens and signatures are checked with `sithsctl`.
// Env: WORLD (a sithsd-testkit world: root, chain, the TLS server certificate), PORTAL_PORT,
// TLS_PORT, SITHSD_WS_URL (the pages' default; a page takes ?sithsd=URL before it).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pages } from "./pages.mjs";

const world = JSON.parse(readFileSync(join(process.env.WORLD, "world.json"), "utf8"));
const origin = `https://127.0.0.1:${process.env.PORTAL_PORT}`;
const tls = { cert: readFileSync(world.serverCertificate), key: readFileSync(world.serverKey) };
const scratch = mkdtempSync(join(tmpdir(), "portal-"));
const sessions = new Map();  // cookie -> { nonce, hsaId, order }

const sithsctl = (args) => new Promise((resolve) => {
  execFile("sithsctl", args, { timeout: 30_000 }, (error, stdout, stderr) =>
    resolve({ ok: !error, out: stdout, err: stderr }));
});
const trust = ["--trust", world.rootPem, "--intermediates", world.chainPem];

function session(req, res) {
  const id = /sid=([a-f0-9]{32})/.exec(req.headers.cookie ?? "")?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = randomBytes(16).toString("hex");
  res.setHeader("set-cookie", `sid=${fresh}; HttpOnly; Secure; SameSite=Strict; Path=/`);
  sessions.set(fresh, {});
  return sessions.get(fresh);
}

const body = (req) => new Promise((resolve) => {
  let text = "";
  req.on("data", (d) => { text += d; });
  req.on("end", () => resolve(text ? JSON.parse(text) : {}));
});

function send(res, status, data) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(data));
}

const api = {
  "/api/nonce": async (s) => ({ nonce: (s.nonce = randomBytes(32).toString("base64")) }),
  "/api/login": async (s, { token }) => {
    const nonce = s.nonce;
    delete s.nonce;  // single use, spent before any check
    const file = join(scratch, `token-${randomBytes(6).toString("hex")}.json`);
    writeFileSync(file, JSON.stringify(token));
    const r = await sithsctl(["verify-token", "--origin", origin, "--nonce", nonce ?? "-", ...trust, "--json", file]);
    if (!r.ok) return [401, { error: r.err.trim() || r.out.trim() }];
    s.hsaId = JSON.parse(r.out).hsaId;
    return { hsaId: s.hsaId };
  },
  "/api/prepare": async (s) => {
    s.order = { data: JSON.stringify({ order: "VMU3000096", requestId: randomBytes(8).toString("hex") }),
      displayText: "Attest av beställning VMU3000096: Statistik VE, för Ulla Älvsdotter" };
    return { displayText: s.order.displayText, data: Buffer.from(s.order.data).toString("base64") };
  },
  "/api/sign": async (s, { cms }) => {
    if (!s.order) return [400, { error: "no order" }];
    const content = join(scratch, `order-${randomBytes(6).toString("hex")}`);
    writeFileSync(content, s.order.data);
    writeFileSync(`${content}.p7s`, Buffer.from(cms, "base64"));
    const r = await sithsctl(["verify-cms", "--content", content, ...trust, "--json", `${content}.p7s`]);
    if (!r.ok) return [400, { error: r.err.trim() || r.out.trim() }];
    const signer = JSON.parse(r.out);
    delete s.order;
    return { signer: signer.hsaId, shown: signer.displayText };
  },
};

https.createServer(tls, async (req, res) => {
  const s = session(req, res);
  const path = new URL(req.url, origin).pathname;
  if (req.method === "POST" && api[path]) {
    const answer = await api[path](s, await body(req));
    return Array.isArray(answer) ? send(res, ...answer) : send(res, 200, answer);
  }
  const page = pages[path];
  if (!page) return send(res, 404, { error: "not found" });
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(page(process.env.SITHSD_WS_URL ?? "ws://127.0.0.1:24891/v1"));
}).listen(Number(process.env.PORTAL_PORT), "127.0.0.1", () => console.log(`portal: ${origin}/`));

// TLS client login: the browser's certificate pop-up, answered by the sithsd module and its PIN prompt.
https.createServer({ ...tls, requestCert: true, rejectUnauthorized: false,
  ca: [readFileSync(world.chainPem)] }, (req, res) => {
  const cert = req.socket.getPeerCertificate();
  res.writeHead(req.socket.authorized ? 200 : 401, { "content-type": "text/html; charset=utf-8" });
  res.end(req.socket.authorized ? `<p id="who">Inloggad med kort: ${cert.subject.serialNumber}</p>`
    : `<p id="who">Inget giltigt kort: ${req.socket.authorizationError}</p>`);
}).listen(Number(process.env.TLS_PORT), "127.0.0.1", () => console.log(`tls: https://127.0.0.1:${process.env.TLS_PORT}/`));
