/**
 * A hostile or broken repository (docs/surfaces.md §0.4, §0.7; issue 11): values read from files never
 * reach git as options, writes never land outside the repository, non-regular files never block,
 * malformed input never crashes, messages never echo a file's content, the environment is validated,
 * and a reader never mistakes a worktree being created for a mismatch. Each case runs the built CLI in
 * a real repository and ends with a structured error (exit 1) and an unchanged repository, or exactly
 * the documented outcome. `KITTYCTX_TEST_CLI` may point the suite at another build (this is how each
 * case was first shown failing on the build before the fixes).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { commitAll, git, isolatedEnv, makeRepo, makeTemp, missionFiles, removeTemp, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { CLI as BUILT_CLI } from "../support/repo.js"
import { skipDirsNamed, treeFingerprint } from "../support/fingerprint.js"

const CLI = process.env.KITTYCTX_TEST_CLI ?? BUILT_CLI
const SLUG = "hostile-01JZH0ST"
const MID = "01JZH0ST000000000000000000"
const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const cli = (cwd: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs = 30_000): CliRun => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" })
  if (r.error !== undefined) throw new Error(`kittyctx ${args.join(" ")} did not finish: ${r.error.message}`)
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A repository with one mission (two planned WPs), committed; `meta` overrides meta.json fields. */
const repoWith = (meta: Record<string, unknown> = {}, extra: Record<string, string> = {}) => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  writeFiles(root, { ...missionFiles(SLUG, MID, ["WP01", "WP02"], meta), ...extra })
  commitAll(root, "mission")
  return { root, dir: path.join(root, "kitty-specs", SLUG), env: isolatedEnv(path.dirname(root)) }
}

/** Every file's bytes under `dir` (the git object store aside), and the refs: what "unchanged" compares. */
const fingerprint = (dir: string): string => treeFingerprint(dir, { skip: skipDirsNamed("objects") })

const envelope = (r: CliRun) => JSON.parse(r.stdout) as { ok: boolean; error: Record<string, unknown> & { code: string; message: string } }

/** The run refused with `code` (exit 1, one JSON object on stdout). */
const refused = (r: CliRun, code: string) => {
  assert.strictEqual(r.code, 1, `${r.stdout}${r.stderr}`)
  const out = envelope(r)
  assert.strictEqual(out.ok, false)
  assert.strictEqual(out.error.code, code, out.error.message)
  return out.error
}

const emit = (wp = "WP01", to = "claimed") => ["status", "emit", wp, "--to", to, "--actor", "mallory", "--mission", SLUG, "--json"]

describe("1. values from files never reach git as options", () => {
  for (const branch of ["-m", "-c", "-f", "--detach", "-D", "--set-upstream-to=origin/main"]) {
    it(`lanes.json mission_branch ${JSON.stringify(branch)}: refused before any git call; main is still main`, () => {
      const lanes = JSON.stringify({ version: 1, mission_branch: branch, target_branch: "main", lanes: [{ lane_id: "lane-a", wp_ids: ["WP01", "WP02"] }] })
      const r = repoWith({}, { [`kitty-specs/${SLUG}/lanes.json`]: lanes })
      const before = fingerprint(r.root)
      const e = refused(cli(r.root, ["implement", "WP01", "--agent", "mallory", "--mission", SLUG, "--json"], r.env), "LANES_MANIFEST_INVALID")
      assert.include(e.message, "branch name")
      assert.strictEqual(git(r.root, ["symbolic-ref", "HEAD"]), "refs/heads/main")
      assert.strictEqual(fingerprint(r.root), before)
    })
  }

  for (const [field, value] of [["coordination_branch", "-f"], ["target_branch", "--detach"], ["target_branch", "main..evil"]] as const) {
    it(`meta.json ${field} ${JSON.stringify(value)}: every command refuses the same way; nothing written`, () => {
      const r = repoWith({ [field]: value, ...(field === "coordination_branch" ? { topology: "coord" } : {}) })
      const before = fingerprint(r.root)
      for (const args of [["status", "show", "--mission", SLUG, "--json"], emit(), ["context", "resolve", "--mission", SLUG, "--json"]]) {
        const e = refused(cli(r.root, args, r.env), "MISSION_META_INVALID")
        assert.strictEqual(e.field, field)
      }
      assert.strictEqual(fingerprint(r.root), before)
    })
  }
})

