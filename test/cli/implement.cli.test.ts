/**
 * `kittyctx implement` (docs/surfaces.md §2, acceptance A2.1-A2.8) against real git: the CLI run as a real
 * process, plus two in-process library runs (A2.3 with the analysis gate isolated, A2.7 at fiber level).
 * Every refusal is checked to leave the repository exactly as it was: refs, worktree registry,
 * `git status` of each checkout and the hash of every file. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, ManagedRuntime } from "effect"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Freshness } from "../../src/core/surfaces/AnalysisReport.js"
import { ClaimGates, claimWorkPackage } from "../../src/services/surfaces/ImplementClaim.js"
import { allocateLaneWorktree, lanePlanOf } from "../../src/services/surfaces/LaneWorktree.js"
import { MainLayer } from "../../src/services/MainLayer.js"
import { layerFixed as settingsFixed } from "../../src/services/ports/Settings.js"
import type { SettingValues } from "../../src/services/ports/Settings.js"
import * as Processes from "../../src/services/ports/Processes.js"
import { recordAnalysis } from "../../src/services/surfaces/RecordAnalysis.js"
import { resolveForWrite } from "../../src/services/context/ResolveContext.js"
import { bootstrapLine, CLI, git, isolatedEnv, makeRepo, removeTemp, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { skipDirsNamed, treeHashes } from "../support/fingerprint.js"

/** The CLI under test: the built binary. */
const cliPath = CLI

const runtime = ManagedRuntime.make(MainLayer)
const temps: Array<string> = []

afterAll(async () => {
  temps.forEach(removeTemp)
  await runtime.dispose()
})

// ---------------------------------------------------------------------------------------------
// Fixtures

const OVERRIDE = { KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS: "1" }

interface Mission {
  readonly slug: string
  readonly id: string
}

/** A mission of the primary/flattened fixtures (`-<mid8>` suffix of a valid Crockford ULID). */
const PLAIN: Mission = { slug: "claim-demo-01JZC1A1", id: "01JZC1A1000000000000000000" }
/** The coordination fixture's mission; its coordination branch is `kitty/mission-<slug>`. */
const COORD: Mission = { slug: "coord-claim-01JZC2B2", id: "01JZC2B2000000000000000000" }
const coordBranch = (m: Mission) => `kitty/mission-${m.slug}`

const TASKS_MD = "# Tasks\n\n- [ ] T001 build the core\n- [ ] T002 wire the CLI\n"
/** Checkbox churn only: the normalised `tasks.md` hash (§1.3) is unchanged. */
const TASKS_MD_TICKED = "# Tasks\n\n- [x] T001 build the core\n- [ ] T002 wire the CLI\n"

interface WpSpec {
  readonly deps?: ReadonlyArray<string>
  readonly executionMode?: string
  readonly owned?: ReadonlyArray<string>
}

const wpText = (wp: string, spec: WpSpec) =>
  `---\nwork_package_id: ${wp}\ntitle: ${wp} work\nsubtasks: []\n` +
  (spec.deps === undefined ? "" : `dependencies: [${spec.deps.join(", ")}]\n`) +
  (spec.executionMode === undefined ? "" : `execution_mode: ${spec.executionMode}\n`) +
  (spec.owned === undefined ? "" : `owned_files:\n${spec.owned.map((o) => `  - ${o}`).join("\n")}\n`) +
  `---\n\n# ${wp}\n`

const missionFilesOf = (
  m: Mission,
  opts: {
    readonly meta: Record<string, unknown>
    readonly wps: Readonly<Record<string, WpSpec>>
    readonly lanes: ReadonlyArray<{ readonly lane_id: string; readonly wp_ids: ReadonlyArray<string> }>
    readonly missionBranch?: string
    readonly spec?: string
  }
): Record<string, string> => {
  const dir = `kitty-specs/${m.slug}`
  const wps = Object.keys(opts.wps).sort()
  const files: Record<string, string> = {
    [`${dir}/meta.json`]: JSON.stringify(
      { mission_id: m.id, mission_slug: m.slug, slug: m.slug, mission_type: "software-dev", ...opts.meta },
      null,
      2
    ) + "\n",
    [`${dir}/spec.md`]: opts.spec ?? "# Spec\n\nBuild the thing.\n",
    [`${dir}/plan.md`]: "# Plan\n",
    [`${dir}/tasks.md`]: TASKS_MD,
    [`${dir}/research.md`]: "# Research\n",
    [`${dir}/lanes.json`]: JSON.stringify(
      { version: 1, mission_branch: opts.missionBranch ?? coordBranch(m), lanes: opts.lanes },
      null,
      2
    ) + "\n",
    [`${dir}/status.events.jsonl`]: wps
      .map((wp, i) =>
        bootstrapLine(m.slug, m.id, wp, `01JZ000000000000000000${String(i).padStart(4, "0")}`, `2026-01-01T00:00:0${i}.000000+00:00`)
      )
      .join("\n") + "\n",
    [`${dir}/status.json`]: "{\"stub\": true}\n"
  }
  for (const wp of wps) files[`${dir}/tasks/${wp}-work.md`] = wpText(wp, opts.wps[wp])
  return files
}

const commitAllIn = (cwd: string, message: string) => {
  git(cwd, ["add", "-A"])
  git(cwd, ["commit", "-q", "--allow-empty", "-m", message])
}

/** Runs a library program in-process with the live layers (and optional settings). */
const runLib = <A, E>(program: Effect.Effect<A, E, any>, env: SettingValues = {}) =>
  runtime.runPromiseExit(program.pipe(Effect.provide(settingsFixed(env))) as Effect.Effect<A, E, never>)

const recordReport = async (cwd: string, mission: string, env: Record<string, string> = {}) => {
  const request = { cwd, mission, text: "Looks good.\n", agent: "analyst", adopt: false, noCommit: false }
  const exit = await runLib(recordAnalysis(request), env)
  if (Exit.isFailure(exit)) throw new Error(`fixture: record-analysis failed: ${JSON.stringify(exit.cause)}`)
}

interface Repo {
  readonly root: string
  readonly mission: Mission
  readonly dir: string
  readonly cli: (args: ReadonlyArray<string>, opts?: { readonly cwd?: string; readonly env?: Record<string, string> }) => CliRun
  readonly cliAsync: (args: ReadonlyArray<string>) => Promise<CliRun>
}

