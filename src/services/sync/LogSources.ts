/**
 * The logs forwarding reads (docs/surfaces.md §8.5): for a registered project, every mission's event
 * log on its canonical status surface, resolved read-only. Resolution goes through `resolve`, which
 * requires no writer, so an unmaterialised coordination worktree is never created and git runs only in
 * read mode; a mission that cannot be resolved now (the fail-closed window, a broken `meta.json`) is
 * skipped and reported, never guessed. Each log is then opened against its cursor: its prefix's block
 * hashes decide between reading on from the offset and rescanning a rewritten log, and the log is read in
 * slices, never whole.
 */
import { Effect, Either } from "effect"
import { missionsRoot } from "../../core/repo/Naming.js"
import { IdFilter } from "../../core/status/IdFilter.js"
import { backlogOf, scanLog } from "../../core/sync/LogScan.js"
import type { Backlog } from "../../core/sync/LogScan.js"
import { missionKeyOf, sameSignature } from "../../core/sync/SyncRecords.js"
import type { CursorHead, CursorKey, LogFileId, LogSignature } from "../../core/sync/SyncRecords.js"
import { resolve } from "../context/ResolveContext.js"
import type { Resolution, ResolveRequirements } from "../context/ResolveContext.js"
import { DEFAULT_CHUNK_BYTES, RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { logPathOf, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"
import { cursorHashOf, projectIdOf, readCursorHead, readSeenFilter, readSeenIds } from "./SyncStore.js"
import type { Runtime, StoreError } from "./SyncStore.js"
import { BLOCK_BYTES, BlockHasher, sameBlocks, sha256, verifyFrom } from "../ports/Crypto.js"

/** One mission log of a registered project. */
export interface LogSource {
  readonly projectRoot: string
  readonly projectId: string
  readonly missionSlug: string
  readonly missionId: string | null
  /** `mission_id`, else `legacy:<dir>`. */
  readonly missionKey: string
  readonly key: CursorKey
  readonly target: StatusTarget
  readonly logPath: string
}

/** A mission that was not read, and why. */
export interface SkippedMission {
  readonly mission: string
  readonly code: string
  readonly message: string
}

/** A project's logs, or why the project itself could not be read. */
export interface ProjectSources {
  readonly root: string
  readonly sources: ReadonlyArray<LogSource>
  readonly skipped: ReadonlyArray<SkippedMission>
  readonly error: { readonly code: string; readonly message: string } | null
}

/** The log source of a resolved mission. */
export const sourceOfResolution = (res: Resolution): LogSource => sourceOf(res.statusTarget, res.location.primaryRoot)

/** The log source of a status target (a resolution's) in the project whose primary root is `projectRoot`. */
export const sourceOf = (target: StatusTarget, projectRoot: string): LogSource => {
  const missionKey = missionKeyOf(target.missionId, target.missionSlug)
  return {
    projectRoot,
    projectId: projectIdOf(projectRoot),
    missionSlug: target.missionSlug,
    missionId: target.missionId,
    missionKey,
    key: { project_root: projectRoot, mission: missionKey },
    target,
    logPath: logPathOf(target)
  }
}

const describe = (e: { readonly code: string; readonly message: string }) => ({ code: e.code, message: e.message })

/**
 * The logs of a project. The project's own root is where discovery starts: an inherited
 * `SPECIFY_REPO_ROOT` must not redirect it to another repository.
 */
export const projectSources = (root: string): Effect.Effect<ProjectSources, never, ResolveRequirements> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const settings = yield* Settings
    const here = Effect.provideService(Settings, { ...settings, specifyRepoRoot: undefined })
    const listed = yield* Effect.either(fs.entries(missionsRoot(root)))
    if (Either.isLeft(listed)) return { root, sources: [], skipped: [], error: describe(listed.left) }
    if (listed.right === null) {
      return { root, sources: [], skipped: [], error: { code: "PROJECT_ROOT_UNRESOLVED", message: `${root} has no missions directory` } }
    }
    const names = listed.right.filter((e) => e.kind === "Directory" && !e.name.startsWith(".")).map((e) => e.name)
    const sources: Array<LogSource> = []
    const skipped: Array<SkippedMission> = []
    const resolved = yield* Effect.forEach(
      names,
      (name) => Effect.either(here(resolve({ cwd: root, mission: name, action: "status" }))),
      { concurrency: 4 }
    )
    names.forEach((name, i) => {
      const r = resolved[i]
      if (Either.isLeft(r)) skipped.push({ mission: name, ...describe(r.left) })
      else sources.push(sourceOfResolution(r.right))
    })
    // two directories claiming one mission_id would share a cursor: neither is read until that is fixed
    const byKey = new Map<string, Array<LogSource>>()
    for (const s of sources) byKey.set(cursorHashOf(s.key), [...(byKey.get(cursorHashOf(s.key)) ?? []), s])
    const unique: Array<LogSource> = []
    for (const group of byKey.values()) {
      if (group.length === 1) unique.push(group[0])
      else {
        for (const s of group) {
          skipped.push({
            mission: s.missionSlug,
            code: "MISSION_ID_SHARED",
            message: `mission_id ${s.missionKey} is shared by ${group.map((g) => g.missionSlug).join(", ")}`
          })
        }
      }
    }
    unique.sort((a, b) => (a.missionSlug < b.missionSlug ? -1 : a.missionSlug > b.missionSlug ? 1 : 0))
    return { root, sources: unique, skipped, error: null }
  })

