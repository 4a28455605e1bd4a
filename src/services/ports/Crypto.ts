/**
 * SHA-256 and randomness, the one use of `node:crypto`, loaded on first use: node compiles crypto's
 * internal modules when it is first required (several milliseconds), and the read-only hot commands
 * (`status show`, `context resolve`) never hash or draw a random number on a short log
 * (docs/ARCHITECTURE.md, "Start-up").
 */
import type { Hash } from "node:crypto"
import { createRequire } from "node:module"

type NodeCrypto = typeof import("node:crypto")

let loaded: NodeCrypto | undefined
const nodeCrypto = (): NodeCrypto => (loaded ??= createRequire(import.meta.url)("node:crypto") as NodeCrypto)

export type { Hash }

/** An incremental SHA-256. */
export const sha256 = (): Hash => nodeCrypto().createHash("sha256")

/** The SHA-256 of bytes or of a string's UTF-8, as lowercase hex. */
export const sha256Hex = (data: string | Uint8Array): string => sha256().update(data).digest("hex")

/** `n` random bytes. */
export const randomBytes = (n: number): Buffer => nodeCrypto().randomBytes(n)

/** A random RFC 4122 version 4 UUID. */
export const randomUUID = (): string => nodeCrypto().randomUUID()

/**
 * The block size of a block hash: a log hashed in blocks of this size is verified after an append by
 * re-hashing only its last block (docs/status-model.md §7.7, docs/surfaces.md §8.5).
 */
export const BLOCK_BYTES = 1024 * 1024

/** How many bytes before an offset a block hash keeps apart (`tail`) and a grown log re-verifies. */
export const TAIL_BYTES = 4096

/**
 * SHA-256 of a byte stream in fixed blocks, fed in order: the one way a log's prefix is recorded and
 * checked (the fold checkpoint and the sync cursor). Also keeps the last `TAIL_BYTES` fed.
 */
export class BlockHasher {
  readonly blocks: Array<string>
  #current: Hash = sha256()
  #filled = 0
  #recent: Uint8Array = new Uint8Array(0)

  constructor(readonly blockBytes: number, blocks: ReadonlyArray<string> = []) {
    this.blocks = [...blocks]
  }

  /** Keeps the last `TAIL_BYTES` seen (for the tail hash) without hashing them into a block. */
  remember(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#recent.length + bytes.length)
    joined.set(this.#recent, 0)
    joined.set(bytes, this.#recent.length)
    this.#recent = joined.subarray(Math.max(0, joined.length - TAIL_BYTES))
  }

  /** sha256 of the last `TAIL_BYTES` fed. */
  tail(): string {
    return sha256Hex(this.#recent)
  }

  /** How many bytes were fed (the blocks given to the constructor count as full). */
  get length(): number {
    return this.blocks.length * this.blockBytes + this.#filled
  }

  update(bytes: Uint8Array): void {
    this.remember(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)))
    let at = 0
    while (at < bytes.length) {
      const n = Math.min(this.blockBytes - this.#filled, bytes.length - at)
      this.#current.update(bytes.subarray(at, at + n))
      this.#filled += n
      at += n
      if (this.#filled === this.blockBytes) {
        this.blocks.push(this.#current.digest("hex"))
        this.#current = sha256()
        this.#filled = 0
      }
    }
  }

  /** The block hashes of everything fed so far (the partial last block included). */
  digests(): Array<string> {
    return this.#filled === 0 ? [...this.blocks] : [...this.blocks, this.#current.copy().digest("hex")]
  }
}

/** True when two lists of block hashes are the same. */
export const sameBlocks = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** Where the block holding the byte before `offset` starts (0 for offset 0). */
export const lastBlockStart = (offset: number, block: number): number =>
  offset === 0 ? 0 : Math.floor((offset - 1) / block) * block

/**
 * Where re-verifying a prefix `[0, offset)` that only grew starts: the first block holding any of its last
 * `TAIL_BYTES` (so at least that many bytes, and at most a block and `TAIL_BYTES`, are re-hashed).
 */
export const verifyFrom = (offset: number, block: number): number =>
  Math.min(lastBlockStart(offset, block), Math.floor(Math.max(0, offset - TAIL_BYTES) / block) * block)
