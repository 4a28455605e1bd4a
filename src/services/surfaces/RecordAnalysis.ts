/**
 * `mission record-analysis` and analysis-report freshness (docs/surfaces.md §1.4-§1.6): the dirty-tree
 * preflight with coordination-residue classification and placement divergence, `--adopt`, the report
 * write and its commit on the placement ref, and `checkAnalysisFreshness`, the implement gate's check.
 * Every path comes from the resolved context; every commit goes through `commitPaths`.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Effect, Either } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import { kittifyDir } from "../../core/repo/Naming.js"
import { isWithin, joinPath, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import {
  ANALYSIS_INPUT_KINDS,
  ANALYSIS_INPUTS,
  ANALYSIS_REPORT_FILE,
  CHARTER_CANDIDATES,
  freshnessOf,
  parseSubmission,
  renderReport,
  sameReportButTime,
  tasksHashBytes
} from "../../core/surfaces/AnalysisReport.js"
import type { Finding, Freshness, InputArtifact, InputArtifacts, IssueCounts, Verdict } from "../../core/surfaces/AnalysisReport.js"
import type { Divergence } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { EventIds } from "../ports/EventIds.js"
import type { LockError } from "../ports/FileLock.js"
import type { GitReader } from "../ports/Git.js"
import { RepoFs, textOf } from "../ports/RepoFs.js"
import { resolve, resolveForWrite } from "../context/ResolveContext.js"
import type { ContextRequest, Resolution, ResolveError, ResolveForWriteRequirements, ResolveRequirements } from "../context/ResolveContext.js"
import { commitPaths } from "./CommitPath.js"
import { makeUndoJournal } from "./UndoJournal.js"
import { refuseDuringGitOp } from "../ports/GitFiles.js"
import {
  checkCommitTarget,
  dirtyRefusal,
  divergenceRefusal,
  placementCheckoutDirty,
  primaryDivergence,
  protectedRefusal,
  protectionPolicy
} from "./WriteGuards.js"
import { sha256Hex } from "../ports/Crypto.js"

const readBytes = (path: string) => Effect.flatMap(RepoFs, (fs) => fs.readBytes(path))


// ---------------------------------------------------------------------------------------------
// Where things are, from the context

/** The checkout whose HEAD is the placement ref: the coord worktree when `feature_dir` lies in it, else the primary. */
export const placementCheckoutOf = (ctx: MissionExecutionContext): string => {
  const coord = ctx.workspace.coord_worktree
  return coord !== null && isWithin(coord, ctx.feature_dir) ? coord : ctx.workspace.primary_root
}

/** `<placement mission dir>/analysis-report.md`. */
export const analysisReportPath = (ctx: MissionExecutionContext): string =>
  joinPath(readDirFor(ctx, "ANALYSIS_REPORT"), ANALYSIS_REPORT_FILE)

/** The mission dir of the primary checkout, repo-relative (`kitty-specs/<slug>`). */
const primaryMissionDirRel = (ctx: MissionExecutionContext): string =>
  relativeWithin(ctx.workspace.primary_root, readDirFor(ctx, "PRIMARY_METADATA"))

/** §1.3/§1.4: the current hash of every input (mission inputs from their read dir, the charter from the primary). */
export const currentInputArtifacts = (
  ctx: MissionExecutionContext
): Effect.Effect<InputArtifacts, IoError, RepoFs> =>
  Effect.gen(function*() {
    const checkout = placementCheckoutOf(ctx)
    const entries: Partial<Record<string, InputArtifact>> = {}
    const primaryDir = readDirFor(ctx, "PRIMARY_METADATA")
    for (const name of ANALYSIS_INPUTS) {
      // Read where planning files are placed; an input that exists only in the primary checkout (spec-kitty's
      // split of planning files onto the target branch, #1816) is read there. The recorded path says which.
      const placed = joinPath(readDirFor(ctx, ANALYSIS_INPUT_KINDS[name]), name)
      let file = placed
      let bytes = yield* readBytes(placed)
      let base = checkout
      if (bytes === null && joinPath(primaryDir, name) !== placed) {
        file = joinPath(primaryDir, name)
        bytes = yield* readBytes(file)
        base = ctx.workspace.primary_root
      }
      entries[name] = bytes === null
        ? { path: null, sha256: null }
        : { path: relativeWithin(base, file), sha256: sha256Hex(name === "tasks.md" ? tasksHashBytes(bytes) : bytes) }
    }
    const root = ctx.workspace.primary_root
    entries.charter = { path: null, sha256: null }
    for (const candidate of CHARTER_CANDIDATES) {
      const file = joinPath(kittifyDir(root), ...candidate)
      const bytes = yield* readBytes(file)
      if (bytes !== null) {
        entries.charter = { path: relativeWithin(root, file), sha256: sha256Hex(bytes) }
        break
      }
    }
    return entries as InputArtifacts
  })

/**
 * §1.4: the freshness of the mission's analysis report, read where it is written (the placement
 * mission dir), never materialising anything: the same answer from every checkout.
 */