/** What a delivery holds of a log at a time: a slice of about this many bytes of whole lines. */
export const SLICE_BYTES = 1024 * 1024

/** How a log is opened (tests choose small blocks and slices). */
export interface OpenOptions {
  /** The block size of a new cursor's prefix hashes (default `BLOCK_BYTES`). */
  readonly blockBytes?: number
  /** The bytes of lines one slice holds (default `SLICE_BYTES`). */
  readonly sliceBytes?: number
}

/**
 * The ids a cursor counts as delivered (docs/surfaces.md §8.5). The exact set stays on disk and is read
 * only when needed: for a rescan, to upgrade a version-1 cursor, or when the filter (no false negatives)
 * says an id read after the offset may be among them (a duplicated row, or one of its few false positives).
 * An id the filter rules out is new without reading the set, so an append-only round reads none of it.
 */
export class SeenIds {
  /** Ids handled since the last write (appended to the seen-id lines at the next write). */
  fresh: Array<string> = []
  #count: number

  constructor(
    readonly filter: IdFilter,
    public exact: Set<string> | null,
    count: number,
    /** The length of the seen-id lines the head counts (null: a version-1 cursor, written out whole once). */
    public bytes: number | null
  ) {
    this.#count = count
  }

  /** How many ids are delivered, those of this round included. */
  get count(): number {
    return this.#count
  }

  /** True when the exact set must be read to tell these ids new. */
  needsExact(ids: ReadonlyArray<string>): boolean {
    return this.exact === null && ids.some((id) => this.filter.mightContain(id))
  }

  add(id: string): void {
    this.filter.add(id)
    this.exact?.add(id)
    this.fresh.push(id)
    this.#count++
  }
}

/** A log opened against its cursor: where reading starts, and the prefix hashed up to there. */
export interface OpenLog {
  readonly source: LogSource
  /** The signature at open: what the round handles is the log up to `end` (its size then). */
  readonly signature: LogSignature
  /** The file read (device, inode). */
  readonly file: LogFileId
  /** Where the round stops reading: the size at open (a later append is the next round's). */
  readonly end: number
  /** The cursor's head (null when there is none). */
  readonly head: CursorHead | null
  /** Where reading starts: the cursor's offset when its prefix still matches, else 0. */
  readonly start: number
  /** True when the cursor's prefix no longer matches (a rewritten or re-sorted log): read from 0. */
  readonly rescanned: boolean
  /** True when the cursor is version 1: it is rewritten in the current version (with all its ids) at the end. */
  readonly upgrade: boolean
  /** The block hashes of bytes [0, start), ready to be extended as the cursor moves. */
  readonly hasher: BlockHasher
  readonly seen: SeenIds
  /** The bytes of a slice. */
  readonly sliceBytes: number
  /** False once a read saw the log change after the open (its signature is then not recorded). */
  consistent: boolean
  /** True once a read found another file at the log's path than the one opened (reading stopped there). */
  replaced: boolean
}

