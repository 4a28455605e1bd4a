/**
 * Read-only by construction (docs/surfaces.md §7.2): the server program's requirements hold no writer
 * service (a compile-time check, with a negative control), and at run time no request changes any
 * file's bytes or mtime or `git status --porcelain --ignored`, during a real conflicted rebase and with a
 * task file that is not UTF-8 (§7.6 A7.1). The server runs as the real detached process `dashboard` starts,
 * with a `git` on its PATH that records every invocation: the server runs git only in read mode and only
 * with the read subcommands of docs/surfaces.md §7.2.
 */
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import type { FileLock } from "../../../src/services/ports/FileLock.js"
import type { Git } from "../../../src/services/ports/Git.js"
import type { Processes } from "../../../src/services/ports/Processes.js"
import { subcommandOf } from "../../../src/services/ports/Git.js"
import { RepoWrite } from "../../../src/services/ports/RepoWrite.js"
import type { Spawner } from "../../../src/services/ports/Spawner.js"
import type { MissionStatus } from "../../../src/services/status/MissionStatus.js"
import { dashboardServer } from "../../../src/services/dashboard/Server.js"
import { kanbanOf, missionItems, workPackageOf } from "../../../src/services/dashboard/MissionViews.js"
import { BOARD_MISSIONS, buildDashboardRepo, COORD } from "../../support/dashboardRepo.js"
import { openEvents, request } from "../../support/http.js"
import { bootstrapLine, commitAll, git, isolatedEnv, makeTemp, removeTemp, runCli } from "../../support/repo.js"
import { treeEntries } from "../../support/fingerprint.js"
import type { TreeEntry } from "../../support/fingerprint.js"

// ---------------------------------------------------------------------------------------------
// Compile time: a writer in the server's requirements would make these lines type errors.

type Writers = RepoWrite | Git | MissionStatus | FileLock | Processes | Spawner
type WritersIn<T> = T extends Effect.Effect<unknown, unknown, infer R> ? Extract<R, Writers> : never
type Assert<T extends true> = T

export type ServerHasNoWriter = Assert<[WritersIn<ReturnType<typeof dashboardServer>>] extends [never] ? true : false>
export type ViewsHaveNoWriter = Assert<
  [WritersIn<ReturnType<typeof missionItems>> | WritersIn<ReturnType<typeof kanbanOf>> | WritersIn<ReturnType<typeof workPackageOf>>] extends
    [never] ? true : false
>
// negative control: the same check on a program that asks for RepoWrite fails to compile
const withWriter = (config: Parameters<typeof dashboardServer>[0]) => Effect.zipRight(RepoWrite, dashboardServer(config))
// @ts-expect-error a program requiring RepoWrite is caught by the check
export type ControlHasWriter = Assert<[WritersIn<ReturnType<typeof withWriter>>] extends [never] ? true : false>

// ---------------------------------------------------------------------------------------------
// Run time

/** Every file, link and directory below `root` (the git dir included): content hash (link target), size, mtime, mode. */
const snapshotTree = (root: string): Map<string, TreeEntry> => treeEntries(root, { dirs: true })

const gitStatus = (cwd: string) =>
  git(cwd, ["status", "--porcelain", "--ignored"], { ...isolatedEnv(path.dirname(cwd)), GIT_OPTIONAL_LOCKS: "0" })

const BAD = BOARD_MISSIONS[0]
const CONFLICTED = BOARD_MISSIONS[2]
let root = ""
let lane = ""
let port = 0
let pid = 0
let shimDir = ""
let gitLog = ""

/**
 * The git subcommands the server may run (docs/surfaces.md §7.2), plus `for-each-ref`: the resolver
 * lists the branches in one call instead of one `rev-parse` per branch (a read, like the others).
 */
const SERVER_GIT = ["rev-parse", "worktree list", "ls-tree", "show", "cat-file", "for-each-ref"]

