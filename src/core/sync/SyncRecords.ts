/**
 * The records forwarding keeps under the runtime root (docs/surfaces.md §8.1, §8.5): the registered
 * projects, one cursor per log, the delivery state per project, and dead letters. Each decoder returns a
 * problem description rather than guessing: a record that cannot be trusted is reported, never read as
 * absent.
 */
import { Either } from "effect"
import { isJsonObject } from "../python/PyJson.js"

/** A registered project. */
export interface ProjectEntry {
  /** The canonical primary root. */
  readonly root: string
  readonly registered_at: string
}

/** `projects.json`. */
export interface ProjectList {
  readonly projects: ReadonlyArray<ProjectEntry>
}

/** The `schema` values of the records. */
export const PROJECTS_SCHEMA = "kittyctx.sync-projects/v1"
export const CURSOR_SCHEMA = "kittyctx.sync-cursor/v2"
export const STATE_SCHEMA = "kittyctx.sync-state/v1"

const problem = (what: string) => Either.left(what)

/** Decodes `projects.json`. */
export const decodeProjects = (value: unknown): Either.Either<ProjectList, string> => {
  if (!isJsonObject(value) || !Array.isArray(value.projects)) return problem("expected {\"projects\": [...]}")
  const out: Array<ProjectEntry> = []
  for (const p of value.projects) {
    if (!isJsonObject(p) || typeof p.root !== "string" || !p.root.startsWith("/") || typeof p.registered_at !== "string") {
      return problem("a project entry is not {\"root\": absolute path, \"registered_at\": time}")
    }
    out.push({ root: p.root, registered_at: p.registered_at })
  }
  return Either.right({ projects: out })
}

/** Encodes `projects.json` (sorted by root, one entry per root). */
export const encodeProjects = (list: ProjectList): string => {
  const byRoot = new Map(list.projects.map((p) => [p.root, p]))
  const projects = [...byRoot.values()].sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0))
  return JSON.stringify({ schema: PROJECTS_SCHEMA, projects }, null, 2) + "\n"
}

/** What identifies one state of a log file without reading it. */
export interface LogSignature {
  readonly size: number
  readonly mtime_ns: string
  readonly ino: number
}

/** True when two signatures name the same state of a file. */
export const sameSignature = (a: LogSignature | null | undefined, b: LogSignature | null | undefined): boolean =>
  a != null && b != null && a.size === b.size && a.mtime_ns === b.mtime_ns && a.ino === b.ino

/** The cursor's key: the canonical project root and the mission (`mission_id`, else `legacy:<dir>`). */
export interface CursorKey {
  readonly project_root: string
  readonly mission: string
}

/** The mission part of a cursor key. */
export const missionKeyOf = (missionId: string | null, slug: string): string => missionId ?? `legacy:${slug}`

/** The key as one string (NUL-joined, docs/surfaces.md §8.5). */
export const cursorKeyText = (key: CursorKey): string => `${key.project_root}\u0000${key.mission}`

/** The file a log's bytes were read from (an append keeps it; a replacement by rename changes it). */
export interface LogFileId {
  readonly dev: number
  readonly ino: number
}

/**
 * How a cursor records the bytes before its offset: the SHA-256 of each block (`block_bytes`, the last one
 * partial, as the fold checkpoint does), or, in a version-1 cursor, one SHA-256 of all of them.
 */
export type CursorPrefix =
  | { readonly _tag: "Blocks"; readonly block_bytes: number; readonly blocks: ReadonlyArray<string> }
  | { readonly _tag: "Sha256"; readonly sha256: string }

/**
 * Where delivery of one log stands (docs/surfaces.md §8.5): everything before `offset` is handled, and the
 * seen ids (a file of their own, appended before the head is written, so a crash leaves more ids than the
 * head counts, never fewer) hold every delivered id. The head is read on every round; the ids only when a
 * round needs them.
 */
export interface CursorHead {
  /** The log's path when the cursor was written (another path means: rescan). */
  readonly path: string
  /** Byte offset after the last handled line. */
  readonly offset: number
  /** The bytes [0, offset): a different prefix means the log was rewritten (rescan, send only new ids). */
  readonly prefix: CursorPrefix
  /** The file the prefix was read from (null in a version-1 cursor). */
  readonly file: LogFileId | null
  /**
   * The log's size, mtime and inode when every one of its complete lines was handled: while they are
   * unchanged the log need not be read again (an append or a rewrite changes them).
   */
  readonly signature: LogSignature | null
  /** How many ids the seen ids hold (their file may hold more: it is appended first). */
  readonly seen_count: number
  /** The length of the seen-ids lines that hold `seen_count` ids; null in a version-1 cursor (a JSON seen file). */
  readonly seen_bytes: number | null
}

