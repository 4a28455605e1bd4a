/**
 * `kittyctx mission record-analysis` and `analysis-status` seen from outside (docs/surfaces.md §1.5-§1.6,
 * acceptance A1.1-A1.12): the built binary run as a real process in real git repositories, plus the
 * preflight run in process with the naive classifications it replaces (the #1814 non-vacuity control).
 * Every refusal is checked to leave the repository exactly as it was. Needs `npm run build` first.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import YAML from "yaml"
import { MainLayer } from "../../src/services/MainLayer.js"
import { recordAnalysis } from "../../src/services/surfaces/RecordAnalysis.js"
import { DivergencePolicy } from "../../src/services/surfaces/WriteGuards.js"
import { CLI, commitAll, git, isolatedEnv, makeRepo, removeTemp, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { fileSha256, sha256Hex, skipNamed, treeHashes } from "../support/fingerprint.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Env {
  readonly [k: string]: string
}

/** The built CLI in `cwd`, with `input` on stdin. */
const kittyctx = (cwd: string, args: ReadonlyArray<string>, opts: { input?: string; env?: Env; home: string }): CliRun => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: isolatedEnv(opts.home, { ...opts.env }),
    input: opts.input ?? "",
    encoding: "utf8"
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The one JSON object a `--json` command printed. */
const envelope = (run: CliRun): Record<string, any> => {
  const lines = run.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `expected one JSON line on stdout, got: ${run.stdout}${run.stderr}`)
  return JSON.parse(lines[0])
}

// ---------------------------------------------------------------------------------------------
// Repository state: what "left exactly as it was" compares

/** Refs, the worktree registry, `git status` of every worktree, and the hash of every file on disk. */
const repoState = (root: string) => {
  const worktrees = git(root, ["worktree", "list", "--porcelain"]).split("\n").filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice(9))
  return {
    refs: git(root, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    worktrees,
    status: Object.fromEntries(worktrees.map((w) => [w, git(w, ["status", "--porcelain=v1", "--untracked-files=all"])])),
    // every entry named .git (the git dir, a worktree's pointer file) aside
    files: treeHashes(root, { skip: skipNamed(".git") })
  }
}

/** Runs a command that must refuse with `code`, exit 1, and leave the repository as it was. */
const refuses = (root: string, code: string, run: () => CliRun): Record<string, any> => {
  const before = repoState(root)
  const r = run()
  assert.strictEqual(r.code, 1, `expected exit 1: ${r.stdout}${r.stderr}`)
  const out = envelope(r)
  assert.strictEqual(out.ok, false)
  assert.strictEqual(out.error.code, code, JSON.stringify(out.error))
  assert.deepStrictEqual(repoState(root), before, "the refusal changed the repository")
  return out.error
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const TASKS = "# Tasks\n\n- [ ] T001 build the core\n- [ ] T002 write the CLI\n\n| WP | Status |\n|---|---|\n| WP01 | [ ] |\n"

const carrier = (findings: ReadonlyArray<string>, counts: Partial<Record<string, number>>, body = "# Analysis\n\nAll requirements map to tasks.\n") =>
  `---\nschema: analysis-findings/v1\nfindings:${findings.length === 0 ? " []" : findings.map((f) => `\n  - ${f}`).join("")}\n` +
  `counts: {critical: ${counts.critical ?? 0}, high: ${counts.high ?? 0}, medium: ${counts.medium ?? 0}, low: ${counts.low ?? 0}, info: ${counts.info ?? 0}}\n---\n\n${body}`

const MEDIUM = carrier(["{id: A1, severity: medium, category: coverage, summary: \"FR-003 has no task\"}"], { medium: 1 })

interface Repo {
  readonly base: string
  readonly root: string
  readonly slug: string
  readonly dir: string
  readonly rel: string
  readonly cli: (args: ReadonlyArray<string>, opts?: { input?: string; env?: Env; cwd?: string }) => CliRun
  readonly record: (extra?: ReadonlyArray<string>, input?: string, opts?: { env?: Env; cwd?: string }) => CliRun
  readonly status: (cwd?: string) => CliRun
}

const repoOf = (root: string, slug: string): Repo => {
  const base = path.dirname(root)
  const cli: Repo["cli"] = (args, opts = {}) => kittyctx(opts.cwd ?? root, args, { home: base, ...opts })
  return {
    base,
    root,
    slug,
    dir: path.join(root, "kitty-specs", slug),
    rel: `kitty-specs/${slug}`,
    cli,
    record: (extra = [], input = MEDIUM, opts = {}) =>
      cli(["mission", "record-analysis", "--mission", slug, "--input-file", "-", "--json", ...extra], { input, ...opts }),
    status: (cwd = root) => cli(["mission", "analysis-status", "--mission", slug, "--json"], { cwd })
  }
}

const missionFiles = (slug: string, missionId: string, meta: Record<string, unknown>, extra: Record<string, string> = {}) => {
  const dir = `kitty-specs/${slug}`
  return {
    [`${dir}/meta.json`]: JSON.stringify({ mission_id: missionId, mission_slug: slug, slug, mission_type: "software-dev", ...meta }, null, 2) + "\n",
    [`${dir}/spec.md`]: `# ${slug}\n\nFR-001 the thing.\n`,
    [`${dir}/plan.md`]: "# Plan\n\nBuild it.\n",
    [`${dir}/tasks.md`]: TASKS,
    [`${dir}/status.events.jsonl`]: "",
    [`${dir}/status.json`]: "{}\n",
    ...extra
  }
}

/** A `primary`/`flattened` mission committed on `branch`, which the primary checkout has checked out. */
const primaryRepo = (opts: { target: string; branch?: string; meta?: Record<string, unknown>; extra?: Record<string, string> }): Repo => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  const slug = "report-01JZRPT0"
  writeFiles(root, missionFiles(slug, "01JZRPT0000000000000000000", { target_branch: opts.target, topology: "lanes", ...opts.meta }, opts.extra))
  commitAll(root, "mission")
  const branch = opts.branch ?? opts.target
  if (branch !== "main") git(root, ["checkout", "-q", "-b", branch])
  return repoOf(root, slug)
}