export const checkAnalysisFreshness = (resolution: Resolution): Effect.Effect<Freshness, IoError, RepoFs> =>
  Effect.gen(function*() {
    const ctx = resolution.context
    const path = analysisReportPath(ctx)
    const report = yield* readBytes(path)
    const current = yield* currentInputArtifacts(ctx)
    return freshnessOf({ path, reportText: report === null ? null : yield* textOf(path, report), current })
  })

// ---------------------------------------------------------------------------------------------
// The preflight (§1.6)

/** What the preflight found: the placement checkout and the primary checkout's dirty-path outcomes. */
export interface Preflight {
  readonly placementCheckout: string
  readonly divergence: Divergence
}

const noDivergence: Divergence = { harmless: [], blocking: [], divergent: [], notAdoptable: [] }

/**
 * §1.6: refuses while git rewrites either checkout, then judges the placement checkout (every dirty
 * path blocks) and, when it is not the primary checkout, the primary checkout's dirty paths through
 * the one divergence check. Divergent paths are returned, not refused: whether they block depends on
 * `--adopt`.
 */
export const preflight = (
  resolution: Resolution
): Effect.Effect<Preflight, SurfaceError | GitError | IoError, GitReader | RepoFs> =>
  Effect.gen(function*() {
    const ctx = resolution.context
    const primary = ctx.workspace.primary_root
    const checkout = placementCheckoutOf(ctx)
    yield* refuseDuringGitOp([checkout, primary], "finish or abort it, then re-run record-analysis")
    const placementDirty = yield* placementCheckoutDirty(ctx, checkout)
    if (placementDirty.others.length > 0) {
      return yield* dirtyRefusal(checkout, placementDirty.others, "record analysis report", "record-analysis")
    }
    if (checkout === primary) return { placementCheckout: checkout, divergence: noDivergence }
    const divergence = yield* primaryDivergence(ctx, { missionOnly: false, placementDirty: new Set() })
    if (divergence.blocking.length > 0) {
      return yield* dirtyRefusal(primary, divergence.blocking, "record analysis report", "record-analysis")
    }
    return { placementCheckout: checkout, divergence }
  })

// ---------------------------------------------------------------------------------------------
// record-analysis (§1.5)

/** A record-analysis request: the submitted text is already read (file or stdin). */
export interface RecordAnalysisRequest extends Pick<ContextRequest, "cwd" | "mission" | "missionCheck"> {
  readonly text: string
  readonly agent: string | null
  readonly adopt: boolean
  readonly noCommit: boolean
}

/** §1.5 step 8. */
export interface RecordAnalysisOutcome {
  readonly path: string
  readonly mission_slug: string
  readonly mission_id: string
  readonly input_artifacts: InputArtifacts
  readonly verdict: Verdict
  readonly issue_counts: IssueCounts
  readonly findings: ReadonlyArray<Finding>
  readonly stale: false
  readonly committed: boolean
  readonly commit: string | null
  /** Why nothing was committed although `--no-commit` was not given (a protected placement ref). */
  readonly commit_skipped?: { readonly reason: "protected_branch"; readonly ref: string; readonly message: string }
  readonly adopted: ReadonlyArray<string>
  /** False when an identical report (but for `generated_at`) was already there. */
  readonly written: boolean
}

/** The services record-analysis runs on. */
export type RecordAnalysisRequirements = ResolveForWriteRequirements | EventIds

/** Everything record-analysis can fail with. */
export type RecordAnalysisError = ResolveError | LockError | SurfaceError | GitError | IoError | ConfigError

/**
 * §1.5: resolve (materialising the coordination worktree), preflight, protected-branch and HEAD
 * checks, parse the carrier, check the inputs, adopt, write the report and commit it on the
 * placement ref. Every refusal comes before the first write.
 */
export const recordAnalysis = (
  req: RecordAnalysisRequest
): Effect.Effect<RecordAnalysisOutcome, RecordAnalysisError, RecordAnalysisRequirements> =>
  Effect.flatMap(
    resolveForWrite({ cwd: req.cwd, mission: req.mission, missionCheck: req.missionCheck, action: "analyze" }),
    (resolution) => recordResolved(resolution, req).pipe(Effect.onError(() => resolution.undoMaterialisation))
  )