/** The head a delivery writes (always the current version: block hashes, the file, the seen lines' length). */
export interface WrittenHead {
  readonly path: string
  readonly offset: number
  readonly block_bytes: number
  readonly blocks: ReadonlyArray<string>
  readonly file: LogFileId
  readonly signature: LogSignature | null
  readonly seen_count: number
  readonly seen_bytes: number
}

/** The `schema` of a version-1 cursor (one prefix hash, a JSON seen file), still read. */
export const CURSOR_SCHEMA_V1 = "kittyctx.sync-cursor/v1"

/** The `schema` of a version-1 seen file. */
export const SEEN_SCHEMA = "kittyctx.sync-seen/v1"

const SHA256_HEX = /^[0-9a-f]{64}$/
const whole = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/** Decodes a cursor head (either version). */
export const decodeCursorHead = (value: unknown): Either.Either<{ readonly key: CursorKey; readonly head: CursorHead }, string> => {
  if (!isJsonObject(value) || !isJsonObject(value.key)) return problem("expected a cursor record")
  const k = value.key
  if (typeof k.project_root !== "string" || typeof k.mission !== "string") return problem("the cursor key is malformed")
  if (typeof value.path !== "string") return problem("path is not a string")
  if (!whole(value.offset)) return problem("offset is not a byte offset")
  if (!whole(value.seen_count)) return problem("seen_count is not a count")
  const sig = value.signature
  let signature: LogSignature | null = null
  if (sig !== undefined && sig !== null) {
    if (
      !isJsonObject(sig) || typeof sig.size !== "number" || typeof sig.mtime_ns !== "string" || !/^\d+$/.test(sig.mtime_ns) ||
      typeof sig.ino !== "number"
    ) {
      return problem("signature is malformed")
    }
    signature = { size: sig.size, mtime_ns: sig.mtime_ns, ino: sig.ino }
  }
  let prefix: CursorPrefix
  let file: LogFileId | null = null
  let seenBytes: number | null = null
  if (value.schema === CURSOR_SCHEMA) {
    const blocks = value.blocks
    if (!whole(value.block_bytes) || value.block_bytes === 0) return problem("block_bytes is not a block size")
    if (!Array.isArray(blocks) || !blocks.every((b) => typeof b === "string" && SHA256_HEX.test(b))) {
      return problem("blocks is not a list of sha256")
    }
    if (blocks.length !== Math.ceil(value.offset / value.block_bytes)) return problem("blocks do not cover the offset")
    prefix = { _tag: "Blocks", block_bytes: value.block_bytes, blocks: blocks as ReadonlyArray<string> }
    const f = value.file
    if (!isJsonObject(f) || !whole(f.dev) || !whole(f.ino)) return problem("file is not {dev, ino}")
    file = { dev: f.dev, ino: f.ino }
    if (!whole(value.seen_bytes)) return problem("seen_bytes is not a length")
    seenBytes = value.seen_bytes
  } else {
    if (value.schema !== undefined && value.schema !== CURSOR_SCHEMA_V1) return problem(`unknown schema ${String(value.schema)}`)
    if (typeof value.prefix_sha256 !== "string" || !SHA256_HEX.test(value.prefix_sha256)) return problem("prefix_sha256 is not a sha256")
    prefix = { _tag: "Sha256", sha256: value.prefix_sha256 }
  }
  return Either.right({
    key: { project_root: k.project_root, mission: k.mission },
    head: {
      path: value.path,
      offset: value.offset,
      prefix,
      file,
      signature,
      seen_count: value.seen_count,
      seen_bytes: seenBytes
    }
  })
}

/** Encodes a cursor head (the current version). */
export const encodeCursorHead = (key: CursorKey, head: WrittenHead): string =>
  JSON.stringify({
    schema: CURSOR_SCHEMA,
    key,
    path: head.path,
    offset: head.offset,
    block_bytes: head.block_bytes,
    blocks: head.blocks,
    file: { dev: head.file.dev, ino: head.file.ino },
    signature: head.signature ?? null,
    seen_count: head.seen_count,
    seen_bytes: head.seen_bytes
  }) + "\n"

