/**
 * `mission record-analysis` and analysis-report freshness (surfaces spec §1.4-§1.6): the dirty-tree
 * preflight with coordination-residue classification and placement divergence, `--adopt`, the report
 * write and its commit on the placement ref, and `checkAnalysisFreshness`, the implement gate's check.
 * Every path comes from the resolved context; every commit goes through `commitPaths`.
 */
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { createHash } from "node:crypto"
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
import type { ContextError } from "../../core/context/ContextError.js"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import type { CommitKind } from "../../core/context/MissionMeta.js"
import { headsRef, kittifyDir } from "../../core/layout/Naming.js"
import { dirnamePath, isWithin, joinPath, relativeWithin } from "../../core/layout/Paths.js"
import { entryPaths, placementDivergence, RESIDUE_RULES } from "../../core/surfaces/Placement.js"
import type { Divergence, ResidueRule } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { writeAtomic } from "../ports/AtomicFile.js"
import { commitPaths, dirtyEntries, headRefOf, protectedRefusal } from "./CommitPath.js"
import { EventIds } from "../ports/EventIds.js"
import type { FileLock } from "../ports/FileLock.js"
import { Git } from "../ports/Git.js"
import { gitOperationInProgress } from "../ports/GitOpGuard.js"
import type { RepoFs } from "../ports/RepoFs.js"
import { resolve } from "../context/ResolveContext.js"
import type { ContextRequest, Resolution, ResolveRequirements } from "../context/ResolveContext.js"
import { resolveForWrite } from "./StatusWrites.js"

// ---------------------------------------------------------------------------------------------
// Reading bytes

/** The refusal for an input that exists but cannot be read. */
export const unreadable = (path: string, reason: string) =>
  surfaceError("INPUT_UNREADABLE", `Cannot read ${path}: ${reason}`, { path, reason })

/** A file's bytes, or null when absent. */
/** A file's bytes, or null when absent. */
export const readBytes = (path: string): Effect.Effect<Uint8Array | null, SurfaceError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFile(path)).pipe(
    Effect.map((b): Uint8Array | null => b),
    Effect.catchAll((e) =>
      e._tag === "SystemError" && e.reason === "NotFound"
        ? Effect.succeed(null)
        : Effect.fail(unreadable(path, e.message))
    )
  )

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")
/** Bytes as a string of the same length (one char per byte), for exact comparison. */
export const byteString = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes).toString("latin1")

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
): Effect.Effect<InputArtifacts, SurfaceError, FileSystem.FileSystem> =>
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
        : { path: relativeWithin(base, file), sha256: sha256(name === "tasks.md" ? tasksHashBytes(bytes) : bytes) }
    }
    const root = ctx.workspace.primary_root
    entries.charter = { path: null, sha256: null }
    for (const candidate of CHARTER_CANDIDATES) {
      const file = joinPath(kittifyDir(root), ...candidate)
      const bytes = yield* readBytes(file)
      if (bytes !== null) {
        entries.charter = { path: relativeWithin(root, file), sha256: sha256(bytes) }
        break
      }
    }
    return entries as InputArtifacts
  })

/**
 * §1.4: the freshness of the mission's analysis report, read where it is written (the placement
 * mission dir), never materialising anything: the same answer from every checkout.
 */
export const checkAnalysisFreshness = (
  resolution: Resolution
): Effect.Effect<Freshness, SurfaceError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const ctx = resolution.context
    const path = analysisReportPath(ctx)
    const report = yield* readBytes(path)
    const current = yield* currentInputArtifacts(ctx)
    return freshnessOf({ path, reportText: report === null ? null : Buffer.from(report).toString("utf8"), current })
  })

// ---------------------------------------------------------------------------------------------
// The preflight (§1.6)

/** Test seams: the residue rules and the placement kind the primary checkout's dirty paths are classified with. */
export interface PreflightOptions {
  readonly rules?: ReadonlyArray<ResidueRule>
  readonly placementKind?: CommitKind | null
}

