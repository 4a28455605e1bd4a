/**
 * The parity ratchet (docs/execution-context.md §16.1-§16.5) over real git repositories: the library
 * program `resolveContext` with the live layers, resolved from every CWD of the matrix, for every
 * action of §13. Each assertion set runs twice and the runs are compared; the non-vacuity proofs
 * (N-1..N-6) show the ratchet can fail. Bare section numbers (§N) cite docs/execution-context.md.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Console, Effect, Either, Exit, Layer, ManagedRuntime, Option, Tracer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { run as runCliInProcess } from "../../../src/cli/Cli.js"
import { Cwd } from "../../../src/cli/Options.js"
import { readEventStream } from "../../../src/core/status/EventRow.js"
import { ACTIONS, contextToJson } from "../../../src/core/context/ExecutionContext.js"
import type { MissionExecutionContext, WorkPackageRef } from "../../../src/core/context/ExecutionContext.js"
import type { TransitionRequest } from "../../../src/core/status/StatusEvent.js"
import { foldTransitions } from "../../../src/core/status/StatusFold.js"
import { MainLayer } from "../../../src/services/MainLayer.js"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { StatusReader } from "../../../src/services/status/StatusReader.js"
import { MissionStatus } from "../../../src/services/status/MissionStatus.js"
import { RepoFs } from "../../../src/services/ports/RepoFs.js"
import {
  resolveContext,
  resolvePlacement,
  resolveStatusSurface,
  resolveStatusTarget
} from "../../../src/services/context/ResolveContext.js"
import type { ContextRequest, ResolveRequirements } from "../../../src/services/context/ResolveContext.js"
import { layerFixed as settingsFixed } from "../../../src/services/ports/Settings.js"
import {
  buildF1,
  buildF1b,
  buildF2,
  buildF3,
  buildF4,
  buildF5,
  F2_COORD_BRANCH,
  F5_MISSIONS,
  pyJson,
  sortedJsonFile,
  transitionLine
} from "../../support/fixtures.js"
import type { CoordFixture, F2Variant, Fixture, FlatFixture, LanesFixture } from "../../support/fixtures.js"
import { git } from "../../support/repo.js"

// ---------------------------------------------------------------------------------------------
// Harness: one runtime with the live layers; fixtures removed afterwards.

const runtime = ManagedRuntime.make(Layer.mergeAll(MainLayer, NodeContext.layer))
/** What the live runtime provides. */
type LiveServices = Layer.Layer.Success<typeof MainLayer>
const built: Array<Fixture> = []
const keep = <F extends Fixture>(f: F): F => {
  built.push(f)
  return f
}
afterAll(async () => {
  for (const f of built) f.cleanup()
  await runtime.dispose()
})

/** How a program gets its services beyond the runtime's live layers. */
type Provider = <A, E>(eff: Effect.Effect<A, E, LiveServices>) => Effect.Effect<A, E, LiveServices>

/** The live layers, with `SPECIFY_REPO_ROOT` unset whatever the test process inherited (§16.4). */
const live: Provider = (eff) => eff.pipe(Effect.provide(settingsFixed()))

/**
 * N-5: a root discovery that does not fold. It reports every `.git` entry as a directory, so the walk
 * stops at the CWD's own checkout root (a lane worktree is taken for the primary checkout).
 */
const nonFoldingRepoFs = Layer.effect(
  RepoFs,
  Effect.map(RepoFs, (inner) =>
    RepoFs.of({
      ...inner,
      kind: (p) =>
        path.basename(p) === ".git" ? Effect.map(inner.kind(p), (k) => (k === null ? null : "Directory")) : inner.kind(p)
    }))
)
const nonFolding: Provider = (eff) => eff.pipe(Effect.provide(nonFoldingRepoFs), Effect.provide(settingsFixed()))

const run = <A, E>(eff: Effect.Effect<A, E, LiveServices>, provider: Provider = live) =>
  runtime.runPromise(provider(eff))

/** A result as the ratchet compares it: the context without `current_cwd`, or the code and details. */
type Outcome =
  | { readonly ok: true; readonly context: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly details: Record<string, unknown> }

const cwdFree = (ctx: MissionExecutionContext): Record<string, unknown> => {
  const json = contextToJson(ctx)
  const { current_cwd: _cwd, ...workspace } = json.workspace
  return { ...json, workspace }
}

type CodedFailure = { readonly code: string; readonly details: Readonly<Record<string, unknown>> }

const outcomeOf = (exit: Exit.Exit<MissionExecutionContext, CodedFailure>): Outcome => {
  if (Exit.isSuccess(exit)) return { ok: true, context: cwdFree(exit.value) }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return { ok: false, code: failure.value.code, details: { ...failure.value.details } }
  return { ok: false, code: "DEFECT", details: { cause: Cause.pretty(exit.cause) } }
}

const resolveOutcome = (req: ContextRequest, provider: Provider = live): Promise<Outcome> =>
  run(Effect.exit(resolveContext(req)), provider).then(outcomeOf)

/** Canonical text of a value (sorted keys), for order-independent comparison. */
const canon = (v: unknown): string => pyJson(v)

// ---------------------------------------------------------------------------------------------
// The requests: every action of §13, WP actions with WP01, WP02, WP03 and auto-pick.

const SPEC_ACTIONS = [
  "specify",
  "plan",
  "analyze",
  "tasks",
  "tasks_outline",
  "tasks_packages",
  "tasks_finalize",
  "accept",
  "status",
  "implement",
  "review"
] as const
const MISSION_ACTIONS = SPEC_ACTIONS.slice(0, 9)
const WP_CHOICES = ["WP01", "WP02", "WP03", "auto"] as const

interface Req {
  readonly key: string
  readonly action: string
  readonly wp: string | null
}
const REQUESTS: ReadonlyArray<Req> = [
  ...MISSION_ACTIONS.map((action) => ({ key: action, action, wp: null })),
  ...(["implement", "review"] as const).flatMap((action) =>
    WP_CHOICES.map((wp) => ({ key: `${action}:${wp}`, action, wp: wp === "auto" ? null : wp }))
  )
]

type Cwds = Readonly<Record<string, string>>
type Matrix = Readonly<Record<string, Readonly<Record<string, Outcome>>>>

