// The sithsd-testkit command, from Node: every method runs the command and returns its JSON.
// No second implementation: the command (Debian package sithsd-testkit) does the work.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class TestkitError extends Error {
  constructor(message) {
    super(message);
    this.name = "TestkitError";
    // PROTOCOL.md's reason when sithsd said one (sithsctl's messages end with it).
    this.reason = message.match(/\b(USER_CANCELLED|TIMEOUT|NO_CARD|PIN_BLOCKED|CARD_REMOVED|CERTIFICATE_EXPIRED)\b/)?.[1];
  }
}

function run(command, args, { json = true, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new TestkitError(`${command} ${args.join(" ")}: ${(stderr || error.message).trim()}`));
        return;
      }
      try {
        resolve(json ? JSON.parse(stdout) : stdout);
      } catch (e) {
        reject(new TestkitError(`${command} ${args[0]}: not JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

const repeat = (flag, values = []) => values.flatMap((v) => [flag, v]);

/** One running sithsd: what `up` printed, and the commands on it. */
export class Instance {
  constructor(command, info) {
    this.command = command;
    this.info = info;
    Object.assign(this, {
      runDir: info.runDir, wsUrl: info.wsUrl, port: info.port, socket: info.socket, rootPem: info.rootPem,
      chainPem: info.chainPem, ocspUrl: info.ocspUrl, origins: info.origins, cards: info.cards, pins: info.pins,
      envFile: info.envFile,
    });
  }

  kit(...args) { return run(this.command, [...args, "--run", this.runDir]); }

  /** Scripts the next prompts: "123456", "wrong", "cancel", "timeout", "empty". */
  pin(...answers) { return this.kit("pin", "next", ...answers); }
  /** What each prompt said: request, pin, requester (the origin), holder, displayText, error. */
  prompts() { return this.kit("prompts"); }
  removeCard(name = "tolvan") { return this.kit("card", "remove", name); }
  insertCard(name) { return this.kit("card", "insert", name); }
  cardStatus() { return this.kit("card", "status"); }
  /** Every card as the world made it, no scripted answer left (the fixture does it after each test). */
  reset() { return this.kit("card", "reset"); }
  card(name) { return this.cards.find((c) => c.name === name); }

  /** Prepares a "chromium" or "firefox" profile in dir; returns the launch (executable, args, env). */
  browser(which, dir, { origins = [], extension = true } = {}) {
    return this.kit("browser", which, dir, ...repeat("--origin", origins), ...(extension ? [] : ["--no-extension"]));
  }

  down() { return this.kit("down"); }
}

export class Testkit {
  constructor(command = process.env.SITHSD_TESTKIT ?? "sithsd-testkit") {
    this.command = command;
  }

  /** Makes (or finds made) the world in dir; concurrent workers wait for one another. */
  world(dir, { cards = [], origins = [], ocspPort } = {}) {
    return run(this.command, ["world", dir, ...repeat("--card", cards), ...repeat("--origin", origins),
      ...(ocspPort ? ["--ocsp-port", String(ocspPort)] : [])]);
  }

  /** A world dir per user and options, shared by the workers of a run (and later runs). */
  sharedWorldDir({ cards = [], origins = [] } = {}) {
    const key = createHash("sha256").update(JSON.stringify([origins, cards])).digest("hex").slice(0, 12);
    return join(tmpdir(), `sithsd-testkit-world-${process.getuid?.() ?? "u"}-${key}`);
  }

  async up({ world, origins = [], port, promptTimeout, language } = {}) {
    const info = await run(this.command, ["up", ...(world ? ["--world", world] : []), ...repeat("--origin", origins),
      ...(port ? ["--port", String(port)] : []), ...(promptTimeout ? ["--prompt-timeout", String(promptTimeout)] : []),
      ...(language ? ["--language", language] : [])]);
    return new Instance(this.command, info);
  }
}
