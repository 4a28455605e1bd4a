/**
 * `kittyctx merge --dry-run` (docs/surfaces.md §5.6): what the merge would do, and whether it would
 * stop on a conflict, computed without touching refs, reflogs, the index or any work tree. Conflicts are
 * predicted with `git merge-tree --write-tree` (merged trees and the predicted merge commits are written
 * as unreferenced objects only), with kittyctx's merge drivers configured for that one git process as
 * the real run installs them, so the event logs merge there as they will.
 */
import { Effect } from "effect"
import { driverCommand } from "../../core/merge/DriverConfig.js"
import { missionNumberOf, nextMissionNumber } from "../../core/merge/MergeRules.js"
import type { MergeStrategy } from "../../core/merge/MergeState.js"
import {
  DERIVED_DRIVER,
  EVENT_LOG_DRIVER,
  headsRef,
  mergeAttributeProbes,
  mergeAttributesFileBeside,
  mergeStateFile,
  metaPathspec
} from "../../core/repo/Naming.js"
import { dirnamePath } from "../../core/repo/Paths.js"
import { commitId, optionValues } from "../../core/repo/RefName.js"
import { BUILTIN_MERGE_VALUES, parseCheckAttrZ } from "../../core/merge/DriverConfig.js"
import { resolve } from "../context/ResolveContext.js"
import type { ResolveRequirements } from "../context/ResolveContext.js"
import { GitReader } from "../ports/Git.js"
import { Launcher } from "../ports/Launcher.js"
import { RepoFs } from "../ports/RepoFs.js"
import { foreignMergeState, lanesToMerge, planMerge, preflightBlockers } from "./MergePlan.js"
import type { MergeRunError } from "./MergeExecutor.js"

/** A predicted conflict: the step and the paths. */
export interface PredictedConflict {
  readonly step: string
  readonly files: ReadonlyArray<string>
}

/** The dry run's report. */
export interface DryRunOutcome {
  readonly mission_slug: string
  readonly target_branch: string
  readonly strategy: MergeStrategy
  readonly mission_branch: string | null
  readonly lanes: ReadonlyArray<{ readonly lane_id: string; readonly branch: string; readonly already_merged: boolean }>
  readonly wps: ReadonlyArray<{ readonly id: string; readonly lane: string }>
  readonly blockers: ReadonlyArray<{ readonly code: string; readonly message: string }>
  readonly would_bake_mission_number: number | null
  readonly conflicts: ReadonlyArray<PredictedConflict>
  /** A kittyctx merge of this mission is already in progress (a real run resumes it). */
  readonly in_progress: boolean
  /** Whether kittyctx's drivers could be configured for the prediction (false: the logs merged as git would). */
  readonly drivers_emulated: boolean
}

