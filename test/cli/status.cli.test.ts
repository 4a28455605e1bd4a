/**
 * The `kittyctx status …` contract seen from outside: the built binary run as a real process in real
 * git repositories (docs/status-model.md §3, §5, §6, §9, §14). Needs `npm run build` first.
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { encodeLine } from "../../src/core/python/PyJson.js"
import type { JsonValue } from "../../src/core/python/PyJson.js"
import { bootstrapLine, commitAll, git, makeRepo, missionFiles, removeTemp, runCli, wpFile, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { transitionRow } from "../support/fixtures.js"
import { skipNamed, treeHashes as hashesOf } from "../support/fingerprint.js"

const SLUG = "demo-feature-01JZ0000"
const MISSION_ID = "01JZ0000000000000000000000"
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/
const PY_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

/** A committed repo with one mission whose WPs are bootstrapped to planned (no status.json yet). */
const setup = (wps: ReadonlyArray<string> = ["WP01", "WP02"], extra: Record<string, string> = {}) => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, { ...missionFiles(SLUG, MISSION_ID, wps), ...extra })
  commitAll(repo, "mission")
  const dir = path.join(repo, "kitty-specs", SLUG)
  return {
    repo,
    dir,
    log: path.join(dir, "status.events.jsonl"),
    statusJson: path.join(dir, "status.json"),
    cli: (args: ReadonlyArray<string>, cwd = repo): CliRun => runCli(cwd, args)
  }
}

type Repo = ReturnType<typeof setup>

const show = (r: Repo, ...extra: Array<string>) => r.cli(["status", "show", "--mission", SLUG, "--json", ...extra])
const emit = (r: Repo, wp: string, to: string, ...extra: Array<string>) =>
  r.cli(["status", "emit", wp, "--to", to, "--actor", "alice", "--mission", SLUG, "--json", ...extra])

/** Parses the single JSON object a `--json` command printed (and checks that is all it printed). */
const envelope = (run: CliRun): Record<string, any> => {
  const lines = run.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `expected one JSON line on stdout, got: ${run.stdout}`)
  return JSON.parse(lines[0])
}

const emitOk = (r: Repo, wp: string, to: string, ...extra: Array<string>): Record<string, any> => {
  const run = emit(r, wp, to, ...extra)
  assert.strictEqual(run.code, 0, `emit ${wp} -> ${to} failed: ${run.stdout}${run.stderr}`)
  const out = envelope(run)
  assert.strictEqual(out.ok, true)
  return out.event
}

/** Every file under `dir` (every entry named .git excluded) with its hash: a fingerprint of the work tree. */
const treeHashes = (dir: string): Record<string, string> => hashesOf(dir, { skip: skipNamed(".git") })

const porcelain = (repo: string) => git(repo, ["status", "--porcelain", "--untracked-files=all"])

const lastLine = (file: string) => {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "")
  return lines[lines.length - 1]
}

const illegalLine = (wp: string, eventId: string, at: string, from: string, to: string) =>
  encodeLine(transitionRow({ wp, from, to, missionId: MISSION_ID, slug: SLUG, eventId, at, actor: "mallory", withoutReviewResult: true }))

