/**
 * Multi-clone convergence (docs/surfaces.md §5.3, A5.1): three clones of one bare hub append status
 * events on their own branches, exchange them, and merge in different orders and ways (merge, pull,
 * rebase). With the event-log driver installed every clone ends with the same log bytes and the same
 * `status show --json`; without it the same exchange conflicts (the control); a duplicate id with two
 * payloads fails the merge loudly. Real git, the built CLI. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { commitAll, git, isolatedEnv, makeRepo, makeTemp, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"

const SLUG = "conv-01KTC0NV"
const MISSION_ID = "01KTC0NV000000000000000000"
const LOG_REL = `kitty-specs/${SLUG}/status.events.jsonl`
const branchOf = (lane: string) => `kitty/mission-${SLUG}-${lane}`

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

interface World {
  readonly base: string
  readonly hub: string
  readonly clone: (name: string, install: boolean) => string
}

/** A bare hub seeded with the mission (WP01-WP03 planned, status.json materialised) on main. */
const world = (): World => {
  const base = makeTemp("kittyctx-conv-")
  temps.push(base)
  const seed = makeRepo(path.join(base, "seed"))
  writeFiles(seed, missionFiles(SLUG, MISSION_ID, ["WP01", "WP02", "WP03"]))
  assert.strictEqual(runCli(seed, ["status", "materialize", "--mission", SLUG]).code, 0)
  commitAll(seed, "mission planned")
  const hub = path.join(base, "hub.git")
  execFileSync("git", ["clone", "-q", "--bare", seed, hub], { env: isolatedEnv(base) })
  return {
    base,
    hub,
    clone: (name, install) => {
      const dir = path.join(base, name)
      execFileSync("git", ["clone", "-q", hub, dir], { env: isolatedEnv(base) })
      git(dir, ["config", "user.email", `${name}@example.com`])
      git(dir, ["config", "user.name", name])
      git(dir, ["config", "commit.gpgsign", "false"])
      if (install) {
        const r = runCli(dir, ["merge-driver-event-log", "--install"], isolatedEnv(base))
        assert.strictEqual(r.code, 0, r.stderr)
      }
      return dir
    }
  }
}

const kitty = (w: World, dir: string, args: ReadonlyArray<string>) => {
  const r = runCli(dir, args, isolatedEnv(w.base))
  assert.strictEqual(r.code, 0, `kittyctx ${args.join(" ")}: ${r.stdout}${r.stderr}`)
  return r.stdout
}

const emit = (w: World, dir: string, wp: string, to: string, actor: string) =>
  kitty(w, dir, ["status", "emit", wp, "--to", to, "--actor", actor, "--mission", SLUG, "--json"])

/** Runs git; returns the exit code and output instead of throwing. */
const tryGit = (dir: string, args: ReadonlyArray<string>, base: string) => {
  const r = spawnSync("git", ["-C", dir, ...args], { env: isolatedEnv(base), encoding: "utf8" })
  return { code: r.status, out: r.stdout + r.stderr }
}

/** A, B and C each move their WP on their own lane branch, commit and push it. */
const workOnLanes = (w: World, install: boolean) => {
  const [a, b, c] = ["A", "B", "C"].map((n) => w.clone(n, install))
  const work = (dir: string, lane: string, moves: ReadonlyArray<readonly [string, string]>, actor: string) => {
    git(dir, ["checkout", "-q", "-b", branchOf(lane)])
    for (const [wp, to] of moves) emit(w, dir, wp, to, actor)
    commitAll(dir, `${actor}: ${moves.map(([wp, to]) => `${wp} ${to}`).join(", ")}`)
    git(dir, ["push", "-q", "origin", branchOf(lane)])
  }
  work(a, "lane-a", [["WP01", "claimed"]], "alice")
  work(b, "lane-b", [["WP02", "claimed"], ["WP02", "in_progress"]], "bob")
  work(c, "lane-c", [["WP03", "claimed"]], "carol")
  for (const dir of [a, b, c]) git(dir, ["fetch", "-q", "origin"])
  return { a, b, c }
}

const logOf = (dir: string) => fs.readFileSync(path.join(dir, LOG_REL), "utf8")
const lanesOf = (w: World, dir: string) => {
  const snapshot = JSON.parse(kitty(w, dir, ["status", "show", "--mission", SLUG, "--json"]))
  return Object.fromEntries(Object.entries(snapshot.work_packages as Record<string, { lane: string }>).map(([k, v]) => [k, v.lane]))
}