/** What the preflight found: the placement checkout and the primary checkout's dirty-path outcomes. */
export interface Preflight {
  readonly placementCheckout: string
  readonly divergence: Divergence
}

const dirtyRefusal = (checkout: string, paths: ReadonlyArray<string>) =>
  surfaceError("DIRTY_WORKTREE", "Refusing to record analysis report with pre-existing dirty working tree.", {
    dirty_paths: [...new Set(paths)].sort(),
    remediation: [`Commit or stash the listed paths in ${checkout}, then re-run record-analysis.`]
  })

const divergenceRefusal = (ctx: MissionExecutionContext, checkout: string, d: Divergence) => {
  const ref = ctx.artifact_placement.placement_ref
  return surfaceError(
    "PLACEMENT_DIVERGENCE",
    `Mission files edited in the primary checkout differ from the placement checkout ${checkout} ` +
      `(placement ref ${ref.ref}).`,
    {
      divergent_paths: d.divergent,
      not_adoptable: d.notAdoptable,
      placement_ref: { ref: ref.ref, kind: ref.kind },
      placement_checkout: checkout,
      remediation: [
        "Re-run with --adopt to copy the listed primary edits into the placement checkout and commit them " +
        "on the placement ref.",
        "Or make the edits in the placement checkout and restore the primary copies."
      ]
    }
  )
}

const noDivergence: Divergence = { harmless: [], blocking: [], divergent: [], notAdoptable: [] }

/**
 * §1.6: refuses while git rewrites either checkout, then judges the placement checkout (every dirty
 * path blocks) and, when it is not the primary checkout, the primary checkout's dirty paths through
 * the one residue classification and divergence function. Divergent paths are returned, not refused:
 * whether they block depends on `--adopt`.
 */
export const preflight = (
  resolution: Resolution,
  options: PreflightOptions = {}
): Effect.Effect<Preflight, SurfaceError | ContextError, Git | RepoFs | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const ctx = resolution.context
    const primary = ctx.workspace.primary_root
    const checkout = placementCheckoutOf(ctx)
    for (const dir of checkout === primary ? [checkout] : [checkout, primary]) {
      const marker = yield* gitOperationInProgress(dir)
      if (marker !== null) {
        return yield* surfaceError(
          "GIT_OPERATION_IN_PROGRESS",
          `A git operation is in progress in ${dir} (${marker}).`,
          { checkout: dir, marker, remediation: ["Finish or abort the git operation, then re-run record-analysis."] }
        )
      }
    }
    const placementDirty = (yield* dirtyEntries(checkout)).flatMap(entryPaths)
    if (placementDirty.length > 0) return yield* dirtyRefusal(checkout, placementDirty)
    if (checkout === primary) return { placementCheckout: checkout, divergence: noDivergence }

    const missionDirRel = primaryMissionDirRel(ctx)
    const prefix = missionDirRel + "/"
    const primaryDirty = [...new Set((yield* dirtyEntries(primary)).flatMap(entryPaths))]
    const primaryCopies = new Map<string, string | null>()
    const placementCopies = new Map<string, string | null>()
    for (const path of primaryDirty.filter((p) => p.startsWith(prefix))) {
      primaryCopies.set(path, byteString(yield* readBytes(joinPath(primary, path))))
      placementCopies.set(path, byteString(yield* readBytes(joinPath(ctx.feature_dir, path.slice(prefix.length)))))
    }
    const divergence = placementDivergence(primaryDirty, {
      missionDir: missionDirRel,
      placementKind: options.placementKind === undefined
        ? ctx.artifact_placement.placement_ref.kind
        : options.placementKind,
      rules: options.rules ?? RESIDUE_RULES,
      primaryBytes: (p) => primaryCopies.get(p) ?? null,
      placementBytes: (p) => placementCopies.get(p) ?? null,
      placementDirty: new Set()
    })
    if (divergence.blocking.length > 0) return yield* dirtyRefusal(primary, divergence.blocking)
    return { placementCheckout: checkout, divergence }
  })