describe("status show --json", () => {
  it("prints exactly the bytes materialize writes, and nothing else; it never writes", () => {
    const r = setup()
    const before = treeHashes(r.repo)
    const porcelainBefore = porcelain(r.repo)
    assert.strictEqual(porcelainBefore, "")
    const out = show(r)
    assert.strictEqual(out.code, 0, out.stderr)
    assert.strictEqual(out.stderr, "")
    assert.isFalse(fs.existsSync(r.statusJson))
    assert.deepStrictEqual(treeHashes(r.repo), before)
    assert.strictEqual(porcelain(r.repo), porcelainBefore)

    const mat = r.cli(["status", "materialize", "--mission", SLUG, "--json"])
    assert.strictEqual(mat.code, 0, mat.stderr)
    assert.strictEqual(fs.readFileSync(r.statusJson, "utf8"), out.stdout)
    // Byte-level equality, not just string equality after decoding.
    assert.isTrue(Buffer.from(out.stdout, "utf8").equals(fs.readFileSync(r.statusJson)))

    // With status.json present, show still prints the same bytes and changes nothing.
    const after = treeHashes(r.repo)
    const again = show(r)
    assert.strictEqual(again.stdout, out.stdout)
    assert.deepStrictEqual(treeHashes(r.repo), after)
  })

  it("time travels with --at <event_id> and --at <ISO timestamp>", () => {
    const r = setup(["WP01"])
    const claimed = emitOk(r, "WP01", "claimed")
    const started = emitOk(r, "WP01", "in_progress")
    const before = treeHashes(r.repo)
    const laneAt = (at: string) => {
      const out = show(r, "--at", at)
      assert.strictEqual(out.code, 0, `--at ${at}: ${out.stdout}${out.stderr}`)
      return JSON.parse(out.stdout)
    }
    const bootstrapId = "01JZ0000000000000000000000"
    assert.strictEqual(laneAt(bootstrapId).work_packages.WP01.lane, "planned")
    assert.strictEqual(laneAt(bootstrapId).event_count, 1)
    assert.strictEqual(laneAt(claimed.event_id).work_packages.WP01.lane, "claimed")
    assert.strictEqual(laneAt(claimed.event_id).event_count, 2)
    assert.strictEqual(laneAt(started.event_id).work_packages.WP01.lane, "in_progress")

    // Timestamps: the claim's own `at` (inclusive), a `Z` form after everything, a time before the claim.
    assert.strictEqual(laneAt(claimed.at).work_packages.WP01.lane, "claimed")
    assert.strictEqual(laneAt(claimed.at).last_event_id, claimed.event_id)
    assert.strictEqual(laneAt(new Date(Date.parse(started.at) + 1000).toISOString()).work_packages.WP01.lane, "in_progress")
    assert.strictEqual(laneAt("2026-01-01T00:30:00+00:00").work_packages.WP01.lane, "planned")

    // --at the last event equals the full replay.
    assert.strictEqual(show(r, "--at", started.event_id).stdout, show(r).stdout)

    const unknown = show(r, "--at", "01KZZZZZZZZZZZZZZZZZZZZZZZ")
    assert.strictEqual(unknown.code, 1)
    const err = envelope(unknown)
    assert.strictEqual(err.ok, false)
    assert.strictEqual(err.error.code, "AT_POINT_NOT_FOUND")
    assert.include(err.error.message, "01KZZZZZZZZZZZZZZZZZZZZZZZ")
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })
})

