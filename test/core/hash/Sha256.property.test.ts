/**
 * The plain SHA-256 against node's: the same digest for any bytes, however they are chunked, and from a
 * saved state resumed at any point (FIPS 180-4 vectors as fixed points).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import { Sha256, sha256HexOf } from "../../../src/core/hash/Sha256.js"

const nodeHex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")
const enc = new TextEncoder()

describe("Sha256", () => {
  it("FIPS 180-4 vectors", () => {
    expect(sha256HexOf(enc.encode(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    expect(sha256HexOf(enc.encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    expect(sha256HexOf(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )
    expect(sha256HexOf(new Uint8Array(1_000_000).fill(0x61))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  })

  it("every length around the padding boundaries", () => {
    for (let n = 0; n <= 200; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff)
      expect(sha256HexOf(b), String(n)).toBe(nodeHex(b))
    }
  })

  it("any bytes, any chunking, resumed from a saved state at any cut: node's digest", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(),
        (bytes, cuts, resumeAt) => {
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
          const resume = resumeAt % (bytes.length + 1)
          let h = new Sha256()
          let at = 0
          for (const p of [...points, bytes.length]) {
            if (resume > at && resume <= p) {
              h.update(bytes.subarray(at, resume))
              // what a checkpoint keeps: the state through a JSON round trip
              const saved = JSON.parse(JSON.stringify({ ...h.state(), pending: [...h.state().pending] }))
              h = new Sha256({ h: saved.h, pending: Uint8Array.from(saved.pending), length: saved.length })
              at = resume
            }
            h.update(bytes.subarray(at, p))
            at = p
          }
          expect(h.hex()).toBe(nodeHex(bytes))
          // hex() does not end the hash
          const more = Uint8Array.of(1, 2, 3)
          expect(h.update(more).hex()).toBe(nodeHex(Uint8Array.from([...bytes, ...more])))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("refuses a state that is not one", () => {
    expect(() => new Sha256({ h: [1, 2, 3], pending: new Uint8Array(0), length: 0 })).toThrow()
    expect(() => new Sha256({ h: new Array(8).fill(0), pending: new Uint8Array(3), length: 64 })).toThrow()
  })
})