const repoOf = (root: string, mission: Mission): Repo => {
  const envOf = (extra: Record<string, string> = {}) => isolatedEnv(path.dirname(root), extra)
  return {
    root,
    mission,
    dir: path.join(root, "kitty-specs", mission.slug),
    cli: (args, opts = {}) => {
      const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: opts.cwd ?? root, env: envOf(opts.env), encoding: "utf8" })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    },
    cliAsync: (args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [cliPath, ...args], { cwd: root, env: envOf() })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d) => (stdout += d))
        child.stderr.on("data", (d) => (stderr += d))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })
  }
}

/**
 * A primary-kind mission (`flattened` on request) on branch `target` (checked out in the primary root),
 * WP01 in lane-a, a fresh analysis report committed on `target`.
 */
const primaryFixture = async (
  opts: {
    readonly target?: string
    readonly flattened?: boolean
    readonly wps?: Readonly<Record<string, WpSpec>>
    readonly lanes?: ReadonlyArray<{ readonly lane_id: string; readonly wp_ids: ReadonlyArray<string> }>
    readonly meta?: Record<string, unknown>
    readonly spec?: string
    readonly report?: boolean
  } = {}
): Promise<Repo> => {
  const target = opts.target ?? "feature"
  const root = makeRepo(undefined, { autoCommit: true })
  temps.push(path.dirname(root))
  if (target !== "main") git(root, ["checkout", "-q", "-b", target])
  writeFiles(
    root,
    missionFilesOf(PLAIN, {
      meta: { target_branch: target, ...(opts.flattened === true ? { flattened: true } : {}), ...opts.meta },
      wps: opts.wps ?? { WP01: {}, WP02: {} },
      lanes: opts.lanes ?? [{ lane_id: "lane-a", wp_ids: ["WP01"] }, { lane_id: "lane-b", wp_ids: ["WP02"] }],
      ...(opts.spec === undefined ? {} : { spec: opts.spec })
    })
  )
  commitAllIn(root, "mission planned")
  if (opts.report !== false) await recordReport(root, PLAIN.slug, OVERRIDE)
  return repoOf(root, PLAIN)
}

/**
 * A `lanes_with_coord` mission: everything committed on `main`, the coordination branch made with
 * `git branch`, its worktree materialised by `resolveForWrite`, and (unless `split`) a fresh report
 * committed there. `split`: spec.md, plan.md and meta.json removed from the coordination branch.
 */
const coordFixture = async (opts: { readonly split?: boolean; readonly wps?: Readonly<Record<string, WpSpec>> } = {}) => {
  const root = makeRepo(undefined, { autoCommit: true })
  temps.push(path.dirname(root))
  const m = COORD
  writeFiles(
    root,
    missionFilesOf(m, {
      meta: { target_branch: "main", topology: "lanes_with_coord", coordination_branch: coordBranch(m) },
      wps: opts.wps ?? { WP01: {}, WP02: {} },
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }, { lane_id: "lane-b", wp_ids: ["WP02"] }]
    })
  )
  commitAllIn(root, "mission planned")
  git(root, ["branch", coordBranch(m)])
  const made = await runLib(resolveForWrite({ cwd: root, mission: m.slug }))
  if (Exit.isFailure(made)) throw new Error(`fixture: resolveForWrite failed: ${JSON.stringify(made.cause)}`)
  const coord = path.join(root, ".worktrees", `${m.slug}-coord`)
  assert.isTrue(fs.existsSync(path.join(coord, "kitty-specs", m.slug, "tasks.md")))
  if (opts.split === true) {
    git(coord, ["rm", "-q", ...["spec.md", "plan.md", "meta.json"].map((f) => `kitty-specs/${m.slug}/${f}`)])
    git(coord, ["commit", "-q", "-m", "spec-kitty split: planning artifacts live on the target branch only"])
  } else {
    await recordReport(root, m.slug)
  }
  return { ...repoOf(root, m), coord, coordDir: path.join(coord, "kitty-specs", m.slug) }
}

// ---------------------------------------------------------------------------------------------
// Observations

/** Refs, worktree registry, `git status` of every registered checkout and every file's hash. */
const repoState = (root: string) => {
  const worktrees = git(root, ["worktree", "list", "--porcelain"])
  const paths = worktrees.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9))
  return {
    refs: git(root, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    worktrees,
    status: paths.map((p) => [p, git(p, ["status", "--porcelain", "--untracked-files=all"])]),
    // every file except git's own directories (a worktree's `.git` pointer file stays in)
    files: treeHashes(root, { skip: skipDirsNamed(".git") })
  }
}

const assertUnchanged = (root: string, before: ReturnType<typeof repoState>) => {
  const after = repoState(root)
  assert.deepStrictEqual(after.refs, before.refs, "no commit, no branch")
  assert.deepStrictEqual(after.worktrees, before.worktrees, "no worktree")
  assert.deepStrictEqual(after.status, before.status, "git status unchanged in every checkout")
  assert.deepStrictEqual(after.files, before.files, "every file byte-identical (no event, no copy)")
}

/** The one JSON object a `--json` command printed. */
const envelope = (run: CliRun): Record<string, any> => {
  const lines = run.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `expected one JSON line on stdout, got: ${run.stdout}${run.stderr}`)
  return JSON.parse(lines[0])
}

const refusal = (run: CliRun, code: string): Record<string, any> => {
  assert.strictEqual(run.code, 1, `expected exit 1 (${code}): ${run.stdout}${run.stderr}`)
  const out = envelope(run)
  assert.strictEqual(out.ok, false)
  assert.strictEqual(out.error.code, code, JSON.stringify(out.error))
  return out.error
}

const success = (run: CliRun): Record<string, any> => {
  assert.strictEqual(run.code, 0, `expected exit 0: ${run.stdout}${run.stderr}`)
  const out = envelope(run)
  assert.strictEqual(out.ok, true)
  return out
}

const lastEvent = (log: string): Record<string, any> => {
  const lines = fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "")
  return JSON.parse(lines[lines.length - 1])
}

