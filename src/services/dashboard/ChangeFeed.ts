/**
 * Live updates for the dashboard (docs/surfaces.md §7.4): native file watching of the primary
 * `kitty-specs/` tree and of every coordination worktree's mission dir (plus the primary root and
 * `.worktrees/` themselves, so a new coordination worktree is noticed), debounced (a batch closes after
 * 250 ms without a change, at most 600 ms after its first) into one batch of changed mission dir names. When watching is unavailable the feed falls back to its own stat
 * check every 5 s over the same places (`mode: "stat"`). The feed reads nothing but directory entries and
 * file signatures, and writes nothing.
 */
import { Clock, Effect, ExecutionStrategy, Exit, Option, PubSub, Queue, Ref, Schedule, Scope, Stream } from "effect"
import type { IoError } from "../../core/repo/RepoError.js"
import {
  coordMissionDirOfWorktree,
  isCoordNameOf,
  isCoordWorktreeName,
  MISSIONS_DIR,
  missionsRoot,
  worktreesRoot
} from "../../core/repo/Naming.js"
import { isWithin, joinPath, relativeWithin } from "../../core/repo/Paths.js"
import { FileWatch } from "../ports/FileWatch.js"
import { RepoFs } from "../ports/RepoFs.js"

/** How changes are noticed. */
export type LiveMode = "watch" | "stat"

/** One place to watch; `coordName` names the coordination mission dir it is (null otherwise). */
export interface WatchTarget {
  readonly dir: string
  readonly recursive: boolean
  readonly coordName: string | null
}

/** The running feed. */
export interface ChangeFeed {
  readonly mode: Effect.Effect<LiveMode>
  /** Batches of changed primary mission dir names (empty batches are never published). */
  readonly changes: PubSub.PubSub<ReadonlyArray<string>>
}

/** The debounce window (§7.4). */
export const DEBOUNCE_MS = 250
/** A burst of changes is announced at most this long after its first change (so within 1 s, §7.6 A7.7). */
export const MAX_BATCH_MS = 600
/** The stat fallback's period (§7.4). */
export const STAT_PERIOD_MS = 5000
/** How deep the stat fallback walks a recursive target. */
const STAT_DEPTH = 4

const targetId = (t: WatchTarget) => `${t.recursive ? "R" : "D"}:${t.dir}`

/** The places to watch now: the root, `kitty-specs/`, `.worktrees/` and each coordination mission dir. */
export const watchPlan = (root: string): Effect.Effect<ReadonlyArray<WatchTarget>, never, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const kindOf = (p: string) => fs.kind(p).pipe(Effect.orElseSucceed(() => null))
    const plan: Array<WatchTarget> = [{ dir: root, recursive: false, coordName: null }]
    if ((yield* kindOf(missionsRoot(root))) === "Directory") plan.push({ dir: missionsRoot(root), recursive: true, coordName: null })
    const wt = worktreesRoot(root)
    if ((yield* kindOf(wt)) === "Directory") {
      plan.push({ dir: wt, recursive: false, coordName: null })
      const entries = (yield* fs.entries(wt).pipe(Effect.orElseSucceed(() => null))) ?? []
      for (const e of entries) {
        if (e.kind !== "Directory" || !isCoordWorktreeName(e.name)) continue
        const coordRoot = joinPath(wt, e.name)
        const missionDirPath = coordMissionDirOfWorktree(coordRoot, e.name)
        const name = missionDirPath.slice(missionDirPath.lastIndexOf("/") + 1)
        if ((yield* kindOf(missionDirPath)) === "Directory") plan.push({ dir: missionDirPath, recursive: true, coordName: name })
        else if ((yield* kindOf(joinPath(coordRoot, MISSIONS_DIR))) === "Directory") {
          plan.push({ dir: joinPath(coordRoot, MISSIONS_DIR), recursive: false, coordName: null })
        } else plan.push({ dir: coordRoot, recursive: false, coordName: null })
      }
    }
    return plan
  })

/** What a batch of changed paths means: the primary mission dirs touched, and whether the plan may have changed. */
export const classifyPaths = (
  root: string,
  plan: ReadonlyArray<WatchTarget>,
  primaryDirs: ReadonlyArray<string>,
  paths: ReadonlyArray<string>
): { readonly dirs: ReadonlyArray<string>; readonly replan: boolean } => {
  const specs = missionsRoot(root)
  const dirs = new Set<string>()
  let replan = false
  for (const p of paths) {
    if (isWithin(specs, p) && p !== specs) {
      dirs.add(relativeWithin(specs, p).split("/")[0])
      continue
    }
    const coord = plan.find((t) => t.coordName !== null && isWithin(t.dir, p))
    if (coord !== undefined) {
      for (const d of primaryDirs) if (isCoordNameOf(d, coord.coordName!)) dirs.add(d)
      continue
    }
    replan = true
  }
  return { dirs: [...dirs].sort(), replan }
}

/** Signatures (`size:mtime`) of everything a plan covers, for the stat fallback. */
const signaturesOf = (plan: ReadonlyArray<WatchTarget>) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const out = new Map<string, string>()
    const walk = (dir: string, depth: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        const entries = (yield* fs.entries(dir).pipe(Effect.orElseSucceed(() => null))) ?? []
        for (const e of entries) {
          const p = joinPath(dir, e.name)
          const sig = yield* fs.signature(p).pipe(Effect.orElseSucceed(() => null))
          out.set(p, sig === null ? "-" : `${sig.size}:${sig.mtimeNs}`)
          if (e.kind === "Directory" && depth > 0) yield* walk(p, depth - 1)
        }
      })
    for (const t of plan) yield* walk(t.dir, t.recursive ? STAT_DEPTH : 0)
    return out
  })

