/**
 * The one error type of context resolution (docs/execution-context.md §14): a closed set of codes, each
 * with its required details. Constructors live here and nowhere else.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of context error codes. */
export const CONTEXT_ERROR_CODES = [
  "PROJECT_ROOT_UNRESOLVED",
  "INVALID_ACTION",
  "INVALID_MISSION_HANDLE",
  "FEATURE_CONTEXT_UNRESOLVED",
  "MISSION_AMBIGUOUS_SELECTOR",
  "MISSION_SELECTOR_CONFLICT",
  "MISSION_META_INVALID",
  "LANES_MANIFEST_INVALID",
  "STATUS_READ_PATH_NOT_FOUND",
  "COORDINATION_BRANCH_DELETED",
  "COORDINATION_WORKSPACE_MID8_REQUIRED",
  "COORDINATION_WORKTREE_BRANCH_MISMATCH",
  "COORDINATION_WORKTREE_HUSK",
  "COORDINATION_WORKTREE_ADD_FAILED",
  "COORDINATION_LOCK_TIMEOUT",
  "WORK_PACKAGE_UNRESOLVED",
  "CANONICAL_STATUS_UNREADABLE",
  "CONTEXT_INVARIANT_VIOLATION"
] as const
/** A context error code. */
export type ContextErrorCode = (typeof CONTEXT_ERROR_CODES)[number]

/** A context resolution failure: a code, a human message and the details a user needs. */
export class ContextError extends CodedError("ContextError")<ContextErrorCode>() {}

const make = (code: ContextErrorCode, message: string, details: Record<string, unknown>) =>
  new ContextError({ code, message, details })

/** How many missions an error lists before it says how many more there are. */
export const MAX_LISTED_MISSIONS = 15

/** The root-discovery failure reasons (§5.2). */
export type RootFailureReason =
  | "no_repository"
  | "not_a_kitty_project"
  | "malformed_git_pointer"
  | "dangling_git_pointer"
  | "unregistered_worktree"
  | "bare_repository"
  | "env_root_missing"

/** What is missing for each root failure, and what creates it. */
const rootRemedy = (reason: RootFailureReason, start: string, path: string | undefined): string => {
  const at = path ?? start
  switch (reason) {
    case "no_repository":
      return `no git repository contains ${start}. kittyctx works inside a spec-kitty project: run \`git init\`, ` +
        "then `spec-kitty init`, or cd into an existing project."
    case "not_a_kitty_project":
      return `${at} is a git repository but not a spec-kitty project: it has no .kittify/ directory (and no ` +
        `kitty-specs/). Run \`spec-kitty init\` in ${at} to create it.`
    case "bare_repository":
      return `${at} is a bare git repository: it has no work tree, so there is no kitty-specs/ to read. Clone it ` +
        `(\`git clone ${at} <dir>\`) or add a worktree (\`git -C ${at} worktree add <dir>\`) and run kittyctx there.`
    case "malformed_git_pointer":
      return `the .git file ${at} is not a \`gitdir: <path>\` pointer. Repair it, or remove the directory if it is a leftover.`
    case "dangling_git_pointer":
      return `the .git file ${at} points at a git directory that does not exist (a worktree of a moved or deleted ` +
        "repository). Run `git worktree prune` in the main repository, or remove the directory."
    case "unregistered_worktree":
      return `the .git file ${at} points at a git directory that does not list this checkout back: it is not a ` +
        "worktree of that repository. Remove the directory, or recreate it with `git worktree add`."
    case "env_root_missing":
      return `SPECIFY_REPO_ROOT is set to ${at}, which is not a directory. Unset it or point it at the project.`
  }
}