/** Resolves every request from every CWD. */
const resolveMatrix = (cwds: Cwds, mission: string, provider: Provider = live): Promise<Matrix> =>
  run(
    Effect.forEach(
      Object.entries(cwds),
      ([label, cwd]) =>
        Effect.forEach(
          REQUESTS,
          (r) =>
            Effect.exit(
              resolveContext({ cwd, mission, action: r.action, ...(r.wp === null ? {} : { wp_id: r.wp }) })
            ).pipe(Effect.map((exit) => [r.key, outcomeOf(exit)] as const)),
          { concurrency: 4 }
        ).pipe(Effect.map((rows) => [label, Object.fromEntries(rows)] as const)),
      { concurrency: 4 }
    ).pipe(Effect.map((rows) => Object.fromEntries(rows))),
    provider
  )

/** §16.3 parity: every CWD yields what the first CWD yields, for every request; R-ACT-2 across actions. */
const parityMismatches = (m: Matrix): Array<string> => {
  const out: Array<string> = []
  const labels = Object.keys(m)
  const base = labels[0]
  for (const label of labels.slice(1)) {
    for (const r of REQUESTS) {
      const a = canon(m[base][r.key])
      const b = canon(m[label][r.key])
      if (a !== b) out.push(`${r.key}: ${label} differs from ${base}:\n  ${base}: ${a}\n  ${label}: ${b}`)
    }
  }
  for (const label of labels) {
    const shared = new Set<string>()
    for (const r of REQUESTS) {
      const o = m[label][r.key]
      if (!o.ok) continue
      const { action: _a, work_package: _w, workspace, ...rest } = o.context as Record<string, Record<string, unknown>>
      const { execution_workspace: _e, allowed_command_cwd: _c, ...ws } = workspace
      shared.add(canon({ ...rest, workspace: ws }))
    }
    if (shared.size > 1) out.push(`R-ACT-2: ${label}: contexts differ across actions beyond the WP fields`)
  }
  return out
}

/** An expected outcome: a full context, or a code with the details that must match (a subset). */
type Expected =
  | { readonly ok: true; readonly context: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly details?: Record<string, unknown> }

const matches = (actual: Outcome, expected: Expected): boolean => {
  if (expected.ok) return canon(actual) === canon(expected)
  if (actual.ok || actual.code !== expected.code) return false
  return Object.entries(expected.details ?? {}).every(([k, v]) => canon(actual.details[k]) === canon(v))
}

/** §16.3 absolute expectations for every cell, plus primary_root and C-PLACE-1 on every success. */
const expectationMismatches = (m: Matrix, root: string, expected: (r: Req) => Expected): Array<string> => {
  const out: Array<string> = []
  for (const [label, row] of Object.entries(m)) {
    for (const r of REQUESTS) {
      const actual = row[r.key]
      const want = expected(r)
      if (!matches(actual, want)) out.push(`${label} ${r.key}:\n  expected ${canon(want)}\n  actual   ${canon(actual)}`)
      if (actual.ok) {
        const c = actual.context as Record<string, Record<string, unknown>>
        if (c.workspace.primary_root !== root) out.push(`${label} ${r.key}: primary_root ${String(c.workspace.primary_root)}`)
        if (canon(c.artifact_placement.placement_ref) !== canon(c.branch_ref.destination_ref)) {
          out.push(`${label} ${r.key}: placement_ref differs from destination_ref (C-PLACE-1)`)
        }
      }
    }
  }
  return out
}

/** Runs the matrix twice; asserts determinism, parity and the absolute expectations; returns the matrix. */
const ratchet = async (cwds: Cwds, mission: string, root: string, expected: (r: Req) => Expected): Promise<Matrix> => {
  const first = await resolveMatrix(cwds, mission)
  const second = await resolveMatrix(cwds, mission)
  assert.strictEqual(canon(second), canon(first), "two runs of the same assertion set differ")
  assert.deepStrictEqual(parityMismatches(first), [])
  assert.deepStrictEqual(expectationMismatches(first, root, expected), [])
  return first
}

// ---------------------------------------------------------------------------------------------
// Expected contexts, written out from the spec (not from production helpers).

const WP_FILES: Readonly<Record<string, string>> = {
  WP01: "WP01-build-core.md",
  WP02: "WP02-build-cli.md",
  WP03: "WP03-write-docs.md"
}

interface MissionFacts {
  readonly root: string
  readonly mission: { readonly slug: string; readonly missionId: string; readonly mid8: string }
  readonly topology: { readonly value: string; readonly source: "stored" | "derived" }
  readonly target: string
  readonly kind: "primary" | "coordination" | "flattened"
  readonly coordBranch: string | null
  readonly coordWorktree: string | null
  readonly featureDir: string
  readonly statusDir: string
  readonly coordState: "NOT_APPLICABLE" | "MATERIALIZED" | "UNMATERIALIZED"
}

interface WpExpect {
  readonly ref: WorkPackageRef
  readonly workspace: string
}

const contextFor = (f: MissionFacts, action: string, wp: WpExpect | null): Expected => {
  const destination = { ref: f.kind === "coordination" ? f.coordBranch : f.target, kind: f.kind }
  return {
    ok: true,
    context: {
      action,
      mission_slug: f.mission.slug,
      feature_dir: f.featureDir,
      topology: f.topology,
      identity: { mission_id: f.mission.missionId, mid8: f.mission.mid8, mission_slug: f.mission.slug },
      branch_ref: { target_branch: f.target, coordination_branch: f.coordBranch, destination_ref: destination },
      workspace: {
        primary_root: f.root,
        coord_worktree: f.coordWorktree,
        execution_workspace: wp?.workspace ?? null,
        allowed_command_cwd: wp?.workspace ?? f.root
      },
      status_surface: { status_read_dir: f.statusDir, status_write_dir: f.statusDir, coord_state: f.coordState },
      artifact_placement: { placement_ref: destination },
      prompt_source: { prompt_source_dir: path.join(f.featureDir, "tasks") },
      work_package: wp?.ref ?? null
    }
  }
}

const laneWp = (f: MissionFacts, wp: string, laneId: string): WpExpect => ({
  ref: {
    wp_id: wp,
    wp_file: path.join(f.featureDir, "tasks", WP_FILES[wp]),
    lane_id: laneId,
    lane_branch: `kitty/mission-${f.mission.slug}-${laneId}`,
    execution_mode: "code_change",
    resolution_kind: "lane_workspace"
  },
  workspace: path.join(f.root, ".worktrees", `${f.mission.slug}-${laneId}`)
})

const planningWp = (f: MissionFacts): WpExpect => ({
  ref: {
    wp_id: "WP03",
    wp_file: path.join(f.featureDir, "tasks", WP_FILES.WP03),
    lane_id: "lane-planning",
    lane_branch: f.target,
    execution_mode: "planning_artifact",
    resolution_kind: "repo_root"
  },
  workspace: f.root
})