/** `git status --porcelain` lines, sorted (the shared `git` helper trims the first line's leading blank). */
const porcelainLines = (cwd: string) =>
  spawnSync("git", ["-C", cwd, "status", "--porcelain"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l !== "").sort()

const committedFiles = (cwd: string, rev = "HEAD") =>
  git(cwd, ["show", "--name-only", "--format=", rev]).split("\n").filter((x) => x !== "").sort()

const planningSubject = (m: Mission, _wp: string) => `chore: planning artifacts for ${m.slug}`

const claimArgs = (r: Repo, wp: string, ...extra: Array<string>) => [
  "implement",
  wp,
  "--mission",
  r.mission.slug,
  "--agent",
  "codex",
  "--shell-pid",
  String(process.pid),
  "--json",
  ...extra
]

const ST = "status.events.jsonl"
const SNAP = "status.json"

// ---------------------------------------------------------------------------------------------

describe("implement: the claim", () => {
  it("A2.6 allocation: lane worktree on the lane branch parented on the mission branch; the claim sidecar", async () => {
    const r = await primaryFixture()
    const out = success(r.cli(claimArgs(r, "WP01")))
    const slug = r.mission.slug
    const wt = path.join(r.root, ".worktrees", `${slug}-lane-a`)
    assert.deepStrictEqual(
      { ...out, event_id: "<id>", event_ids: out.event_ids.map(() => "<id>"), status_commit: "<sha>", claim_commit: "<sha>" },
      {
        ok: true,
        wp_id: "WP01",
        mission_slug: slug,
        lane_id: "lane-a",
        workspace_path: `.worktrees/${slug}-lane-a`,
        branch: `kitty/mission-${slug}-lane-a`,
        parent: `kitty/mission-${slug}`,
        event_id: "<id>",
        event_ids: ["<id>", "<id>"],
        from_lane: "planned",
        to_lane: "in_progress",
        planning_commit: null,
        status_commit: "<sha>",
        claim_commit: "<sha>",
        adopted: []
      }
    )
    // spec-kitty's claim batch: planned -> claimed -> in_progress, committed together, then its claim commit
    assert.strictEqual(out.event_ids[0], out.event_id)
    assert.strictEqual(git(r.root, ["rev-parse", "feature~1"]), out.status_commit)
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%s", "feature~1"]), "chore(spec-kitty): status transition batch WP01")
    assert.strictEqual(git(r.root, ["rev-parse", "feature"]), out.claim_commit)
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%s", "feature"]), "chore: WP01 claimed for implementation")
    const rows = fs.readFileSync(path.join(r.dir, ST), "utf8").trim().split("\n").slice(-2).map((l) => JSON.parse(l))
    assert.deepStrictEqual(rows.map((e) => [e.from_lane, e.to_lane, e.actor]), [
      ["planned", "claimed", "codex"],
      ["claimed", "in_progress", "codex"]
    ])
    assert.deepStrictEqual(rows[0].policy_metadata, rows[1].policy_metadata, "the same sidecar on both rows")
    assert.strictEqual(git(wt, ["symbolic-ref", "HEAD"]), `refs/heads/kitty/mission-${slug}-lane-a`)
    // the missing mission branch was created at the target branch's tip, and the lane starts there
    assert.strictEqual(git(r.root, ["rev-parse", `kitty/mission-${slug}`]), git(r.root, ["rev-parse", "feature~2"]))
    assert.strictEqual(git(wt, ["rev-parse", "HEAD"]), git(r.root, ["rev-parse", `kitty/mission-${slug}`]))
    const event = rows[0]
    assert.strictEqual(event.event_id, out.event_id)
    assert.strictEqual(event.actor, "codex")
    assert.strictEqual(event.from_lane, "planned")
    assert.strictEqual(event.to_lane, "claimed")
    assert.strictEqual(event.policy_metadata.agent, "codex")
    assert.isTrue(Number.isInteger(event.policy_metadata.shell_pid))
    assert.strictEqual(event.policy_metadata.shell_pid, process.pid)
    assert.match(event.policy_metadata.shell_pid_created_at, /^\d+\.\d\d$/)
    const me = await Effect.runPromise(
      Effect.flatMap(Processes.Processes, (p) => p.identity(process.pid)).pipe(Effect.provide(Processes.layer))
    )
    assert.strictEqual(event.policy_metadata.shell_pid_created_at, me.started_at)
    // no sparse checkout outside coordination topologies: the lane holds the status files
    assert.isTrue(fs.existsSync(path.join(wt, "kitty-specs", slug, ST)))
  })

  it("without --shell-pid the sidecar names the parent of the kittyctx process", async () => {
    const r = await primaryFixture()
    const args = claimArgs(r, "WP01").filter((a, i, all) => a !== "--shell-pid" && all[i - 1] !== "--shell-pid")
    success(r.cli(args))
    assert.strictEqual(lastEvent(path.join(r.dir, ST)).policy_metadata.shell_pid, process.pid)
  })

  it("spec-kitty's claim files: the workspace record, meta.json's VCS lock, the WP frontmatter and the claim commit, byte for byte; the tree is clean", async () => {
    const r = await primaryFixture()
    const slug = r.mission.slug
    const rel = `kitty-specs/${slug}`
    const missionBranch = `kitty/mission-${slug}`
    const metaBefore = JSON.parse(fs.readFileSync(path.join(r.dir, "meta.json"), "utf8"))
    const wp02Before = fs.readFileSync(path.join(r.dir, "tasks", "WP02-work.md"), "utf8")
    const out = success(r.cli(claimArgs(r, "WP01")))
    assert.strictEqual(out.to_lane, "in_progress")

    // .kittify/workspaces/<slug>-<lane>.json: json.dumps(asdict(ctx), indent=2) + "\n", in the dataclass's field order
    const record = fs.readFileSync(path.join(r.root, ".kittify", "workspaces", `${slug}-lane-a.json`), "utf8")
    const parsed = JSON.parse(record)
    assert.match(parsed.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/)
    const spec = {
      wp_id: "WP01",
      mission_slug: slug,
      worktree_path: `.worktrees/${slug}-lane-a`,
      branch_name: `${missionBranch}-lane-a`,
      base_branch: missionBranch,
      base_commit: git(r.root, ["rev-parse", missionBranch]),
      dependencies: [],
      created_at: parsed.created_at,
      created_by: "implement-command-lane",
      vcs_backend: "git",
      lane_id: "lane-a",
      lane_wp_ids: ["WP01"],
      current_wp: "WP01",
      lane_test_env: { SPEC_KITTY_TEST_DB_NAME: "test_claim_demo_01JZC1A1_lane_a" }
    }
    assert.strictEqual(record, JSON.stringify(spec, null, 2) + "\n")

    // meta.json: write_meta's bytes (sorted keys, indent 2) with vcs and vcs_locked_at added
    const meta = fs.readFileSync(path.join(r.dir, "meta.json"), "utf8")
    const lockedAt = JSON.parse(meta).vcs_locked_at
    assert.match(lockedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/)
    const sorted = Object.fromEntries(
      Object.entries({ ...metaBefore, vcs: "git", vcs_locked_at: lockedAt }).sort(([a], [b]) => (a < b ? -1 : 1))
    )
    assert.strictEqual(meta, JSON.stringify(sorted, null, 2) + "\n")

    // the WP file: spec-kitty's update_fields output for this file (dependencies added, keys in its order,
    // the timestamp quoted so that it reads back as a string); the workspace record's base and time
    assert.strictEqual(
      fs.readFileSync(path.join(r.dir, "tasks", "WP01-work.md"), "utf8"),
      `---\nwork_package_id: WP01\ntitle: WP01 work\ndependencies: []\nbase_branch: ${missionBranch}\n` +
        `base_commit: ${spec.base_commit}\ncreated_at: '${spec.created_at}'\nsubtasks: []\n---\n\n# WP01\n`
    )
    assert.strictEqual(fs.readFileSync(path.join(r.dir, "tasks", "WP02-work.md"), "utf8"), wp02Before, "other WPs untouched")

    // the claim commit: spec-kitty's subject, the files that changed, on the placement ref; nothing left behind
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%B", "feature"]).trim(), "chore: WP01 claimed for implementation")
    assert.strictEqual(git(r.root, ["rev-parse", "feature"]), out.claim_commit)
    assert.deepStrictEqual(committedFiles(r.root, "feature"), [`${rel}/meta.json`, `${rel}/tasks/WP01-work.md`])
    assert.deepStrictEqual(porcelainLines(r.root), [], "git status clean after an auto-commit claim")

    // a second claim right after: the VCS lock is not rewritten, WP02 gets its own provenance and commit
    const second = success(r.cli(claimArgs(r, "WP02")))
    assert.strictEqual(fs.readFileSync(path.join(r.dir, "meta.json"), "utf8"), meta, "the VCS lock is written once")
    assert.strictEqual(git(r.root, ["rev-parse", "feature"]), second.claim_commit)
    assert.deepStrictEqual(committedFiles(r.root, "feature"), [`${rel}/tasks/WP02-work.md`])
    assert.include(fs.readFileSync(path.join(r.dir, "tasks", "WP02-work.md"), "utf8"), `base_branch: ${missionBranch}\n`)
    assert.deepStrictEqual(porcelainLines(r.root), [])
  })

  it("--no-auto-commit: the rows only (meta.json and the WP file are left as they are; no commit)", async () => {
    const r = await primaryFixture()
    const rel = `kitty-specs/${r.mission.slug}`
    const meta = fs.readFileSync(path.join(r.dir, "meta.json"), "utf8")
    const wp = fs.readFileSync(path.join(r.dir, "tasks", "WP01-work.md"), "utf8")
    const tip = git(r.root, ["rev-parse", "feature"])
    const out = success(r.cli(claimArgs(r, "WP01", "--no-auto-commit")))
    assert.strictEqual(out.claim_commit, null)
    assert.strictEqual(git(r.root, ["rev-parse", "feature"]), tip)
    assert.strictEqual(fs.readFileSync(path.join(r.dir, "meta.json"), "utf8"), meta)
    assert.strictEqual(fs.readFileSync(path.join(r.dir, "tasks", "WP01-work.md"), "utf8"), wp)
    assert.deepStrictEqual(porcelainLines(r.root), [` M ${rel}/${ST}`, ` M ${rel}/${SNAP}`])
    success(r.cli(claimArgs(r, "WP02", "--no-auto-commit")))
  })

  it("A2.1 #1816 flattened: dirty tasks.md is committed on the placement ref; the dirty status files ride with the claim's status commit", async () => {
    const r = await primaryFixture({ target: "fixups/x", flattened: true })
    success(r.cli(["status", "emit", "WP02", "--to", "blocked", "--actor", "ops", "--mission", r.mission.slug, "--no-auto-commit", "--json"]))
    fs.writeFileSync(path.join(r.dir, "tasks.md"), TASKS_MD_TICKED)
    const rel = `kitty-specs/${r.mission.slug}`
    assert.deepStrictEqual(porcelainLines(r.root), [
      ` M ${rel}/${ST}`,
      ` M ${rel}/${SNAP}`,
      ` M ${rel}/tasks.md`
    ])
    const before = git(r.root, ["rev-parse", "fixups/x"])
    const out = success(r.cli(claimArgs(r, "WP01")))
    assert.match(out.planning_commit, /^[0-9a-f]{40}$/)
    assert.strictEqual(git(r.root, ["rev-list", "--count", `${before}..fixups/x`]), "3", "the planning commit, the status commit, the claim commit")
    assert.strictEqual(git(r.root, ["rev-parse", "fixups/x~2"]), out.planning_commit)
    assert.deepStrictEqual(committedFiles(r.root, out.planning_commit), [`${rel}/tasks.md`], "status files are bookkeeping, not planning")
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%s", out.planning_commit]), planningSubject(r.mission, "WP01"))
    assert.deepStrictEqual(committedFiles(r.root, "fixups/x~1"), [`${rel}/${ST}`, `${rel}/${SNAP}`])
    assert.deepStrictEqual(committedFiles(r.root, "fixups/x"), [`${rel}/meta.json`, `${rel}/tasks/WP01-work.md`])
    assert.deepStrictEqual(porcelainLines(r.root), [], "nothing left behind")
    const event = lastEvent(path.join(r.dir, ST))
    assert.strictEqual(event.to_lane, "in_progress")
  })

  it("A2.4 structural: an uncommitted deletion refuses and changes nothing", async () => {
    const r = await primaryFixture()
    git(r.root, ["rm", "-q", `kitty-specs/${r.mission.slug}/research.md`])
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE")
    assert.deepStrictEqual(err.paths, [`kitty-specs/${r.mission.slug}/research.md`])
    assert.strictEqual(
      err.message,
      `Uncommitted structural planning-artifact changes (deletions/renames) cannot be auto-committed: ` +
        `kitty-specs/${r.mission.slug}/research.md. Commit them manually on feature.`
    )
    assertUnchanged(r.root, before)
  })

  it("a rename fails closed too, listing both paths", async () => {
    const r = await primaryFixture()
    const rel = `kitty-specs/${r.mission.slug}`
    git(r.root, ["mv", `${rel}/research.md`, `${rel}/notes-research.md`])
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE")
    assert.deepStrictEqual(err.paths, [`${rel}/notes-research.md`, `${rel}/research.md`])
    assertUnchanged(r.root, before)
  })

  it("A2.5 protected: dirty tasks.md on main refuses without the override, commits and claims with it", async () => {
    const r = await primaryFixture({ target: "main" })
    fs.writeFileSync(path.join(r.dir, "tasks.md"), TASKS_MD_TICKED)
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "PROTECTED_BRANCH_REFUSED")
    assert.deepStrictEqual(err.resolved_destination, { ref: "main", kind: "primary" })
    assert.include(err.message, "main")
    assertUnchanged(r.root, before)
    const out = success(r.cli(claimArgs(r, "WP01"), { env: OVERRIDE }))
    assert.strictEqual(git(r.root, ["rev-parse", "main~2"]), out.planning_commit)
    assert.deepStrictEqual(committedFiles(r.root, out.planning_commit), [`kitty-specs/${r.mission.slug}/tasks.md`])
    assert.strictEqual(git(r.root, ["rev-parse", "main~1"]), out.status_commit)
    assert.strictEqual(git(r.root, ["rev-parse", "main"]), out.claim_commit)
    assert.strictEqual(out.to_lane, "in_progress")
  })

  it("--no-auto-commit refuses with the list and the exact commands; nothing is written", async () => {
    const r = await primaryFixture()
    fs.writeFileSync(path.join(r.dir, "tasks.md"), TASKS_MD_TICKED)
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01", "--no-auto-commit")), "PLANNING_ARTIFACTS_UNCOMMITTED")
    const rel = `kitty-specs/${r.mission.slug}/tasks.md`
    assert.deepStrictEqual(err.paths, [rel])
    assert.strictEqual(err.commands[0], `git -C ${r.root} add -- ${rel}`)
    assert.match(err.commands[1], new RegExp(`^git -C ${r.root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} commit -m `))
    assertUnchanged(r.root, before)
  })

  it("--adopt with --no-auto-commit is a usage error (exit 2)", async () => {
    const r = await primaryFixture({ report: false })
    const before = repoState(r.root)
    const run = r.cli(claimArgs(r, "WP01", "--adopt", "--no-auto-commit"))
    assert.strictEqual(run.code, 2, run.stdout + run.stderr)
    assertUnchanged(r.root, before)
  })

  it("the planning branch must be checked out in the placement checkout", async () => {
    const r = await primaryFixture()
    fs.writeFileSync(path.join(r.dir, "tasks.md"), TASKS_MD_TICKED)
    git(r.root, ["checkout", "-q", "-b", "elsewhere"])
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "PLANNING_BRANCH_MISMATCH")
    assert.strictEqual(err.message, `Checkout ${r.root} is on refs/heads/elsewhere, but this commit belongs on feature`)
    assertUnchanged(r.root, before)
  })
})