/** A `git` that appends its parent's pid, `GIT_OPTIONAL_LOCKS` and its arguments to a log, then runs the real git. */
const gitShim = () => {
  shimDir = makeTemp("kittyctx-gitshim-")
  gitLog = path.join(shimDir, "calls.log")
  const realGit = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim()
  const script = [
    "#!/bin/sh",
    "us=$(printf '\\037')",
    "line=\"$PPID$us${GIT_OPTIONAL_LOCKS:-unset}\"",
    "for a in \"$@\"; do line=\"$line$us$a\"; done",
    `printf '%s\\n' "$line" >> '${gitLog}'`,
    `exec '${realGit}' "$@"`
  ].join("\n") + "\n"
  fs.mkdirSync(path.join(shimDir, "bin"))
  fs.writeFileSync(path.join(shimDir, "bin", "git"), script, { mode: 0o755 })
  fs.writeFileSync(gitLog, "")
  return path.join(shimDir, "bin")
}

/** The git calls a process made: `[GIT_OPTIONAL_LOCKS, subcommand]`. */
const gitCallsOf = (parent: number) =>
  fs.readFileSync(gitLog, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split("\x1f"))
    .filter(([ppid]) => Number(ppid) === parent)
    .map(([, locks, ...args]) => [locks, subcommandOf(args)] as const)

beforeAll(() => {
  const repo = buildDashboardRepo()
  root = repo.root
  lane = repo.lane
  const meta = JSON.parse(fs.readFileSync(path.join(root, "kitty-specs", BAD, "meta.json"), "utf8"))
  // a task file that is not UTF-8 (Windows-1252 quotes), with an event so its card is on the board
  fs.writeFileSync(
    path.join(root, "kitty-specs", BAD, "tasks", "WP09-cp1252.md"),
    Buffer.concat([Buffer.from("---\nwork_package_id: WP09\n---\n# Work Package Prompt: smart "), Buffer.from([0x93, 0xff, 0x94]), Buffer.from(" quotes\n")])
  )
  fs.appendFileSync(
    path.join(root, "kitty-specs", BAD, "status.events.jsonl"),
    bootstrapLine(BAD, meta.mission_id, "WP09", "01KZZZZZZZZZZZZZZZZZZZZZZ9", "2099-01-01T00:00:00.000000+00:00") + "\n"
  )
  commitAll(root, "a cp1252 task")
  // a real conflicted rebase in the primary checkout: the README and a mission's event log conflict
  const logPath = path.join(root, "kitty-specs", CONFLICTED, "status.events.jsonl")
  git(root, ["checkout", "-q", "-b", "topic"])
  fs.writeFileSync(path.join(root, "README.md"), "topic\n")
  fs.appendFileSync(logPath, "{\"topic\": true}\n")
  commitAll(root, "topic change")
  git(root, ["checkout", "-q", "main"])
  fs.writeFileSync(path.join(root, "README.md"), "main\n")
  fs.appendFileSync(logPath, "{\"main\": true}\n")
  commitAll(root, "main change")
  git(root, ["checkout", "-q", "topic"])
  try {
    git(root, ["rebase", "main"])
  } catch {
    // expected: the rebase stops on the conflicts
  }
  assert.isTrue(fs.existsSync(path.join(root, ".git", "rebase-merge")), "a rebase is in progress")
  assert.include(fs.readFileSync(logPath, "utf8"), "<<<<<<<")
  const bin = gitShim()
  const started = runCli(root, ["dashboard", "--json"], isolatedEnv(path.dirname(root), { PATH: `${bin}:${process.env.PATH ?? ""}` }))
  assert.strictEqual(started.code, 0, started.stdout + started.stderr)
  port = JSON.parse(started.stdout).port
  pid = JSON.parse(started.stdout).pid
})

afterAll(() => {
  runCli(root, ["dashboard", "--kill", "--json"])
  removeTemp(path.dirname(root))
  removeTemp(shimDir)
})

