/**
 * The start-up fast path reads argv exactly as the full parser does (docs/ARCHITECTURE.md, "Start-up"):
 * the strict reading accepts only plain forms and declines everything else; and for every accepted form
 * the built CLI answers exactly as the full parser does on the same request spelled `--option=value` (a
 * form the fast path declines), byte for byte on stdout and stderr, with the same exit code.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { readArgv } from "../../src/cli/FastPath.js"
import { CLI, commitAll, isolatedEnv, makeRepo, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"

const SLUG = "fast-feature-01JZ0000"
const MISSION_ID = "01JZ0000000000000000000000"
const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const setup = () => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, missionFiles(SLUG, MISSION_ID, ["WP01", "WP02"]))
  commitAll(repo, "mission")
  return repo
}

const SHOW = {
  path: ["status", "show"] as const,
  text: { "--mission": "mission", "--feature": "mission", "--at": "at" },
  booleans: { "--json": "json" },
  positionals: [],
  required: []
}

describe("the strict reading", () => {
  it("accepts plain forms in any order", () => {
    assert.deepStrictEqual(readArgv(["status", "show", "--json", "--feature", "m"], SHOW)?.text, { mission: "m" })
    assert.isTrue(readArgv(["status", "show", "--mission", "m", "--json"], SHOW)?.flags.has("json"))
  })

  it("declines anything else", () => {
    for (
      const argv of [
        ["status", "show", "--mission=m"],
        ["status", "show", "--mission"],
        ["status", "show", "--mission", "-x"],
        ["status", "show", "--mission", "a", "--feature", "b"],
        ["status", "show", "--json", "--json"],
        ["status", "show", "--json", "true"],
        ["status", "show", "--help"],
        ["status", "show", "-h"],
        ["status", "show", "extra"],
        ["status", "emit", "--mission", "m"],
        ["status", "show", "--at", "x", "--at", "y"],
        ["status"]
      ]
    ) assert.isNull(readArgv(argv, SHOW), argv.join(" "))
  })

  it("declines a value outside an option's enumerated values (the full parser canonicalises or refuses it)", () => {
    const EMIT = { path: ["status", "emit"] as const, text: { "--to": "to" }, booleans: {}, positionals: ["wp"], required: ["to"], choices: { to: ["done"] } }
    assert.isNotNull(readArgv(["status", "emit", "WP01", "--to", "done"], EMIT))
    assert.isNull(readArgv(["status", "emit", "WP01", "--to", "Done"], EMIT))
    assert.isNull(readArgv(["status", "emit", "WP01", "--to", "bogus"], EMIT))
  })
})

/** The same request with every `--option value` spelled `--option=value`: the full parser's reading. */
const spelledLong = (argv: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]
    const next = argv[i + 1]
    if (t.startsWith("--") && !["--json", "--force", "--auto-commit", "--no-auto-commit"].includes(t) && next !== undefined && !next.startsWith("--")) {
      out.push(`${t}=${next}`)
      i++
    } else out.push(t)
  }
  return out
}

const mask = (s: string) =>
  s.replace(/"event_id": ?"[0-9A-Z]{26}"/g, "\"event_id\":\"<id>\"").replace(/"at": ?"[^"]+"/g, "\"at\":\"<at>\"")
    .replace(/\(01[0-9A-Z]{24}\)/g, "(<id>)").replace(/kittyctx-[A-Za-z0-9]+/g, "<tmp>")
    .replace(/\b[0-9a-f]{40}\b/g, "<sha>")

describe("fast path and full parser agree", () => {
  const requests: ReadonlyArray<ReadonlyArray<string>> = [
    ["status", "show", "--mission", SLUG, "--json"],
    ["status", "show", "--mission", SLUG],
    ["status", "show", "--feature", SLUG, "--json", "--at", "2026-01-01T00:00:00+00:00"],
    ["status", "show", "--mission", "nope", "--json"],
    ["context", "resolve", "--mission", SLUG, "--json"],
    ["context", "resolve", "--mission", SLUG, "--action", "implement", "--wp", "WP01"],
    ["context", "resolve", "--mission", SLUG, "--action", "bogus", "--json"],
    ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", SLUG, "--json"],
    ["status", "emit", "WP02", "--to", "done", "--actor", "alice", "--mission", SLUG],
    ["status", "emit", "WP02", "--to", "blocked", "--actor", "a", "--force", "--reason", "r", "--execution-mode", "direct_repo", "--mission", SLUG, "--json"],
    // the bookkeeping flags of issue 9: a commit, none, and both at once (a usage error)
    ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--auto-commit", "--mission", SLUG, "--json"],
    ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--no-auto-commit", "--mission", SLUG],
    ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--auto-commit", "--no-auto-commit", "--mission", SLUG, "--json"],
    // --mission omitted (the repository's only mission) and an unknown WP
    ["status", "show", "--json"],
    ["status", "emit", "WP99", "--to", "claimed", "--actor", "alice", "--json"]
  ]
  for (const argv of requests) {
    it(argv.join(" "), { timeout: 60_000 }, () => {
      const a = setup()
      const b = setup()
      const fast = runCli(a, argv)
      const full = runCli(b, spelledLong(argv))
      assert.strictEqual(fast.code, full.code, `${fast.stdout}${fast.stderr} / ${full.stdout}${full.stderr}`)
      assert.strictEqual(mask(fast.stdout).replaceAll(a, "<repo>"), mask(full.stdout).replaceAll(b, "<repo>"))
      assert.strictEqual(mask(fast.stderr).replaceAll(a, "<repo>"), mask(full.stderr).replaceAll(b, "<repo>"))
      const log = (r: string) => mask(fs.readFileSync(path.join(r, "kitty-specs", SLUG, "status.events.jsonl"), "utf8"))
      assert.strictEqual(log(a), log(b))
    })
  }
})

