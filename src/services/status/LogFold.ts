/**
 * The status facade's log reading (status-model §7.7): the event log read in chunks (any size, memory
 * bounded by the fold's state, not the file) into an `IncrementalFold`, resumed from the fold checkpoint
 * when the checkpoint still describes the log's bytes, and the checkpoint itself (kept under the git
 * common dir, outside the work tree). Readers only read checkpoints (`RepoFs`); writers save them through
 * `RepoWrite` under the status lock. Internal to the facade: `StatusReader` and `MissionStatus` use it.
 */
import { Effect, Either } from "effect"
import type { IoError } from "../../core/repo/RepoError.js"
import { IoErrors } from "../../core/repo/RepoError.js"
import { decodeUtf8 } from "../../core/repo/Text.js"
import { parseLine } from "../../core/status/EventRow.js"
import type { AnnotationRow, EnvelopeRow, EventRow, EventStream, RowError, TransitionRow } from "../../core/status/EventRow.js"
import { IdFilter } from "../../core/status/IdFilter.js"
import { allSeenIds, IncrementalFold } from "../../core/status/IncrementalFold.js"
import type { SavedFold, SeenBefore } from "../../core/status/IncrementalFold.js"
import { foldIdsDigestOf, foldIdsPath } from "../../core/repo/Naming.js"
import { LogLines } from "../../core/status/LogLines.js"
import type { LineFault } from "../../core/status/LogLines.js"
import { buildSnapshot } from "../../core/status/Snapshot.js"
import type { Snapshot } from "../../core/status/Snapshot.js"
import { dedupeAndSort, sortBySortKey } from "../../core/status/StatusFold.js"
import { statusError } from "../../core/status/StatusError.js"
import type { StatusError } from "../../core/status/StatusError.js"
import type { FileSignature, RepoFs } from "../ports/RepoFs.js"
import { readRange, sameBytes } from "../ports/RepoFs.js"
import type { RepoWrite } from "../ports/RepoWrite.js"
import { checkpointPathOf, logPathOf } from "./StatusReader.js"
import type { StatusTarget } from "./StatusReader.js"
import { BLOCK_BYTES, BlockHasher, lastBlockStart, sameBlocks, sha256Hex, TAIL_BYTES } from "../ports/Crypto.js"
import type { Sha256State } from "../ports/Crypto.js"

const CHECKPOINT_VERSION = 4
/**
 * How many transition ids a checkpoint carries in its header before they are merged into a new id filter
 * file: an emit rewrites the small header, not the filter (about 1.2 MB at a million events).
 */
export const MAX_RECENT_IDS = 1024
/** A checkpoint larger than this is not read (it is a cache: the full fold is the answer then). */
const MAX_CHECKPOINT_BYTES = 256 * 1024 * 1024

/** What a checkpoint records besides the fold: which bytes it describes. */
interface CheckpointHeader {
  readonly v: number
  readonly log: string
  readonly dev: number
  readonly ino: number
  readonly ctimeNs: string
  readonly size: number
  readonly offset: number
  readonly line: number
  /** The block size of `blocks` (`BLOCK_BYTES` unless a test chose another). */
  readonly blockBytes: number
  /** sha256 of each block of `[0, offset)` (the last one partial). */
  readonly blocks: ReadonlyArray<string>
  /**
   * The last `TAIL_BYTES` before `offset` (fewer when the log is shorter), base64: what a reader compares
   * when the file is unchanged (bytes, not a hash: nothing to compute).
   */
  readonly tailBytes: string
  /** The plain SHA-256 state of the partial last block (null: none, or not known), for a writer to go on from. */
  readonly mid: SavedMid | null
  readonly fold: SavedFold
  /** The id filter file (beside the checkpoint, `foldIdsPath`) of most transition ids; null: none yet. */
  readonly ids: IdsRef | null
  /** The transition ids folded after that filter was written (at most `MAX_RECENT_IDS`). */
  readonly recent: ReadonlyArray<string>
}

/** A `Sha256State` as JSON. */
interface SavedMid {
  readonly h: ReadonlyArray<number>
  readonly pending: string
  readonly length: number
}

