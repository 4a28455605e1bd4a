/**
 * A seeded, bounded fuzz suite over hostile repository files (issue 11): real corpus rows, meta.json,
 * lanes.json, occurrence maps and `.git` pointer files are mutated (deep nesting, invalid UTF-8, wrong
 * types, truncation, option-like values, alias bombs, very long paths), then the commands that read them
 * run through the CLI command tree in process (the binary's exit mapping). For every case: exit 0 or 1
 * only (never 70, never 2), under `--json` stdout is exactly one JSON object, and a read, or a refused
 * write, changes no file. The seed is fixed; `KITTYCTX_FUZZ_SEED` / `KITTYCTX_FUZZ_CASES` explore further.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { CORPUS_DIR } from "../support/corpus.js"
import { inProcessRuntime, runInProcess } from "../support/inprocess.js"
import { commitAll, git, makeRepo, makeTemp, removeTemp, wpFile, writeFiles } from "../support/repo.js"
import { skipDirsNamed, treeFingerprint } from "../support/fingerprint.js"

const SEED = Number(process.env.KITTYCTX_FUZZ_SEED ?? 20261207)
const CASES = Number(process.env.KITTYCTX_FUZZ_CASES ?? 240)
const MISSION = "charter-ux-and-org-pack-vocabulary-01KSAF14"
const LANE_DIR = `${MISSION}-lane-a`

/** mulberry32: a small seeded PRNG. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Rand = () => number
const pick = <A>(r: Rand, xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))

const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth)
const deepObject = (depth: number) => "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth)
const BAD_UTF8 = Buffer.from([0xc3, 0x28, 0xff, 0xe9])

/** A JSON value a hostile file might hold instead of the expected one. */
const junkValue = (r: Rand): string =>
  pick(r, [
    () => deep(int(r, 500, 8000)),
    () => deepObject(int(r, 500, 6000)),
    () => JSON.stringify(pick(r, ["-m", "--detach", "-D", "--upload-pack=touch /tmp/x", "main..x", "a b", "", "\u0000", "x".repeat(5000)])),
    () => pick(r, ["null", "true", "0", "-1", "1e400", "12345678901234567890", "3.5", "[]", "{}", "\"\""]),
    () => JSON.stringify({ nested: { deeper: [1, "two", null] } })
  ])()

/** Byte-level damage to a text. */
const damage = (r: Rand, bytes: Buffer): Buffer => {
  const at = int(r, 0, Math.max(0, bytes.length - 1))
  return pick(r, [
    () => Buffer.concat([bytes.subarray(0, at), BAD_UTF8, bytes.subarray(at)]),
    () => bytes.subarray(0, at),
    () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]),
    () => Buffer.from(bytes.toString("latin1").replace(/\n/g, "\r\n"), "latin1"),
    () => Buffer.concat([bytes.subarray(0, at), Buffer.from("\u0000"), bytes.subarray(at)])
  ])()
}

/** One JSON document with one field replaced by junk (or its bytes damaged). */
const mutateJson = (r: Rand, text: string): Buffer => {
  if (r() < 0.3) return damage(r, Buffer.from(text))
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(text)
  } catch {
    return Buffer.from(text)
  }
  const keys = Object.keys(doc)
  const key = r() < 0.8 && keys.length > 0 ? pick(r, keys) : pick(r, ["mission_id", "target_branch", "coordination_branch", "extra"])
  const rest = JSON.stringify({ ...doc, [key]: "__JUNK__" })
  return Buffer.from(rest.replace("\"__JUNK__\"", junkValue(r)))
}

