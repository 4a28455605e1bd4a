/**
 * Status moves and their commits (docs/surfaces.md §0.10, issue 9's auto-commit and issue 11 item 6),
 * through the built CLI in real repositories: with auto-commit the status files and nothing else are
 * committed on the placement ref (`chore(spec-kitty): status transition WP01`); the protected-branch
 * policy of `.kittify/config.yaml` refuses before anything is written, with spec-kitty's words and
 * remedy; a git operation or a stale `index.lock` in the commit checkout refuses before the append; a
 * commit that still fails (a hook, a slow hook) or commits other bytes than kittyctx wrote is undone and
 * the log returns to its previous bytes, so a retry simply works; a refused move on a coordination
 * mission creates nothing. Every refusal ends with an unchanged repository, a structured error, exit 1.
 *
 * Shown failing on the behaviour they replace (planted regressions, reverted): with
 * `MissionStatus.withRollback` not restoring the log, the hook cases keep the appended event and the
 * retry is refused as `planned -> planned`-style (TRANSITION_REFUSED); with the git-operation check made
 * after the append, the MERGE_HEAD and index.lock cases leave the event behind; with the blob check off,
 * the editing hook's line is committed; with the coordination undo off, `.worktrees/<slug>-coord` stays.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { bootstrapLine, CLI, configYaml, git, isolatedEnv, makeRepo, removeTemp, wpFile, writeFiles } from "../support/repo.js"
import type { CliRun, RepoConfig } from "../support/repo.js"
import { skipNamed, treeHashes } from "../support/fingerprint.js"
import { spawnSync } from "node:child_process"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const SLUG = "moves-01JZBK00"
const ID = "01JZBK00000000000000000000"
const COORD_SLUG = "coord-moves-01JZBK0C"
const COORD_ID = "01JZBK0C000000000000000000"
const COORD_BRANCH = `kitty/mission-${COORD_SLUG}`

interface Repo {
  readonly root: string
  readonly base: string
  readonly slug: string
  readonly dir: string
  readonly rel: string
  readonly log: string
  readonly cli: (args: ReadonlyArray<string>, env?: Record<string, string>) => CliRun
}

const missionFilesOf = (slug: string, id: string, meta: Record<string, unknown>) => {
  const dir = `kitty-specs/${slug}`
  return {
    [`${dir}/meta.json`]: JSON.stringify({ mission_id: id, mission_slug: slug, slug, mission_type: "software-dev", ...meta }, null, 2) + "\n",
    [`${dir}/spec.md`]: "# Spec\n",
    [`${dir}/tasks.md`]: "# Tasks\n\n## WP01 Core\n\n- [ ] T001 parse\n",
    [`${dir}/tasks/WP01-core.md`]: wpFile("WP01", { subtasks: ["T001"] }),
    [`${dir}/tasks/WP02-cli.md`]: wpFile("WP02", { subtasks: [] }),
    [`${dir}/status.events.jsonl`]: ["WP01", "WP02"]
      .map((wp, i) => bootstrapLine(slug, id, wp, `${id.slice(0, 8)}0000000000000000${i}${i}`, `2026-01-01T00:00:0${i}.000000+00:00`))
      .join("\n") + "\n",
    [`${dir}/status.json`]: "{}\n"
  }
}

/** A primary-kind mission targeting `target` (checked out), with `.kittify/config.yaml` from `config`. */
const primaryRepo = (target: string, config: RepoConfig = { autoCommit: null }): Repo => {
  const root = makeRepo(undefined, config)
  const base = path.dirname(root)
  temps.push(base)
  if (target !== "main") git(root, ["checkout", "-q", "-b", target])
  writeFiles(root, missionFilesOf(SLUG, ID, { target_branch: target }))
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "-m", "mission"])
  return repoOf(root, SLUG)
}

/** A coordination mission: everything on main, the coordination branch made, its worktree not yet created. */
const coordRepo = (): Repo => {
  const root = makeRepo(undefined, { autoCommit: null })
  temps.push(path.dirname(root))
  writeFiles(root, missionFilesOf(COORD_SLUG, COORD_ID, {
    target_branch: "main",
    topology: "coord",
    coordination_branch: COORD_BRANCH
  }))
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "-m", "mission"])
  git(root, ["branch", COORD_BRANCH])
  return repoOf(root, COORD_SLUG)
}

const repoOf = (root: string, slug: string): Repo => {
  const base = path.dirname(root)
  const dir = path.join(root, "kitty-specs", slug)
  return {
    root,
    base,
    slug,
    dir,
    rel: `kitty-specs/${slug}`,
    log: path.join(dir, "status.events.jsonl"),
    cli: (args, env = {}) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: root, env: isolatedEnv(base, env), encoding: "utf8" })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    }
  }
}

