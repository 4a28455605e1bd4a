import { assert, describe, it } from "@effect/vitest"
import {
  constantTimeEqual,
  healthMatches,
  isAllowedHost,
  isAllowedOrigin,
  isToken,
  judgeShutdown,
  portCandidates
} from "../../../src/core/background/LoopbackRules.js"

describe("loopback rules", () => {
  it("accepts only the loopback Host with the server's port", () => {
    assert.isTrue(isAllowedHost("127.0.0.1:9237", 9237))
    assert.isTrue(isAllowedHost("LOCALHOST:9237", 9237))
    for (const h of [undefined, "evil.example:9237", "127.0.0.1", "127.0.0.1:9238", "localhost", "[::1]:9237", "127.0.0.1:9237.evil"]) {
      assert.isFalse(isAllowedHost(h, 9237), String(h))
    }
  })

  it("an Origin must be the server's own; no Origin is fine", () => {
    assert.isTrue(isAllowedOrigin(undefined, 9237))
    assert.isTrue(isAllowedOrigin("http://localhost:9237", 9237))
    assert.isFalse(isAllowedOrigin("http://evil.example", 9237))
    assert.isFalse(isAllowedOrigin("null", 9237))
  })

  it("judges shutdown bodies", () => {
    const t = "0123456789abcdef0123456789abcdef"
    assert.strictEqual(judgeShutdown(JSON.stringify({ token: t }), t), "accept")
    assert.strictEqual(judgeShutdown(JSON.stringify({ token: t.slice(1) + "0" }), t), "invalid_token")
    assert.strictEqual(judgeShutdown(JSON.stringify({ token: "" }), t), "invalid_token")
    for (const b of ["", "[]", "null", "{\"token\": 5}", "{", "\"x\""]) assert.strictEqual(judgeShutdown(b, t), "invalid_payload", b)
  })

  it("constant-time comparison is still a comparison", () => {
    assert.isTrue(constantTimeEqual("abc", "abc"))
    assert.isFalse(constantTimeEqual("abc", "abd"))
    assert.isFalse(constantTimeEqual("abc", "ab"))
    assert.isFalse(constantTimeEqual("", "a"))
    assert.isTrue(isToken("0123456789abcdef0123456789abcdef"))
    assert.isFalse(isToken("0123456789ABCDEF0123456789abcdef"))
  })

  it("port candidates: the preferred port first, then the range without repeating it", () => {
    assert.deepStrictEqual(portCandidates({ first: 10, last: 13 }, 12), [12, 10, 11, 13])
    assert.deepStrictEqual(portCandidates({ first: 10, last: 11 }, null), [10, 11])
    assert.deepStrictEqual(portCandidates({ first: 10, last: 11 }, 0), [10, 11])
  })

  it("a health body matches only the expected instance", () => {
    assert.isTrue(healthMatches({ status: "ok", instance_id: "a", pid: 3 }, { instance_id: "a", pid: 3 }))
    assert.isFalse(healthMatches({ status: "ok", instance_id: "b" }, { instance_id: "a" }))
    assert.isFalse(healthMatches({ status: "down", instance_id: "a" }, { instance_id: "a" }))
    assert.isFalse(healthMatches(null, {}))
  })
})
