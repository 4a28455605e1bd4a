/**
 * `kittyctx implement <WP>`: claims a work package (docs/surfaces.md §2) through `claimWorkPackage`.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { analysisRequiredLines } from "../core/surfaces/AnalysisReport.js"
import type { Freshness } from "../core/surfaces/AnalysisReport.js"
import { claimWorkPackage } from "../services/surfaces/ImplementClaim.js"
import type { ClaimOutcome } from "../services/surfaces/ImplementClaim.js"
import type { PlanningMode } from "../services/surfaces/PlanningCommit.js"
import { featureDirOption, jsonOption, missionOption, missionRequest } from "./Options.js"
import { CliExit, handle, isCodedError, printJson, UsageError } from "./Output.js"
import { warnOnSyncBacklog } from "./StatusPrograms.js"
import type { CodedError } from "./Output.js"

const usage = (message: string) => Effect.fail(new UsageError({ message, details: {} }))

const planning = Options.all({
  autoCommit: Options.boolean("auto-commit").pipe(
    Options.withDescription(
      "Commit uncommitted planning artifacts and the claim's status rows on the placement ref " +
        "(default: .kittify/config.yaml auto_commit, on)"
    )
  ),
  noAutoCommit: Options.boolean("no-auto-commit").pipe(
    Options.withDescription("Refuse uncommitted planning artifacts instead of committing them; leave the status rows uncommitted")
  ),
  adopt: Options.boolean("adopt").pipe(
    Options.withDescription("Copy mission files edited in the primary checkout into the placement checkout and commit them")
  )
})

/** The planning mode and the status auto-commit the flags ask for (`undefined`: the project's default). */
const planningOf = (o: { readonly adopt: boolean; readonly autoCommit: boolean; readonly noAutoCommit: boolean }) =>
  o.noAutoCommit && (o.adopt || o.autoCommit)
    ? usage(`--no-auto-commit cannot be combined with ${o.adopt ? "--adopt" : "--auto-commit"}`)
    : Effect.succeed({
      planning: (o.adopt ? "adopt" : o.noAutoCommit ? "no-auto-commit" : o.autoCommit ? "auto-commit" : undefined) as
        | PlanningMode
        | undefined,
      autoCommit: o.noAutoCommit ? false : o.autoCommit || o.adopt ? true : undefined
    })

const shellPid = Options.integer("shell-pid").pipe(
  Options.withPseudoName("pid"),
  Options.withDescription("The claiming agent's shell (default: the parent of this process)"),
  Options.optional
)

/** §1.7: the analysis gate's refusal in text mode is the spec's multi-line block, not the detail dump. */
const renderAnalysisRequired = (e: CodedError) =>
  Console.error(
    [
      `error[${e.code}]: ${e.message}`,
      ...analysisRequiredLines(String(e.details.mission_slug), e.details.freshness as Freshness)
    ].join("\n")
  )

const renderText = (o: ClaimOutcome): string =>
  [
    ...o.adopted.map((p) => `adopted ${p}`),
    ...(o.planning_commit === null ? [] : [`committed planning artifacts ${o.planning_commit}`]),
    o.reentered
      ? `${o.wp_id} is already claimed by this agent; workspace ${o.workspace_path} (${o.branch})`
      : `${o.wp_id}: ${o.from_lane} -> ${o.to_lane} (${o.event_ids.join(", ")}); workspace ${o.workspace_path} (${o.branch})`,
    ...(o.status_commit === null ? [] : [`committed status ${o.status_commit}`]),
    ...(o.claim_commit === null ? [] : [`committed claim ${o.claim_commit}`])
  ].join("\n")

// kittyctx implement <WP> [--mission <handle>] [--agent <name>] [--shell-pid N] [--auto-commit|--no-auto-commit]
//   [--adopt] [--acknowledge-not-bulk-edit] [--json]
export const implementCommand = Command.make(
  "implement",
  {
    wp: Args.text({ name: "WP" }).pipe(Args.withDescription("Work package id, e.g. WP01")),
    mission: missionOption,
    featureDir: featureDirOption,
    agent: Options.text("agent").pipe(
      Options.withAlias("actor"),
      Options.withPseudoName("name"),
      Options.withDescription("The claiming agent, the rows' actor (default: implement-command, as spec-kitty)"),
      Options.optional
    ),
    shellPid,
    planning,
    acknowledgeNotBulkEdit: Options.boolean("acknowledge-not-bulk-edit").pipe(
      Options.withDescription("Claim although spec.md reads like a bulk edit and the mission is not change_mode: bulk_edit")
    ),
    json: jsonOption
  },
  (o) =>
    Effect.gen(function*() {
      const req = yield* missionRequest(o.mission, o.featureDir)
      const checks = Effect.gen(function*() {
        if (Option.isSome(o.shellPid) && o.shellPid.value <= 0) yield* usage("--shell-pid must be a positive process id")
        return yield* planningOf(o.planning)
      })
      const claim = Effect.flatMap(checks, (mode) =>
        claimWorkPackage({
          ...req,
          wpId: o.wp,
          agent: Option.getOrUndefined(o.agent),
          shellPid: Option.getOrUndefined(o.shellPid),
          planning: mode.planning,
          autoCommit: mode.autoCommit,
          acknowledgeNotBulkEdit: o.acknowledgeNotBulkEdit
        })
      ).pipe(
        Effect.catchIf(
          (e) => !o.json && isCodedError(e) && e.code === "ANALYSIS_REPORT_REQUIRED",
          (e) =>
            Effect.zipRight(
              renderAnalysisRequired(e as CodedError),
              Effect.fail(new CliExit({ code: 1 }))
            )
        )
      )
      const out = yield* handle(o.json, claim)
      for (const w of out.warnings) yield* Console.error(`warning: ${w}`)
      if (o.json) {
        const { reentered, target: _target, warnings, ...shown } = out
        yield* printJson({
          ok: true,
          ...shown,
          ...(reentered ? { reentered } : {}),
          ...(warnings.length > 0 ? { warnings } : {})
        })
      } else {
        yield* Console.log(renderText(out))
      }
      yield* warnOnSyncBacklog(req.cwd, out.target)
    })
).pipe(Command.withDescription(
  "Claim a work package: gates, planning commit, lane worktree, planned -> claimed -> in_progress"
))
