/**
 * The logs forwarding reads (docs/surfaces.md §8.5): for a registered project, every mission's event
 * log on its canonical status surface, resolved read-only. Resolution goes through `resolve`, which
 * requires no writer, so an unmaterialised coordination worktree is never created and git runs only in
 * read mode; a mission that cannot be resolved now (the fail-closed window, a broken `meta.json`) is
 * skipped and reported, never guessed. Each log is then opened against its cursor: the prefix hash
 * decides between reading on from the offset and rescanning a rewritten log.
 */
import { Effect, Either } from "effect"
import { missionsRoot } from "../../core/repo/Naming.js"
import { backlogSlices } from "../../core/sync/LogScan.js"
import type { Backlog } from "../../core/sync/LogScan.js"
import { missionKeyOf, sameSignature } from "../../core/sync/SyncRecords.js"
import type { CursorKey, LogCursor, LogSignature } from "../../core/sync/SyncRecords.js"
import { resolve } from "../context/ResolveContext.js"
import type { Resolution, ResolveRequirements } from "../context/ResolveContext.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { logPathOf, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"
import { cursorHashOf, projectIdOf, readCursor, readCursorHead } from "./SyncStore.js"
import type { Runtime, StoreError } from "./SyncStore.js"
import { sha256 } from "../ports/Crypto.js"
import type { Hash } from "../ports/Crypto.js"

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
export const sourceOfResolution = (res: Resolution): LogSource => {
  const target = res.statusTarget
  const projectRoot = res.location.primaryRoot
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

/** A log opened against its cursor. */
export interface OpenLog {
  /** True when the log's signature is the one its cursor recorded after handling all of it: nothing was read. */
  readonly unchanged: boolean
  /** The signature the bytes were read under (null when the log changed while it was read). */
  readonly signature: LogSignature | null
  readonly bytes: Uint8Array
  /** The cursor (null when there is none, or when the log is unchanged and its ids were not read). */
  readonly cursor: LogCursor | null
  /** Where reading started: the cursor's offset when its prefix still matches, else 0. */
  readonly start: number
  /** True when the cursor's prefix no longer matches (a rewritten or re-sorted log): read from 0. */
  readonly rescanned: boolean
  /** sha256 state over bytes [0, start), ready to be extended as the cursor moves. */
  readonly prefixHash: Hash
}

/** What a delivery holds of a log's backlog at a time (the events of about this many bytes of lines). */
export const SLICE_BYTES = 4 * 1024 * 1024

/** The backlog of an opened log, slice by slice (`backlogSlices`): events the cursor has not seen, in order. */
export const backlogsOf = (log: OpenLog, sliceBytes = SLICE_BYTES): Generator<Backlog> =>
  backlogSlices(log.bytes, log.start, new Set(log.cursor?.seen ?? []), sliceBytes)

/** Reads a log (null when it does not exist yet) and what is left to deliver from it. */
export const openLog = (
  rt: Runtime,
  scopeId: string,
  source: LogSource
): Effect.Effect<OpenLog | null, StoreError | StatusFailure, StatusReader | RepoFs> =>
  Effect.gen(function*() {
    const reader = yield* StatusReader
    const before = yield* reader.logSignature(source.target)
    if (before === null) return null
    const head = yield* readCursorHead(rt, scopeId, source.key)
    const signature: LogSignature = { size: before.size, mtime_ns: String(before.mtimeNs), ino: before.ino }
    if (head !== null && head.path === source.logPath && head.offset === signature.size && sameSignature(head.signature, signature)) {
      // handled completely and untouched since: neither the log nor the seen ids are read
      return { unchanged: true, signature, bytes: new Uint8Array(0), cursor: null, start: head.offset, rescanned: false, prefixHash: sha256() }
    }
    const cursor = head === null ? null : yield* readCursor(rt, scopeId, source.key, head)
    const bytes = yield* reader.logBytes(source.target)
    if (bytes === null) return null
    let start = 0
    let prefixHash = sha256()
    let rescanned = false
    if (cursor !== null) {
      if (cursor.path === source.logPath && cursor.offset <= bytes.length) {
        const h = sha256().update(bytes.subarray(0, cursor.offset))
        if (h.copy().digest("hex") === cursor.prefix_sha256) {
          start = cursor.offset
          prefixHash = h
        } else rescanned = true
      } else rescanned = true
    }
    // the signature describes these bytes only if the file did not change while they were read
    const consistent = bytes.length === signature.size
    return { unchanged: false, signature: consistent ? signature : null, bytes, cursor, start, rescanned, prefixHash }
  })
