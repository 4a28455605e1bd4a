/**
 * `implement` (docs/surfaces.md §2): claims a work package. Under the mission's status lock, so that
 * concurrent claims serialise and a loser sees the winner's claim, every check runs before the first
 * write: the claimable lane (or an idempotent re-entry), dependencies, the analysis gate, the planning
 * artifacts on the placement ref, the bulk-edit gates, the lane worktree's state and the transition
 * itself. Then it writes, in order: the planning commit, the lane worktree and its workspace record, the
 * two claim rows (planned → claimed → in_progress) with the claim sidecar, and, with auto-commit where the
 * mission's files live in the primary checkout, meta.json's VCS lock, the WP frontmatter and the claim
 * commit. The pieces live in `PlanningCommit`, `LaneWorktree` and `core/surfaces/ImplementRules`; this
 * module orchestrates them. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Context, Effect, Either, Layer } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { autoCommitOf } from "../../core/config/ProjectConfig.js"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import type { OccurrenceError } from "../../core/occurrence/OccurrenceMap.js"
import { BULK_EDIT, OccurrenceErrors } from "../../core/occurrence/OccurrenceMap.js"
import type { GateResult } from "../../core/occurrence/OccurrenceMap.js"
import type { Liveness } from "../../core/process/ProcessIdentity.js"
import { META_FILE, missionDir, missionFile, projectConfigFile, workspaceRecordFile } from "../../core/repo/Naming.js"
import { dirnamePath, isWithin, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { foldViewOf } from "../../core/status/IncrementalFold.js"
import { decideTransition } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { foldTransitions, reduce } from "../../core/status/StatusFold.js"
import { analysisRequired } from "../../core/surfaces/AnalysisReport.js"
import type { Freshness } from "../../core/surfaces/AnalysisReport.js"
import {
  bulkEditInference,
  CLAIMABLE_FROM,
  claimCommitMessage,
  dependenciesOf,
  heldClaimOf,
  ownedFilesOf,
  SATISFIED_LANES,
  vcsLockedMeta
} from "../../core/surfaces/ImplementRules.js"
import { parseFrontmatter, withFrontmatterFields } from "../../core/status/WorkPackageFile.js"
import type { ProtectionPolicy } from "../../core/surfaces/Placement.js"
import { commitPaths } from "./CommitPath.js"
import type { HeldClaim } from "../../core/surfaces/ImplementRules.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import type { EventStream, TransitionRow } from "../../core/status/EventRow.js"
import { resolveForWrite } from "../context/ResolveContext.js"
import type { ContextRequest, Resolution, ResolveError, ResolveForWriteRequirements } from "../context/ResolveContext.js"
import { EventIds } from "../ports/EventIds.js"
import { GitReader } from "../ports/Git.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import type { StatusTarget } from "../status/StatusReader.js"
import type { LockError } from "../ports/FileLock.js"
import { Processes } from "../ports/Processes.js"
import { RepoFs } from "../ports/RepoFs.js"
import { MissionStatus } from "../status/MissionStatus.js"
import { StatusReader, statusFiles } from "../status/StatusReader.js"
import type { StatusFailure } from "../status/StatusReader.js"
import { allocateLaneWorktree, checkLaneWorkspace, lanePlanOf } from "./LaneWorktree.js"
import type { LanePlan } from "./LaneWorktree.js"
import { ensureOccurrenceClassificationReady } from "./OccurrenceCheck.js"
import { commitPlanning, planPlanningCommit } from "./PlanningCommit.js"
import type { PlanningMode } from "./PlanningCommit.js"
import { checkAnalysisFreshness, placementCheckoutOf } from "./RecordAnalysis.js"
import { batchSpec, clearBookkeeping, emitBatch } from "./StatusWrites.js"
import { refuseDuringGitOp } from "../ports/GitFiles.js"

/** One claim: the WP, who claims it, and from which shell. */
export interface ClaimRequest {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly missionCheck?: ContextRequest["missionCheck"]
  readonly wpId: string
  /** The claiming agent (the rows' actor); spec-kitty's `implement-command` when absent. */
  readonly agent?: string | undefined
  /** The claiming shell; the parent of this process when absent. */
  readonly shellPid?: number | undefined
  readonly planning?: PlanningMode | undefined
  /** Commit the claim's status rows (default: the project's `.kittify/config.yaml`). */
  readonly autoCommit?: boolean | undefined
  readonly acknowledgeNotBulkEdit?: boolean | undefined
}

