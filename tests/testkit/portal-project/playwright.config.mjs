// The portal team's Playwright configuration: Debian's Chromium, sithsd-testkit's world and the
// portal's origins (from the environment the CI job sets).
const portal = `https://127.0.0.1:${process.env.PORTAL_PORT}`;
const tls = `https://127.0.0.1:${process.env.TLS_PORT}`;
export default {
  testDir: "tests",
  workers: 1,
  timeout: 60_000,
  reporter: "list",
  use: {
    launchOptions: { executablePath: "/usr/bin/chromium" },
    sithsdOptions: { world: process.env.WORLD, cards: [], origins: [portal], clientCertificateOrigins: [tls],
                     promptTimeout: 5, command: undefined },
  },
};
