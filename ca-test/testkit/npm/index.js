// @sithsd/testing: Playwright fixtures over the sithsd-testkit command (test keys only).
//
//   import { test, expect } from "@sithsd/testing";
//   test("login", async ({ sithsd, page }) => {
//     await sithsd.pin("123456");                 // the person types the identification PIN
//     await page.goto("https://127.0.0.1:8443/"); // the portal; sithsd.wsUrl, .rootPem, … for its config
//     …
//   });
//
// `sithsd` is one instance per worker (up before its first test, down after its last), its cards
// reset after every test; `sithsdContext` / `sithsdPage` a Chromium with the prepared profile
// (extension, native host, the PKCS#11 module, the world's root, automatic TLS certificate choice
// for sithsdOptions.clientCertificateOrigins); `sithsdFirefox` a Firefox ESR (puppeteer-core).
import { test as base, chromium, expect } from "@playwright/test";
import { launchFirefox } from "./firefox.js";
import { Testkit } from "./testkit.js";

export { expect, launchFirefox };
export { Instance, Testkit, TestkitError } from "./testkit.js";

const DEADLINE_MS = 15_000;

export const test = base.extend({
  sithsdOptions: [{
    world: undefined,             // a world made by `sithsd-testkit world`; default: one shared per run
    cards: [],                    // card SPECs for that world (`--card`)
    origins: [],                  // origins sithsd allows (the portal's)
    clientCertificateOrigins: [], // origins whose TLS login picks the HSA-ID certificate
    promptTimeout: 5,
    command: undefined,           // default $SITHSD_TESTKIT or sithsd-testkit on PATH
  }, { scope: "worker", option: true }],

  sithsdWorker: [async ({ sithsdOptions }, use) => {
    const kit = new Testkit(sithsdOptions.command);
    let world = sithsdOptions.world;
    if (!world) {
      world = kit.sharedWorldDir(sithsdOptions);
      await kit.world(world, sithsdOptions);
    }
    const instance = await kit.up({ world, origins: sithsdOptions.origins, promptTimeout: sithsdOptions.promptTimeout });
    try {
      await use(instance);
    } finally {
      await instance.down();
    }
  }, { scope: "worker", timeout: 120_000 }],

  sithsd: async ({ sithsdWorker }, use) => {
    await use(sithsdWorker);
    await sithsdWorker.reset();
  },

  sithsdContext: async ({ sithsd, sithsdOptions }, use, testInfo) => {
    const launch = await sithsd.browser("chromium", testInfo.outputPath("sithsd-chromium"),
      { origins: sithsdOptions.clientCertificateOrigins });
    const context = await chromium.launchPersistentContext(launch.userDataDir, {
      executablePath: launch.executable,
      headless: true,
      args: launch.args,
      env: { ...process.env, ...launch.env },
      timeout: DEADLINE_MS,
    });
    try {
      // The extension's worker starts with the browser; a page opened before it misses the content scripts.
      if (launch.extensionId && context.serviceWorkers().length === 0) {
        await context.waitForEvent("serviceworker", { timeout: DEADLINE_MS });
      }
      await use(context);
    } finally {
      await context.close();
    }
  },

  sithsdPage: async ({ sithsdContext }, use) => {
    await use(sithsdContext.pages()[0] ?? await sithsdContext.newPage());
  },

  sithsdFirefox: async ({ sithsd, sithsdOptions }, use, testInfo) => {
    const browser = await launchFirefox(sithsd, testInfo.outputPath("sithsd-firefox"),
      { origins: sithsdOptions.clientCertificateOrigins });
    try {
      await use(browser);
    } finally {
      await browser.close();
    }
  },
});