describe("2. nothing is written outside the repository", () => {
  const outsideDir = () => {
    const o = makeTemp("kittyctx-outside-")
    temps.push(o)
    return o
  }

  it("a mission dir that is a link to a directory outside: emit refused, the outside untouched", () => {
    const r = repoWith()
    const outside = outsideDir()
    fs.cpSync(r.dir, path.join(outside, SLUG), { recursive: true })
    fs.rmSync(r.dir, { recursive: true })
    fs.symlinkSync(path.join(outside, SLUG), r.dir)
    const before = { inside: fingerprint(r.root), outside: fingerprint(outside) }
    const e = refused(cli(r.root, emit(), r.env), "PATH_OUTSIDE_REPOSITORY")
    assert.include(String(e.real_path), outside)
    assert.deepStrictEqual({ inside: fingerprint(r.root), outside: fingerprint(outside) }, before)
  })

  it("kitty-specs that is a link to outside: emit and materialize refused", () => {
    const r = repoWith()
    const outside = outsideDir()
    fs.cpSync(path.join(r.root, "kitty-specs"), path.join(outside, "specs"), { recursive: true })
    fs.rmSync(path.join(r.root, "kitty-specs"), { recursive: true })
    fs.symlinkSync(path.join(outside, "specs"), path.join(r.root, "kitty-specs"))
    const before = fingerprint(outside)
    refused(cli(r.root, emit(), r.env), "PATH_OUTSIDE_REPOSITORY")
    refused(cli(r.root, ["status", "materialize", "--mission", SLUG, "--json"], r.env), "PATH_OUTSIDE_REPOSITORY")
    assert.strictEqual(fingerprint(outside), before)
  })

  it(".kittify/derived that is a link to outside: materialize refused before status.json is written", () => {
    const r = repoWith()
    const outside = outsideDir()
    fs.symlinkSync(outside, path.join(r.root, ".kittify", "derived"))
    const before = fingerprint(r.root)
    refused(cli(r.root, ["status", "materialize", "--mission", SLUG, "--json"], r.env), "PATH_OUTSIDE_REPOSITORY")
    assert.isFalse(fs.existsSync(path.join(r.dir, "status.json")), "no half-written materialization")
    assert.deepStrictEqual(fs.readdirSync(outside), [])
    assert.strictEqual(fingerprint(r.root), before)
  })

  it(".worktrees that is a link to outside: a coordination emit creates no worktree there", () => {
    const r = repoWith({ topology: "coord", coordination_branch: "kitty/mission-hostile-01JZH0ST" })
    git(r.root, ["branch", "kitty/mission-hostile-01JZH0ST"])
    const outside = outsideDir()
    fs.symlinkSync(outside, path.join(r.root, ".worktrees"))
    const registry = git(r.root, ["worktree", "list", "--porcelain"])
    const e = refused(cli(r.root, emit(), r.env), "PATH_OUTSIDE_REPOSITORY")
    assert.include(String(e.real_path), outside)
    assert.deepStrictEqual(fs.readdirSync(outside), [])
    assert.strictEqual(git(r.root, ["worktree", "list", "--porcelain"]), registry)
  })

  it("a status lock file that is a link: refused, its target untouched", () => {
    const r = repoWith()
    const victim = path.join(outsideDir(), "victim")
    fs.writeFileSync(victim, "precious\n")
    fs.mkdirSync(path.join(r.root, ".git", "spec-kitty-locks"), { recursive: true })
    fs.symlinkSync(victim, path.join(r.root, ".git", "spec-kitty-locks", `${SLUG}.status.lock`))
    refused(cli(r.root, emit(), r.env), "SYMLINK_REFUSED")
    assert.strictEqual(fs.readFileSync(victim, "utf8"), "precious\n")
  })

  it("a worktree whose .git points into another repository: refused; the other repository gets nothing", () => {
    const r = repoWith()
    // the other repository holds the same mission, so following the pointer would write there
    const other = makeRepo(path.join(outsideDir(), "other"))
    writeFiles(other, missionFiles(SLUG, MID, ["WP01", "WP02"]))
    commitAll(other, "the victim's mission")
    git(other, ["worktree", "add", "-q", "-b", "borrowed", path.join(path.dirname(other), "borrowed")])
    // a lane-looking directory inside our repository whose .git file names the other repository's gitdir
    const lane = path.join(r.root, ".worktrees", `${SLUG}-lane-a`)
    fs.mkdirSync(lane, { recursive: true })
    fs.writeFileSync(path.join(lane, ".git"), `gitdir: ${path.join(other, ".git", "worktrees", "borrowed")}\n`)
    const before = fingerprint(other)
    const e = refused(cli(lane, emit(), r.env), "PROJECT_ROOT_UNRESOLVED")
    assert.strictEqual(e.reason, "unregistered_worktree")
    assert.isFalse(fs.existsSync(path.join(other, ".git", "spec-kitty-locks")), "no lock directory in the other repository")
    assert.strictEqual(fingerprint(other), before)
  })
})