/** §1.5 steps 2-8 on the resolution of step 1. */
const recordResolved = (
  resolution: Resolution,
  req: RecordAnalysisRequest
): Effect.Effect<RecordAnalysisOutcome, RecordAnalysisError, RecordAnalysisRequirements> =>
  Effect.gen(function*() {
    // 1. context, the placement checkout materialised
    const ctx = resolution.context
    const dest = ctx.artifact_placement.placement_ref
    const slug = ctx.identity.mission_slug
    if (dest.kind === "coordination" && ctx.status_surface.coord_state !== "MATERIALIZED") {
      return yield* surfaceError(
        "PLACEMENT_RESOLUTION_REQUIRED",
        `The coordination worktree of ${slug} is not materialised; cannot place the analysis report`,
        { placement_ref: dest, coord_worktree: ctx.workspace.coord_worktree }
      )
    }

    // 2. preflight and divergence
    const pre = yield* preflight(resolution)
    const checkout = pre.placementCheckout
    const primary = ctx.workspace.primary_root
    const { divergent, notAdoptable } = pre.divergence
    if ((divergent.length > 0 && !req.adopt) || notAdoptable.length > 0) {
      return yield* divergenceRefusal(ctx, checkout, divergent, notAdoptable)
    }
    const prefix = primaryMissionDirRel(ctx) + "/"
    const adoptions: Array<{ readonly path: string; readonly target: string; readonly text: string }> = []
    const notUtf8: Array<string> = []
    for (const path of divergent) {
      const bytes = yield* readBytes(joinPath(primary, path))
      const text = bytes === null ? Either.left(null) : textOf(path, bytes)
      if (Either.isLeft(text)) notUtf8.push(path)
      else adoptions.push({ path, target: joinPath(ctx.feature_dir, path.slice(prefix.length)), text: text.right })
    }
    if (notUtf8.length > 0) return yield* divergenceRefusal(ctx, checkout, divergent, notUtf8)

    // 3. the placement checkout on the placement ref; a protected ref gets the report uncommitted (spec-kitty
    //    writes it and exits 0 too), reported as `committed: false` with the reason
    const policy = yield* protectionPolicy(resolution)
    const protectedRef = req.noCommit ? null : yield* protectedRefusal(dest, policy)
    const commit = !req.noCommit && protectedRef === null
    if (commit) yield* checkCommitTarget(checkout, dest, policy)

    // 4. the carrier
    const submission = yield* parseSubmission(req.text)

    // 5. required inputs (a path about to be adopted counts as present)
    const adopting = new Set(adoptions.map((a) => a.target))
    for (const name of ANALYSIS_INPUTS) {
      const file = joinPath(readDirFor(ctx, ANALYSIS_INPUT_KINDS[name]), name)
      const primaryCopy = joinPath(readDirFor(ctx, "PRIMARY_METADATA"), name)
      if (!adopting.has(file) && (yield* readBytes(file)) === null && (yield* readBytes(primaryCopy)) === null) {
        return yield* surfaceError("REQUIRED_ARTIFACT_MISSING", `Required artifact missing: ${name}`, {
          artifact: name,
          path: file
        })
      }
    }

    // 6-7. adopt, hash, write, commit; undone if any of it fails
    const path = analysisReportPath(ctx)
    const writes = yield* makeUndoJournal(resolution.statusTarget.scope, checkout)
    const phase = Effect.gen(function*() {
      for (const a of adoptions) yield* writes.write(a.target, a.text)
      if (adoptions.length > 0 && commit) {
        yield* writes.staging(adoptions.map((a) => relativeWithin(checkout, a.target)))
        yield* commitPaths({
          checkout,
          target: dest,
          paths: adoptions.map((a) => relativeWithin(checkout, a.target)),
          message: `chore(${slug}): adopt primary edits into ${dest.ref}`,
          protection: policy
        })
      }
      const input_artifacts = yield* currentInputArtifacts(ctx)
      const { at } = yield* Effect.flatMap(EventIds, (ids) => ids.next)
      const text = renderReport({
        mission_slug: slug,
        mission_id: ctx.identity.mission_id,
        generated_at: at,
        analyzer_agent: req.agent ?? "unknown",
        input_artifacts,
        verdict: submission.verdict,
        issue_counts: submission.issue_counts,
        findings: submission.findings,
        body: submission.body
      })
      const existing = yield* readBytes(path)
      const existingText = existing === null ? null : Either.getOrNull(textOf(path, existing))
      const unchanged = existingText !== null && sameReportButTime(existingText, text)
      if (!unchanged) yield* writes.write(path, text)
      if (commit) yield* writes.staging([relativeWithin(checkout, path)])
      const made = commit
        ? yield* commitPaths({
          checkout,
          target: dest,
          paths: [relativeWithin(checkout, path)],
          message: `Add analysis report for mission ${slug}`,
          protection: policy
        })
        : { committed: false, sha: null }
      return { input_artifacts, unchanged, made }
    })
    const { input_artifacts, made, unchanged } = yield* phase.pipe(Effect.tapError(() => writes.undo))

    // 8.
    return {
      path,
      mission_slug: slug,
      mission_id: ctx.identity.mission_id,
      input_artifacts,
      verdict: submission.verdict,
      issue_counts: submission.issue_counts,
      findings: submission.findings,
      stale: false,
      committed: made.committed,
      commit: made.sha,
      ...(protectedRef === null ? {} : {
        commit_skipped: {
          reason: "protected_branch",
          ref: dest.ref,
          message: `${dest.ref} is protected: the report was written but not committed; commit it through your ` +
            "review path (or declare the branch unprotected in .kittify/config.yaml)."
        }
      }),
      adopted: adoptions.map((a) => a.path),
      written: !unchanged
    }
  })

/** `analysis-status`: resolve without materialising anything, then check freshness. */
export const analysisStatus = (
  req: Pick<ContextRequest, "cwd" | "mission">
): Effect.Effect<Freshness, ResolveError, ResolveRequirements> =>
  Effect.flatMap(resolve({ cwd: req.cwd, mission: req.mission, action: "analyze" }), checkAnalysisFreshness)
