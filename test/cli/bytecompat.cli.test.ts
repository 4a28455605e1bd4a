/**
 * Byte-compatibility with spec-kitty on the corpus (issue 9, "Must show"): for rows spec-kitty wrote in
 * real missions (status moves through `agent status emit` and subtask marks through `agent tasks
 * mark-status`), kittyctx, given the same request on the same log prefix, appends a line equal to
 * spec-kitty's byte for byte once the event id and the time are masked (the time keeps its shape).
 * One version difference is normalised: the spec-kitty source kittyctx follows (`StatusEvent.to_dict`)
 * omits a null `review_result`, as kittyctx does; some spec-kitty versions in the corpus wrote
 * `"review_result": null` (both forms read alike).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { CORPUS_DIR } from "../support/corpus.js"
import { commitAll, makeRepo, removeTemp, runCli, wpFile, writeFiles } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

interface Sample {
  readonly mission: string
  readonly missionId: string
  readonly prefix: ReadonlyArray<string>
  readonly line: string
  readonly row: Record<string, any>
}

const MODERN_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/

/** Corpus rows of one kind: the first `perKind` matches, each from a different mission. */
const samples = (accept: (row: Record<string, any>) => string | null, perKind: number): Array<Sample> => {
  const seen = new Map<string, Set<string>>()
  const out: Array<Sample> = []
  for (const mission of fs.readdirSync(CORPUS_DIR).sort()) {
    const log = path.join(CORPUS_DIR, mission, "status.events.jsonl")
    if (!/-01[0-9A-Z]{6}$/.test(mission) || !fs.existsSync(log)) continue
    const lines = fs.readFileSync(log, "utf8").split("\n").filter((l) => l.trim() !== "")
    for (let i = 0; i < lines.length; i++) {
      let row: Record<string, any>
      try {
        row = JSON.parse(lines[i])
      } catch {
        continue
      }
      const kind = accept(row)
      if (kind === null || !MODERN_AT.test(String(row.at))) continue
      const missionId = lines.map((l) => JSON.parse(l).mission_id).find((x) => typeof x === "string")
      if (row.kind !== "annotation" && (row.mission_slug !== mission || row.mission_id !== missionId)) continue
      if (typeof missionId !== "string") continue
      const missions = seen.get(kind) ?? new Set()
      if (missions.has(mission) || missions.size >= perKind) continue
      missions.add(mission)
      seen.set(kind, missions)
      out.push({ mission, missionId, prefix: lines.slice(0, i), line: lines[i], row })
    }
  }
  return out
}

const mask = (line: string) => line.replace(/"event_id": "[0-9A-Z]{26}"/, "\"event_id\": \"<id>\"").replace(/"at": "[^"]+"/, "\"at\": \"<at>\"")

/** A repository holding the corpus mission with the log prefix, WP files for its WPs, and `tasksMd`. */
const repoOf = (s: Sample, tasksMd?: string) => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  const dir = `kitty-specs/${s.mission}`
  const wps = new Set([...s.prefix, s.line].map((l) => JSON.parse(l).wp_id as string).filter((w) => /^WP\d+$/.test(w)))
  const files: Record<string, string> = {
    [`${dir}/meta.json`]: JSON.stringify({ mission_id: s.missionId, mission_slug: s.mission, slug: s.mission, mission_type: "software-dev", target_branch: "main" }) + "\n",
    [`${dir}/status.events.jsonl`]: s.prefix.map((l) => l + "\n").join("")
  }
  for (const wp of wps) files[`${dir}/tasks/${wp}-work.md`] = wpFile(wp, { subtasks: [] })
  if (tasksMd !== undefined) files[`${dir}/tasks.md`] = tasksMd
  writeFiles(repo, files)
  commitAll(repo, "corpus mission")
  return { repo, log: path.join(repo, dir, "status.events.jsonl") }
}

const lastLine = (log: string) => fs.readFileSync(log, "utf8").trimEnd().split("\n").at(-1)!

describe("status moves: kittyctx's row equals spec-kitty's", () => {
  const moves = samples((r) => {
    if (r.kind === "annotation" || typeof r.actor !== "string" || r.force !== false) return null
    if (r.evidence !== null || r.policy_metadata !== null || (r.review_result ?? null) !== null) return null
    const kind = `${r.from_lane}->${r.to_lane}`
    return ["planned->claimed", "claimed->in_progress", "for_review->in_review", "in_progress->planned"].includes(kind) ? kind : null
  }, 3)

  it("finds rows of every kind in the corpus", () => {
    assert.isAtLeast(moves.length, 10)
  })

  for (const s of moves) {
    it(`${s.mission} ${s.row.wp_id} ${s.row.from_lane} -> ${s.row.to_lane}`, { timeout: 60_000 }, () => {
      const { log, repo } = repoOf(s)
      const args = [
        "status", "emit", s.row.wp_id, "--to", s.row.to_lane, "--actor", s.row.actor, "--mission", s.mission,
        "--execution-mode", s.row.execution_mode, "--no-auto-commit", "--json",
        ...(s.row.reason === null ? [] : ["--reason", s.row.reason]),
        ...(s.row.review_ref === null ? [] : ["--review-ref", s.row.review_ref])
      ]
      const r = runCli(repo, args)
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      const written = lastLine(log)
      assert.strictEqual(mask(written), mask(s.line.replace('"review_result": null, ', "")))
      assert.match(JSON.parse(written).at, MODERN_AT)
    })
  }
})

describe("subtask marks: kittyctx's annotation equals spec-kitty's mark-status row", () => {
  const marks = samples((r) =>
    r.kind === "annotation" && r.actor === "user" && r.delta?.subtasks !== undefined && Object.keys(r.delta).length === 1
      ? "mark"
      : null, 6)

  it("finds mark-status rows in the corpus", () => {
    assert.isAtLeast(marks.length, 3)
  })

  for (const s of marks) {
    const ids = Object.keys(s.row.delta.subtasks)
    const values = new Set(Object.values(s.row.delta.subtasks))
    it(`${s.mission} ${s.row.wp_id} ${ids.join(",")}`, { timeout: 60_000 }, () => {
      assert.strictEqual(values.size, 1)
      const status = values.has("done") ? "done" : "pending"
      const tasksMd = `# Tasks\n\n## ${s.row.wp_id} work\n\n${ids.map((id) => `- [ ] ${id} a subtask`).join("\n")}\n`
      const { log, repo } = repoOf(s, tasksMd)
      const r = runCli(repo, ["tasks", "mark-status", ...ids, "--status", status, "--mission", s.mission, "--no-auto-commit", "--json"])
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      assert.strictEqual(mask(lastLine(log)), mask(s.line))
    })
  }
})