const COORD_SLUG = "residue-01ABCDEF"
const COORD_BRANCH = `kitty/mission-${COORD_SLUG}`

/**
 * A1.1's repository: a `lanes_with_coord` mission whose coordination branch is checked out in its
 * coordination worktree (clean), and the mission's status files modified in the primary checkout.
 */
const coordRepo = (opts: { materialize?: boolean; residue?: boolean } = {}): Repo & { readonly coord: string; readonly coordDir: string } => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  writeFiles(root, {
    ...missionFiles(COORD_SLUG, "01ABCDEF000000000000000000", {
      target_branch: "main",
      topology: "lanes_with_coord",
      coordination_branch: COORD_BRANCH
    }),
    ...missionFiles("other-01ZZZZZZ", "01ZZZZZZ000000000000000000", { target_branch: "main" })
  })
  commitAll(root, "missions")
  git(root, ["branch", COORD_BRANCH])
  const coord = path.join(root, ".worktrees", `${COORD_SLUG}-coord`)
  if (opts.materialize !== false) git(root, ["worktree", "add", "-q", coord, COORD_BRANCH])
  const r = repoOf(root, COORD_SLUG)
  if (opts.residue !== false) {
    fs.appendFileSync(path.join(r.dir, "status.events.jsonl"), "{\"residue\": true}\n")
    fs.writeFileSync(path.join(r.dir, "status.json"), "{\"residue\": true}\n")
  }
  return { ...r, coord, coordDir: path.join(coord, "kitty-specs", COORD_SLUG) }
}

const head = (cwd: string, ref = "HEAD") => git(cwd, ["rev-parse", ref])
const porcelain = (cwd: string) => git(cwd, ["status", "--porcelain=v1", "--untracked-files=all"])

// ---------------------------------------------------------------------------------------------