const saveMid = (m: Sha256State | null): SavedMid | null =>
  m === null ? null : { h: [...m.h], pending: Buffer.from(m.pending).toString("base64"), length: m.length }

/** The saved state, when the header's is well formed and belongs to its partial last block. */
const midOf = (header: CheckpointHeader): Sha256State | null => {
  const m = header.mid
  const partial = header.offset % header.blockBytes
  if (m === null || typeof m !== "object" || partial === 0 || m.length !== partial) return null
  if (!Array.isArray(m.h) || m.h.length !== 8 || !m.h.every((x) => Number.isSafeInteger(x)) || typeof m.pending !== "string") return null
  const pending = Buffer.from(m.pending, "base64")
  return pending.length === partial % 64 ? { h: m.h, pending, length: m.length } : null
}

/** Which id filter a checkpoint uses: its digest (its name) and its length. */
interface IdsRef {
  readonly digest: string
  readonly bytes: number
}

/** How the fold was reached, for the bench and the tests. */
export type FoldSource = "checkpoint" | "checkpoint-rehashed" | "full" | "full-sorted"

/** The log folded, with what a writer needs to go on from its end. */
export interface LogFold {
  readonly fold: IncrementalFold
  readonly source: FoldSource
  /** The log's `fstat` when it was read (null: no log). */
  readonly signature: FileSignature | null
  /** The line splitter, positioned after the last complete line (its `pending` is an unterminated rest). */
  readonly lines: LogLines
  /** The block hashes, positioned like `lines` (writers only). */
  readonly hasher: BlockHasher | null
  /** True when the unterminated rest parsed and is part of `fold`. */
  readonly tailFolded: boolean
}

/** A row error from the reader, with whether it was the unterminated last line (a write in progress or torn). */
export interface LogRowError extends RowError {
  readonly unterminated: boolean
}

type ScanFailure = { readonly _tag: "Row"; readonly error: LogRowError } | { readonly _tag: "Fault"; readonly fault: LineFault }

const rowError = (t: StatusTarget, e: LogRowError): StatusError =>
  statusError(
    "STATUS_LOG_INVALID",
    e.unterminated ? `${e.message} (the last line has no newline: an interrupted write)` : e.message,
    { path: logPathOf(t), line: e.line, ...(e.unterminated ? { unterminated: true } : {}) }
  )

const failureOf = (t: StatusTarget, f: ScanFailure): StatusError | IoError =>
  f._tag === "Row" ? rowError(t, f.error) : IoErrors.notUtf8(logPathOf(t), f.fault.line, f.fault.byteOffset)


/** Reads a checkpoint; any problem (absent, unreadable, another version, another log) is "no checkpoint". */
const loadCheckpoint = (fs: RepoFs["Type"], t: StatusTarget) =>
  fs.readBytes(checkpointPathOf(t), { noFollow: true, maxBytes: MAX_CHECKPOINT_BYTES }).pipe(
    Effect.map((bytes) => {
      if (bytes === null) return null
      const nl = bytes.indexOf(0x0a)
      if (nl < 0) return null
      const text = decodeUtf8(bytes.subarray(0, nl))
      if (Either.isLeft(text) || nl !== bytes.length - 1) return null
      const header = JSON.parse(text.right) as CheckpointHeader
      if (header.v !== CHECKPOINT_VERSION || header.log !== logPathOf(t) || !wellFormedIds(header)) return null
      if (typeof header.tailBytes !== "string" || !Number.isSafeInteger(header.offset) || header.offset < 0) return null
      return header
    }),
    Effect.catchAll(() => Effect.succeed(null)),
    Effect.catchAllDefect(() => Effect.succeed(null))
  )

/** The header's ids are what a writer writes: a filter named by a 16-hex digest (never a path), string ids. */
const wellFormedIds = (header: CheckpointHeader): boolean =>
  Array.isArray(header.recent) && header.recent.every((id) => typeof id === "string") &&
  (header.ids === null ||
    (typeof header.ids === "object" && typeof header.ids.digest === "string" && /^[0-9a-f]{16}$/.test(header.ids.digest) &&
      Number.isSafeInteger(header.ids.bytes)))

