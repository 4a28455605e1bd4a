/**
 * The checkpoint's id filter: no false negatives, across layers, and its bytes (a header per layer, then
 * the bit words little-endian) read back into a filter that answers alike.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { IdFilter } from "../../../src/core/status/IdFilter.js"

/** The documented layout, written word by word (independent of the filter's own encoder). */
const layoutOf = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const layers: Array<{ capacity: number; count: number; words: Array<number> }> = []
  let at = 4
  for (let k = 0; k < view.getUint32(0, true); k++) {
    const words = view.getUint32(at + 8, true)
    layers.push({
      capacity: view.getUint32(at, true),
      count: view.getUint32(at + 4, true),
      words: Array.from({ length: words }, (_, i) => view.getUint32(at + 12 + i * 4, true))
    })
    at += 12 + words * 4
  }
  assert.strictEqual(at, bytes.length)
  return layers
}

describe("IdFilter", () => {
  it.prop("every added id is perhaps seen, before and after its bytes are read back", [fc.uniqueArray(fc.string(), { maxLength: 3000 })], ([ids]) => {
    const filter = IdFilter.empty()
    for (const id of ids) filter.add(id)
    const bytes = filter.toBytes()
    const back = IdFilter.fromBytes(bytes)
    assert.isNotNull(back)
    for (const id of ids) {
      assert.isTrue(filter.mightContain(id))
      assert.isTrue(back!.mightContain(id))
    }
    assert.deepStrictEqual(back!.toBytes(), bytes)
  })

  it("writes the documented layout: layer count, then per layer capacity, count, word count and the words", () => {
    const filter = IdFilter.empty()
    for (let i = 0; i < 2500; i++) filter.add(`01KB${String(i).padStart(22, "0")}`)
    const layers = layoutOf(filter.toBytes())
    assert.deepStrictEqual(layers.map((l) => [l.capacity, l.count]), [[1024, 1024], [2048, 1476]])
    assert.strictEqual(layers[0].words.length, Math.ceil((1024 * 10) / 32))
    assert.isTrue(layers.every((l) => l.words.some((w) => w !== 0)))
    // the bits set are the probes of the ids added: at most 7 per id in each layer
    assert.isAtMost(layers[0].words.reduce((n, w) => n + popcount(w), 0), 1024 * 7)
    assert.isAtMost(layers[1].words.reduce((n, w) => n + popcount(w), 0), 1476 * 7)
  })

  it("declines bytes that are not a filter", () => {
    assert.isNull(IdFilter.fromBytes(new Uint8Array(0)))
    const bytes = IdFilter.empty().toBytes()
    assert.isNull(IdFilter.fromBytes(bytes.subarray(0, bytes.length - 1)))
    assert.isNull(IdFilter.fromBytes(new Uint8Array([...bytes, 0])))
  })
})

const popcount = (w: number) => {
  let n = 0
  for (let x = w >>> 0; x !== 0; x >>>= 1) n += x & 1
  return n
}