describe("implement: the gates refuse before anything is written", () => {
  it("a missing analysis report: §1.7 text block on stderr, exit 1", async () => {
    const r = await primaryFixture({ report: false })
    const before = repoState(r.root)
    const run = r.cli(claimArgs(r, "WP01").filter((a) => a !== "--json"))
    assert.strictEqual(run.code, 1, run.stdout + run.stderr)
    assert.strictEqual(run.stdout, "")
    const slug = r.mission.slug
    assert.strictEqual(
      run.stderr.trimEnd(),
      [
        `error[ANALYSIS_REPORT_REQUIRED]: analysis report for ${slug} is missing or stale`,
        `Missing: ${r.dir}/analysis-report.md`,
        "Reason: missing_analysis_report",
        `Run: /spec-kitty.analyze --mission ${slug}`,
        `Then: kittyctx mission record-analysis --mission ${slug} --input-file -`
      ].join("\n")
    )
    assertUnchanged(r.root, before)
  })

  it("a stale analysis report (spec.md edited and committed): JSON carries the freshness object", async () => {
    const r = await primaryFixture()
    fs.appendFileSync(path.join(r.dir, "spec.md"), "\nA new requirement.\n")
    fs.writeFileSync(path.join(r.dir, "plan.md"), "# Plan v2\n")
    commitAllIn(r.root, "spec and plan changed after the analysis")
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "ANALYSIS_REPORT_REQUIRED")
    assert.strictEqual(err.freshness.ok, false)
    assert.strictEqual(err.freshness.reason, "stale_analysis_report")
    assert.deepStrictEqual(Object.keys(err.freshness.mismatches).sort(), ["plan.md", "spec.md"])
    const text = r.cli(claimArgs(r, "WP01").filter((a) => a !== "--json"))
    assert.include(text.stderr, "Stale inputs: spec.md, plan.md")
    assert.notInclude(text.stderr, "Missing:")
    assertUnchanged(r.root, before)
  })

  it("a git operation in progress refuses (GIT_OPERATION_IN_PROGRESS)", async () => {
    const r = await primaryFixture()
    fs.writeFileSync(path.join(r.root, ".git", "MERGE_HEAD"), git(r.root, ["rev-parse", "HEAD"]) + "\n")
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "GIT_OPERATION_IN_PROGRESS")
    assert.strictEqual(err.marker, path.join(r.root, ".git", "MERGE_HEAD"))
    assert.include(err.message, "MERGE_HEAD")
    assertUnchanged(r.root, before)
  })

  it("dependencies must be approved or done", async () => {
    const r = await primaryFixture({
      wps: { WP01: {}, WP02: { deps: ["WP01"] } },
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01", "WP02"] }]
    })
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP02")), "DEPENDENCIES_NOT_SATISFIED")
    assert.deepStrictEqual(err.unsatisfied, ["WP01 (planned)"])
    assert.include(err.message, "WP01 (planned)")
    assertUnchanged(r.root, before)
  })

  it("a bulk-edit mission without an occurrence map is blocked", async () => {
    const r = await primaryFixture({ meta: { change_mode: "bulk_edit" } })
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "BULK_EDIT_GATE_BLOCKED")
    assert.include(err.errors[0], "Occurrence map required for bulk_edit missions")
    assertUnchanged(r.root, before)
  })

  it("a spec that reads like a bulk edit needs --acknowledge-not-bulk-edit", async () => {
    const r = await primaryFixture({ spec: "# Spec\n\nRename all occurrences of Widget across the codebase.\n" })
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "BULK_EDIT_INFERENCE_UNACKNOWLEDGED")
    assert.deepStrictEqual(err.phrases, ["across the codebase", "rename all occurrences"])
    assertUnchanged(r.root, before)
    success(r.cli(claimArgs(r, "WP01", "--acknowledge-not-bulk-edit")))
  })
})

