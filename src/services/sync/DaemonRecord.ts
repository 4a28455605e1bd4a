/**
 * Reading a scope's owner record and judging the daemon it names (docs/surfaces.md §8.1): absent, not
 * trustworthy, or recorded with the one liveness probe's verdict on its process identity.
 */
import { Effect, Either } from "effect"
import { syncScopeFile } from "../../core/repo/Naming.js"
import type { IoError } from "../../core/repo/RepoError.js"
import type { Liveness } from "../../core/process/ProcessIdentity.js"
import { decodeOwner, ownerIdentity } from "../../core/sync/DaemonOwner.js"
import type { OwnerRecord } from "../../core/sync/DaemonOwner.js"
import { SyncError, syncError } from "../../core/sync/SyncError.js"
import { Processes } from "../ports/Processes.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { Runtime } from "./RuntimeFiles.js"

/** What the owner record says. */
export type DaemonState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Unreadable"; readonly path: string; readonly problem: string }
  | { readonly _tag: "Recorded"; readonly owner: OwnerRecord; readonly liveness: Liveness }

/** The path of a scope's owner record. */
export const ownerPathOf = (rt: Runtime, scopeId: string): string => syncScopeFile(rt.root, scopeId, "owner")

/** The owner record; `DAEMON_OWNER_RECORD_UNREADABLE` when it cannot be trusted; null when absent. */
export const readOwner = (rt: Runtime, scopeId: string): Effect.Effect<OwnerRecord | null, SyncError | IoError, RepoFs> =>
  Effect.gen(function*() {
    const path = ownerPathOf(rt, scopeId)
    const fs = yield* RepoFs
    const text = yield* fs.readText(path, { noFollow: true, maxBytes: 64 * 1024 })
    if (text === null) return null
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      return yield* ownerUnreadable(path, `not JSON: ${(e as Error).message}`)
    }
    const decoded = decodeOwner(value)
    return Either.isLeft(decoded) ? yield* ownerUnreadable(path, decoded.left) : decoded.right
  })

const ownerUnreadable = (path: string, problem: string) =>
  syncError(
    "DAEMON_OWNER_RECORD_UNREADABLE",
    `The daemon owner record ${path} cannot be trusted (${problem}); no daemon is reused or signalled through it`,
    { path, problem }
  )

/** The state of a scope's daemon: never fails on a bad record (that is a state of its own). */
export const daemonState = (rt: Runtime, scopeId: string): Effect.Effect<DaemonState, IoError, RepoFs | Processes> =>
  Effect.gen(function*() {
    const read = yield* readOwner(rt, scopeId).pipe(
      Effect.map((owner): { readonly owner: OwnerRecord | null } | { readonly problem: string } => ({ owner })),
      Effect.catchIf((e): e is SyncError => e instanceof SyncError, (e) => Effect.succeed({ problem: String(e.details.problem) }))
    )
    if ("problem" in read) return { _tag: "Unreadable", path: ownerPathOf(rt, scopeId), problem: read.problem } as const
    if (read.owner === null) return { _tag: "Absent" } as const
    const processes = yield* Processes
    const liveness = yield* processes.probe(ownerIdentity(read.owner))
    return { _tag: "Recorded", owner: read.owner, liveness } as const
  })
