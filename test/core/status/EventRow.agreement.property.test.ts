/**
 * The two definitions of a valid `status.events.jsonl` row must agree (docs/status-model.md §3, and
 * EventRow.ts's header): the hand-written hot-path checks `isTransitionShape` / `isAnnotationShape`
 * accept a row iff `TransitionSchema` / `AnnotationSchema` decode it. Checked on generated valid
 * rows, on every corpus row, and on mutated rows; then through the public reader (`classifyRow`,
 * `parseLine`), where a disagreement would surface as "value rejected by the strict reader".
 *
 * Rules the reader applies outside the Schemas (so outside the agreement): a `kind` other than
 * `annotation` is an unknown kind; envelope rows (event_type / retrospective markers) skip both
 * checks; a `policy_metadata.shell_pid` integer beyond 2^53 rejects an otherwise valid transition.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, ParseResult, Schema } from "effect"
import {
  classifyRow,
  DELTA_STRING_KEYS,
  isAnnotationShape,
  isTransitionShape,
  parseLine,
  readEventStream,
  rowSchemas
} from "../../../src/core/status/EventRow.js"
import { LANES } from "../../../src/core/status/Lane.js"
import { forEachLogLine } from "../../../src/core/python/PyJson.js"
import { corpusMissions } from "../../support/corpus.js"

const SEED = 3_141_592
const GENERATED_RUNS = 2500
const MUTATED_RUNS = 2500

type Row = Record<string, unknown>
type Shape = (o: Row) => boolean

// ---------------------------------------------------------------------------------------------
// The two sides
// ---------------------------------------------------------------------------------------------

/** The Schema side exactly as the reader's `explain` runs it (all errors), plus `Schema.is`. */
const { AnnotationSchema, TransitionSchema } = rowSchemas()
const decodeTransition = Schema.decodeUnknownEither(TransitionSchema, { errors: "all" })
const decodeAnnotation = Schema.decodeUnknownEither(AnnotationSchema, { errors: "all" })
const isTransitionBySchema = Schema.is(TransitionSchema)
const isAnnotationBySchema = Schema.is(AnnotationSchema)
const schemaAcceptsTransition = (o: unknown) => Either.isRight(decodeTransition(o))
const schemaAcceptsAnnotation = (o: unknown) => Either.isRight(decodeAnnotation(o))

const isPlainObject = (v: unknown): v is Row => typeof v === "object" && v !== null && !Array.isArray(v)
const isEnvelope = (o: Row) =>
  (typeof o.event_name === "string" && o.event_name.startsWith("retrospective.")) ||
  (typeof o.type === "string" && ["RetrospectiveCaptured", "RetrospectiveCaptureFailed", "RetrospectiveSkipped"].includes(o.type)) ||
  "event_type" in o
const unsafeShellPid = (o: Row) =>
  isPlainObject(o.policy_metadata) && typeof o.policy_metadata.shell_pid === "number" &&
  Number.isInteger(o.policy_metadata.shell_pid) && !Number.isSafeInteger(o.policy_metadata.shell_pid)

/** Whether the strict reader must accept a parsed line, with the Schemas as the definition. */
const readerShouldAccept = (o: unknown): boolean => {
  if (!isPlainObject(o)) return false
  if (o.kind !== undefined && o.kind !== null) return o.kind === "annotation" && schemaAcceptsAnnotation(o)
  if (isEnvelope(o)) return true
  return schemaAcceptsTransition(o) && !unsafeShellPid(o)
}

/** Copies a row as the reader would see it: through JSON text (own `__proto__` keys survive). */
const viaJson = (o: unknown): Row => JSON.parse(JSON.stringify(o)) as Row

// ---------------------------------------------------------------------------------------------
// Generators of valid rows
// ---------------------------------------------------------------------------------------------

