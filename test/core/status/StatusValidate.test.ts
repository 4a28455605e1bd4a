import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { readEventStream } from "../../../src/core/status/EventRow.js"
import { snapshotBytes, snapshotIdentity, snapshotOf } from "../../../src/core/status/Snapshot.js"
import { fromIsoFormat, isValidIso8601 } from "../../../src/core/python/IsoTime.js"
import { CORPUS_DIR, STALE_SNAPSHOTS } from "../../support/corpus.js"
import { transitionRow } from "../../support/fixtures.js"
import { type Finding, validateStatus } from "../../../src/core/status/StatusValidate.js"

const SLUG = "demo-mission-01KTEST0"
const MISSION_ID = "01KTEST0MSSN0000000000000A"
const META = { mission_id: MISSION_ID, mission_number: null, mission_slug: SLUG, mission_type: "software-dev" }

type Row = Record<string, unknown>

const eventId = (n: number): string => `01KTEST0${String(n).padStart(18, "0")}`
const at = (n: number): string =>
  `2026-08-01T10:${String(Math.floor(n / 60)).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}.000001+00:00`

const transition = (n: number, wp: string, from: string, to: string, extra: Row = {}): Row => ({
  ...transitionRow({ wp, from, to, missionId: MISSION_ID, slug: SLUG, eventId: eventId(n), at: at(n), actor: "claude" }),
  ...extra
})

const annotation = (n: number, wp: string, delta: Row): Row => ({
  actor: "user",
  at: at(n),
  delta,
  event_id: eventId(n),
  kind: "annotation",
  wp_id: wp
})

const envelope = (n: number, type: string): Row => ({
  aggregate_id: "WP01",
  aggregate_type: "WorkPackage",
  event_id: eventId(n),
  event_type: type,
  payload: {},
  project_slug: null,
  project_uuid: null,
  schema_version: "5.0.0",
  timestamp: at(n)
})

const without = (row: Row, ...keys: ReadonlyArray<string>): Row => {
  const copy = { ...row }
  for (const key of keys) delete copy[key]
  return copy
}

const log = (...rows: ReadonlyArray<Row | string>): string =>
  rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n"

const review = { reviewer: "alice", verdict: "approved", reference: "PR#1" }

// A log that passes every check: the full happy path of one WP, an annotation and an envelope.
const cleanRows: ReadonlyArray<Row> = [
  envelope(0, "WPCreated"),
  transition(1, "WP01", "genesis", "planned", { actor: "finalize-tasks", reason: "canonical bootstrap" }),
  transition(2, "WP01", "planned", "claimed", { policy_metadata: { agent: "claude", shell_pid: 42 } }),
  transition(3, "WP01", "claimed", "in_progress"),
  annotation(4, "WP01", { note: "working", subtasks: { T001: "done" } }),
  transition(5, "WP01", "in_progress", "for_review"),
  transition(6, "WP01", "for_review", "in_review"),
  transition(7, "WP01", "in_review", "approved", { review_result: review }),
  transition(8, "WP01", "approved", "done", { evidence: { review } }),
  envelope(9, "DecisionPointOpened")
]

// What `materialize` writes for a log (the committed status.json of a mission without drift); null when it cannot.
const materialized = (logText: string | null): string | null => {
  const read = logText === null ? undefined : readEventStream(logText)
  if (read === undefined || Either.isLeft(read)) return null
  return snapshotBytes(snapshotOf(read.right, Either.getOrThrow(snapshotIdentity(META))))
}

/** The identity and mission id the resolver decodes from a meta.json object. */
const metaFacts = (meta: Record<string, unknown>) => ({
  identity: Either.getOrThrow(snapshotIdentity(meta)),
  missionId: typeof meta.mission_id === "string" ? meta.mission_id : null
})

const validate = (logText: string | null, overrides: Partial<Parameters<typeof validateStatus>[0]> = {}) =>
  validateStatus({
    logText,
    statusJsonText: materialized(logText),
    ...metaFacts(META),
    canonicalSlug: SLUG,
    ...overrides
  })