describe("A1.1/A1.2 coordination residue does not deadlock the preflight (#1814)", () => {
  it("A1.1: residue in the primary checkout, clean coord worktree → the report is recorded and committed there", () => {
    const r = coordRepo()
    const mainBefore = head(r.root, "main")
    const primaryBefore = porcelain(r.root)
    assert.strictEqual(primaryBefore, `M ${r.rel}/status.events.jsonl\n M ${r.rel}/status.json`)
    const run = r.record()
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = envelope(run)
    assert.strictEqual(out.path, path.join(r.coordDir, "analysis-report.md"))
    assert.isTrue(out.committed)
    assert.strictEqual(out.commit, head(r.coord))
    assert.strictEqual(head(r.root, COORD_BRANCH), out.commit)
    assert.strictEqual(git(r.coord, ["show", "--name-only", "--format=%s", "HEAD"]), `Add analysis report for mission ${COORD_SLUG}\n\n${r.rel}/analysis-report.md`)
    assert.strictEqual(head(r.root, "main"), mainBefore, "no commit on the primary checkout's branch")
    assert.strictEqual(porcelain(r.root), primaryBefore, "the residue is neither committed nor copied")
    assert.strictEqual(porcelain(r.coord), "")
    assert.isFalse(fs.existsSync(path.join(r.dir, "analysis-report.md")))
    const fresh = r.status()
    assert.deepStrictEqual(envelope(fresh), {
      ok: true,
      fresh: true,
      path: out.path,
      stale: false,
      missing: false,
      reason: null,
      mismatches: {}
    })
    assert.strictEqual(r.status(r.coordDir).stdout, fresh.stdout, "the same answer from the coord worktree")
  })

  it("A1.1 run from inside the clean coord worktree (where #1814 still refused) → recorded", () => {
    const r = coordRepo()
    const run = r.record([], MEDIUM, { cwd: r.coordDir })
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(envelope(run).commit, head(r.coord))
  })

  const inProcess = (r: Repo, policy: Partial<Context.Tag.Service<DivergencePolicy>>) =>
    Effect.gen(function*() {
      const live = yield* DivergencePolicy
      return yield* recordAnalysis({ cwd: r.root, mission: r.slug, text: MEDIUM, agent: null, adopt: false, noCommit: false }).pipe(
        Effect.provideService(DivergencePolicy, { ...live, ...policy })
      )
    }).pipe(Effect.provide(MainLayer), Effect.exit)
  const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
    if (Exit.isSuccess(exit)) return null
    const f = exit.cause._tag === "Fail"
      ? exit.cause.error as { readonly code: string; readonly details: Readonly<Record<string, unknown>> }
      : null
    return f === null ? { code: "DEFECT", details: {} } : { code: f.code, details: f.details }
  }

  it.live("non-vacuity: without the rule table (spec-kitty's judgement) the same repository refuses; the real one passes", () =>
    Effect.gen(function*() {
      const r = coordRepo()
      const before = repoState(r.root)
      const residue = [`${r.rel}/status.events.jsonl`, `${r.rel}/status.json`]

      // an empty rule table: the status files are then divergent lifecycle files, which nothing may adopt
      const noRules = failureOf(yield* inProcess(r, { rules: [] }))
      assert.strictEqual(noRules?.code, "PLACEMENT_DIVERGENCE")
      assert.deepStrictEqual(noRules?.details.not_adoptable, residue)
      // and with the primary checkout judged as if it were the placement checkout (spec-kitty's #1814)
      const naive = failureOf(yield* inProcess(r, { rules: [], placementKind: "primary" }))
      assert.strictEqual(naive?.code, "DIRTY_WORKTREE")
      assert.deepStrictEqual(naive?.details.dirty_paths, residue)
      assert.deepStrictEqual(repoState(r.root), before, "the refused variants changed the repository")

      const real = yield* inProcess(r, {})
      assert.isTrue(Exit.isSuccess(real), JSON.stringify(failureOf(real)))
    }))

  it("A1.2: the same residue under flattened placement is kittyctx's bookkeeping too: recorded, the status files left as they are", () => {
    const r = primaryRepo({ target: "feature", meta: { topology: "single_branch", flattened: true } })
    fs.appendFileSync(path.join(r.dir, "status.events.jsonl"), "{\"residue\": true}\n")
    fs.writeFileSync(path.join(r.dir, "status.json"), "{\"residue\": true}\n")
    const run = r.record()
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.deepStrictEqual(git(r.root, ["show", "--name-only", "--format=", "HEAD"]).split("\n"), [`${r.rel}/analysis-report.md`])
    assert.strictEqual(porcelain(r.root), ` M ${r.rel}/status.events.jsonl\n M ${r.rel}/status.json`.trimStart())
  })
})

