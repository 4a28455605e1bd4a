/**
 * Reply verdicts and waits (docs/surfaces.md §8.5): full-jitter exponential backoff, `Retry-After` in
 * seconds or as an HTTP date, and which answers are retried, dead-lettered or stop delivery.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { backoffCeilingMs, fullJitterMs, parseRetryAfter, retryDelayMs, verdictOf } from "../../../src/core/sync/Backoff.js"

const response = (status: number, retryAfter: string | null = null) => ({ _tag: "Response" as const, status, retryAfter, body: "" })

describe("verdicts", () => {
  it("2xx acknowledged; network, timeout, 408 and 5xx transient; 429 throttled; setup refusals; other 4xx rejected", () => {
    assert.strictEqual(verdictOf(response(200), 0)._tag, "Acknowledged")
    assert.strictEqual(verdictOf(response(202), 0)._tag, "Acknowledged")
    assert.strictEqual(verdictOf({ _tag: "Failed", reason: "timeout", detail: "x" }, 0)._tag, "Transient")
    assert.strictEqual(verdictOf({ _tag: "Failed", reason: "network", detail: "ECONNREFUSED" }, 0)._tag, "Transient")
    for (const s of [408, 500, 502, 503, 504]) assert.strictEqual(verdictOf(response(s), 0)._tag, "Transient", String(s))
    assert.deepStrictEqual(verdictOf(response(429, "7"), 0), { _tag: "Throttled", reason: "HTTP 429", retryAfterMs: 7000 })
    for (const s of [301, 307, 401, 403, 404, 405, 407]) assert.strictEqual(verdictOf(response(s), 0)._tag, "Refused", String(s))
    for (const s of [400, 409, 413, 415, 422]) assert.strictEqual(verdictOf(response(s), 0)._tag, "Rejected", String(s))
  })

  it("Retry-After: delta seconds or an HTTP date, never negative; unreadable means none", () => {
    const now = Date.parse("2026-03-01T12:00:00Z")
    assert.strictEqual(parseRetryAfter("120", now), 120_000)
    assert.strictEqual(parseRetryAfter(" 0 ", now), 0)
    assert.strictEqual(parseRetryAfter("Sun, 01 Mar 2026 12:00:30 GMT", now), 30_000)
    assert.strictEqual(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now), 0)
    assert.isNull(parseRetryAfter("soon", now))
    assert.isNull(parseRetryAfter(null, now))
    assert.strictEqual((verdictOf(response(503, "3"), now) as { retryAfterMs: number }).retryAfterMs, 3000)
  })

  it("the server's Retry-After wins over the backoff", () => {
    const policy = { baseMs: 500, capMs: 60_000 }
    assert.strictEqual(retryDelayMs(verdictOf(response(429, "2"), 0), 5, policy, 0.9), 2000)
    assert.strictEqual(retryDelayMs(verdictOf(response(429), 0), 0, policy, 0.5), 250)
  })

  it("property: full jitter stays in [0, min(cap, base·2^attempt)) and the ceiling never decreases (seed 42)", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.integer({ min: 0, max: 60 }),
        FastCheck.integer({ min: 1, max: 10_000 }),
        FastCheck.integer({ min: 1, max: 3_600_000 }),
        FastCheck.double({ min: 0, max: 1, noNaN: true }),
        (attempt, base, cap, u) => {
          const ceiling = backoffCeilingMs(attempt, base, cap)
          assert.isAtMost(ceiling, cap)
          assert.isAtLeast(backoffCeilingMs(attempt + 1, base, cap), ceiling)
          const d = fullJitterMs(ceiling, u)
          assert.isAtLeast(d, 0)
          assert.isTrue(d < ceiling || ceiling === 0)
        }
      ),
      { seed: 42, numRuns: 300 }
    )
  })
})