/** §2.3 output (`workspace_path` relative to the primary root). */
export interface ClaimOutcome {
  readonly wp_id: string
  readonly mission_slug: string
  readonly lane_id: string
  readonly workspace_path: string
  readonly branch: string
  readonly parent: string | null
  readonly event_id: string
  /** Every row the claim appended (planned → claimed, claimed → in_progress). */
  readonly event_ids: ReadonlyArray<string>
  readonly from_lane: string
  readonly to_lane: string
  readonly planning_commit: string | null
  /** The commit of the status rows (null with auto-commit off). */
  readonly status_commit: string | null
  /** spec-kitty's claim commit of the WP file and meta.json (null when none was made). */
  readonly claim_commit: string | null
  readonly adopted: ReadonlyArray<string>
  /** True for the idempotent re-entry of a live claim by its own agent (no new event). */
  readonly reentered: boolean
  readonly warnings: ReadonlyArray<string>
  /** Where the claim's status rows live (the resolved target; not part of the rendered outcome). */
  readonly target: StatusTarget
}

/** spec-kitty's actor for claims made without `--agent`. */
export const DEFAULT_CLAIM_ACTOR = "implement-command"

/** The stream a dry run continues from: one more transition of `wpId` (only its lanes are read). */
const withDryRow = (stream: EventStream, wpId: string, from: string, to: string): EventStream => ({
  ...stream,
  transitions: [
    ...stream.transitions,
    {
      kind: "transition",
      line: 0,
      event_id: "Z".repeat(26),
      wp_id: wpId,
      from_lane: from as TransitionRow["from_lane"],
      to_lane: to as TransitionRow["to_lane"],
      at: "9999-12-31T23:59:59.999999+00:00",
      actor: "",
      force: false,
      review_ref: null,
      review_result: null,
      policy_metadata: null,
      mission_slug: "",
      mission_id: null,
      row: {}
    }
  ]
})

/** The test database name spec-kitty gives a lane (`test_<slug>_<lane>`, non-word runs as `_`). */
const laneTestDb = (slug: string, laneId: string): string =>
  `test_${slug.replace(/\W+/g, "_").replace(/^_+|_+$/g, "")}_${laneId.replace(/\W+/g, "_")}`

/** JSON as Python's `json.dumps(indent=2)` writes it (keys in the given order, non-ASCII escaped). */
const pythonIndentedJson = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) + "\n"

/**
 * spec-kitty's workspace record `.kittify/workspaces/<slug>-<lane>.json` (docs/surfaces.md §2.2), read by
 * its for_review gate (`base_branch`): written fresh when the lane worktree is created, else updated with
 * the WP now worked on (the other keys kept).
 */
