/**
 * Strict UTF-8 decoding of repository files: the platform decoder, checked against an independent
 * reading (code points assembled by hand, RFC 3629) on random byte strings that are valid, almost valid
 * and not at all.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import { decodeUtf8, decodeUtf8Lossy, utf8FaultOf } from "../../../src/core/repo/Text.js"

const encoder = new TextEncoder()

describe("decodeUtf8", () => {
  it("gives the text of valid UTF-8, a BOM kept as U+FEFF", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.boolean(), (s, bom) => {
        const text = (bom ? "\uFEFF" : "") + s
        const decoded = decodeUtf8(encoder.encode(text))
        expect(decoded).toEqual(Either.right(text))
      })
    )
  })

  it("refuses invalid UTF-8 at the same place as the independent reading, and never decodes it", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // mostly valid: a valid encoding with one byte replaced
      fc.tuple(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(
        ([s, at, b]) => {
          const e = encoder.encode(s)
          e[at % e.length] = b
          return e
        }
      )
    )
    fc.assert(
      fc.property(bytes, (b) => {
        const fault = utf8FaultOf(b)
        const decoded = decodeUtf8(b)
        if (fault === null) expect(decoded).toEqual(Either.right(new TextDecoder("utf-8", { ignoreBOM: true }).decode(b)))
        else {
          expect(decoded).toEqual(Either.left(fault))
          expect(decodeUtf8Lossy(b).replaced).toBe(true)
        }
      }),
      { numRuns: 2000 }
    )
  })

  it("decodes a large ASCII log whole (one string, every byte)", () => {
    const line = '{"event_id": "01KB1G00000000000000000000", "to_lane": "planned"}\n'
    const text = line.repeat(50_000)
    const decoded = decodeUtf8(encoder.encode(text))
    expect(Either.isRight(decoded) && decoded.right.length).toBe(text.length)
    expect(Either.getOrThrow(decoded) === text).toBe(true)
  })

  it("names the line and byte offset of the first invalid sequence", () => {
    const b = encoder.encode("ok\nstill ok\nbad: ")
    const bad = new Uint8Array([...b, 0xc3, 0x28, 0x0a])
    expect(decodeUtf8(bad)).toEqual(Either.left({ line: 3, byteOffset: b.length }))
  })
})