describe("3. a non-regular file never blocks", () => {
  const fifo = (p: string) => {
    fs.rmSync(p, { force: true })
    assert.strictEqual(spawnSync("mkfifo", [p]).status, 0)
  }

  it("meta.json a FIFO: show and emit refuse at once (NOT_A_REGULAR_FILE)", () => {
    const r = repoWith()
    fifo(path.join(r.dir, "meta.json"))
    for (const args of [["status", "show", "--mission", SLUG, "--json"], emit()]) {
      const e = refused(cli(r.root, args, r.env, 20_000), "NOT_A_REGULAR_FILE")
      assert.strictEqual(e.kind, "FIFO")
    }
  })

  it("occurrence_map.yaml a FIFO: validate reports it, never waits", () => {
    const r = repoWith({ change_mode: "bulk_edit" })
    fifo(path.join(r.dir, "occurrence_map.yaml"))
    const run = cli(r.root, ["occurrence-map", "validate", "--mission", SLUG, "--json"], r.env, 20_000)
    assert.strictEqual(run.code, 1, run.stdout + run.stderr)
    assert.include(run.stdout, "FIFO")
  })

  it("--input-file a FIFO or /dev/zero: refused at once", () => {
    const r = repoWith()
    const pipe = path.join(path.dirname(r.root), "report.fifo")
    fifo(pipe)
    for (const input of [pipe, "/dev/zero"]) {
      refused(cli(r.root, ["mission", "record-analysis", "--mission", SLUG, "--input-file", input, "--json"], r.env, 20_000), "NOT_A_REGULAR_FILE")
    }
  })
})

describe("4. malformed input never crashes", () => {
  it("a meta.json nested 5,000 levels deep is a structured refusal, not a stack overflow", () => {
    const deep = "[".repeat(5000) + "]".repeat(5000)
    const r = repoWith()
    fs.writeFileSync(path.join(r.dir, "meta.json"), `{"mission_id": "${MID}", "x": ${deep}}`)
    const run = cli(r.root, ["status", "show", "--mission", SLUG, "--json"], r.env)
    assert.include([0, 1], run.code, run.stderr)
    assert.notInclude(run.stdout + run.stderr, "Maximum call stack")
  })

  it("a deleted current directory is reported plainly (exit 1), not as a stack trace", async () => {
    const r = repoWith()
    const inGoneDir = async (json: boolean) => {
      const gone = path.join(r.root, `gone-${json}`)
      fs.mkdirSync(gone)
      const args = `status show${json ? " --json" : ""}`
      const child = spawn("sh", ["-c", `cd '${gone}' && rmdir '${gone}' && exec '${process.execPath}' '${CLI}' ${args}`], { env: r.env })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d) => (stdout += d))
      child.stderr.on("data", (d) => (stderr += d))
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
      return { code, stdout, stderr }
    }
    const json = await inGoneDir(true)
    refused(json, "CWD_UNAVAILABLE")
    const text = await inGoneDir(false)
    assert.strictEqual(text.code, 1)
    assert.match(text.stderr, /^error\[CWD_UNAVAILABLE\]/)
    assert.notInclude(json.stdout + json.stderr + text.stderr, "    at ")
  })
})

