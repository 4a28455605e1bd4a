/**
 * Read-only views over missions (docs/status-model.md §8.4, docs/execution-context.md §15.3): the facts
 * of a mission's WP prompt files for the human board, and the list of every mission of a repository
 * with its topology, lane counts, progress and where its status lives. Nothing here writes.
 */
import { Effect, Either } from "effect"
import type { WpFacts } from "../../core/status/Board.js"
import { missionsRoot } from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import type { IoError } from "../../core/repo/RepoError.js"
import { weightedProgress } from "../../core/status/Snapshot.js"
import { parseFrontmatter, subtaskRoster, wpTitleOf } from "../../core/status/WorkPackageFile.js"
import { dependenciesOf } from "../../core/surfaces/ImplementRules.js"
import { RepoFs } from "../ports/RepoFs.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import { resolve } from "../context/ResolveContext.js"
import type { ResolveError, ResolveRequirements } from "../context/ResolveContext.js"
import { StatusReader } from "../status/StatusReader.js"
import type { StatusFailure, StatusTarget } from "../status/StatusReader.js"

/** The facts of every WP prompt file of a status target (`WPnn*.md` in its tasks dir). */
export const wpFactsOf = (target: StatusTarget): Effect.Effect<ReadonlyMap<string, WpFacts>, IoError, RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const names = ((yield* fs.entries(target.tasksDir)) ?? [])
      .filter((e) => e.kind === "File" && /^WP\d+(?:[-_.].*)?\.md$/.test(e.name))
      .map((e) => e.name)
    const facts = new Map<string, WpFacts>()
    for (const name of names) {
      const wpId = /^(WP\d+)/.exec(name)![1]
      if (facts.has(wpId)) continue
      const path = joinPath(target.tasksDir, name)
      const text = yield* fs.readText(path).pipe(Effect.orElseSucceed(() => null))
      if (text === null) continue
      const front = parseFrontmatter(text)
      const roster = Either.isRight(front) && "subtasks" in front.right ? Either.getOrNull(subtaskRoster(front.right)) : null
      facts.set(wpId, {
        title: wpTitleOf(text),
        roster,
        dependencies: Either.getOrElse(dependenciesOf(path, text), () => [] as ReadonlyArray<string>)
      })
    }
    return facts
  })

/** One mission of `mission list`. */
export interface MissionSummary {
  readonly mission_slug: string
  readonly mission_number: string | null
  readonly mission_id: string | null
  readonly topology: string | null
  readonly lanes: Readonly<Record<string, number>> | null
  readonly progress: { readonly percentage: number; readonly done: number; readonly total: number } | null
  /** Where its status lives, relative to the primary root. */
  readonly status_dir: string | null
  readonly created_at: string | null
  /** Why the mission could not be read (the rest is then null). */
  readonly error: { readonly code: string; readonly message: string } | null
}

const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/** The millisecond time a ULID encodes. */
const ulidTime = (id: string): number => {
  let t = 0
  for (const c of id.slice(0, 10)) t = t * 32 + ULID_CHARS.indexOf(c)
  return t
}

const sortKey = (m: MissionSummary): readonly [number, string] => {
  const created = m.created_at === null ? NaN : Date.parse(m.created_at)
  if (!Number.isNaN(created)) return [created, m.mission_slug]
  if (m.mission_id !== null && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(m.mission_id)) return [ulidTime(m.mission_id), m.mission_slug]
  return [m.mission_number === null ? -1 : Number(m.mission_number), m.mission_slug]
}

/** The mission directory names of the repository `cwd` is in (fast: no mission is read). */
export const missionNames = (cwd: string) =>
  Effect.gen(function*() {
    const location = yield* discoverPrimaryRoot(cwd)
    const entries = (yield* (yield* RepoFs).entries(missionsRoot(location.primaryRoot))) ?? []
    return entries.filter((e) => e.kind === "Directory" && !e.name.startsWith(".")).map((e) => e.name)
  })

/**
 * `kittyctx mission list`: every mission, newest first (`meta.json` `created_at`, else the time in its
 * mission id, else its number). A mission that cannot be resolved is listed with its error.
 */
export const listMissions = (
  cwd: string
): Effect.Effect<ReadonlyArray<MissionSummary>, ResolveError, ResolveRequirements> =>
  Effect.gen(function*() {
    const location = yield* discoverPrimaryRoot(cwd)
    const names = yield* missionNames(cwd)
    const reader = yield* StatusReader
    const summaries = yield* Effect.forEach(
      names,
      (name) =>
        Effect.gen(function*() {
          const r = yield* resolve({ cwd: location.primaryRoot, mission: name, action: "status" })
          const snap = yield* reader.snapshot(r.statusTarget)
          const progress = weightedProgress(snap.work_packages as Record<string, { lane: unknown }>)
          const created = r.meta?.created_at
          return {
            mission_slug: name,
            mission_number: snap.mission_number === "" || snap.mission_number === null ? null : String(snap.mission_number),
            mission_id: r.meta?.mission_id ?? null,
            topology: r.context.topology.value,
            lanes: Object.fromEntries(Object.entries(snap.summary as Record<string, number>).filter(([, n]) => n > 0)),
            progress: { percentage: progress.percentage, done: progress.done_count, total: progress.total_count },
            status_dir: relativeWithin(location.primaryRoot, r.statusTarget.statusDir),
            created_at: typeof created === "string" ? created : null,
            error: null
          } satisfies MissionSummary
        }).pipe(
          Effect.catchAll((e: ResolveError | StatusFailure) =>
            Effect.succeed({
              mission_slug: name,
              mission_number: null,
              mission_id: null,
              topology: null,
              lanes: null,
              progress: null,
              status_dir: null,
              created_at: null,
              error: { code: e.code, message: e.message }
            } satisfies MissionSummary)
          )
        ),
      { concurrency: 4 }
    )
    return [...summaries].sort((a, b) => {
      const [ka, na] = sortKey(a)
      const [kb, nb] = sortKey(b)
      return kb - ka || (na < nb ? 1 : na > nb ? -1 : 0)
    })
  })