/** Expected outcome of a lanes mission (lane-a {WP01}, lane-b {WP02}, WP03 planning) given the auto-picks. */
const lanesExpected = (f: MissionFacts, auto: { implement: string | null; review: string | null }) => (r: Req): Expected => {
  if (r.wp === null && (r.action === "implement" || r.action === "review")) {
    const picked = auto[r.action]
    if (picked === null) return { ok: false, code: "WORK_PACKAGE_UNRESOLVED", details: { action: r.action, wp_id: null } }
    return lanesExpected(f, auto)({ key: `${r.action}:${picked}`, action: r.action, wp: picked })
  }
  if (r.wp === null) return contextFor(f, r.action, null)
  if (r.wp === "WP03") return contextFor(f, r.action, planningWp(f))
  return contextFor(f, r.action, laneWp(f, r.wp, r.wp === "WP01" ? "lane-a" : "lane-b"))
}

const f1Facts = (f: LanesFixture): MissionFacts => ({
  root: f.root,
  mission: f.mission,
  topology: { value: "lanes", source: "stored" },
  target: "main",
  kind: "primary",
  coordBranch: null,
  coordWorktree: null,
  featureDir: f.primaryDir,
  statusDir: f.primaryDir,
  coordState: "NOT_APPLICABLE"
})

/** F1's authority: WP01 for_review (the row committed after the lanes were cut), WP02 and WP03 planned. */
const F1_AUTO = { implement: "WP02", review: "WP01" }

const f1Cwds = (f: LanesFixture): Cwds => ({
  "primary root": f.root,
  "deep primary subdir": f.deepSubdir,
  "plain lane root": f.laneA,
  "plain lane's mission-dir copy/tasks": path.join(f.laneAMissionDir, "tasks"),
  "sparse lane root": f.laneB,
  "sparse lane's mission-dir copy": f.laneBMissionDir
})

const f2Facts = (f: CoordFixture): MissionFacts => {
  const materialized = f.variant === "MATERIALIZED"
  return {
    root: f.root,
    mission: f.mission,
    topology: { value: "lanes_with_coord", source: "stored" },
    target: "main",
    kind: "coordination",
    coordBranch: F2_COORD_BRANCH,
    coordWorktree: f.coordRoot,
    featureDir: materialized ? f.coordDir : f.primaryDir,
    statusDir: materialized ? f.coordDir : f.primaryDir,
    coordState: materialized ? "MATERIALIZED" : "UNMATERIALIZED"
  }
}

const f2Cwds = (f: CoordFixture): Cwds => ({
  "primary root": f.root,
  "deep primary subdir": f.deepSubdir,
  ...(fs.existsSync(f.coordRoot) ? { "coord worktree root": f.coordRoot } : {}),
  ...(fs.existsSync(f.coordDir) ? { "coord worktree subdir": path.join(f.coordDir, "tasks") } : {}),
  "sparse lane root": f.laneA,
  "sparse lane's mission-dir copy": f.laneAMissionDir
})

const lanesOf = (logText: string): Record<string, string> => {
  const stream = Either.getOrThrow(readEventStream(logText))
  const states = foldTransitions(stream.transitions).states
  return Object.fromEntries([...states.entries()].map(([wp, s]) => [wp, String(s.lane)]).sort())
}

const read = (p: string) => fs.readFileSync(p, "utf8")

/** Every entry under `dir` (including `.git`) with its size and modification time. */
const treeState = (dir: string): string => {
  const rows: Array<string> = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name)
      const st = fs.lstatSync(p)
      rows.push(`${p} ${e.isDirectory() ? "d" : st.size} ${st.mtimeMs}`)
      if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return rows.join("\n")
}

/** A RepoFs that records every path the resolver reads (kind, readText, entries, realpath). */
const recordingRepoFs = (log: Array<string>) =>
  Layer.effect(
    RepoFs,
    Effect.map(RepoFs, (inner) =>
      RepoFs.of({
        kind: (p) => Effect.zipRight(Effect.sync(() => log.push(`kind ${p}`)), inner.kind(p)),
        readText: (p, o) => Effect.zipRight(Effect.sync(() => log.push(`readText ${p}`)), inner.readText(p, o)),
        readBytes: (p, o) => Effect.zipRight(Effect.sync(() => log.push(`readBytes ${p}`)), inner.readBytes(p, o)),
        signature: (p) => Effect.zipRight(Effect.sync(() => log.push(`signature ${p}`)), inner.signature(p)),
        entries: (p) => Effect.zipRight(Effect.sync(() => log.push(`entries ${p}`)), inner.entries(p)),
        realpath: (p) => Effect.zipRight(Effect.sync(() => log.push(`realpath ${p}`)), inner.realpath(p)),
        readChunks: (p, o, v) => Effect.zipRight(Effect.sync(() => log.push(`readChunks ${p}`)), inner.readChunks(p, o, v))
      }))
  )

const readsOf = async (req: ContextRequest): Promise<{ outcome: Outcome; reads: Array<string> }> => {
  const reads: Array<string> = []
  const recording: Provider = (eff) => eff.pipe(Effect.provide(recordingRepoFs(reads)), Effect.provide(settingsFixed()))
  const outcome = await resolveOutcome(req, recording)
  return { outcome, reads }
}

const duplicates = (xs: ReadonlyArray<string>) => [...new Set(xs.filter((x, i) => xs.indexOf(x) !== i))]

// ---------------------------------------------------------------------------------------------

describe("§13 action coverage", () => {
  it("the ratchet's requests cover every action of the spec, in the spec's order", () => {
    assert.deepStrictEqual([...ACTIONS], [...SPEC_ACTIONS])
    assert.strictEqual(REQUESTS.length, 9 + 2 * 4)
  })
})

