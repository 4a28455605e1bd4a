/**
 * The end-to-end driver of a mission's day (issue 9's "Must show"): a real repository per topology
 * (lanes with a protected target, lanes with an unprotected target, coordination, flattened), and a
 * runner that takes a table of steps, runs each through the built CLI from the checkout it names, and
 * after every step checks the invariants: exit 0 with `ok: true`, `status show --json` byte-identical
 * from every checkout, and `git status` of every checkout exactly what the auto-commit mode leaves.
 *
 * A later step (merge, retrospect) is added by appending rows to a topology's table; the driver needs
 * no change.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { bootstrapLine, CLI, configYaml, git as gitIn, isolatedEnv, makeTemp, writeFiles } from "./repo.js"
import type { CliRun, RepoConfig } from "./repo.js"

/** The four topologies of the lifecycle tests. */
export type Topology = "lanes-protected" | "lanes-unprotected" | "coordination" | "flattened"

/** Where a step runs. */
export type Where = "primary" | "subdir" | "lane-a" | "lane-b" | "coord"

/** What a step leaves uncommitted when auto-commit is off (with auto-commit every checkout stays clean). */
export type Leaves = "status" | "report"

/** One row of a lifecycle table. */
export interface Step {
  readonly name: string
  readonly from: Where
  /** The command line without `--json` (the driver adds it). */
  readonly args: (m: LifecycleRepo) => ReadonlyArray<string>
  /** Runs first (e.g. the implementation commit a developer makes in a lane worktree). */
  readonly before?: (m: LifecycleRepo) => void
  /** Checks the step's own output. */
  readonly check?: (out: Record<string, any>, m: LifecycleRepo) => void
  /** The files the step writes (uncommitted unless auto-commit is on). */
  readonly leaves?: ReadonlyArray<Leaves>
  /** The subject of the commit the step makes on the placement ref (auto-commit on). */
  readonly commits?: string | ((m: LifecycleRepo) => string)
}

/** A lifecycle repository. */
export interface LifecycleRepo {
  readonly topology: Topology
  readonly base: string
  readonly root: string
  readonly slug: string
  readonly missionId: string
  /** The primary mission dir. */
  readonly dir: string
  readonly rel: string
  readonly target: string
  readonly autoCommit: boolean
  readonly coordBranch: string | null
  readonly env: NodeJS.ProcessEnv
  /** The checkout a step runs in (lane worktrees once created). */
  readonly cwd: (where: Where) => string
  /** The placement checkout (where status and mission files are committed). */
  readonly placementCheckout: () => string
  readonly git: (cwd: string, args: ReadonlyArray<string>) => string
  readonly cli: (where: Where, args: ReadonlyArray<string>) => CliRun
  /** The same, without blocking the test worker's event loop. */
  readonly cliAsync: (where: Where, args: ReadonlyArray<string>) => Promise<CliRun>
}

const MISSIONS: Readonly<Record<Topology, { readonly slug: string; readonly id: string }>> = {
  "lanes-protected": { slug: "day-protected-01JZDY0A", id: "01JZDY0A000000000000000000" },
  "lanes-unprotected": { slug: "day-unprotected-01JZDY0B", id: "01JZDY0B000000000000000000" },
  coordination: { slug: "day-coordination-01JZDY0C", id: "01JZDY0C000000000000000000" },
  flattened: { slug: "day-flattened-01JZDY0D", id: "01JZDY0D000000000000000000" }
}

/** The subtasks of each WP (as tasks.md lists them and the WP files' rosters). */
export const SUBTASKS: Readonly<Record<string, ReadonlyArray<string>>> = { WP01: ["T001", "T002"], WP02: ["T003", "T004"] }

/** The analysis the steps record (`analysis-findings/v1` carrier, one medium finding). */
export const ANALYSIS =
  "---\nschema: analysis-findings/v1\nfindings:\n  - {id: A1, severity: medium, category: coverage, summary: \"FR-002 has no test\"}\n" +
  "counts: {critical: 0, high: 0, medium: 1, low: 0, info: 0}\n---\n\n# Analysis\n\nReady with one gap.\n"

const TASKS_MD = "# Tasks\n\n## WP01 Build the core\n\n- [ ] T001 write the parser\n- [ ] T002 write the fold\n\n" +
  "## WP02 Wire the CLI\n\n- [ ] T003 add the command\n- [ ] T004 document it\n"

const wpFile = (wp: string, title: string) =>
  `---\nwork_package_id: ${wp}\ntitle: ${title}\ndependencies: []\nsubtasks:\n${SUBTASKS[wp].map((t) => `- ${t}`).join("\n")}\n` +
  `execution_mode: code_change\n---\n\n# ${wp} ${title}\n`

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n"

