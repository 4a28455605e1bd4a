/**
 * Planning artifacts committed before a claim (docs/surfaces.md §2.1, spec-kitty #1816): "committed"
 * means "not dirty in the placement checkout", never a comparison with some ref's blobs. `planPlanningCommit`
 * decides without writing (structural changes fail closed, the primary checkout's edits are judged by the
 * one divergence check); `commitPlanning` copies adopted edits and commits exactly the planned paths,
 * undoing both if the commit fails. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Effect, Either } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { missionDir } from "../../core/repo/Naming.js"
import { isWithin, joinPath, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { entryPaths, isStructural } from "../../core/surfaces/Placement.js"
import type { ProtectionPolicy, StatusEntry } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import type { Resolution } from "../context/ResolveContext.js"
import type { Git, GitReader } from "../ports/Git.js"
import { RepoFs, textOf } from "../ports/RepoFs.js"
import type { RepoWrite } from "../ports/RepoWrite.js"
import type { Settings } from "../ports/Settings.js"
import { commitPaths } from "./CommitPath.js"
import { placementCheckoutOf } from "./RecordAnalysis.js"
import { makeUndoJournal } from "./UndoJournal.js"
import {
  checkCommitTarget,
  dirtyRefusal,
  divergenceRefusal,
  placementCheckoutDirty,
  primaryDivergence,
  protectionPolicy
} from "./WriteGuards.js"

/** How uncommitted planning artifacts are handled: commit them (default), adopt primary edits too, or refuse. */
export type PlanningMode = "auto-commit" | "adopt" | "no-auto-commit"

/** A primary edit to copy into the placement mission dir. */
export interface Adoption {
  /** Repo-relative path in the primary checkout (`kitty-specs/<slug>/…`). */
  readonly path: string
  /** Absolute path of the copy in the placement mission dir. */
  readonly target: string
  readonly text: string
}

/** What the plan decided: the paths to commit in the placement checkout and the copies to make first. */
export interface PlanningPlan {
  readonly checkout: string
  /** Checkout-relative paths to stage and commit (entries and adopted copies), sorted. */
  readonly paths: ReadonlyArray<string>
  /** The paths among them that nothing had staged before this claim (unstaged again if the commit fails). */
  readonly unstaged: ReadonlyArray<string>
  readonly adoptions: ReadonlyArray<Adoption>
  /** The project's protected branches (read only when there is something to commit). */
  readonly protection: ProtectionPolicy | null
}

/** Everything planning can fail with. */
export type PlanningError = SurfaceError | GitError | IoError | ConfigError

/** The planning commit's message (spec-kitty's subject). */
const planningMessage = (slug: string, wpId: string) =>
  `chore: planning artifacts for ${slug}\n\nAuto-committed by kittyctx before creating the lane worktree for ${wpId}`

/**
 * §2.1 steps 1-8, without writing: the placement checkout's entries under the placement mission dir
 * (structural changes fail closed), the primary checkout's entries under coordination placement
 * through the one divergence check, then `--no-auto-commit`, branch and protected-branch checks.
 */