describe("A1.3/A1.4 genuine edits and foreign residue refuse", () => {
  it("A1.3: a primary spec.md differing from the coord copy → PLACEMENT_DIVERGENCE, nothing written anywhere", () => {
    const r = coordRepo()
    fs.appendFileSync(path.join(r.dir, "spec.md"), "FR-002 edited in the wrong checkout.\n")
    const e = refuses(r.root, "PLACEMENT_DIVERGENCE", () => r.record())
    assert.deepStrictEqual(e, {
      code: "PLACEMENT_DIVERGENCE",
      message: `Mission files edited in the primary checkout differ from the placement checkout ${r.coord} (placement ref ${COORD_BRANCH}).`,
      divergent_paths: [`${r.rel}/spec.md`],
      not_adoptable: [],
      placement_ref: { ref: COORD_BRANCH, kind: "coordination" },
      placement_checkout: r.coord,
      remediation: [
        "Re-run with --adopt to copy the listed primary edits into the placement checkout and commit them on the placement ref.",
        "Or make the edits in the placement checkout and restore the primary copies."
      ]
    })
  })

  it("A1.3: the same edit under flattened placement → DIRTY_WORKTREE", () => {
    const r = primaryRepo({ target: "feature", meta: { topology: "single_branch", flattened: true } })
    fs.appendFileSync(path.join(r.dir, "spec.md"), "FR-002 edited.\n")
    const e = refuses(r.root, "DIRTY_WORKTREE", () => r.record())
    assert.deepStrictEqual(e.dirty_paths, [`${r.rel}/spec.md`])
  })

  it("A1.4: another mission's status files are bookkeeping (recorded); another mission's spec.md → DIRTY_WORKTREE", () => {
    const r = coordRepo()
    fs.writeFileSync(path.join(r.root, "kitty-specs", "other-01ZZZZZZ", "status.json"), "{\"other\": true}\n")
    const ok = r.record()
    assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr)
    fs.appendFileSync(path.join(r.root, "kitty-specs", "other-01ZZZZZZ", "spec.md"), "edited\n")
    const e = refuses(r.root, "DIRTY_WORKTREE", () => r.record())
    assert.deepStrictEqual(e.dirty_paths, ["kitty-specs/other-01ZZZZZZ/spec.md"])
    assert.deepStrictEqual(e.remediation, [`Commit or stash the listed paths in ${r.root}, then re-run record-analysis.`])
  })

  it("a dirty coord worktree (the placement checkout) blocks first, every path of it", () => {
    const r = coordRepo()
    fs.writeFileSync(path.join(r.coord, "scratch.txt"), "x\n")
    fs.writeFileSync(path.join(r.root, "primary-scratch.txt"), "x\n")
    const e = refuses(r.root, "DIRTY_WORKTREE", () => r.record())
    assert.deepStrictEqual(e.dirty_paths, ["scratch.txt"])
    assert.deepStrictEqual(e.remediation, [`Commit or stash the listed paths in ${r.coord}, then re-run record-analysis.`])
  })
})

describe("A1.5/A1.6 dirty tree and protected branch", () => {
  it("A1.5: an untracked file → DIRTY_WORKTREE with the specified payload, no report", () => {
    const r = primaryRepo({ target: "feature" })
    fs.writeFileSync(path.join(r.root, "dirty.txt"), "dirty\n")
    const e = refuses(r.root, "DIRTY_WORKTREE", () => r.record())
    assert.deepStrictEqual(e, {
      code: "DIRTY_WORKTREE",
      message: "Refusing to record analysis report with pre-existing dirty working tree.",
      dirty_paths: ["dirty.txt"],
      remediation: [`Commit or stash the listed paths in ${r.root}, then re-run record-analysis.`]
    })
    assert.isFalse(fs.existsSync(path.join(r.dir, "analysis-report.md")))
  })

  it("A1.5: without --json the refusal is error[DIRTY_WORKTREE] on stderr and nothing on stdout", () => {
    const r = primaryRepo({ target: "feature" })
    fs.writeFileSync(path.join(r.root, "dirty.txt"), "dirty\n")
    const run = r.cli(["mission", "record-analysis", "--mission", r.slug], { input: MEDIUM })
    assert.strictEqual(run.code, 1)
    assert.strictEqual(run.stdout, "")
    assert.match(run.stderr, /^error\[DIRTY_WORKTREE\]: Refusing to record analysis report with pre-existing dirty working tree\./)
  })

  it("A1.6: placement ref main → the report is written uncommitted (committed: false with the reason); the override commits", () => {
    const r = primaryRepo({ target: "main" })
    const before = head(r.root)
    const run = r.record()
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = envelope(run)
    assert.deepInclude(out, { committed: false, commit: null })
    assert.deepStrictEqual(out.commit_skipped.reason, "protected_branch")
    assert.strictEqual(out.commit_skipped.ref, "main")
    assert.strictEqual(head(r.root), before)
    assert.strictEqual(porcelain(r.root), `?? ${r.rel}/analysis-report.md`)
    assert.isTrue(envelope(r.status()).fresh)
    // a second analysis rewrites the uncommitted report: kittyctx's own record never blocks it
    assert.strictEqual(r.record([], MEDIUM, { env: { KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS: "0" } }).code, 0)
    const bad = refuses(r.root, "CONFIG_INVALID", () => r.record([], MEDIUM, { env: { KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS: "maybe" } }))
    assert.strictEqual(bad.setting, "KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS")
    const ok = r.record([], MEDIUM, { env: { KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS: "1" } })
    assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr)
    assert.strictEqual(git(r.root, ["rev-list", "--count", `${before}..HEAD`]), "1")
    assert.strictEqual(envelope(ok).commit, head(r.root))
    assert.strictEqual(porcelain(r.root), "")
  })

  it("A1.6: SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS=1 is an equivalent override; KITTYCTX_PROTECTED_BRANCHES protects more", () => {
    const r = primaryRepo({ target: "main" })
    const run = r.record([], MEDIUM, { env: { SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS: "1" } })
    assert.strictEqual(run.code, 0)
    assert.strictEqual(envelope(run).committed, true)
    const f = primaryRepo({ target: "feature" })
    const skipped = f.record([], MEDIUM, { env: { KITTYCTX_PROTECTED_BRANCHES: "release, feature" } })
    assert.strictEqual(envelope(skipped).commit_skipped.ref, "feature")
  })

  it("--no-commit skips the protected-branch check, writes the report and commits nothing", () => {
    const r = primaryRepo({ target: "main" })
    const before = head(r.root)
    const run = r.record(["--no-commit"])
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = envelope(run)
    assert.deepInclude(out, { committed: false, commit: null, stale: false })
    assert.strictEqual(head(r.root), before)
    assert.strictEqual(porcelain(r.root), `?? ${r.rel}/analysis-report.md`)
    assert.isTrue(envelope(r.status()).fresh)
  })

  it("the placement checkout on another branch → PLACEMENT_BRANCH_MISMATCH", () => {
    const r = primaryRepo({ target: "feature", branch: "topic" })
    const e = refuses(r.root, "PLACEMENT_BRANCH_MISMATCH", () => r.record())
    assert.strictEqual(e.expected, "refs/heads/feature")
    assert.strictEqual(e.actual, "refs/heads/topic")
  })

  it("a git operation in progress → GIT_OPERATION_IN_PROGRESS", () => {
    const r = primaryRepo({ target: "feature" })
    fs.writeFileSync(path.join(r.root, ".git", "MERGE_HEAD"), head(r.root) + "\n")
    const e = refuses(r.root, "GIT_OPERATION_IN_PROGRESS", () => r.record())
    assert.strictEqual(e.marker, path.join(r.root, ".git", "MERGE_HEAD"))
  })
})