/** One slice of a log: its whole lines from `from`, and what is left to deliver of them. */
export interface LogSlice {
  readonly from: number
  /** The slice's bytes (up to the end of its last complete line). */
  readonly bytes: Uint8Array
  readonly backlog: Backlog
  /** How many lines it holds. */
  readonly lines: number
}

const sameFile = (a: LogFileId | null, b: LogFileId) => a !== null && a.dev === b.dev && a.ino === b.ino

/**
 * Checks a cursor's prefix against the log (docs/surfaces.md §8.5), reading in chunks, never the whole log
 * at once. The same file (device, inode) that only grew: the block(s) holding the last `TAIL_BYTES` before
 * the offset are re-hashed (an append leaves the others as they were). Another file (replaced by a rename:
 * a merge, a checkout): every block is re-hashed, stopping at the first that differs. A version-1 cursor:
 * the one prefix hash, once. Returns the hasher positioned at the offset, or null (rescan).
 */
const verifyPrefix = (source: LogSource, head: CursorHead, file: LogFileId, blockBytes: number) =>
  Effect.gen(function*() {
    const reader = yield* StatusReader
    const offset = head.offset
    const prefix = head.prefix
    if (prefix._tag === "Sha256") {
      const hasher = new BlockHasher(blockBytes)
      const whole = sha256()
      const read = yield* reader.logChunks(source.target, { from: 0, to: offset }, (chunk) => {
        hasher.update(chunk)
        whole.update(chunk)
      })
      return read !== null && sameFile(file, read) && hasher.length === offset && whole.digest("hex") === prefix.sha256 ? hasher : null
    }
    const b = prefix.block_bytes
    const from = sameFile(head.file, file) ? verifyFrom(offset, b) : 0
    const hasher = new BlockHasher(b, prefix.blocks.slice(0, from / b))
    let differs = false
    const read = yield* reader.logChunks(source.target, { from, to: offset }, (chunk) => {
      const done = hasher.blocks.length
      hasher.update(chunk)
      for (let i = done; i < hasher.blocks.length; i++) if (hasher.blocks[i] !== prefix.blocks[i]) differs = true
      return !differs
    })
    return !differs && read !== null && sameFile(file, read) && hasher.length === offset && sameBlocks(hasher.digests(), prefix.blocks)
      ? hasher
      : null
  })

/**
 * Opens a log against its cursor: null when the log does not exist, or when its signature is the one its
 * cursor recorded after handling all of it (then neither the log nor the seen ids are read).
 */
export const openLog = (
  rt: Runtime,
  scopeId: string,
  source: LogSource,
  options: OpenOptions = {}
): Effect.Effect<OpenLog | null, StoreError | StatusFailure, StatusReader | RepoFs> =>
  Effect.gen(function*() {
    const reader = yield* StatusReader
    const before = yield* reader.logSignature(source.target)
    if (before === null) return null
    const head = yield* readCursorHead(rt, scopeId, source.key)
    const signature: LogSignature = { size: before.size, mtime_ns: String(before.mtimeNs), ino: before.ino }
    if (head !== null && head.path === source.logPath && head.offset === signature.size && sameSignature(head.signature, signature)) {
      return null
    }
    const file: LogFileId = { dev: before.dev, ino: before.ino }
    const blockBytes = options.blockBytes ?? BLOCK_BYTES
    const usable = head !== null && head.path === source.logPath && head.offset <= before.size
    const verified = usable ? yield* verifyPrefix(source, head, file, blockBytes) : null
    const rescanned = head !== null && verified === null
    const upgrade = head !== null && head.seen_bytes === null
    let seen: SeenIds
    // no cursor: nothing was delivered (the ids of this round are told apart by the round's own `taken`)
    if (head === null) seen = new SeenIds(IdFilter.empty(), null, 0, 0)
    else {
      const filter = rescanned || upgrade ? null : yield* readSeenFilter(rt, scopeId, source.key)
      const exact = filter === null ? new Set(yield* readSeenIds(rt, scopeId, source.key, head)) : null
      seen = new SeenIds(filter ?? IdFilter.extended(null, [...(exact ?? [])]), exact, head.seen_count, head.seen_bytes)
    }
    return {
      source,
      signature,
      file,
      end: before.size,
      head,
      start: verified === null ? 0 : head!.offset,
      rescanned,
      upgrade,
      hasher: verified ?? new BlockHasher(blockBytes),
      seen,
      sliceBytes: Math.max(1, options.sliceBytes ?? SLICE_BYTES),
      consistent: true,
      replaced: false
    }
  })