const strArb = fc.oneof(fc.constantFrom("", "x", "WP01", "claude", "None", "reviewer-renata"), fc.string({ maxLength: 8 }))
const nullableStrArb = fc.oneof(fc.constant(null), strArb)
const laneArb = fc.constantFrom(...LANES)
const atArb = fc.oneof(
  fc.date({ min: new Date("2024-01-01"), max: new Date("2027-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
  strArb
)
const jsonArb = fc.jsonValue({ maxDepth: 2 })
const falsyArb = fc.constantFrom<unknown>(null, {}, [], "", 0, false)
const actorArb = fc.oneof(
  strArb,
  fc.record({ role: nullableStrArb, profile: nullableStrArb, tool: nullableStrArb, model: nullableStrArb })
)
/** Unknown keys, including an own `__proto__` (JSON.parse makes it a plain key). */
const extrasArb = fc.array(
  fc.tuple(fc.constantFrom("extra", "schema_version", "__proto__", "Event_ID", "lane", "note_"), jsonArb),
  { maxLength: 2 }
)
const withExtras = (o: Row, extras: ReadonlyArray<readonly [string, unknown]>): Row => {
  for (const [k, v] of extras) {
    if (!(k in o) || k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  return o
}

const reviewArb = fc.record({ reviewer: strArb, verdict: strArb, reference: strArb })
const evidenceArb = fc.record(
  {
    review: fc.tuple(reviewArb, extrasArb).map(([r, x]) => withExtras({ ...r }, x)),
    repos: fc.array(
      fc.record(
        { repo: strArb, branch: strArb, commit: strArb, files_touched: fc.array(strArb, { maxLength: 3 }) },
        { requiredKeys: ["repo", "branch", "commit"] }
      ),
      { maxLength: 2 }
    ),
    verification: fc.array(fc.record({ command: strArb, result: strArb, summary: strArb }), { maxLength: 2 }),
    notes: jsonArb
  },
  { requiredKeys: ["review"] }
)
const reviewResultArb = fc.record(
  { reviewer: strArb, verdict: strArb, reference: strArb, feedback_path: nullableStrArb, summary: jsonArb },
  { requiredKeys: ["reviewer", "verdict", "reference"] }
)
const policyMetadataArb = fc.oneof(
  fc.constant(null),
  fc.record({ agent: jsonArb, shell_pid: fc.integer({ min: 0, max: 4_194_304 }), mode: jsonArb }, { requiredKeys: [] })
)

const transitionArb: fc.Arbitrary<Row> = fc
  .tuple(
    fc.record(
      {
        event_id: fc.oneof(fc.ulid(), strArb),
        mission_slug: jsonArb,
        feature_slug: jsonArb,
        mission_id: fc.oneof(fc.constant(null), fc.ulid(), strArb),
        wp_id: strArb,
        from_lane: laneArb,
        to_lane: laneArb,
        at: atArb,
        actor: actorArb,
        force: fc.boolean(),
        execution_mode: fc.oneof(fc.constantFrom("worktree", "direct_repo"), strArb),
        reason: nullableStrArb,
        review_ref: nullableStrArb,
        evidence: fc.oneof(falsyArb, evidenceArb),
        review_result: fc.oneof(falsyArb, reviewResultArb),
        policy_metadata: policyMetadataArb,
        kind: fc.constant(null)
      },
      { requiredKeys: ["event_id", "wp_id", "from_lane", "to_lane", "at", "actor", "force", "execution_mode"] }
    ),
    extrasArb
  )
  .map(([row, extras]) => withExtras({ ...row }, extras))

const pyScalarArb = fc.oneof(strArb, fc.constant(null), fc.boolean(), fc.maxSafeInteger())
const deltaArb: fc.Arbitrary<Row> = fc
  .tuple(
    fc.record(
      <Record<string, fc.Arbitrary<unknown>>> {
        shell_pid: fc.oneof(fc.constant(null), fc.maxSafeInteger()),
        ...Object.fromEntries(DELTA_STRING_KEYS.map((k) => [k, nullableStrArb])),
        subtasks: fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom("T001", "T002", "T010", "x"), laneArb)),
        note: nullableStrArb,
        tracker_refs: fc.oneof(fc.constant(null), fc.array(strArb, { maxLength: 3 })),
        tracker_refs_replace: fc.oneof(fc.constant(null), fc.array(strArb, { maxLength: 3 })),
        review: fc.oneof(
          fc.constant(null),
          fc.record({ at: pyScalarArb, actor: pyScalarArb, wp_id: pyScalarArb, reason: pyScalarArb, verdict: jsonArb }, {
            requiredKeys: ["at", "actor", "wp_id", "reason"]
          })
        ),
        release_runtime_claim: fc.oneof(fc.constant(null), fc.boolean())
      },
      { requiredKeys: [] }
    ),
    extrasArb
  )
  .map(([d, extras]) => withExtras({ ...d }, extras))

const annotationArb: fc.Arbitrary<Row> = fc
  .tuple(fc.record({ event_id: fc.ulid(), wp_id: strArb, at: atArb, actor: actorArb, delta: deltaArb }), extrasArb)
  .map(([row, extras]) => withExtras({ kind: "annotation", ...row }, extras))

const envelopeArb: fc.Arbitrary<Row> = fc
  .tuple(
    fc.constantFrom<Row>(
      { event_type: "MissionCreated" },
      { event_type: null },
      { event_name: "retrospective.captured" },
      { type: "RetrospectiveSkipped" },
      { type: "RetrospectiveCaptureFailed", event_name: 7 }
    ),
    fc.record({ event_id: fc.ulid(), payload: jsonArb, aggregate_id: strArb, from_lane: jsonArb }, { requiredKeys: [] })
  )
  .map(([marker, body]) => ({ ...body, ...marker }))

const validRowArb = fc.oneof(
  { arbitrary: transitionArb, weight: 5 },
  { arbitrary: annotationArb, weight: 4 },
  { arbitrary: envelopeArb, weight: 1 }
)

// ---------------------------------------------------------------------------------------------
// The corpus, and mutations
// ---------------------------------------------------------------------------------------------

const corpusRows: ReadonlyArray<{ readonly mission: string; readonly line: number; readonly text: string }> = corpusMissions()
  .flatMap((m) => {
    const out: Array<{ mission: string; line: number; text: string }> = []
    if (m.log !== null) {
      forEachLogLine(m.log, (line, text) => {
        out.push({ mission: m.name, line, text })
        return true
      })
    }
    return out
  })

/** Wrong values for any slot: wrong types, near-miss lanes and ids, unsafe numbers, wrong shapes. */
const WRONG_VALUES: ReadonlyArray<unknown> = [
  null,
  0,
  1,
  -1,
  1.5,
  2 ** 53 + 2,
  1e300,
  "",
  "x",
  "doing",
  "Planned",
  "done ",
  "None",
  true,
  false,
  [],
  {},
  [1],
  ["planned"],
  { x: 1 },
  { role: null },
  { role: null, profile: null, tool: null, model: null, extra: null },
  { reviewer: "r", verdict: "v" },
  { review: { reviewer: "r", verdict: "v", reference: 1 } },
  "01KZY2FG5N4M3Q2R1S0T9V8W7X",
  "01kzy2fg5n4m3q2r1s0t9v8w7x",
  "annotation",
  ...LANES
]

type Step = { readonly op: "drop" | "replace" | "add" | "rename" | "wrap" | "retype"; readonly at: number; readonly v: number }
const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom("drop", "replace", "replace", "add", "rename", "wrap", "retype"),
  at: fc.nat(),
  v: fc.nat(WRONG_VALUES.length - 1)
})

/** Every container slot of a value: [parent, key] pairs, depth first (the root's keys first). */
const slotsOf = (root: unknown): Array<readonly [Row | Array<unknown>, string | number]> => {
  const out: Array<readonly [Row | Array<unknown>, string | number]> = []
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push([v, i])
        visit(x)
      })
    } else if (isPlainObject(v)) {
      for (const k of Object.keys(v)) {
        out.push([v, k])
        visit(v[k])
      }
    }
  }
  visit(root)
  return out
}
const setOwn = (o: Row, k: string, v: unknown) =>
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })

