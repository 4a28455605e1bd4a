// Bundles the CLI (dist/kittyctx.mjs) and the library (dist/index.mjs): one ESM file each, so the
// binary starts without resolving hundreds of modules. Native and optional modules stay external.
import { build } from "esbuild"
import { chmodSync, mkdirSync, rmSync } from "node:fs"

rmSync("dist", { recursive: true, force: true })
mkdirSync("dist", { recursive: true })

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["fs-ext"],
  banner: { js: "import { createRequire as __kittyctxRequire } from \"node:module\"; const require = __kittyctxRequire(import.meta.url);" },
  legalComments: "none",
  logLevel: "warning"
}

await build({
  ...common,
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/kittyctx.mjs",
  minify: true,
  banner: { js: "#!/usr/bin/env node\n" + common.banner.js }
})
chmodSync("dist/kittyctx.mjs", 0o755)

await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.mjs" })
