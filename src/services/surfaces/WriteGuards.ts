/**
 * The checks every write surface makes before it writes, one module each job (docs/surfaces.md §0.3,
 * §1.6, §3.1): the commit-target check (the checkout's HEAD is the target ref, and the ref is not
 * protected unless the operator allows it) and the placement divergence of the primary checkout's dirty
 * mission files. (The git-operation refusal is `GitFiles.refuseDuringGitOp`.) Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Context, Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { CommitTarget, MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import type { CommitKind } from "../../core/context/MissionMeta.js"
import { headsRef, missionDir } from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { entryPaths, isProtected, placementDivergence, RESIDUE_RULES } from "../../core/surfaces/Placement.js"
import type { Divergence, ResidueRule } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import type { GitReader } from "../ports/Git.js"
import { headRefOf } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { dirtyEntries } from "./CommitPath.js"

/** `PROTECTED_BRANCH_REFUSED` when `target` is protected and no operator override is set; else null. */
export const protectedRefusal = (target: CommitTarget): Effect.Effect<SurfaceError | null, ConfigError, Settings> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    if (!isProtected(target.ref, settings.extraProtectedBranches) || (yield* settings.allowProtectedCommits)) return null
    return surfaceError(
      "PROTECTED_BRANCH_REFUSED",
      `Refusing to commit on protected branch ${target.ref} (the mission's resolved destination).`,
      {
        resolved_destination: { ref: target.ref, kind: target.kind },
        remediation: [
          `Set target_branch in meta.json to a working branch, or commit on ${target.ref} through a pull request.`,
          "Or set KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS=1 to allow this commit."
        ]
      }
    )
  })

/**
 * The commit-target check: `checkout` has `target.ref` checked out (`PLACEMENT_BRANCH_MISMATCH`, or the
 * code given), and the ref is not protected (`PROTECTED_BRANCH_REFUSED`).
 */
export const checkCommitTarget = (
  checkout: string,
  target: CommitTarget,
  mismatch: "PLACEMENT_BRANCH_MISMATCH" | "PLANNING_BRANCH_MISMATCH" = "PLACEMENT_BRANCH_MISMATCH"
): Effect.Effect<void, SurfaceError | IoError | ConfigError, RepoFs | Settings> =>
  Effect.gen(function*() {
    const head = yield* headRefOf(checkout)
    if (head !== headsRef(target.ref)) {
      return yield* surfaceError(
        mismatch,
        `Checkout ${checkout} is on ${head ?? "a detached HEAD"}, but this commit belongs on ${target.ref}`,
        { checkout, expected: headsRef(target.ref), actual: head, placement_ref: target }
      )
    }
    const refusal = yield* protectedRefusal(target)
    if (refusal !== null) return yield* refusal
  })

/**
 * How the divergence check judges dirty primary paths: the residue rule table, and the placement kind
 * it judges under (default: the context's). A layer may supply others, e.g. to show that spec-kitty's
 * judgement (the primary checkout taken for the placement checkout) refuses what kittyctx accepts.
 */
export class DivergencePolicy extends Context.Reference<DivergencePolicy>()("kittyctx/DivergencePolicy", {
  defaultValue: (): {
    readonly rules: ReadonlyArray<ResidueRule>
    readonly placementKind?: CommitKind | null
  } => ({ rules: RESIDUE_RULES })
}) {}

/** The primary checkout's dirty mission paths, judged against the placement checkout (docs/surfaces.md §1.6). */
export interface PrimaryDivergence extends Divergence {
  /** The primary mission dir, repo-relative (`kitty-specs/<slug>`). */
  readonly missionDirRel: string
}

/**
 * The one placement-divergence check: the primary checkout's dirty paths (all of them, or only the
 * mission dir's with `missionOnly`) classified by the residue rules and compared byte for byte with the
 * placement checkout's copies. `placementDirty` lists mission paths (primary form) also dirty there.
 */
export const primaryDivergence = (
  ctx: MissionExecutionContext,
  options: { readonly missionOnly: boolean; readonly placementDirty: ReadonlySet<string> }
): Effect.Effect<PrimaryDivergence, GitError | IoError, GitReader | RepoFs> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const policy = yield* DivergencePolicy
    const primary = ctx.workspace.primary_root
    const missionDirRel = relativeWithin(primary, missionDir(primary, ctx.identity.mission_slug))
    const prefix = missionDirRel + "/"
    const dirty = [
      ...new Set((yield* dirtyEntries(primary, options.missionOnly ? missionDirRel : undefined)).flatMap(entryPaths))
    ]
    const primaryCopies = new Map<string, string | null>()
    const placementCopies = new Map<string, string | null>()
    const asText = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("latin1"))
    for (const path of dirty.filter((p) => p.startsWith(prefix))) {
      primaryCopies.set(path, asText(yield* fs.readBytes(joinPath(primary, path))))
      placementCopies.set(path, asText(yield* fs.readBytes(joinPath(ctx.feature_dir, path.slice(prefix.length)))))
    }
    const divergence = placementDivergence(dirty, {
      missionDir: missionDirRel,
      placementKind: policy.placementKind === undefined ? ctx.artifact_placement.placement_ref.kind : policy.placementKind,
      rules: policy.rules,
      primaryBytes: (p) => primaryCopies.get(p) ?? null,
      placementBytes: (p) => placementCopies.get(p) ?? null,
      placementDirty: options.placementDirty
    })
    return { ...divergence, missionDirRel }
  })

/** The `PLACEMENT_DIVERGENCE` refusal. */
export const divergenceRefusal = (
  ctx: MissionExecutionContext,
  checkout: string,
  divergent: ReadonlyArray<string>,
  notAdoptable: ReadonlyArray<string>
): SurfaceError => {
  const ref = ctx.artifact_placement.placement_ref
  return surfaceError(
    "PLACEMENT_DIVERGENCE",
    `Mission files edited in the primary checkout differ from the placement checkout ${checkout} (placement ref ${ref.ref}).`,
    {
      divergent_paths: divergent,
      not_adoptable: [...notAdoptable].sort(),
      placement_ref: { ref: ref.ref, kind: ref.kind },
      placement_checkout: checkout,
      remediation: [
        "Re-run with --adopt to copy the listed primary edits into the placement checkout and commit them on the placement ref.",
        "Or make the edits in the placement checkout and restore the primary copies."
      ]
    }
  )
}

/** The `DIRTY_WORKTREE` refusal. */
export const dirtyRefusal = (checkout: string, paths: ReadonlyArray<string>, what: string, command: string): SurfaceError =>
  surfaceError("DIRTY_WORKTREE", `Refusing to ${what} with pre-existing dirty working tree.`, {
    dirty_paths: [...new Set(paths)].sort(),
    remediation: [`Commit or stash the listed paths in ${checkout}, then re-run ${command}.`]
  })