describe("the running server writes nothing (A7.1)", () => {
  it("every endpoint, during a conflicted rebase, with a non-UTF-8 task file", async () => {
    const treeBefore = snapshotTree(root)
    const statusBefore = gitStatus(root)
    const laneStatusBefore = gitStatus(lane)

    const get = async (p: string) => {
      const r = await request(port, p)
      assert.oneOf(r.status, [200, 404], p)
      return r
    }
    const missions = JSON.parse((await get("/api/missions")).body).missions as Array<{ key: string; kanban_stats: { error?: string } }>
    assert.strictEqual(missions.length, BOARD_MISSIONS.length + 1)
    for (const m of missions) {
      const board = JSON.parse((await get(`/api/missions/${m.key}/kanban`)).body)
      const events = JSON.parse((await get(`/api/missions/${m.key}/events`)).body).events as Array<{ event_id: string }>
      if (events.length > 0) await get(`/api/missions/${m.key}/kanban?at=${events[0].event_id}`)
      for (const card of Object.values(board.columns as Record<string, Array<{ id: string }>>).flat()) {
        await get(`/api/missions/${m.key}/wp/${card.id}`)
      }
      for (const name of ["spec", "plan", "tasks", "research", "quickstart", "data-model"]) await get(`/api/missions/${m.key}/artifact/${name}`)
    }
    for (const p of ["/", "/static/app.js", "/static/app.css", "/static/..%2f..%2f.kittify%2f.dashboard", "/api/health", "/nope"]) await get(p)
    assert.strictEqual((await request(port, "/api/health", { host: "evil.example" })).status, 421)
    assert.strictEqual((await request(port, "/api/shutdown", { method: "POST", body: "{\"token\":\"x\"}" })).status, 403)
    const stream = openEvents(port)
    assert.strictEqual(await stream.ready, 200)
    stream.close()

    // what the reads saw
    const bad = missions.find((m) => m.key === JSON.parse(fs.readFileSync(path.join(root, "kitty-specs", BAD, "meta.json"), "utf8")).mission_id)!
    const badBoard = JSON.parse((await get(`/api/missions/${bad.key}/kanban`)).body)
    const wp09 = badBoard.columns.planned.find((c: { id: string }) => c.id === "WP09")
    assert.isTrue(wp09.encoding_error)
    assert.include(wp09.title, "smart \ufffd\ufffd\ufffd quotes")
    const conflicted = missions.find((m) => m.kanban_stats.error !== undefined)
    assert.strictEqual(conflicted?.kanban_stats.error, "Event log unreadable")

    const treeAfter = snapshotTree(root)
    assert.deepStrictEqual([...treeAfter.keys()].sort(), [...treeBefore.keys()].sort(), "no file created or removed")
    for (const [p, entry] of treeBefore) assert.deepStrictEqual(treeAfter.get(p), entry, p)
    assert.strictEqual(gitStatus(root), statusBefore)
    assert.strictEqual(gitStatus(lane), laneStatusBefore)
    assert.isFalse([...treeAfter.keys()].some((p) => p.endsWith(".bak")), "no .bak file")
    assert.isFalse(fs.existsSync(path.join(root, "kitty-specs", COORD.slug, "status.json")))

    // git: read mode only (GIT_OPTIONAL_LOCKS=0), read subcommands only (§7.2)
    const calls = gitCallsOf(pid)
    assert.isAbove(calls.length, 0, "the shim saw the server's git calls")
    assert.deepStrictEqual(calls.filter(([locks, sub]) => locks !== "0" || !SERVER_GIT.includes(sub)), [])

    // negative control: the writing materialiser (what spec-kitty's dashboard ran per request) is caught
    const m = runCli(root, ["status", "materialize", "--mission", COORD.slug, "--force", "--json"])
    assert.strictEqual(m.code, 0, m.stdout + m.stderr)
    const written = snapshotTree(root)
    assert.isTrue(written.size !== treeBefore.size || [...treeBefore].some(([p, e]) => written.get(p)?.hash !== e.hash))
    assert.notStrictEqual(gitStatus(root), statusBefore)
  })
})
