/**
 * `kittyctx implement <WP>`: claims a work package (docs/surfaces.md §2) through `claimWorkPackage`.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { analysisRequiredLines } from "../core/surfaces/AnalysisReport.js"
import type { Freshness } from "../core/surfaces/AnalysisReport.js"
import { claimWorkPackage } from "../services/surfaces/ImplementClaim.js"
import type { ClaimOutcome } from "../services/surfaces/ImplementClaim.js"
import type { PlanningMode } from "../services/surfaces/PlanningCommit.js"
import { currentDirectory, jsonOption, missionOption } from "./Options.js"
import { CliExit, handle, isCodedError, printJson } from "./Output.js"
import type { CodedError } from "./Output.js"

const usage = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

const planning = Options.all({
  autoCommit: Options.boolean("auto-commit").pipe(
    Options.withDescription("Commit uncommitted planning artifacts on the placement ref before claiming (the default)")
  ),
  noAutoCommit: Options.boolean("no-auto-commit").pipe(
    Options.withDescription("Refuse instead of committing uncommitted planning artifacts")
  ),
  adopt: Options.boolean("adopt").pipe(
    Options.withDescription("Copy mission files edited in the primary checkout into the placement checkout and commit them")
  )
}).pipe(
  Options.mapEffect(({ adopt, autoCommit, noAutoCommit }) =>
    noAutoCommit && (adopt || autoCommit)
      ? usage(`--no-auto-commit cannot be combined with ${adopt ? "--adopt" : "--auto-commit"}`)
      : Effect.succeed<PlanningMode>(adopt ? "adopt" : noAutoCommit ? "no-auto-commit" : "auto-commit")
  )
)

const shellPid = Options.integer("shell-pid").pipe(
  Options.withDescription("The claiming agent's shell (default: the parent of this process)"),
  Options.optional,
  Options.mapEffect((pid) =>
    Option.isSome(pid) && pid.value <= 0 ? usage("--shell-pid must be a positive process id") : Effect.succeed(pid)
  )
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
      : `${o.wp_id}: ${o.from_lane} -> ${o.to_lane} (${o.event_id}); workspace ${o.workspace_path} (${o.branch})`
  ].join("\n")

// kittyctx implement <WP> [--mission <handle>] --agent <name> [--shell-pid N] [--auto-commit|--no-auto-commit]
//   [--adopt] [--acknowledge-not-bulk-edit] [--json]
export const implementCommand = Command.make(
  "implement",
  {
    wp: Args.text({ name: "WP" }).pipe(Args.withDescription("Work package id, e.g. WP01")),
    mission: missionOption,
    agent: Options.text("agent").pipe(Options.withDescription("The claiming agent (the event's actor)")),
    shellPid,
    planning,
    acknowledgeNotBulkEdit: Options.boolean("acknowledge-not-bulk-edit").pipe(
      Options.withDescription("Claim although spec.md reads like a bulk edit and the mission is not change_mode: bulk_edit")
    ),
    json: jsonOption
  },
  (o) =>
    Effect.gen(function*() {
      const cwd = yield* currentDirectory
      const claim = claimWorkPackage({
        cwd,
        mission: Option.getOrUndefined(o.mission),
        wpId: o.wp,
        agent: o.agent,
        shellPid: Option.getOrUndefined(o.shellPid),
        planning: o.planning,
        acknowledgeNotBulkEdit: o.acknowledgeNotBulkEdit
      }).pipe(
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
        const { reentered, warnings, ...shown } = out
        yield* printJson({
          ok: true,
          ...shown,
          ...(reentered ? { reentered } : {}),
          ...(warnings.length > 0 ? { warnings } : {})
        })
      } else {
        yield* Console.log(renderText(out))
      }
    })
).pipe(Command.withDescription("Claim a work package: gates, planning commit, lane worktree, planned -> claimed"))