/**
 * The next slice of an opened log from byte `from` (a line start): about `sliceBytes` of whole lines (a
 * longer line is a slice of its own), read in chunks up to the size at open, with its backlog (events the
 * cursor has not seen, each id once across the slices through `taken`). Null when no complete line is left,
 * or when the log was replaced while the round read it (the next round verifies it again).
 */
export const readSlice = (
  rt: Runtime,
  scopeId: string,
  log: OpenLog,
  from: number,
  lineNo: number,
  taken: Set<string>
): Effect.Effect<LogSlice | null, StoreError | StatusFailure, StatusReader | RepoFs> =>
  Effect.gen(function*() {
    if (from >= log.end) return null
    const reader = yield* StatusReader
    const parts: Array<Uint8Array> = []
    let total = 0
    let lastNl = -1
    const sig = yield* reader.logChunks(
      log.source.target,
      { from, to: log.end, chunkBytes: Math.min(log.sliceBytes, DEFAULT_CHUNK_BYTES) },
      (chunk) => {
        const nl = chunk.lastIndexOf(0x0a)
        if (nl >= 0) lastNl = total + nl
        parts.push(new Uint8Array(chunk))
        total += chunk.length
        return !(total >= log.sliceBytes && lastNl >= 0)
      }
    )
    if (sig === null || !sameFile(log.file, sig)) {
      // replaced (or removed) since the open: these bytes are another file's; the next round checks again
      log.consistent = false
      log.replaced = true
      return null
    }
    if (sig.size !== log.signature.size || String(sig.mtimeNs) !== log.signature.mtime_ns) log.consistent = false
    if (lastNl < 0) return null
    const bytes = new Uint8Array(lastNl + 1)
    let at = 0
    for (const p of parts) {
      if (at >= bytes.length) break
      const n = Math.min(p.length, bytes.length - at)
      bytes.set(p.subarray(0, n), at)
      at += n
    }
    const scan = scanLog(bytes, 0, lineNo)
    const ids = scan.lines.flatMap((l) => (l.outcome._tag === "Event" ? [l.outcome.id] : []))
    if (log.seen.needsExact(ids) && log.head !== null && log.seen.bytes !== null) {
      // the ids on disk now: the head's, and those this round wrote since (the ones not written are `fresh`)
      const onDisk = { ...log.head, seen_bytes: log.seen.bytes, seen_count: log.seen.count - log.seen.fresh.length }
      const exact = new Set(yield* readSeenIds(rt, scopeId, log.source.key, onDisk))
      for (const id of log.seen.fresh) exact.add(id)
      log.seen.exact = exact
    }
    const backlog = backlogOf(scan, log.seen.exact ?? NONE, taken, from)
    return { from, bytes, backlog, lines: scan.lines.length }
  })

const NONE: ReadonlySet<string> = new Set()

/**
 * Visits the slices of an opened log in order, from where its cursor lets reading start, one slice held
 * at a time. A failure to read stops the walk (what was visited stays visited).
 */
export const eachSlice = <E, R>(
  rt: Runtime,
  scopeId: string,
  log: OpenLog,
  visit: (slice: LogSlice) => Effect.Effect<void, E, R>
): Effect.Effect<void, E | StoreError | StatusFailure, R | StatusReader | RepoFs> =>
  Effect.gen(function*() {
    const taken = new Set<string>()
    let from = log.start
    let lineNo = 1
    for (;;) {
      const slice = yield* readSlice(rt, scopeId, log, from, lineNo, taken)
      if (slice === null) return
      yield* visit(slice)
      from = slice.from + slice.bytes.length
      lineNo += slice.lines
    }
  })