const withCode = (findings: ReadonlyArray<Finding>, code: string) => findings.filter((f) => f.code === code)
const messages = (findings: ReadonlyArray<Finding>, code: string) => withCode(findings, code).map((f) => f.message)

const SPEC_KITTY_CODES = [
  "LOG_CORRUPT",
  "MISSING_FIELD",
  "INVALID_EVENT_ID",
  "NON_CANONICAL_LANE",
  "INVALID_TIMESTAMP",
  "INVALID_TYPE",
  "FORCE_WITHOUT_REASON",
  "ROLLBACK_WITHOUT_REVIEW_REF",
  "ILLEGAL_TRANSITION",
  "DONE_WITHOUT_EVIDENCE",
  "FILE_PRESENCE",
  "MATERIALIZATION_DRIFT"
]

describe("validateStatus, negative", () => {
  it("a clean log with its materialized status.json has no findings", () => {
    assert.deepStrictEqual(validate(log(...cleanRows)), [])
  })

  it("no files at all, and an empty log, have no findings (spec-kitty: no events to validate)", () => {
    assert.deepStrictEqual(validate(null), [])
    assert.deepStrictEqual(validate("", { statusJsonText: null }), [])
    assert.deepStrictEqual(validate("\n\n", { statusJsonText: "{}" }), [])
  })
})

