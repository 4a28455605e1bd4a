/**
 * The one reaper (docs/surfaces.md §8.4), called on the daemon's spawn path and by `sync daemon reap`:
 * it lists the processes carrying this runtime root's marker, judges each with the positive-attribution
 * predicate (`core/sync/DaemonProcess`), and stops only the orphans it can attribute, through the one
 * kill path (which re-probes the identity before every signal). A dry run judges the same and signals
 * nothing.
 */
import { Clock, Effect } from "effect"
import { isCandidateArgv, judgeCandidate, ROOT_MARKER, EXEC_MARKER } from "../../core/sync/DaemonProcess.js"
import type { Candidate, OwnerLookup, SkipReason } from "../../core/sync/DaemonProcess.js"
import { ownerIdentity } from "../../core/sync/DaemonOwner.js"
import { terminate } from "../background/Terminate.js"
import { Processes } from "../ports/Processes.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Spawner } from "../ports/Spawner.js"
import { readOwner } from "./DaemonRecord.js"
import type { Runtime } from "./RuntimeFiles.js"

/** What one reaping did (`would_reap` on a dry run). */
export interface ReapReport {
  readonly reaped: ReadonlyArray<number>
  readonly would_reap: ReadonlyArray<number>
  readonly skipped: ReadonlyArray<{ readonly pid: number; readonly reason: SkipReason }>
  /** Orphans the kill path could not stop (the identity changed, permission, did not exit). */
  readonly failed: ReadonlyArray<{ readonly pid: number; readonly failure: string }>
}

/** A candidate younger than this may be a daemon another start is still bringing up (not yet its owner). */
export const STARTING_GRACE_S = 15

/** How the reaper is called. */
export interface ReapOptions {
  readonly dryRun: boolean
  /** A scope whose spawn lock the caller holds: its candidates cannot be starting, no grace applies. */
  readonly lockedScope: string | null
}

/** Every process carrying a root marker, with the facts the predicate judges (paths canonical). */
const candidates = Effect.gen(function*() {
  const processes = yield* Processes
  const fs = yield* RepoFs
  const canonical = (p: string | undefined | null) =>
    p === undefined || p === null || p === "" ? Effect.succeed(null) : fs.realpath(p).pipe(Effect.orElseSucceed(() => null))
  const out: Array<Candidate> = []
  for (const pid of yield* processes.list) {
    const argv = yield* processes.argv(pid)
    if (argv === null || !isCandidateArgv(argv)) continue
    const identity = yield* processes.identity(pid)
    const exe = yield* processes.executable(pid)
    const marker = argv.find((a) => a.startsWith(EXEC_MARKER))?.slice(EXEC_MARKER.length)
    out.push({
      identity,
      argv,
      executable: (yield* canonical(exe)) ?? exe,
      argv0: yield* canonical(argv[0]),
      entry: yield* canonical(argv[1]),
      execMarker: yield* canonical(marker)
    })
  }
  return out
})

/** The recorded owner of each scope of this runtime root, read once per scope. */
const ownerLookup = (rt: Runtime, scopes: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const table = new Map<string, ReturnType<OwnerLookup>>()
    for (const scope of new Set(scopes)) {
      const read = yield* Effect.either(readOwner(rt, scope))
      table.set(
        scope,
        read._tag === "Left"
          ? { _tag: "Unreadable" }
          : read.right === null
          ? { _tag: "None" }
          : { _tag: "Owner", identity: ownerIdentity(read.right) }
      )
    }
    return (scope: string) => table.get(scope) ?? { _tag: "None" as const }
  })

/** Classifies every candidate and (unless a dry run) stops the attributable orphans. */
export const reapOrphans = (rt: Runtime, options: ReapOptions) =>
  Effect.gen(function*() {
    const spawner = yield* Spawner
    const found = yield* candidates
    const scopeOf = (c: Candidate) => {
      const i = c.argv.indexOf("--scope")
      return i >= 0 ? c.argv[i + 1] ?? "" : ""
    }
    const owners = yield* ownerLookup(
      rt,
      found.filter((c) => c.argv.some((a) => a === `${ROOT_MARKER}${rt.root}`)).map(scopeOf).filter((s) => /^[0-9a-f]{16}$/.test(s))
    )
    const nowS = (yield* Clock.currentTimeMillis) / 1000
    const self = { pid: process.pid, runtimeRoot: rt.root, executable: spawner.self.executable, entry: spawner.self.entry }
    const reaped: Array<number> = []
    const wouldReap: Array<number> = []
    const skipped: Array<{ pid: number; reason: SkipReason }> = []
    const failed: Array<{ pid: number; failure: string }> = []
    for (const c of found) {
      const verdict = judgeCandidate(c, self, owners, {
        nowS,
        graceS: STARTING_GRACE_S,
        graceFree: (scope) => scope === options.lockedScope
      })
      if (verdict._tag === "Skip") skipped.push({ pid: c.identity.pid, reason: verdict.reason })
      else if (options.dryRun) wouldReap.push(c.identity.pid)
      else {
        const outcome = yield* terminate(c.identity)
        if (outcome.reaped) reaped.push(c.identity.pid)
        else failed.push({ pid: c.identity.pid, failure: outcome.failure ?? "not stopped" })
      }
    }
    return { reaped, would_reap: wouldReap, skipped, failed } satisfies ReapReport
  })