/**
 * Reads a checkpoint's id filter: the file its header names, of the recorded length and digest; null on
 * any mismatch (another writer replaced the checkpoint meanwhile, or the file is gone or damaged).
 */
const loadIds = (fs: RepoFs["Type"], t: StatusTarget, ref: IdsRef) =>
  fs.readBytes(foldIdsPath(checkpointPathOf(t), ref.digest), { noFollow: true, maxBytes: MAX_CHECKPOINT_BYTES }).pipe(
    Effect.map((bytes) =>
      bytes === null || bytes.length !== ref.bytes || sha256Hex(bytes).slice(0, 16) !== ref.digest ? null : IdFilter.fromBytes(bytes)
    ),
    Effect.catchAll(() => Effect.succeed(null)),
    Effect.catchAllDefect(() => Effect.succeed(null))
  )

/** Re-hashes `[0, offset)` of the log and compares every block (after the log was replaced or changed). */
const prefixMatches = (fs: RepoFs["Type"], t: StatusTarget, header: CheckpointHeader) => {
  const hasher = new BlockHasher(header.blockBytes)
  return Effect.map(
    fs.readChunks(logPathOf(t), { noFollow: true, from: 0, to: header.offset }, (chunk) => hasher.update(chunk)),
    (sig) => sig !== null && sig.size >= header.offset && sameBlocks(hasher.digests(), header.blocks)
  )
}



/**
 * The checkpoint, when it still describes the log: the same file unchanged since it was saved (identity,
 * change time, size) with the same last bytes, or a log whose first `offset` bytes hash to the recorded
 * blocks (the log was replaced by a rename, or appended to by another writer). With `hash`, also returns
 * the hasher positioned at `offset` (writers continue hashing from there; they re-hash the last block).
 */
const usableCheckpoint = (fs: RepoFs["Type"], t: StatusTarget, sig: FileSignature, hash: boolean) =>
  Effect.gen(function*() {
    const header = yield* loadCheckpoint(fs, t)
    if (header === null) return null
    // the id filter, once the checkpoint holds, read only when rows follow it (their ids must be asked
    // about; a writer's own rows never ask, `IncrementalFold.stepOwn`); an unreadable one voids the checkpoint
    const seenBefore = Effect.gen(function*() {
      const filter = header.ids !== null && sig.size > header.offset ? yield* loadIds(fs, t, header.ids) : null
      if (header.ids !== null && sig.size > header.offset && filter === null) return null
      const ids: SeenBefore = { filter, recent: header.recent, ref: header.ids === null ? null : JSON.stringify(header.ids) }
      return ids
    })
    if (sig.size < header.offset || !(Number.isSafeInteger(header.blockBytes) && header.blockBytes > 0)) return null
    const unchanged = sig.dev === header.dev && sig.ino === header.ino && String(sig.ctimeNs) === header.ctimeNs &&
      sig.size === header.size
    const mid = midOf(header)
    const aligned = header.offset % header.blockBytes === 0
    if (unchanged && (!hash || mid !== null || aligned)) {
      // the same file, unchanged since the save: its last bytes are compared, and a writer goes on hashing
      // from the saved state of the last block (nothing re-read, nothing re-hashed)
      const tailBytes = Buffer.from(header.tailBytes, "base64")
      const from = header.offset - tailBytes.length
      if (tailBytes.length !== Math.min(TAIL_BYTES, header.offset)) return null
      const tail = yield* readRange(fs, logPathOf(t), { noFollow: true, from, to: header.offset })
      if (tail === null || !sameBytes(tail.bytes, tailBytes)) return null
      const ids = yield* seenBefore
      if (ids === null) return null
      if (!hash) return { header, ids, hasher: null, source: "checkpoint" as const }
      const full = Math.floor(header.offset / header.blockBytes)
      // at a block boundary there is no state to resume: the next block is kept, so the next save has one
      const hasher = new BlockHasher(header.blockBytes, header.blocks.slice(0, full), mid === null ? { keepBlock: true } : { resume: mid })
      hasher.remember(tailBytes)
      return sameBlocks(hasher.digests(), header.blocks) ? { header, ids, hasher, source: "checkpoint" as const } : null
    }
    const start = lastBlockStart(header.offset, header.blockBytes)
    const from = Math.min(start, Math.max(0, header.offset - TAIL_BYTES))
    const last = yield* readRange(fs, logPathOf(t), { noFollow: true, from, to: header.offset })
    if (last === null || last.bytes.length !== header.offset - from) return null
    // keeps the last block's bytes, so the next save records its state (the writer after can go on from it)
    const hasher = new BlockHasher(header.blockBytes, header.blocks.slice(0, start / header.blockBytes), { keepBlock: true })
    hasher.remember(last.bytes.subarray(0, start - from))
    hasher.update(last.bytes.subarray(start - from))
    if (!sameBlocks(hasher.digests(), header.blocks)) return null
    if (!unchanged && !(yield* prefixMatches(fs, t, header))) return null
    const ids = yield* seenBefore
    return ids === null ? null : { header, ids, hasher, source: unchanged ? "checkpoint" as const : "checkpoint-rehashed" as const }
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(null)))