export const planPlanningCommit = (
  r: Resolution,
  wpId: string,
  mode: PlanningMode
): Effect.Effect<PlanningPlan, PlanningError, GitReader | RepoFs | Settings> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const ctx = r.context
    const dest = ctx.artifact_placement.placement_ref
    const checkout = placementCheckoutOf(ctx)
    const primary = ctx.workspace.primary_root
    const featureDir = ctx.feature_dir
    // kittyctx's own bookkeeping and records are never planning artifacts (docs/surfaces.md §2.1 step 2)
    const dirty = yield* placementCheckoutDirty(ctx, checkout, relativeWithin(checkout, featureDir) || ".")
    const own = new Set(dirty.own)
    const entries = dirty.entries.filter((e) => !entryPaths(e).every((p) => own.has(p)))

    const structural = [...new Set(entries.filter(isStructural).flatMap(entryPaths))].sort()
    if (structural.length > 0) {
      return yield* surfaceError(
        "PLANNING_ARTIFACTS_STRUCTURAL_CHANGE",
        `Uncommitted structural planning-artifact changes (deletions/renames) cannot be auto-committed: ${
          structural.join(", ")
        }. Commit them manually on ${dest.ref}.`,
        { paths: structural, placement_ref: dest, placement_checkout: checkout }
      )
    }

    const adoptions: Array<Adoption> = []
    if (dest.kind === "coordination" && checkout !== primary) {
      const missionDirRel = relativeWithin(primary, missionDir(primary, ctx.identity.mission_slug))
      const toPrimaryForm = (e: StatusEntry) =>
        entryPaths(e).map((p) => joinPath(missionDirRel, relativeWithin(featureDir, joinPath(checkout, p))))
      const d = yield* primaryDivergence(ctx, { missionOnly: true, placementDirty: new Set(entries.flatMap(toPrimaryForm)) })
      if (d.blocking.length > 0) return yield* dirtyRefusal(primary, d.blocking, `claim ${wpId}`, "implement")
      const notAdoptable = [...d.notAdoptable]
      if (mode === "adopt") {
        const prefix = d.missionDirRel + "/"
        for (const path of d.divergent.filter((p) => !d.notAdoptable.includes(p))) {
          const bytes = yield* fs.readBytes(joinPath(primary, path))
          const text = bytes === null ? null : Either.getOrNull(textOf(path, bytes))
          if (text === null) notAdoptable.push(path)
          else adoptions.push({ path, target: joinPath(featureDir, path.slice(prefix.length)), text })
        }
      }
      if (d.divergent.length > 0 && (mode !== "adopt" || notAdoptable.length > 0)) {
        return yield* divergenceRefusal(ctx, checkout, d.divergent, notAdoptable)
      }
    }

    const adoptedPaths = adoptions.map((a) => relativeWithin(checkout, a.target))
    const paths = [...new Set([...entries.map((e) => e.path), ...adoptedPaths])].sort()
    const wasUnstaged = entries.filter((e) => e.x === " " || e.x === "?").map((e) => e.path)
    const unstaged = [...new Set([...wasUnstaged, ...adoptedPaths])].sort()
    if (paths.length === 0) return { checkout, paths, unstaged, adoptions, protection: null }
    if (mode === "no-auto-commit") {
      const message = planningMessage(ctx.identity.mission_slug, wpId)
      return yield* surfaceError(
        "PLANNING_ARTIFACTS_UNCOMMITTED",
        `Planning artifacts are not committed on ${dest.ref}: ${paths.join(", ")}`,
        {
          paths,
          placement_ref: dest,
          placement_checkout: checkout,
          commands: [
            `git -C ${checkout} add -- ${paths.join(" ")}`,
            `git -C ${checkout} commit -m ${JSON.stringify(message)} -- ${paths.join(" ")}`
          ]
        }
      )
    }
    const protection = yield* protectionPolicy(r)
    yield* checkCommitTarget(checkout, dest, protection, { mismatch: "PLANNING_BRANCH_MISMATCH" })
    return { checkout, paths, unstaged, adoptions, protection }
  })

/**
 * §2.1 step 9: copies the adopted edits, then commits exactly the planned paths. If the commit fails
 * (a hook, a git error) the claim's staging is undone and the copies are restored, so nothing changed.
 */
export const commitPlanning = (
  r: Resolution,
  plan: PlanningPlan,
  wpId: string
): Effect.Effect<string | null, PlanningError, Git | GitReader | RepoFs | RepoWrite | Settings> =>
  Effect.gen(function*() {
    if (plan.paths.length === 0) return null
    const ctx = r.context
    const outside = plan.paths.filter((p) => !isWithin(ctx.feature_dir, joinPath(plan.checkout, p)))
    if (outside.length > 0) {
      return yield* Effect.die(new Error(`planning commit would stage paths outside ${ctx.feature_dir}: ${outside.join(", ")}`))
    }
    const journal = yield* makeUndoJournal(r.statusTarget.scope, plan.checkout)
    const commit = yield* Effect.gen(function*() {
      for (const a of plan.adoptions) yield* journal.write(a.target, a.text)
      yield* journal.staging(plan.unstaged)
      return yield* commitPaths({
        checkout: plan.checkout,
        target: ctx.artifact_placement.placement_ref,
        paths: plan.paths,
        message: planningMessage(ctx.identity.mission_slug, wpId),
        protection: plan.protection ?? (yield* protectionPolicy(r))
      })
    }).pipe(Effect.tapError(() => journal.undo))
    return commit.sha
  })