describe("A1.7/A1.8 recording and the verdict", () => {
  it("A1.7: the report, its frontmatter and its hashes; analysis-status then exits 0", () => {
    const r = primaryRepo({ target: "feature" })
    const run = r.cli(["mission", "record-analysis", "--mission", r.slug, "--input-file", "-", "--agent", "codex", "--json"], {
      input: MEDIUM
    })
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = envelope(run)
    const file = path.join(r.dir, "analysis-report.md")
    const expectedInputs = {
      "spec.md": { path: `${r.rel}/spec.md`, sha256: fileSha256(path.join(r.dir, "spec.md")) },
      "plan.md": { path: `${r.rel}/plan.md`, sha256: fileSha256(path.join(r.dir, "plan.md")) },
      // no ticked box: the normalised text is the raw text
      "tasks.md": { path: `${r.rel}/tasks.md`, sha256: fileSha256(path.join(r.dir, "tasks.md")) },
      charter: { path: null, sha256: null }
    }
    assert.deepStrictEqual(out, {
      ok: true,
      path: file,
      mission_slug: r.slug,
      mission_id: "01JZRPT0000000000000000000",
      input_artifacts: expectedInputs,
      verdict: "ready",
      issue_counts: { critical: 0, high: 0, medium: 1, low: 0, info: 0 },
      findings: [{ id: "A1", severity: "medium", category: "coverage", summary: "FR-003 has no task" }],
      stale: false,
      committed: true,
      commit: head(r.root),
      adopted: []
    })
    const text = fs.readFileSync(file, "utf8")
    const [, front, body] = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(text)!
    const fm = YAML.parse(front)
    assert.deepStrictEqual(Object.keys(fm), [
      "schema_version",
      "artifact_type",
      "command",
      "mission_slug",
      "mission_id",
      "generated_at",
      "analyzer_agent",
      "input_artifacts",
      "verdict",
      "issue_counts",
      "findings"
    ])
    assert.deepInclude(fm, {
      schema_version: 1,
      artifact_type: "spec-kitty.analysis-report",
      command: "/spec-kitty.analyze",
      mission_slug: r.slug,
      analyzer_agent: "codex",
      verdict: "ready"
    })
    assert.match(fm.generated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/)
    assert.deepStrictEqual(fm.input_artifacts, expectedInputs)
    assert.strictEqual(fm.issue_counts.medium, 1)
    assert.strictEqual(body, "# Analysis\n\nAll requirements map to tasks.\n", "the carrier is stripped from the body")
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%s"]), `Add analysis report for mission ${r.slug}`)
    assert.strictEqual(git(r.root, ["show", "--name-only", "--format=", "HEAD"]), `${r.rel}/analysis-report.md`)
    const status = r.status()
    assert.strictEqual(status.code, 0)
    assert.strictEqual(envelope(status).fresh, true)
  })

  it("A1.7: --input-file <path> (relative to the CWD) and a no-change re-record creates no commit", () => {
    const r = primaryRepo({ target: "feature" })
    const input = path.join(r.base, "analysis.md")
    fs.writeFileSync(input, MEDIUM)
    const first = r.cli(["mission", "record-analysis", "--mission", r.slug, "--input-file", "../analysis.md", "--json"])
    assert.strictEqual(first.code, 0, first.stdout + first.stderr)
    const report = fs.readFileSync(path.join(r.dir, "analysis-report.md"))
    const commit = head(r.root)
    const again = r.cli(["mission", "record-analysis", "--mission", r.slug, "--input-file", input, "--json"])
    assert.strictEqual(again.code, 0, again.stdout + again.stderr)
    assert.deepInclude(envelope(again), { committed: false, commit: null })
    assert.strictEqual(head(r.root), commit)
    assert.deepStrictEqual(fs.readFileSync(path.join(r.dir, "analysis-report.md")), report)
  })

  it("A1.8: one critical finding with reassuring prose → blocked", () => {
    const r = primaryRepo({ target: "feature" })
    // no --input-file: stdin
    const run = r.cli(["mission", "record-analysis", "--mission", r.slug, "--json"], {
      input: carrier(["{id: C1, severity: critical, category: coverage, summary: gap}"], { critical: 1 }, "all good\n")
    })
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(envelope(run).verdict, "blocked")
  })

  it("A1.8: clean counts with alarming prose → ready; no carrier → unknown with null counts", () => {
    const r = primaryRepo({ target: "feature" })
    assert.strictEqual(envelope(r.record([], carrier([], {}, "CRITICAL HIGH blocker\n"))).verdict, "ready")
    const legacy = envelope(r.record([], "# Analysis\n\nCRITICAL issues everywhere.\n"))
    assert.strictEqual(legacy.verdict, "unknown")
    assert.deepStrictEqual(legacy.issue_counts, { critical: null, high: null, medium: null, low: null, info: null })
    assert.deepStrictEqual(legacy.findings, [])
    assert.isTrue(envelope(r.status()).fresh, "a report without carrier is still current")
  })

  it("A1.8: counts.high 1 with no high finding → FINDINGS_CARRIER_INVALID, nothing written", () => {
    const r = primaryRepo({ target: "feature" })
    refuses(r.root, "FINDINGS_CARRIER_INVALID", () => r.record([], carrier([], { high: 1 })))
    assert.isFalse(fs.existsSync(path.join(r.dir, "analysis-report.md")))
  })

  it("an empty body, a missing input and an unknown mission refuse", () => {
    const r = primaryRepo({ target: "feature" })
    const empty = refuses(r.root, "ANALYSIS_REPORT_EMPTY", () => r.record([], carrier([], {}, "\n")))
    assert.strictEqual(empty.message, "Analysis report body is empty")
    fs.rmSync(path.join(r.dir, "plan.md"))
    commitAll(r.root, "drop plan")
    const missing = refuses(r.root, "REQUIRED_ARTIFACT_MISSING", () => r.record())
    assert.strictEqual(missing.message, "Required artifact missing: plan.md")
    const before = repoState(r.root)
    const unknown = r.cli(["mission", "record-analysis", "--mission", "no-such-mission", "--json"], { input: MEDIUM })
    assert.strictEqual(unknown.code, 1)
    assert.strictEqual(envelope(unknown).error.code, "FEATURE_CONTEXT_UNRESOLVED")
    assert.deepStrictEqual(repoState(r.root), before)
  })
})