/** Decodes a version-1 seen file: every id delivered from the log, in the order handled. */
export const decodeSeen = (value: unknown, atLeast: number): Either.Either<ReadonlyArray<string>, string> => {
  if (!isJsonObject(value) || value.schema !== SEEN_SCHEMA || !Array.isArray(value.ids)) return problem("expected a seen-ids record")
  const ids = value.ids
  if (!ids.every((s) => typeof s === "string")) return problem("ids is not a list of ids")
  if (ids.length < atLeast) return problem(`it holds ${ids.length} ids, its cursor counted ${atLeast}`)
  return Either.right(ids as ReadonlyArray<string>)
}

/** Seen ids as lines to append: each id as a JSON string on a line of its own. */
export const encodeSeenLines = (ids: ReadonlyArray<string>): string => {
  let out = ""
  for (const id of ids) out += JSON.stringify(id) + "\n"
  return out
}

/** Decodes seen-id lines (exactly `count` of them: the head's count of the bytes it names). */
export const decodeSeenLines = (text: string, count: number): Either.Either<ReadonlyArray<string>, string> => {
  if (text !== "" && !text.endsWith("\n")) return problem("the last id has no newline")
  const lines = text === "" ? [] : text.slice(0, -1).split("\n")
  if (lines.length !== count) return problem(`it holds ${lines.length} ids, its cursor counted ${count}`)
  const ids: Array<string> = []
  for (const line of lines) {
    let id: unknown
    try {
      id = JSON.parse(line)
    } catch {
      return problem("a line is not a JSON string")
    }
    if (typeof id !== "string") return problem("a line is not a JSON string")
    ids.push(id)
  }
  return Either.right(ids)
}

/** Delivery state of one project. */
export interface ProjectDelivery {
  readonly last_success_at: string | null
  readonly last_attempt_at: string | null
  readonly consecutive_failures: number
  readonly last_error: string | null
  /** The earliest time the next attempt should be made (backoff, `Retry-After`), or null. */
  readonly next_attempt_at: string | null
}

/** `state.json` of a scope: delivery state per project root. */
export interface DeliveryState {
  readonly projects: Readonly<Record<string, ProjectDelivery>>
}

/** A project never attempted. */
export const NO_DELIVERY: ProjectDelivery = {
  last_success_at: null,
  last_attempt_at: null,
  consecutive_failures: 0,
  last_error: null,
  next_attempt_at: null
}

const nullableString = (v: unknown) => v === null || typeof v === "string"

/** Decodes `state.json`. */
export const decodeState = (value: unknown): Either.Either<DeliveryState, string> => {
  if (!isJsonObject(value) || !isJsonObject(value.projects)) return problem("expected {\"projects\": {...}}")
  const projects: Record<string, ProjectDelivery> = {}
  for (const [root, p] of Object.entries(value.projects)) {
    if (
      !isJsonObject(p) || !nullableString(p.last_success_at) || !nullableString(p.last_attempt_at) ||
      !nullableString(p.last_error) || !nullableString(p.next_attempt_at) ||
      typeof p.consecutive_failures !== "number" || !Number.isSafeInteger(p.consecutive_failures) || p.consecutive_failures < 0
    ) {
      return problem(`the state of ${root} is malformed`)
    }
    projects[root] = {
      last_success_at: p.last_success_at as string | null,
      last_attempt_at: p.last_attempt_at as string | null,
      consecutive_failures: p.consecutive_failures,
      last_error: p.last_error as string | null,
      next_attempt_at: p.next_attempt_at as string | null
    }
  }
  return Either.right({ projects })
}

/** Encodes `state.json`. */
export const encodeState = (state: DeliveryState): string => JSON.stringify({ schema: STATE_SCHEMA, ...state }, null, 2) + "\n"

/** One dead letter: an event the sink refused, with the refusal. */
export interface DeadLetter {
  readonly dead_lettered_at: string
  readonly project_root: string
  readonly mission: string
  readonly event_id: string
  readonly status: number
  readonly response: string
  /** The CloudEvent as it was sent. */
  readonly event: unknown
}

/** The project root of a dead-letter line, or null when the line is not one. */
export const deadLetterProject = (line: string): string | null => {
  try {
    const v: unknown = JSON.parse(line)
    return isJsonObject(v) && typeof v.project_root === "string" ? v.project_root : null
  } catch {
    return null
  }
}