const emitArgs = (r: Repo, wp: string, to: string, ...extra: Array<string>) => [
  "status",
  "emit",
  wp,
  "--to",
  to,
  "--actor",
  "alice",
  "--mission",
  r.slug,
  "--json",
  ...extra
]

const envelope = (run: CliRun): Record<string, any> => {
  const lines = run.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `expected one JSON line on stdout, got: ${run.stdout}${run.stderr}`)
  return JSON.parse(lines[0])
}

/** Refs, the worktree registry, the index and `git status` of every checkout, and every file's hash. */
const repoState = (root: string) => {
  const worktrees = git(root, ["worktree", "list", "--porcelain"])
  const paths = worktrees.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9))
  return {
    refs: git(root, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    worktrees,
    status: paths.map((p) => [p, git(p, ["status", "--porcelain=v1", "--untracked-files=all"])]),
    index: git(root, ["ls-files", "-s"]),
    // every entry named .git (the git dir, a worktree's pointer file) aside; links hashed by what they point to
    files: treeHashes(root, { skip: skipNamed(".git"), followLinks: true })
  }
}

/** Runs a command that must refuse with `code`: exit 1, one JSON envelope, the repository unchanged. */
const refuses = (r: Repo, code: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Record<string, any> => {
  const before = repoState(r.root)
  const run = r.cli(args, env)
  assert.strictEqual(run.code, 1, `expected exit 1 (${code}): ${run.stdout}${run.stderr}`)
  const out = envelope(run)
  assert.strictEqual(out.ok, false)
  assert.strictEqual(out.error.code, code, JSON.stringify(out.error))
  assert.deepStrictEqual(repoState(r.root), before, "the refusal changed the repository")
  return out.error
}

const ok = (run: CliRun): Record<string, any> => {
  assert.strictEqual(run.code, 0, `expected exit 0: ${run.stdout}${run.stderr}`)
  return envelope(run)
}

const hook = (r: Repo, body: string) => {
  const file = path.join(r.root, ".git", "hooks", "pre-commit")
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return () => fs.rmSync(file)
}

const subject = (cwd: string, rev = "HEAD") => git(cwd, ["log", "-1", "--format=%s", rev])
const committedFiles = (cwd: string, rev = "HEAD") =>
  git(cwd, ["show", "--name-only", "--format=", rev]).split("\n").filter((x) => x !== "").sort()

// ---------------------------------------------------------------------------------------------

describe("auto-commit: the status files and nothing else, on the placement ref", () => {
  it("an emit commits exactly the two status files as spec-kitty does; git status stays clean", () => {
    const r = primaryRepo("develop")
    fs.writeFileSync(path.join(r.root, "unrelated.txt"), "mine\n")
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed")))
    assert.deepInclude(out, { committed: true, auto_commit: true })
    assert.strictEqual(out.commit, git(r.root, ["rev-parse", "develop"]))
    assert.strictEqual(subject(r.root), "chore(spec-kitty): status transition WP01")
    assert.deepStrictEqual(committedFiles(r.root), [`${r.rel}/status.events.jsonl`, `${r.rel}/status.json`])
    assert.strictEqual(git(r.root, ["status", "--porcelain"]), "?? unrelated.txt", "only the user's file is left")
  })

  it("--no-auto-commit (or auto_commit: false in config) writes the move uncommitted; --auto-commit overrides the config", () => {
    const r = primaryRepo("develop")
    const head = git(r.root, ["rev-parse", "HEAD"])
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed", "--no-auto-commit")))
    assert.deepInclude(out, { committed: false, commit: null, auto_commit: false })
    assert.strictEqual(git(r.root, ["rev-parse", "HEAD"]), head)
    assert.strictEqual(git(r.root, ["status", "--porcelain"]), `M ${r.rel}/status.events.jsonl\n M ${r.rel}/status.json`)

    const off = primaryRepo("develop", { autoCommit: false })
    assert.isFalse(ok(off.cli(emitArgs(off, "WP01", "claimed"))).committed)
    const on = ok(off.cli(emitArgs(off, "WP01", "in_progress", "--auto-commit")))
    assert.isTrue(on.committed, "the flag wins over the config")
    assert.strictEqual(off.cli(emitArgs(off, "WP01", "blocked", "--auto-commit", "--no-auto-commit")).code, 2)
  })

  it("a malformed auto_commit is CONFIG_INVALID (spec-kitty would read `auto_commit: no` as on); nothing written", () => {
    const r = primaryRepo("develop")
    fs.writeFileSync(path.join(r.root, ".kittify", "config.yaml"), "auto_commit: no\n")
    git(r.root, ["commit", "-q", "-am", "config"])
    const e = refuses(r, "CONFIG_INVALID", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.setting, "auto_commit")
    assert.include(e.message, "got str: 'no'")
  })
})

describe("protected branches from .kittify/config.yaml (spec-kitty's rules)", () => {
  it("absent: main is protected; the refusal is spec-kitty's, with its remedy; nothing written", () => {
    const r = primaryRepo("main")
    const e = refuses(r, "PROTECTED_BRANCH_REFUSED", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(
      e.message,
      "Bookkeeping refused: Refusing to record 'status transition WP01': destination ref 'main' is on this project's " +
        "protected branch list. This mission uses a lanes / single-branch topology, which mints no coordination " +
        "worktree, so bookkeeping cannot be redirected to one."
    )
    assert.deepStrictEqual(e.protected_branches, ["main", "master"])
    assert.match(e.remediation[0], /--no-auto-commit/)
    // the remedy works: the move is written, uncommitted
    assert.isFalse(ok(r.cli(emitArgs(r, "WP01", "claimed", "--no-auto-commit"))).committed)
  })

  it("absent: origin's default branch (refs/remotes/origin/HEAD, no network) is protected too", () => {
    const r = primaryRepo("trunk")
    git(r.root, ["update-ref", "refs/remotes/origin/trunk", "HEAD"])
    git(r.root, ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk"])
    const e = refuses(r, "PROTECTED_BRANCH_REFUSED", emitArgs(r, "WP01", "claimed"))
    assert.deepStrictEqual(e.protected_branches, ["main", "master", "trunk"])
  })

  it("`protected_branches: []` protects nothing: the move is committed on main", () => {
    const r = primaryRepo("main", { autoCommit: null, protectedBranches: [] })
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed")))
    assert.strictEqual(out.commit, git(r.root, ["rev-parse", "main"]))
  })

  it("a list is taken exactly (no union with the defaults)", () => {
    const r = primaryRepo("main", { autoCommit: null, protectedBranches: ["release"] })
    assert.isTrue(ok(r.cli(emitArgs(r, "WP01", "claimed"))).committed)
    const rel = primaryRepo("release", { autoCommit: null, protectedBranches: ["release"] })
    const e = refuses(rel, "PROTECTED_BRANCH_REFUSED", emitArgs(rel, "WP01", "claimed"))
    assert.strictEqual(e.protected_branches_source, ".kittify/config.yaml")
  })

  it("a malformed list is CONFIG_INVALID with spec-kitty's message (no fallback); nothing written", () => {
    const r = primaryRepo("develop")
    fs.writeFileSync(path.join(r.root, ".kittify", "config.yaml"), "protection:\n  protected_branches: main\n")
    git(r.root, ["commit", "-q", "-am", "config"])
    const e = refuses(r, "CONFIG_INVALID", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.message, "protection.protected_branches in .kittify/config.yaml must be a list, got str: 'main'")
    fs.writeFileSync(path.join(r.root, ".kittify", "config.yaml"), "protection: [\n")
    git(r.root, ["commit", "-q", "-am", "config"])
    assert.match(refuses(r, "CONFIG_INVALID", emitArgs(r, "WP01", "claimed")).message, /^Failed to parse /)
    // a reader does not need the policy: show still works
    assert.strictEqual(r.cli(["status", "show", "--mission", r.slug, "--json"]).code, 0)
  })

  it("the operator overrides still apply (SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS)", () => {
    const r = primaryRepo("main")
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed"), { SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS: "1" }))
    assert.isTrue(out.committed)
  })

  it("the placement checkout on another branch refuses before writing, with the remedy", () => {
    const r = primaryRepo("develop")
    git(r.root, ["checkout", "-q", "-b", "topic"])
    const e = refuses(r, "PLACEMENT_BRANCH_MISMATCH", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.expected, "refs/heads/develop")
    assert.isTrue(e.remediation.some((l: string) => l.includes("--no-auto-commit")))
  })
})

describe("honest commits: nothing is left for the next commit to carry", () => {
  it("a merge in progress in the commit checkout refuses before the append", () => {
    const r = primaryRepo("develop")
    fs.writeFileSync(path.join(r.root, ".git", "MERGE_HEAD"), git(r.root, ["rev-parse", "HEAD"]) + "\n")
    const e = refuses(r, "GIT_OPERATION_IN_PROGRESS", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.marker, path.join(r.root, ".git", "MERGE_HEAD"))
  })

  it("a stale index.lock refuses before the append, naming the lock and how to clear it", () => {
    const r = primaryRepo("develop")
    const lock = path.join(r.root, ".git", "index.lock")
    fs.writeFileSync(lock, "")
    const e = refuses(r, "GIT_OPERATION_IN_PROGRESS", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.marker, lock)
    assert.include(e.message, `remove ${lock}`)
  })

  it("a failing pre-commit hook: COMMIT_FAILED, the log back to its previous bytes; the retry succeeds", () => {
    const r = primaryRepo("develop")
    const unhook = hook(r, "echo 'lint failed' >&2; exit 1")
    const e = refuses(r, "COMMIT_FAILED", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.reason, "git_commit_failed")
    assert.include(e.stderr, "lint failed")
    unhook()
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed")))
    assert.strictEqual(out.event.from_lane, "planned", "the retry is not refused: no orphan event")
    assert.strictEqual(git(r.root, ["status", "--porcelain"]), "")
  })

  it("a hook slower than KITTYCTX_COMMIT_TIMEOUT_MS: COMMIT_FAILED (timed out), rolled back", () => {
    const r = primaryRepo("develop")
    hook(r, "sleep 5")
    const e = refuses(r, "COMMIT_FAILED", emitArgs(r, "WP01", "claimed"), { KITTYCTX_COMMIT_TIMEOUT_MS: "300" })
    assert.strictEqual(e.reason, "git_commit_timed_out")
  })

  it("a hook that edits and stages the log: the commit is undone, the edit is not committed, the log restored", () => {
    const r = primaryRepo("develop")
    hook(r, `echo '{"planted": true}' >> ${r.rel}/status.events.jsonl; git add ${r.rel}/status.events.jsonl`)
    const e = refuses(r, "COMMIT_FAILED", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.reason, "committed_content_differs")
    assert.notInclude(git(r.root, ["log", "--all", "--format=%s"]), "status transition", "no commit kept")
  })

  it("a hook that edits the log without staging it: refused too (the file no longer holds what was written)", () => {
    const r = primaryRepo("develop")
    hook(r, `echo '{"planted": true}' >> ${r.rel}/status.events.jsonl`)
    const e = refuses(r, "COMMIT_FAILED", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.reason, "committed_content_differs")
    assert.isFalse(e.file_matches)
  })

  it("mark-status rolls back the same way", () => {
    const r = primaryRepo("develop")
    hook(r, "exit 1")
    refuses(r, "COMMIT_FAILED", ["tasks", "mark-status", "T001", "--status", "done", "--mission", r.slug, "--json"])
  })
})

describe("coordination missions: a refused move creates nothing", () => {
  it("an illegal transition: no coordination worktree, no .worktrees, no registry entry", () => {
    const r = coordRepo()
    const e = refuses(r, "TRANSITION_REFUSED", emitArgs(r, "WP01", "done"))
    assert.strictEqual(e.message, "Illegal transition: planned -> done")
    assert.isFalse(fs.existsSync(path.join(r.root, ".worktrees")))
  })

  it("a stale index.lock in the coordination worktree refuses before the append", () => {
    const r = coordRepo()
    ok(r.cli(emitArgs(r, "WP02", "blocked")))
    const coord = path.join(r.root, ".worktrees", `${COORD_SLUG}-coord`)
    const lock = path.join(r.root, ".git", "worktrees", `${COORD_SLUG}-coord`, "index.lock")
    fs.writeFileSync(lock, "")
    const e = refuses(r, "GIT_OPERATION_IN_PROGRESS", emitArgs(r, "WP01", "claimed"))
    assert.strictEqual(e.checkout, coord)
  })

  it("a failing hook on the coordination commit: the coordination log is back to its previous bytes", () => {
    const r = coordRepo()
    ok(r.cli(emitArgs(r, "WP02", "blocked")))
    hook(r, "exit 1")
    refuses(r, "COMMIT_FAILED", emitArgs(r, "WP01", "claimed"))
  })

  it("with auto-commit the coordination commit is `chore(spec-kitty): status transition WP01` on the coordination branch", () => {
    const r = coordRepo()
    const out = ok(r.cli(emitArgs(r, "WP01", "claimed")))
    const coord = path.join(r.root, ".worktrees", `${COORD_SLUG}-coord`)
    assert.strictEqual(out.commit, git(coord, ["rev-parse", "HEAD"]))
    assert.strictEqual(subject(coord), "chore(spec-kitty): status transition WP01")
    assert.strictEqual(git(r.root, ["log", "-1", "--format=%s", "main"]), "mission", "nothing on the target branch")
  })
})

describe("config text", () => {
  it("configYaml writes what the tests mean", () => {
    assert.strictEqual(configYaml({ autoCommit: null, protectedBranches: [] }), "project: test\nprotection:\n  protected_branches: []\n")
  })
})