describe("status emit", () => {
  it("prints the event exactly as appended: Python-formatted line, ULID, Python UTC time; materializes", () => {
    const r = setup()
    const run = emit(r, "WP01", "claimed")
    assert.strictEqual(run.code, 0, run.stderr)
    const out = envelope(run)
    assert.strictEqual(out.ok, true)
    const line = lastLine(r.log)
    assert.deepStrictEqual(out.event, JSON.parse(line))
    assert.strictEqual(encodeLine(JSON.parse(line) as JsonValue), line)
    assert.isTrue(/^[\x20-\x7e]*$/.test(line), "a log line is pure printable ASCII")
    assert.match(out.event.at, PY_UTC)
    assert.match(out.event.event_id, ULID)
    assert.strictEqual(out.event.from_lane, "planned")
    assert.strictEqual(out.event.to_lane, "claimed")
    assert.strictEqual(out.event.wp_id, "WP01")
    assert.strictEqual(out.event.actor, "alice")
    assert.strictEqual(out.event.mission_slug, SLUG)
    assert.strictEqual(out.event.mission_id, MISSION_ID)
    assert.strictEqual(out.event.force, false)
    assert.isFalse("review_result" in out.event, "review_result is written only when non-null (§3.2)")
    assert.isTrue(fs.readFileSync(r.log, "utf8").endsWith("\n"))

    assert.isTrue(fs.existsSync(r.statusJson), "emit materializes status.json")
    assert.strictEqual(fs.readFileSync(r.statusJson, "utf8"), show(r).stdout)
    const snap = JSON.parse(fs.readFileSync(r.statusJson, "utf8"))
    assert.strictEqual(snap.work_packages.WP01.lane, "claimed")
    assert.strictEqual(snap.last_event_id, out.event.event_id)
    assert.strictEqual(snap.event_count, 3)
  })

  it("a second emit's id and time sort after the first one's", () => {
    const r = setup(["WP01"])
    const a = emitOk(r, "WP01", "claimed")
    const b = emitOk(r, "WP01", "in_progress")
    assert.isTrue(a.at < b.at, `${a.at} < ${b.at}`)
    assert.isTrue(a.event_id < b.event_id, `${a.event_id} < ${b.event_id}`)
  })

  it("refuses an illegal transition with spec-kitty's exact reason and writes nothing", () => {
    const r = setup()
    const logBefore = fs.readFileSync(r.log)
    const before = treeHashes(r.repo)
    const run = emit(r, "WP01", "done")
    assert.strictEqual(run.code, 1)
    assert.strictEqual(run.stderr, "")
    const out = envelope(run)
    assert.strictEqual(out.ok, false)
    assert.strictEqual(out.error.code, "TRANSITION_REFUSED")
    assert.strictEqual(out.error.message, "Illegal transition: planned -> done")
    assert.isTrue(fs.readFileSync(r.log).equals(logBefore))
    assert.isFalse(fs.existsSync(r.statusJson))
    assert.deepStrictEqual(treeHashes(r.repo), before)
    assert.strictEqual(porcelain(r.repo), "")
  })

  it("--to doing while in_progress is an alias no-op: nothing written", () => {
    const r = setup(["WP01"])
    emitOk(r, "WP01", "claimed")
    emitOk(r, "WP01", "doing")
    assert.strictEqual(JSON.parse(lastLine(r.log)).to_lane, "in_progress", "the alias is never persisted")
    const before = treeHashes(r.repo)
    const run = emit(r, "WP01", "doing")
    assert.strictEqual(run.code, 0, run.stderr)
    const out = envelope(run)
    assert.strictEqual(out.ok, true)
    assert.strictEqual(out.event, null)
    assert.strictEqual(out.noop, true)
    assert.strictEqual(out.lane, "in_progress")
    assert.deepStrictEqual(treeHashes(r.repo), before)
    // The canonical name is not an alias: in_progress -> in_progress is refused, not collapsed.
    const self = emit(r, "WP01", "in_progress")
    assert.strictEqual(self.code, 1)
    assert.strictEqual(envelope(self).error.message, "Illegal transition: in_progress -> in_progress")
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })

  it("--force without --reason is refused; with a reason it passes and counts", () => {
    const r = setup(["WP01"])
    const before = treeHashes(r.repo)
    const run = emit(r, "WP01", "done", "--force")
    assert.strictEqual(run.code, 1)
    const out = envelope(run)
    assert.strictEqual(out.error.code, "TRANSITION_REFUSED")
    assert.strictEqual(out.error.message, "Force transitions require actor and reason")
    assert.deepStrictEqual(treeHashes(r.repo), before)

    const blank = emit(r, "WP01", "done", "--force", "--reason", "   ")
    assert.strictEqual(envelope(blank).error.message, "Force transitions require actor and reason")
    assert.deepStrictEqual(treeHashes(r.repo), before)

    const forced = emitOk(r, "WP01", "done", "--force", "--reason", "shipped out of band")
    assert.strictEqual(forced.force, true)
    assert.strictEqual(forced.reason, "shipped out of band")
    assert.strictEqual(JSON.parse(show(r).stdout).work_packages.WP01.force_count, 1)
  })

  it("a structured guard refusal: in_progress -> planned needs a reason (G5)", () => {
    const r = setup(["WP01"])
    emitOk(r, "WP01", "claimed")
    emitOk(r, "WP01", "in_progress")
    const before = treeHashes(r.repo)
    const run = emit(r, "WP01", "planned")
    assert.strictEqual(run.code, 1)
    assert.strictEqual(envelope(run).error.message, "Transition in_progress -> planned requires reason")
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })

  it("runs the full lifecycle planned -> ... -> done", () => {
    const r = setup(["WP01"])
    const review = { reviewer: "bob", verdict: "approved", reference: "https://example.test/pr/1#review" }
    emitOk(r, "WP01", "claimed")
    emitOk(r, "WP01", "in_progress")
    emitOk(r, "WP01", "for_review")
    emitOk(r, "WP01", "in_review")
    const approved = emitOk(r, "WP01", "approved", "--review-result-json", JSON.stringify(review))
    assert.deepStrictEqual(approved.review_result, review)
    const done = emitOk(r, "WP01", "done", "--evidence-json", JSON.stringify({ review }))
    assert.deepStrictEqual(done.evidence, { review })

    const lanes = fs.readFileSync(r.log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    assert.deepStrictEqual(
      lanes.map((e) => `${e.from_lane}->${e.to_lane}`),
      [
        "genesis->planned",
        "planned->claimed",
        "claimed->in_progress",
        "in_progress->for_review",
        "for_review->in_review",
        "in_review->approved",
        "approved->done"
      ]
    )
    const final = show(r)
    assert.strictEqual(final.code, 0)
    const snap = JSON.parse(final.stdout)
    assert.strictEqual(snap.work_packages.WP01.lane, "done")
    assert.strictEqual(snap.work_packages.WP01.force_count, 0)
    assert.deepStrictEqual(snap.work_packages.WP01.review_result, review)
    assert.strictEqual(snap.summary.done, 1)
    assert.strictEqual(snap.event_count, 7)
    assert.strictEqual(fs.readFileSync(r.statusJson, "utf8"), final.stdout)
    const valid = r.cli(["status", "validate", "--mission", SLUG, "--json"])
    assert.strictEqual(valid.code, 0, valid.stdout)
    assert.deepStrictEqual(envelope(valid).errors, [])
  })

  it("in_progress -> for_review waits for the WP file's subtasks (G3), satisfied by subtask annotations", () => {
    const r = setup(["WP01"], { [`kitty-specs/${SLUG}/tasks/WP01-work.md`]: wpFile("WP01", { subtasks: ["T001", "T002"] }) })
    emitOk(r, "WP01", "claimed")
    emitOk(r, "WP01", "in_progress")
    const before = treeHashes(r.repo)
    const refused = emit(r, "WP01", "for_review")
    assert.strictEqual(refused.code, 1)
    assert.strictEqual(
      envelope(refused).error.message,
      "Transition in_progress -> for_review requires completed subtasks or force with reason"
    )
    assert.deepStrictEqual(treeHashes(r.repo), before)

    const annotation = (id: string, subtasks: Record<string, string>) =>
      encodeLine({ actor: "alice", at: "2026-01-01T00:00:05.000000+00:00", delta: { subtasks }, event_id: id, kind: "annotation", wp_id: "WP01" })
    // One of two subtasks done: still refused.
    fs.appendFileSync(r.log, annotation("01JZ0000000000000000000100", { T001: "done", T002: "planned" }) + "\n")
    assert.strictEqual(emit(r, "WP01", "for_review").code, 1)
    fs.appendFileSync(r.log, annotation("01JZ0000000000000000000101", { T002: "done" }) + "\n")
    const ok = emitOk(r, "WP01", "for_review")
    assert.strictEqual(ok.to_lane, "for_review")
    const snap = JSON.parse(show(r).stdout)
    assert.deepStrictEqual(snap.work_packages.WP01.subtasks, { T001: "done", T002: "done" })
  })

  it("a changes_requested review can send the WP back to in_progress but not to approved", () => {
    const r = setup(["WP01"])
    for (const to of ["claimed", "in_progress", "for_review", "in_review"]) emitOk(r, "WP01", to)
    const rr = JSON.stringify({ reviewer: "bob", verdict: "changes_requested", reference: "review-1" })
    const before = treeHashes(r.repo)
    const refused = emit(r, "WP01", "approved", "--review-result-json", rr)
    assert.strictEqual(refused.code, 1)
    assert.strictEqual(
      envelope(refused).error.message,
      "Transition to approved/done requires evidence (reviewer identity and approval reference)"
    )
    assert.deepStrictEqual(treeHashes(r.repo), before)
    const missing = emit(r, "WP01", "in_progress")
    assert.strictEqual(envelope(missing).error.message, "Transition from in_review requires review_result (structured review outcome)")
    const back = emitOk(r, "WP01", "in_progress", "--review-result-json", rr)
    assert.strictEqual(back.review_result.verdict, "changes_requested")
  })
})

describe("status emit: the append (§12) and encodings (§2)", () => {
  it("keeps every existing byte, adds a missing final newline, and keeps the log's file mode", () => {
    const r = setup()
    // A hand-written envelope and a transition whose keys are not in canonical order: never re-serialized.
    const envelopeRow = '{"event_type": "WPCreated", "event_id": "01JZ0000000000000000000050", "aggregate_id": "WP01", ' +
      '"payload": {"actor": "spec-kitty"}, "timestamp": "2026-01-01T00:00:03+00:00"}'
    const unsorted = '{"wp_id": "WP02", "to_lane": "claimed", "from_lane": "planned", "at": "2026-01-01T00:00:04.000000+00:00", ' +
      '"event_id": "01JZ0000000000000000000051", "actor": "carol", "force": false, "execution_mode": "worktree", ' +
      `"mission_slug": "${SLUG}"}`
    const original = fs.readFileSync(r.log, "utf8") + envelopeRow + "\n" + unsorted
    fs.writeFileSync(r.log, original)
    fs.chmodSync(r.log, 0o600)
    const ev = emitOk(r, "WP01", "claimed")
    const text = fs.readFileSync(r.log, "utf8")
    assert.strictEqual(text, original + "\n" + encodeLine(ev as JsonValue) + "\n")
    assert.strictEqual(fs.statSync(r.log).mode & 0o777, 0o600)
    const snap = JSON.parse(show(r).stdout)
    assert.strictEqual(snap.work_packages.WP02.lane, "claimed")
    assert.strictEqual(snap.event_count, 4, "the envelope is not counted")
  })

  it("escapes non-ASCII in the log line (§2.1) and writes it raw in status.json (§2.2)", () => {
    const r = setup()
    const run = r.cli(["status", "emit", "WP01", "--to", "claimed", "--actor", "Jos\u00e9 \ud83d\ude00", "--mission", SLUG, "--json"])
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    const ev = envelope(run).event
    assert.strictEqual(ev.actor, "Jos\u00e9 \ud83d\ude00")
    const line = lastLine(r.log)
    assert.include(line, '"actor": "Jos\\u00e9 \\ud83d\\ude00"')
    assert.isTrue(/^[\x20-\x7e]*$/.test(line))
    assert.include(fs.readFileSync(r.statusJson, "utf8"), '"actor": "Jos\u00e9 \ud83d\ude00"')
  })

  it("resolves the doing alias at input only, after strip and lower-casing", () => {
    const r = setup(["WP01"])
    emitOk(r, "WP01", "claimed")
    const ev = emitOk(r, "wp01", " DOING ")
    assert.strictEqual(ev.wp_id, "WP01")
    assert.strictEqual(ev.to_lane, "in_progress")
    const before = fs.readFileSync(r.log)
    const noop = envelope(emit(r, "WP01", " Doing "))
    assert.strictEqual(noop.noop, true)
    assert.isTrue(fs.readFileSync(r.log).equals(before))
  })

  it("a WP with a prompt file but no transitions starts from genesis; one with neither is unknown", () => {
    const r = setup(["WP01"])
    const unknown = emit(r, "WP07", "claimed")
    assert.strictEqual(unknown.code, 1)
    assert.strictEqual(envelope(unknown).error.code, "UNKNOWN_WORK_PACKAGE")
    assert.deepStrictEqual(envelope(unknown).error.known_work_packages, ["WP01"])
    fs.writeFileSync(path.join(path.dirname(r.log), "tasks", "WP07-late.md"), "---\ntitle: late\nsubtasks: []\n---\n")
    const run = emit(r, "WP07", "claimed")
    assert.strictEqual(run.code, 1)
    assert.strictEqual(envelope(run).error.message, "Illegal transition: genesis -> claimed")
    const seeded = emitOk(r, "WP07", "planned")
    assert.strictEqual(seeded.from_lane, "genesis")
  })
})

describe("status materialize", () => {
  it("writes once, then reports unchanged without touching the file", () => {
    const r = setup()
    const first = r.cli(["status", "materialize", "--mission", SLUG, "--json"])
    assert.strictEqual(first.code, 0, first.stderr)
    const derived = ["status.json", "board-summary.json", "progress.json", "lifecycle.json"]
      .map((n) => path.join(r.repo, ".kittify", "derived", SLUG, n))
    assert.deepStrictEqual(envelope(first).written.slice(0, 1), [r.statusJson])
    assert.includeMembers(envelope(first).written, derived, "the derived views are reported too")
    const stat1 = fs.statSync(r.statusJson, { bigint: true })
    const bytes1 = fs.readFileSync(r.statusJson)

    const second = r.cli(["status", "materialize", "--mission", SLUG, "--json"])
    assert.strictEqual(second.code, 0, second.stderr)
    assert.deepStrictEqual(envelope(second).written, [])
    assert.includeMembers(envelope(second).unchanged, [r.statusJson, ...derived])
    const stat2 = fs.statSync(r.statusJson, { bigint: true })
    assert.strictEqual(stat2.mtimeNs, stat1.mtimeNs)
    assert.strictEqual(stat2.ino, stat1.ino, "not even an identical rewrite")
    assert.isTrue(fs.readFileSync(r.statusJson).equals(bytes1))

    // A stale status.json is rewritten.
    fs.writeFileSync(r.statusJson, "{}\n")
    const third = r.cli(["status", "materialize", "--mission", SLUG, "--json"])
    assert.deepStrictEqual(envelope(third).written, [r.statusJson])
    assert.isTrue(fs.readFileSync(r.statusJson).equals(bytes1))
  })
})

describe("status validate", () => {
  it("exit 0 on a clean mission", () => {
    const r = setup()
    emitOk(r, "WP01", "claimed")
    const run = r.cli(["status", "validate", "--mission", SLUG, "--json"])
    assert.strictEqual(run.code, 0, run.stdout)
    const out = envelope(run)
    assert.strictEqual(out.valid, true)
    assert.deepStrictEqual(out.errors, [])
  })

  it("exit 1 listing the illegal non-forced transition of a hand-written line", () => {
    const r = setup()
    const bad = "01JZ0000000000000000000200"
    fs.appendFileSync(r.log, illegalLine("WP01", bad, "2026-01-01T00:00:09.000000+00:00", "planned", "done") + "\n")
    const mat = r.cli(["status", "materialize", "--mission", SLUG, "--json"])
    assert.strictEqual(mat.code, 0, "the reducer ignores legality")
    const before = treeHashes(r.repo)
    const run = r.cli(["status", "validate", "--mission", SLUG, "--json"])
    assert.strictEqual(run.code, 1)
    const out = envelope(run)
    assert.strictEqual(out.valid, false)
    const messages = out.errors.map((f: { message: string }) => f.message)
    assert.include(messages, `Event ${bad}: illegal transition planned -> done`)
    assert.include(messages, `Event ${bad}: done without evidence (not forced)`)
    assert.deepStrictEqual(treeHashes(r.repo), before, "validate never writes")

    const text = r.cli(["status", "validate", "--mission", SLUG])
    assert.strictEqual(text.code, 1)
    assert.include(text.stdout, `illegal transition planned -> done`)
  })

  it("flags a missing status.json (spec-kitty's file-presence finding)", () => {
    const r = setup()
    const run = r.cli(["status", "validate", "--mission", SLUG, "--json"])
    assert.strictEqual(run.code, 1)
    const messages = envelope(run).errors.map((f: { message: string }) => f.message)
    assert.include(
      messages,
      "status.events.jsonl exists but status.json is missing (run 'spec-kitty agent status materialize' to generate)"
    )
    assert.isFalse(fs.existsSync(r.statusJson))
  })
})

describe("resolution and the CLI edge", () => {
  it("gives the same answer from a subdirectory as from the root", () => {
    const r = setup()
    emitOk(r, "WP01", "claimed")
    const fromRoot = show(r)
    for (const sub of [r.dir, path.join(r.dir, "tasks"), path.join(r.repo, ".kittify")]) {
      const run = r.cli(["status", "show", "--mission", SLUG, "--json"], sub)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(run.stdout, fromRoot.stdout)
    }
    // An emit from a subdirectory lands in the same log.
    const fromSub = r.cli(["status", "emit", "WP01", "--to", "in_progress", "--actor", "alice", "--mission", SLUG, "--json"], path.join(r.dir, "tasks"))
    assert.strictEqual(fromSub.code, 0, fromSub.stderr)
    assert.strictEqual(envelope(fromSub).event.event_id, JSON.parse(lastLine(r.log)).event_id)
  })

  it("an unknown mission is FEATURE_CONTEXT_UNRESOLVED (exit 1)", () => {
    const r = setup()
    const before = treeHashes(r.repo)
    for (const args of [
      ["status", "show", "--mission", "no-such-mission", "--json"],
      ["status", "emit", "WP01", "--to", "claimed", "--actor", "a", "--mission", "no-such-mission", "--json"],
      ["status", "materialize", "--mission", "no-such-mission", "--json"]
    ]) {
      const run = r.cli(args)
      assert.strictEqual(run.code, 1, args.join(" "))
      const out = envelope(run)
      assert.strictEqual(out.ok, false)
      assert.strictEqual(out.error.code, "FEATURE_CONTEXT_UNRESOLVED")
    }
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })

  it("usage errors exit 2: the JSON envelope on stdout under --json, the message on stderr otherwise", () => {
    const r = setup()
    const before = treeHashes(r.repo)
    for (const args of [
      ["status", "emit", "WP01", "--actor", "alice", "--mission", SLUG, "--json"],
      ["status", "emit", "WP01", "--to", "claimed", "--mission", SLUG, "--json"],
      ["status", "emit", "--to", "claimed", "--actor", "alice", "--mission", SLUG, "--json"]
    ]) {
      const run = r.cli(args)
      assert.strictEqual(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`)
      assert.strictEqual(run.stderr, "", args.join(" "))
      assert.strictEqual(envelope(run).error.code, "USAGE_ERROR")
    }
    const text = r.cli(["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", SLUG, "--execution-mode", "bogus"])
    assert.strictEqual(text.code, 2)
    assert.strictEqual(text.stdout, "")
    assert.match(text.stderr, /^error\[USAGE_ERROR\]: Invalid value 'bogus' for --execution-mode/)
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })

  it("an unknown target lane is a usage error listing the lanes and the doing alias", () => {
    const r = setup()
    const before = treeHashes(r.repo)
    const run = emit(r, "WP01", "shipped")
    assert.strictEqual(run.code, 2)
    const out = envelope(run)
    assert.strictEqual(out.error.code, "USAGE_ERROR")
    assert.deepStrictEqual(out.error.valid_values, [
      "planned",
      "claimed",
      "in_progress",
      "for_review",
      "in_review",
      "approved",
      "done",
      "blocked",
      "canceled",
      "doing"
    ])
    assert.include(out.error.message, "doing is the alias of in_progress")
    assert.deepStrictEqual(treeHashes(r.repo), before)
  })

  it("text mode: errors are `error[CODE]: message` on stderr, nothing on stdout", () => {
    const r = setup()
    const before = treeHashes(r.repo)
    const refused = r.cli(["status", "emit", "WP01", "--to", "done", "--actor", "alice", "--mission", SLUG])
    assert.strictEqual(refused.code, 1)
    assert.strictEqual(refused.stdout, "")
    assert.strictEqual(refused.stderr.split("\n")[0], "error[TRANSITION_REFUSED]: Illegal transition: planned -> done")

    const unknown = r.cli(["status", "show", "--mission", "nope"])
    assert.strictEqual(unknown.code, 1)
    assert.strictEqual(unknown.stdout, "")
    assert.match(unknown.stderr.split("\n")[0], /^error\[FEATURE_CONTEXT_UNRESOLVED\]: /)

    const at = r.cli(["status", "show", "--mission", SLUG, "--at", "01KZZZZZZZZZZZZZZZZZZZZZZZ"])
    assert.strictEqual(at.code, 1)
    assert.strictEqual(at.stdout, "")
    assert.match(at.stderr, /^error\[AT_POINT_NOT_FOUND\]: /)
    assert.deepStrictEqual(treeHashes(r.repo), before)

    // Success in text mode: a result on stdout, nothing on stderr.
    const ok = r.cli(["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", SLUG])
    assert.strictEqual(ok.code, 0)
    assert.strictEqual(ok.stderr, "")
    assert.match(ok.stdout, /^WP01: planned -> claimed \([0-9A-HJKMNP-TV-Z]{26}\)\n$/)
    const board = r.cli(["status", "show", "--mission", SLUG])
    assert.strictEqual(board.code, 0)
    assert.include(board.stdout, "WP01")
    assert.include(board.stdout, "claimed")
  })

  it("writes rows under the canonical mission name even when the handle is the mid8", () => {
    const r = setup()
    const run = r.cli(["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", "01JZ0000", "--json"])
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(envelope(run).event.mission_slug, SLUG)
    assert.isTrue(fs.existsSync(path.join(r.repo, ".git", "spec-kitty-locks", `${SLUG}.status.lock`)))
    assert.isFalse(fs.existsSync(path.join(r.repo, ".git", "spec-kitty-locks", "01JZ0000.status.lock")))
  })

  it("bootstrap rows in spec-kitty's format round-trip through show unchanged", () => {
    const r = setup(["WP01"])
    const line = bootstrapLine(SLUG, MISSION_ID, "WP01", "01JZ0000000000000000000000", "2026-01-01T00:00:00.000000+00:00")
    assert.strictEqual(encodeLine(JSON.parse(line) as JsonValue), line)
    assert.strictEqual(fs.readFileSync(r.log, "utf8"), line + "\n")
  })
})