/** A YAML document damaged: deep flow nesting, an alias bomb, tabs, a line cut, bad bytes. */
const mutateYaml = (r: Rand, text: string): Buffer =>
  pick(r, [
    () => Buffer.from(`${text}\nextra: ${deep(int(r, 500, 5000))}\n`),
    () => {
      const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
      for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`)
      return Buffer.from(lines.join("\n") + "\n")
    },
    () => Buffer.from(text.replace(/^ {2}/gm, "\t")),
    () => {
      const lines = text.split("\n")
      lines.splice(int(r, 0, lines.length - 1), 1)
      return Buffer.from(lines.join("\n"))
    },
    () => damage(r, Buffer.from(text))
  ])()

/** A `.git` pointer file's text, damaged. */
const mutatePointer = (r: Rand, text: string): Buffer =>
  pick(r, [
    () => Buffer.from(`gitdir: ${pick(r, ["", "../../..", "/nonexistent/x", "/etc/passwd", "-c", "x".repeat(20000), "/proc/self/fd/0"])}\n`),
    () => Buffer.from(`gitdir:${"../".repeat(int(r, 1, 400))}\n`),
    () => Buffer.from("ref: refs/heads/main\n"),
    () => damage(r, Buffer.from(text)),
    () => Buffer.from(`gitdir: ${deep(int(r, 100, 2000))}\n`)
  ])()

interface Case {
  readonly name: string
  readonly file: string
  readonly mutate: (r: Rand, bytes: Buffer) => Buffer
  readonly cwd: (root: string) => string
  readonly commands: ReadonlyArray<ReadonlyArray<string>>
}

const m = ["--mission", MISSION]
const KINDS: ReadonlyArray<Case> = [
  {
    name: "log row",
    file: `kitty-specs/${MISSION}/status.events.jsonl`,
    mutate: (r, bytes) => {
      const lines = bytes.toString("utf8").split("\n")
      const i = int(r, 0, lines.length - 2)
      lines[i] = mutateJson(r, lines[i]).toString("latin1")
      return Buffer.from(lines.join("\n"), "latin1")
    },
    cwd: (root) => root,
    commands: [["status", "show", ...m, "--json"], ["status", "validate", ...m, "--json"], ["status", "emit", "WP01", "--to", "blocked", "--actor", "fuzz", "--force", "--reason", "fuzz", ...m, "--json"]]
  },
  {
    name: "meta.json",
    file: `kitty-specs/${MISSION}/meta.json`,
    mutate: (r, bytes) => mutateJson(r, bytes.toString("utf8")),
    cwd: (root) => root,
    commands: [["status", "show", ...m, "--json"], ["context", "resolve", ...m, "--json"], ["status", "emit", "WP01", "--to", "blocked", "--actor", "fuzz", "--force", "--reason", "fuzz", ...m, "--json"]]
  },
  {
    name: "lanes.json",
    file: `kitty-specs/${MISSION}/lanes.json`,
    mutate: (r, bytes) => mutateJson(r, bytes.toString("utf8")),
    cwd: (root) => root,
    commands: [["context", "resolve", ...m, "--action", "implement", "--wp", "WP01", "--json"], ["context", "explain", ...m, "--action", "review", "--wp", "WP01", "--json"]]
  },
  {
    name: "occurrence map",
    file: `kitty-specs/${MISSION}/occurrence_map.yaml`,
    mutate: (r, bytes) => mutateYaml(r, bytes.toString("utf8")),
    cwd: (root) => root,
    commands: [["occurrence-map", "validate", ...m, "--schema", "--json"]]
  },
  {
    name: ".git pointer",
    file: `.worktrees/${LANE_DIR}/.git`,
    mutate: (r, bytes) => mutatePointer(r, bytes.toString("utf8")),
    cwd: (root) => path.join(root, ".worktrees", LANE_DIR),
    commands: [["context", "resolve", ...m, "--json"], ["status", "show", ...m, "--json"]]
  }
]

/**
 * Every file's bytes and the refs: the git object store and the lock files aside (a command takes the
 * status lock before it reads the log it then refuses; the lock file in the git dir is runtime state, the
 * documented change, as with spec-kitty).
 */
const fingerprint = (dir: string): string =>
  treeFingerprint(dir, { skip: skipDirsNamed("objects", "spec-kitty-locks", "kittyctx-locks") })

let template = ""
let work = ""
const runtime = inProcessRuntime()

beforeAll(() => {
  work = makeTemp("kittyctx-fuzz-")
  template = makeRepo(path.join(work, "template"))
  const files: Record<string, string> = {}
  for (const name of fs.readdirSync(path.join(CORPUS_DIR, MISSION))) {
    files[`kitty-specs/${MISSION}/${name}`] = fs.readFileSync(path.join(CORPUS_DIR, MISSION, name), "utf8")
  }
  files[`kitty-specs/${MISSION}/tasks/WP01-work.md`] = wpFile("WP01")
  writeFiles(template, files)
  commitAll(template, "corpus mission")
  git(template, ["branch", `kitty/mission-${LANE_DIR}`])
  git(template, ["worktree", "add", "-q", path.join(template, ".worktrees", LANE_DIR), `kitty/mission-${LANE_DIR}`])
}, 60_000)

afterAll(async () => {
  await runtime.dispose()
  removeTemp(work)
})

describe("fuzz: hostile repository files", () => {
  it(`${CASES} seeded mutations (seed ${SEED}): exit 0 or 1, one JSON object, no write on a read or a refusal`, async () => {
    const r = prng(SEED)
    const failures: Array<string> = []
    const tally = { ok: 0, refused: 0 }
    for (let n = 0; n < CASES; n++) {
      const kind = KINDS[n % KINDS.length]
      const root = path.join(work, `case-${n}`)
      fs.cpSync(template, root, { recursive: true })
      // the linked worktree's pointers name the template's paths: re-point them at this copy
      const laneGit = path.join(root, ".worktrees", LANE_DIR, ".git")
      fs.writeFileSync(laneGit, `gitdir: ${path.join(root, ".git", "worktrees", LANE_DIR)}\n`)
      fs.writeFileSync(path.join(root, ".git", "worktrees", LANE_DIR, "gitdir"), laneGit + "\n")
      const target = path.join(root, kind.file)
      fs.writeFileSync(target, kind.mutate(r, fs.readFileSync(target)))
      const args = pick(r, kind.commands)
      const before = fingerprint(root)
      const run = await runInProcess(runtime, kind.cwd(root), args)
      const label = `case ${n} (${kind.name}, ${args.slice(0, 2).join(" ")})`
      if (run.code !== 0 && run.code !== 1) failures.push(`${label}: exit ${run.code}: ${(run.stdout + run.stderr).slice(0, 400)}`)
      let parsed: unknown = undefined
      try {
        parsed = JSON.parse(run.stdout)
      } catch {
        failures.push(`${label}: stdout is not one JSON object: ${run.stdout.slice(0, 200)}`)
      }
      if (parsed !== undefined && (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))) {
        failures.push(`${label}: stdout is JSON but not an object`)
      }
      const writes = args[1] === "emit"
      if ((!writes || run.code !== 0) && fingerprint(root) !== before) failures.push(`${label}: the repository changed`)
      if (run.code === 0) tally.ok++
      else tally.refused++
      removeTemp(root)
    }
    console.log(`fuzz: ${CASES} cases, ${tally.ok} accepted, ${tally.refused} refused with a structured error`)
    assert.deepStrictEqual(failures, [])
    assert.isAbove(tally.refused, CASES / 10, "the mutations must actually reach the readers")
  }, 600_000)
})
