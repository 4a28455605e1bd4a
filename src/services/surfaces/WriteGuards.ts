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
import { headsRef, missionDir, PROJECT_CONFIG_REL } from "../../core/repo/Naming.js"
import { joinPath, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { protectedBranchesOf } from "../../core/config/ProjectConfig.js"
import { pyRepr } from "../../core/python/PyRepr.js"
import {
  entryPaths,
  isProtected,
  originDefaultBranch,
  placementDivergence,
  protectionPolicyOf,
  RESIDUE_RULES,
  splitOwnWrites
} from "../../core/surfaces/Placement.js"
import type { Divergence, ProtectionPolicy, ResidueRule, StatusEntry } from "../../core/surfaces/Placement.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { GitReader } from "../ports/Git.js"
import type { Resolution } from "../context/ResolveContext.js"
import { headRefOf } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import { Settings } from "../ports/Settings.js"
import { dirtyEntries } from "./CommitPath.js"

/**
 * The project's protected branches (docs/surfaces.md §0.3): `.kittify/config.yaml`
 * `protection.protected_branches` when given, else `main`, `master` and origin's default branch (read
 * from `refs/remotes/origin/HEAD`, never from the network), plus `KITTYCTX_PROTECTED_BRANCHES`.
 */
export const protectionPolicy = (
  r: Pick<Resolution, "projectConfig" | "refs" | "location">
): Effect.Effect<ProtectionPolicy, ConfigError | GitError, GitReader | Settings> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const configured = yield* protectedBranchesOf(r.projectConfig)
    const refs = configured !== null ? null : r.refs ?? (yield* (yield* GitReader).refs(r.location.primaryRoot))
    return protectionPolicyOf(configured, originDefaultBranch(refs?.originHead ?? null), settings.extraProtectedBranches)
  })

/** What a bookkeeping commit (a status move) records, for spec-kitty's refusal text. */
export interface Bookkeeping {
  /** `status transition WP01`, `inner-state annotation WP01`, … */
  readonly operation: string
}

/**
 * `PROTECTED_BRANCH_REFUSED` when `target` is protected and no operator override is set; else null.
 * A bookkeeping commit (status files) is refused in spec-kitty's words with its remedy.
 */
export const protectedRefusal = (
  target: CommitTarget,
  policy: ProtectionPolicy,
  bookkeeping?: Bookkeeping
): Effect.Effect<SurfaceError | null, ConfigError, Settings> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    if (!isProtected(target.ref, policy) || (yield* settings.allowProtectedCommits)) return null
    const details = {
      resolved_destination: { ref: target.ref, kind: target.kind },
      protected_branches: policy.branches,
      protected_branches_source: policy.source === "config" ? PROJECT_CONFIG_REL : "default (main, master, origin's default branch)"
    }
    const unprotect = `Or declare ${target.ref} unprotected in ${PROJECT_CONFIG_REL} (protection.protected_branches), ` +
      "or set SPEC_KITTY_ALLOW_PROTECTED_BRANCH_COMMITS=1 for this command."
    if (bookkeeping !== undefined) {
      return surfaceError(
        "PROTECTED_BRANCH_REFUSED",
        `Bookkeeping refused: Refusing to record ${pyRepr(bookkeeping.operation)}: destination ref ${pyRepr(target.ref)} ` +
          "is on this project's protected branch list. " +
          (target.kind === "coordination"
            ? "Bookkeeping commits must target the coordination branch."
            : "This mission uses a lanes / single-branch topology, which mints no coordination worktree, so " +
              "bookkeeping cannot be redirected to one."),
        {
          ...details,
          operation: bookkeeping.operation,
          remediation: [
            "Run status commit operations from an allowed coordination/lane branch, or re-run with --no-auto-commit " +
            "to leave the status files uncommitted (nothing was written).",
            unprotect
          ]
        }
      )
    }
    return surfaceError(
      "PROTECTED_BRANCH_REFUSED",
      `Refusing to commit on protected branch ${target.ref} (the mission's resolved destination).`,
      {
        ...details,
        remediation: [
          `Set target_branch in meta.json to a working branch, or commit on ${target.ref} through a pull request.`,
          unprotect
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
  policy: ProtectionPolicy,
  options: {
    readonly mismatch?: "PLACEMENT_BRANCH_MISMATCH" | "PLANNING_BRANCH_MISMATCH"
    readonly bookkeeping?: Bookkeeping
  } = {}
): Effect.Effect<void, SurfaceError | IoError | ConfigError, RepoFs | Settings> =>
  Effect.gen(function*() {
    const head = yield* headRefOf(checkout)
    if (head !== headsRef(target.ref)) {
      return yield* surfaceError(
        options.mismatch ?? "PLACEMENT_BRANCH_MISMATCH",
        `Checkout ${checkout} is on ${head ?? "a detached HEAD"}, but this commit belongs on ${target.ref}`,
        {
          checkout,
          expected: headsRef(target.ref),
          actual: head,
          placement_ref: target,
          remediation: options.bookkeeping === undefined
            ? [`Check out ${target.ref} in ${checkout} (git -C ${checkout} switch ${target.ref}), then re-run.`]
            : [
              `Check out ${target.ref} in ${checkout} (git -C ${checkout} switch ${target.ref}), then re-run.`,
              "Or re-run with --no-auto-commit to leave the status files uncommitted (nothing was written)."
            ]
        }
      )
    }
    const refusal = yield* protectedRefusal(target, policy, options.bookkeeping)
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

/**
 * The dirty paths of the checkout a surface writes in (docs/surfaces.md §1.6): kittyctx's own bookkeeping
 * (status files and derived views of any mission, workspace records) and this mission's own records
 * (`analysis-report.md`) in `own`; everything else, which blocks a preflight or is a planning artifact, in
 * `others`. Both sides of a rename are listed.
 */
export const placementCheckoutDirty = (
  ctx: MissionExecutionContext,
  checkout: string,
  pathspec?: string
): Effect.Effect<
  {
    readonly entries: ReadonlyArray<StatusEntry>
    readonly own: ReadonlyArray<string>
    readonly others: ReadonlyArray<string>
  },
  GitError,
  GitReader
> =>
  Effect.gen(function*() {
    const policy = yield* DivergencePolicy
    const entries = yield* dirtyEntries(checkout, pathspec)
    const paths = [...new Set(entries.flatMap(entryPaths))]
    return { entries, ...splitOwnWrites(paths, { missionDir: relativeWithin(checkout, ctx.feature_dir), rules: policy.rules }) }
  })

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