describe("5. files are read exactly, and messages never echo their content", () => {
  it("meta.json that is not UTF-8: FILE_NOT_UTF8 with the line", () => {
    const r = repoWith()
    fs.writeFileSync(path.join(r.dir, "meta.json"), Buffer.concat([Buffer.from(`{"mission_id": "${MID}",\n"x": "caf`), Buffer.from([0xe9]), Buffer.from(`"}`)]))
    const e = refused(cli(r.root, ["status", "show", "--mission", SLUG, "--json"], r.env), "FILE_NOT_UTF8")
    assert.strictEqual(e.line, 2)
  })

  it("meta.json that is a link (to /etc/passwd): refused without following it", () => {
    const r = repoWith()
    fs.rmSync(path.join(r.dir, "meta.json"))
    fs.symlinkSync("/etc/passwd", path.join(r.dir, "meta.json"))
    const run = cli(r.root, ["status", "show", "--mission", SLUG, "--json"], r.env)
    refused(run, "SYMLINK_REFUSED")
    assert.notInclude(run.stdout + run.stderr, "root:")
  })

  it("meta.json that is not JSON: the message says where, never what", () => {
    const r = repoWith()
    fs.writeFileSync(path.join(r.dir, "meta.json"), "root:x:0:0:secret-value:/root:/bin/bash\n")
    const run = cli(r.root, ["status", "show", "--mission", SLUG, "--json"], r.env)
    const e = refused(run, "MISSION_META_INVALID")
    assert.include(e.message, "line 1 column 1")
    assert.notInclude(run.stdout + run.stderr, "secret-value")
  })
})

describe("6. honest words for the real cause", () => {
  it("KITTYCTX_LOCK_TIMEOUT_MS that is not a number, or absurd: CONFIG_INVALID, nothing written", () => {
    const r = repoWith()
    const before = fingerprint(r.root)
    for (const value of ["abc", "1e99", "-1"]) {
      const e = refused(cli(r.root, emit(), { ...r.env, KITTYCTX_LOCK_TIMEOUT_MS: value }), "CONFIG_INVALID")
      assert.strictEqual(e.setting, "KITTYCTX_LOCK_TIMEOUT_MS")
    }
    assert.strictEqual(fingerprint(r.root), before)
  })

  const root = process.getuid?.() === 0
  /** A repository on a small tmpfs of its own (mounted as root; CI runs as root). */
  const onTmpfs = (sizeKb: number) => {
    const mnt = makeTemp("kittyctx-mnt-")
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", mnt])
    assert.strictEqual(m.status, 0, `mount failed: ${m.stderr}`)
    const repo = makeRepo(path.join(mnt, "repo"))
    writeFiles(repo, missionFiles(SLUG, MID, ["WP01", "WP02"]))
    commitAll(repo, "mission")
    return { mnt, repo, env: isolatedEnv(makeTemp("kittyctx-home-")), unmount: () => spawnSync("umount", ["-l", mnt]) }
  }

  it.skipIf(!root)("a full disk is DISK_FULL; the log keeps its bytes", () => {
    const t = onTmpfs(4096)
    try {
      const log = path.join(t.repo, "kitty-specs", SLUG, "status.events.jsonl")
      const before = fs.readFileSync(log)
      const filler = path.join(t.mnt, "filler")
      spawnSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"])
      const e = refused(cli(t.repo, emit(), t.env), "DISK_FULL")
      assert.include(String(e.path), t.repo)
      assert.deepStrictEqual(fs.readFileSync(log), before)
    } finally {
      t.unmount()
    }
  })

  it.skipIf(!root)("a read-only file system is READ_ONLY_FILESYSTEM, not a lock timeout", () => {
    const t = onTmpfs(8192)
    try {
      assert.strictEqual(spawnSync("mount", ["-o", "remount,ro", t.mnt]).status, 0)
      const run = cli(t.repo, emit(), t.env)
      refused(run, "READ_ONLY_FILESYSTEM")
      assert.notInclude(run.stdout, "after 0 ms")
    } finally {
      t.unmount()
    }
  })
})

