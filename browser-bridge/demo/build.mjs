// Builds the demo pages' scripts: type-check with tsc, bundle with esbuild (the client included),
// into demo/static/dist/. No CDN, nothing fetched at run time.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(here, "web")], { stdio: "inherit" });
await esbuild.build({
  entryPoints: [join(here, "web/login.ts"), join(here, "web/attest.ts"), join(here, "web/webeid.ts")],
  bundle: true,
  format: "esm",
  target: "es2020",
  sourcemap: true,
  outdir: join(here, "static/dist"),
  logLevel: "warning",
});