/** Feeds bytes to the splitter and parses each completed line into `step`; the first failure stops it. */
export const feed = (
  lines: LogLines,
  bytes: Uint8Array,
  step: (row: EventRow) => boolean,
  hasher: BlockHasher | null
): ScanFailure | "stopped" | null => {
  let failure: ScanFailure | "stopped" | null = null
  const before = lines.offset
  const pendingBefore = lines.pending
  const fault = lines.push(bytes, (n, text) => {
    const parsed = parseLine(text, n)
    if (Either.isLeft(parsed)) {
      failure = { _tag: "Row", error: { ...parsed.left, unterminated: false } }
      return false
    }
    if (!step(parsed.right)) {
      failure = "stopped"
      return false
    }
    return true
  })
  if (hasher !== null && lines.offset > before) {
    // the completed region is the old unterminated rest plus this chunk up to its last newline
    const fromChunk = lines.offset - before - pendingBefore.length
    hasher.update(pendingBefore)
    hasher.update(bytes.subarray(0, fromChunk))
  }
  return fault !== null ? { _tag: "Fault", fault } : failure
}

/** Parses the unterminated rest into `step` (a reader's last line without newline). */
const finishTail = (lines: LogLines, step: (row: EventRow) => boolean): ScanFailure | null => {
  let failure: ScanFailure | null = null as ScanFailure | null
  const fault = lines.finish((n, text) => {
    const parsed = parseLine(text, n)
    if (Either.isLeft(parsed)) {
      failure = { _tag: "Row", error: { ...parsed.left, unterminated: true } }
      return false
    }
    step(parsed.right)
    return true
  })
  return fault !== null ? { _tag: "Fault", fault } : failure
}

/** True when the unterminated rest of a scan is whole rows (a line someone wrote without its newline). */
export const tailParses = (pending: Uint8Array): boolean => {
  if (pending.length === 0) return true
  const probe = new LogLines()
  let ok = true
  const fault = probe.push(pending, () => true) ?? probe.finish((n, text) => (ok = Either.isRight(parseLine(text, n))))
  return fault === null && ok
}

/** Rows sorted into the three lists of an `EventStream`, in the order `collect` sees them. */
const rowCollector = () => {
  const transitions: Array<TransitionRow> = []
  const annotations: Array<AnnotationRow> = []
  const envelopes: Array<EnvelopeRow> = []
  const collect = (row: EventRow): boolean => {
    if (row.kind === "transition") transitions.push(row)
    else if (row.kind === "annotation") annotations.push(row)
    else envelopes.push(row)
    return true
  }
  return { transitions, annotations, envelopes, collect }
}