describe("A1.9-A1.11 freshness", () => {
  it("A1.9: ticking T001 and a table cell keeps the report current; editing T002's text makes it stale", () => {
    const r = primaryRepo({ target: "feature" })
    const recorded = envelope(r.record())
    const tasks = path.join(r.dir, "tasks.md")
    fs.writeFileSync(tasks, TASKS.replace("- [ ] T001", "- [x] T001").replace("| WP01 | [ ] |", "| WP01 | [D] |"))
    assert.notStrictEqual(fileSha256(tasks), recorded.input_artifacts["tasks.md"].sha256, "the raw bytes did change")
    assert.deepInclude(envelope(r.status()), { fresh: true, reason: null })
    const edited = TASKS.replace("- [ ] T001", "- [x] T001").replace("T002 write the CLI", "T002 write the CLI and the docs")
    fs.writeFileSync(tasks, edited)
    const st = r.status()
    assert.strictEqual(st.code, 0, "analysis-status exits 0 when stale")
    const out = envelope(st)
    assert.deepInclude(out, { ok: true, fresh: false, stale: true, reason: "stale_analysis_report" })
    assert.deepStrictEqual(out.mismatches, {
      "tasks.md": {
        saved_sha256: recorded.input_artifacts["tasks.md"].sha256,
        current_sha256: sha256Hex(edited.replace("- [x] T001", "- [ ] T001"))
      }
    })
  })

  it("analysis-status before any report: exit 0, fresh false, missing; it never materialises the coordination worktree", () => {
    const r = coordRepo({ materialize: false, residue: false })
    const before = repoState(r.root)
    const run = r.status()
    assert.strictEqual(run.code, 0)
    assert.deepStrictEqual(envelope(run), {
      ok: true,
      fresh: false,
      path: path.join(r.dir, "analysis-report.md"),
      stale: false,
      missing: true,
      reason: "missing_analysis_report",
      mismatches: {}
    })
    assert.deepStrictEqual(repoState(r.root), before)
    assert.isFalse(fs.existsSync(r.coord))
  })

  it("A1.10: the same freshness from the primary root, a lane worktree whose tasks.md and charter differ, and subdirectories", () => {
    const slug = "lanes-01JZ1ANE"
    const root = makeRepo()
    temps.push(path.dirname(root))
    writeFiles(root, {
      ...missionFiles(slug, "01JZ1ANE000000000000000000", { target_branch: "feature", topology: "lanes" }, {
        [`kitty-specs/${slug}/lanes.json`]: JSON.stringify({ version: 1, lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }] }) + "\n"
      }),
      ".kittify/charter/charter.md": "# Charter\n"
    })
    commitAll(root, "mission")
    git(root, ["checkout", "-q", "-b", "feature"])
    git(root, ["branch", `kitty/mission-${slug}-lane-a`])
    const lane = path.join(root, ".worktrees", `${slug}-lane-a`)
    git(root, ["worktree", "add", "-q", lane, `kitty/mission-${slug}-lane-a`])
    const laneTasks = path.join(lane, "kitty-specs", slug, "tasks.md")
    fs.writeFileSync(laneTasks, TASKS.replace("T001 build the core", "T001 build the core in the lane"))
    fs.writeFileSync(path.join(lane, ".kittify", "charter", "charter.md"), "# A lane's divergent charter\n")
    commitAll(lane, "lane edits")
    const r = repoOf(root, slug)
    const recorded = envelope(r.record())
    // controls: reading the lane's copies would have given other hashes
    assert.notStrictEqual(fileSha256(laneTasks), recorded.input_artifacts["tasks.md"].sha256)
    assert.notStrictEqual(fileSha256(path.join(lane, ".kittify", "charter", "charter.md")), recorded.input_artifacts.charter.sha256)
    assert.strictEqual(recorded.input_artifacts.charter.sha256, fileSha256(path.join(root, ".kittify", "charter", "charter.md")))
    assert.strictEqual(recorded.input_artifacts.charter.path, ".kittify/charter/charter.md")

    const cwds = [root, lane, path.join(lane, "kitty-specs", slug), path.join(root, "kitty-specs", slug)]
    const answers = () => cwds.map((cwd) => r.status(cwd)).map((run) => (assert.strictEqual(run.code, 0, run.stderr), run.stdout))
    const fresh = answers()
    assert.isTrue(JSON.parse(fresh[0]).fresh)
    for (const a of fresh) assert.strictEqual(a, fresh[0])
    fs.appendFileSync(path.join(r.dir, "plan.md"), "More plan.\n")
    const stale = answers()
    assert.strictEqual(JSON.parse(stale[0]).reason, "stale_analysis_report")
    assert.deepStrictEqual(Object.keys(JSON.parse(stale[0]).mismatches), ["plan.md"])
    for (const a of stale) assert.strictEqual(a, stale[0])
  })

  it("A1.11: rewriting every recorded path to /elsewhere/x does not change the freshness result", () => {
    const r = primaryRepo({ target: "feature" })
    envelope(r.record())
    const file = path.join(r.dir, "analysis-report.md")
    const before = r.status().stdout
    const text = fs.readFileSync(file, "utf8")
    const moved = text.replace(/^( {4}path: ).*$/gm, "$1/elsewhere/x")
    assert.strictEqual(moved.match(/\/elsewhere\/x/g)?.length, 4)
    fs.writeFileSync(file, moved)
    assert.strictEqual(r.status().stdout, before)
    assert.isTrue(JSON.parse(before).fresh)
  })
})

