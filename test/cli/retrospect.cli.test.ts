/**
 * `kittyctx retrospect create|show` (docs/surfaces.md §4, A4.1-A4.4) through the built CLI: the
 * completion gate on the canonical surface (the coordination log, not the primary copy), a record that
 * git ignores is refused, legacy precedence, the write modes, an update that would be malformed, and no
 * partial record after a crash between the temp write and the rename. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { commitAll, git, isolatedEnv, makeRepo, makeTemp, removeTemp, runCli, wpFile, writeFiles } from "../support/repo.js"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const ID = "01JZRE70000000000000000000"
const row = (slug: string, n: number, wp: string, from: string, to: string) =>
  `{"actor": "dev", "at": "2026-01-01T00:00:${String(n).padStart(2, "0")}+00:00", "event_id": "01JZRE70000000000000000${String(n).padStart(3, "0")}", ` +
  `"evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "${from}", "mission_id": "${ID}", ` +
  `"mission_slug": "${slug}", "policy_metadata": null, "reason": null, "review_ref": null, "to_lane": "${to}", "wp_id": "${wp}"}`

/** The rows taking WP01 to `lane` (and WP02 to done). */
const logTo = (slug: string, lane: string) =>
  [
    row(slug, 1, "WP01", "genesis", "planned"),
    row(slug, 2, "WP02", "genesis", "planned"),
    row(slug, 3, "WP02", "planned", "done"),
    ...(lane === "planned" ? [] : [row(slug, 4, "WP01", "planned", lane)])
  ].join("\n") + "\n"

/** A mission on `develop` (or a coordination mission) whose log takes WP01 to `lane`. */
const mission = (opts: { readonly lane: string; readonly coordination?: { readonly coordLane: string } }) => {
  const base = makeTemp("kittyctx-retro-")
  temps.push(base)
  const root = makeRepo(path.join(base, "repo"))
  git(root, ["checkout", "-q", "-b", "develop"])
  const slug = "retro-01JZRE70"
  const dir = `kitty-specs/${slug}`
  const meta: Record<string, unknown> = { mission_id: ID, mission_slug: slug, slug, mission_type: "software-dev", target_branch: "develop" }
  const coordBranch = `kitty/mission-${slug}`
  if (opts.coordination !== undefined) Object.assign(meta, { topology: "coord", coordination_branch: coordBranch })
  writeFiles(root, {
    [`${dir}/meta.json`]: JSON.stringify(meta, null, 2) + "\n",
    [`${dir}/status.events.jsonl`]: logTo(slug, opts.lane),
    [`${dir}/tasks/WP01-a.md`]: wpFile("WP01", { subtasks: [] }),
    [`${dir}/tasks/WP02-b.md`]: wpFile("WP02", { subtasks: [] })
  })
  commitAll(root, "mission")
  if (opts.coordination !== undefined) {
    // the coordination branch holds the canonical log; the primary copy keeps `lane`
    git(root, ["checkout", "-q", "-b", coordBranch])
    writeFiles(root, { [`${dir}/status.events.jsonl`]: logTo(slug, opts.coordination.coordLane) })
    commitAll(root, "coordination log")
    git(root, ["checkout", "-q", "develop"])
  }
  const cli = (args: ReadonlyArray<string>) => runCli(root, args, isolatedEnv(base))
  const json = (args: ReadonlyArray<string>) => {
    const r = cli([...args, "--json"])
    return { code: r.code, out: JSON.parse(r.stdout) as Record<string, any> }
  }
  return { base, root, slug, dir, tracked: path.join(root, dir, "retrospective.yaml"), cli, json }
}

const INPUT = `helped:
  - category: process
    summary: Two lanes kept the work apart
    evidence_refs: [e-001]
proposals:
  - category: tooling
    risk_class: low
    summary: Install the event-log driver at init
    suggested_action: kittyctx merge-driver-event-log --install
    auto_applicable: false
evidence_refs:
  - kind: file
    path: kitty-specs/retro-01JZRE70/status.events.jsonl
`