const writeWorkspaceRecord = (r: Resolution, plan: LanePlan, wpId: string, deps: ReadonlyArray<string>, fresh: boolean) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const ctx = r.context
    const root = ctx.workspace.primary_root
    const slug = ctx.identity.mission_slug
    const path = workspaceRecordFile(root, slug, plan.laneId)
    const existing = fresh ? null : yield* fs.readText(path)
    let record: Record<string, unknown> | null = null
    if (existing !== null) {
      try {
        const parsed: unknown = JSON.parse(existing)
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) record = parsed as Record<string, unknown>
      } catch {
        record = null
      }
    }
    let provenance: LaneProvenance | null = null
    if (record !== null) {
      record = { ...record, wp_id: wpId, current_wp: wpId, dependencies: [...deps] }
    } else {
      const git = yield* GitReader
      const base = plan.parent ?? ctx.branch_ref.target_branch
      const sha = yield* git.read(["rev-parse", "--verify", "-q", "--end-of-options", `refs/heads/${base}`], root)
      const { at } = yield* Effect.flatMap(EventIds, (ids) => ids.next)
      record = {
        wp_id: wpId,
        mission_slug: slug,
        worktree_path: relativeWithin(root, plan.workspace),
        branch_name: plan.branch,
        base_branch: base,
        base_commit: sha.exitCode === 0 ? sha.stdout.trim() : "unknown",
        dependencies: [...deps],
        created_at: at,
        created_by: "implement-command-lane",
        vcs_backend: "git",
        lane_id: plan.laneId,
        lane_wp_ids: [...(r.lanes?.lanes.find((l) => l.lane_id === plan.laneId)?.wp_ids ?? [wpId])],
        current_wp: wpId,
        lane_test_env: { SPEC_KITTY_TEST_DB_NAME: laneTestDb(slug, plan.laneId) }
      }
      provenance = { base_branch: base, base_commit: String(record.base_commit), created_at: at }
    }
    const write = yield* RepoWrite
    yield* write.makeDirectory(r.statusTarget.scope, dirnamePath(path))
    yield* write.writeFile(r.statusTarget.scope, path, pythonIndentedJson(record))
    return provenance
  })

/** A fresh lane's base and creation time: the workspace record's, also written into the WP file. */
interface LaneProvenance {
  readonly base_branch: string
  readonly base_commit: string
  readonly created_at: string
}

/**
 * spec-kitty's claim-time writes outside the status log (§2.5), made only when the claim
 * commits and the mission's files are placed in the primary checkout: the VCS lock in `meta.json` (when
 * absent), the fresh lane's `base_branch`, `base_commit` and `created_at` in the WP file's frontmatter,
 * then the claim commit `chore: WPnn claimed for implementation` of the WP file, `meta.json`, `tasks.md`,
 * the status files and `.kittify/config.yaml` on the placement ref. A failing commit is a warning, as in
 * spec-kitty (the status rows are already committed). Returns the commit and the warnings.
 */
const writeClaimFiles = (r: Resolution, wpId: string, wpFile: string, provenance: LaneProvenance | null, protection: ProtectionPolicy) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const ctx = r.context
    const primary = ctx.workspace.primary_root
    const dir = missionDir(primary, ctx.identity.mission_slug)
    const metaPath = missionFile(dir, META_FILE)
    const metaText = yield* fs.readText(metaPath)
    if (metaText !== null) {
      const { at } = yield* Effect.flatMap(EventIds, (ids) => ids.next)
      const locked = vcsLockedMeta(metaText, at)
      if (locked !== null) yield* write.writeFile(r.statusTarget.scope, metaPath, locked)
    }
    // the primary copy of the WP file (the one spec-kitty updates); a copy read elsewhere is left alone
    const ownWpFile = isWithin(dir, wpFile)
    if (provenance !== null && ownWpFile) {
      const wpText = yield* fs.readText(wpFile)
      // spec-kitty's reader adds a missing `dependencies` as `[]`, and its writer keeps it
      const front = wpText === null ? null : Either.getOrNull(parseFrontmatter(wpText))
      const updated = wpText === null || front === null ? null : withFrontmatterFields(wpText, [
        ...(Object.prototype.hasOwnProperty.call(front, "dependencies") ? [] : [["dependencies", "[]", "raw"] as const]),
        ["base_branch", provenance.base_branch],
        ["base_commit", provenance.base_commit],
        ["created_at", provenance.created_at]
      ])
      if (updated !== null && updated !== wpText) yield* write.writeFile(r.statusTarget.scope, wpFile, updated)
    }
    const candidates = [
      ...(ownWpFile ? [wpFile] : []),
      ...statusFiles(r.statusTarget),
      missionFile(dir, "tasks.md"),
      metaPath,
      projectConfigFile(primary)
    ]
    const paths: Array<string> = []
    for (const p of candidates) {
      const rel = relativeWithin(primary, p)
      if ((yield* fs.kind(p)) === "File" && !paths.includes(rel)) paths.push(rel)
    }
    return yield* commitPaths({
      checkout: primary,
      target: ctx.artifact_placement.placement_ref,
      paths,
      message: claimCommitMessage(wpId),
      protection
    }).pipe(
      Effect.map((c) => ({ sha: c.sha, warnings: [] as ReadonlyArray<string> })),
      Effect.catchAll((e) => Effect.succeed({ sha: null, warnings: [`Could not auto-commit lane change: ${e.message}`] }))
    )
  })

