/**
 * The event log's lines from its bytes, chunk by chunk (status-model spec §2.3): strict UTF-8 (a line
 * that is not UTF-8 is a fault naming its line, never read with replacement characters), Python
 * `str.splitlines()` boundaries, each line stripped, numbered from 1 counting blank lines. Memory stays
 * bounded by the chunk and the longest line, so a log of any size can be read. Pure.
 */
import { Either } from "effect"
import { stripPy } from "../python/PyJson.js"
import { decodeUtf8, utf8FaultOf } from "../repo/Text.js"

/** A line that is not UTF-8: its number and the absolute offset of the first bad byte. */
export interface LineFault {
  readonly _tag: "NotUtf8"
  readonly line: number
  readonly byteOffset: number
}

/** Visits one stripped, non-blank line; returns false to stop. */
export type LineVisitor = (line: number, text: string) => boolean

// splitlines() boundaries other than "\n" ("\r\n" is one boundary)
const RARE_BREAK = /[\r\v\f\x1c-\x1e\x85\u2028\u2029]/
const RARE_BREAKS = /[\r\v\f\x1c-\x1e\x85\u2028\u2029]/g
const NEWLINE = 0x0a

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

const lastNewline = (bytes: Uint8Array): number => {
  for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] === NEWLINE) return i
  return -1
}

/**
 * The line splitter. `push` takes the next chunk and visits every line it completes; `finish` visits the
 * unterminated rest. `offset` and `line` always describe the end of the last complete ("\n"-terminated)
 * line, where a fold can be checkpointed.
 */
export class LogLines {
  #carry: Uint8Array = new Uint8Array(0)
  #offset: number
  #line: number
  #stopped = false

  constructor(offset = 0, line = 1) {
    this.#offset = offset
    this.#line = line
  }

  /** Bytes before the end of the last complete line. */
  get offset(): number {
    return this.#offset
  }

  /** The number the next line gets. */
  get line(): number {
    return this.#line
  }

  /** The bytes after the last "\n" seen so far (an unterminated last line). */
  get pending(): Uint8Array {
    return this.#carry
  }

  /** True once a visitor returned false. */
  get stopped(): boolean {
    return this.#stopped
  }

  /** Visits the lines the chunk completes; a fault or a stop ends the scan. The chunk is not kept. */
  push(chunk: Uint8Array, visit: LineVisitor): LineFault | null {
    if (this.#stopped) return null
    const last = lastNewline(chunk)
    if (last < 0) {
      this.#carry = concat(this.#carry, chunk)
      return null
    }
    const head = chunk.subarray(0, last + 1)
    const region = this.#carry.length === 0 ? head : concat(this.#carry, head)
    // a copy: the chunk may be a view of a buffer the reader fills again (and Buffer#slice does not copy)
    this.#carry = new Uint8Array(chunk.subarray(last + 1))
    return this.#region(region, visit, true)
  }

  /** Visits the unterminated rest of the file (a last line without "\n"), if any. */
  finish(visit: LineVisitor): LineFault | null {
    if (this.#stopped || this.#carry.length === 0) return null
    const rest = this.#carry
    this.#carry = new Uint8Array(0)
    return this.#region(rest, visit, false)
  }

  /** Decodes and visits a run of whole lines (`terminated`: it ends with "\n"). */
  #region(bytes: Uint8Array, visit: LineVisitor, terminated: boolean): LineFault | null {
    const decoded = decodeUtf8(bytes)
    if (Either.isLeft(decoded)) return this.#faulty(bytes, visit)
    const text = decoded.right
    const rare = RARE_BREAK.test(text)
    let start = 0
    while (start < text.length && !this.#stopped) {
      const nl = text.indexOf("\n", start)
      if (nl < 0) {
        this.#segment(text, start, text.length, rare, visit, false)
        break
      }
      this.#segment(text, start, nl, rare, visit, true)
      start = nl + 1
    }
    if (terminated) this.#offset += bytes.length
    return null
  }

  /** One "\n"-delimited segment: usually one line; with a rare boundary inside, several. */
  #segment(text: string, start: number, end: number, rare: boolean, visit: LineVisitor, newline: boolean): void {
    if (!rare) {
      const line = this.#line++
      const stripped = stripPy(text, start, end)
      if (stripped !== "" && !visit(line, stripped)) this.#stopped = true
      return
    }
    let seg = text.slice(start, end)
    // "\r\n" is one boundary
    if (newline && seg.endsWith("\r")) seg = seg.slice(0, -1)
    const parts = seg.split(RARE_BREAKS)
    const first = this.#line
    this.#line += parts.length
    for (let i = 0; i < parts.length; i++) {
      const stripped = stripPy(parts[i], 0, parts[i].length)
      if (stripped !== "" && !visit(first + i, stripped)) {
        this.#stopped = true
        return
      }
    }
  }

  /** A region that is not UTF-8: the good lines before the bad one are visited, then the bad one reported. */
  #faulty(bytes: Uint8Array, visit: LineVisitor): LineFault | null {
    let start = 0
    while (start < bytes.length && !this.#stopped) {
      const nl = bytes.indexOf(NEWLINE, start)
      const end = nl < 0 ? bytes.length : nl + 1
      const seg = bytes.subarray(start, end)
      const fault = utf8FaultOf(seg)
      if (fault !== null) return { _tag: "NotUtf8", line: this.#line, byteOffset: this.#offset + fault.byteOffset }
      this.#region(seg, visit, nl >= 0)
      start = end
    }
    return null
  }
}