describe("implement: the claimable lane and re-entry (§2.3)", () => {
  it("the same agent with a live shell re-enters idempotently; another agent is refused; a dead claim is not claimable", async () => {
    const r = await primaryFixture()
    const first = success(r.cli(claimArgs(r, "WP01")))
    const log = path.join(r.dir, ST)
    const lines = fs.readFileSync(log, "utf8")

    const again = success(r.cli(claimArgs(r, "WP01")))
    assert.strictEqual(again.reentered, true)
    assert.strictEqual(again.event_id, first.event_id)
    assert.strictEqual(again.workspace_path, first.workspace_path)
    assert.strictEqual(fs.readFileSync(log, "utf8"), lines, "no new event")

    const before = repoState(r.root)
    const other = r.cli(claimArgs(r, "WP01").map((a) => (a === "codex" ? "claude" : a)))
    const err = refusal(other, "WP_ALREADY_CLAIMED")
    assert.strictEqual(err.claimed_by, "codex")
    assert.strictEqual(err.liveness, "alive")
    assertUnchanged(r.root, before)
  })

  it("a claim whose shell has exited cannot be re-entered (WP_NOT_CLAIMABLE carries the lane)", async () => {
    const r = await primaryFixture()
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
    const deadPid = Number(gone.stdout)
    success(r.cli(claimArgs(r, "WP01").map((a) => (a === String(process.pid) ? String(deadPid) : a))))
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "WP_NOT_CLAIMABLE")
    assert.strictEqual(err.lane, "in_progress")
    assert.strictEqual(err.liveness, "dead")
    assertUnchanged(r.root, before)
  })

  it("a WP in another lane is not claimable", async () => {
    const r = await primaryFixture()
    success(r.cli(["status", "emit", "WP01", "--to", "blocked", "--actor", "ops", "--mission", r.mission.slug, "--json"]))
    commitAllIn(r.root, "blocked")
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "WP_NOT_CLAIMABLE")
    assert.strictEqual(err.lane, "blocked")
    assertUnchanged(r.root, before)
  })

  it("a planning-artifact WP is claimed in the primary checkout, with no worktree", async () => {
    const r = await primaryFixture({
      wps: { WP01: {}, WP03: { executionMode: "planning_artifact" } },
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }]
    })
    const out = success(r.cli(claimArgs(r, "WP03")))
    assert.strictEqual(out.lane_id, "lane-planning")
    assert.strictEqual(out.workspace_path, ".")
    assert.strictEqual(out.parent, null)
    assert.isFalse(fs.existsSync(path.join(r.root, ".worktrees")))
    assert.strictEqual(lastEvent(path.join(r.dir, ST)).execution_mode, "direct_repo")
  })

  it("a lane worktree on another branch, or an unregistered directory at its path, refuses", async () => {
    const r = await primaryFixture()
    const wt = path.join(r.root, ".worktrees", `${r.mission.slug}-lane-a`)
    fs.mkdirSync(wt, { recursive: true })
    fs.writeFileSync(path.join(wt, "stray.txt"), "not a worktree\n")
    let before = repoState(r.root)
    assert.strictEqual(refusal(r.cli(claimArgs(r, "WP01")), "LANE_WORKTREE_PATH_OCCUPIED").path, wt)
    assertUnchanged(r.root, before)
    fs.rmSync(wt, { recursive: true })
    git(r.root, ["worktree", "add", "-q", "-b", "someone-else", wt])
    before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "LANE_WORKTREE_BRANCH_MISMATCH")
    assert.strictEqual(err.expected, `refs/heads/kitty/mission-${r.mission.slug}-lane-a`)
    assert.strictEqual(err.actual, "refs/heads/someone-else")
    assertUnchanged(r.root, before)
  })
})

