/**
 * The block hasher (the checkpoint's and the cursor's record of a log's prefix) against node's SHA-256 of
 * each block: any bytes, block size and chunking, with or without the kept block (plain hash for a short
 * block, node's past it), and resumed from its saved state at any point. Random bytes and UUIDs.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import { BlockHasher, randomBytes, randomUUID, sha256Hex } from "../../../src/services/ports/Crypto.js"

const reference = (bytes: Uint8Array, block: number): Array<string> => {
  const out: Array<string> = []
  for (let at = 0; at < bytes.length; at += block) out.push(createHash("sha256").update(bytes.subarray(at, at + block)).digest("hex"))
  return out
}

describe("BlockHasher", () => {
  it("node's digest of every block, however fed, kept or not, and resumed from its saved state", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 90_000 }),
        fc.constantFrom(1000, 20_000, 70_000),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        fc.nat(),
        (size, block, cuts, keep, resumeAt) => {
          const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff)
          const points = [...new Set(cuts.map((c) => c % (size + 1))), size].sort((a, b) => a - b)
          const h = new BlockHasher(block, [], { keepBlock: keep })
          let at = 0
          for (const p of points) {
            h.update(bytes.subarray(at, p))
            at = p
          }
          expect(h.digests()).toEqual(reference(bytes, block))
          expect(h.length).toBe(size)
          // resume at a cut: the saved state of the partial block, the full blocks, then the rest
          const cut = resumeAt % (size + 1)
          const first = new BlockHasher(block, [], { keepBlock: true })
          first.update(bytes.subarray(0, cut))
          const mid = first.midstate()
          if (cut % block === 0) expect(mid).toBeNull()
          else {
            const resumed = new BlockHasher(block, first.blocks, { resume: mid! })
            resumed.update(bytes.subarray(cut))
            expect(resumed.digests()).toEqual(reference(bytes, block))
          }
        }
      ),
      { numRuns: 150 }
    )
  })

  it("sha256Hex: node's digest below and above the plain hash's size", () => {
    for (const n of [0, 1, 16 * 1024, 16 * 1024 + 1, 100_000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => i & 0xff)
      expect(sha256Hex(b)).toBe(createHash("sha256").update(b).digest("hex"))
    }
    expect(sha256Hex("é")).toBe(createHash("sha256").update("é").digest("hex"))
  })

  it("random bytes and version-4 UUIDs", () => {
    const a = randomBytes(32)
    expect(a.length).toBe(32)
    expect(a.equals(randomBytes(32))).toBe(false)
    const ids = new Set(Array.from({ length: 200 }, () => randomUUID()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