/** Every row of the log, then the fold of them in sort order: the fold of a log that is not in order. */
const foldSorted = (fs: RepoFs["Type"], t: StatusTarget, options: FoldOptions) =>
  Effect.gen(function*() {
    const { annotations, collect, envelopes, transitions } = rowCollector()
    const lines = new LogLines()
    const hasher = options.hash ? new BlockHasher(options.blockBytes ?? BLOCK_BYTES, [], { keepBlock: true }) : null
    let failure: ScanFailure | "stopped" | null = null
    const sig = yield* fs.readChunks(logPathOf(t), { noFollow: true }, (chunk) => {
      failure = feed(lines, chunk, collect, hasher)
      return failure === null
    })
    let tailFolded = false
    if (failure === null && options.tail === "fold" && lines.pending.length > 0) {
      failure = finishTail(lines, collect)
      tailFolded = failure === null
    }
    const failed = failure as ScanFailure | "stopped" | null
    if (failed !== null && failed !== "stopped") return yield* failureOf(t, failed)
    const fold = IncrementalFold.empty()
    for (const r of dedupeAndSort(transitions)) fold.step(r)
    for (const r of sortBySortKey(annotations)) fold.step(r)
    for (const r of envelopes) fold.step(r)
    return { fold, source: "full-sorted" as const, signature: sig, lines, hasher, tailFolded }
  })

/** How a log is folded. */
export interface FoldOptions {
  /** Keep block hashes (for a checkpoint). */
  readonly hash: boolean
  /** An unterminated last line: folded (readers), or left unparsed for the writer to complete or remove. */
  readonly tail: "fold" | "leave"
  /** The block size of a new checkpoint's hashes (tests use small blocks); default `BLOCK_BYTES`. */
  readonly blockBytes?: number
}

/**
 * Folds the log: from the checkpoint when it still holds, else from the start, streaming; a log out of
 * sort order is folded from all its rows.
 */
export const foldLog = (
  fs: RepoFs["Type"],
  t: StatusTarget,
  options: FoldOptions
): Effect.Effect<LogFold, StatusError | IoError> =>
  Effect.gen(function*() {
    const path = logPathOf(t)
    const before = yield* fs.signature(path)
    if (before === null) {
      return {
        fold: IncrementalFold.empty(),
        source: "full",
        signature: null,
        lines: new LogLines(),
        hasher: options.hash ? new BlockHasher(options.blockBytes ?? BLOCK_BYTES, [], { keepBlock: true }) : null,
        tailFolded: false
      }
    }
    const cp = before.isSymlink ? null : yield* usableCheckpoint(fs, t, before, options.hash)
    const fold = cp === null ? IncrementalFold.empty() : IncrementalFold.resume(cp.header.fold, cp.ids)
    const lines = cp === null ? new LogLines() : new LogLines(cp.header.offset, cp.header.line)
    const hasher = options.hash ? (cp?.hasher ?? new BlockHasher(options.blockBytes ?? BLOCK_BYTES, [], { keepBlock: true })) : null
    const step = (row: EventRow) => fold.step(row)
    let failure: ScanFailure | "stopped" | null = null
    const sig = yield* fs.readChunks(path, { noFollow: true, from: lines.offset }, (chunk) => {
      failure = feed(lines, chunk, step, hasher)
      return failure === null
    })
    if (failure === "stopped") return yield* foldSorted(fs, t, options)
    let tailFolded = false
    if (failure === null && options.tail === "fold" && lines.pending.length > 0) {
      let outOfOrder = false
      failure = finishTail(lines, (row) => (fold.step(row) || (outOfOrder = true, false)))
      if (outOfOrder) return yield* foldSorted(fs, t, options)
      tailFolded = failure === null
    }
    if (failure !== null) return yield* failureOf(t, failure)
    return { fold, source: cp?.source ?? "full", signature: sig, lines, hasher, tailFolded }
  })

/** A reader's fold: one retry when the last line is unterminated and does not parse (a write in progress). */
export const foldForRead = (fs: RepoFs["Type"], t: StatusTarget) =>
  foldLog(fs, t, READ).pipe(
    Effect.catchIf(
      (e) => e.code === "STATUS_LOG_INVALID" && e.details.unterminated === true,
      () => Effect.zipRight(Effect.sleep(25), foldLog(fs, t, READ))
    )
  )

const READ: FoldOptions = { hash: false, tail: "fold" }

/** The snapshot of a fold (what `materialize` writes). */
export const snapshotOfFold = (fold: IncrementalFold, t: StatusTarget): Snapshot =>
  buildSnapshot(fold.reduction(), fold.retrospective(), t.identity)