/** Applies mutation steps to a JSON copy of a row; the result is again JSON-shaped. */
const mutate = (row: unknown, steps: ReadonlyArray<Step>): Row => {
  const o = viaJson(row)
  for (const step of steps) {
    const slots = slotsOf(o)
    if (slots.length === 0) break
    const [parent, key] = slots[step.at % slots.length]
    const wrong = viaJson([WRONG_VALUES[step.v]])[0]
    const current = (parent as Record<string | number, unknown>)[key]
    if (Array.isArray(parent)) {
      const i = key as number
      if (step.op === "drop") parent.splice(i, 1)
      else if (step.op === "wrap") parent[i] = [current]
      else parent[i] = wrong
      continue
    }
    const k = key as string
    switch (step.op) {
      case "drop":
        delete parent[k]
        break
      case "replace":
        parent[k] = wrong
        break
      case "add": {
        const target = isPlainObject(current) ? current : parent
        setOwn(target, ["extra", "__proto__", "Kind", "kind"][step.v % 4], wrong)
        break
      }
      case "rename":
        delete parent[k]
        setOwn(parent, k.toUpperCase() === k ? `${k}_` : k.toUpperCase(), current)
        break
      case "wrap":
        parent[k] = step.v % 2 === 0 ? [current] : { value: current }
        break
      case "retype":
        parent[k] = typeof current === "string"
          ? (Number.isNaN(Number(current)) ? current.length : Number(current))
          : current === null || typeof current === "object"
          ? String(JSON.stringify(current))
          : String(current)
        break
    }
  }
  return o
}

