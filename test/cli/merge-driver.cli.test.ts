/**
 * `kittyctx merge-driver-event-log` (docs/surfaces.md §5.2, A5.2): the driver as git runs it (the
 * built launcher as a real process), its refusals leaving `%A` untouched, its installation and the
 * check that fails where git would silently merge a log as text. Then every corpus log through the
 * driver with itself as base, ours and theirs. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Layer, ManagedRuntime } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { encodeLine } from "../../src/core/python/PyJson.js"
import { runEventLogDriver } from "../../src/services/merge/EventLogDriver.js"
import * as Processes from "../../src/services/ports/Processes.js"
import * as RepoFs from "../../src/services/ports/RepoFs.js"
import * as RepoWrite from "../../src/services/ports/RepoWrite.js"
import { corpusMissions } from "../support/corpus.js"
import { CLI, commitAll, git, isolatedEnv, makeRepo, makeTemp, removeTemp, runCli, writeFiles } from "../support/repo.js"

const temps: Array<string> = []
const runtime = ManagedRuntime.make(Layer.merge(RepoFs.layer, RepoWrite.layer.pipe(Layer.provide(Processes.layer))))
afterAll(async () => {
  temps.forEach(removeTemp)
  await runtime.dispose()
})

const row = (id: string, at: string, extra: Record<string, unknown> = {}) =>
  encodeLine({ event_id: id, at, wp_id: "WP01", ...extra } as never)
const A = row("01AAAAAAAAAAAAAAAAAAAAAAAA", "2026-06-10T06:00:00+00:00")
const B = row("01BBBBBBBBBBBBBBBBBBBBBBBB", "2026-06-10T06:02:00+00:00")
const C = row("01CCCCCCCCCCCCCCCCCCCCCCCC", "2026-06-10T06:01:00+00:00")
const log = (...lines: ReadonlyArray<string>) => lines.map((l) => l + "\n").join("")

/** A directory holding git's three temp files, as git hands them to a driver. */
const stage = (base: string, ours: string, theirs: string) => {
  const dir = makeTemp("kittyctx-driver-")
  temps.push(dir)
  fs.writeFileSync(path.join(dir, ".merge_file_O"), base)
  fs.writeFileSync(path.join(dir, ".merge_file_A"), ours)
  fs.writeFileSync(path.join(dir, ".merge_file_B"), theirs)
  const ours_ = path.join(dir, ".merge_file_A")
  return {
    dir,
    ours: ours_,
    run: (...extra: ReadonlyArray<string>) =>
      runCli(dir, ["merge-driver-event-log", ".merge_file_O", ".merge_file_A", ".merge_file_B", ...extra])
  }
}

const untouched = (file: string, run: () => void) => {
  const before = fs.statSync(file, { bigint: true })
  const bytes = fs.readFileSync(file)
  run()
  const after = fs.statSync(file, { bigint: true })
  assert.deepStrictEqual(fs.readFileSync(file), bytes)
  assert.strictEqual(after.mtimeNs, before.mtimeNs)
  assert.strictEqual(after.ino, before.ino)
}

describe("the driver as git runs it (A5.2)", () => {
  it("writes the union into %A in (at, event_id) order, exit 0", () => {
    const s = stage(log(A), log(A, B), log(A, C))
    const r = s.run()
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.stdout, "")
    assert.strictEqual(fs.readFileSync(s.ours, "utf8"), log(A, C, B))
  })

  it("a conflicting duplicate id: exit 1, the message on stderr, %A untouched", () => {
    const other = row("01BBBBBBBBBBBBBBBBBBBBBBBB", "2026-06-10T06:02:00+00:00", { actor: "mallory" })
    const s = stage(log(A), log(A, B), log(A, other))
    untouched(s.ours, () => {
      const r = s.run()
      assert.strictEqual(r.code, 1)
      assert.include(r.stderr, "Conflicting payloads found for event_id '01BBBBBBBBBBBBBBBBBBBBBBBB'")
    })
  })

  it("malformed lines: exit 1 with spec-kitty's words, %A untouched", () => {
    for (
      const [theirs, words] of [
        ["[1]\n", "line 1 is not a JSON object"],
        ["{}\n", "line 1 is missing a valid event_id"],
        ["not json\n", "invalid JSON on line 1: Expecting value: line 1 column 1 (char 0)"]
      ] as const
    ) {
      const s = stage(log(A), log(A), theirs)
      untouched(s.ours, () => {
        const r = s.run()
        assert.strictEqual(r.code, 1)
        assert.include(r.stderr, words)
        assert.include(r.stderr, ".merge_file_B")
      })
    }
  })

  it("refuses paths that do not share one directory (possible path injection), %A untouched", () => {
    const s = stage(log(A), log(A), log(A, B))
    const elsewhere = makeTemp()
    temps.push(elsewhere)
    fs.writeFileSync(path.join(elsewhere, "theirs"), log(A, C))
    untouched(s.ours, () => {
      const r = runCli(s.dir, ["merge-driver-event-log", ".merge_file_O", ".merge_file_A", path.join(elsewhere, "theirs")])
      assert.strictEqual(r.code, 1)
      assert.include(r.stderr, "do not share a parent directory")
    })
  })

  it("a non-UTF-8 input is refused plainly (exit 1), a missing base reads as empty", () => {
    const s = stage("", log(A), log(B))
    fs.writeFileSync(path.join(s.dir, ".merge_file_B"), Buffer.from([0x7b, 0xff, 0x0a]))
    untouched(s.ours, () => {
      const r = s.run()
      assert.strictEqual(r.code, 1)
      assert.include(r.stderr, "FILE_NOT_UTF8")
    })
    fs.writeFileSync(path.join(s.dir, ".merge_file_B"), log(B))
    fs.rmSync(path.join(s.dir, ".merge_file_O"))
    assert.strictEqual(s.run().code, 0)
    assert.strictEqual(fs.readFileSync(s.ours, "utf8"), log(A, B))
  })

  it("wrong arity or mixed modes are usage errors (exit 2); --output writes elsewhere", () => {
    const s = stage(log(A), log(A), log(B))
    assert.strictEqual(runCli(s.dir, ["merge-driver-event-log", ".merge_file_O", ".merge_file_A"]).code, 2)
    assert.strictEqual(runCli(s.dir, ["merge-driver-event-log", "--install", "--check"]).code, 2)
    untouched(s.ours, () => {
      const r = s.run("--output", "merged")
      assert.strictEqual(r.code, 0, r.stderr)
    })
    assert.strictEqual(fs.readFileSync(path.join(s.dir, "merged"), "utf8"), log(A, B))
  })
})

