/**
 * `kittyctx retrospect create|show` (docs/surfaces.md §4): the mission's retrospective record at the
 * tracked `retrospective.yaml` of the placement mission dir, never under a path git ignores; the legacy
 * `.kittify/missions/<id>/retrospective.yaml` is read, never written. `create` checks everything before
 * it writes (completion on the canonical status surface, the write mode, the ignore rule, the commit
 * target, the input, the record spec-kitty's reader must accept), then writes the record atomically,
 * appends `retrospective.started` / `.completed` through the status facade, and makes one commit on the
 * placement ref.
 */
import { Clock, Effect, Either } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { CommitTarget } from "../../core/context/ExecutionContext.js"
import { isLegacyIdentity } from "../../core/context/ExecutionContext.js"
import type { JsonValue } from "../../core/python/PyJson.js"
import { legacyRetrospective, missionFile, RETROSPECTIVE_FILE } from "../../core/repo/Naming.js"
import { relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { retrospectError } from "../../core/retrospect/RetrospectError.js"
import type { RetrospectError } from "../../core/retrospect/RetrospectError.js"
import {
  FINDING_LISTS,
  isLegacyShape,
  newRecord,
  parseInput,
  parseRecordText,
  recordProblems,
  renderRecord,
  updateRecord
} from "../../core/retrospect/RetrospectRecord.js"
import type { GenRecord } from "../../core/retrospect/RetrospectRecord.js"
import { foldTransitions } from "../../core/status/StatusFold.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { VERSION } from "../../core/Version.js"
import { resolve, resolveForWrite } from "../context/ResolveContext.js"
import type { Resolution, ResolveError, ResolveForWriteRequirements, ResolveRequirements } from "../context/ResolveContext.js"
import type { LockError } from "../ports/FileLock.js"
import { GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import { MissionStatus } from "../status/MissionStatus.js"
import { statusFiles, StatusReader } from "../status/StatusReader.js"
import type { StatusFailure } from "../status/StatusReader.js"
import { commitPaths } from "../surfaces/CommitPath.js"
import { placementCheckoutOf } from "../surfaces/RecordAnalysis.js"
import { checkCommitTarget, protectionPolicy } from "../surfaces/WriteGuards.js"
import { sha256 } from "../ports/Crypto.js"
import { formatIsoUtcMillis } from "../../core/status/Ulid.js"

/** How `create` treats an existing record. */
export type WriteMode = "error" | "overwrite" | "update"

/** What `retrospect create` is asked to do. */
export interface CreateRequest {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly mode: WriteMode
  /** The `--input-file` content (YAML or JSON), or null for a record without findings. */
  readonly input: string | null
  readonly noCommit: boolean
}

/** `retrospect create`'s result (docs/surfaces.md §4.3 step 7). */
export interface CreateOutcome {
  /** The record, relative to the placement checkout. */
  readonly path: string
  readonly mission_slug: string
  readonly mode: WriteMode
  readonly findings_status: GenRecord["findings_status"]
  readonly committed: boolean
  readonly commit: string | null
  readonly events: ReadonlyArray<string>
}

/** `retrospect show`'s result. */
export interface ShowOutcome {
  readonly path: string
  readonly source: "tracked" | "legacy"
  readonly shape: "generator" | "legacy"
  readonly record: unknown
}

/** Everything the retrospective commands fail with. */
export type RetrospectFailure =
  | RetrospectError
  | ResolveError
  | StatusFailure
  | SurfaceError
  | LockError
  | GitError
  | IoError
  | ConfigError

/** The tracked record of the placement mission dir, and the legacy one (null for a legacy mission). */
const recordPaths = (r: Resolution) => ({
  tracked: missionFile(r.context.feature_dir, RETROSPECTIVE_FILE),
  legacy: isLegacyIdentity(r.context.identity)
    ? null
    : legacyRetrospective(r.context.workspace.primary_root, r.context.identity.mission_id)
})

/** The completion gate (#1735): every WP with a status is done or canceled on the canonical surface. */
const requireCompleted = (r: Resolution) =>
  Effect.gen(function*() {
    const stream = yield* (yield* StatusReader).stream(r.statusTarget)
    const open = [...foldTransitions(stream.transitions).states.entries()]
      .filter(([, s]) => !["done", "canceled", "genesis", "uninitialized"].includes(s.lane))
      .map(([wp, s]) => ({ wp_id: wp, lane: s.lane }))
      .sort((a, b) => (a.wp_id < b.wp_id ? -1 : 1))
    if (open.length > 0) {
      return yield* retrospectError(
        "MISSION_NOT_COMPLETED",
        `Mission has WPs in non-terminal lanes: ${open.map((o) => `${o.wp_id} (${o.lane})`).join(", ")}. ` +
          "Complete the mission before authoring a retrospective.",
        { open_wps: open, status_dir: r.statusTarget.statusDir }
      )
    }
  })

/** Reads and decodes an existing record; null when absent. */
const readRecord = (path: string) =>
  Effect.gen(function*() {
    const text = yield* (yield* RepoFs).readText(path)
    if (text === null) return null
    const parsed = parseRecordText(text)
    if (Either.isLeft(parsed)) {
      return yield* retrospectError("RETROSPECTIVE_RECORD_MALFORMED", `${path} is ${parsed.left}`, { path })
    }
    return parsed.right
  })

/** `retrospect create` (docs/surfaces.md §4.3). */
export const createRetrospective = (
  req: CreateRequest
): Effect.Effect<CreateOutcome, RetrospectFailure, ResolveForWriteRequirements | MissionStatus> =>
  Effect.gen(function*() {
    const r = yield* resolveForWrite({ cwd: req.cwd, mission: req.mission, action: "status" })
    const ctx = r.context
    const slug = ctx.identity.mission_slug
    yield* requireCompleted(r)

    const paths = recordPaths(r)
    const fs = yield* RepoFs
    const trackedExists = (yield* fs.kind(paths.tracked)) !== null
    const legacyExists = paths.legacy !== null && (yield* fs.kind(paths.legacy)) !== null
    if (req.mode === "error" && (trackedExists || legacyExists)) {
      const existing = trackedExists ? paths.tracked : paths.legacy!
      return yield* retrospectError(
        "RETROSPECTIVE_RECORD_EXISTS",
        `A retrospective record already exists at ${existing}. Pass --overwrite to replace it or --update to merge.`,
        { path: existing }
      )
    }

    // the record must be committable: never written where git ignores it (#1771)
    const checkout = placementCheckoutOf(ctx)
    const rel = relativeWithin(checkout, paths.tracked)
    const ignored = yield* (yield* GitReader).read(["check-ignore", "-q", "--", rel], checkout)
    if (ignored.exitCode === 0) {
      return yield* retrospectError(
        "RETROSPECTIVE_PATH_IGNORED",
        `git ignores ${rel} in ${checkout}, so the record could never be committed; change the ignore rules first`,
        { path: rel, checkout }
      )
    }
    const target: CommitTarget = ctx.artifact_placement.placement_ref
    const protection = yield* protectionPolicy(r)
    if (!req.noCommit) yield* checkCommitTarget(checkout, target, protection)

    const input = parseInput(req.input)
    if (Either.isLeft(input)) {
      return yield* retrospectError("RETROSPECTIVE_INPUT_INVALID", `The input is not usable: ${input.left.join("; ")}`, {
        problems: input.left
      })
    }
    const meta = r.meta
    const at = formatIsoUtcMillis(yield* Clock.currentTimeMillis).replace("Z", "+00:00")
    const friendly = typeof meta?.friendly_name === "string" && meta.friendly_name !== "" ? meta.friendly_name : slug
    const number = meta?.identity.mission_number
    const fresh = newRecord(
      {
        mission_id: isLegacyIdentity(ctx.identity) ? "" : ctx.identity.mission_id,
        mission_slug: slug,
        mission_number: number === null || number === undefined ? null : Number(number),
        friendly_name: friendly,
        mission_type: meta?.identity.mission_type ?? "",
        target_branch: ctx.branch_ref.target_branch
      },
      input.right,
      at,
      `kittyctx/${VERSION}`
    )
    const inputProblems = recordProblems(fresh)
    if (inputProblems.length > 0) {
      return yield* retrospectError("RETROSPECTIVE_INPUT_INVALID", `The input is not usable: ${inputProblems.join("; ")}`, {
        problems: inputProblems
      })
    }

    let record = fresh
    if (req.mode === "update" && (trackedExists || legacyExists)) {
      const priorPath = trackedExists ? paths.tracked : paths.legacy!
      const prior = yield* readRecord(priorPath)
      const priorProblems = isLegacyShape(prior)
        ? ["it has spec-kitty's schema_version \"1\" shape, which --update cannot merge into; use --overwrite"]
        : recordProblems(prior)
      if (priorProblems.length > 0) {
        return yield* retrospectError(
          "RETROSPECTIVE_RECORD_MALFORMED",
          `The existing record ${priorPath} cannot be updated: ${priorProblems.join("; ")}`,
          { path: priorPath, problems: priorProblems }
        )
      }
      record = updateRecord(prior as GenRecord, fresh)
      const merged = recordProblems(record)
      if (merged.length > 0) {
        return yield* retrospectError(
          "RETROSPECTIVE_RECORD_MALFORMED",
          `Updating ${priorPath} would give a malformed record: ${merged.join("; ")}`,
          { path: priorPath, problems: merged }
        )
      }
    }

    const text = renderRecord(record)
    yield* (yield* RepoWrite).writeFile(r.statusTarget.scope, paths.tracked, text)

    const status = yield* MissionStatus
    const base: Record<string, JsonValue> = {
      actor: { kind: "human", id: "cli", profile_id: null },
      mid8: ctx.identity.mid8,
      mission_id: ctx.identity.mission_id,
      mission_slug: slug
    }
    const counts = Object.fromEntries(FINDING_LISTS.map(([list]) => [list, record[list].length])) as Record<string, JsonValue>
    const events = yield* status.appendEnvelopes(r.statusTarget, [
      {
        ...base,
        event_name: "retrospective.started",
        payload: { facilitator_profile_id: "kittyctx", action_id: "retrospect-create" }
      },
      {
        ...base,
        event_name: "retrospective.completed",
        payload: {
          record_path: relativeWithin(checkout, paths.tracked),
          record_hash: sha256().update(text).digest("hex"),
          findings_summary: counts,
          proposals_count: record.proposals.length
        }
      }
    ])

    const commit = req.noCommit ? null : yield* commitPaths({
      checkout,
      target,
      protection,
      paths: [rel, ...statusFiles(r.statusTarget).map((f) => relativeWithin(checkout, f))],
      message: `chore(retrospective): author retrospective for ${slug}`
    })
    return {
      path: rel,
      mission_slug: slug,
      mode: req.mode,
      findings_status: record.findings_status,
      committed: commit?.committed ?? false,
      commit: commit?.sha ?? null,
      events: events.map((e) => String(e.event_id))
    }
  }).pipe(Effect.withSpan("kittyctx.retrospectCreate"))

/** `retrospect show`: the record by precedence (tracked, then legacy), or `RETROSPECTIVE_RECORD_MISSING`. */
export const showRetrospective = (req: {
  readonly cwd: string
  readonly mission?: string | undefined
}): Effect.Effect<ShowOutcome, RetrospectFailure, ResolveRequirements> =>
  Effect.gen(function*() {
    const r = yield* resolve({ cwd: req.cwd, mission: req.mission, action: "status" })
    const paths = recordPaths(r)
    for (const [source, path] of [["tracked", paths.tracked], ["legacy", paths.legacy]] as const) {
      if (path === null) continue
      const record = yield* readRecord(path)
      if (record === null) continue
      if (isLegacyShape(record)) return { path, source, shape: "legacy" as const, record }
      const problems = recordProblems(record)
      if (problems.length > 0) {
        return yield* retrospectError("RETROSPECTIVE_RECORD_MALFORMED", `${path} is not a retrospective record: ${problems.join("; ")}`, {
          path,
          problems
        })
      }
      return { path, source, shape: "generator" as const, record }
    }
    return yield* retrospectError("RETROSPECTIVE_RECORD_MISSING", `No retrospective record at ${paths.tracked}`, {
      path: paths.tracked,
      legacy_path: paths.legacy
    })
  })
