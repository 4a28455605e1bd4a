/**
 * SHA-256 and randomness. `node:crypto` is loaded on first use and only for what needs it: node compiles
 * crypto's internal modules when it is first required (about 9 ms here), so a short command hashes its
 * few kilobytes with the plain SHA-256 of `core/hash` (same digests) and draws random bytes from the
 * kernel's `/dev/urandom` (docs/ARCHITECTURE.md, "Start-up"); node's hash does the bulk (a log's blocks).
 */
import type { Hash } from "node:crypto"
import { closeSync, openSync, readSync } from "node:fs"
import { createRequire } from "node:module"
import { Sha256, sha256HexOf } from "../../core/hash/Sha256.js"
import type { Sha256State } from "../../core/hash/Sha256.js"

type NodeCrypto = typeof import("node:crypto")

let loaded: NodeCrypto | undefined
const nodeCrypto = (): NodeCrypto => (loaded ??= createRequire(import.meta.url)("node:crypto") as NodeCrypto)

export type { Hash, Sha256State }

/** Up to this many bytes are hashed by the plain SHA-256 (cheaper than loading node's below it). */
const SMALL_BYTES = 16 * 1024

/** An incremental SHA-256 (node's). */
export const sha256 = (): Hash => nodeCrypto().createHash("sha256")

/** The SHA-256 of bytes or of a string's UTF-8, as lowercase hex. */
export const sha256Hex = (data: string | Uint8Array): string => {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data
  return bytes.length <= SMALL_BYTES ? sha256HexOf(bytes) : sha256().update(bytes).digest("hex")
}

/** `n` random bytes from the kernel (`/dev/urandom`; node's generator where there is none). */
export const randomBytes = (n: number): Buffer => {
  const out = Buffer.alloc(n)
  let fd: number | null = null
  try {
    fd = openSync("/dev/urandom", "r")
    let at = 0
    while (at < n) {
      const got = readSync(fd, out, at, n - at, null)
      if (got <= 0) throw new Error("short read")
      at += got
    }
    return out
  } catch {
    return nodeCrypto().randomBytes(n)
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

/** A random RFC 4122 version 4 UUID. */
export const randomUUID = (): string => {
  const b = randomBytes(16)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = b.toString("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * The block size of a block hash: a log hashed in blocks of this size is verified after an append by
 * re-hashing only its last block (docs/status-model.md §7.7, docs/surfaces.md §8.5).
 */
export const BLOCK_BYTES = 1024 * 1024

/** How many bytes before an offset a block hash keeps apart (`tail`) and a grown log re-verifies. */
export const TAIL_BYTES = 4096

/**
 * SHA-256 of a byte stream in fixed blocks, fed in order: the one way a log's prefix is recorded and
 * checked (the fold checkpoint and the sync cursor). Also keeps the last `TAIL_BYTES` fed. The block being
 * filled is hashed by node's SHA-256, or, for a hasher resumed from a saved state (`midstate`), by the
 * plain one from that state, so a writer goes on from a checkpoint without re-reading the block.
 */
export class BlockHasher {
  readonly blocks: Array<string>
  #native: Hash | null = null
  #plain: Sha256 | null = null
  /** The plain hash was started for a short kept block (node's takes over past `SMALL_BYTES`). */
  #plainFromStart = false
  #filled = 0
  #recent: Uint8Array = new Uint8Array(0)
  /** With `keepBlock`, the bytes of the block being filled (for `midstate` of a node-hashed block). */
  #kept: Array<Uint8Array> | null

  constructor(
    readonly blockBytes: number,
    blocks: ReadonlyArray<string> = [],
    options: { readonly resume?: Sha256State; readonly keepBlock?: boolean } = {}
  ) {
    this.blocks = [...blocks]
    this.#kept = options.keepBlock === true ? [] : null
    if (options.resume !== undefined) {
      if (options.resume.length <= 0 || options.resume.length >= blockBytes) throw new Error("BlockHasher: not a block's state")
      this.#plain = new Sha256(options.resume)
      this.#filled = options.resume.length
    }
  }

  /** Keeps the last `TAIL_BYTES` seen (for the tail hash) without hashing them into a block. */
  remember(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#recent.length + bytes.length)
    joined.set(this.#recent, 0)
    joined.set(bytes, this.#recent.length)
    this.#recent = joined.subarray(Math.max(0, joined.length - TAIL_BYTES))
  }

  /** The last `TAIL_BYTES` fed (fewer at the start of a stream). */
  recent(): Uint8Array {
    return this.#recent.slice()
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
      const part = bytes.subarray(at, at + n)
      if (this.#kept !== null) this.#kept.push(part.slice())
      if (this.#plain === null && this.#native === null && this.#kept !== null && this.#filled + n <= SMALL_BYTES) {
        // a kept block starts with the plain hash: a short log is hashed without loading node:crypto
        this.#plain = new Sha256()
        this.#plainFromStart = true
      }
      if (this.#plain !== null && this.#plainFromStart && this.#filled + n > SMALL_BYTES) {
        // the block outgrew the plain hash: node's takes over from the block's kept bytes
        this.#plain = null
        this.#plainFromStart = false
        this.#native = sha256()
        for (const kept of this.#kept!) this.#native.update(kept)
      } else if (this.#plain !== null) this.#plain.update(part)
      else (this.#native ??= sha256()).update(part)
      this.#filled += n
      at += n
      if (this.#filled === this.blockBytes) {
        this.blocks.push(this.#plain !== null ? this.#plain.hex() : this.#native!.digest("hex"))
        // a resumed hasher goes on with the plain hash (it is fed a writer's few new bytes)
        this.#plain = this.#plain !== null && !this.#plainFromStart ? new Sha256() : null
        this.#plainFromStart = false
        this.#native = null
        if (this.#kept !== null) this.#kept = []
        this.#filled = 0
      }
    }
  }

  /** The block hashes of everything fed so far (the partial last block included). */
  digests(): Array<string> {
    if (this.#filled === 0) return [...this.blocks]
    return [...this.blocks, this.#plain !== null ? this.#plain.hex() : this.#native!.copy().digest("hex")]
  }

  /**
   * The saved state of the partial last block, to resume from (null: no partial block, or its bytes were
   * hashed by node's SHA-256 without `keepBlock`).
   */
  midstate(): Sha256State | null {
    if (this.#filled === 0) return null
    if (this.#plain !== null) return this.#plain.state()
    if (this.#kept === null) return null
    const plain = new Sha256()
    for (const part of this.#kept) plain.update(part)
    return plain.state()
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