describe("7. no leftovers, no races", () => {
  it("a temp file left by a killed writer is cleaned by the next write beside it", () => {
    const r = repoWith()
    const maxPid = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) + 1
    const orphan = path.join(r.dir, `.status.json.${maxPid}.0123456789ab.tmp`)
    fs.writeFileSync(orphan, "{\"half\": ")
    const run = cli(r.root, ["status", "materialize", "--mission", SLUG, "--json"], r.env)
    assert.strictEqual(run.code, 0, run.stderr)
    assert.isFalse(fs.existsSync(orphan))
  })

  it("a coordination branch whose mission dir is missing: the refused emit leaves no worktree it created", () => {
    // the branch exists but holds no kitty-specs/<slug> (e.g. a mid8 that does not match meta.json)
    const r = repoWith({ topology: "coord", coordination_branch: "kitty/mission-elsewhere-01JZXXXX" })
    git(r.root, ["branch", "kitty/mission-elsewhere-01JZXXXX"])
    git(r.root, ["checkout", "-q", "kitty/mission-elsewhere-01JZXXXX"])
    git(r.root, ["rm", "-q", "-r", "kitty-specs"])
    git(r.root, ["commit", "-q", "-m", "no mission here"])
    git(r.root, ["checkout", "-q", "main"])
    const registry = git(r.root, ["worktree", "list", "--porcelain"])
    refused(cli(r.root, emit(), r.env), "STATUS_READ_PATH_NOT_FOUND")
    assert.strictEqual(git(r.root, ["worktree", "list", "--porcelain"]), registry)
    assert.isFalse(fs.existsSync(path.join(r.root, ".worktrees", `${SLUG}-coord`)), "no orphan coordination worktree")
  })

  it("a reader that sees a coordination worktree being created never reports a mismatch", async () => {
    const branch = "kitty/mission-hostile-01JZH0ST"
    const r = repoWith({ topology: "coord", coordination_branch: branch })
    git(r.root, ["branch", branch])
    const wt = path.join(r.root, ".worktrees", `${SLUG}-coord`)
    git(r.root, ["worktree", "add", "-q", wt, branch])
    // put the worktree back into the state `git worktree add` passes through: HEAD the null id, no index
    const gitdir = path.join(r.root, ".git", "worktrees", `${SLUG}-coord`)
    const head = fs.readFileSync(path.join(gitdir, "HEAD"))
    const index = fs.readFileSync(path.join(gitdir, "index"))
    fs.writeFileSync(path.join(gitdir, "HEAD"), "0".repeat(40) + "\n")
    fs.rmSync(path.join(gitdir, "index"))
    // a creation that does not finish within the wait: read as not yet materialised (the guard: the build
    // before the fix reported COORDINATION_WORKTREE_BRANCH_MISMATCH on exactly this state)
    const stuck = cli(r.root, ["context", "status-surface", "--mission", SLUG, "--json"], r.env)
    assert.strictEqual(stuck.code, 0, stuck.stdout + stuck.stderr)
    assert.strictEqual(JSON.parse(stuck.stdout).status_surface.coord_state, "UNMATERIALIZED")
    // a creation that finishes while the reader waits: read as materialised
    const reader = new Promise<CliRun>((resolve) => {
      const child = spawn(process.execPath, [CLI, "context", "status-surface", "--mission", SLUG, "--json"], { cwd: r.root, env: r.env })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d) => (stdout += d))
      child.stderr.on("data", (d) => (stderr += d))
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
    // the creation completes while the reader waits
    await new Promise((res) => setTimeout(res, 400))
    fs.writeFileSync(path.join(gitdir, "index"), index)
    fs.writeFileSync(path.join(gitdir, "HEAD"), head)
    const run = await reader
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(JSON.parse(run.stdout).status_surface.coord_state, "MATERIALIZED")
  })
})