const corpusRowArb: fc.Arbitrary<Row> = fc.constantFrom(...corpusRows).map((r) => JSON.parse(r.text) as Row)
const mutatedRowArb: fc.Arbitrary<Row> = fc
  .tuple(fc.oneof(validRowArb, corpusRowArb), fc.array(stepArb, { minLength: 1, maxLength: 3 }))
  .map(([row, steps]) => mutate(row, steps))

// ---------------------------------------------------------------------------------------------
// Property bodies, parameterised by the hand-written checks so they can be run on planted bugs
// ---------------------------------------------------------------------------------------------

/** Asserts without building the message unless the check fails (the bodies run ~20,000 times). */
const same = <A>(actual: A, expected: A, message: () => string) => {
  if (actual !== expected) assert.fail(`${message()}: got ${String(actual)}, expected ${String(expected)}`)
}

/** The Schema verdicts on a row, each side asserted against the hand-written check. */
const checksAgree = (fastTransition: Shape, fastAnnotation: Shape) => (o: Row) => {
  const t = schemaAcceptsTransition(o)
  const a = schemaAcceptsAnnotation(o)
  same(isTransitionBySchema(o), t, () => "Schema.is vs decode (transition)")
  same(isAnnotationBySchema(o), a, () => "Schema.is vs decode (annotation)")
  same(fastTransition(o), t, () => `isTransitionShape vs TransitionSchema on ${JSON.stringify(o)}`)
  same(fastAnnotation(o), a, () => `isAnnotationShape vs AnnotationSchema on ${JSON.stringify(o)}`)
}

/** parseLine (hence classifyRow) accepts the line iff the Schemas plus the reader's own rules do. */
const readerAgrees = (o: Row) => {
  const text = JSON.stringify(o)
  const parsed = parseLine(text, 7)
  same(Either.isRight(parsed), readerShouldAccept(o), () => `parseLine on ${text}`)
  if (Either.isLeft(parsed)) {
    // The explanation comes from the Schema; this text would mean the Schema accepted the row.
    if (parsed.left.message.includes("value rejected by the strict reader") || !parsed.left.message.includes("on line 7")) {
      assert.fail(`${parsed.left.message} for ${text}`)
    }
  }
}