/** Constructors for every code, with the details §14 requires. */
export const ContextErrors = {
  projectRootUnresolved: (start: string, reason: RootFailureReason, path?: string) =>
    make(
      "PROJECT_ROOT_UNRESOLVED",
      `Cannot find the spec-kitty project root from ${start}: ${rootRemedy(reason, start, path)}`,
      path === undefined ? { start, reason } : { start, reason, path }
    ),
  invalidAction: (action: string, valid: ReadonlyArray<string>) =>
    make("INVALID_ACTION", `Unknown action '${action}'; valid actions: ${valid.join(", ")}`, {
      action,
      valid_actions: valid
    }),
  invalidHandle: (handle: string, reason: string) =>
    make("INVALID_MISSION_HANDLE", `Invalid mission handle ${JSON.stringify(handle)}: ${reason}`, { handle, reason }),
  unresolved: (
    handle: string | null,
    available: ReadonlyArray<string>,
    options: { readonly reason?: string; readonly suggestions?: ReadonlyArray<string> } = {}
  ) => {
    const shown = available.slice(0, MAX_LISTED_MISSIONS)
    const cut = available.length > shown.length ? ` (${shown.length} of ${available.length} listed)` : ""
    const suggestions = options.suggestions ?? []
    const message = options.reason === "no_missions"
      ? "No missions: kitty-specs/ holds no mission directory. Create one with `spec-kitty agent mission create <name>`."
      : handle === null
      ? `No mission given and ${available.length} missions exist: pass --mission <handle>` +
        (shown.length > 0 ? `; candidates${cut}: ${shown.join(", ")}` : "")
      : `No mission matches ${JSON.stringify(handle)}` +
        (suggestions.length > 0
          ? `; did you mean ${suggestions.join(", ")}?`
          : shown.length > 0
          ? `; missions${cut}: ${shown.join(", ")}`
          : "")
    return make("FEATURE_CONTEXT_UNRESOLVED", message, {
      handle,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(suggestions.length > 0 ? { suggestions } : {}),
      available_missions: shown,
      available_count: available.length
    })
  },
  selectorConflict: (featureDir: string, featureDirMission: string, handle: string, handleMission: string) =>
    make(
      "MISSION_SELECTOR_CONFLICT",
      `--feature-dir ${featureDir} is mission ${featureDirMission} but --mission ${JSON.stringify(handle)} is ` +
        `${handleMission}; pass only one of them.`,
      { feature_dir: featureDir, feature_dir_mission: featureDirMission, handle, handle_mission: handleMission }
    ),
  ambiguous: (handle: string, level: string, candidates: ReadonlyArray<string>) =>
    make(
      "MISSION_AMBIGUOUS_SELECTOR",
      `Mission handle ${JSON.stringify(handle)} is ambiguous (${level}): ${candidates.join(", ")}`,
      { handle, level, candidates }
    ),
  metaInvalid: (path: string, reason: string, field?: string) =>
    make(
      "MISSION_META_INVALID",
      `Invalid mission metadata ${path}${field === undefined ? "" : ` (field ${field})`}: ${reason}`,
      field === undefined ? { path, reason } : { path, field, reason }
    ),
  lanesInvalid: (path: string, reason: string) =>
    make("LANES_MANIFEST_INVALID", `Invalid lanes manifest ${path}: ${reason}`, { path, reason }),
  statusReadPathNotFound: (coordCandidate: string, primaryCandidate: string, reason: string) =>
    make(
      "STATUS_READ_PATH_NOT_FOUND",
      `The coordination worktree exists but does not hold the mission's status (${reason}): ${coordCandidate}. ` +
        `The primary copy ${primaryCandidate} is stale and is not used. Repair or re-materialise the coordination ` +
        `worktree, or flatten the mission.`,
      { coord_candidate: coordCandidate, primary_candidate: primaryCandidate, reason }
    ),
  coordinationBranchDeleted: (branch: string, coordCandidate: string, primaryCandidate: string) =>
    make(
      "COORDINATION_BRANCH_DELETED",
      `Coordination branch ${branch} exists neither locally nor on any remote, and no coordination worktree exists`,
      { branch, coord_candidate: coordCandidate, primary_candidate: primaryCandidate }
    ),
  mid8Required: (missionSlug: string, missionId: string) =>
    make(
      "COORDINATION_WORKSPACE_MID8_REQUIRED",
      `Mission ${missionSlug} routes through coordination but has no mission_id to name its workspace`,
      { mission_slug: missionSlug, mission_id: missionId }
    ),
  branchMismatch: (path: string, expected: string, actual: string) =>
    make(
      "COORDINATION_WORKTREE_BRANCH_MISMATCH",
      `Coordination worktree ${path} is on ${actual}, expected ${expected}; it is never switched automatically`,
      { path, expected, actual }
    ),
  husk: (path: string) =>
    make(
      "COORDINATION_WORKTREE_HUSK",
      `${path} exists but is not a registered git worktree; remove or repair it (it is never deleted automatically)`,
      { path }
    ),
  worktreeAddFailed: (path: string, branch: string, exitCode: number, stderr: string) =>
    make("COORDINATION_WORKTREE_ADD_FAILED", `git worktree add ${path} ${branch} failed: ${stderr.trim()}`, {
      path,
      branch,
      exit_code: exitCode,
      stderr
    }),
  coordLockTimeout: (path: string, lockFile: string, timeoutMs: number, holder: unknown) =>
    make("COORDINATION_LOCK_TIMEOUT", `Timed out after ${timeoutMs} ms waiting for the lock on ${path}`, {
      path,
      lock_file: lockFile,
      timeout_ms: timeoutMs,
      holder
    }),
  workPackageUnresolved: (action: string, wpId: string | null, reason: string, candidates?: ReadonlyArray<string>) =>
    make(
      "WORK_PACKAGE_UNRESOLVED",
      `Cannot resolve the work package${wpId === null ? "" : ` ${wpId}`} for ${action}: ${reason}`,
      candidates === undefined ? { action, wp_id: wpId, reason } : { action, wp_id: wpId, reason, candidates }
    ),
  canonicalStatusUnreadable: (path: string, line: number, reason?: string) =>
    make("CANONICAL_STATUS_UNREADABLE", reason ?? `${path} line ${line} is not a JSON object`, { path, line }),
  invariant: (invariant: string, values: Record<string, unknown>) =>
    make("CONTEXT_INVARIANT_VIOLATION", `Context invariant ${invariant} violated`, { invariant, values })
} as const
