/**
 * The implement-time bulk-edit inference (docs/surfaces.md §6.5): a pure function of a spec's wording.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { bulkEditInference } from "../../../src/core/surfaces/ImplementRules.js"

describe("bulk-edit inference (§6.5)", () => {
  const cases: ReadonlyArray<readonly [string, number, ReadonlyArray<string>, boolean]> = [
    ["Add a health endpoint.", 0, [], false],
    ["Rename the flag.", 2, ["rename"], false],
    ["Rename the flag and migrate the config.", 4, ["migrate", "rename"], true],
    ["Run a codemod.", 3, ["codemod"], true],
    ["Rename across the repo.", 3, ["rename across"], true],
    ["Replace all callers.", 2, ["replace all"], true],
    ["Update docs across the codebase.", 2, ["across the codebase"], true],
    ["Rename all occurrences of Foo.", 3, ["rename all occurrences"], true],
    ["Renamed files and a migration.", 0, [], false],
    ["Use sed, then sed again. SED!", 2, ["sed"], false],
    ["Find-and-replace, or find and replace.", 6, ["find and replace", "find-and-replace"], true],
    ["A search and replace, not a replace everywhere.", 5, ["replace everywhere", "search and replace"], true]
  ]
  for (const [text, score, phrases, triggered] of cases) {
    it(`${JSON.stringify(text)} → ${score}`, () => {
      assert.deepStrictEqual(bulkEditInference(text), { score, phrases, triggered })
    })
  }
})
