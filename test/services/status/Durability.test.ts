/**
 * What a status write makes durable (docs/status-model.md §9.1, §9.2, §12): the event line is appended
 * and fsynced; `status.json` (tracked, read by spec-kitty) is replaced atomically and fsynced; the derived
 * views (a gitignored cache of the fold) are replaced atomically without an fsync, and one a crash left
 * empty counts as stale and is rebuilt.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { resolveStatusTarget } from "../../../src/services/context/ResolveContext.js"
import * as EventIds from "../../../src/services/ports/EventIds.js"
import * as FileLock from "../../../src/services/ports/FileLock.js"
import * as Git from "../../../src/services/ports/Git.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../../src/services/ports/RepoWrite.js"
import { layerFixed as settingsFixed } from "../../../src/services/ports/Settings.js"
import * as MissionStatus from "../../../src/services/status/MissionStatus.js"
import * as StatusReader from "../../../src/services/status/StatusReader.js"
import { commitAll, makeRepo, missionFiles, removeTemp, writeFiles } from "../../support/repo.js"

type Written = { readonly op: "writeFile" | "append"; readonly path: string; readonly durable: boolean }

/** The live status layer with its write port recording each write and whether it asked for an fsync. */
const recordingLayer = (log: Array<Written>) => {
  const base = Layer.mergeAll(
    RepoFs.layer,
    Git.layer,
    Git.readerLayer,
    EventIds.layerFixed(1_700_000_000_000_000n),
    Processes.layer,
    settingsFixed()
  )
  const recording = Layer.effect(
    RepoWrite.RepoWrite,
    Effect.map(RepoWrite.RepoWrite, (w) =>
      RepoWrite.RepoWrite.of({
        ...w,
        writeFile: (scope, p, data, options) => {
          log.push({ op: "writeFile", path: p, durable: options?.durable !== false })
          return w.writeFile(scope, p, data, options)
        },
        append: (scope, p, data, options) => {
          log.push({ op: "append", path: p, durable: true })
          return w.append(scope, p, data, options)
        }
      }))
  ).pipe(Layer.provide(RepoWrite.layer.pipe(Layer.provide(base))))
  const writes = Layer.merge(recording, base)
  const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
  const reader = StatusReader.layer.pipe(Layer.provideMerge(locks))
  return MissionStatus.layer.pipe(Layer.provideMerge(reader))
}

const SLUG = "durable-mission"

/** A committed repository with the mission, its write log, and a way to run a program on the recording layer. */
const withMission = async (f: (root: string, run: <A, E>(p: Effect.Effect<A, E, any>) => Promise<A>, log: Array<Written>) => Promise<void>) => {
  const root = makeRepo()
  try {
    writeFiles(root, missionFiles(SLUG, "01JZDRAB1E0000000000000000", ["WP01"]))
    commitAll(root, "baseline")
    const log: Array<Written> = []
    await f(root, (p) => Effect.runPromise(Effect.provide(p, recordingLayer(log)) as Effect.Effect<any, any>), log)
  } finally {
    removeTemp(path.dirname(root))
  }
}

describe("durability of a status write", () => {
  it("the log line and status.json are fsynced; the derived views are not", () =>
    withMission(async (root, run, log) => {
      const program = Effect.gen(function*() {
        const target = yield* resolveStatusTarget({ cwd: root, mission: SLUG })
        const status = yield* MissionStatus.MissionStatus
        return yield* status.transition(target, {
          wpId: "WP01", to: "claimed", actor: "tester", force: false, reason: null, reviewRef: null, evidence: null,
          reviewResult: null, executionMode: "worktree", workspaceContext: null, subtasksComplete: null,
          implementationEvidencePresent: null, policyMetadata: null
        })
      })
      const out = await run(program)
      assert.strictEqual(out.to, "claimed")

      const mission = path.join(root, "kitty-specs", SLUG)
      const derived = path.join(root, ".kittify", "derived", SLUG)
      const of = (p: string) => log.filter((w) => w.path === p)
      assert.deepStrictEqual(of(path.join(mission, "status.events.jsonl")), [
        { op: "append", path: path.join(mission, "status.events.jsonl"), durable: true }
      ])
      assert.deepStrictEqual(of(path.join(mission, "status.json")).map((w) => w.durable), [true])
      const views = log.filter((w) => w.path.startsWith(derived + path.sep))
      assert.strictEqual(views.length, 4, "the four derived views are written")
      assert.isTrue(views.every((w) => w.op === "writeFile" && !w.durable), JSON.stringify(views))
    }))

  it("a derived view a crash left empty is stale: materializeIfStale rebuilds it", () =>
    withMission(async (root, run) => {
      const refresh = Effect.gen(function*() {
        const target = yield* resolveStatusTarget({ cwd: root, mission: SLUG })
        return yield* Effect.flatMap(MissionStatus.MissionStatus, (s) => s.materializeIfStale(target))
      })
      assert.isTrue((await run(refresh)).regenerated)
      assert.isFalse((await run(refresh)).regenerated, "fresh views are left alone")

      const view = path.join(root, ".kittify", "derived", SLUG, "progress.json")
      const full = fs.readFileSync(view, "utf8")
      fs.writeFileSync(view, "") // what a crash after the rename, before the data reached the disk, can leave
      const later = new Date(Date.now() + 60_000)
      fs.utimesSync(view, later, later) // newer than the log: the mtime alone says fresh
      assert.isTrue((await run(refresh)).regenerated)
      assert.strictEqual(fs.readFileSync(view, "utf8"), full)
    }))
})