describe("A5.1 convergence through a bare remote", () => {
  it("merge, pull and rebase in different orders give byte-identical logs and the same status everywhere", () => {
    const w = world()
    const { a, b, c } = workOnLanes(w, true)
    const ok = (dir: string, args: ReadonlyArray<string>) => {
      const r = tryGit(dir, args, w.base)
      assert.strictEqual(r.code, 0, `git ${args.join(" ")} in ${path.basename(dir)}: ${r.out}`)
    }
    // A merges b then c; B pulls c then a; C merges a then b
    ok(a, ["merge", "--no-edit", `origin/${branchOf("lane-b")}`])
    ok(a, ["merge", "--no-edit", `origin/${branchOf("lane-c")}`])
    ok(b, ["pull", "-q", "--no-rebase", "--no-edit", "origin", branchOf("lane-c")])
    ok(b, ["pull", "-q", "--no-rebase", "--no-edit", "origin", branchOf("lane-a")])
    ok(c, ["merge", "--no-edit", `origin/${branchOf("lane-a")}`])
    ok(c, ["merge", "--no-edit", `origin/${branchOf("lane-b")}`])
    // D rebases lane-c onto lane-a, then merges lane-b
    const d = w.clone("D", true)
    ok(d, ["checkout", "-q", "-b", "rebased", `origin/${branchOf("lane-c")}`])
    ok(d, ["rebase", "-q", `origin/${branchOf("lane-a")}`])
    ok(d, ["merge", "--no-edit", `origin/${branchOf("lane-b")}`])

    const logs = [a, b, c, d].map(logOf)
    for (const l of logs.slice(1)) assert.strictEqual(l, logs[0])
    assert.strictEqual(logs[0].split("\n").filter((x) => x !== "").length, 3 + 4)
    const expected = { WP01: "claimed", WP02: "in_progress", WP03: "claimed" }
    const shows = [a, b, c, d].map((dir) => kitty(w, dir, ["status", "show", "--mission", SLUG, "--json"]))
    for (const s of shows.slice(1)) assert.strictEqual(s, shows[0])
    assert.deepStrictEqual(lanesOf(w, a), expected)
    // the snapshot was kept as each clone's own; materialising gives the same bytes everywhere
    for (const dir of [a, b, c, d]) kitty(w, dir, ["status", "materialize", "--mission", SLUG])
    const snapshots = [a, b, c, d].map((dir) => fs.readFileSync(path.join(dir, `kitty-specs/${SLUG}/status.json`), "utf8"))
    for (const s of snapshots.slice(1)) assert.strictEqual(s, snapshots[0])

    // idempotence: merging the same branches again changes nothing
    const head = git(a, ["rev-parse", "HEAD"])
    ok(a, ["merge", "--no-edit", `origin/${branchOf("lane-b")}`])
    ok(a, ["merge", "--no-edit", `origin/${branchOf("lane-c")}`])
    assert.strictEqual(git(a, ["rev-parse", "HEAD"]), head)
    assert.strictEqual(logOf(a), logs[0])
  })

  it("control: the same exchange without the driver conflicts on the log", () => {
    const w = world()
    const { a } = workOnLanes(w, false)
    const r = tryGit(a, ["merge", "--no-edit", `origin/${branchOf("lane-b")}`], w.base)
    assert.notStrictEqual(r.code, 0)
    assert.include(git(a, ["diff", "--name-only", "--diff-filter=U"]).split("\n"), LOG_REL)
  })

  it("a duplicate event id with two payloads fails the merge loudly; the log keeps ours", () => {
    const w = world()
    const a = w.clone("A", true)
    const row = (actor: string) =>
      `{"actor": "${actor}", "at": "2026-02-01T00:00:00+00:00", "event_id": "01KTC0NV0000000000000000ZZ", "evidence": null, ` +
      `"execution_mode": "worktree", "force": false, "from_lane": "planned", "mission_id": "${MISSION_ID}", ` +
      `"mission_slug": "${SLUG}", "policy_metadata": null, "reason": null, "review_ref": null, "to_lane": "claimed", "wp_id": "WP01"}\n`
    const seeded = logOf(a)
    git(a, ["checkout", "-q", "-b", "p"])
    fs.writeFileSync(path.join(a, LOG_REL), seeded + row("alice"))
    commitAll(a, "p")
    git(a, ["checkout", "-q", "-b", "q", "main"])
    fs.writeFileSync(path.join(a, LOG_REL), seeded + row("mallory"))
    commitAll(a, "q")
    const r = tryGit(a, ["merge", "--no-edit", "p"], w.base)
    assert.notStrictEqual(r.code, 0)
    assert.include(r.out, "Conflicting payloads found for event_id '01KTC0NV0000000000000000ZZ'")
    assert.include(git(a, ["diff", "--name-only", "--diff-filter=U"]).split("\n"), LOG_REL)
    assert.strictEqual(logOf(a), seeded + row("mallory"))
  })
})