describe("A1.12 --adopt", () => {
  it("copies the primary edit into the coord worktree, commits it, then the report; the primary checkout is untouched", () => {
    const r = coordRepo()
    const spec = path.join(r.dir, "spec.md")
    fs.appendFileSync(spec, "FR-002 edited in the primary checkout.\n")
    const mainBefore = head(r.root, "main")
    const coordBefore = head(r.coord)
    const primaryBefore = porcelain(r.root)
    const run = r.record(["--adopt"])
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const out = envelope(run)
    assert.deepStrictEqual(out.adopted, [`${r.rel}/spec.md`])
    assert.strictEqual(git(r.coord, ["log", "--format=%s", `${coordBefore}..HEAD`]), [
      `Add analysis report for mission ${COORD_SLUG}`,
      `chore(${COORD_SLUG}): adopt primary edits into ${COORD_BRANCH}`
    ].join("\n"))
    assert.strictEqual(git(r.coord, ["show", "--name-only", "--format=", "HEAD~1"]), `${r.rel}/spec.md`)
    assert.strictEqual(git(r.coord, ["show", "--name-only", "--format=", "HEAD"]), `${r.rel}/analysis-report.md`)
    assert.deepStrictEqual(fs.readFileSync(path.join(r.coordDir, "spec.md")), fs.readFileSync(spec), "byte-identical copy")
    assert.strictEqual(out.input_artifacts["spec.md"].sha256, fileSha256(spec))
    assert.strictEqual(head(r.root, "main"), mainBefore)
    assert.strictEqual(porcelain(r.root), primaryBefore, "spec.md and the status files stay modified in the primary checkout")
    assert.strictEqual(porcelain(r.coord), "")

    const again = r.record()
    assert.strictEqual(again.code, 0, again.stdout + again.stderr)
    assert.deepInclude(envelope(again), { adopted: [], committed: false })
  })

  it("control: spec.md deleted in the primary checkout → PLACEMENT_DIVERGENCE, listed as not adoptable, nothing copied", () => {
    const r = coordRepo()
    fs.rmSync(path.join(r.dir, "spec.md"))
    const e = refuses(r.root, "PLACEMENT_DIVERGENCE", () => r.record(["--adopt"]))
    assert.deepStrictEqual(e.divergent_paths, [`${r.rel}/spec.md`])
    assert.deepStrictEqual(e.not_adoptable, [`${r.rel}/spec.md`])
  })

  it("a new mission file only in the primary checkout is adopted into a new directory", () => {
    const r = coordRepo()
    writeFiles(r.root, { [`${r.rel}/checklists/requirements.md`]: "- [x] reviewed\n" })
    const out = envelope(r.record(["--adopt"]))
    assert.deepStrictEqual(out.adopted, [`${r.rel}/checklists/requirements.md`])
    assert.strictEqual(fs.readFileSync(path.join(r.coordDir, "checklists", "requirements.md"), "utf8"), "- [x] reviewed\n")
  })

  it("a refused commit (a pre-commit hook) after adoption leaves the repository exactly as it was", () => {
    const r = coordRepo()
    fs.appendFileSync(path.join(r.dir, "spec.md"), "FR-002 edited in the primary checkout.\n")
    writeFiles(r.root, { [`${r.rel}/checklists/new.md`]: "new\n" })
    const hook = path.join(r.root, ".git", "hooks", "pre-commit")
    fs.mkdirSync(path.dirname(hook), { recursive: true })
    fs.writeFileSync(hook, "#!/bin/sh\ngit diff --cached --name-only | grep -q analysis-report.md && exit 1\nexit 0\n", { mode: 0o755 })
    const e = refuses(r.root, "COMMIT_FAILED", () => r.record(["--adopt"]))
    assert.deepInclude(e, { exit_code: 1 })
    assert.isFalse(fs.existsSync(path.join(r.coordDir, "checklists")))
  })
})