/** The two gates a claim consults (§2 steps 4 and 6): the analysis report's freshness and the bulk-edit gate. */
export class ClaimGates extends Context.Tag("kittyctx/ClaimGates")<ClaimGates, {
  readonly analysis: (r: Resolution) => Effect.Effect<Freshness, IoError>
  readonly occurrence: (r: Resolution) => Effect.Effect<GateResult>
}>() {}

/** The live gates: record-analysis's freshness (§1.7) and the occurrence-map gate (§6.3). */
export const claimGatesLayer: Layer.Layer<ClaimGates, never, RepoFs> = Layer.effect(
  ClaimGates,
  Effect.map(RepoFs, (fs) =>
    ClaimGates.of({
      analysis: (r) => Effect.provideService(checkAnalysisFreshness(r), RepoFs, fs),
      occurrence: (r) => Effect.provideService(ensureOccurrenceClassificationReady(r), RepoFs, fs)
    }))
)

/** Every failure a claim can end with. */
export type ClaimError =
  | SurfaceError
  | ResolveError
  | StatusFailure
  | OccurrenceError
  | LockError
  | GitError
  | IoError
  | ConfigError

/** The services a claim runs on. */
export type ClaimRequirements = ResolveForWriteRequirements | MissionStatus | ClaimGates | Processes | EventIds

const readText = (path: string) => Effect.flatMap(RepoFs, (fs) => fs.readText(path))

const livenessOfClaim = (claim: HeldClaim): Effect.Effect<Liveness, never, Processes> =>
  claim.pid === null
    ? Effect.succeed("unknown")
    : Effect.flatMap(Processes, (p) => p.probe({ pid: claim.pid!, started_at: claim.startedAt }))

type OutcomeFields = Omit<ClaimOutcome, "wp_id" | "mission_slug" | "lane_id" | "workspace_path" | "branch" | "parent" | "target">

/**
 * `kittyctx implement <WP>` (§2): resolve (materialising the placement checkout), then under the status
 * lock: lane and re-entry, dependencies, analysis gate, planning artifacts, bulk-edit gates, lane
 * worktree and git-operation checks, a dry run of the transition; then the planning commit, the lane
 * worktree and the claim event. A refusal writes nothing.
 */