describe("validateStatus, §14.1 spec-kitty findings", () => {
  it("LOG_CORRUPT: a read failure is the only §14.1 finding", () => {
    const text = log(cleanRows[1], "{not json", transition(3, "WP01", "planned", "done"))
    const findings = validate(text, { statusJsonText: null })
    const specKitty = findings.filter((f) => SPEC_KITTY_CODES.includes(f.code))
    assert.strictEqual(specKitty.length, 1)
    assert.strictEqual(specKitty[0].severity, "error")
    assert.strictEqual(specKitty[0].line, 2)
    assert.match(specKitty[0].message, /^status\.events\.jsonl is corrupt: Invalid JSON on line 2: /)
  })

  it("MISSING_FIELD: no mission_slug and no legacy feature_slug", () => {
    const row = without(transition(1, "WP01", "genesis", "planned"), "mission_slug")
    const findings = validate(log(row))
    assert.deepStrictEqual(messages(findings, "MISSING_FIELD"), [
      "Missing required field: mission_slug (or legacy mission_slug)"
    ])
    const missing = withCode(findings, "MISSING_FIELD")[0]
    assert.deepStrictEqual([missing.wp_id, missing.event_id, missing.line], ["WP01", eventId(1), 1])
    const legacy = { ...row, feature_slug: SLUG }
    assert.deepStrictEqual(messages(validate(log(legacy)), "MISSING_FIELD"), [])
  })

  it("MISSING_FIELD for the other required fields cannot be reached: the strict reader rejects the row (D6)", () => {
    const findings = validate(log(without(transition(1, "WP01", "genesis", "planned"), "execution_mode")))
    assert.deepStrictEqual(findings.map((f) => f.code).filter((c) => SPEC_KITTY_CODES.includes(c)), ["LOG_CORRUPT"])
  })

  it("INVALID_EVENT_ID: not a ULID or UUID; lowercase ULIDs and both UUID forms pass", () => {
    const bad = transition(1, "WP01", "genesis", "planned", { event_id: "seed-WP01" })
    assert.deepStrictEqual(messages(validate(log(bad)), "INVALID_EVENT_ID"), ["Invalid event ID format: seed-WP01"])
    const accepted = [
      eventId(1).toLowerCase(),
      "123e4567-e89b-12d3-a456-426614174000",
      "123E4567E89B12D3A456426614174000"
    ]
    for (const id of accepted) {
      assert.deepStrictEqual(
        messages(validate(log(transition(1, "WP01", "genesis", "planned", { event_id: id }))), "INVALID_EVENT_ID"),
        []
      )
    }
  })

  it("NON_CANONICAL_LANE: from_lane uninitialized, to_lane genesis", () => {
    const rows = [
      transition(1, "WP01", "uninitialized", "planned", { force: true, reason: "repair" }),
      transition(2, "WP02", "planned", "genesis", { force: true, reason: "repair" })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "NON_CANONICAL_LANE"), [
      "from_lane is not canonical: uninitialized",
      "to_lane is not canonical: genesis"
    ])
  })

  it("INVALID_TIMESTAMP: Python 3.11 fromisoformat after Z -> +00:00", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { at: "2026-08-01 10:00" }),
      transition(2, "WP02", "genesis", "planned", { at: "2026-08-01T10:00:00Z" }),
      transition(3, "WP03", "genesis", "planned", { at: "yesterday" })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "INVALID_TIMESTAMP"), [
      `Event ${eventId(3)}: invalid ISO 8601 timestamp: yesterday`
    ])
  })

  it("INVALID_TYPE: execution_mode outside worktree/direct_repo", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { execution_mode: "cloud" }),
      transition(2, "WP02", "genesis", "planned", { execution_mode: "direct_repo" })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "INVALID_TYPE"), [
      `Event ${eventId(1)}: execution_mode must be 'worktree' or 'direct_repo', got 'cloud'`
    ])
  })

  it("FORCE_WITHOUT_REASON", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { force: true }),
      transition(2, "WP02", "genesis", "planned", { force: true, reason: "repair" })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "FORCE_WITHOUT_REASON"), [
      `Event ${eventId(1)}: force=true without reason`
    ])
  })

  it("ROLLBACK_WITHOUT_REVIEW_REF: for_review -> in_progress without review_ref, even forced", () => {
    const rows = [
      transition(1, "WP01", "for_review", "in_progress", { force: true, reason: "rework" }),
      transition(2, "WP02", "for_review", "in_progress", { force: true, reason: "rework", review_ref: "PR#2" })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "ROLLBACK_WITHOUT_REVIEW_REF"), [
      `Event ${eventId(1)}: for_review->in_progress without review_ref`
    ])
  })

  it("ILLEGAL_TRANSITION: sorted by (at, event_id), forced rows skipped, no from_lane continuity check", () => {
    const rows = [
      transition(5, "WP01", "claimed", "planned"),
      transition(2, "WP01", "planned", "done", { evidence: { review } }),
      transition(3, "WP02", "planned", "done", { force: true, reason: "shipped" }),
      // Legal edge although WP03 never was in_review: continuity is not checked.
      transition(4, "WP03", "in_review", "planned", { review_result: review })
    ]
    const findings = withCode(validate(log(...rows)), "ILLEGAL_TRANSITION")
    assert.deepStrictEqual(findings.map((f) => f.message), [
      `Event ${eventId(2)}: illegal transition planned -> done`,
      `Event ${eventId(5)}: illegal transition claimed -> planned`
    ])
    assert.deepStrictEqual(findings.map((f) => f.line), [2, 1])
  })

  it("DONE_WITHOUT_EVIDENCE: every message of the table, in its order", () => {
    const rows = [
      transition(1, "WP01", "approved", "done"),
      transition(2, "WP02", "approved", "done", { evidence: {} }),
      transition(3, "WP03", "approved", "done", { evidence: { review: { reviewer: "", verdict: "", reference: "" } } }),
      transition(4, "WP04", "approved", "done", { evidence: { review: { ...review, verdict: "" } } }),
      transition(5, "WP05", "approved", "done", { force: true, reason: "ops" }),
      transition(6, "WP06", "approved", "done", { evidence: { review } })
    ]
    assert.deepStrictEqual(messages(validate(log(...rows)), "DONE_WITHOUT_EVIDENCE"), [
      `Event ${eventId(1)}: done without evidence (not forced)`,
      `Event ${eventId(2)}: done without evidence (not forced)`,
      `Event ${eventId(3)}: done evidence missing reviewer identity`,
      `Event ${eventId(3)}: done evidence missing verdict`,
      `Event ${eventId(3)}: done evidence missing approval reference`,
      `Event ${eventId(4)}: done evidence missing verdict`
    ])
  })

  it("FILE_PRESENCE: status.json without a log, a log without status.json", () => {
    assert.deepStrictEqual(messages(validate(null, { statusJsonText: "{}" }), "FILE_PRESENCE"), [
      "status.json exists but status.events.jsonl is missing"
    ])
    // An envelope-only log still counts as events (docs/status-model.md §15: rc3-operator-signal-fail-loud, rc3-wp-terminal-state).
    const envelopeOnly = validate(log(envelope(1, "MissionCreated")), { statusJsonText: null })
    assert.deepStrictEqual(messages(envelopeOnly, "FILE_PRESENCE"), [
      "status.events.jsonl exists but status.json is missing (run 'spec-kitty agent status materialize' to generate)"
    ])
  })

  describe("MATERIALIZATION_DRIFT", () => {
    const text = log(...cleanRows, transition(20, "WP02", "genesis", "planned"))
    const committed = JSON.parse(materialized(text)!)
    const drift = (edit: (snapshot: any) => void) => {
      const copy = JSON.parse(JSON.stringify(committed))
      edit(copy)
      return messages(validate(text, { statusJsonText: JSON.stringify(copy) }), "MATERIALIZATION_DRIFT")
    }

    it("names each WP difference, in sorted WP order", () => {
      assert.deepStrictEqual(
        drift((s) => {
          s.work_packages.WP01.lane = "approved"
          delete s.work_packages.WP02
          s.work_packages.WP00 = { ...s.work_packages.WP01 }
        }),
        [
          "Materialization drift: WP00 in status.json but not in reducer output",
          "Materialization drift: WP01 lane=approved in status.json but reducer says lane=done",
          "Materialization drift: WP02 missing from status.json (expected lane=planned)"
        ]
      )
      assert.deepStrictEqual(drift((s) => (s.work_packages.WP01.notes = [])), [
        "Materialization drift: WP01 state differs between status.json and reducer output"
      ])
    })

    it("compares retrospective, event_count and last_event_id, but not materialized_at or identity", () => {
      assert.deepStrictEqual(
        drift((s) => {
          s.retrospective = { status: "pending" }
          s.event_count = 99
          s.last_event_id = eventId(1)
        }),
        [
          "Materialization drift: retrospective snapshot differs between status.json and reducer output",
          "Materialization drift: event_count=99 in status.json but reducer counted 8",
          "Materialization drift: last_event_id mismatch between status.json and reducer output"
        ]
      )
      assert.deepStrictEqual(
        drift((s) => {
          s.materialized_at = "2020-01-01T00:00:00+00:00"
          s.mission_type = "research"
          s.summary.done = 7
        }),
        []
      )
    })

    it("reports a status.json that does not parse", () => {
      const findings = validate(text, { statusJsonText: "{\"work_packages\": " })
      assert.deepStrictEqual(messages(findings, "MATERIALIZATION_DRIFT"), [
        "Materialization drift: status.json is not valid JSON: Expecting value: line 1 column 19 (char 18)"
      ])
    })
  })
})

