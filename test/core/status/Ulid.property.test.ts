/**
 * The UTC timestamp formatters of new records: `formatIsoUtcMillis` writes exactly what
 * `Date.prototype.toISOString` writes (it exists so that a command never initialises the local time zone
 * for a UTC timestamp), and `formatPyIsoUtc` writes Python's `isoformat()` of an aware UTC datetime.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { formatIsoUtcMillis, formatPyIsoUtc } from "../../../src/core/status/Ulid.js"

// the range of a JavaScript Date: ±100,000,000 days around the epoch
const MAX_MS = 8.64e15

describe("formatIsoUtcMillis", () => {
  it("is toISOString for any instant a Date holds", () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_MS, max: MAX_MS }), (ms) => {
        expect(formatIsoUtcMillis(ms)).toBe(new Date(ms).toISOString())
      }),
      { numRuns: 2000 }
    )
  })

  it("is toISOString around the ends of the four-digit years and at the epoch", () => {
    const edges = [0, -1, 1, 999, 1000, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1, MAX_MS, -MAX_MS]
    const zero = new Date(0)
    zero.setUTCFullYear(0, 0, 1)
    for (const ms of [...edges, zero.getTime(), zero.getTime() - 1, zero.getTime() + 1]) {
      expect(formatIsoUtcMillis(ms)).toBe(new Date(ms).toISOString())
    }
  })

  it("writes every field zero-padded (a day in the first millisecond of a minute)", () => {
    expect(formatIsoUtcMillis(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe("2026-01-02T03:04:05.006Z")
  })
})

describe("formatPyIsoUtc", () => {
  it("is toISOString's instant with Python's six-digit fraction (omitted when zero) and +00:00", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }), fc.integer({ min: 0, max: 999 }), (ms, us) => {
        const text = formatPyIsoUtc(BigInt(ms) * 1000n + BigInt(us))
        const iso = new Date(ms).toISOString()
        const fraction = (ms % 1000) * 1000 + us
        expect(text).toBe(iso.slice(0, 19) + (fraction === 0 ? "" : "." + String(fraction).padStart(6, "0")) + "+00:00")
      })
    )
  })
})
