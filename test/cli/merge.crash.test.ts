/**
 * Crash safety of `kittyctx merge` (issue: "a merge killed with SIGKILL at any phase, then resumed, ends
 * with the same target tree and the same refs as an uninterrupted run"). A `reference-transaction` hook
 * counts every ref git commits during the merge and records the phase the state file names; a run is
 * then stopped at chosen ref updates (the hook blocks, the whole process group gets SIGKILL) and resumed.
 * The fixtures are built with fixed dates, so every build has the same commits and an uninterrupted run
 * is reproducible. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { CLI, git, removeTemp } from "../support/repo.js"
import { mergeFixture } from "../support/merge.js"
import type { MergeFixture } from "../support/merge.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const HOOK = `#!/bin/sh
[ "$1" = committed ] || exit 0
[ -n "$KT_COUNTER" ] || exit 0
cat > /dev/null
n=$(( $(cat "$KT_COUNTER" 2>/dev/null || echo 0) + 1 ))
echo $n > "$KT_COUNTER"
phase=$(sed -n 's/.*"phase": "\\([a-z_]*\\)".*/\\1/p' "$KT_STATE" 2>/dev/null)
echo "$n \${phase:-none}" >> "$KT_COUNTER.log"
if [ "$n" = "$KT_KILL_AT" ]; then : > "$KT_MARK"; exec sleep 600; fi
exit 0
`

interface Instrumented {
  readonly f: MergeFixture
  readonly env: Record<string, string>
  readonly counter: string
  readonly mark: string
}

/** A fixture whose ref updates are counted (and, with `killAt`, blocked at the n-th one). */
const instrumented = (killAt?: number): Instrumented => {
  const f = mergeFixture()
  temps.push(f.base)
  const hook = path.join(f.root, ".git", "hooks", "reference-transaction")
  fs.writeFileSync(hook, HOOK, { mode: 0o755 })
  const counter = path.join(f.base, "counter")
  const mark = path.join(f.base, "mark")
  const env: Record<string, string> = { KT_COUNTER: counter, KT_STATE: f.stateFile, KT_MARK: mark }
  if (killAt !== undefined) env.KT_KILL_AT = String(killAt)
  return { f, env, counter, mark }
}

/** The outcome a test compares: every branch's commit and the target's tree. */
const result = (f: MergeFixture) => ({
  branches: git(f.root, ["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"]),
  tree: git(f.root, ["rev-parse", `${f.target}^{tree}`])
})

/**
 * Starts a merge in its own process group; once the hook blocked it, runs `whileBlocked`, then kills the
 * group. Resolves when the merge process is gone.
 */
const runUntilBlocked = (i: Instrumented, whileBlocked: () => void = () => {}): Promise<"killed" | "finished"> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "merge", "--mission", i.f.slug, "--json"], {
      cwd: i.f.root,
      env: i.f.env(i.env),
      detached: true,
      stdio: "ignore"
    })
    let settled = false
    const watcher = fs.watch(path.dirname(i.mark), () => {
      if (!settled && fs.existsSync(i.mark)) {
        settled = true
        watcher.close()
        whileBlocked()
        process.kill(-child.pid!, "SIGKILL")
      }
    })
    child.on("error", reject)
    child.on("exit", () => {
      watcher.close()
      resolve(settled ? "killed" : "finished")
    })
  })

/** The phases that move refs (verify and push, without a remote, move none). */
const PHASES = ["merge_lanes", "bake_number", "integrate", "record_done", "cleanup"] as const
const TIMEOUT = 240_000

describe("SIGKILL at every phase, then --resume", () => {
  let expected: ReturnType<typeof result> | null = null
  const lastUpdateOf = new Map<string, number>()

  it("an uninterrupted run, counting its ref updates by phase", () => {
    const clean = instrumented()
    const run = clean.f.cli(["merge", "--mission", clean.f.slug, "--json"], clean.env)
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    expected = result(clean.f)
    for (const line of fs.readFileSync(`${clean.counter}.log`, "utf8").split("\n").filter((l) => l !== "")) {
      const [n, phase] = line.split(" ")
      lastUpdateOf.set(phase, Number(n))
    }
    assert.deepStrictEqual([...lastUpdateOf.keys()], [...PHASES])
  }, TIMEOUT)

  for (const phase of PHASES) {
    it(`killed right after the last ref update of ${phase}: --resume ends as the uninterrupted run`, async () => {
      const k = lastUpdateOf.get(phase)
      assert.isDefined(k, "the uninterrupted run comes first")
      const i = instrumented(k)
      assert.strictEqual(await runUntilBlocked(i), "killed", `the run reached ref update ${k}`)
      assert.strictEqual(JSON.parse(fs.readFileSync(i.f.stateFile, "utf8")).phase, phase)
      const resumed = i.f.cli(["merge", "--mission", i.f.slug, "--resume", "--json"])
      assert.strictEqual(resumed.code, 0, `resume after a kill in ${phase}: ${resumed.stdout}${resumed.stderr}`)
      assert.deepStrictEqual(result(i.f), expected)
      assert.isFalse(fs.existsSync(path.dirname(i.f.stateFile)))
      assert.strictEqual(git(i.f.root, ["status", "--porcelain"]), "")
    }, TIMEOUT)
  }

  it("killed after the squash commit was built in the workspace, before the target moved: --resume rebuilds the same commit", async () => {
    const i = instrumented(lastUpdateOf.get("integrate")! - 1)
    assert.strictEqual(await runUntilBlocked(i), "killed")
    const state = JSON.parse(fs.readFileSync(i.f.stateFile, "utf8"))
    assert.strictEqual(state.phase, "integrate")
    const resumed = i.f.cli(["merge", "--mission", i.f.slug, "--resume", "--json"])
    assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepStrictEqual(result(i.f), expected)
  }, TIMEOUT)

  it("a second merge while one runs is MERGE_LOCKED (the lock is the kernel's: released when the holder is killed)", async () => {
    const i = instrumented(lastUpdateOf.get("merge_lanes"))
    let second: { code: number | null; stdout: string } | null = null
    const outcome = await runUntilBlocked(i, () => {
      second = i.f.cli(["merge", "--mission", i.f.slug, "--json"], { KITTYCTX_LOCK_TIMEOUT_MS: "0" })
    })
    assert.strictEqual(outcome, "killed")
    assert.isNotNull(second)
    const run = second as unknown as { code: number | null; stdout: string }
    assert.strictEqual(run.code, 1)
    assert.strictEqual(JSON.parse(run.stdout).error.code, "MERGE_LOCKED")
    const resumed = i.f.cli(["merge", "--mission", i.f.slug, "--resume", "--json"], { KITTYCTX_LOCK_TIMEOUT_MS: "0" })
    assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepStrictEqual(result(i.f), expected)
  }, TIMEOUT)

  it("killed in the integration, then --abort: no state, no lock, no workspace; the moved refs are listed", async () => {
    const i = instrumented(lastUpdateOf.get("integrate"))
    assert.strictEqual(await runUntilBlocked(i), "killed")
    const aborted = i.f.cli(["merge", "--mission", i.f.slug, "--abort", "--json"])
    assert.strictEqual(aborted.code, 0, aborted.stdout + aborted.stderr)
    const out = JSON.parse(aborted.stdout)
    assert.deepStrictEqual(out.advanced_refs.map((m: { ref: string }) => m.ref), [
      i.f.missionBranch,
      i.f.missionBranch,
      i.f.missionBranch,
      i.f.target
    ])
    for (const m of out.advanced_refs) assert.include(git(i.f.root, ["rev-list", m.ref]), m.to)
    assert.isFalse(fs.existsSync(path.dirname(i.f.stateFile)))
    assert.notInclude(git(i.f.root, ["worktree", "list"]), "kittyctx/merge")
    assert.strictEqual(git(i.f.root, ["status", "--porcelain"]), "")
    // the lock is free: a new merge takes it at once (no wait allowed) and runs to the end
    const again = i.f.cli(["merge", "--mission", i.f.slug, "--json"], { KITTYCTX_LOCK_TIMEOUT_MS: "0" })
    assert.notInclude(again.stdout, "MERGE_LOCKED")
  }, TIMEOUT)
})