describe("implement: coordination placement", () => {
  const dirtyPrimary = (r: Awaited<ReturnType<typeof coordFixture>>) => {
    fs.appendFileSync(path.join(r.dir, ST), fs.readFileSync(path.join(r.dir, ST), "utf8").split("\n")[0] + "\n")
    fs.writeFileSync(path.join(r.dir, SNAP), "{\"stale\": \"copy\"}\n")
    fs.writeFileSync(path.join(r.dir, "tasks.md"), TASKS_MD_TICKED)
  }

  it("A2.2 --adopt: the planning commit in the coord worktree holds only tasks.md; the primary status residue stays", async () => {
    const r = await coordFixture()
    dirtyPrimary(r)
    const rel = `kitty-specs/${r.mission.slug}`
    const mainBefore = git(r.root, ["rev-parse", "main"])
    const out = success(r.cli(claimArgs(r, "WP01", "--adopt")))
    assert.deepStrictEqual(out.adopted, [`${rel}/tasks.md`])
    assert.match(out.planning_commit, /^[0-9a-f]{40}$/)
    assert.deepStrictEqual(committedFiles(r.coord, out.planning_commit), [`${rel}/tasks.md`])
    assert.strictEqual(git(r.coord, ["log", "-1", "--format=%s", out.planning_commit]), planningSubject(r.mission, "WP01"))
    assert.strictEqual(git(r.coord, ["rev-parse", "HEAD~1"]), out.planning_commit, "the claim's status commit follows it")
    assert.strictEqual(git(r.coord, ["symbolic-ref", "HEAD"]), `refs/heads/${coordBranch(r.mission)}`)
    assert.strictEqual(fs.readFileSync(path.join(r.coordDir, "tasks.md"), "utf8"), TASKS_MD_TICKED)
    assert.strictEqual(git(r.root, ["rev-parse", "main"]), mainBefore, "nothing committed in the primary checkout")
    assert.deepStrictEqual(porcelainLines(r.root), [
      ` M ${rel}/${ST}`,
      ` M ${rel}/${SNAP}`,
      ` M ${rel}/tasks.md`
    ])
    assert.strictEqual(lastEvent(path.join(r.coordDir, ST)).event_id, out.event_ids[1])
    assert.strictEqual(git(r.coord, ["status", "--porcelain"]), "")
  })

  it("A2.8 without --adopt: PLACEMENT_DIVERGENCE names tasks.md only; nothing is written anywhere", async () => {
    const r = await coordFixture()
    dirtyPrimary(r)
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "PLACEMENT_DIVERGENCE")
    assert.deepStrictEqual(err.divergent_paths, [`kitty-specs/${r.mission.slug}/tasks.md`])
    assert.deepStrictEqual(err.not_adoptable, [])
    assert.strictEqual(err.placement_checkout, r.coord)
    assert.deepStrictEqual(err.placement_ref, { ref: coordBranch(r.mission), kind: "coordination" })
    assert.isTrue(err.remediation.some((line: string) => line.includes("--adopt")))
    assertUnchanged(r.root, before)
  })

  it("a planning commit that git refuses (a pre-commit hook) undoes the adoption and the staging", async () => {
    const r = await coordFixture()
    dirtyPrimary(r)
    fs.writeFileSync(path.join(r.coordDir, "research.md"), "# Research, edited in the right checkout\n")
    fs.mkdirSync(path.join(r.coordDir, "contracts"))
    fs.writeFileSync(path.join(r.coordDir, "contracts", "api.md"), "# API\n")
    const hook = path.join(r.root, ".git", "hooks", "pre-commit")
    fs.mkdirSync(path.dirname(hook), { recursive: true })
    fs.writeFileSync(hook, "#!/bin/sh\necho refused by hook >&2\nexit 1\n", { mode: 0o755 })
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01", "--adopt")), "COMMIT_FAILED")
    assert.include(err.stderr, "refused by hook")
    assertUnchanged(r.root, before)
  })

  it("A2.8 control: the same edit made in the coord worktree is committed on the placement ref", async () => {
    const r = await coordFixture()
    fs.writeFileSync(path.join(r.coordDir, "tasks.md"), TASKS_MD_TICKED)
    const out = success(r.cli(claimArgs(r, "WP01")))
    assert.deepStrictEqual(out.adopted, [])
    assert.deepStrictEqual(committedFiles(r.coord, out.planning_commit), [`kitty-specs/${r.mission.slug}/tasks.md`])
  })

  it("a dirty primary meta.json is DIRTY_WORKTREE; a deleted primary file cannot be adopted", async () => {
    const r = await coordFixture()
    const meta = path.join(r.dir, "meta.json")
    fs.writeFileSync(meta, fs.readFileSync(meta, "utf8").replace("software-dev", "research"))
    let before = repoState(r.root)
    const dirty = refusal(r.cli(claimArgs(r, "WP01", "--adopt")), "DIRTY_WORKTREE")
    assert.deepStrictEqual(dirty.dirty_paths, [`kitty-specs/${r.mission.slug}/meta.json`])
    assert.strictEqual(dirty.message, "Refusing to claim WP01 with pre-existing dirty working tree.")
    assertUnchanged(r.root, before)
    git(r.root, ["checkout", "--", `kitty-specs/${r.mission.slug}/meta.json`])
    fs.rmSync(path.join(r.dir, "research.md"))
    before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01", "--adopt")), "PLACEMENT_DIVERGENCE")
    assert.deepStrictEqual(err.not_adoptable, [`kitty-specs/${r.mission.slug}/research.md`])
    assertUnchanged(r.root, before)
  })

  it("the lane worktree gets the non-cone sparse checkout without the mission's status files", async () => {
    const r = await coordFixture()
    const out = success(r.cli(claimArgs(r, "WP01")))
    const wt = path.join(r.root, out.workspace_path)
    assert.strictEqual(out.parent, coordBranch(r.mission))
    assert.strictEqual(git(wt, ["sparse-checkout", "list"]), [
      "/*",
      `!kitty-specs/${r.mission.slug}/${ST}`,
      `!kitty-specs/${r.mission.slug}/${SNAP}`
    ].join("\n"))
    const laneDir = path.join(wt, "kitty-specs", r.mission.slug)
    assert.isFalse(fs.existsSync(path.join(laneDir, ST)))
    assert.isFalse(fs.existsSync(path.join(laneDir, SNAP)))
    assert.isTrue(fs.existsSync(path.join(laneDir, "tasks.md")))
    assert.isTrue(fs.existsSync(path.join(laneDir, "analysis-report.md")), "the lane starts from the coordination branch")
    assert.strictEqual(git(wt, ["status", "--porcelain"]), "")
    const primaryConfig = spawnSync("git", ["-C", r.root, "config", "--get", "core.sparseCheckout"], { encoding: "utf8" })
    assert.notStrictEqual(primaryConfig.stdout.trim(), "true", "the primary checkout is not made sparse")
  })
})