/** Builds a committed repository for `topology`, the status snapshot materialised and committed too. */
export const buildLifecycle = (topology: Topology): LifecycleRepo => {
  const base = makeTemp("kittyctx-life-")
  const root = path.join(base, "repo")
  const env = isolatedEnv(base)
  const git = (cwd: string, args: ReadonlyArray<string>) => gitIn(cwd, args, env)
  const { id, slug } = MISSIONS[topology]
  const target = topology === "lanes-protected" || topology === "coordination" ? "main" : "develop"
  const coordBranch = topology === "coordination" ? `kitty/mission-${slug}` : null
  const config: RepoConfig = topology === "lanes-protected"
    ? { autoCommit: false }
    : topology === "flattened"
    ? { autoCommit: null, protectedBranches: ["main"] }
    : { autoCommit: null }
  const autoCommit = config.autoCommit !== false
  fs.mkdirSync(path.join(root, ".kittify"), { recursive: true })
  writeFiles(root, {
    ".kittify/config.yaml": configYaml(config),
    ".gitignore": ".worktrees/\n.kittify/derived/\n.kittify/workspaces/\n",
    "docs/guides/.gitkeep": "",
    "src/.gitkeep": ""
  })
  git(root, ["init", "-q", "-b", "main"])
  git(root, ["config", "commit.gpgsign", "false"])
  if (target !== "main") {
    git(root, ["commit", "-q", "--allow-empty", "-m", "root"])
    git(root, ["checkout", "-q", "-b", target])
  }
  const rel = `kitty-specs/${slug}`
  const meta: Record<string, unknown> = {
    created_at: "2026-01-01T00:00:00+00:00",
    friendly_name: `A day with ${topology}`,
    mission_id: id,
    mission_slug: slug,
    mission_type: "software-dev",
    slug,
    target_branch: target,
    topology: topology === "coordination" ? "lanes_with_coord" : "lanes",
    ...(coordBranch === null ? {} : { coordination_branch: coordBranch }),
    ...(topology === "flattened" ? { flattened: true } : {})
  }
  writeFiles(root, {
    [`${rel}/meta.json`]: json(meta),
    [`${rel}/spec.md`]: `# ${slug}\n\nFR-001 parse. FR-002 fold.\n`,
    [`${rel}/plan.md`]: "# Plan\n\nCore first, then the CLI.\n",
    [`${rel}/tasks.md`]: TASKS_MD,
    [`${rel}/tasks/WP01-build-core.md`]: wpFile("WP01", "Build the core"),
    [`${rel}/tasks/WP02-wire-cli.md`]: wpFile("WP02", "Wire the CLI"),
    [`${rel}/lanes.json`]: json({
      version: 1,
      mission_branch: `kitty/mission-${slug}`,
      lanes: [
        { lane_id: "lane-a", wp_ids: ["WP01"] },
        { lane_id: "lane-b", wp_ids: ["WP02"] }
      ]
    }),
    [`${rel}/status.events.jsonl`]: ["WP01", "WP02"]
      .map((wp, i) => bootstrapLine(slug, id, wp, `01JZDY00000000000000000${i}${i}A`, `2026-01-01T00:00:0${i}.000000+00:00`))
      .join("\n") + "\n"
  })
  const m = repoOf(topology, base, root, slug, id, target, autoCommit, coordBranch, env)
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "-m", `mission ${slug}`])
  if (coordBranch !== null) git(root, ["branch", coordBranch])
  const materialized = m.cli("primary", ["status", "materialize", "--mission", slug])
  if (materialized.code !== 0) throw new Error(`fixture: materialize failed: ${materialized.stdout}${materialized.stderr}`)
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "--amend", "--no-edit"])
  if (coordBranch !== null) git(root, ["branch", "-f", coordBranch, "HEAD"])
  return m
}

const repoOf = (
  topology: Topology,
  base: string,
  root: string,
  slug: string,
  missionId: string,
  target: string,
  autoCommit: boolean,
  coordBranch: string | null,
  env: NodeJS.ProcessEnv
): LifecycleRepo => {
  const git = (cwd: string, args: ReadonlyArray<string>) => gitIn(cwd, args, env)
  const cwd = (where: Where) =>
    where === "primary"
      ? root
      : where === "subdir"
      ? path.join(root, "docs", "guides")
      : where === "coord"
      ? path.join(root, ".worktrees", `${slug}-coord`)
      : path.join(root, ".worktrees", `${slug}-${where}`)
  return {
    topology,
    base,
    root,
    slug,
    missionId,
    dir: path.join(root, "kitty-specs", slug),
    rel: `kitty-specs/${slug}`,
    target,
    autoCommit,
    coordBranch,
    env,
    cwd,
    placementCheckout: () => (coordBranch === null ? root : cwd("coord")),
    git,
    cli: (where, args) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: cwd(where), env, encoding: "utf8" })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    },
    cliAsync: (where, args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: cwd(where), env })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d) => (stdout += d))
        child.stderr.on("data", (d) => (stderr += d))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })
  }
}

