/**
 * SHA-256 (FIPS 180-4) in plain code, with a state that can be saved and resumed. Two reasons to have it
 * beside node's: a short-lived command that hashes a few kilobytes (a checkpoint's tail, a line it
 * appended) does not pay for loading `node:crypto` (about 9 ms here, more than the command's own work),
 * and a hash of a growing log's last block is continued from its saved state instead of being re-read
 * and re-hashed (docs/status-model.md §7.7). The digests are SHA-256's: tests compare them with
 * `node:crypto` on random inputs, chunkings and resumptions.
 */

const primes = (n: number): Array<number> => {
  const out: Array<number> = []
  for (let c = 2; out.length < n; c++) if (out.every((p) => c % p !== 0)) out.push(c)
  return out
}

/** The first 32 bits of the fractional part of `x` (x > 1, below 2^20), as a signed 32-bit word. */
const fractionBits = (x: number): number => Math.floor((x - Math.floor(x)) * 0x100000000) | 0

// the initial hash value (square roots of the first 8 primes) and the round constants (cube roots of
// the first 64 primes), computed as FIPS 180-4 §4.2.2 and §5.3.3 define them
const PRIMES = primes(64)
const H0 = Int32Array.from(PRIMES.slice(0, 8), (p) => fractionBits(Math.sqrt(p)))
const K = Int32Array.from(PRIMES, (p) => fractionBits(Math.cbrt(p)))

/** A saved SHA-256 state: the chaining value, the bytes of the unfinished 64-byte block, the length. */
export interface Sha256State {
  readonly h: ReadonlyArray<number>
  readonly pending: Uint8Array
  readonly length: number
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))

/** An incremental SHA-256. */
export class Sha256 {
  readonly #h: Int32Array
  readonly #block = new Uint8Array(64)
  readonly #w = new Int32Array(64)
  #fill = 0
  #length = 0

  constructor(state?: Sha256State) {
    if (state === undefined) {
      this.#h = Int32Array.from(H0)
      return
    }
    if (state.h.length !== 8 || state.pending.length >= 64 || state.length % 64 !== state.pending.length) {
      throw new Error("Sha256: not a saved state")
    }
    this.#h = Int32Array.from(state.h, (x) => x | 0)
    this.#block.set(state.pending)
    this.#fill = state.pending.length
    this.#length = state.length
  }

  /** Feeds bytes. */
  update(data: Uint8Array): this {
    let at = 0
    this.#length += data.length
    if (this.#fill > 0) {
      const n = Math.min(64 - this.#fill, data.length)
      this.#block.set(data.subarray(0, n), this.#fill)
      this.#fill += n
      at = n
      if (this.#fill < 64) return this
      this.#compress(this.#block, 0)
      this.#fill = 0
    }
    for (; at + 64 <= data.length; at += 64) this.#compress(data, at)
    if (at < data.length) {
      this.#block.set(data.subarray(at), 0)
      this.#fill = data.length - at
    }
    return this
  }

  /** What has been fed so far, to resume from with `new Sha256(state)`. */
  state(): Sha256State {
    return { h: Array.from(this.#h), pending: this.#block.slice(0, this.#fill), length: this.#length }
  }

  /** The digest of what has been fed so far, as lowercase hex (the hash can go on being fed). */
  hex(): string {
    const copy = new Sha256(this.state())
    const bits = copy.#length * 8
    const tail = new Uint8Array((copy.#fill < 56 ? 64 : 128) - copy.#fill)
    tail[0] = 0x80
    // the length in bits, big-endian in the last 8 bytes (below 2^53)
    const view = new DataView(tail.buffer)
    view.setUint32(tail.length - 8, Math.floor(bits / 0x100000000))
    view.setUint32(tail.length - 4, bits >>> 0)
    copy.update(tail)
    let out = ""
    for (const word of copy.#h) out += (word >>> 0).toString(16).padStart(8, "0")
    return out
  }

  #compress(data: Uint8Array, at: number): void {
    const w = this.#w
    for (let i = 0; i < 16; i++) {
      const j = at + i * 4
      w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3]
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]
      const b = w[i - 2]
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0
    }
    const h = this.#h
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7]
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
      k = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h[0] = (h[0] + a) | 0
    h[1] = (h[1] + b) | 0
    h[2] = (h[2] + c) | 0
    h[3] = (h[3] + d) | 0
    h[4] = (h[4] + e) | 0
    h[5] = (h[5] + f) | 0
    h[6] = (h[6] + g) | 0
    h[7] = (h[7] + k) | 0
  }
}

/** The SHA-256 of `data`, as lowercase hex. */
export const sha256HexOf = (data: Uint8Array): string => new Sha256().update(data).hex()