// ---------------------------------------------------------------------------------------------
// #1816: planning artifacts split across two branches must not block the claim

/**
 * spec-kitty's check (the #1816 deadlock, as a test double): every tracked file of the primary mission
 * dir must exist with the same blob on the coordination ref, else it is "not committed".
 */
const naivePlanningCheck = (root: string, ref: string, missionRel: string): ReadonlyArray<string> => {
  const files = git(root, ["ls-files", "--", missionRel]).split("\n").filter((x) => x !== "")
  return files.filter((f) => {
    const onRef = spawnSync("git", ["-C", root, "rev-parse", "--verify", "--quiet", `${ref}:${f}`], { encoding: "utf8" })
    return onRef.status !== 0 || onRef.stdout.trim() !== git(root, ["hash-object", "--", f])
  }).sort()
}

const FRESH: Freshness = { ok: true, path: "(isolated)", stale: false, missing: false, reason: null, mismatches: {} }

describe("#1816 split planning artifacts (A2.3)", () => {
  it("the naive ref comparison refuses the split; the real claim makes no planning commit and succeeds", async () => {
    const r = await coordFixture({ split: true })
    const rel = `kitty-specs/${r.mission.slug}`
    // non-vacuity: the naive check stalls on exactly the split artifacts
    assert.deepStrictEqual(naivePlanningCheck(r.root, coordBranch(r.mission), rel), [
      `${rel}/meta.json`,
      `${rel}/plan.md`,
      `${rel}/spec.md`
    ])
    const coordHead = git(r.coord, ["rev-parse", "HEAD"])
    const mainHead = git(r.root, ["rev-parse", "main"])
    // step 4 isolated: the analysis gate reads spec.md/plan.md from the placement mission dir (see the pending test)
    const exit = await runLib(
      Effect.gen(function*() {
        const live = yield* ClaimGates
        return yield* claimWorkPackage({ cwd: r.root, mission: r.mission.slug, wpId: "WP01", agent: "codex", shellPid: process.pid })
          .pipe(Effect.provideService(ClaimGates, { ...live, analysis: () => Effect.succeed(FRESH) }))
      })
    )
    assert.isTrue(Exit.isSuccess(exit), JSON.stringify(exit))
    if (Exit.isFailure(exit)) return
    assert.strictEqual(exit.value.planning_commit, null)
    assert.strictEqual(exit.value.to_lane, "in_progress")
    assert.strictEqual(git(r.root, ["rev-parse", "main"]), mainHead, "nothing committed on the target branch")
    assert.deepStrictEqual(committedFiles(r.coord), [`${rel}/${ST}`, `${rel}/${SNAP}`], "only the claim's status commit")
    assert.strictEqual(git(r.coord, ["rev-parse", "HEAD~1"]), coordHead)
  })

  it("with the real analysis gate and no report, the split is refused at step 4, never at the planning step", async () => {
    const r = await coordFixture({ split: true })
    const before = repoState(r.root)
    const err = refusal(r.cli(claimArgs(r, "WP01")), "ANALYSIS_REPORT_REQUIRED")
    assert.strictEqual(err.freshness.reason, "missing_analysis_report")
    assertUnchanged(r.root, before)
    assert.isFalse(fs.existsSync(path.join(r.root, ".worktrees", `${r.mission.slug}-lane-a`)))
  })

  // The analysis inputs of a split mission exist only in the primary checkout: freshness reads each input
  // where planning files are placed and, when it is absent there, from the primary mission dir.
  it("A2.3 end to end through the CLI: record-analysis, then the claim succeeds with the real gate", async () => {
    const r = await coordFixture({ split: true })
    const input = path.join(path.dirname(r.root), "analysis-input.md")
    fs.writeFileSync(input, "# Analysis\n\nThe split planning files were reviewed.\n")
    success(r.cli(["mission", "record-analysis", "--mission", r.mission.slug, "--input-file", input, "--agent", "codex", "--json"]))
    const out = success(r.cli(claimArgs(r, "WP01")))
    assert.strictEqual(out.to_lane, "in_progress")
    assert.strictEqual(out.planning_commit, null)
  })
})