describe("validateStatus, §14.3 integrity findings", () => {
  it("DUPLICATE_EVENT_ID_CONFLICT: one event_id, two payloads (compared canonically)", () => {
    const first = transition(1, "WP01", "genesis", "planned")
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(first).reverse()))
    const findings = validate(log(first, reordered, { ...first, reason: "again" }))
    const conflicts = withCode(findings, "DUPLICATE_EVENT_ID_CONFLICT")
    assert.deepStrictEqual(conflicts.map((f) => [f.severity, f.line, f.event_id]), [["error", 3, eventId(1)]])
    assert.include(conflicts[0].message, "the reducer keeps line 1 and drops line 3")
    assert.deepStrictEqual(withCode(findings, "DUPLICATE_EVENT_ID").map((f) => [f.severity, f.line]), [["warning", 2]])
  })

  it("DUPLICATE_EVENT_ID: a repeated annotation is applied twice", () => {
    const note = annotation(2, "WP01", { note: "hello" })
    const findings = validate(log(transition(1, "WP01", "genesis", "planned"), note, note))
    assert.deepStrictEqual(messages(findings, "DUPLICATE_EVENT_ID"), [
      `Event ${eventId(2)}: line 3 repeats line 2; the annotation is applied twice`
    ])
    assert.deepStrictEqual(withCode(findings, "DUPLICATE_EVENT_ID_CONFLICT"), [])
  })

  it("FROM_LANE_DISCONTINUITY: one warning per WP with the count and the first break", () => {
    const rows = [
      transition(1, "WP01", "planned", "claimed"),
      transition(2, "WP01", "planned", "claimed"),
      transition(3, "WP01", "claimed", "in_progress"),
      transition(4, "WP01", "planned", "in_progress", { force: true, reason: "redo" }),
      transition(5, "WP02", "genesis", "planned")
    ]
    const findings = withCode(validate(log(...rows)), "FROM_LANE_DISCONTINUITY")
    assert.deepStrictEqual(findings.map((f) => [f.severity, f.wp_id, f.event_id, f.line]), [
      ["warning", "WP01", eventId(1), 1]
    ])
    assert.strictEqual(
      findings[0].message,
      `WP01: 3 transitions with a from_lane that differs from the replayed lane; first: event ${eventId(1)} ` +
        "on line 1 has from_lane=planned while the lane was genesis"
    )
  })

  it("MIXED_TIMESTAMP_FORMATS: Z and +00:00 mixed, with the pairs whose lexical order is not chronological", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { at: "2026-04-06T19:05:48Z" }),
      transition(2, "WP01", "planned", "claimed", { at: "2026-04-06T19:05:48.300166+00:00" }),
      transition(3, "WP01", "claimed", "in_progress", { at: "2026-04-06T19:06:00Z" })
    ]
    const findings = withCode(validate(log(...rows)), "MIXED_TIMESTAMP_FORMATS")
    assert.deepStrictEqual(findings.map((f) => f.severity), ["warning", "warning"])
    assert.include(findings[0].message, "mix 2 formats")
    assert.include(findings[0].message, "1 adjacent row pair sort lexically in a different order than chronologically")
    assert.strictEqual(
      findings[1].message,
      "line 2 (at 2026-04-06T19:05:48.300166+00:00) sorts before line 1 (at 2026-04-06T19:05:48Z) but is " +
        "chronologically later"
    )
    assert.deepStrictEqual(withCode(validate(log(rows[0], rows[2])), "MIXED_TIMESTAMP_FORMATS"), [])
  })

  it("MISSION_ID_MISMATCH: against meta.json, else against the first transition", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned"),
      transition(2, "WP02", "genesis", "planned", { mission_id: "01KTEST0OTHER0000000000000" }),
      transition(3, "WP03", "genesis", "planned", { mission_id: null })
    ]
    const findings = withCode(validate(log(...rows)), "MISSION_ID_MISMATCH")
    assert.deepStrictEqual(findings.map((f) => [f.severity, f.line]), [["error", 2]])
    assert.include(findings[0].message, `differs from meta.json mission_id ${MISSION_ID}`)
    const noMeta = withCode(validate(log(...rows), { missionId: null }), "MISSION_ID_MISMATCH")
    assert.deepStrictEqual(noMeta.map((f) => f.line), [2])
    assert.include(noMeta[0].message, `mission_id ${MISSION_ID} of the first transition carrying one (line 1)`)
  })

  it("MISSION_SLUG_MISMATCH: one warning per distinct wrong slug, with its count", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { mission_slug: "01KTEST0" }),
      transition(2, "WP02", "genesis", "planned", { mission_slug: "01KTEST0" }),
      transition(3, "WP03", "genesis", "planned", { mission_slug: "01KTEST0" }),
      transition(4, "WP04", "genesis", "planned", { mission_slug: "other" }),
      transition(5, "WP05", "genesis", "planned")
    ]
    const findings = withCode(validate(log(...rows)), "MISSION_SLUG_MISMATCH")
    assert.deepStrictEqual(findings.map((f) => [f.severity, f.line]), [["warning", 1], ["warning", 4]])
    assert.strictEqual(
      findings[0].message,
      `mission_slug '01KTEST0' on 3 transitions differs from the canonical mission name '${SLUG}'; first: event ` +
        `${eventId(1)} on line 1`
    )
  })

  it("UNKNOWN_ROW_KIND: errors for rows the reader rejects, a warning for an unknown event_type", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned"),
      { ...annotation(2, "WP01", { note: "x" }), kind: "comment" },
      without(transition(3, "WP01", "planned", "claimed"), "to_lane"),
      envelope(4, "SomethingNew"),
      envelope(5, "SomethingNew"),
      envelope(6, "DecisionPointWidened")
    ]
    const findings = withCode(validate(log(...rows)), "UNKNOWN_ROW_KIND")
    assert.deepStrictEqual(findings.map((f) => [f.severity, f.line]), [["error", 2], ["error", 3], ["warning", 4]])
    assert.strictEqual(findings[0].message, "line 2: unknown row kind 'comment'; the strict reader rejects it")
    assert.include(findings[1].message, "lacks from_lane/to_lane")
    assert.include(findings[2].message, "event_type 'SomethingNew' on 2 rows is not a known envelope type")
  })

  it("RUNTIME_ONLY_WP: an annotation for a WP without transitions", () => {
    const rows = [transition(1, "WP01", "genesis", "planned"), annotation(2, "WP1", { agent: "claude" })]
    const findings = withCode(validate(log(...rows)), "RUNTIME_ONLY_WP")
    assert.deepStrictEqual(findings.map((f) => [f.severity, f.wp_id, f.line]), [["warning", "WP1", 2]])
  })

  it("the integrity checks still run on the raw rows when the strict read fails", () => {
    const rows = [
      transition(1, "WP01", "genesis", "planned", { mission_slug: "01KTEST0" }),
      // Rejected by the strict reader (lane alias), still replayed: from_lane doing breaks continuity.
      transition(2, "WP01", "doing", "for_review", { mission_slug: "01KTEST0" }),
      transition(1, "WP01", "genesis", "planned", { reason: "changed" })
    ]
    const codes = validate(log(...rows), { statusJsonText: null }).map((f) => f.code)
    assert.deepStrictEqual(codes, [
      "LOG_CORRUPT",
      "DUPLICATE_EVENT_ID_CONFLICT",
      "FROM_LANE_DISCONTINUITY",
      "MISSION_SLUG_MISMATCH"
    ])
  })
})

