/**
 * The CLI contract of `kittyctx context resolve|explain` (docs/execution-context.md §15.2, R-CLI-1/2,
 * R-ERR-2/4) run as a real process from every CWD of F1 and F2-MATERIALIZED, and the number of git
 * subprocesses one resolution spawns. `npm test` builds dist/ first; run `npm run build` before
 * running this file alone.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, ManagedRuntime, Option } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { contextToJson } from "../../src/core/context/ExecutionContext.js"
import { MainLayer } from "../../src/services/MainLayer.js"
import { resolveContext } from "../../src/services/context/ResolveContext.js"
import { layerFixed as settingsFixed } from "../../src/services/ports/Settings.js"
import { buildF1, buildF2 } from "../support/fixtures.js"
import type { CoordFixture, Fixture, LanesFixture } from "../support/fixtures.js"
import { CLI, isolatedEnv, runCli, runCliAsync } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"

const built: Array<Fixture> = []
const keep = <F extends Fixture>(f: F): F => {
  built.push(f)
  return f
}
const runtime = ManagedRuntime.make(MainLayer)

beforeAll(() => {
  if (!fs.existsSync(CLI)) {
    execFileSync(process.execPath, ["scripts/build.mjs"], {
      cwd: fileDir("../.."),
      stdio: "ignore"
    })
  }
})
afterAll(async () => {
  for (const f of built) f.cleanup()
  await runtime.dispose()
})

function fileDir(rel: string): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), rel)
}

/** Runs CLI processes with at most `limit` at a time, results in input order. */
const pool = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<B>): Promise<Array<B>> => {
  const out: Array<B> = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

type Json = Record<string, unknown>

/** stdout of a `--json` run: exactly one line holding one JSON object. */
const jsonOf = (r: CliRun): Json => {
  assert.match(r.stdout, /^[^\n]+\n$/, `stdout must be one JSON line, got ${JSON.stringify(r.stdout)}`)
  return JSON.parse(r.stdout) as Json
}

const withoutCwd = (ctx: Json): Json => {
  const { current_cwd: _c, ...workspace } = ctx.workspace as Json
  return { ...ctx, workspace }
}

// Every action from every CWD is the library ratchet's job (test/services/parity.ratchet.test.ts); the
// process contract needs a mission-level action, an explicit WP and an auto-pick (which reads the log).
const REQUESTS: ReadonlyArray<ReadonlyArray<string>> = [
  [],
  ["--action", "implement", "--wp", "WP01"],
  ["--action", "review"]
]

const f1Cwds = (f: LanesFixture) => [
  f.root,
  f.deepSubdir,
  f.laneA,
  path.join(f.laneAMissionDir, "tasks"),
  f.laneB,
  f.laneBMissionDir
]

const f2Cwds = (f: CoordFixture) => [
  f.root,
  f.deepSubdir,
  f.coordRoot,
  path.join(f.coordDir, "tasks"),
  f.laneA,
  f.laneAMissionDir
]

const absolutePaths = (ctx: Json): Array<string> => {
  const ws = ctx.workspace as Json
  const ss = ctx.status_surface as Json
  const wp = ctx.work_package as Json | null
  return [
    ctx.feature_dir,
    ws.primary_root,
    ws.current_cwd,
    ws.allowed_command_cwd,
    ws.coord_worktree,
    ws.execution_workspace,
    ss.status_read_dir,
    ss.status_write_dir,
    (ctx.prompt_source as Json).prompt_source_dir,
    wp?.wp_file
  ].filter((p): p is string => typeof p === "string")
}

/** `context resolve --json` for every request from every CWD: ok, absolute paths, CWD-invariant. */
const resolveEverywhere = async (f: Fixture, mission: string, cwds: ReadonlyArray<string>) => {
  const jobs = cwds.flatMap((cwd) => REQUESTS.map((extra) => ({ cwd, extra })))
  const runs = await pool(jobs, 4, ({ cwd, extra }) =>
    runCliAsync(cwd, ["context", "resolve", "--mission", mission, ...extra, "--json"], isolatedEnv(f.base)))
  const byRequest = new Map<string, Array<string>>()
  runs.forEach((r, i) => {
    const { cwd, extra } = jobs[i]
    assert.strictEqual(r.code, 0, `${cwd} ${extra.join(" ")}: ${r.stdout}${r.stderr}`)
    const out = jsonOf(r)
    assert.deepStrictEqual(Object.keys(out), ["ok", "context"])
    assert.strictEqual(out.ok, true)
    const ctx = out.context as Json
    assert.strictEqual((ctx.workspace as Json).current_cwd, fs.realpathSync(cwd))
    for (const p of absolutePaths(ctx)) {
      assert.isTrue(path.isAbsolute(p) && !p.endsWith("/"), p)
      if (fs.existsSync(p)) assert.strictEqual(fs.realpathSync(p), p)
    }
    const key = extra.join(" ")
    byRequest.set(key, [...(byRequest.get(key) ?? []), JSON.stringify(withoutCwd(ctx))])
  })
  for (const [key, texts] of byRequest) {
    assert.strictEqual(texts.length, cwds.length)
    for (const t of texts) assert.strictEqual(t, texts[0], `request '${key}' differs across CWDs (byte-level, R-CLI-2)`)
  }
  return byRequest
}

/** The library's answer for the same request, in the CLI's JSON form (R-ERR-2: same at every boundary). */
const libraryJson = (cwd: string, mission: string | undefined, action?: string) =>
  runtime.runPromise(
    Effect.exit(
      resolveContext({ cwd, ...(mission === undefined ? {} : { mission }), ...(action === undefined ? {} : { action }) })
    ).pipe(
      Effect.provide(settingsFixed())
    )
  ).then((exit): Json => {
    if (Exit.isSuccess(exit)) return { ok: true, context: JSON.parse(JSON.stringify(contextToJson(exit.value))) as Json }
    const e = Option.getOrThrow(Cause.failureOption(exit.cause))
    return { ok: false, error: { code: e.code, message: e.message, ...e.details } }
  })

describe("context resolve --json from every CWD of F1", () => {
  const f = keep(buildF1())

  it("ok, absolute paths, every field but current_cwd identical across CWDs", async () => {
    const byRequest = await resolveEverywhere(f, f.mission.slug, f1Cwds(f))
    const status = JSON.parse(byRequest.get("")![0]) as Json
    assert.strictEqual((status.workspace as Json).primary_root, f.root)
    assert.deepStrictEqual(status.branch_ref, {
      target_branch: "main",
      coordination_branch: null,
      destination_ref: { ref: "main", kind: "primary" }
    })
    const wp1 = JSON.parse(byRequest.get("--action implement --wp WP01")![0]) as Json
    assert.strictEqual((wp1.workspace as Json).execution_workspace, path.join(f.root, ".worktrees", `${f.mission.slug}-lane-a`))
    const review = JSON.parse(byRequest.get("--action review")![0]) as Json
    assert.strictEqual((review.work_package as Json).wp_id, "WP01", "auto-pick reads the primary log, not a lane copy")
  })

  it("the CLI prints what the library resolves (from a lane)", async () => {
    const args = ["context", "resolve", "--mission", "01jzpart", "--action", "implement", "--json"]
    const cli = jsonOf(runCli(f.laneB, args, isolatedEnv(f.base)))
    assert.deepStrictEqual(cli, await libraryJson(f.laneB, "01jzpart", "implement"))
  })

  it("--cwd is folded like the process CWD", async () => {
    const args = ["context", "resolve", "--mission", f.mission.slug, "--json"]
    const fromFlag = jsonOf(runCli(f.base, [...args, "--cwd", f.laneA], isolatedEnv(f.base)))
    const fromCwd = jsonOf(runCli(f.laneA, args, isolatedEnv(f.base)))
    assert.deepStrictEqual(fromFlag, fromCwd)
  })
})

describe("context resolve --json from every CWD of F2-MATERIALIZED", () => {
  const f = keep(buildF2("MATERIALIZED"))

  it("ok, coordination surface, identical across CWDs", async () => {
    const byRequest = await resolveEverywhere(f, f.mission.slug, f2Cwds(f))
    const status = JSON.parse(byRequest.get("")![0]) as Json
    assert.deepStrictEqual(status.status_surface, {
      status_read_dir: f.coordDir,
      status_write_dir: f.coordDir,
      coord_state: "MATERIALIZED"
    })
    assert.strictEqual(status.feature_dir, f.coordDir)
    assert.strictEqual((status.branch_ref as Json).coordination_branch, "kitty/mission-coord-mission-01JZCRDM")
  })
})

describe("errors: exit 1 and the JSON envelope", () => {
  const f = keep(buildF1())
  const env = () => isolatedEnv(f.base)

  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
    ["unknown mission", ["--mission", "no-such-mission"], "FEATURE_CONTEXT_UNRESOLVED"],
    ["7-character id", ["--mission", "01JZPAR"], "FEATURE_CONTEXT_UNRESOLVED"],
    ["unsafe handle", ["--mission", "../evil"], "INVALID_MISSION_HANDLE"],
    ["unknown WP", ["--mission", "01JZPART", "--action", "implement", "--wp", "WP09"], "WORK_PACKAGE_UNRESOLVED"]
  ]
  for (const [name, args, code] of cases) {
    it(`${name}: ${code}, the same envelope from every CWD and from the library`, async () => {
      const cwds = [f.laneA, f.laneB]
      const runs = await pool(cwds, 2, (cwd) => runCliAsync(cwd, ["context", "resolve", ...args, "--json"], env()))
      const first = jsonOf(runs[0])
      for (const r of runs) {
        assert.strictEqual(r.code, 1, r.stdout + r.stderr)
        assert.deepStrictEqual(jsonOf(r), first)
      }
      assert.deepStrictEqual(Object.keys(first), ["ok", "error"])
      const error = first.error as Json
      assert.deepStrictEqual(Object.keys(error).slice(0, 2), ["code", "message"])
      assert.strictEqual(error.code, code)
      assert.isString(error.message)
      const mission = args[args.indexOf("--mission") + 1]
      const action = args.includes("--action") ? args[args.indexOf("--action") + 1] : undefined
      if (!args.includes("--wp")) {
        assert.deepStrictEqual(first, await libraryJson(f.laneA, args.includes("--mission") ? mission : undefined, action))
      }
    })
  }

  it("without --json: error[CODE]: message on stderr, nothing on stdout", () => {
    const r = runCli(f.laneA, ["context", "resolve", "--mission", "no-such-mission"], env())
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.stdout, "")
    assert.match(r.stderr, /^error\[FEATURE_CONTEXT_UNRESOLVED\]: /)
  })

  it("a malformed command line exits 2", () => {
    const r = runCli(f.root, ["context", "resolve", "--mission", "01JZPART", "--no-such-flag", "--json"], env())
    assert.strictEqual(r.code, 2)
  })

  it("an unknown action is a usage error listing the actions; the library still answers INVALID_ACTION", async () => {
    const r = runCli(f.laneA, ["context", "resolve", "--mission", "01JZPART", "--action", "deploy", "--json"], env())
    assert.strictEqual(r.code, 2, r.stdout + r.stderr)
    const error = jsonOf(r).error as Json
    assert.strictEqual(error.code, "USAGE_ERROR")
    assert.include(error.valid_values as Array<string>, "implement")
    assert.strictEqual(((await libraryJson(f.laneA, "01JZPART", "deploy")).error as Json).code, "INVALID_ACTION")
  })

  it("without --mission the lane worktree's branch names the mission (the same context as with it)", () => {
    const implied = jsonOf(runCli(f.laneA, ["context", "resolve", "--json"], env()))
    const explicit = jsonOf(runCli(f.laneA, ["context", "resolve", "--mission", "01JZPART", "--json"], env()))
    assert.deepStrictEqual(implied, explicit)
  })

  it("F2 failure states: one envelope from every CWD", async () => {
    for (const [variant, code] of [
      ["EMPTY", "STATUS_READ_PATH_NOT_FOUND"],
      ["DELETED", "COORDINATION_BRANCH_DELETED"],
      ["MISMATCH", "COORDINATION_WORKTREE_BRANCH_MISMATCH"]
    ] as const) {
      const g = keep(buildF2(variant))
      const cwds = [g.root, g.laneA, ...(fs.existsSync(g.coordRoot) ? [g.coordRoot] : [])]
      const runs = await pool(cwds, 3, (cwd) =>
        runCliAsync(cwd, ["context", "resolve", "--mission", "01JZCRDM", "--action", "implement", "--json"], isolatedEnv(g.base))
      )
      for (const r of runs) {
        assert.strictEqual(r.code, 1, variant)
        assert.deepStrictEqual(jsonOf(r), jsonOf(runs[0]))
        assert.strictEqual((jsonOf(r).error as Json).code, code)
      }
      assert.deepStrictEqual(jsonOf(runs[0]), await libraryJson(g.root, "01JZCRDM", "implement"))
    }
  })
})

