/**
 * The pure rules of `merge` (docs/surfaces.md §5.4-§5.8) and of the retrospective record (§4.2): the
 * configured strategy, the one-value mission-number edit (every other byte kept, property-tested on
 * generated metas), the next number, the done rows' times, the merge-driver text helpers, and
 * spec-kitty's reader rules for records.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { launcherWords, shellWords, withLines, withoutLines } from "../../../src/core/merge/DriverConfig.js"
import { blockingWps, doneTimes, nextMissionNumber, setMissionNumber, strategyFromConfig } from "../../../src/core/merge/MergeRules.js"
import { decodeMergeState, encodeMergeState } from "../../../src/core/merge/MergeState.js"
import { newRecord, parseInput, recordProblems, renderRecord, updateRecord } from "../../../src/core/retrospect/RetrospectRecord.js"
import YAML from "yaml"

describe("merge.strategy from .kittify/config.yaml", () => {
  it("absent file, mapping or key: none; a strategy: that one; anything else: CONFIG_INVALID", () => {
    assert.deepStrictEqual(strategyFromConfig(null), Either.right(null))
    assert.deepStrictEqual(strategyFromConfig("project: x\n"), Either.right(null))
    assert.deepStrictEqual(strategyFromConfig("merge:\n  strategy: rebase\n"), Either.right("rebase"))
    for (const bad of ["merge:\n  strategy: theirs\n", "merge: squash\n", "- a\n", "merge: [\n"]) {
      const r = strategyFromConfig(bad)
      assert.isTrue(Either.isLeft(r), bad)
      if (Either.isLeft(r)) assert.strictEqual(r.left.code, "CONFIG_INVALID")
    }
  })
})

describe("the mission-number bake", () => {
  it("changes only the value; adds the key as the last member when absent", () => {
    const meta = "{\n  \"mission_id\": \"01X\",\n  \"mission_number\": null,\n  \"slug\": \"a\"\n}\n"
    assert.deepStrictEqual(setMissionNumber(meta, 12), Either.right(meta.replace("null", "12")))
    const without = "{\n    \"b\": [1, {\"mission_number\": 3}],\n    \"a\": \"x\"\n}\n"
    assert.deepStrictEqual(setMissionNumber(without, 4), Either.right("{\n    \"b\": [1, {\"mission_number\": 3}],\n    \"a\": \"x\",\n    \"mission_number\": 4\n}\n"))
    assert.deepStrictEqual(setMissionNumber("{}", 1), Either.right("{\"mission_number\": 1}"))
    assert.isTrue(Either.isLeft(setMissionNumber("[1]", 1)))
  })

  it("property: the edit parses to the same object with the number set, and nothing else changes", () => {
    const value = fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }))
    const metas = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), value, { maxKeys: 6 })
    fc.assert(
      fc.property(metas, fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.nat(9999), (obj, withNumber, indent, n) => {
        const o = withNumber ? { ...obj, mission_number: null } : obj
        const text = JSON.stringify(o, null, indent) + "\n"
        const out = setMissionNumber(text, n)
        assert.isTrue(Either.isRight(out))
        if (Either.isLeft(out)) return
        assert.deepStrictEqual(JSON.parse(out.right), { ...o, mission_number: n })
        if ("mission_number" in o) assert.strictEqual(out.right.length - text.length, String(n).length - "null".length)
      }),
      { seed: 5_150, numRuns: 300 }
    )
  })

  it("next number: 1 + the largest over git grep lines (strings of digits count, booleans and junk do not)", () => {
    assert.strictEqual(nextMissionNumber([]), 1)
    assert.strictEqual(
      nextMissionNumber([
        "  \"mission_number\": 7,",
        "  \"mission_number\": \"042\",",
        "  \"mission_number\": null,",
        "  \"mission_number\": true,",
        "{\"mission_id\": \"x\", \"mission_number\": 12}"
      ]),
      43
    )
  })
})

describe("the gate and the done rows", () => {
  it("approved, done and canceled may merge; anything else blocks, in WP order", () => {
    const lanes = new Map([["WP02", "in_progress"], ["WP01", "approved"], ["WP03", "for_review"], ["WP04", "canceled"]])
    assert.deepStrictEqual(blockingWps(lanes), [{ wp_id: "WP02", lane: "in_progress" }, { wp_id: "WP03", lane: "for_review" }])
  })

  it("done times start a microsecond into the commit's second, after every row already there, a microsecond apart", () => {
    assert.deepStrictEqual(doneTimes(1_767_225_600, ["2025-12-31T00:00:00+00:00"], 2), [
      "2026-01-01T00:00:00.000001+00:00",
      "2026-01-01T00:00:00.000002+00:00"
    ])
    // a commit dated before the last approval (clock skew, fixed test dates): still after it
    assert.deepStrictEqual(doneTimes(0, ["2026-03-01T10:00:00.500000+00:00"], 1), ["2026-03-01T10:00:00.500001+00:00"])
  })
})

describe("the merge state file", () => {
  it("round-trips; unknown keys are ignored; anything else is MERGE_STATE_INVALID", () => {
    const bad = decodeMergeState("s.json", "{\"schema\": \"other\"}")
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) assert.strictEqual(bad.left.code, "MERGE_STATE_INVALID")
    assert.isTrue(Either.isLeft(decodeMergeState("s.json", "not json")))
  })
  void encodeMergeState
})

describe("driver text helpers", () => {
  it("shell words and the launcher words of a driver command", () => {
    assert.deepStrictEqual(shellWords("'/a b/node' \"/c/k\\\"x.mjs\" merge-driver-event-log %O %A %B"), [
      "/a b/node",
      "/c/k\"x.mjs",
      "merge-driver-event-log",
      "%O",
      "%A",
      "%B"
    ])
    assert.deepStrictEqual(launcherWords("spec-kitty merge-driver-event-log %O %A %B"), ["spec-kitty"])
    assert.strictEqual(shellWords("'unterminated"), null)
  })

  it("attribute lines are added and removed as whole lines only", () => {
    assert.deepStrictEqual(withLines("*.png binary", ["a merge=x"]), { text: "*.png binary\na merge=x\n", added: ["a merge=x"] })
    assert.deepStrictEqual(withLines("a merge=x\n", ["a merge=x"]).added, [])
    assert.deepStrictEqual(withoutLines("*.png binary\na merge=x\n", ["a merge=x"]), { text: "*.png binary\n", removed: ["a merge=x"] })
    assert.deepStrictEqual(withoutLines("a merge=x\n", ["a merge=x"]), { text: null, removed: ["a merge=x"] })
  })
})

describe("the retrospective record spec-kitty reads", () => {
  const identity = {
    mission_id: "01JZRE70000000000000000000",
    mission_slug: "r-01JZRE70",
    mission_number: 4,
    friendly_name: "R",
    mission_type: "software-dev",
    target_branch: "main"
  }
  const input = (text: string) => {
    const r = parseInput(text)
    if (Either.isLeft(r)) throw new Error(r.left.join("; "))
    return r.right
  }

  it("the spec's record shape (no provenance, no policy_source, no ids) is refused with spec-kitty's message", () => {
    const specShape = {
      schema_version: 1,
      ...identity,
      created_at: "2026-01-01T00:00:00+00:00",
      created_by: { kind: "human", id: "cli" },
      findings_status: "ran_no_findings",
      helped: [],
      not_helpful: [],
      gaps: [],
      proposals: [],
      evidence_refs: [],
      generator_version: "1.0",
      provenance_history: []
    }
    assert.include(recordProblems(specShape), "Missing required generator record field(s): policy_source, provenance")
  })

  it("kittyctx's records pass, survive YAML (1.1 and 1.2 readers) unchanged, and updates stay valid", () => {
    const first = newRecord(identity, input("helped:\n  - {category: process, summary: ok, evidence_refs: [e-001]}\nevidence_refs:\n  - {kind: file, path: a}\n"), "2026-01-01T00:00:00+00:00", "kittyctx/0.1.0")
    assert.deepStrictEqual(recordProblems(first), [])
    const yaml = renderRecord(first)
    assert.deepStrictEqual(YAML.parse(yaml), JSON.parse(JSON.stringify(first)))
    assert.deepStrictEqual(YAML.parse(yaml, { version: "1.1" }), JSON.parse(JSON.stringify(first)))
    const second = newRecord(identity, input("helped:\n  - {category: process, summary: OK}\ngaps:\n  - {category: doc, summary: gap, evidence_refs: [e-001]}\nevidence_refs:\n  - {kind: file, path: b}\n"), "2026-01-02T00:00:00+00:00", "kittyctx/0.1.0")
    const merged = updateRecord(first, second)
    assert.deepStrictEqual(recordProblems(merged), [])
    assert.deepStrictEqual(merged.helped.map((f) => f.id), ["h-001"])
    assert.deepStrictEqual(merged.gaps.map((f) => f.evidence_refs), [["e-002"]])
    assert.deepStrictEqual(merged.evidence_refs.map((e) => [e.id, e.path]), [["e-001", "a"], ["e-002", "b"]])
    assert.deepStrictEqual(merged.provenance_history, [first.provenance])
  })
})
