/**
 * Text of repository files: strict UTF-8 (a file that is not UTF-8 is refused, never read with
 * replacement characters that a later write would bake in), and code-point order (Python's `str` order).
 */
import { Either } from "effect"

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** Where the first invalid UTF-8 sequence is: the 1-based line and the byte offset. */
export interface Utf8Fault {
  readonly line: number
  readonly byteOffset: number
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid (RFC 3629). */
const sequenceLength = (b: Uint8Array, i: number): number => {
  const c = b[i]
  if (c < 0x80) return 1
  const cont = (k: number) => i + k < b.length && (b[i + k] & 0xc0) === 0x80
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0
    const d = b[i + 1]
    if (c === 0xe0 && d < 0xa0) return 0
    if (c === 0xed && d > 0x9f) return 0
    return 3
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0
    const d = b[i + 1]
    if (c === 0xf0 && d < 0x90) return 0
    if (c === 0xf4 && d > 0x8f) return 0
    return 4
  }
  return 0
}

/** The first invalid sequence of `bytes`, or null when they are valid UTF-8. */
export const utf8FaultOf = (bytes: Uint8Array): Utf8Fault | null => {
  let line = 1
  for (let i = 0; i < bytes.length;) {
    if (bytes[i] === 0x0a) line++
    const n = sequenceLength(bytes, i)
    if (n === 0) return { line, byteOffset: i }
    i += n
  }
  return null
}

/**
 * Strict UTF-8 decoding (a BOM is kept as U+FEFF). The platform's decoder does it all: it validates
 * natively and gives ASCII input a one-byte string. (A JavaScript pre-scan for ASCII, here before, ran
 * in V8's interpreter in a short-lived process: 4 ms for a 27 KB log, 22 times the decoder.)
 */
export const decodeUtf8 = (bytes: Uint8Array): Either.Either<string, Utf8Fault> => {
  try {
    return Either.right(strict.decode(bytes))
  } catch {
    return Either.left(utf8FaultOf(bytes) ?? { line: 1, byteOffset: 0 })
  }
}

/** Python's `str` ordering: by code point (JavaScript's `<` compares UTF-16 units). */
export const compareCodePoints = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // a surrogate (a code point above U+FFFF) sorts after every BMP unit above it
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}

const lossy = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/**
 * Display-only decoding: invalid sequences become U+FFFD and `replaced` says so. Never use it for text
 * that is written back (a write would bake the replacements in); read-only views flag it instead.
 */
export const decodeUtf8Lossy = (bytes: Uint8Array): { readonly text: string; readonly replaced: boolean } => {
  const strictText = decodeUtf8(bytes)
  return Either.isRight(strictText) ? { text: strictText.right, replaced: false } : { text: lossy.decode(bytes), replaced: true }
}
