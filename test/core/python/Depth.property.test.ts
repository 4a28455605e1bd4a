/**
 * The depth guard of parsed JSON: `opensMoreThan` on the text is a necessary condition of
 * `nestsDeeperThan` on its value, so skipping the walk when it is false never lets a deep value through.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { nestsDeeperThan, opensMoreThan } from "../../../src/core/python/PyJson.js"
import { parseRowJson } from "../../../src/core/status/EventRow.js"

const nested = (depth: number, leaf: unknown): unknown => {
  let v = leaf
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v, s: "{[" }
  return v
}

describe("JSON depth guard", () => {
  it("a value nested deeper than max comes from a text that opens more than max", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value)
        if (nestsDeeperThan(JSON.parse(text), max)) expect(opensMoreThan(text, max)).toBe(true)
      }),
      { numRuns: 3000 }
    )
    for (let depth = 0; depth < 12; depth++) {
      const text = JSON.stringify(nested(depth, "x"))
      for (let max = 0; max < 12; max++) expect(opensMoreThan(text, max) || !nestsDeeperThan(JSON.parse(text), max)).toBe(true)
    }
  })

  it("a row nested 257 levels is refused; 256 is not refused for its depth", () => {
    const deep = JSON.stringify({ evidence: nested(256, 1) })
    expect(parseRowJson(deep, 3)).toEqual(
      expect.objectContaining({ _tag: "Left", left: expect.objectContaining({ message: "Invalid event structure on line 3: nested more than 256 levels deep" }) })
    )
    expect(parseRowJson(JSON.stringify({ evidence: nested(255, 1) }), 3)._tag).toBe("Right")
  })
})