/**
 * Saves the checkpoint of a writer's fold, which ends at `lines.offset` of the log whose `fstat` is `after`:
 * the header (identity, block hashes, the fold's state and the ids folded since the id filter was
 * written) in one small file; the id filter in its own file, named by its digest, written only when the
 * recent ids outgrow `MAX_RECENT_IDS` (the filter it replaces is then removed).
 */
export const saveCheckpoint = (
  fs: RepoFs["Type"],
  write: RepoWrite["Type"],
  t: StatusTarget,
  state: { readonly fold: IncrementalFold; readonly lines: LogLines; readonly hasher: BlockHasher },
  after: FileSignature,
  options: { readonly maxRecent?: number } = {}
): Effect.Effect<void, IoError> =>
  Effect.gen(function*() {
    const saved = state.fold.save()
    const path = checkpointPathOf(t)
    const previous = saved.before?.ref == null ? null : (JSON.parse(saved.before.ref) as IdsRef)
    const recent = [...(saved.before?.recent ?? []), ...saved.added]
    let ids: IdsRef | null = previous
    let carried: ReadonlyArray<string> = recent
    yield* write.makeDirectory(t.scope, path.slice(0, path.lastIndexOf("/")))
    if (recent.length > (options.maxRecent ?? MAX_RECENT_IDS)) {
      // merge the recent ids into a new filter (the old one read now when the fold did not need it)
      const loaded = previous !== null && saved.before?.filter === null ? yield* loadIds(fs, t, previous) : null
      const filter = allSeenIds(saved, loaded)
      if (filter === null) return
      const bytes = filter.toBytes()
      ids = { digest: sha256Hex(bytes).slice(0, 16), bytes: bytes.length }
      carried = []
      if (ids.digest !== previous?.digest) {
        yield* write.writeFile(t.scope, foldIdsPath(path, ids.digest), bytes, { durable: false })
      }
    }
    const header: CheckpointHeader = {
      v: CHECKPOINT_VERSION,
      log: logPathOf(t),
      dev: after.dev,
      ino: after.ino,
      ctimeNs: String(after.ctimeNs),
      size: after.size,
      offset: state.lines.offset,
      line: state.lines.line,
      blockBytes: state.hasher.blockBytes,
      blocks: state.hasher.digests(),
      tailBytes: Buffer.from(state.hasher.recent()).toString("base64"),
      mid: saveMid(state.hasher.midstate()),
      fold: saved.fold,
      ids,
      recent: carried
    }
    yield* write.writeFile(t.scope, path, JSON.stringify(header) + "\n", { durable: false })
    if (saved.before === null || ids?.digest !== previous?.digest) {
      // the filters this header does not name (the one it replaces; after a full fold, any earlier one):
      // a reader that read an older header meanwhile finds no filter and folds the whole log, never wrong
      const dir = path.slice(0, path.lastIndexOf("/"))
      for (const entry of (yield* Effect.orElseSucceed(fs.entries(dir), () => null)) ?? []) {
        const digest = foldIdsDigestOf(path, entry.name)
        if (digest !== null && digest !== ids?.digest) yield* Effect.ignore(write.remove(t.scope, foldIdsPath(path, digest)))
      }
    }
  })

/** Every row of the log in file order (for readers that need the rows: validate, time travel, implement). */
export const streamOfLog = (fs: RepoFs["Type"], t: StatusTarget): Effect.Effect<EventStream, StatusError | IoError> =>
  Effect.gen(function*() {
    const { annotations, collect, envelopes, transitions } = rowCollector()
    const lines = new LogLines()
    let failure: ScanFailure | "stopped" | null = null
    yield* fs.readChunks(logPathOf(t), { noFollow: true }, (chunk) => {
      failure = feed(lines, chunk, collect, null)
      return failure === null
    })
    if (failure === null) failure = finishTail(lines, collect)
    const failed = failure as ScanFailure | "stopped" | null
    if (failed !== null && failed !== "stopped") return yield* failureOf(t, failed)
    return { transitions, annotations, envelopes }
  })
