// The browser tests' world: a private copy of the test world, its OCSP responder, the real sithsd
// on the soft card with the scripted pinentry, the demo portal, and headless Chromium driven by
// playwright-core. Every port is free-picked; every wait has a deadline; nothing sleeps blindly.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, appendFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the ctest registration sets it)`);
  return value;
};

export const DEADLINE_MS = 15_000;
export const EXTENSION_ID = "dhcgobcphckpalnkldnainiihecbaibm";  // from the key in its manifest

export async function until(condition, what, deadlineMs = DEADLINE_MS) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function listenOn(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(null));
    server.listen({ host, port, exclusive: true }, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on 127.0.0.1 and on ::1 (the daemon binds both). */
export async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = await listenOn("127.0.0.1", 0);
    if (port && (await listenOn("::1", port)) !== null) return port;
  }
  throw new Error("no free port");
}

/** A child process whose output is kept, with a wait for a line of it. */
class Child {
  constructor(name, command, args, options = {}) {
    this.name = name;
    this.output = "";
    this.proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => resolve({ code, signal })));
    this.proc.stdout.on("data", (d) => { this.output += d; });
    this.proc.stderr.on("data", (d) => { this.output += d; });
  }

  async waitFor(text, deadlineMs = DEADLINE_MS) {
    await until(() => {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited (${this.proc.exitCode}):\n${this.output}`);
      return this.output.includes(text);
    }, `${this.name} to say "${text}"`, deadlineMs);
  }

  /** SIGTERM; resolves with the exit code, or kills after the deadline. */
  async stop(deadlineMs = 5000) {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), deadlineMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

export class Stack {
  /**
   * Starts the OCSP responder, sithsd, the portal and Chromium; `daemonConfig`: extra lines for
   * sithsd.toml (e.g. "websocket = false"); `allowedOrigins`: origins allowed besides the portal's.
   */
  static async start(name, { daemonConfig = [], allowedOrigins = [] } = {}) {
    const stack = new Stack(name);
    stack.daemonConfig = daemonConfig;
    stack.allowedOrigins = allowedOrigins;
    try {
      await stack.startAll();
    } catch (e) {
      await stack.close();
      throw e;
    }
    return stack;
  }

  constructor(name) {
    this.name = name;
    this.dir = mkdtempSync(join(tmpdir(), `sithsd-browser-${name}-`));
    this.world = join(this.dir, "world");
    cpSync(env("SITHSD_WORLD"), this.world, { recursive: true });
    this.script = join(this.dir, "pinentry-script");
    this.promptLog = join(this.dir, "prompts.jsonl");
    this.screenshots = env("SITHSD_SCREENSHOTS");
    mkdirSync(this.screenshots, { recursive: true });
    this.children = [];
    this.contexts = [];
  }

  async startAll() {
    const [ocspPort, daemonPort, portalPort] = [await freePort(), await freePort(), await freePort()];
    this.ocspUrl = `http://127.0.0.1:${ocspPort}/`;
    this.ocsp = this.spawn("ocsp-responder", env("OCSP_RESPONDER"), [this.world, String(ocspPort)]);
    this.daemonPort = daemonPort;
    this.portalPort = portalPort;
    this.origin = `http://127.0.0.1:${portalPort}`;
    this.writeDaemonConfig();
    this.startDaemon();
    this.portal = this.spawn("portal", env("SITHSD_PORTAL"), [
      "--world", this.world, "--static", env("SITHSD_PORTAL_STATIC"), "--port", String(portalPort),
      "--daemon-port", String(daemonPort), "--ocsp-url", this.ocspUrl]);
    await Promise.all([
      this.ocsp.waitFor("serving OCSP"),
      this.daemonReady(),
      this.portal.waitFor("portal: http://127.0.0.1:"),
    ]);
    this.context = await this.launchBrowser();
  }

  /**
   * Chromium, headless, on an empty profile of its own; extra flags for special cases; `setup`
   * writes into the profile before the start, `env` is the browser's (and its native hosts').
   */
  async launchBrowser(extraArgs = [], { setup, env } = {}) {
    const profile = mkdtempSync(join(this.dir, "chromium-"));
    setup?.(profile);
    const context = await chromium.launchPersistentContext(profile, {
      ...(env ? { env: { ...process.env, ...env } } : {}),
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", ...extraArgs],
      viewport: { width: 1000, height: 720 },
      locale: "sv-SE",
      timeout: DEADLINE_MS,
    });
    context.setDefaultTimeout(DEADLINE_MS);
    this.contexts.push(context);
    return context;
  }

  /** Chromium with the sithsd extension loaded and the host manifest in its profile. */
  async launchWithExtension(extraArgs = []) {
    const context = await this.launchBrowser(
      [`--disable-extensions-except=${env("SITHSD_EXTENSION")}`, `--load-extension=${env("SITHSD_EXTENSION")}`,
        ...extraArgs], {
        // With a profile of its own, Chromium looks for host manifests in <profile>/NativeMessagingHosts.
        setup: (profile) => {
          mkdirSync(join(profile, "NativeMessagingHosts"));
          writeFileSync(join(profile, "NativeMessagingHosts", "se.sithsd.native_host.json"), JSON.stringify({
            name: "se.sithsd.native_host", description: "sithsd native-messaging host",
            path: env("SITHSD_NATIVE_HOST"), type: "stdio", allowed_origins: [`chrome-extension://${EXTENSION_ID}/`] }));
        },
        env: { SITHSD_SOCKET: this.socketPath },
      });
    if (context.serviceWorkers().length === 0) await context.waitForEvent("serviceworker");
    return context;
  }

  spawn(name, command, args, options) {
    const child = new Child(name, command, args, options);
    this.children.push(child);
    return child;
  }

  writeDaemonConfig() {
    this.config = join(this.dir, "sithsd.toml");
    this.socketPath = join(this.dir, "run", "sithsd.sock");
    writeFileSync(this.config, [
      `port = ${this.daemonPort}`,
      `unix_socket = "${this.socketPath}"`,
      `state_dir = "${this.dir}/state"`,
      `audit_log = "${this.dir}/state/audit.jsonl"`,
      `modules = ["${env("SOFTCARD_MODULE")}"]`,
      `pinentry = "${env("SCRIPTED_PINENTRY")}"`,
      `allowed_origins = ${JSON.stringify([this.origin, ...(this.allowedOrigins ?? [])])}`,
      `language = "sv"`,
      ...(this.daemonConfig ?? []),
      "",
    ].join("\n"));
  }

  startDaemon() {
    this.daemon = this.spawn("sithsd", env("SITHSD"), ["--config", this.config], {
      env: { ...process.env, SOFTCARD_CONF: join(this.world, "softcard.json"),
        SITHSD_PINENTRY_SCRIPT: this.script, SITHSD_PINENTRY_LOG: this.promptLog },
    });
  }

  async daemonReady() {
    await this.daemon.waitFor("ready");
    await until(() => existsSync(this.socketPath), "sithsd's socket");
  }

  async stopDaemon() {
    const { code } = await this.daemon.stop();
    if (code !== 0) throw new Error(`sithsd exited with ${code} after SIGTERM:\n${this.daemon.output}`);
  }

  // --- the person and the card ---
  answers(...lines) {
    appendFileSync(this.script, lines.map((l) => l + "\n").join(""));
  }

  prompts() {
    if (!existsSync(this.promptLog)) return [];
    return readFileSync(this.promptLog, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }

  async waitPrompts(count) {
    return until(() => this.prompts().length >= count && this.prompts(), `${count} prompt(s)`);
  }

  ctl(...args) {
    return execFileSync(env("SOFTCARD_CTL"), [this.world, ...args], { encoding: "utf8", timeout: 30_000 });
  }

  triesLeft(card, pin) {
    for (const line of this.ctl("status").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[0] === card) return Number(pin === "identification" ? fields[2] : fields[3]);
    }
    throw new Error(`no status for ${card}`);
  }

  // --- the browser ---
  /** A new page; a new visitor too (the portal's session cookie cleared) unless keepSession. */
  async page(path, context = this.context, { keepSession = false } = {}) {
    if (!keepSession) await context.clearCookies();
    const page = await context.newPage();
    page.on("pageerror", (e) => { this.pageErrors = [...(this.pageErrors ?? []), String(e)]; });
    await page.goto(this.origin + path);
    return page;
  }

  async screenshot(page, name) {
    await page.screenshot({ path: join(this.screenshots, `${name}.png`), fullPage: true });
  }

  /** Waits for the status box to reach a state ("done" or "error"); returns its text and reason. */
  // The status box once it shows `state` (and `reason`, when given: a box still showing the
  // previous error of the same state would otherwise be read before the page updates it).
  async status(page, state, reason) {
    const which = reason ? `[data-reason="${reason}"]` : "";
    const box = page.locator(`#status[data-state="${state}"]${which}`);
    await box.waitFor({ state: "visible" });
    return { text: await box.innerText(), reason: await box.getAttribute("data-reason") };
  }

  async close() {
    for (const context of this.contexts) await context.close().catch(() => {});
    const problems = [];
    for (const child of this.children.reverse()) {
      const { code, signal } = await child.stop();
      if (child.name === "sithsd" && code !== 0) {
        problems.push(`sithsd exit ${code} ${signal ?? ""}`);
      }
      for (const marker of ["AddressSanitizer", "LeakSanitizer", "runtime error:"]) {
        if (child.output.includes(marker)) problems.push(`${child.name}: ${marker}`);
      }
    }
    if (process.env.SITHSD_KEEP_TEST_DIR) console.log(`kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (problems.length) throw new Error(problems.join("; ") + "\n" + this.children.map((c) => c.output).join("\n"));
  }
}