describe("fromIsoFormat (Python 3.11.7 datetime.fromisoformat)", () => {
  // Expected values recorded from CPython 3.11.7: [UTC epoch seconds, microseconds] or null for ValueError.
  const cases: ReadonlyArray<readonly [string, readonly [number, number] | null]> = [
    ["2026-08-19T20:21:49.089118+00:00", [1787170909, 89118]],
    ["2026-08-19T20:21:49+00:00", [1787170909, 0]],
    ["2026-08-19T20:21:49Z", [1787170909, 0]],
    ["2026-08-19", [1787097600, 0]],
    ["20260819", [1787097600, 0]],
    ["2026-08-19 20:21", [1787170860, 0]],
    ["2026-08-19x20:21", [1787170860, 0]],
    ["2026-08-19é20:21", [1787170860, 0]],
    ["2026-08-19T20", [1787169600, 0]],
    ["2026-08-19T2021", [1787170860, 0]],
    ["2026-08-19T202149.5", [1787170909, 500000]],
    ["2026-08-19T20:21:49.1", [1787170909, 100000]],
    ["2026-08-19T20:21:49.12345", [1787170909, 123450]],
    ["2026-08-19T20:21:49.1234567", [1787170909, 123456]],
    ["2026-08-19T20:21:49,5", [1787170909, 500000]],
    ["2026-08-19T20.5", [1787169600, 500000]],
    ["2026-08-19T20:21:49:78", [1787170909, 780000]],
    ["2026-08-19T20:21:49.+00:00", [1787170909, 0]],
    ["2026-08-19T20:21:49 +00:00", [1787170909, 0]],
    ["2026-08-19T20:21:49+0530", [1787151109, 0]],
    ["2026-08-19T20:21:49+05", [1787152909, 0]],
    ["2026-08-19T20:21:49-05:30:15.5", [1787190724, 500000]],
    ["2026-08-19T20:21:49+00:99", [1787164969, 0]],
    ["2026-W01", [1766966400, 0]],
    ["2026W017", [1767484800, 0]],
    ["2026-W01-1T12", [1767009600, 0]],
    ["2020-W53", [1609113600, 0]],
    ["2024-02-29T00:00", [1709164800, 0]],
    ["2026-08-19T20:21:49.", null],
    ["2026-08-19T", null],
    ["2026-08-19T2", null],
    ["2026-08-19T20:2", null],
    ["2026-8-19", null],
    ["2026-0819", null],
    ["+026-08-19", null],
    ["0000-01-01", null],
    ["2026-02-29", null],
    ["2026-08-19T24:00", null],
    ["2026-08-19T20:60", null],
    ["2026-08-19T20:21:60", null],
    ["2026-08-19T20:21:49+24:00", null],
    ["2026-08-19T20:21:49+00:00+00:00", null],
    ["2026-08-19T20:21:49.123+", null],
    ["2026-08-19T20:21:49.1234567x", null],
    ["2026-08-19T20:21:49éZ", null],
    ["2026-W011", null],
    ["9999-W52-7", null],
    ["2026-08-19T20:21:49ZZ", null],
    ["yesterday", null],
    ["2026-08-19T20:21:49.089118+00:00\n", null]
  ]

  it("agrees with CPython on a table of forms and quirks", () => {
    for (const [input, expected] of cases) {
      const got = fromIsoFormat(input)
      assert.deepStrictEqual(
        got === null ? null : [got.epochSeconds, got.micros],
        expected === null ? null : [...expected],
        JSON.stringify(input)
      )
    }
  })

  it("validity is fromisoformat after Z -> +00:00", () => {
    assert.isTrue(isValidIso8601("2026-08-19T20:21:49Z"))
    assert.isFalse(isValidIso8601("2026-08-19T20:21:49ZZ"))
    assert.isFalse(isValidIso8601("2026-02-30T00:00:00Z"))
    assert.isTrue(isValidIso8601("2026-08-19T20:21:49.5Z"))
  })

  it.prop(
    "reads Python isoformat() output of any instant back to that instant",
    [
      FastCheck.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") }),
      FastCheck.integer({ min: 0, max: 999 }),
      FastCheck.integer({ min: -1439, max: 1439 })
    ],
    ([date, extraMicros, offsetMinutes]) => {
      const micros = date.getUTCMilliseconds() * 1000 + extraMicros
      const local = new Date(date.getTime() + offsetMinutes * 60_000)
      const pad = (n: number, w = 2) => String(n).padStart(w, "0")
      const sign = offsetMinutes < 0 ? "-" : "+"
      const abs = Math.abs(offsetMinutes)
      const text = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T` +
        `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
        (micros === 0 ? "" : `.${pad(micros, 6)}`) + `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
      const got = fromIsoFormat(text)
      const year = local.getUTCFullYear()
      if (year < 1 || year > 9999) return assert.isNull(got)
      assert.deepStrictEqual(got === null ? null : [got.epochSeconds, got.micros], [
        Math.floor(date.getTime() / 1000),
        micros
      ], text)
    }
  )
})

describe("validateStatus over the spec-kitty corpus", () => {
  const root = CORPUS_DIR
  // docs/status-model.md §15: committed snapshots spec-kitty itself would no longer write.
  const STALE = [...STALE_SNAPSHOTS]

  const missions = readdirSync(root).filter((m) => existsSync(`${root}${m}/meta.json`)).sort()
  const read = (mission: string, file: string): string | null => {
    const path = `${root}${mission}/${file}`
    return existsSync(path) ? readFileSync(path, "utf8") : null
  }
  const results = new Map<string, ReadonlyArray<Finding>>()
  for (const mission of missions) {
    results.set(
      mission,
      validateStatus({
        logText: read(mission, "status.events.jsonl"),
        statusJsonText: read(mission, "status.json"),
        ...metaFacts(JSON.parse(read(mission, "meta.json")!)),
        canonicalSlug: mission
      })
    )
  }
  const has = (mission: string, code: string) => results.get(mission)!.some((f) => f.code === code)

  // Observed at the corpus commit (206 missions, 202 logs, 201 status.json):
  //   code                          findings  missions
  //   DONE_WITHOUT_EVIDENCE                1         1
  //   FILE_PRESENCE                        1         1
  //   FROM_LANE_DISCONTINUITY           1025       162   (1,513 breaks; 2,837 in the full reference corpus)
  //   ILLEGAL_TRANSITION                  67        16   (for_review->approved 36, claimed->planned 19, ...)
  //   MATERIALIZATION_DRIFT               20         7   (exactly the 7 stale missions of §15 in the corpus)
  //   MISSION_SLUG_MISMATCH                1         1   (the 30 `01KTRC04` rows)
  //   MIXED_TIMESTAMP_FORMATS             20        14   (6 inverted pairs in 4 logs)
  //   ROLLBACK_WITHOUT_REVIEW_REF          8         4
  //   logs with a §14.1 finding: 27 (36 of 405 in the full reference corpus)
  it("prints the finding counts by code", () => {
    const byCode = new Map<string, { findings: number; missions: Set<string> }>()
    for (const [mission, findings] of results) {
      for (const f of findings) {
        const entry = byCode.get(f.code) ?? { findings: 0, missions: new Set<string>() }
        entry.findings++
        entry.missions.add(mission)
        byCode.set(f.code, entry)
      }
    }
    const specKittyLogs = [...results.values()].filter((fs) => fs.some((f) => SPEC_KITTY_CODES.includes(f.code)))
    console.log(
      [
        `${"code".padEnd(30)}findings  missions`,
        ...[...byCode.keys()].sort().map((code) => {
          const { findings, missions } = byCode.get(code)!
          return `${code.padEnd(30)}${String(findings).padStart(8)}  ${String(missions.size).padStart(8)}`
        }),
        `logs with a §14.1 finding: ${specKittyLogs.length} of ${missions.length} missions`
      ].join("\n")
    )
    assert.isAbove(byCode.size, 0)
  })

  it("the strict reader accepts every corpus log, so no log is corrupt and no row kind is unknown", () => {
    for (const [mission, findings] of results) {
      assert.isFalse(has(mission, "LOG_CORRUPT"), mission)
      assert.isFalse(findings.some((f) => f.code === "UNKNOWN_ROW_KIND" && f.severity === "error"), mission)
      assert.isFalse(has(mission, "MISSION_ID_MISMATCH"), mission)
    }
  })

  it("the 30 rows whose mission_slug is the bare handle 01KTRC04 give one MISSION_SLUG_MISMATCH", () => {
    const mission = "tooling-stability-guard-coherence-01KTRC04"
    const findings = withCode(results.get(mission)!, "MISSION_SLUG_MISMATCH")
    assert.strictEqual(findings.length, 1)
    assert.match(findings[0].message, /^mission_slug '01KTRC04' on 30 transitions differs/)
  })

  it("the stale snapshots of §15 drift; at least 90% of the others do not", () => {
    const stale = STALE.filter((m) => results.has(m) && read(m, "status.json") !== null)
    assert.isAbove(stale.length, 0)
    for (const mission of stale) assert.isTrue(has(mission, "MATERIALIZATION_DRIFT"), mission)
    const others = missions.filter((m) =>
      !STALE.includes(m) && read(m, "status.json") !== null && read(m, "status.events.jsonl") !== null
    )
    const clean = others.filter((m) => !has(m, "MATERIALIZATION_DRIFT"))
    assert.isAtLeast(clean.length / others.length, 0.9)
  })

  it("a log without status.json gives the missing-file finding", () => {
    for (const mission of missions) {
      const logText = read(mission, "status.events.jsonl")
      if (read(mission, "status.json") !== null || logText === null || logText.trim() === "") continue
      assert.isTrue(has(mission, "FILE_PRESENCE"), mission)
    }
  })
})
