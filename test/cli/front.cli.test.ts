/**
 * The CLI front (issue 9, "CLI conventions"): completions sourced in a real bash and driven through
 * `COMP_WORDS` (subcommands, flags, enumerated values, mission handles at every level), the zsh and fish
 * scripts parsed by their shells, and help that is plain text of at most 80 columns when stdout is not a
 * terminal, with full usage lines, required options marked and enumerated values listed.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { CLI, commitAll, isolatedEnv, makeRepo, makeTemp, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const ALPHA = "alpha-feature-01JZ0000"
const BETA = "beta-thing-01JZ1111"

const setup = () => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, missionFiles(ALPHA, "01JZ0000000000000000000000", ["WP01"]))
  writeFiles(repo, missionFiles(BETA, "01JZ1111000000000000000000", ["WP01"]))
  commitAll(repo, "missions")
  // `kittyctx` on PATH, as an installed binary is (the script completes handles by running it)
  const bin = makeTemp("kittyctx-bin-")
  temps.push(bin)
  fs.writeFileSync(path.join(bin, "kittyctx"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
  const script = path.join(bin, "kittyctx.bash")
  fs.writeFileSync(script, runCli(repo, ["completions", "bash"]).stdout)
  return { repo, bin, script }
}

/** The candidates bash's completion function gives for `words` (the last one being completed). */
const complete = (s: ReturnType<typeof setup>, words: ReadonlyArray<string>): Array<string> => {
  const arr = ["kittyctx", ...words].map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ")
  const program = `source '${s.script}'\nCOMP_WORDS=(${arr})\nCOMP_CWORD=${words.length}\n_kittyctx\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`
  const r = spawnSync("bash", ["--noprofile", "--norc", "-c", program], {
    cwd: s.repo,
    env: { ...isolatedEnv(path.dirname(s.repo)), PATH: `${s.bin}:${process.env.PATH}` },
    encoding: "utf8"
  })
  assert.strictEqual(r.status, 0, r.stderr)
  return r.stdout.split("\n").filter((l) => l !== "")
}

describe("bash completion, sourced in a real bash", () => {
  const s = setup()

  it("completes the groups, then each group's subcommands", { timeout: 60_000 }, () => {
    assert.includeMembers(complete(s, [""]), ["status", "tasks", "implement", "mission", "context", "occurrence-map", "completions"])
    assert.deepStrictEqual(complete(s, ["sta"]), ["status"])
    assert.deepStrictEqual(complete(s, ["status", ""]), ["show", "emit", "materialize", "validate"])
    assert.deepStrictEqual(complete(s, ["tasks", "m"]), ["mark-status"])
  })

  it("completes flags at every level (`status emit --<TAB>`)", { timeout: 60_000 }, () => {
    const flags = complete(s, ["status", "emit", "WP01", "--"])
    assert.includeMembers(flags, ["--to", "--actor", "--mission", "--auto-commit", "--no-auto-commit", "--json"])
    assert.notInclude(flags, "--at")
    assert.deepStrictEqual(complete(s, ["status", "emit", "--no-"]), ["--no-auto-commit"])
    assert.includeMembers(complete(s, ["tasks", "mark-status", "--"]), ["--status", "--mission"])
  })

  it("completes enumerated values (`--to <TAB>`, `--status`, `--action`)", { timeout: 60_000 }, () => {
    assert.deepStrictEqual(complete(s, ["status", "emit", "WP01", "--to", ""]), [
      "planned", "claimed", "in_progress", "for_review", "in_review", "approved", "done", "blocked", "canceled", "doing"
    ])
    assert.deepStrictEqual(complete(s, ["status", "emit", "--to", "in_"]), ["in_progress", "in_review"])
    assert.deepStrictEqual(complete(s, ["tasks", "mark-status", "T001", "--status", ""]), ["done", "pending"])
    assert.include(complete(s, ["context", "resolve", "--action", "imp"]), "implement")
  })

  it("completes mission handles after --mission, and a value after a valued flag is not taken for a command", { timeout: 60_000 }, () => {
    assert.deepStrictEqual(complete(s, ["status", "show", "--mission", ""]).sort(), [ALPHA, BETA])
    assert.deepStrictEqual(complete(s, ["status", "show", "--mission", "be"]), [BETA])
    assert.includeMembers(complete(s, ["status", "emit", "--mission", "status", "--"]), ["--to"])
  })
})