const refutes = <T>(arb: fc.Arbitrary<T>, body: (t: T) => void, numRuns: number): boolean =>
  fc.check(fc.property(arb, body), { seed: SEED, numRuns, endOnFailure: true }).failed

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("EventRow: the hot-path checks agree with the Schemas, and so does the reader", () => {
  it.prop(
    "on generated valid rows (every optional field present, absent, null or falsy; string and structured actors)",
    [validRowArb],
    ([row]) => {
      const o = viaJson(row)
      checksAgree(isTransitionShape, isAnnotationShape)(o)
      readerAgrees(o)
      if (Either.isLeft(classifyRow(o, 1))) assert.fail(`a valid row was rejected: ${JSON.stringify(o)}`)
    },
    { fastCheck: { numRuns: GENERATED_RUNS, seed: SEED } }
  )

  it.prop("on mutated rows (dropped keys, wrong types, unknown keys, wrong lanes, wrong shapes)", [mutatedRowArb], ([o]) => {
    checksAgree(isTransitionShape, isAnnotationShape)(o)
    readerAgrees(o)
  }, { fastCheck: { numRuns: MUTATED_RUNS, seed: SEED } })

  it("on every row of the corpus", () => {
    assert.isAbove(corpusRows.length, 10_000)
    for (const r of corpusRows) {
      const o = JSON.parse(r.text) as Row
      checksAgree(isTransitionShape, isAnnotationShape)(o)
      readerAgrees(o)
    }
  })

  it("the mutated rows are a real mix: both verdicts, and every field of both row kinds rejected at least once", () => {
    const rows = fc.sample(mutatedRowArb, { seed: SEED, numRuns: MUTATED_RUNS })
    const failedFields = new Set<string>()
    let accepted = 0
    for (const row of rows) {
      const o = viaJson(row)
      const r: Either.Either<unknown, ParseResult.ParseError> = o.kind === "annotation"
        ? decodeAnnotation(o)
        : decodeTransition(o)
      if (Either.isRight(r)) {
        accepted++
        continue
      }
      for (const issue of ParseResult.ArrayFormatter.formatErrorSync(r.left)) {
        failedFields.add(`${o.kind === "annotation" ? "A" : "T"}.${issue.path.slice(0, o.kind === "annotation" ? 2 : 1).join(".")}`)
      }
    }
    assert.isAbove(accepted, rows.length * 0.15)
    assert.isBelow(accepted, rows.length * 0.6)
    const expected = [
      ...["event_id", "wp_id", "from_lane", "to_lane", "at", "actor", "force", "execution_mode", "mission_id", "reason"],
      ...["review_ref", "evidence", "review_result", "policy_metadata"]
    ].map((k) => `T.${k}`).concat(
      ["event_id", "wp_id", "at", "actor", "delta"].map((k) => `A.${k}`),
      ["shell_pid", ...DELTA_STRING_KEYS, "subtasks", "note", "tracker_refs", "review", "release_runtime_claim"].map((k) =>
        `A.delta.${k}`
      )
    )
    for (const field of expected) assert.isTrue(failedFields.has(field), field)
  })

  it("readEventStream accepts each corpus log whole", () => {
    for (const m of corpusMissions()) if (m.log !== null) assert.isTrue(Either.isRight(readEventStream(m.log)), m.name)
  })

  it("a transition with policy_metadata.shell_pid beyond 2^53 is Schema-valid but rejected by the reader", () => {
    const row = {
      event_id: "E",
      wp_id: "WP01",
      from_lane: "planned",
      to_lane: "claimed",
      at: "t",
      actor: "a",
      force: false,
      execution_mode: "worktree",
      policy_metadata: { shell_pid: 2 ** 53 + 2 }
    }
    assert.isTrue(schemaAcceptsTransition(row) && isTransitionShape(row))
    const r = classifyRow(row, 3)
    assert.isTrue(Either.isLeft(r) && r.left.message.includes("beyond 2^53"))
  })
})

describe("non-vacuity: the agreement properties catch a planted divergence", () => {
  it("a fast check that forgets execution_mode", () => {
    const forgetful: Shape = (o) => isTransitionShape({ ...o, execution_mode: "worktree" })
    assert.isTrue(refutes(mutatedRowArb, checksAgree(forgetful, isAnnotationShape), MUTATED_RUNS))
  })
  it("a fast check that lets an array through as policy_metadata", () => {
    const loose: Shape = (o) => isTransitionShape(Array.isArray(o.policy_metadata) ? { ...o, policy_metadata: {} } : o)
    assert.isTrue(refutes(mutatedRowArb, checksAgree(loose, isAnnotationShape), MUTATED_RUNS))
  })
  it("a fast check that does not look inside the annotation delta's review", () => {
    const shallow: Shape = (o) =>
      isAnnotationShape(isPlainObject(o.delta) && isPlainObject(o.delta.review) ? { ...o, delta: { ...o.delta, review: null } } : o)
    assert.isTrue(refutes(mutatedRowArb, checksAgree(isTransitionShape, shallow), MUTATED_RUNS))
  })
  it("a fast check that accepts a fifth key in a structured actor", () => {
    const extraKey: Shape = (o) => {
      const a = o.actor
      if (!isPlainObject(a)) return isTransitionShape(o)
      const { role, profile, tool, model } = a
      return isTransitionShape({ ...o, actor: { role, profile, tool, model } })
    }
    assert.isTrue(refutes(mutatedRowArb, checksAgree(extraKey, isAnnotationShape), MUTATED_RUNS))
  })
})