// ---------------------------------------------------------------------------------------------

const SLUG = "drv-01JZD0R0"
const LOG_REL = `kitty-specs/${SLUG}/status.events.jsonl`

/** A repository with one mission log committed on main. */
const repoWithLog = () => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  writeFiles(root, { [LOG_REL]: log(A), [`kitty-specs/${SLUG}/status.json`]: "{}\n" })
  commitAll(root, "log")
  return root
}

/** Two branches appending different rows to the log (and changing status.json), then `git merge`. */
const divergeAndMerge = (root: string) => {
  git(root, ["checkout", "-q", "-b", "side"])
  writeFiles(root, { [LOG_REL]: log(A, B), [`kitty-specs/${SLUG}/status.json`]: "{\"side\": 1}\n" })
  commitAll(root, "side")
  git(root, ["checkout", "-q", "main"])
  writeFiles(root, { [LOG_REL]: log(A, C), [`kitty-specs/${SLUG}/status.json`]: "{\"main\": 1}\n" })
  commitAll(root, "main")
  try {
    git(root, ["merge", "--no-edit", "side"])
    return true
  } catch {
    return false
  }
}

const cli = (root: string, args: ReadonlyArray<string>) => runCli(root, args, isolatedEnv(path.dirname(root)))
const checkJson = (root: string) => {
  const r = cli(root, ["merge-driver-event-log", "--check", "--json"])
  return { code: r.code, out: JSON.parse(r.stdout) as Record<string, any> }
}