describe("context explain --json", () => {
  const f = keep(buildF2("MATERIALIZED"))

  it("the resolved context plus the provenance of its values", () => {
    const env = isolatedEnv(f.base)
    const args = ["--mission", "01JZCRDM", "--action", "implement", "--json"]
    const explained = jsonOf(runCli(f.laneA, ["context", "explain", ...args], env))
    const resolved = jsonOf(runCli(f.laneA, ["context", "resolve", ...args], env))
    assert.strictEqual(explained.ok, true)
    assert.deepStrictEqual(explained.context, resolved.context)
    const provenance = explained.provenance as Array<Json>
    assert.isArray(provenance)
    const fields = provenance.map((p) => p.field)
    for (
      const field of [
        "workspace.primary_root",
        "identity.mission_slug",
        "identity.mission_id",
        "topology",
        "branch_ref.target_branch",
        "branch_ref.destination_ref",
        "status_surface.status_read_dir",
        "prompt_source.prompt_source_dir",
        "workspace.execution_workspace"
      ]
    ) assert.include(fields, field)
    const ctx = explained.context as Json
    const at = (dotted: string): unknown => dotted.split(".").reduce<unknown>((o, k) => (o as Json)[k], ctx)
    for (const p of provenance) {
      assert.isString(p.source)
      assert.isNotEmpty(p.source as string)
      const expected = p.field === "topology" ? (ctx.topology as Json).value : at(p.field as string)
      assert.deepStrictEqual(p.value, expected, `provenance of ${String(p.field)} disagrees with the context`)
    }
    const surface = provenance.find((p) => p.field === "status_surface.status_read_dir")!
    assert.isNotEmpty(surface.rejected as Array<unknown>)
  })

  it("explains in plain words: no rule ids or section numbers in what a user reads, JSON or text", () => {
    const env = isolatedEnv(f.base)
    const args = ["--mission", "01JZCRDM", "--action", "implement"]
    const json = runCli(f.laneA, ["context", "explain", ...args, "--json"], env)
    const text = runCli(f.laneA, ["context", "explain", ...args], env)
    assert.strictEqual(text.code, 0, text.stderr)
    for (const out of [json.stdout, text.stdout]) {
      assert.notMatch(out, /R-[A-Z]+-\d|§\d/, "a rule id or section number reached the user")
    }
  })
})