describe("what the hot read commands load", () => {
  // node modules a command that prints a line and takes no lock needs none of: the stream machinery
  // (built by the first touch of process.stdout/stderr or console), net and tty under it, perf_hooks
  // (the `performance` global), os, child_process and crypto
  const HEAVY = /^NativeModule (stream|net|tty|perf_hooks|os|child_process|crypto|internal\/fs\/sync_write_stream)$/

  /** The node modules the CLI loaded, beyond what a bare node loads, with stdout and stderr on pipes. */
  const loadedBy = (repo: string, args: ReadonlyArray<string>) => {
    const dir = path.dirname(repo)
    const bare = spawnSync(process.execPath, ["-p", "JSON.stringify(process.moduleLoadList)"], { encoding: "utf8" })
    const preload = path.join(dir, "module-list.cjs")
    const list = path.join(dir, `modules-${args[0]}-${args[1]}.json`)
    fs.writeFileSync(
      preload,
      `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)))\n`
    )
    const r = spawnSync(process.execPath, ["--require", preload, CLI, ...args], { cwd: repo, env: isolatedEnv(dir), encoding: "utf8" })
    assert.strictEqual(r.status, 0, r.stderr + r.stdout)
    assert.isNotEmpty(r.stdout)
    const before = new Set(JSON.parse(bare.stdout) as Array<string>)
    return (JSON.parse(fs.readFileSync(list, "utf8")) as Array<string>).filter((m) => !before.has(m))
  }

  for (const args of [
    ["status", "show", "--mission", SLUG, "--json"],
    ["status", "show", "--mission", SLUG],
    ["context", "resolve", "--mission", SLUG, "--json"]
  ]) {
    it(`${args.join(" ")}: none of node's stream, net, tty, perf_hooks, os, child_process or crypto`, () => {
      const loaded = loadedBy(setup(), args)
      assert.deepStrictEqual(loaded.filter((m) => HEAVY.test(m)), [], loaded.join(", "))
    })
  }
})

describe("what an emit loads", () => {
  it("an emit that goes on from the checkpoint loads none of node's stream, net, tty or crypto", () => {
    const repo = setup()
    const dir = path.dirname(repo)
    const preload = path.join(dir, "emit-modules.cjs")
    const list = path.join(dir, "emit-modules.json")
    fs.writeFileSync(preload, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)))\n`)
    const emit = (to: string, withList: boolean) => {
      const args = ["status", "emit", "WP01", "--to", to, "--actor", "alice", "--force", "--reason", "test", "--no-auto-commit", "--mission", SLUG, "--json"]
      const r = spawnSync(process.execPath, [...(withList ? ["--require", preload] : []), CLI, ...args], { cwd: repo, env: isolatedEnv(dir), encoding: "utf8" })
      assert.strictEqual(r.status, 0, r.stderr + r.stdout)
      assert.strictEqual(JSON.parse(r.stdout).ok, true)
    }
    emit("claimed", false) // the first folds the log and saves the checkpoint
    emit("planned", true)
    const loaded = JSON.parse(fs.readFileSync(list, "utf8")) as Array<string>
    const heavy = loaded.filter((m) => /^NativeModule (stream|net|tty|crypto|internal\/fs\/sync_write_stream)$/.test(m))
    assert.deepStrictEqual(heavy, [], loaded.join(", "))
  })
})

describe("a hot command exits as soon as it is done", () => {
  it("its output reaches a reader that starts reading late, whole, past a full pipe (more than 64 KiB)", () => {
    const repo = makeRepo()
    const dir = path.dirname(repo)
    temps.push(dir)
    const wps = Array.from({ length: 700 }, (_, i) => `WP${String(i + 1).padStart(3, "0")}`)
    writeFiles(repo, missionFiles(SLUG, MISSION_ID, wps))
    commitAll(repo, "a mission with 700 work packages")
    const args = ["status", "show", "--mission", SLUG, "--json"]
    const expected = runCli(repo, args)
    assert.strictEqual(expected.code, 0, expected.stderr)
    assert.isAbove(Buffer.byteLength(expected.stdout), 128 * 1024)
    // a shell pipeline whose reader sleeps first: the command fills the pipe and waits on it, then exits
    const out = path.join(dir, "late-reader.out")
    const r = spawnSync(
      "bash",
      ["-c", 'OUT="$1"; shift; "$@" | { sleep 1.5; cat > "$OUT"; }; exit "${PIPESTATUS[0]}"', "late-reader", out, process.execPath, CLI, ...args],
      { cwd: repo, env: isolatedEnv(dir), encoding: "utf8" }
    )
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(fs.readFileSync(out, "utf8"), expected.stdout)
  })
})