// ---------------------------------------------------------------------------------------------
// record-analysis (§1.5)

/** A record-analysis request: the submitted text is already read (file or stdin). */
export interface RecordAnalysisRequest extends Pick<ContextRequest, "cwd" | "mission"> {
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
  readonly adopted: ReadonlyArray<string>
  /** False when an identical report (but for `generated_at`) was already there. */
  readonly written: boolean
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

const ioFailure = (e: { readonly path: string; readonly reason: string }) =>
  surfaceError("COMMIT_FAILED", `Cannot write ${e.path}: ${e.reason}`, { path: e.path, reason: e.reason })

/**
 * The files a record-analysis writes, so a failure after the first write (a refused commit, a hook)
 * leaves the repository as it was: the placement checkout's branch and index back at the HEAD it had,
 * every written file back to its bytes, every directory it created removed.
 */
const writeJournal = (checkout: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const git = yield* Git
    const head = yield* git.run(["rev-parse", "--verify", "-q", "HEAD"], { cwd: checkout, mode: "read" })
    const startHead = head.exitCode === 0 ? head.stdout.trim() : null
    const undoSteps: Array<Effect.Effect<void, unknown>> = []
    const firstMissingAncestor = (dir: string): Effect.Effect<string | null, SurfaceError> =>
      Effect.gen(function*() {
        let missing: string | null = null
        for (let d = dir; d !== dirnamePath(d); d = dirnamePath(d)) {
          if (yield* fs.exists(d).pipe(Effect.mapError((e) => ioFailure({ path: d, reason: e.message })))) break
          missing = d
        }
        return missing
      })
    const write = (target: string, text: string) =>
      Effect.gen(function*() {
        const previous = yield* readBytes(target)
        const created = yield* firstMissingAncestor(dirnamePath(target))
        undoSteps.push(
          created !== null
            ? fs.remove(created, { recursive: true })
            : previous === null
            ? fs.remove(target)
            : fs.writeFile(target, previous)
        )
        if (created !== null) {
          yield* fs.makeDirectory(dirnamePath(target), { recursive: true }).pipe(
            Effect.mapError((e) => ioFailure({ path: target, reason: e.message }))
          )
        }
        yield* writeAtomic(target, text).pipe(Effect.mapError(ioFailure))
      })
    const undo = Effect.gen(function*() {
      if (startHead !== null) {
        const now = yield* git.run(["rev-parse", "--verify", "-q", "HEAD"], { cwd: checkout, mode: "read" })
        const moved = now.exitCode === 0 && now.stdout.trim() !== startHead
        const staged = yield* git.run(["diff", "--cached", "--quiet"], { cwd: checkout, mode: "read" })
        if (moved || staged.exitCode !== 0) yield* git.run(["reset", "-q", startHead], { cwd: checkout, mode: "write" })
      }
      for (const step of undoSteps.reverse()) yield* Effect.ignore(step)
    }).pipe(Effect.ignore)
    return { write, undo }
  })

/** The services record-analysis runs on. */
export type RecordAnalysisRequirements = ResolveRequirements | FileLock | FileSystem.FileSystem | EventIds

/**
 * §1.5: resolve (materialising the coordination worktree), preflight, protected-branch and HEAD
 * checks, parse the carrier, check the inputs, adopt, write the report and commit it on the
 * placement ref. Every refusal comes before the first write.
 */
