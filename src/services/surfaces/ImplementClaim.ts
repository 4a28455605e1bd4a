/**
 * `implement` (docs/surfaces.md §2): claims a work package. Under the mission's status lock, so that
 * concurrent claims serialise and a loser sees the winner's claim, every check runs before the first
 * write: the claimable lane (or an idempotent re-entry), dependencies, the analysis gate, the planning
 * artifacts on the placement ref, the bulk-edit gates, the lane worktree's state and the transition
 * itself. Then it writes, in order: the planning commit, the lane worktree, and the planned → claimed
 * event with the claim sidecar. The pieces live in `PlanningCommit`, `LaneWorktree` and
 * `core/surfaces/ImplementRules`; this module orchestrates them. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Context, Effect, Layer } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import type { OccurrenceError } from "../../core/occurrence/OccurrenceMap.js"
import { BULK_EDIT, OccurrenceErrors } from "../../core/occurrence/OccurrenceMap.js"
import type { GateResult } from "../../core/occurrence/OccurrenceMap.js"
import type { Liveness } from "../../core/process/ProcessIdentity.js"
import { missionDir, missionFile } from "../../core/repo/Naming.js"
import { isWithin, relativeWithin } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { decideTransition } from "../../core/status/StatusEvent.js"
import type { TransitionRequest } from "../../core/status/StatusEvent.js"
import { foldTransitions, reduce } from "../../core/status/StatusFold.js"
import { analysisRequired } from "../../core/surfaces/AnalysisReport.js"
import type { Freshness } from "../../core/surfaces/AnalysisReport.js"
import {
  bulkEditInference,
  CLAIMABLE_FROM,
  dependenciesOf,
  heldClaimOf,
  ownedFilesOf,
  SATISFIED_LANES
} from "../../core/surfaces/ImplementRules.js"
import type { HeldClaim } from "../../core/surfaces/ImplementRules.js"
import { surfaceError } from "../../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../../core/surfaces/SurfaceError.js"
import { resolveForWrite } from "../context/ResolveContext.js"
import type { Resolution, ResolveError, ResolveForWriteRequirements } from "../context/ResolveContext.js"
import type { LockError } from "../ports/FileLock.js"
import { Processes } from "../ports/Processes.js"
import { RepoFs } from "../ports/RepoFs.js"
import { MissionStatus } from "../status/MissionStatus.js"
import { StatusReader } from "../status/StatusReader.js"
import type { StatusFailure } from "../status/StatusReader.js"
import { allocateLaneWorktree, checkLaneWorkspace, lanePlanOf } from "./LaneWorktree.js"
import { ensureOccurrenceClassificationReady } from "./OccurrenceCheck.js"
import { commitPlanning, planPlanningCommit } from "./PlanningCommit.js"
import type { PlanningMode } from "./PlanningCommit.js"
import { checkAnalysisFreshness } from "./RecordAnalysis.js"
import { emitTransition } from "./StatusWrites.js"
import { refuseDuringGitOp } from "../ports/GitFiles.js"
import { checkCommitTarget } from "./WriteGuards.js"

/** One claim: the WP, who claims it, and from which shell. */
export interface ClaimRequest {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly wpId: string
  readonly agent: string
  /** The claiming shell; the parent of this process when absent. */
  readonly shellPid?: number | undefined
  readonly planning?: PlanningMode | undefined
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
  readonly from_lane: string
  readonly to_lane: string
  readonly planning_commit: string | null
  readonly adopted: ReadonlyArray<string>
  /** True for the idempotent re-entry of a live claim by its own agent (no new event). */
  readonly reentered: boolean
  readonly warnings: ReadonlyArray<string>
}

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
export type ClaimRequirements = ResolveForWriteRequirements | MissionStatus | ClaimGates | Processes

const readText = (path: string) => Effect.flatMap(RepoFs, (fs) => fs.readText(path))

const livenessOfClaim = (claim: HeldClaim): Effect.Effect<Liveness, never, Processes> =>
  claim.pid === null
    ? Effect.succeed("unknown")
    : Effect.flatMap(Processes, (p) => p.probe({ pid: claim.pid!, started_at: claim.startedAt }))

