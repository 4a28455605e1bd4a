/**
 * Occurrence maps over real git repositories (docs/surfaces.md §6.3-§6.6): the gate and the diff check
 * through the library (live layers, in process), and the `kittyctx occurrence-map …` contract seen from
 * outside, the built binary run as a real process (needs `npm run build` with the command wired).
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Either, ManagedRuntime } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { MainLayer } from "../../src/services/MainLayer.js"
import { checkDiff, ensureOccurrenceClassificationReady } from "../../src/services/surfaces/OccurrenceCheck.js"
import type { CheckDiffOptions } from "../../src/services/surfaces/OccurrenceCheck.js"
import { resolve } from "../../src/services/context/ResolveContext.js"
import type { Resolution } from "../../src/services/context/ResolveContext.js"
import { layerFixed as settingsFixed } from "../../src/services/ports/Settings.js"
import { CLI, commitAll, git, isolatedEnv, makeRepo, missionFiles, removeTemp, runCli, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"

const SLUG = "demo-01JZ0000"
const MISSION_ID = "01JZ0000000000000000000000"
const MAP_PATH = `kitty-specs/${SLUG}/occurrence_map.yaml`

const CATEGORIES = `categories:
  code_symbols: {action: rename}
  import_paths: {action: rename}
  filesystem_paths: {action: manual_review}
  serialized_keys: {action: do_not_change}
  cli_commands: {action: do_not_change}
  user_facing_strings: {action: rename_if_user_visible}
  tests_fixtures: {action: rename}
  logs_telemetry: {action: do_not_change}
`
const LEGACY_MAP = `target: {term: constitution, replacement: charter, operation: rename}\n${CATEGORIES}exceptions: []\n`
const MOVES_MAP = `target: {term: auth, replacement: identity, operation: rename}
${CATEGORIES}moves:
  - from: [src/legacy/auth]
    to: src/auth
    reason: Consolidate auth modules
  - {from: [config/old.yaml], to: config/new.yaml}
`

const BASE_TREE: Record<string, string> = {
  "src/legacy/auth/login.py": "def login(): pass\n",
  "src/legacy/auth/token.py": "def token(): pass\n",
  "src/authentication/x.py": "x = 1\n",
  "src/app.py": "import constitution\n",
  "config/old.yaml": "a: 1\n",
  "README.md": "# demo\n"
}

const temps: Array<string> = []
const runtime = ManagedRuntime.make(MainLayer)
afterAll(async () => {
  temps.forEach(removeTemp)
  await runtime.dispose()
})

/** A repo whose `main` holds the mission (+ map) and BASE_TREE, and a `feature` branch with `change` applied. */
const scenario = (opts: {
  readonly map: string | null
  readonly meta?: Record<string, unknown>
  readonly change?: (repo: string) => void
}) => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, {
    ...missionFiles(SLUG, MISSION_ID, ["WP01"], { change_mode: "bulk_edit", ...opts.meta }),
    ...BASE_TREE,
    ...(opts.map === null ? {} : { [MAP_PATH]: opts.map })
  })
  commitAll(repo, "mission and tree")
  git(repo, ["checkout", "-q", "-b", "feature"])
  opts.change?.(repo)
  commitAll(repo, "the bulk edit")
  return repo
}

const mv = (repo: string, from: string, to: string) => {
  fs.mkdirSync(path.dirname(path.join(repo, to)), { recursive: true })
  git(repo, ["mv", from, to])
}

const run = <A, E>(eff: Effect.Effect<A, E, any>) => runtime.runPromise(Effect.either(eff.pipe(Effect.provide(settingsFixed()))))

const resolutionOf = (repo: string, cwd = repo) =>
  resolve({ cwd, mission: SLUG, action: "status" }) as Effect.Effect<Resolution, unknown, any>

const diffIn = (repo: string, options: CheckDiffOptions = {}) =>
  run(Effect.flatMap(resolutionOf(repo), (r) => checkDiff(r, { base: "main", head: "feature", ...options })))

const gateIn = (repo: string) => run(Effect.flatMap(resolutionOf(repo), ensureOccurrenceClassificationReady))