/** A developer's implementation commit in a lane worktree. */
export const implementationCommit = (m: LifecycleRepo, lane: "lane-a" | "lane-b", file: string) => {
  const wt = m.cwd(lane)
  fs.writeFileSync(path.join(wt, "src", file), `// ${file}\n`)
  m.git(wt, ["add", "--", `src/${file}`])
  m.git(wt, ["commit", "-q", "-m", `implement ${file}`])
}

/** `git status --porcelain --untracked-files=all` lines, sorted. */
export const porcelain = (m: LifecycleRepo, cwd: string): ReadonlyArray<string> =>
  spawnSync("git", ["-C", cwd, "status", "--porcelain=v1", "--untracked-files=all"], { encoding: "utf8", env: m.env })
    .stdout.split("\n").filter((l) => l !== "").sort()

/** The checkouts that exist now: the primary, its subdirectory, the lane worktrees, the coordination worktree. */
export const checkouts = (m: LifecycleRepo): ReadonlyArray<Where> =>
  (["primary", "subdir", "lane-a", "lane-b", "coord"] as const).filter((w) => fs.existsSync(m.cwd(w)))

/** A failed expectation with what the step printed. */
const fail = (step: string, what: string, detail: unknown): never => {
  throw new Error(`${step}: ${what}\n${typeof detail === "string" ? detail : JSON.stringify(detail, null, 2)}`)
}

/** What `git status` of the primary checkout must list when auto-commit is off, after the files left so far. */
const expectedPrimaryDirt = (m: LifecycleRepo, left: ReadonlySet<Leaves>): ReadonlyArray<string> =>
  [
    ...(left.has("status") ? [` M ${m.rel}/status.events.jsonl`, ` M ${m.rel}/status.json`] : []),
    ...(left.has("report") ? [`?? ${m.rel}/analysis-report.md`] : [])
  ].sort()

/** Runs `steps` in order on `m`, checking the invariants after each; returns every step's output. */
export const runLifecycle = async (
  m: LifecycleRepo,
  steps: ReadonlyArray<Step>
): Promise<ReadonlyArray<Record<string, any>>> => {
  const outputs: Array<Record<string, any>> = []
  const left = new Set<Leaves>()
  for (const step of steps) {
    const label = `[${m.topology}] ${step.name} (from ${step.from})`
    step.before?.(m)
    const args = [...step.args(m), "--json"]
    if (args.includes("--force")) fail(label, "the lifecycle runs without --force", args)
    const run = await m.cliAsync(step.from, args)
    if (run.code !== 0) fail(label, `exit ${run.code}`, run.stdout + run.stderr)
    const out = JSON.parse(run.stdout) as Record<string, any>
    if (out.ok !== true) fail(label, "not ok", out)
    step.check?.(out, m)
    outputs.push(out)
    for (const l of step.leaves ?? []) left.add(l)

    // `status show --json` is the same bytes from every checkout
    const shows = await Promise.all(
      checkouts(m).map(async (w) => [w, await m.cliAsync(w, ["status", "show", "--mission", m.slug, "--json"])] as const)
    )
    for (const [w, s] of shows) {
      if (s.code !== 0) fail(label, `status show from ${w} failed`, s.stdout + s.stderr)
      if (s.stdout !== shows[0][1].stdout) fail(label, `status show from ${w} differs from ${shows[0][0]}`, s.stdout)
    }

    // `git status` is exactly what the auto-commit mode leaves
    for (const w of checkouts(m).filter((x) => x !== "subdir")) {
      const expected = w === "primary" && !m.autoCommit ? expectedPrimaryDirt(m, left) : []
      const actual = porcelain(m, m.cwd(w))
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        fail(label, `git status of ${w}: expected ${JSON.stringify(expected)}`, actual)
      }
    }

    // with auto-commit, the step's commit is the placement ref's tip
    if (m.autoCommit && step.commits !== undefined) {
      const subject = typeof step.commits === "string" ? step.commits : step.commits(m)
      const tip = m.git(m.placementCheckout(), ["log", "-1", "--format=%s"])
      if (tip !== subject) fail(label, `the placement ref's tip is ${JSON.stringify(tip)}`, subject)
    }
  }
  return outputs
}
