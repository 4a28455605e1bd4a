/**
 * A set of event ids that answers "certainly never seen" or "perhaps seen" in a few bits per id: a
 * scalable Bloom filter (layers of doubling capacity, ~1% false positives each). A fold checkpoint keeps
 * one instead of every id of the history, so a row appended later can be told new without re-reading
 * the log; a "perhaps" sends the reader back to the full fold (docs/status-model.md §7.7). Pure.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const BITS_PER_ID = 10
const HASHES = 7
const FIRST_CAPACITY = 1024

interface Layer {
  readonly capacity: number
  count: number
  readonly bits: Uint32Array
}

// FNV-1a and a second, independent 32-bit string hash (double hashing gives the k probes)
const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
const murmurish = (s: string): number => {
  let h = 0x9747b28c ^ s.length
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995)
    h ^= h >>> 15
  }
  return (h | 1) >>> 0
}

const layerOf = (capacity: number): Layer => ({
  capacity,
  count: 0,
  bits: new Uint32Array(Math.ceil((capacity * BITS_PER_ID) / 32))
})

const probe = (layer: Layer, h1: number, h2: number, set: boolean): boolean => {
  const m = layer.bits.length * 32
  let all = true
  for (let i = 0; i < HASHES; i++) {
    const bit = (h1 + Math.imul(i, h2)) >>> 0
    const at = bit % m
    const word = at >>> 5
    const mask = 1 << (at & 31)
    if ((layer.bits[word] & mask) === 0) {
      all = false
      if (!set) return false
      layer.bits[word] |= mask
    }
  }
  return all
}

/** The filter. */
export class IdFilter {
  readonly #layers: Array<Layer>

  private constructor(layers: Array<Layer>) {
    this.#layers = layers
  }

  /** An empty filter sized for about `expected` ids. */
  static empty(expected = FIRST_CAPACITY): IdFilter {
    return new IdFilter([layerOf(Math.max(FIRST_CAPACITY, expected))])
  }

  /** An independent copy. */
  copy(): IdFilter {
    return new IdFilter(this.#layers.map((l) => ({ capacity: l.capacity, count: l.count, bits: l.bits.slice() })))
  }

  /** False when `id` was certainly never added. */
  mightContain(id: string): boolean {
    const h1 = fnv1a(id)
    const h2 = murmurish(id)
    return this.#layers.some((layer) => probe(layer, h1, h2, false))
  }

  /** Adds an id (a new layer of twice the capacity opens when the last one is full). */
  add(id: string): void {
    let last = this.#layers[this.#layers.length - 1]
    if (last.count >= last.capacity) {
      last = layerOf(last.capacity * 2)
      this.#layers.push(last)
    }
    probe(last, fnv1a(id), murmurish(id), true)
    last.count++
  }

  /** The filter as bytes: a small header per layer, then its bits (little-endian words). */
  toBytes(): Uint8Array {
    const total = this.#layers.reduce((n, l) => n + 12 + l.bits.length * 4, 4)
    const out = new Uint8Array(total)
    const view = new DataView(out.buffer)
    view.setUint32(0, this.#layers.length, true)
    let at = 4
    for (const l of this.#layers) {
      view.setUint32(at, l.capacity, true)
      view.setUint32(at + 4, l.count, true)
      view.setUint32(at + 8, l.bits.length, true)
      at += 12
      if (LITTLE_ENDIAN) {
        // the words as they lie in memory: one copy, not a DataView call per word
        out.set(new Uint8Array(l.bits.buffer, l.bits.byteOffset, l.bits.byteLength), at)
        at += l.bits.length * 4
      } else {
        for (let i = 0; i < l.bits.length; i++, at += 4) view.setUint32(at, l.bits[i], true)
      }
    }
    return out
  }

  /** `base` (copied; none: an empty filter sized for the ids) with `ids` added. */
  static extended(base: IdFilter | null, ids: ReadonlyArray<string>): IdFilter {
    const out = base?.copy() ?? IdFilter.empty(Math.ceil(ids.length * 1.25))
    for (const id of ids) out.add(id)
    return out
  }

  /** Reads `toBytes` back; null when the bytes are not a filter. */
  static fromBytes(bytes: Uint8Array): IdFilter | null {
    if (bytes.length < 4) return null
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const n = view.getUint32(0, true)
    const layers: Array<Layer> = []
    let at = 4
    for (let k = 0; k < n; k++) {
      if (at + 12 > bytes.length) return null
      const capacity = view.getUint32(at, true)
      const count = view.getUint32(at + 4, true)
      const words = view.getUint32(at + 8, true)
      at += 12
      if (words === 0 || at + words * 4 > bytes.length) return null
      let bits: Uint32Array
      if (LITTLE_ENDIAN) {
        // an aligned copy of the words, read as they lie (Uint8Array#slice: a Buffer's slice would not copy)
        bits = new Uint32Array(Uint8Array.prototype.slice.call(bytes, at, at + words * 4).buffer)
        at += words * 4
      } else {
        bits = new Uint32Array(words)
        for (let i = 0; i < words; i++, at += 4) bits[i] = view.getUint32(at, true)
      }
      layers.push({ capacity, count, bits })
    }
    return layers.length === 0 || at !== bytes.length ? null : new IdFilter(layers)
  }
}
