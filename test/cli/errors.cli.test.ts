/**
 * The errors a user meets (issue 9, "Errors a user meets"), each through the built CLI in a real
 * repository: the code, a plain message saying what to do, the `--json` envelope, and a repository left
 * exactly as it was (every file's bytes, HEAD and the index).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { commitAll, git, makeRepo, makeTemp, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { skipDirsNamed, treeFingerprint } from "../support/fingerprint.js"

const ALPHA = "alpha-feature-01JZ0000"
const BETA = "beta-thing-01JZ1111"
const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const twoMissions = () => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, missionFiles(ALPHA, "01JZ0000000000000000000000", ["WP01", "WP02"]))
  writeFiles(repo, missionFiles(BETA, "01JZ1111000000000000000000", ["WP01"]))
  commitAll(repo, "missions")
  return repo
}

/** Every file's bytes (the object store aside), HEAD and the index: what "unchanged" compares. */
const state = (dir: string): string => treeFingerprint(dir, { skip: skipDirsNamed("objects") })

const envelope = (r: CliRun) => JSON.parse(r.stdout) as { ok: boolean; error: Record<string, unknown> & { code: string; message: string } }

/** Runs `args` with `--json` and without: exit `exit`, the code in the envelope and in `error[CODE]`; nothing written. */
const refusal = (cwd: string, args: ReadonlyArray<string>, code: string, exit = 1) => {
  const before = state(cwd)
  const j = runCli(cwd, [...args, "--json"])
  assert.strictEqual(j.code, exit, j.stdout + j.stderr)
  const out = envelope(j)
  assert.isFalse(out.ok)
  assert.strictEqual(out.error.code, code, j.stdout)
  const t = runCli(cwd, args)
  assert.strictEqual(t.code, exit, t.stdout + t.stderr)
  assert.strictEqual(t.stdout, "")
  assert.include(t.stderr, `error[${code}]: `)
  assert.notInclude(t.stderr, "\u001b[")
  assert.strictEqual(state(cwd), before, "the refusal changed the repository")
  return out.error
}

const M = ["--mission", ALPHA]
const emit = (wp: string, to: string, ...more: ReadonlyArray<string>) =>
  ["status", "emit", wp, "--to", to, "--actor", "alice", ...M, ...more]