describe("F1 lanes: plain stale lane, sparse lane, no target_branch", () => {
  const f = keep(buildF1())

  it("the fixture is stale and sparse (otherwise parity would pass vacuously)", () => {
    const authority = lanesOf(read(path.join(f.primaryDir, "status.events.jsonl")))
    const laneCopy = lanesOf(read(path.join(f.laneAMissionDir, "status.events.jsonl")))
    assert.deepStrictEqual(authority, { WP01: "for_review", WP02: "planned", WP03: "planned" })
    assert.deepStrictEqual(laneCopy, { WP01: "planned", WP02: "planned", WP03: "planned" })
    assert.isFalse(fs.existsSync(path.join(f.laneBMissionDir, "status.events.jsonl")))
    assert.isFalse(fs.existsSync(path.join(f.laneBMissionDir, "status.json")))
    assert.isTrue(fs.existsSync(path.join(f.laneBMissionDir, "meta.json")))
    assert.notInclude(read(path.join(f.primaryDir, "meta.json")), "target_branch")
  })

  it("every action, every CWD: identical contexts; kind primary, destination main; WP workspaces", async () => {
    await ratchet(f1Cwds(f), f.mission.slug, f.root, lanesExpected(f1Facts(f), F1_AUTO))
  })

  it("R-RES-3: resolving every action from every CWD writes nothing (work trees and .git unchanged)", async () => {
    const before = treeState(f.root)
    await resolveMatrix(f1Cwds(f), "01jzpart")
    assert.strictEqual(treeState(f.root), before)
  })

  it("R-RES-4 / R-META-1: each input read at most once; nothing read from a lane's copy of the mission", async () => {
    for (const cwd of [f.laneA, f.laneB, f.root]) {
      for (const req of [{ action: "implement" }, { action: "review", wp_id: "WP01" }, { action: "status" }]) {
        const { outcome, reads } = await readsOf({ cwd, mission: "01jzpart", ...req })
        assert.isTrue(outcome.ok, canon(outcome))
        const fileReads = reads.filter((r) => r.startsWith("readText ") || r.startsWith("entries "))
        assert.deepStrictEqual(duplicates(fileReads), [], `${cwd} ${req.action}: read twice`)
        assert.strictEqual(fileReads.filter((r) => r === `readText ${path.join(f.primaryDir, "meta.json")}`).length, 1)
        const inLanes = fileReads.filter((r) => r.includes(`/.worktrees/`) && r.includes("/kitty-specs"))
        assert.deepStrictEqual(inLanes, [], `${cwd} ${req.action}: read a lane copy`)
      }
    }
  })

  it("R-ROOT-1: SPECIFY_REPO_ROOT pointing at a lane is folded like any CWD", async () => {
    const viaEnv: Provider = (eff) => eff.pipe(Effect.provide(settingsFixed({ SPECIFY_REPO_ROOT: f.laneA })))
    const fromLaneEnv = await resolveOutcome({ cwd: f.laneB, mission: f.mission.slug, action: "implement" }, viaEnv)
    const fromPrimary = await resolveOutcome({ cwd: f.root, mission: f.mission.slug, action: "implement" })
    assert.strictEqual(canon(fromLaneEnv), canon(fromPrimary))
  })
})

describe("F1b: the primary checkout on another branch", () => {
  const f = keep(buildF1b())

  it("target_branch stays main from every CWD (never a checkout's HEAD)", async () => {
    assert.strictEqual(git(f.root, ["rev-parse", "--abbrev-ref", "HEAD"], f.env), "feat/elsewhere")
    await ratchet(f1Cwds(f), f.mission.slug, f.root, lanesExpected(f1Facts(f), F1_AUTO))
  })
})

describe("F3 flattened", () => {
  const f: FlatFixture = keep(buildF3())
  const facts: MissionFacts = {
    root: f.root,
    mission: f.mission,
    topology: { value: "single_branch", source: "stored" },
    target: "main",
    kind: "flattened",
    coordBranch: null,
    coordWorktree: null,
    featureDir: f.primaryDir,
    statusDir: f.primaryDir,
    coordState: "NOT_APPLICABLE"
  }
  const lanesMissing: Expected = {
    ok: false,
    code: "LANES_MANIFEST_INVALID",
    details: { path: path.join(f.primaryDir, "lanes.json"), reason: "missing" }
  }
  const expected = (r: Req): Expected => {
    if (r.action !== "implement" && r.action !== "review") return contextFor(facts, r.action, null)
    if (r.wp === "WP03") return contextFor(facts, r.action, planningWp(facts))
    if (r.wp === null && r.action === "review") return { ok: false, code: "WORK_PACKAGE_UNRESOLVED", details: { wp_id: null } }
    return lanesMissing
  }

  it("kind flattened, no coordination, read = write = primary dir, destination main", async () => {
    assert.strictEqual(git(f.root, ["rev-parse", "--abbrev-ref", "HEAD"], f.env), "fixups/stabilization")
    assert.strictEqual(git(f.root, ["for-each-ref", "refs/heads/kitty"], f.env), "")
    await ratchet({ "primary root": f.root, "deep primary subdir": f.deepSubdir }, f.mission.slug, f.root, expected)
  })
})

describe("F2 coord (lanes_with_coord)", () => {
  it("MATERIALIZED: read = write = the coord mission dir, kind coordination, from every CWD", async () => {
    const f = keep(buildF2("MATERIALIZED"))
    const main = lanesOf(read(path.join(f.primaryDir, "status.events.jsonl")))
    const coord = lanesOf(read(path.join(f.coordDir, "status.events.jsonl")))
    assert.notDeepEqual(main, coord, "the coordination branch's log must differ from main's")
    const m = await ratchet(f2Cwds(f), f.mission.slug, f.root, lanesExpected(f2Facts(f), F1_AUTO))
    for (const row of Object.values(m)) {
      const c = row.status as Extract<Outcome, { ok: true }>
      const s = (c.context.status_surface as Record<string, string>).status_read_dir
      assert.strictEqual(s.split("/").filter((x) => x === ".worktrees").length, 1)
    }
  })

  for (const variant of ["UNMATERIALIZED-local", "UNMATERIALIZED-remote"] as const) {
    it(`${variant}: read = write = the primary dir, coord_state UNMATERIALIZED`, async () => {
      const f = keep(buildF2(variant))
      assert.isFalse(fs.existsSync(f.coordRoot))
      await ratchet(f2Cwds(f), f.mission.slug, f.root, lanesExpected(f2Facts(f), { implement: "WP01", review: null }))
    })
  }

  const failing: ReadonlyArray<readonly [F2Variant, (f: CoordFixture) => Expected]> = [
    ["EMPTY", (f) => ({
      ok: false,
      code: "STATUS_READ_PATH_NOT_FOUND",
      details: { coord_candidate: f.coordDir, primary_candidate: f.primaryDir, reason: "coord_dir_missing" }
    })],
    ["DELETED", (f) => ({
      ok: false,
      code: "COORDINATION_BRANCH_DELETED",
      details: { branch: F2_COORD_BRANCH, coord_candidate: f.coordDir, primary_candidate: f.primaryDir }
    })],
    ["MISMATCH", (f) => ({
      ok: false,
      code: "COORDINATION_WORKTREE_BRANCH_MISMATCH",
      details: { path: f.coordRoot, expected: `refs/heads/${F2_COORD_BRANCH}`, actual: `refs/heads/${f.otherBranch}` }
    })]
  ]
  for (const [variant, error] of failing) {
    it(`${variant}: every action fails with the same code and details from every CWD`, async () => {
      const f = keep(buildF2(variant))
      const m = await ratchet(f2Cwds(f), f.mission.slug, f.root, () => error(f))
      const details = (m["primary root"].status as Extract<Outcome, { ok: false }>).details
      const required = (error(f) as { details: object }).details
      assert.deepStrictEqual(Object.keys(details).sort(), Object.keys(required).sort(), "exactly the §14 details")
    })
  }
})

