// Firefox ESR for the same tests. Playwright drives only its own patched Firefox, which cannot be
// installed where the browsers come from Debian, and its WebDriver BiDi path for a stock Firefox
// (channel "moz-firefox", Playwright 1.65) calls emulation.setMediaFeaturesOverride, which ESR 153
// does not know. puppeteer-core (an optional peer dependency) drives /usr/bin/firefox-esr over
// WebDriver BiDi: its pages have Puppeteer's API, not Playwright's.
export async function launchFirefox(instance, dir, { origins = [], extension = true, headless = true } = {}) {
  let puppeteer;
  try {
    puppeteer = (await import("puppeteer-core")).default;
  } catch {
    throw new Error("launchFirefox needs puppeteer-core: PUPPETEER_SKIP_DOWNLOAD=1 npm install -D puppeteer-core");
  }
  const launch = await instance.browser("firefox", dir, { origins, extension });
  return puppeteer.launch({
    browser: "firefox",
    executablePath: launch.executable,
    headless,
    userDataDir: launch.profile,
    env: { ...process.env, ...launch.env },
    extraPrefsFirefox: launch.prefs,
    protocolTimeout: 60_000,
  });
}