describe("errors a user meets", () => {
  it("an unknown WP names the mission's WPs", () => {
    const e = refusal(twoMissions(), emit("WP99", "claimed"), "UNKNOWN_WORK_PACKAGE")
    assert.deepStrictEqual(e.known_work_packages, ["WP01", "WP02"])
    assert.include(e.message, "Its work packages: WP01, WP02.")
    assert.notInclude(e.message, "genesis")
  })

  it("malformed --review-result-json gets spec-kitty's checks and messages", () => {
    const repo = twoMissions()
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['{"reviewer": ""}', "--review-result-json requires non-empty reviewer, verdict, and reference strings"],
      ['{"reviewer": "x", "verdict": "meh", "reference": "r"}', "--review-result-json verdict must be 'approved' or 'changes_requested'"],
      ["[1]", "--review-result-json must decode to a JSON object"],
      ["{", "Invalid JSON in --review-result-json"]
    ]
    for (const [raw, message] of cases) {
      const e = refusal(repo, emit("WP01", "claimed", "--review-result-json", raw), "INVALID_REQUEST")
      assert.include(e.message, message)
      assert.strictEqual(e.flag, "--review-result-json")
    }
  })

  it("malformed --evidence-json says what is expected, with an example", () => {
    const e = refusal(twoMissions(), emit("WP01", "claimed", "--evidence-json", "not json"), "INVALID_REQUEST")
    assert.include(e.message, "Invalid JSON in --evidence-json")
    assert.include(e.message, "Expected valid JSON object")
  })

  it("an unknown lane is a usage error listing the lanes and the doing alias", () => {
    const e = refusal(twoMissions(), emit("WP01", "bogus"), "USAGE_ERROR", 2)
    assert.deepStrictEqual(e.valid_values, [
      "planned", "claimed", "in_progress", "for_review", "in_review", "approved", "done", "blocked", "canceled", "doing"
    ])
    assert.include(e.message, "doing is the alias of in_progress")
  })

  it("a mistyped handle suggests the nearest missions", () => {
    const e = refusal(twoMissions(), ["status", "show", "--mission", "alpah-feature"], "FEATURE_CONTEXT_UNRESOLVED")
    assert.deepStrictEqual(e.suggestions, [ALPHA])
    assert.include(e.message, `did you mean ${ALPHA}?`)
  })

  it("an omitted --mission with several missions lists the candidates", () => {
    const e = refusal(twoMissions(), ["status", "show"], "FEATURE_CONTEXT_UNRESOLVED")
    assert.deepStrictEqual(e.available_missions, [ALPHA, BETA])
    assert.include(e.message, "pass --mission <handle>")
  })

  it("a mistyped subcommand or flag suggests the nearest one at its level", () => {
    const repo = twoMissions()
    assert.deepStrictEqual(refusal(repo, ["statsu", "show"], "USAGE_ERROR", 2).suggestions, ["status"])
    assert.deepStrictEqual(refusal(repo, ["status", "shwo"], "USAGE_ERROR", 2).suggestions, ["show"])
    const flag = refusal(repo, ["status", "emit", "WP01", "--to", "claimed", "--actr", "a", ...M], "USAGE_ERROR", 2)
    assert.deepStrictEqual(flag.suggestions, ["--actor"])
    assert.include(flag.message, "Did you mean --actor?")
  })

  it("a missing required option under --json is still the JSON envelope (exit 2)", () => {
    const e = refusal(twoMissions(), ["status", "emit", "WP01", "--to", "claimed", ...M], "USAGE_ERROR", 2)
    assert.deepStrictEqual(e.missing, ["--actor"])
  })

  it("--feature-dir with --mission naming another mission is an error, not a silent pick", () => {
    const e = refusal(
      twoMissions(),
      ["status", "show", "--feature-dir", `kitty-specs/${ALPHA}`, "--mission", BETA],
      "MISSION_SELECTOR_CONFLICT"
    )
    assert.strictEqual(e.feature_dir_mission, ALPHA)
    assert.strictEqual(e.handle_mission, BETA)
  })

  it("a bare repository, one without .kittify/, one without missions: each says what is missing and how to create it", () => {
    const bare = makeTemp()
    temps.push(bare)
    git(bare, ["init", "-q", "--bare", "b.git"])
    const b = refusal(path.join(bare, "b.git"), ["status", "show"], "PROJECT_ROOT_UNRESOLVED")
    assert.strictEqual(b.reason, "bare_repository")
    assert.include(b.message, "worktree add")

    const plain = makeTemp()
    temps.push(plain)
    git(plain, ["init", "-q"])
    const p = refusal(plain, ["status", "show"], "PROJECT_ROOT_UNRESOLVED")
    assert.strictEqual(p.reason, "not_a_kitty_project")
    assert.include(p.message, "spec-kitty init")

    const empty = makeTemp()
    temps.push(empty)
    fs.mkdirSync(path.join(empty, ".kittify"))
    git(empty, ["init", "-q"])
    const n = refusal(empty, ["status", "show"], "FEATURE_CONTEXT_UNRESOLVED")
    assert.strictEqual(n.reason, "no_missions")
    assert.include(n.message, "spec-kitty agent mission create")
  })

  it("an unreadable --input-file is a plain message, not a file-system stack", () => {
    const repo = twoMissions()
    const e = refusal(repo, ["mission", "record-analysis", ...M, "--input-file", "nowhere.md", "--agent", "a"], "FILE_UNREADABLE")
    assert.strictEqual(e.errno, "ENOENT")
    assert.notInclude(e.message, "FileSystem.readFile")
    assert.notInclude(e.message, "NotFound:")
    assert.include(e.message, "nowhere.md")
  })

  it("status validate on spec-kitty's canonical bootstrap rows: no FROM_LANE_DISCONTINUITY warning", () => {
    const repo = twoMissions()
    assert.strictEqual(runCli(repo, ["status", "materialize", ...M]).code, 0)
    const r = runCli(repo, ["status", "validate", ...M, "--json"])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    assert.deepStrictEqual(JSON.parse(r.stdout).warnings, [])
  })

  it("materialize with no event log: spec-kitty's 'No event log found' (exit 1), nothing written", () => {
    const repo = makeRepo()
    temps.push(path.dirname(repo))
    const files = missionFiles(ALPHA, "01JZ0000000000000000000000", ["WP01"])
    delete (files as Record<string, string>)[`kitty-specs/${ALPHA}/status.events.jsonl`]
    writeFiles(repo, files)
    commitAll(repo, "mission")
    const e = refusal(repo, ["status", "materialize", ...M], "EVENT_LOG_NOT_FOUND")
    assert.include(e.message, "No event log found at ")
  })

  it("mark-status with unknown task ids names them and the known ids; nothing written", () => {
    const repo = makeRepo()
    temps.push(path.dirname(repo))
    writeFiles(repo, missionFiles(ALPHA, "01JZ0000000000000000000000", ["WP01"]))
    writeFiles(repo, { [`kitty-specs/${ALPHA}/tasks.md`]: "# Tasks\n\n## WP01\n\n- [ ] T001 first\n- [ ] T002 second\n" })
    commitAll(repo, "mission")
    const e = refusal(repo, ["tasks", "mark-status", "T001", "T009", "--status", "done", ...M], "TASK_IDS_UNKNOWN")
    assert.deepStrictEqual(e.unknown, ["T009"])
    assert.deepStrictEqual(e.known_ids, ["T001", "T002"])
  })
})