describe("the completion gate reads the canonical status surface (A4.1, #1735)", () => {
  it("coordination log all done, primary copy approved: create succeeds; reversed: MISSION_NOT_COMPLETED", () => {
    const done = mission({ lane: "approved", coordination: { coordLane: "done" } })
    const ok = done.json(["retrospect", "create", "--mission", done.slug])
    assert.strictEqual(ok.code, 0, JSON.stringify(ok.out))
    // the record lives in the placement mission dir (the coordination worktree) and is committed there
    const coordRecord = path.join(done.root, ".worktrees", `${done.slug}-coord`, done.dir, "retrospective.yaml")
    assert.isTrue(fs.existsSync(coordRecord))
    assert.isFalse(fs.existsSync(done.tracked))

    const open = mission({ lane: "done", coordination: { coordLane: "approved" } })
    const refused = open.json(["retrospect", "create", "--mission", open.slug])
    assert.strictEqual(refused.code, 1)
    assert.strictEqual(refused.out.error.code, "MISSION_NOT_COMPLETED")
    assert.include(refused.out.error.message, "WP01 (approved)")
  })
})

describe("the record is committable (A4.2, #1771)", () => {
  it("written at the tracked path and committed; .kittify/missions/ ignored is no obstacle", () => {
    const m = mission({ lane: "done" })
    writeFiles(m.root, { ".gitignore": ".worktrees/\n.kittify/derived/\n.kittify/missions/\n" })
    commitAll(m.root, "ignore legacy records")
    const r = m.json(["retrospect", "create", "--mission", m.slug])
    assert.strictEqual(r.code, 0, JSON.stringify(r.out))
    assert.strictEqual(r.out.path, `${m.dir}/retrospective.yaml`)
    assert.include(git(m.root, ["show", "--name-only", "--format=", "HEAD"]).split("\n"), `${m.dir}/retrospective.yaml`)
    assert.strictEqual(git(m.root, ["log", "-1", "--format=%s"]), `chore(retrospective): author retrospective for ${m.slug}`)
    assert.strictEqual(git(m.root, ["status", "--porcelain"]), "")
    // control: the legacy location is ignored there
    assert.strictEqual(git(m.root, ["check-ignore", `.kittify/missions/${ID}/retrospective.yaml`]), `.kittify/missions/${ID}/retrospective.yaml`)
  })

  it("a tracked path git ignores is refused before anything is written (RETROSPECTIVE_PATH_IGNORED)", () => {
    const m = mission({ lane: "done" })
    writeFiles(m.root, { ".gitignore": ".worktrees/\n.kittify/derived/\nretrospective.yaml\n" })
    commitAll(m.root, "ignore records")
    const head = git(m.root, ["rev-parse", "HEAD"])
    const log = fs.readFileSync(path.join(m.root, m.dir, "status.events.jsonl"), "utf8")
    const r = m.json(["retrospect", "create", "--mission", m.slug])
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.out.error.code, "RETROSPECTIVE_PATH_IGNORED")
    assert.isFalse(fs.existsSync(m.tracked))
    assert.strictEqual(git(m.root, ["rev-parse", "HEAD"]), head)
    assert.strictEqual(fs.readFileSync(path.join(m.root, m.dir, "status.events.jsonl"), "utf8"), log)
  })

  it("--no-commit writes the record and the events; a plain git add stages it", () => {
    const m = mission({ lane: "done" })
    const r = m.json(["retrospect", "create", "--mission", m.slug, "--no-commit"])
    assert.strictEqual(r.code, 0)
    assert.isFalse(r.out.committed)
    git(m.root, ["add", "--", `${m.dir}/retrospective.yaml`])
    assert.include(git(m.root, ["diff", "--cached", "--name-only"]), "retrospective.yaml")
    const rows = fs.readFileSync(path.join(m.root, m.dir, "status.events.jsonl"), "utf8").split("\n").filter((l) => l !== "")
    const events = rows.slice(-2).map((l) => JSON.parse(l))
    assert.deepStrictEqual(events.map((e) => e.event_name), ["retrospective.started", "retrospective.completed"])
    assert.deepStrictEqual(r.out.events, events.map((e) => e.event_id))
    assert.strictEqual(events[1].payload.record_path, `${m.dir}/retrospective.yaml`)
    // status.json folds the completed retrospective
    const snapshot = JSON.parse(fs.readFileSync(path.join(m.root, m.dir, "status.json"), "utf8"))
    assert.strictEqual(snapshot.retrospective.status, "completed")
  })
})