describe("F4 pointers: relative gitdir, submodule-style dir, husk", () => {
  const f = keep(buildF4())

  it("the fixture's pointers are what they claim", () => {
    assert.match(read(path.join(f.relativeWorktree, ".git")), /^gitdir: \.\.\/\.\.\/\.git\/worktrees\//)
    assert.isFalse(fs.existsSync(path.join(f.husk, ".git")))
    assert.isFalse(fs.existsSync(path.join(f.root, ".git", "modules", "sub", "commondir")))
  })

  // F1's own CWDs are the F1 block's; here the primary root is the reference for the pointer cases.
  it("every CWD folds to the primary checkout; contexts identical", async () => {
    await ratchet(
      {
        "primary root": f.root,
        "relative-pointer worktree root": f.relativeWorktree,
        "relative-pointer worktree subdir": f.relativeWorktreeSubdir,
        "husk": f.husk,
        "husk's stale mission dir": f.huskMissionDir,
        "submodule-style dir": f.submoduleDir
      },
      f.mission.slug,
      f.root,
      lanesExpected(f1Facts(f), F1_AUTO)
    )
  })
})

describe("F5 handle matrix", () => {
  const f = keep(buildF5())
  const cwds = { "primary root": f.root, "plain lane root": f.laneA, "sparse lane root": f.laneB }
  const resolveFrom = async (handle: string | undefined): Promise<Record<string, Outcome>> => {
    const rows: Record<string, Outcome> = {}
    for (const [label, cwd] of Object.entries(cwds)) {
      rows[label] = await resolveOutcome({ cwd, ...(handle === undefined ? {} : { mission: handle }), action: "status" })
    }
    return rows
  }
  const uniform = (rows: Record<string, Outcome>): Outcome => {
    const values = Object.values(rows)
    for (const v of values) assert.strictEqual(canon(v), canon(values[0]), "handle results differ across CWDs")
    return values[0]
  }

  const forms: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    [f.mission.slug, [f.mission.missionId, "01JZPART", "01jzpart", "01jzpartest0000000000000a1", "parity-mission"]],
    [F5_MISSIONS.legacy.slug, [F5_MISSIONS.legacy.missionId, "01JZ0340", "01jz0340", "legacy-mission", "034"]],
    [
      F5_MISSIONS.backfilled.slug,
      [F5_MISSIONS.backfilled.missionId, "01JZ0830", "01jz0830", "my-feature-01JZ0830", "my-feature"]
    ],
    [F5_MISSIONS.noIdentity.slug, ["no-identity", "035"]],
    [F5_MISSIONS.alpha.slug, ["alpha"]],
    [F5_MISSIONS.beta.slug, ["beta"]]
  ]

  for (const [dir, handles] of forms) {
    it(`${dir}: every applicable handle form yields the full-dir-name context`, async () => {
      const reference = uniform(await resolveFrom(dir))
      assert.isTrue(reference.ok, canon(reference))
      assert.strictEqual((reference as { context: Record<string, unknown> }).context.mission_slug, dir)
      for (const h of handles) {
        const o = uniform(await resolveFrom(h))
        assert.strictEqual(canon(o), canon(reference), `handle ${JSON.stringify(h)}`)
      }
      assert.strictEqual(canon(uniform(await resolveFrom(dir))), canon(reference), "second run differs")
    })
  }

  it("035-no-identity gets the deterministic legacy sentinel", async () => {
    const o = uniform(await resolveFrom("035-no-identity"))
    assert.isTrue(o.ok)
    assert.deepStrictEqual((o as { context: Record<string, unknown> }).context.identity, {
      mission_id: "legacy-035-no-identity",
      mid8: "legacy-0",
      mission_slug: "035-no-identity"
    })
  })

  it("id handles never yield a legacy identity", async () => {
    for (const h of ["01JZ0340", "01JZ0830", "01jzpart"]) {
      const o = uniform(await resolveFrom(h))
      assert.isTrue(o.ok)
      const identity = (o as { context: Record<string, Record<string, string>> }).context.identity
      assert.notMatch(identity.mission_id, /^legacy-/)
    }
  })

  it("083 is ambiguous between the three 083- missions", async () => {
    const o = uniform(await resolveFrom("083"))
    assert.isFalse(o.ok)
    const e = o as Extract<Outcome, { ok: false }>
    assert.strictEqual(e.code, "MISSION_AMBIGUOUS_SELECTOR")
    assert.strictEqual(e.details.handle, "083")
    assert.deepStrictEqual(e.details.candidates, ["083-alpha", "083-beta", "083-my-feature-01JZ0830"])
  })

  for (const h of ["34", "01JZ034", "01JZ03400", "01JZPARTE", "no-such-mission"]) {
    it(`${JSON.stringify(h)} does not resolve: FEATURE_CONTEXT_UNRESOLVED`, async () => {
      const o = uniform(await resolveFrom(h))
      assert.isFalse(o.ok)
      const e = o as Extract<Outcome, { ok: false }>
      assert.strictEqual(e.code, "FEATURE_CONTEXT_UNRESOLVED")
      assert.strictEqual(e.details.handle, h)
      assert.deepStrictEqual(e.details.available_missions, [
        "034-legacy-mission",
        "035-no-identity",
        "083-alpha",
        "083-beta",
        "083-my-feature-01JZ0830",
        "parity-mission-01JZPART"
      ])
    })
  }

  it("a missing handle: from the primary FEATURE_CONTEXT_UNRESOLVED listing the candidates; from a lane its mission", async () => {
    const rows = await resolveFrom(undefined)
    const primary = rows["primary root"] as Extract<Outcome, { ok: false }>
    assert.isFalse(primary.ok)
    assert.strictEqual(primary.code, "FEATURE_CONTEXT_UNRESOLVED")
    assert.strictEqual(primary.details.handle, null)
    assert.include(primary.details.available_missions as Array<string>, f.mission.slug)
    const reference = uniform(await resolveFrom(f.mission.slug))
    for (const lane of ["plain lane root", "sparse lane root"]) {
      assert.strictEqual(canon(rows[lane]), canon(reference), `${lane}: the lane branch names the mission`)
    }
  })

  for (const h of ["../evil", " x", ".hidden", "a/b", "x ", "wp\\01"]) {
    it(`${JSON.stringify(h)} is rejected before any path exists: INVALID_MISSION_HANDLE`, async () => {
      const o = uniform(await resolveFrom(h))
      assert.isFalse(o.ok)
      const e = o as Extract<Outcome, { ok: false }>
      assert.strictEqual(e.code, "INVALID_MISSION_HANDLE")
      assert.strictEqual(e.details.handle, h)
      assert.isString(e.details.reason)
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Status reads and writes from a lane go to the canonical surface.

const claim = (wp: string): TransitionRequest => ({
  wpId: wp,
  to: "claimed",
  actor: "parity-tester",
  force: false,
  reason: null,
  reviewRef: null,
  evidence: null,
  reviewResult: null,
  executionMode: "worktree",
  workspaceContext: null,
  subtasksComplete: null,
  implementationEvidencePresent: null,
  policyMetadata: null
})

const emitFrom = (cwd: string, mission: string, wp: string) =>
  run(Effect.gen(function*() {
    const target = yield* resolveStatusTarget({ cwd, mission })
    const status = yield* MissionStatus
    const outcome = yield* status.transition(target, claim(wp))
    return { target, outcome }
  }))

const snapshotFrom = (cwd: string, mission: string) =>
  run(Effect.gen(function*() {
    const target = yield* resolveStatusTarget({ cwd, mission })
    const status = yield* StatusReader
    return yield* status.snapshot(target)
  }))

describe("status facade from lane worktrees writes and reads the canonical surface", () => {
  it("F1: an emit from the plain lane (mid8 handle) lands in the primary log; lane copies untouched", async () => {
    const f = keep(buildF1())
    const laneLog = path.join(f.laneAMissionDir, "status.events.jsonl")
    const laneSnapshot = path.join(f.laneAMissionDir, "status.json")
    const primaryLog = path.join(f.primaryDir, "status.events.jsonl")
    const laneBefore = [read(laneLog), read(laneSnapshot)]
    const primaryBefore = read(primaryLog)

    const { outcome, target } = await emitFrom(f.laneA, "01jzpart", "WP02")
    assert.strictEqual(target.statusDir, f.primaryDir)
    assert.strictEqual(outcome.statusEventsPath, primaryLog)
    assert.deepStrictEqual([read(laneLog), read(laneSnapshot)], laneBefore, "the lane copy's bytes changed")
    assert.strictEqual(git(f.laneA, ["status", "--porcelain"], f.env), "")
    const primaryAfter = read(primaryLog)
    assert.isTrue(primaryAfter.startsWith(primaryBefore))
    const added = primaryAfter.slice(primaryBefore.length).trim().split("\n")
    assert.strictEqual(added.length, 1)
    const row = JSON.parse(added[0]) as Record<string, unknown>
    assert.deepInclude(row, {
      wp_id: "WP02",
      from_lane: "planned",
      to_lane: "claimed",
      mission_slug: f.mission.slug,
      mission_id: f.mission.missionId
    })

    // a second emit from the sparse lane: its status files stay absent, the authority is read (no genesis)
    await emitFrom(f.laneB, f.mission.slug, "WP03")
    assert.isFalse(fs.existsSync(path.join(f.laneBMissionDir, "status.events.jsonl")))
    assert.isFalse(fs.existsSync(path.join(f.laneBMissionDir, "status.json")))
    const fromSparse = await snapshotFrom(f.laneB, f.mission.slug)
    const fromPrimary = await snapshotFrom(f.root, "parity-mission")
    assert.strictEqual(canon(fromSparse), canon(fromPrimary))
    const wps = fromPrimary.work_packages as Record<string, { lane: string }>
    assert.deepStrictEqual(
      Object.fromEntries(Object.entries(wps).map(([k, v]) => [k, v.lane])),
      { WP01: "for_review", WP02: "claimed", WP03: "claimed" }
    )
  })

  it("F2 MATERIALIZED: an emit from the sparse lane lands in the coord worktree's log, not main's", async () => {
    const f = keep(buildF2("MATERIALIZED"))
    const coordLog = path.join(f.coordDir, "status.events.jsonl")
    const primaryLog = path.join(f.primaryDir, "status.events.jsonl")
    const coordBefore = read(coordLog)
    const primaryBefore = read(primaryLog)
    const { outcome, target } = await emitFrom(f.laneA, "01JZCRDM", "WP02")
    assert.strictEqual(target.statusDir, f.coordDir)
    assert.strictEqual(outcome.statusEventsPath, coordLog)
    assert.strictEqual(read(primaryLog), primaryBefore, "the primary copy must not be written under coordination")
    assert.strictEqual(read(coordLog).split("\n").length, coordBefore.split("\n").length + 1)
    assert.isFalse(fs.existsSync(path.join(f.laneAMissionDir, "status.events.jsonl")))
    const fromLane = await snapshotFrom(f.laneA, f.mission.slug)
    const fromCoord = await snapshotFrom(f.coordRoot, f.mission.slug)
    assert.strictEqual(canon(fromLane), canon(fromCoord))
  })
})

// ---------------------------------------------------------------------------------------------
// §11 step 2, deliberate difference: the lane of a WP for auto-pick is its lane in the status fold (the
// same lane `status show` reports), not "the to_lane of its last transition in file order". The spec's
// lenient rule would let auto-pick disagree with the board whenever file order and (at, event_id) order
// differ, which real logs do (spec-kitty's merge driver re-sorts them).

describe("§11 auto-pick agrees with the status fold", () => {
  it("a reopen row whose timestamp sorts earlier does not move the WP (fold order, as status show)", async () => {
    const f = keep(buildF1())
    const m = f.mission
    const log = path.join(f.primaryDir, "status.events.jsonl")
    fs.appendFileSync(
      log,
      transitionLine(m, 0, { wp: "WP01", from: "for_review", to: "planned", force: true, reason: "reopen" }) + "\n"
    )
    const o = await resolveOutcome({ cwd: f.root, mission: m.slug, action: "implement" })
    assert.isTrue(o.ok, canon(o))
    const snapshot = (await snapshotFrom(f.root, m.slug)) as { work_packages: Record<string, { lane: string }> }
    const firstPlanned = Object.keys(snapshot.work_packages).sort().find((wp) => snapshot.work_packages[wp].lane === "planned")
    assert.strictEqual(snapshot.work_packages.WP01.lane, "for_review")
    assert.strictEqual(((o as { context: Record<string, Record<string, string>> }).context.work_package).wp_id, firstPlanned)
  })
})

describe("§11 step 2: the lenient log reading of auto-pick", () => {
  const withExtraLines = async (lines: ReadonlyArray<string>) => {
    const f = keep(buildF1())
    fs.appendFileSync(path.join(f.primaryDir, "status.events.jsonl"), lines.join("\n") + "\n")
    return { f, o: await resolveOutcome({ cwd: f.laneA, mission: f.mission.slug, action: "implement" }) }
  }
  const pickedOf = (o: Outcome) => (o as { context: Record<string, Record<string, string>> }).context.work_package.wp_id

  it("blank lines and envelope events are skipped", async () => {
    const { o } = await withExtraLines(["", "   ", pyJson({ event_type: "retrospective.started", payload: {} })])
    assert.isTrue(o.ok, canon(o))
    assert.strictEqual(pickedOf(o), "WP02")
  })

  it("a line that is not a JSON object: CANONICAL_STATUS_UNREADABLE with path and line", async () => {
    const { f, o } = await withExtraLines(["", "[1, 2]"])
    assert.isFalse(o.ok)
    const e = o as Extract<Outcome, { ok: false }>
    assert.strictEqual(e.code, "CANONICAL_STATUS_UNREADABLE")
    assert.deepStrictEqual(e.details, { path: path.join(f.primaryDir, "status.events.jsonl"), line: 6 })
  })

  // Deliberate difference: auto-pick reads the log through the one status facade and its strict
  // reader, so a row every status command rejects is rejected here too (never silently skipped).
  it("a JSON object that is not a valid row is refused with the reader's message", async () => {
    const { f, o } = await withExtraLines([pyJson({ note: "hand-written annotation" })])
    assert.isFalse(o.ok)
    const e = o as Extract<Outcome, { ok: false }>
    assert.strictEqual(e.code, "CANONICAL_STATUS_UNREADABLE")
    assert.strictEqual(e.details.path, path.join(f.primaryDir, "status.events.jsonl"))
    assert.isAbove(Number(e.details.line), 0)
  })

  it("a record with only wp_id and to_lane is refused as well", async () => {
    const { o } = await withExtraLines([pyJson({ to_lane: "in_progress", wp_id: "WP02" })])
    assert.isFalse(o.ok)
    assert.strictEqual((o as Extract<Outcome, { ok: false }>).code, "CANONICAL_STATUS_UNREADABLE")
  })
})

// ---------------------------------------------------------------------------------------------
// §16.5 non-vacuity proofs.

describe("§16.5 N-1, N-2: divergent lane copies change nothing", () => {
  const f = keep(buildF1())
  const cwds = f1Cwds(f)
  let baseline: Matrix

  it("baseline", async () => {
    baseline = await resolveMatrix(cwds, f.mission.slug)
    assert.deepStrictEqual(parityMismatches(baseline), [])
  })

  it("N-1: divergent events in the plain lane's log reduce differently; the surface is the authority's", async () => {
    const laneLog = path.join(f.laneAMissionDir, "status.events.jsonl")
    const m = f.mission
    fs.appendFileSync(
      laneLog,
      [
        transitionLine(m, 20, { wp: "WP01", from: "planned", to: "done", force: true, reason: "decoy" }),
        transitionLine(m, 21, { wp: "WP02", from: "planned", to: "for_review", force: true, reason: "decoy" })
      ].join("\n") + "\n"
    )
    const authority = lanesOf(read(path.join(f.primaryDir, "status.events.jsonl")))
    const lane = lanesOf(read(laneLog))
    assert.notDeepEqual(lane, authority, "the injection must make the lane copy reduce to other lanes")
    const after = await ratchet(cwds, f.mission.slug, f.root, lanesExpected(f1Facts(f), F1_AUTO))
    assert.strictEqual(canon(after), canon(baseline))
    for (const [label, row] of Object.entries(after)) {
      const surface = (row.status as { context: Record<string, Record<string, string>> }).context.status_surface
      assert.isFalse(surface.status_read_dir.startsWith(f.laneA + "/"), `${label}: status read inside the lane`)
      assert.deepStrictEqual(lanesOf(read(path.join(surface.status_read_dir, "status.events.jsonl"))), authority, label)
    }
  })

  it("N-2: a divergent meta.json in the lane copies leaves every context unchanged", async () => {
    const decoy = sortedJsonFile({
      coordination_branch: "kitty/mission-lane-decoy",
      mission_id: "01JZDECY000000000000000000",
      mission_slug: f.mission.slug,
      target_branch: "lane-decoy",
      topology: "lanes_with_coord"
    })
    fs.writeFileSync(path.join(f.laneAMissionDir, "meta.json"), decoy)
    fs.writeFileSync(path.join(f.laneBMissionDir, "meta.json"), decoy)
    const after = await ratchet(cwds, f.mission.slug, f.root, lanesExpected(f1Facts(f), F1_AUTO))
    assert.strictEqual(canon(after), canon(baseline))
  })
})

describe("§16.5 N-3, N-4: decoys in and under the coordination worktree", () => {
  const f = keep(buildF2("MATERIALIZED"))
  const expected = lanesExpected(f2Facts(f), F1_AUTO)
  let baseline: Matrix

  it("baseline", async () => {
    baseline = await resolveMatrix(f2Cwds(f), f.mission.slug)
    assert.deepStrictEqual(parityMismatches(baseline), [])
  })

  it("N-3: a coord meta.json without coordination_branch keeps kind coordination and the real mission_id", async () => {
    fs.writeFileSync(
      path.join(f.coordDir, "meta.json"),
      sortedJsonFile({ flattened: true, mission_slug: f.mission.slug, slug: f.mission.slug, topology: "single_branch" })
    )
    const after = await ratchet(f2Cwds(f), f.mission.slug, f.root, expected)
    assert.strictEqual(canon(after), canon(baseline))
    for (const row of Object.values(after)) {
      const c = (row.status as { context: Record<string, Record<string, unknown>> }).context
      assert.strictEqual((c.branch_ref.destination_ref as { kind: string }).kind, "coordination")
      assert.strictEqual(c.identity.mission_id, f.mission.missionId)
    }
  })

  it("N-4: a nested .worktrees/<…>-coord decoy inside the coord worktree is not picked", async () => {
    const nestedRoot = path.join(f.coordRoot, ".worktrees", `${f.mission.slug}-coord`)
    const nestedDir = path.join(nestedRoot, "kitty-specs", f.mission.slug)
    fs.mkdirSync(path.join(nestedDir, "tasks"), { recursive: true })
    fs.writeFileSync(
      path.join(nestedDir, "status.events.jsonl"),
      transitionLine(f.mission, 30, { wp: "WP02", from: "planned", to: "done", force: true, reason: "decoy" }) + "\n"
    )
    fs.writeFileSync(path.join(nestedDir, "meta.json"), read(path.join(f.primaryDir, "meta.json")))
    const cwds = { ...f2Cwds(f), "nested decoy root": nestedRoot, "nested decoy mission dir": nestedDir }
    const after = await ratchet(cwds, f.mission.slug, f.root, expected)
    assert.strictEqual(canon(after["coord worktree root"]), canon(baseline["coord worktree root"]))
    for (const row of Object.values(after)) {
      const c = (row.status as { context: Record<string, Record<string, string>> }).context
      assert.strictEqual(c.status_surface.status_read_dir, f.coordDir)
      assert.strictEqual(c.workspace.coord_worktree.split("/").filter((x) => x === ".worktrees").length, 1)
    }
  })
})

describe("§16.5 N-5: fault injection, a root discovery that does not fold", () => {
  const f = keep(buildF1())
  const cwds = f1Cwds(f)
  const expected = lanesExpected(f1Facts(f), F1_AUTO)

  it("the live layers pass the parity and absolute checks on this fixture", async () => {
    const m = await resolveMatrix(cwds, f.mission.slug)
    assert.deepStrictEqual(parityMismatches(m), [])
    assert.deepStrictEqual(expectationMismatches(m, f.root, expected), [])
  })

  it("meta-test: with the non-folding discovery, parity and absolute assertions fail", async () => {
    const m = await resolveMatrix(cwds, f.mission.slug, nonFolding)
    const parity = parityMismatches(m)
    const absolute = expectationMismatches(m, f.root, expected)
    assert.isAbove(parity.length, 0, "a resolver that does not fold must break parity")
    assert.isAbove(absolute.length, 0)
    assert.isTrue(parity.some((x) => x.includes("plain lane root")))
    assert.isTrue(parity.some((x) => x.includes("sparse lane root")))
    // and the primary CWD alone is unaffected: the fault is exactly "trusting the CWD's checkout"
    assert.strictEqual(canon(m["primary root"]), canon((await resolveMatrix({ p: f.root }, f.mission.slug)).p))
    // the broken resolver reads the stale copy: from the plain lane, auto-pick sees WP01 still planned
    const lane = m["plain lane root"]["implement:auto"] as { context: Record<string, Record<string, string>> }
    assert.strictEqual(lane.context.workspace.primary_root, f.laneA)
    assert.strictEqual(lane.context.work_package.wp_id, "WP01")
  })
})

// ---------------------------------------------------------------------------------------------
// N-6: every entry point triggers exactly one resolveContext span.

const SPAN = "kittyctx.resolveContext"

const countingSpans = <A, E, R>(eff: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const names: Array<string> = []
    const base = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        names.push(name)
        return base.span(name, parent, context, links, startTime, kind, options)
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    const exit = yield* Effect.exit(Effect.withTracer(eff, tracer))
    return { exit, spans: names.filter((n) => n === SPAN).length }
  })

/** Runs the CLI command tree in process (stdout captured), as the binary does, with a fixed Cwd. */
const cliInProcess = (cwd: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const base = yield* Effect.console
    const capture: Console.Console = {
      ...base,
      log: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void out.push(xs.map(String).join(" "))),
      error: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void out.push(xs.map(String).join(" ")))
    }
    yield* Effect.exit(Console.withConsole(runCliInProcess(["node", "kittyctx", ...args]), capture)).pipe(
      Effect.provideService(Cwd, cwd)
    )
    return out
  })

describe("§16.5 N-6: spy on the one resolver", () => {
  const f = keep(buildF1())
  const req = { cwd: f.laneB, mission: "01JZPART" }

  const spansOf = <A, E>(eff: Effect.Effect<A, E, ResolveRequirements>) =>
    run(countingSpans(eff)).then((r) => r.spans)

  it("resolveContext, resolvePlacement, resolveStatusSurface, resolveStatusTarget: one span each", async () => {
    assert.strictEqual(await spansOf(resolveContext({ ...req, action: "implement", wp_id: "WP01" })), 1)
    assert.strictEqual(await spansOf(resolveContext({ ...req, action: "review" })), 1)
    assert.strictEqual(await spansOf(resolvePlacement(req)), 1)
    assert.strictEqual(await spansOf(resolveStatusSurface(req)), 1)
    assert.strictEqual(await spansOf(resolveStatusTarget(req)), 1)
    assert.strictEqual(await spansOf(resolveContext({ ...req, mission: "no-such-mission" })), 1)
  })

  it("projections equal the full context's fragments", async () => {
    const [ctx, placement, surface] = await run(
      Effect.all([resolveContext(req), resolvePlacement(req), resolveStatusSurface(req)])
    )
    assert.deepStrictEqual(placement, ctx.artifact_placement.placement_ref)
    assert.deepStrictEqual(surface, ctx.status_surface)
  })

  it("every CLI command triggers exactly one resolution", async () => {
    const commands: ReadonlyArray<ReadonlyArray<string>> = [
      ["context", "resolve", "--mission", "01JZPART", "--json"],
      ["context", "resolve", "--mission", "01JZPART", "--action", "implement", "--json"],
      ["context", "explain", "--mission", "01JZPART", "--json"],
      ["status", "show", "--mission", "01JZPART", "--json"],
      ["status", "emit", "WP02", "--to", "claimed", "--actor", "spy", "--mission", "01JZPART", "--json"],
      ["status", "materialize", "--mission", "01JZPART", "--json"],
      ["status", "validate", "--mission", "01JZPART", "--json"]
    ]
    for (const args of commands) {
      const { exit, spans } = await runtime.runPromise(countingSpans(cliInProcess(f.laneB, args)))
      assert.isTrue(Exit.isSuccess(exit), args.join(" "))
      assert.strictEqual(spans, 1, args.join(" "))
    }
  })

  it("the spy can fail: a program resolving twice counts two", async () => {
    assert.strictEqual(await spansOf(Effect.zip(resolveContext(req), resolvePlacement(req))), 2)
  })
})