describe("--install, --check, --uninstall", () => {
  it("without the driver a diverged log conflicts (control); with it the merge is clean and the log the union", () => {
    const bare = repoWithLog()
    assert.isFalse(divergeAndMerge(bare), "control: git merges the log as text and conflicts")
    const root = repoWithLog()
    const r = cli(root, ["merge-driver-event-log", "--install"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.isTrue(divergeAndMerge(root))
    assert.strictEqual(fs.readFileSync(path.join(root, LOG_REL), "utf8"), log(A, C, B))
    // the snapshot is kept as ours (it is regenerated from the log, never text-merged)
    assert.strictEqual(fs.readFileSync(path.join(root, `kitty-specs/${SLUG}/status.json`), "utf8"), "{\"main\": 1}\n")
  })

  it("install is idempotent and writes the clone's info/attributes; check reports and passes", () => {
    const root = repoWithLog()
    cli(root, ["merge-driver-event-log", "--install"])
    const second = cli(root, ["merge-driver-event-log", "--install", "--json"])
    assert.deepStrictEqual(JSON.parse(second.stdout).added_lines, [])
    const info = fs.readFileSync(path.join(root, ".git/info/attributes"), "utf8")
    assert.strictEqual(info.split("\n").filter((l) => l.includes("merge=")).length, 3)
    const { code, out } = checkJson(root)
    assert.strictEqual(code, 0)
    assert.isTrue(out.installed)
    assert.isTrue(out.driver_resolves)
    assert.strictEqual(out.attributes_file, path.join(root, ".git/info/attributes"))
    assert.include(out.driver_command, `${CLI} merge-driver-event-log %O %A %B`)
    assert.strictEqual(git(root, ["config", "merge.kittyctx-derived.driver"]), "true")
    assert.strictEqual(git(root, ["status", "--porcelain"]), "", "installing changes no tracked file")
  })

  it("check fails when nothing routes the logs, or the attributes name an unregistered driver (git would merge as text)", () => {
    const root = repoWithLog()
    const none = checkJson(root)
    assert.strictEqual(none.code, 1)
    assert.strictEqual(none.out.error.code, "MERGE_DRIVER_NOT_INSTALLED")
    // spec-kitty's tracked attribute line without its git config: what its users met
    writeFiles(root, { ".gitattributes": "kitty-specs/**/status.events.jsonl merge=spec-kitty-event-log\n" })
    commitAll(root, "attributes")
    const named = checkJson(root)
    assert.strictEqual(named.code, 1)
    assert.match(named.out.error.problems.join("\n"), /merge driver 'spec-kitty-event-log', which is not registered/)
    assert.isFalse(divergeAndMerge(root), "and indeed git merges the log as text")
  })

  it("check fails once the registered launcher no longer exists", () => {
    const root = repoWithLog()
    const copy = path.join(makeTemp(), "dist")
    temps.push(path.dirname(copy))
    fs.cpSync(path.dirname(CLI), copy, { recursive: true })
    // the bundle loads its native lock binding from node_modules
    fs.symlinkSync(path.resolve(path.dirname(CLI), "../node_modules"), path.join(path.dirname(copy), "node_modules"))
    // register the copy's launcher, then remove the copy
    const launcher = path.join(copy, "kittyctx.cjs")
    const installed = JSON.parse(
      runCliWith(launcher, root, ["merge-driver-event-log", "--install", "--json"]).stdout
    ) as Record<string, any>
    assert.include(installed.config[0].driver, launcher)
    assert.strictEqual(checkJson(root).code, 0)
    fs.rmSync(copy, { recursive: true })
    const after = checkJson(root)
    assert.strictEqual(after.code, 1)
    assert.isFalse(after.out.error.driver_resolves)
    assert.match(after.out.error.problems.join("\n"), /no longer exists/)
  })

  it("--gitattributes writes the tracked file; --uninstall removes only kittyctx's lines and config", () => {
    const root = repoWithLog()
    writeFiles(root, { ".gitattributes": "*.png binary\n" })
    commitAll(root, "attrs")
    assert.strictEqual(cli(root, ["merge-driver-event-log", "--install", "--gitattributes"]).code, 0)
    const tracked = fs.readFileSync(path.join(root, ".gitattributes"), "utf8")
    assert.isTrue(tracked.startsWith("*.png binary\n"))
    assert.include(tracked, "kitty-specs/**/status.events.jsonl merge=kittyctx-event-log\n")
    assert.strictEqual(checkJson(root).out.attributes_file, path.join(root, ".gitattributes"))
    assert.strictEqual(cli(root, ["merge-driver-event-log", "--uninstall", "--gitattributes"]).code, 0)
    assert.strictEqual(fs.readFileSync(path.join(root, ".gitattributes"), "utf8"), "*.png binary\n")
    assert.throws(() => git(root, ["config", "merge.kittyctx-event-log.driver"]))
  })
})

/** Runs another launcher (a copy of the build) as a real process. */
const runCliWith = (launcher: string, cwd: string, args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [launcher, ...args], { cwd, env: isolatedEnv(path.dirname(cwd)), encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("the corpus through the driver", () => {
  it("every log with itself as base, ours and theirs stays byte-identical (and is not even rewritten)", async () => {
    const dir = makeTemp("kittyctx-corpus-")
    temps.push(dir)
    const logs = corpusMissions().filter((m) => m.log !== null)
    assert.isAbove(logs.length, 200)
    const changed: Array<string> = []
    for (const m of logs) {
      for (const f of ["O", "A", "B"]) fs.writeFileSync(path.join(dir, f), m.log!)
      const before = fs.statSync(path.join(dir, "A"), { bigint: true })
      await runtime.runPromise(runEventLogDriver({ cwd: dir, base: "O", ours: "A", theirs: "B" }))
      const after = fs.statSync(path.join(dir, "A"), { bigint: true })
      if (fs.readFileSync(path.join(dir, "A"), "utf8") !== m.log || after.ino !== before.ino) changed.push(m.name)
    }
    assert.deepStrictEqual(changed, [])
  })

  it("the built driver process on the corpus logs spec-kitty itself would re-sort: byte-identical", () => {
    for (const name of ["deliver-loaded-doctrine-01M0DSQM", "docling-graph-kitty-specs-01M0A0FG"]) {
      const text = corpusMissions().find((m) => m.name === name)!.log!
      const s = stage(text, text, text)
      const r = s.run()
      assert.strictEqual(r.code, 0, r.stderr)
      assert.strictEqual(fs.readFileSync(s.ours, "utf8"), text)
    }
  })
})