const diffSignatures = (before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Array<string> => {
  const changed: Array<string> = []
  for (const [p, s] of after) if (before.get(p) !== s) changed.push(p)
  for (const p of before.keys()) if (!after.has(p)) changed.push(p)
  return changed
}

/**
 * Starts the feed in the current scope. `primaryDirs` lists the primary mission dir names (to map a
 * coordination copy back to its mission).
 */
export const startChangeFeed = (
  root: string,
  primaryDirs: Effect.Effect<ReadonlyArray<string>, never, RepoFs>
): Effect.Effect<ChangeFeed, never, Scope.Scope | FileWatch | RepoFs> =>
  Effect.gen(function*() {
    const watch = yield* FileWatch
    const scope = yield* Effect.scope
    const changes = yield* PubSub.unbounded<ReadonlyArray<string>>()
    const inbox = yield* Queue.unbounded<ReadonlyArray<string>>()
    const mode = yield* Ref.make<LiveMode>("watch")
    const watches = new Map<string, Scope.CloseableScope>()
    let plan: ReadonlyArray<WatchTarget> = []

    const closeAll = Effect.forEach([...watches.values()], (s) => Scope.close(s, Exit.void), { discard: true }).pipe(
      Effect.zipRight(Effect.sync(() => watches.clear()))
    )

    const subscribe = (t: WatchTarget): Effect.Effect<void, IoError, RepoFs> =>
      Effect.gen(function*() {
        const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
        const stream = yield* watch.subscribe(t.dir, { recursive: t.recursive }).pipe(
          Scope.extend(child),
          Effect.tapError(() => Scope.close(child, Exit.void))
        )
        watches.set(targetId(t), child)
        yield* stream.pipe(
          Stream.runForEach((batch) => Queue.offer(inbox, batch)),
          Effect.catchAll(fallBackToStat),
          Effect.forkIn(child)
        )
      })

    /** Applies a new plan: closes dropped watches, opens new ones; returns the coordination dirs newly covered. */
    const applyPlan = (next: ReadonlyArray<WatchTarget>): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs> =>
      Effect.gen(function*() {
        const nextIds = new Set(next.map(targetId))
        for (const [id, s] of watches) {
          if (!nextIds.has(id)) {
            yield* Scope.close(s, Exit.void)
            watches.delete(id)
          }
        }
        const added: Array<string> = []
        for (const t of next) {
          if (watches.has(targetId(t))) continue
          if ((yield* Ref.get(mode)) === "watch") yield* subscribe(t)
          if (t.coordName !== null) added.push(t.coordName)
        }
        plan = next
        return added
      })

    const statLoop = Effect.gen(function*() {
      let before = yield* signaturesOf(yield* watchPlan(root))
      yield* Effect.gen(function*() {
        plan = yield* watchPlan(root)
        const after = yield* signaturesOf(plan)
        const changed = diffSignatures(before, after)
        before = after
        if (changed.length > 0) yield* Queue.offer(inbox, changed)
      }).pipe(Effect.repeat(Schedule.spaced(STAT_PERIOD_MS)), Effect.delay(STAT_PERIOD_MS))
    })

    const fallBackToStat = (reason: IoError): Effect.Effect<void, never, RepoFs> => Effect.gen(function*() {
      if ((yield* Ref.getAndSet(mode, "stat")) === "stat") return
      yield* Effect.logWarning(`file watching is unavailable (${reason.message}); falling back to a stat check every 5 s`)
      yield* closeAll
      yield* Effect.forkIn(statLoop, scope)
    })

    const handle = (paths: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const dirs = yield* primaryDirs
        const { dirs: touched, replan } = classifyPaths(root, plan, dirs, paths)
        const all = new Set(touched)
        if (replan && (yield* Ref.get(mode)) === "watch") {
          const added = yield* applyPlan(yield* watchPlan(root)).pipe(
            Effect.catchAll((e) => Effect.as(fallBackToStat(e), [] as ReadonlyArray<string>))
          )
          for (const name of added) for (const d of dirs) if (isCoordNameOf(d, name)) all.add(d)
        }
        if (all.size > 0) yield* PubSub.publish(changes, [...all].sort())
      })

    // debounce: a batch closes after DEBOUNCE_MS without a change, or MAX_BATCH_MS after its first change
    yield* Effect.gen(function*() {
      while (true) {
        const batch = [...(yield* Queue.take(inbox))]
        const opened = yield* Clock.currentTimeMillis
        while (true) {
          const more = yield* Queue.take(inbox).pipe(Effect.timeout(DEBOUNCE_MS), Effect.option)
          if (Option.isNone(more)) break
          batch.push(...more.value)
          if ((yield* Clock.currentTimeMillis) - opened >= MAX_BATCH_MS) break
        }
        yield* handle(batch)
      }
    }).pipe(Effect.forkIn(scope))

    yield* applyPlan(yield* watchPlan(root)).pipe(Effect.catchAll(fallBackToStat))
    return { mode: Ref.get(mode), changes }
  })
