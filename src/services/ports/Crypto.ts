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