export const claimWorkPackage = (req: ClaimRequest): Effect.Effect<ClaimOutcome, ClaimError, ClaimRequirements> =>
  Effect.gen(function*() {
    // 1. context and WP, resolved once
    const r = yield* resolveForWrite({
      cwd: req.cwd,
      mission: req.mission,
      missionCheck: req.missionCheck,
      action: "implement",
      wp_id: req.wpId
    })
    const ctx = r.context
    const wp = ctx.work_package
    if (wp === null) return yield* Effect.die(new Error("implement resolved without a work package"))
    const wpId = wp.wp_id
    const slug = ctx.identity.mission_slug
    const primary = ctx.workspace.primary_root
    const target = r.statusTarget
    const status = yield* MissionStatus
    const gates = yield* ClaimGates
    const mode: PlanningMode = req.planning ?? ((yield* autoCommitOf(r.projectConfig)) ? "auto-commit" : "no-auto-commit")
    const shellPid = req.shellPid ?? process.ppid
    const actor = req.agent ?? DEFAULT_CLAIM_ACTOR
    let wrote = false

    return yield* status.withLock(
      target,
      Effect.gen(function*() {
        const stream = yield* (yield* StatusReader).stream(target)
        const folded = foldTransitions(stream.transitions)
        const laneOf = (id: string) => folded.states.get(id)?.lane
        const lanePlan = lanePlanOf(r)
        const outcome = (fields: OutcomeFields): ClaimOutcome => ({
          wp_id: wpId,
          mission_slug: slug,
          lane_id: lanePlan.laneId,
          workspace_path: relativeWithin(primary, lanePlan.workspace) || ".",
          branch: lanePlan.branch,
          parent: lanePlan.parent,
          ...fields,
          target
        })

        // 2. claimable lane, or the re-entry of a live claim
        const lane = laneOf(wpId) ?? "genesis"
        if (lane !== CLAIMABLE_FROM) {
          if (lane === "claimed" || lane === "in_progress") {
            const claim = heldClaimOf(reduce(stream.transitions, stream.annotations).work_packages[wpId])
            const liveness = yield* livenessOfClaim(claim)
            const details = {
              wp_id: wpId,
              lane,
              claimed_by: claim.agent,
              shell_pid: claim.pid,
              shell_pid_created_at: claim.startedAt,
              liveness
            }
            if (liveness === "alive" && claim.agent === actor) {
              yield* checkLaneWorkspace(ctx, lanePlan)
              yield* allocateLaneWorktree(r, lanePlan)
              const claimEvent = [...folded.sorted].reverse().find((t) => t.wp_id === wpId && t.to_lane === "claimed")
              return outcome({
                event_id: claimEvent?.event_id ?? "",
                event_ids: [],
                from_lane: claimEvent?.from_lane ?? lane,
                to_lane: lane,
                planning_commit: null,
                status_commit: null,
                claim_commit: null,
                adopted: [],
                reentered: true,
                warnings: []
              })
            }
            if (liveness === "alive") {
              return yield* surfaceError(
                "WP_ALREADY_CLAIMED",
                `${wpId} is already claimed by ${claim.agent ?? "another agent"} (shell ${String(claim.pid)} is alive).`,
                details
              )
            }
            return yield* surfaceError(
              "WP_NOT_CLAIMABLE",
              `${wpId} is ${lane} and its claim cannot be re-entered (claim by ${claim.agent ?? "unknown"}, shell ${liveness}).`,
              details
            )
          }
          return yield* surfaceError(
            "WP_NOT_CLAIMABLE",
            lane === "genesis" || lane === "uninitialized"
              ? `${wpId} has no planned status event; finalize the tasks before claiming it.`
              : `${wpId} is ${lane}; only a planned work package can be claimed.`,
            { wp_id: wpId, lane }
          )
        }

        // 3. dependencies
        const wpText = (yield* readText(wp.wp_file)) ?? ""
        const deps = yield* dependenciesOf(wp.wp_file, wpText)
        const unsatisfied = deps
          .map((d) => [d, laneOf(d) ?? "planned"] as const)
          .filter(([, l]) => !SATISFIED_LANES.has(l))
          .map(([d, l]) => `${d} (${l})`)
        if (unsatisfied.length > 0) {
          return yield* surfaceError(
            "DEPENDENCIES_NOT_SATISFIED",
            `${wpId} depends on work packages that are not approved or done: ${unsatisfied.join(", ")}`,
            { wp_id: wpId, dependencies: deps, unsatisfied }
          )
        }

        // 4. analysis gate
        const freshness = yield* gates.analysis(r)
        if (!freshness.ok) {
          const refusal = analysisRequired(slug, freshness)
          return yield* surfaceError(refusal.code, refusal.message, { ...refusal.details, mission_slug: slug })
        }

        // 5. planning artifacts on the placement ref (checks only)
        const planning = yield* planPlanningCommit(r, wpId, mode)

        // 6. bulk-edit gate and inference
        const warnings: Array<string> = []
        const gate = yield* gates.occurrence(r)
        if (!gate.passed) return yield* OccurrenceErrors.gateBlocked(gate)
        warnings.push(...gate.warnings)
        if (gate.change_mode !== BULK_EDIT) {
          const specPath = missionFile(readDirFor(ctx, "SPEC"), "spec.md")
          const inference = bulkEditInference((yield* readText(specPath)) ?? "")
          if (inference.triggered && req.acknowledgeNotBulkEdit !== true) {
            const ownsMissionFiles = ownedFilesOf(wpText).some((p) => isWithin(missionDir("", slug), p))
            const text = `spec.md reads like a bulk edit (score ${inference.score}: ${inference.phrases.join(", ")}) ` +
              `but the mission's change_mode is not ${BULK_EDIT}`
            if (!ownsMissionFiles) {
              return yield* surfaceError(
                "BULK_EDIT_INFERENCE_UNACKNOWLEDGED",
                `${text}. Re-run with --acknowledge-not-bulk-edit, or set change_mode: ${BULK_EDIT} and add an occurrence map.`,
                { spec_path: specPath, score: inference.score, phrases: inference.phrases }
              )
            }
            warnings.push(`${text} (informational: ${wpId} owns files of the mission dir)`)
          }
        }

        // 7 (checks). lane worktree state; the status rows' commit (branch, protection, git operations)
        yield* checkLaneWorkspace(ctx, lanePlan)
        const cleared = yield* clearBookkeeping(r, batchSpec(wpId, req.autoCommit))
        yield* refuseDuringGitOp([planning.checkout, primary], "finish or abort it, then re-run implement")

        // 8 (checks). the two transitions, decided on the current log (spec-kitty's claim batch)
        const identity = yield* Effect.flatMap(Processes, (p) => p.identity(shellPid))
        const executionMode = lanePlan.allocate ? "worktree" : "direct_repo"
        const policyMetadata = {
          agent: actor,
          shell_pid: shellPid,
          ...(identity.started_at === null ? {} : { shell_pid_created_at: identity.started_at })
        }
        const hop = (to: string): TransitionRequest => ({
          wpId,
          to,
          actor,
          force: false,
          reason: null,
          reviewRef: null,
          evidence: null,
          reviewResult: null,
          executionMode,
          workspaceContext: `${executionMode}:${lanePlan.workspace}`,
          subtasksComplete: null,
          implementationEvidencePresent: null,
          policyMetadata
        })
        const requests = [hop("claimed"), hop("in_progress")]
        let dry = stream
        for (const request of requests) {
          const decision = yield* decideTransition(foldViewOf(dry), request, {
            missionSlug: slug,
            missionId: null,
            eventId: "0".repeat(26),
            at: "1970-01-01T00:00:00+00:00",
            workspaceRoot: primary,
            roster: null
          })
          if (decision._tag === "Append") dry = withDryRow(dry, wpId, decision.from, decision.to)
        }

        // writes: planning commit, lane worktree and its record, the claim rows
        wrote = true
        const planningCommit = yield* commitPlanning(r, planning, wpId)
        const allocated = yield* allocateLaneWorktree(r, lanePlan)
        const provenance = lanePlan.allocate ? yield* writeWorkspaceRecord(r, lanePlan, wpId, deps, allocated.created) : null
        const emitted = yield* emitBatch(r, requests, cleared)
        const events = emitted.result.map((o) => o.event).filter((e): e is NonNullable<typeof e> => e !== null)
        warnings.push(...emitted.result.flatMap((o) => o.warnings))
        // spec-kitty's meta.json / frontmatter writes and claim commit (kept out with auto-commit off and
        // under coordination placement: README "Differences from spec-kitty")
        const claimed = cleared.policy !== null && placementCheckoutOf(ctx) === primary && events.length > 0
          ? yield* writeClaimFiles(r, wpId, wp.wp_file, provenance, cleared.policy)
          : null
        if (claimed !== null) warnings.push(...claimed.warnings)
        return outcome({
          event_id: typeof events[0]?.event_id === "string" ? events[0].event_id : "",
          event_ids: events.map((e) => String(e.event_id)),
          from_lane: emitted.result[0]?.from ?? lane,
          to_lane: emitted.result[emitted.result.length - 1]?.to ?? lane,
          planning_commit: planningCommit,
          status_commit: emitted.commit?.sha ?? null,
          claim_commit: claimed?.sha ?? null,
          adopted: planning.adoptions.map((a) => a.path),
          reentered: false,
          warnings
        })
      }).pipe(Effect.onError(() => (wrote ? Effect.void : r.undoMaterialisation)))
    )
  }).pipe(Effect.withSpan("kittyctx.implementClaim"))