describe("status emit / show from lane worktrees (CLI)", () => {
  const f = keep(buildF1())

  it("an emit from the sparse lane writes the primary log; show is identical from every CWD", async () => {
    const env = isolatedEnv(f.base)
    const primaryLog = path.join(f.primaryDir, "status.events.jsonl")
    const laneLog = path.join(f.laneAMissionDir, "status.events.jsonl")
    const laneBefore = fs.readFileSync(laneLog, "utf8")
    const before = fs.readFileSync(primaryLog, "utf8")
    const emitArgs = ["status", "emit", "WP02", "--to", "claimed", "--actor", "cli-tester", "--mission", "01JZPART", "--json"]
    const emit = runCli(f.laneB, emitArgs, env)
    assert.strictEqual(emit.code, 0, emit.stdout + emit.stderr)
    const out = jsonOf(emit)
    assert.strictEqual(out.status_events_path, primaryLog)
    assert.strictEqual(((out.event as Json).mission_slug), f.mission.slug)
    const after = fs.readFileSync(primaryLog, "utf8")
    assert.strictEqual(after.slice(0, before.length), before)
    assert.strictEqual(after.slice(before.length).trim().split("\n").length, 1)
    assert.strictEqual(fs.readFileSync(laneLog, "utf8"), laneBefore)
    assert.isFalse(fs.existsSync(path.join(f.laneBMissionDir, "status.events.jsonl")))
    const showArgs = ["status", "show", "--mission", f.mission.slug, "--json"]
    const shows = await pool([f.root, f.laneA, f.laneB], 3, (cwd) => runCliAsync(cwd, showArgs, env))
    for (const s of shows) {
      assert.strictEqual(s.code, 0, s.stderr)
      assert.strictEqual(s.stdout, shows[0].stdout)
    }
    const lanes = (JSON.parse(shows[0].stdout) as { work_packages: Record<string, { lane: string }> }).work_packages
    assert.deepStrictEqual(Object.fromEntries(Object.entries(lanes).map(([k, v]) => [k, v.lane])), {
      WP01: "for_review",
      WP02: "claimed",
      WP03: "planned"
    })
  })
})