describe("zsh and fish scripts", () => {
  it("parse in their shells", { timeout: 60_000 }, () => {
    const s = setup()
    for (const [shell, check] of [["zsh", ["-n"]], ["fish", ["--no-execute"]]] as const) {
      const which = spawnSync("sh", ["-c", `command -v ${shell}`], { encoding: "utf8" })
      if (which.status !== 0) continue
      const file = path.join(s.bin, `kittyctx.${shell}`)
      const out = runCli(s.repo, ["completions", shell])
      assert.strictEqual(out.code, 0, out.stderr)
      assert.include(out.stdout, "no-auto-commit")
      fs.writeFileSync(file, out.stdout)
      const r = spawnSync(shell, [...check, file], { encoding: "utf8" })
      assert.strictEqual(r.status, 0, `${shell}: ${r.stderr}`)
    }
  })
})

describe("help", () => {
  const s = setup()
  const help = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
    const r = runCli(s.repo, args, { ...isolatedEnv(path.dirname(s.repo)), ...env })
    assert.strictEqual(r.code, 0, r.stderr)
    return r.stdout
  }

  it("is plain text within 80 columns when stdout is not a terminal, at every level", { timeout: 60_000 }, () => {
    for (
      const args of [
        ["--help"],
        ["status", "--help"],
        ["status", "emit", "--help"],
        ["tasks", "mark-status", "--help"],
        ["implement", "--help"],
        ["mission", "record-analysis", "--help"],
        ["context", "resolve", "-h"]
      ]
    ) {
      const text = help(args)
      assert.notInclude(text, "\u001b[", args.join(" "))
      for (const line of text.split("\n")) assert.isAtMost(line.length, 80, `${args.join(" ")}: ${line}`)
    }
    assert.notInclude(help(["status", "emit", "--help"], { NO_COLOR: "1" }), "\u001b[")
  })

  it("shows the full command, marks required options, lists enumerated values, describes every option", { timeout: 60_000 }, () => {
    const text = help(["status", "emit", "--help"])
    assert.include(text, "Usage: kittyctx status emit <WP> --to <lane> --actor <name> [options]")
    assert.match(text, /--to <lane>[\s\S]*Required\.[\s\S]*One of: planned, claimed, in_progress/)
    assert.match(text, /--actor <name>\s+\S.*Required\./)
    // every option line has a description after it
    for (const line of text.split("\n").filter((l) => /^ {2}--/.test(l))) {
      const rest = line.replace(/^ {2}--\S+(, --\S+)*( <[^>]+>)?/, "").trim()
      const next = text.split("\n")[text.split("\n").indexOf(line) + 1] ?? ""
      assert.isTrue(rest !== "" || /^ {20,}\S/.test(next), `no description: ${line}`)
    }
  })
})

describe("commands that run by themselves and also have subcommands", () => {
  // `dashboard` starts the dashboard and has the internal `dashboard serve`: its own options are its, not a
  // missing subcommand (the front refused `dashboard --json` with USAGE_ERROR before this was handled)
  it("`dashboard --status --json` reaches the command; a group without options still needs a command", { timeout: 60_000 }, () => {
    const dir = makeTemp("kittyctx-front-")
    temps.push(dir)
    const env = isolatedEnv(dir)
    const own = spawnSync(process.execPath, [CLI, "dashboard", "--status", "--json"], { cwd: dir, env, encoding: "utf8" })
    assert.strictEqual(own.status, 1, own.stdout + own.stderr)
    assert.strictEqual(JSON.parse(own.stdout).error.code, "PROJECT_ROOT_UNRESOLVED")
    const unknown = spawnSync(process.execPath, [CLI, "dashboard", "--bogus", "--json"], { cwd: dir, env, encoding: "utf8" })
    assert.strictEqual(unknown.status, 2)
    assert.strictEqual(JSON.parse(unknown.stdout).error.code, "USAGE_ERROR")
    assert.include(JSON.parse(unknown.stdout).error.message, "Unknown option --bogus")
    const group = spawnSync(process.execPath, [CLI, "status", "--json"], { cwd: dir, env, encoding: "utf8" })
    assert.strictEqual(group.status, 2)
    assert.deepStrictEqual(JSON.parse(group.stdout).error.commands, ["show", "emit", "materialize", "validate"])
  })
})