/** The dry run; it writes no ref, reflog, index or work tree. */
export const dryRunMerge = (req: {
  readonly cwd: string
  readonly mission?: string | undefined
  readonly target?: string | undefined
  readonly strategy?: MergeStrategy | undefined
}): Effect.Effect<DryRunOutcome, MergeRunError, ResolveRequirements | Launcher> =>
  Effect.gen(function*() {
    const reader = yield* GitReader
    const fs = yield* RepoFs
    const launcher = yield* Launcher
    const r = yield* resolve({ cwd: req.cwd, mission: req.mission, action: "status" })
    const plan = yield* planMerge(r, { target: req.target, strategy: req.strategy })
    const root = plan.root
    const blockers = preflightBlockers(plan).map((e) => ({ code: e.code, message: e.message }))
    const foreign = yield* foreignMergeState(root)
    if (foreign.length > 0) {
      blockers.push({ code: "MERGE_FOREIGN_IN_PROGRESS", message: `A spec-kitty merge is in progress: ${foreign.join(", ")}` })
    }
    const inProgress = (yield* fs.kind(mergeStateFile(plan.location.commonDir, plan.key))) !== null

    // the drivers for this git process only: the attribute lines beside the launcher, and every driver
    // name the repository's attributes route the mission files to, defined as kittyctx's
    const command = driverCommand(launcher.node, launcher.script)
    const attributesFile = mergeAttributesFileBeside(dirnamePath(launcher.script))
    const emulated = (yield* fs.kind(attributesFile)) === "File"
    const probes = mergeAttributeProbes()
    const routed = parseCheckAttrZ(
      (yield* reader.readChecked(["check-attr", "-z", "merge", "--", ...probes.map((p) => p.path)], root)).stdout
    )
    const settings: Array<string> = []
    const define = (name: string, driver: string) => settings.push(`merge.${name}.driver=${driver}`)
    define(EVENT_LOG_DRIVER, command)
    define(DERIVED_DRIVER, "true")
    for (const p of probes) {
      const name = routed.get(p.path)
      if (name !== undefined && !BUILTIN_MERGE_VALUES.has(name) && name !== p.driver) {
        define(name, p.driver === EVENT_LOG_DRIVER ? command : "true")
      }
    }
    if (emulated) settings.push(`core.attributesFile=${attributesFile}`)

    const conflicts: Array<PredictedConflict> = []
    /** The predicted result of merging `b` into `a`: its tree, or the conflicted paths. */
    const mergeTree = (a: string, b: string) =>
      Effect.map(reader.read(
        [...optionValues("-c", settings), "merge-tree", "--write-tree", "--name-only", "--no-messages", "--end-of-options", a, b],
        root
      ), (out) => {
        const lines = out.stdout.split("\n").filter((l) => l !== "")
        return { tree: lines[0] ?? "", conflicted: out.exitCode === 1 ? lines.slice(1) : [], failed: out.exitCode > 1 }
      })

    const lanes: Array<{ lane_id: string; branch: string; already_merged: boolean }> = []
    let mission = plan.missionTip
    for (const lane of plan.lanes) {
      const merged = mission !== null && lane.tip !== null &&
        (yield* reader.read(["merge-base", "--is-ancestor", "--end-of-options", lane.tip, mission], root)).exitCode === 0
      lanes.push({ lane_id: lane.laneId, branch: lane.branch, already_merged: merged })
    }
    for (const lane of lanesToMerge(plan)) {
      if (mission === null || conflicts.length > 0) break
      if ((yield* reader.read(["merge-base", "--is-ancestor", "--end-of-options", lane.tip, mission], root)).exitCode === 0) continue
      const m = yield* mergeTree(mission, lane.tip)
      if (m.conflicted.length > 0 || m.failed) {
        conflicts.push({ step: `${lane.laneId} into ${plan.missionBranch}`, files: m.conflicted })
        break
      }
      mission = (yield* reader.readChecked(
        ["commit-tree", commitId(m.tree), ...optionValues("-p", [mission, lane.tip]), "-m", `Merge ${lane.branch} into ${plan.missionBranch}`],
        root
      )).stdout.trim()
    }
    if (conflicts.length === 0 && mission !== null && plan.targetTip !== null) {
      const m = yield* mergeTree(plan.targetTip, mission)
      if (m.conflicted.length > 0 || m.failed) conflicts.push({ step: `${plan.missionBranch} into ${plan.target}`, files: m.conflicted })
    }

    // the number the bake would assign (null when the mission is numbered already)
    const showMeta = (rev: string) =>
      Effect.map(reader.read(["show", "--end-of-options", `${rev}:${plan.rel.meta}`], root), (out) => {
        try {
          return out.exitCode === 0 ? (JSON.parse(out.stdout) as unknown) : undefined
        } catch {
          return undefined
        }
      })
    const known = missionNumberOf(yield* showMeta(headsRef(plan.target))) ??
      (plan.missionTip === null ? null : missionNumberOf(yield* showMeta(plan.missionTip)))
    const grep = plan.targetTip === null
      ? null
      : yield* reader.read(["grep", "-h", "-e", "\"mission_number\"", commitId(plan.targetTip), "--", metaPathspec()], root)
    const wouldBake = known !== null || plan.targetTip === null
      ? null
      : nextMissionNumber(grep !== null && grep.exitCode === 0 ? grep.stdout.split("\n") : [])

    return {
      mission_slug: plan.slug,
      target_branch: plan.target,
      strategy: plan.strategy,
      mission_branch: plan.missionTip === null ? null : plan.missionBranch,
      lanes,
      wps: [...plan.wpLanes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, lane]) => ({ id, lane })),
      blockers,
      would_bake_mission_number: wouldBake,
      conflicts,
      in_progress: inProgress,
      drivers_emulated: emulated
    }
  })