describe("git subprocesses per `context resolve --json`", () => {
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim()

  /** Runs the CLI with a counting `git` first on PATH; returns the git command lines it spawned. */
  const countGit = (f: Fixture, cwd: string, args: ReadonlyArray<string>): { run: CliRun; calls: Array<string> } => {
    const bin = path.join(f.base, "counting-bin")
    const counter = path.join(f.base, `git-calls-${Math.abs(hash(cwd + args.join(" ")))}.log`)
    fs.mkdirSync(bin, { recursive: true })
    fs.writeFileSync(
      path.join(bin, "git"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> "$KITTYCTX_GIT_COUNTER"\nexec ${JSON.stringify(realGit)} "$@"\n`,
      { mode: 0o755 }
    )
    fs.writeFileSync(counter, "")
    const env = isolatedEnv(f.base, { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, KITTYCTX_GIT_COUNTER: counter })
    const run = runCli(cwd, args, env)
    const calls = fs.readFileSync(counter, "utf8").split("\n").filter((l) => l !== "")
    return { run, calls }
  }

  const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7)

  it("the counting wrapper sees git calls (F1 needs the refs for its target branch)", () => {
    const f = keep(buildF1())
    const { calls, run } = countGit(f, f.laneB, ["context", "resolve", "--mission", f.mission.slug, "--json"])
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.isAtLeast(calls.length, 1)
    assert.isTrue(calls.some((c) => c.includes("for-each-ref")), calls.join("\n"))
  })

  const fixtures: ReadonlyArray<readonly [string, () => Fixture & { laneA: string; root: string }, string]> = [
    ["F1", buildF1, "parity-mission-01JZPART"],
    ["F2-MATERIALIZED", () => buildF2("MATERIALIZED"), "coord-mission-01JZCRDM"],
    ["F2-UNMATERIALIZED", () => buildF2("UNMATERIALIZED-local"), "coord-mission-01JZCRDM"]
  ]
  for (const [name, build, mission] of fixtures) {
    it(`${name}: at most 2 git processes, from the primary and from a lane`, () => {
      const f = keep(build())
      for (const [cwd, extra] of [[f.root, []], [f.laneA, ["--action", "implement"]]] as const) {
        const { calls, run } = countGit(f, cwd, ["context", "resolve", "--mission", mission, ...extra, "--json"])
        assert.strictEqual(run.code, 0, run.stdout + run.stderr)
        assert.isAtMost(calls.length, 2, `${cwd} ${extra.join(" ")}:\n${calls.join("\n")}`)
      }
    })
  }
})
