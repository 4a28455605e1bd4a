/**
 * The package as users get it (issue 9, "CLI conventions"): `npm pack` ships only the built CLI, the
 * library and its types, the LICENSE and the README; and the packed tarball, installed with
 * `npm install -g` into a fresh prefix, runs `kittyctx` from any directory, status writes included
 * (the native lock module built on install). The install needs the npm registry (or a warm cache), so it
 * runs when KITTYCTX_PACK_INSTALL=1 (.ci/run sets it); the file list is checked on every run.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { commitAll, isolatedEnv, makeRepo, makeTemp, missionFiles, removeTemp, writeFiles } from "../support/repo.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const npm = (args: ReadonlyArray<string>, cwd = ROOT) => {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } })
  assert.strictEqual(r.status, 0, `npm ${args.join(" ")}: ${r.stderr}`)
  return r.stdout
}

describe("npm pack", () => {
  it("ships only what a user needs, with a LICENSE", { timeout: 120_000 }, () => {
    const [packed] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"])) as Array<{ files: Array<{ path: string }> }>
    const files = packed.files.map((f) => f.path)
    for (const needed of ["LICENSE", "README.md", "package.json", "dist/kittyctx.cjs", "dist/full.cjs", "dist/fast.cjs", "dist/daemon.cjs", "dist/merge-driver.cjs", "dist/index.mjs", "dist/types/index.d.ts"]) {
      assert.include(files, needed)
    }
    const extra = files.filter((f) => !(f.startsWith("dist/") || ["LICENSE", "README.md", "package.json"].includes(f)))
    assert.deepStrictEqual(extra, [], "only dist/, LICENSE, README.md and package.json")
  })

  it.runIf(process.env.KITTYCTX_PACK_INSTALL === "1")(
    "the tarball installed with npm install -g runs kittyctx from any directory",
    { timeout: 600_000 },
    () => {
      const work = makeTemp("kittyctx-pack-")
      temps.push(work)
      npm(["pack", "--pack-destination", work, "--ignore-scripts"])
      const tarball = fs.readdirSync(work).find((f) => f.endsWith(".tgz"))!
      const prefix = path.join(work, "prefix")
      npm(["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", path.join(work, tarball)], work)
      const bin = path.join(prefix, "bin", "kittyctx")
      const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string
      // from a directory that is no repository, then inside a spec-kitty repository (a status write)
      const outside = spawnSync(bin, ["--version"], { cwd: work, encoding: "utf8" })
      assert.strictEqual(outside.stdout.trim(), version, outside.stderr)
      const repo = makeRepo()
      temps.push(path.dirname(repo))
      writeFiles(repo, missionFiles("packed-01JZ0000", "01JZ0000000000000000000000", ["WP01"]))
      commitAll(repo, "mission")
      const env = isolatedEnv(path.dirname(repo))
      const emit = spawnSync(bin, ["status", "emit", "WP01", "--to", "claimed", "--actor", "a", "--json"], { cwd: path.join(repo, "kitty-specs"), env, encoding: "utf8" })
      assert.strictEqual(emit.status, 0, emit.stdout + emit.stderr)
      assert.isTrue(JSON.parse(emit.stdout).ok)
      const show = spawnSync(bin, ["status", "show", "--json"], { cwd: repo, env, encoding: "utf8" })
      assert.strictEqual(show.status, 0, show.stderr)
      assert.strictEqual(JSON.parse(show.stdout).work_packages.WP01.lane, "claimed")
    }
  )
})