export const recordAnalysis = (
  req: RecordAnalysisRequest,
  options: PreflightOptions = {}
): Effect.Effect<RecordAnalysisOutcome, SurfaceError | ContextError, RecordAnalysisRequirements> =>
  Effect.gen(function*() {
    // 1. context, the placement checkout materialised
    const resolution = yield* resolveForWrite({ cwd: req.cwd, mission: req.mission, action: "analyze" })
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
    const pre = yield* preflight(resolution, options)
    const checkout = pre.placementCheckout
    const primary = ctx.workspace.primary_root
    const divergent = pre.divergence.divergent
    if (divergent.length > 0 && !req.adopt) return yield* divergenceRefusal(ctx, checkout, pre.divergence)
    if (pre.divergence.notAdoptable.length > 0) return yield* divergenceRefusal(ctx, checkout, pre.divergence)
    const prefix = primaryMissionDirRel(ctx) + "/"
    const adoptions: Array<{ readonly path: string; readonly target: string; readonly text: string }> = []
    const notUtf8: Array<string> = []
    for (const path of divergent) {
      const bytes = yield* readBytes(joinPath(primary, path))
      let text: string | null = null
      try {
        text = bytes === null ? null : strictUtf8.decode(bytes)
      } catch {
        text = null
      }
      if (text === null) notUtf8.push(path)
      else adoptions.push({ path, target: joinPath(ctx.feature_dir, path.slice(prefix.length)), text })
    }
    if (notUtf8.length > 0) {
      return yield* divergenceRefusal(ctx, checkout, { ...pre.divergence, notAdoptable: notUtf8 })
    }

    // 3. protected branch, and the placement checkout on the placement ref
    if (!req.noCommit) {
      const refusal = yield* protectedRefusal(dest)
      if (refusal !== null) return yield* refusal
      const head = yield* headRefOf(checkout)
      if (head !== headsRef(dest.ref)) {
        return yield* surfaceError(
          "PLACEMENT_BRANCH_MISMATCH",
          `Checkout ${checkout} is on ${head ?? "a detached HEAD"}, but this commit belongs on ${dest.ref}`,
          { checkout, expected: headsRef(dest.ref), actual: head, placement_ref: dest }
        )
      }
    }

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
    const writes = yield* writeJournal(checkout)
    const phase = Effect.gen(function*() {
      for (const a of adoptions) yield* writes.write(a.target, a.text)
      if (adoptions.length > 0 && !req.noCommit) {
        yield* commitPaths({
          checkout,
          target: dest,
          paths: adoptions.map((a) => relativeWithin(checkout, a.target)),
          message: `chore(${slug}): adopt primary edits into ${dest.ref}`
        })
      }
      const input_artifacts = yield* currentInputArtifacts(ctx)
      const { at } = yield* Effect.flatMap(EventIds, (ids) => ids.next)
      const text = renderReport({
        mission_slug: slug,
        mission_id: ctx.identity.mission_id,
        generated_at: at,
        analyzer_agent: req.agent,
        input_artifacts,
        verdict: submission.verdict,
        issue_counts: submission.issue_counts,
        findings: submission.findings,
        body: submission.body
      })
      const existing = yield* readBytes(path)
      const unchanged = existing !== null && sameReportButTime(Buffer.from(existing).toString("utf8"), text)
      if (!unchanged) yield* writes.write(path, text)
      const commit = req.noCommit
        ? { committed: false, sha: null }
        : yield* commitPaths({
          checkout,
          target: dest,
          paths: [relativeWithin(checkout, path)],
          message: `docs(${slug}): record analysis report`
        })
      return { input_artifacts, unchanged, commit }
    })
    const { commit, input_artifacts, unchanged } = yield* phase.pipe(Effect.tapError(() => writes.undo))

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
      committed: commit.committed,
      commit: commit.sha,
      adopted: adoptions.map((a) => a.path),
      written: !unchanged
    }
  })

/** `analysis-status`: resolve without materialising anything, then check freshness. */
export const analysisStatus = (
  req: Pick<ContextRequest, "cwd" | "mission">
): Effect.Effect<Freshness, SurfaceError | ContextError, ResolveRequirements | FileSystem.FileSystem> =>
  Effect.flatMap(resolve({ cwd: req.cwd, mission: req.mission, action: "analyze" }), checkAnalysisFreshness)