// ---------------------------------------------------------------------------------------------

describe("A2.7 concurrent allocation of one lane", () => {
  it("eight concurrent claims of WPs in one lane: all succeed, one path, one registration", async () => {
    const wps = ["WP01", "WP02", "WP03", "WP04", "WP05", "WP06", "WP07", "WP08"]
    const r = await primaryFixture({
      wps: Object.fromEntries(wps.map((w) => [w, {}])),
      lanes: [{ lane_id: "lane-a", wp_ids: wps }]
    })
    const runs = await Promise.all(wps.map((wp) => r.cliAsync(claimArgs(r, wp))))
    const outs = runs.map(success)
    assert.deepStrictEqual([...new Set(outs.map((o) => o.workspace_path))], [`.worktrees/${r.mission.slug}-lane-a`])
    const registry = git(r.root, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l.startsWith("worktree "))
    assert.strictEqual(registry.filter((l) => l.endsWith(`${r.mission.slug}-lane-a`)).length, 1)
    const claims = fs.readFileSync(path.join(r.dir, ST), "utf8").split("\n").filter((l) => l.includes("\"to_lane\": \"claimed\""))
    assert.strictEqual(claims.length, 8)
  })

  it("eight concurrent allocations in one process (no status lock): same path, listed once", async () => {
    const r = await primaryFixture()
    const program = Effect.gen(function*() {
      const resolution = yield* resolveForWrite({ cwd: r.root, mission: r.mission.slug, action: "implement", wp_id: "WP01" })
      const plan = lanePlanOf(resolution)
      return yield* Effect.all(Array.from({ length: 8 }, () => allocateLaneWorktree(resolution, plan)), { concurrency: "unbounded" })
    })
    const exit = await runLib(program)
    assert.isTrue(Exit.isSuccess(exit), JSON.stringify(exit))
    if (Exit.isFailure(exit)) return
    assert.deepStrictEqual([...new Set(exit.value.map((o) => o.path))], [path.join(r.root, ".worktrees", `${r.mission.slug}-lane-a`)])
    assert.strictEqual(exit.value.filter((o) => o.created).length, 1, "exactly one creation")
    const registry = git(r.root, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l.startsWith("worktree "))
    assert.strictEqual(registry.length, 2)
  })
})

describe("CWD invariance", () => {
  it("claiming from a subdirectory gives the same answer as from the root", async () => {
    const r = await primaryFixture()
    const out = success(r.cli(claimArgs(r, "WP01"), { cwd: path.join(r.dir, "tasks") }))
    assert.strictEqual(out.workspace_path, `.worktrees/${r.mission.slug}-lane-a`)
    assert.isTrue(fs.existsSync(path.join(r.root, out.workspace_path)))
  })
})