type OutcomeFields = Omit<ClaimOutcome, "wp_id" | "mission_slug" | "lane_id" | "workspace_path" | "branch" | "parent">

/**
 * `kittyctx implement <WP>` (§2): resolve (materialising the placement checkout), then under the status
 * lock: lane and re-entry, dependencies, analysis gate, planning artifacts, bulk-edit gates, lane
 * worktree and git-operation checks, a dry run of the transition; then the planning commit, the lane
 * worktree and the claim event. A refusal writes nothing.
 */
export const claimWorkPackage = (req: ClaimRequest): Effect.Effect<ClaimOutcome, ClaimError, ClaimRequirements> =>
  Effect.gen(function*() {
    // 1. context and WP, resolved once
    const r = yield* resolveForWrite({ cwd: req.cwd, mission: req.mission, action: "implement", wp_id: req.wpId })
    const ctx = r.context
    const wp = ctx.work_package
    if (wp === null) return yield* Effect.die(new Error("implement resolved without a work package"))
    const wpId = wp.wp_id
    const slug = ctx.identity.mission_slug
    const primary = ctx.workspace.primary_root
    const target = r.statusTarget
    const status = yield* MissionStatus
    const gates = yield* ClaimGates
    const mode = req.planning ?? "auto-commit"
    const shellPid = req.shellPid ?? process.ppid

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
          ...fields
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
            if (liveness === "alive" && claim.agent === req.agent) {
              yield* checkLaneWorkspace(ctx, lanePlan)
              yield* allocateLaneWorktree(r, lanePlan)
              const claimEvent = [...folded.sorted].reverse().find((t) => t.wp_id === wpId && t.to_lane === "claimed")
              return outcome({
                event_id: claimEvent?.event_id ?? "",
                from_lane: claimEvent?.from_lane ?? lane,
                to_lane: claimEvent?.to_lane ?? lane,
                planning_commit: null,
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

        // 7 (checks). lane worktree state; the status commit's branch; no git operation under way
        yield* checkLaneWorkspace(ctx, lanePlan)
        const dest = ctx.branch_ref.destination_ref
        const coordRoot = ctx.workspace.coord_worktree
        if (dest.kind === "coordination" && coordRoot !== null) yield* checkCommitTarget(coordRoot, dest)
        yield* refuseDuringGitOp([planning.checkout, primary], "finish or abort it, then re-run implement")

        // 8 (checks). the transition itself, decided on the current log
        const identity = yield* Effect.flatMap(Processes, (p) => p.identity(shellPid))
        const request: TransitionRequest = {
          wpId,
          to: "claimed",
          actor: req.agent,
          force: false,
          reason: null,
          reviewRef: null,
          evidence: null,
          reviewResult: null,
          executionMode: lanePlan.allocate ? "worktree" : "direct_repo",
          workspaceContext: null,
          subtasksComplete: null,
          implementationEvidencePresent: null,
          policyMetadata: { agent: req.agent, shell_pid: shellPid, shell_pid_created_at: identity.started_at }
        }
        yield* decideTransition(stream, request, {
          missionSlug: slug,
          missionId: null,
          eventId: "0".repeat(26),
          at: "1970-01-01T00:00:00+00:00",
          workspaceRoot: primary,
          roster: null
        })

        // writes: planning commit, lane worktree, claim event
        const planningCommit = yield* commitPlanning(r, planning, wpId)
        yield* allocateLaneWorktree(r, lanePlan)
        const emitted = yield* emitTransition({ cwd: req.cwd, mission: slug }, request)
        const event = emitted.outcome.event
        warnings.push(...emitted.outcome.warnings)
        return outcome({
          event_id: typeof event?.event_id === "string" ? event.event_id : "",
          from_lane: emitted.outcome.from,
          to_lane: emitted.outcome.to,
          planning_commit: planningCommit,
          adopted: planning.adoptions.map((a) => a.path),
          reentered: false,
          warnings
        })
      })
    )
  }).pipe(Effect.withSpan("kittyctx.implementClaim"))