const ok = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected success, got ${JSON.stringify(e.left)}`)
  return e.right
}
const failure = <A, E>(e: Either.Either<A, E>): Record<string, any> => {
  if (Either.isRight(e)) throw new Error("expected a failure")
  return e.left as Record<string, any>
}

const byPath = (assessments: ReadonlyArray<{ path: string }>) => Object.fromEntries(assessments.map((a) => [a.path, a]))

// ---------------------------------------------------------------------------------------------------
// The library over real git

describe("the implement gate over a real repository", () => {
  it("not bulk edit: passes with change_mode null, whatever the map", async () => {
    const repo = scenario({ map: "- not a map\n", meta: { change_mode: null } })
    assert.deepStrictEqual(ok(await gateIn(repo)), { passed: true, change_mode: null, errors: [], warnings: [] })
  })

  it("bulk edit without a map refuses with the spec's message; with a legacy map it passes", async () => {
    const repo = scenario({ map: null })
    const dir = path.join(repo, "kitty-specs", SLUG)
    assert.deepStrictEqual(ok(await gateIn(repo)), {
      passed: false,
      change_mode: "bulk_edit",
      errors: [`Occurrence map required for bulk_edit missions. Create ${dir}/occurrence_map.yaml with target, categories, and actions.`],
      warnings: []
    })
    fs.writeFileSync(path.join(repo, MAP_PATH), LEGACY_MAP)
    assert.deepStrictEqual(ok(await gateIn(repo)), { passed: true, change_mode: "bulk_edit", errors: [], warnings: [] })
    fs.writeFileSync(path.join(repo, MAP_PATH), "target: x\n")
    const invalid = ok(await gateIn(repo))
    assert.isFalse(invalid.passed)
    assert.deepStrictEqual(invalid.errors, ["'target' must be a mapping", "Missing required 'categories' section"])
  })

  it("coordination placement: the map is read from the coordination worktree, change_mode from the primary meta.json", async () => {
    const coordBranch = "kitty/coord-demo"
    const repo = scenario({ map: null, meta: { topology: "coord", coordination_branch: coordBranch } })
    git(repo, ["checkout", "-q", "main"])
    git(repo, ["branch", coordBranch])
    const coord = path.join(repo, ".worktrees", `${SLUG}-coord`)
    git(repo, ["worktree", "add", "-q", coord, coordBranch])
    const coordDir = path.join(coord, "kitty-specs", SLUG)
    const refused = ok(await gateIn(repo))
    assert.deepStrictEqual(refused.errors, [
      `Occurrence map required for bulk_edit missions. Create ${coordDir}/occurrence_map.yaml with target, categories, and actions.`
    ])
    // a map left in the primary checkout is not the placement copy
    writeFiles(repo, { [MAP_PATH]: LEGACY_MAP })
    assert.isFalse(ok(await gateIn(repo)).passed)
    writeFiles(coord, { [MAP_PATH]: LEGACY_MAP })
    assert.isTrue(ok(await gateIn(repo)).passed)
    assert.isTrue(ok(await gateIn(coord)).passed, "the same answer from inside the coordination worktree")
  })
})

describe("check-diff over real git refs (§6.6)", () => {
  it("A6.1 legacy map, no moves (and moves: null): a code rename passes; no integrity findings", async () => {
    for (const map of [LEGACY_MAP, LEGACY_MAP + "moves: null\n"]) {
      const repo = scenario({ map, change: (r) => writeFiles(r, { "src/app.py": "import charter\n" }) })
      const result = ok(await diffIn(repo))
      assert.isTrue(result.passed, JSON.stringify(result.errors))
      assert.deepStrictEqual(result.assessments.map((a) => [a.path, a.source, a.category, a.action]), [
        ["src/app.py", "path-heuristic", "code_symbols", "rename"]
      ])
      assert.deepStrictEqual(result.integrity, [])
      assert.deepStrictEqual(result.warnings, [])
    }
  })

  it("A6.4 precedence: moves (both sides, renames split) pass; do_not_change outside any move violates", async () => {
    const repo = scenario({
      map: MOVES_MAP,
      change: (r) => {
        mv(r, "src/legacy/auth/login.py", "src/auth/login.py")
        mv(r, "src/legacy/auth/token.py", "src/auth/token.py")
        mv(r, "config/old.yaml", "config/new.yaml")
        writeFiles(r, { "config/unrelated.yaml": "b: 2\n" })
      }
    })
    const result = ok(await diffIn(repo))
    const a = byPath(result.assessments) as Record<string, any>
    assert.deepStrictEqual(Object.keys(a).sort(), [
      "config/new.yaml",
      "config/old.yaml",
      "config/unrelated.yaml",
      "src/auth/login.py",
      "src/auth/token.py",
      "src/legacy/auth/login.py",
      "src/legacy/auth/token.py"
    ])
    assert.strictEqual(a["src/auth/login.py"].reason, "Declared structural move-destination: src/auth")
    assert.strictEqual(a["src/legacy/auth/token.py"].reason, "Declared structural move-source: src/legacy/auth")
    assert.strictEqual(a["config/old.yaml"].source, "move")
    assert.strictEqual(a["config/new.yaml"].source, "move")
    assert.deepStrictEqual(
      [a["config/unrelated.yaml"].source, a["config/unrelated.yaml"].category, a["config/unrelated.yaml"].violation],
      ["path-heuristic", "serialized_keys", true]
    )
    assert.isFalse(result.passed)
    assert.deepStrictEqual(result.errors, ["config/unrelated.yaml: File classified as 'serialized_keys' which is marked do_not_change"])
    assert.deepStrictEqual(result.integrity, [], "the moves are complete and nothing references the old paths")
  })

  it("A6.4 the yaml rename alone passes with the move declared, and fails without it", async () => {
    const change = (r: string) => mv(r, "config/old.yaml", "config/new.yaml")
    assert.isTrue(ok(await diffIn(scenario({ map: MOVES_MAP, change }), { movesIntegrity: "off" })).passed)
    const without = ok(await diffIn(scenario({ map: LEGACY_MAP, change })))
    assert.deepStrictEqual(without.errors, [
      "config/new.yaml: File classified as 'serialized_keys' which is marked do_not_change",
      "config/old.yaml: File classified as 'serialized_keys' which is marked do_not_change"
    ])
  })

  it("prefix matching: src/authentication is not covered by a move to src/auth", async () => {
    const repo = scenario({
      map: MOVES_MAP.replace("code_symbols: {action: rename}", "code_symbols: {action: do_not_change}"),
      change: (r) => writeFiles(r, { "src/authentication/x.py": "x = 2\n", "src/auth/new.py": "n = 1\n" })
    })
    const a = byPath(ok(await diffIn(repo, { movesIntegrity: "off" })).assessments) as Record<string, any>
    assert.strictEqual(a["src/auth/new.py"].source, "move")
    assert.deepStrictEqual([a["src/authentication/x.py"].source, a["src/authentication/x.py"].violation], ["path-heuristic", true])
  })

  it("A6.6 integrity: a stale reference fails under enforce, warns under warn, is skipped under off", async () => {
    const repo = scenario({
      map: MOVES_MAP,
      change: (r) => {
        mv(r, "src/legacy/auth/login.py", "src/auth/login.py")
        mv(r, "src/legacy/auth/token.py", "src/auth/token.py")
        mv(r, "config/old.yaml", "config/new.yaml")
        writeFiles(r, { "README.md": "# demo\n\nsee src/legacy/auth/login.py\nand src/legacy/authz.py\n" })
      }
    })
    const enforce = ok(await diffIn(repo))
    assert.isFalse(enforce.passed)
    assert.deepStrictEqual(enforce.integrity, [{
      code: "STALE_PATH_REFERENCE",
      severity: "error",
      move_index: 0,
      path: "README.md",
      line: 3,
      detail: "line 3 still references moved path 'src/legacy/auth' (moved to 'src/auth')"
    }])
    assert.deepStrictEqual(enforce.errors, [
      "README.md: STALE_PATH_REFERENCE: line 3 still references moved path 'src/legacy/auth' (moved to 'src/auth')"
    ])
    const warn = ok(await diffIn(repo, { movesIntegrity: "warn" }))
    assert.isTrue(warn.passed)
    assert.strictEqual(warn.integrity[0].severity, "warning")
    assert.include(warn.warnings, enforce.errors[0])
    const off = ok(await diffIn(repo, { movesIntegrity: "off" }))
    assert.deepStrictEqual([off.passed, off.integrity, off.errors], [true, [], []])
  })

  it("integrity reads the head tree, not the working tree; sources left behind and missing destinations are findings", async () => {
    const repo = scenario({
      map: MOVES_MAP,
      change: (r) => {
        // copied instead of moved, and the yaml never moved
        writeFiles(r, { "src/auth/login.py": "def login(): pass\n" })
      }
    })
    // the working tree says otherwise: the check must not look at it
    fs.rmSync(path.join(repo, "src/legacy"), { recursive: true })
    writeFiles(repo, { "config/new.yaml": "a: 1\n" })
    const result = ok(await diffIn(repo))
    assert.deepStrictEqual(result.integrity.map((f) => [f.code, f.move_index, f.path]), [
      ["MOVE_SOURCE_STILL_PRESENT", 0, "src/legacy/auth"],
      ["MOVE_SOURCE_STILL_PRESENT", 1, "config/old.yaml"],
      ["MOVE_DESTINATION_MISSING", 1, "config/new.yaml"]
    ])
    assert.isFalse(result.passed)
  })

  it("the mission's own runtime state is exempt; its other files and other missions' state are not", async () => {
    const repo = scenario({
      map: LEGACY_MAP,
      change: (r) =>
        writeFiles(r, {
          [`kitty-specs/${SLUG}/status.json`]: "{}\n",
          [`kitty-specs/${SLUG}/tasks/WP01/review-cycle-1.md`]: "ok\n",
          "kitty-specs/other-01JZ0001/status.json": "{}\n"
        })
    })
    const a = byPath(ok(await diffIn(repo)).assessments) as Record<string, any>
    assert.strictEqual(a[`kitty-specs/${SLUG}/status.json`].source, "runtime-state")
    assert.strictEqual(a[`kitty-specs/${SLUG}/tasks/WP01/review-cycle-1.md`].source, "runtime-state")
    assert.deepStrictEqual([a["kitty-specs/other-01JZ0001/status.json"].source, a["kitty-specs/other-01JZ0001/status.json"].violation], [
      "path-heuristic",
      true
    ])
  })

  it("defaults: base = lanes.json mission_branch, else the target branch; head = HEAD", async () => {
    const repo = scenario({ map: LEGACY_MAP, change: (r) => writeFiles(r, { "src/app.py": "import charter\n" }) })
    const viaDefaults = () => run(Effect.flatMap(resolutionOf(repo), (r) => checkDiff(r)))
    const first = ok(await viaDefaults())
    assert.deepStrictEqual([first.base.ref, first.head.ref], ["main", "HEAD"])
    assert.strictEqual(first.head.commit, git(repo, ["rev-parse", "feature"]))
    git(repo, ["branch", "kitty/mission-demo", "feature"])
    writeFiles(repo, {
      [`kitty-specs/${SLUG}/lanes.json`]: JSON.stringify({ version: 1, mission_branch: "kitty/mission-demo", lanes: [] })
    })
    const second = ok(await viaDefaults())
    assert.strictEqual(second.base.ref, "kitty/mission-demo")
    assert.deepStrictEqual(second.assessments, [], "base and head are the same commit")
  })

  it("fails closed: unknown refs, a missing map, an invalid map", async () => {
    const repo = scenario({ map: LEGACY_MAP })
    const badRef = failure(await diffIn(repo, { head: "no-such-branch" }))
    assert.strictEqual(badRef.code, "GIT_COMMAND_FAILED")
    const optionLike = failure(await diffIn(repo, { base: "--output=/tmp/x" }))
    assert.strictEqual(optionLike.code, "GIT_COMMAND_FAILED", "a ref that looks like an option is never an option")
    fs.rmSync(path.join(repo, MAP_PATH))
    const missing = failure(await diffIn(repo))
    assert.deepStrictEqual([missing.code, missing.details.reason], ["OCCURRENCE_MAP_INVALID", "missing"])
    fs.writeFileSync(path.join(repo, MAP_PATH), "- a\n")
    const invalid = failure(await diffIn(repo))
    assert.deepStrictEqual([invalid.code, invalid.details.reason, invalid.details.errors], [
      "OCCURRENCE_MAP_INVALID",
      "invalid",
      ["Occurrence map must be a mapping at the top level"]
    ])
  })
})

// ---------------------------------------------------------------------------------------------------
// The binary

/** Parses the single JSON object a `--json` command printed (and checks that is all it printed). */
const envelope = (r: CliRun): Record<string, any> => {
  const lines = r.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `expected one JSON line on stdout, got: ${r.stdout}${r.stderr}`)
  return JSON.parse(lines[0])
}

const validate = (cwd: string, ...extra: Array<string>) => runCli(cwd, ["occurrence-map", "validate", "--mission", SLUG, "--json", ...extra])
const checkDiffCli = (cwd: string, ...extra: Array<string>) =>
  runCli(cwd, ["occurrence-map", "check-diff", "--mission", SLUG, "--base", "main", "--head", "feature", "--json", ...extra])

describe("kittyctx occurrence-map validate (binary)", () => {
  it("a valid legacy map: ok, valid, exit 0; --schema adds schema_errors", () => {
    const repo = scenario({ map: LEGACY_MAP })
    const r = validate(repo)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(envelope(r), { ok: true, valid: true, errors: [], warnings: [], admissibility_errors: [] })
    const s = validate(repo, "--schema")
    assert.strictEqual(s.code, 0)
    assert.deepStrictEqual(envelope(s), { ok: true, valid: true, errors: [], warnings: [], admissibility_errors: [], schema_errors: [] })
  })

  it("an invalid map: ok, valid false, every error listed, exit 1", () => {
    const repo = scenario({ map: "target: x\ncategories: {code_symbols: {action: zap}}\nowner: me\n" })
    const r = validate(repo)
    assert.strictEqual(r.code, 1)
    assert.deepStrictEqual(envelope(r), {
      ok: true,
      valid: false,
      errors: [
        "'target' must be a mapping",
        "Category 'code_symbols' has invalid action 'zap'; must be one of ['do_not_change', 'manual_review', 'rename', 'rename_if_user_visible']"
      ],
      warnings: ["Unknown top-level key 'owner'"],
      admissibility_errors: []
    })
  })

  it("admissibility errors are listed apart and in errors; schema errors only with --schema", () => {
    const repo = scenario({
      map: "target: {term: TBD}\ncategories:\n  code_symbols: {action: rename, notes: x}\n  a: {action: rename}\n  b: {action: rename}\nmission: m\n"
    })
    const plain = envelope(validate(repo))
    assert.strictEqual(plain.admissibility_errors.length, 2)
    assert.deepStrictEqual(plain.errors, plain.admissibility_errors)
    assert.notProperty(plain, "schema_errors")
    const strict = envelope(validate(repo, "--schema"))
    assert.deepStrictEqual(strict.schema_errors, ["<root>: Additional properties are not allowed ('mission' was unexpected)"])
    assert.deepStrictEqual(strict.errors, [...strict.admissibility_errors, ...strict.schema_errors])
  })

  it("A6.7 a YAML list is a validation error, never a crash; a missing map is reported, not thrown", () => {
    const repo = scenario({ map: "- target\n- categories\n" })
    const r = validate(repo)
    assert.strictEqual(r.code, 1)
    assert.deepStrictEqual(envelope(r).errors, ["Occurrence map must be a mapping at the top level"])
    fs.rmSync(path.join(repo, MAP_PATH))
    const missing = validate(repo)
    assert.strictEqual(missing.code, 1)
    assert.match(envelope(missing).errors[0], /^Occurrence map required for bulk_edit missions\. Create .*occurrence_map\.yaml/)
  })

  it("an unknown mission is the context error envelope, exit 1; without --json, error[CODE] on stderr", () => {
    const repo = scenario({ map: LEGACY_MAP })
    const r = runCli(repo, ["occurrence-map", "validate", "--mission", "nope", "--json"])
    assert.strictEqual(r.code, 1)
    const out = envelope(r)
    assert.strictEqual(out.ok, false)
    assert.strictEqual(out.error.code, "FEATURE_CONTEXT_UNRESOLVED")
    const human = runCli(repo, ["occurrence-map", "validate", "--mission", "nope"])
    assert.strictEqual(human.code, 1)
    assert.match(human.stderr, /^error\[FEATURE_CONTEXT_UNRESOLVED\]: /)
    assert.strictEqual(human.stdout, "")
  })
})

describe("kittyctx occurrence-map check-diff (binary)", () => {
  const movedRepo = () =>
    scenario({
      map: MOVES_MAP,
      change: (r) => {
        mv(r, "src/legacy/auth/login.py", "src/auth/login.py")
        mv(r, "src/legacy/auth/token.py", "src/auth/token.py")
        mv(r, "config/old.yaml", "config/new.yaml")
      }
    })

  it("a compliant diff: passed, assessments with reason, exit 0", () => {
    const repo = movedRepo()
    const r = checkDiffCli(repo)
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    const out = envelope(r)
    assert.strictEqual(out.ok, true)
    assert.strictEqual(out.passed, true)
    assert.deepStrictEqual(out.integrity, [])
    assert.deepStrictEqual(out.errors, [])
    assert.strictEqual(out.assessments.length, 6)
    for (const a of out.assessments) {
      for (const k of ["path", "category", "action", "source", "violation", "reason"]) assert.property(a, k)
    }
  })

  it("a violation and a stale reference: passed false, exit 1; --moves-integrity warn keeps only the violation", () => {
    const repo = movedRepo()
    writeFiles(repo, { "config/unrelated.yaml": "b: 2\n", "README.md": "see src/legacy/auth/token.py\n" })
    commitAll(repo, "more")
    const r = checkDiffCli(repo)
    assert.strictEqual(r.code, 1)
    const out = envelope(r)
    assert.deepStrictEqual([out.ok, out.passed], [true, false])
    assert.deepStrictEqual(out.integrity.map((f: any) => [f.code, f.path, f.line]), [["STALE_PATH_REFERENCE", "README.md", 1]])
    assert.strictEqual(out.errors.length, 2)
    const warn = envelope(checkDiffCli(repo, "--moves-integrity", "warn"))
    assert.deepStrictEqual(warn.errors, ["config/unrelated.yaml: File classified as 'serialized_keys' which is marked do_not_change"])
    assert.strictEqual(warn.integrity[0].severity, "warning")
    const off = envelope(checkDiffCli(repo, "--moves-integrity", "off"))
    assert.deepStrictEqual(off.integrity, [])
  })

  it("the same JSON from a subdirectory and from a lane worktree (CWD invariance)", () => {
    const repo = movedRepo()
    const fromRoot = envelope(checkDiffCli(repo))
    assert.deepStrictEqual(envelope(checkDiffCli(path.join(repo, "src"))), fromRoot)
    const lane = path.join(repo, ".worktrees", `${SLUG}-lane-a`)
    git(repo, ["worktree", "add", "-q", "-b", `kitty/mission-${SLUG}-lane-a`, lane, "main"])
    assert.deepStrictEqual(envelope(checkDiffCli(lane)), fromRoot)
  })

  it("a large failing report reaches a pipe whole (more than 64 KiB, exit 1)", () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 600; i++) files[`config/generated/settings-${String(i).padStart(4, "0")}.yaml`] = `k: ${i}\n`
    const repo = scenario({ map: LEGACY_MAP, change: (r) => writeFiles(r, files) })
    // a reader that starts late lets the pipe fill, so an exit that does not wait for stdout loses data
    const args = ["occurrence-map", "check-diff", "--mission", SLUG, "--base", "main", "--head", "feature", "--json"]
    const script = `"$0" "$@"; echo "exit=$?" >&2`
    const slow = spawnSync("sh", ["-c", `(sh -c '${script}' "${process.execPath}" "${CLI}" ${args.join(" ")}) | (sleep 1; cat)`], {
      cwd: repo,
      env: isolatedEnv(path.dirname(repo)),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    assert.match(slow.stderr, /exit=1/)
    const r: CliRun = { code: 1, stdout: slow.stdout, stderr: "" }
    assert.isAbove(r.stdout.length, 64 * 1024)
    const out = envelope(r)
    assert.strictEqual(out.assessments.length, 600)
    assert.strictEqual(out.errors.length, 600)
  })

  it("errors: a bad ref is GIT_COMMAND_FAILED, a missing map OCCURRENCE_MAP_INVALID, a bad mode a usage error", () => {
    const repo = movedRepo()
    const bad = runCli(repo, ["occurrence-map", "check-diff", "--mission", SLUG, "--base", "main", "--head", "nope", "--json"])
    assert.strictEqual(bad.code, 1)
    assert.strictEqual(envelope(bad).error.code, "GIT_COMMAND_FAILED")
    const usage = checkDiffCli(repo, "--moves-integrity", "strict")
    assert.strictEqual(usage.code, 2)
    fs.rmSync(path.join(repo, MAP_PATH))
    const missing = checkDiffCli(repo)
    assert.strictEqual(missing.code, 1)
    const err = envelope(missing).error
    assert.deepStrictEqual([err.code, err.reason], ["OCCURRENCE_MAP_INVALID", "missing"])
  })
})