describe("precedence and write modes (A4.3)", () => {
  it("only the legacy record exists: it is read, create refuses, --overwrite writes the tracked path and leaves it untouched", () => {
    const m = mission({ lane: "done" })
    const legacy = path.join(m.root, ".kittify", "missions", ID, "retrospective.yaml")
    const legacyText = "schema_version: \"1\"\nmission:\n  mission_id: x\nstatus: completed\n"
    writeFiles(m.root, { [path.relative(m.root, legacy)]: legacyText })
    const shown = m.json(["retrospect", "show", "--mission", m.slug])
    assert.strictEqual(shown.code, 0)
    assert.deepStrictEqual([shown.out.source, shown.out.shape], ["legacy", "legacy"])
    const refused = m.json(["retrospect", "create", "--mission", m.slug])
    assert.strictEqual(refused.out.error.code, "RETROSPECTIVE_RECORD_EXISTS")
    assert.strictEqual(m.json(["retrospect", "create", "--mission", m.slug, "--overwrite"]).code, 0)
    assert.isTrue(fs.existsSync(m.tracked))
    assert.strictEqual(fs.readFileSync(legacy, "utf8"), legacyText)
    assert.strictEqual(m.json(["retrospect", "show", "--mission", m.slug]).out.source, "tracked")
  })

  it("--update merges: new findings appended (duplicates by category and summary dropped), ids renumbered, provenance kept", () => {
    const m = mission({ lane: "done" })
    const input = path.join(m.base, "findings.yaml")
    fs.writeFileSync(input, INPUT)
    assert.strictEqual(m.json(["retrospect", "create", "--mission", m.slug, "--input-file", input]).code, 0)
    const more = path.join(m.base, "more.yaml")
    fs.writeFileSync(more, "helped:\n  - category: process\n    summary: two lanes KEPT the work apart\ngaps:\n  - category: doc\n    summary: No merge guide\n")
    const r = m.json(["retrospect", "create", "--mission", m.slug, "--update", "--input-file", more])
    assert.strictEqual(r.code, 0, JSON.stringify(r.out))
    const record = m.json(["retrospect", "show", "--mission", m.slug]).out.record
    assert.deepStrictEqual(record.helped.map((f: any) => f.id), ["h-001"])
    assert.deepStrictEqual(record.gaps.map((f: any) => [f.id, f.summary]), [["g-001", "No merge guide"]])
    assert.strictEqual(record.provenance_history.length, 1)
    assert.strictEqual(record.findings_status, "has_findings")
  })

  it("an update of a record that is not well formed is refused and changes nothing", () => {
    const m = mission({ lane: "done" })
    assert.strictEqual(m.json(["retrospect", "create", "--mission", m.slug]).code, 0)
    const broken = fs.readFileSync(m.tracked, "utf8").replace("findings_status: ran_no_findings", "findings_status: ran_no_findings\nreviewer_mood: fine")
    fs.writeFileSync(m.tracked, broken)
    const r = m.json(["retrospect", "create", "--mission", m.slug, "--update"])
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.out.error.code, "RETROSPECTIVE_RECORD_MALFORMED")
    assert.include(r.out.error.message, "unsupported field(s): reviewer_mood")
    assert.strictEqual(fs.readFileSync(m.tracked, "utf8"), broken)
  })

  it("input that spec-kitty's reader would refuse is RETROSPECTIVE_INPUT_INVALID; both modes at once is a usage error", () => {
    const m = mission({ lane: "done" })
    const input = path.join(m.base, "bad.yaml")
    fs.writeFileSync(input, "helped:\n  - category: vibes\n    summary: x\n    evidence_refs: [e-009]\n")
    const r = m.json(["retrospect", "create", "--mission", m.slug, "--input-file", input])
    assert.strictEqual(r.out.error.code, "RETROSPECTIVE_INPUT_INVALID")
    assert.include(r.out.error.message, "helped[0].category is invalid")
    assert.include(r.out.error.message, "'e-009'")
    assert.isFalse(fs.existsSync(m.tracked))
    assert.strictEqual(m.cli(["retrospect", "create", "--mission", m.slug, "--overwrite", "--update"]).code, 2)
  })
})

describe("atomicity (A4.4)", () => {
  it("a crash between the temp write and the rename leaves no record; show says so and the next create writes it whole", () => {
    const m = mission({ lane: "done" })
    // what a writer killed before its rename leaves: a temp file beside the target, from a dead pid
    const temp = path.join(m.root, m.dir, ".retrospective.yaml.999999.abcdef012345.tmp")
    fs.writeFileSync(temp, "schema_version: 1\nmission_id: par")
    const shown = m.json(["retrospect", "show", "--mission", m.slug])
    assert.strictEqual(shown.out.error.code, "RETROSPECTIVE_RECORD_MISSING")
    assert.strictEqual(m.json(["retrospect", "create", "--mission", m.slug]).code, 0)
    assert.strictEqual(m.json(["retrospect", "show", "--mission", m.slug]).out.record.schema_version, 1)
    assert.isFalse(fs.existsSync(temp), "the dead writer's temp file was swept")
  })
})
