/**
 * `kittyctx tasks …`: mark-status, spec-kitty's `agent tasks mark-status` (docs/status-model.md §6.7).
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { markSubtasks } from "../services/surfaces/StatusWrites.js"
import {
  autoCommitOf,
  autoCommitOption,
  featureDirOption,
  jsonOption as json,
  missionOption as mission,
  missionRequest
} from "./Options.js"
import { handle, printJson } from "./Output.js"

// kittyctx tasks mark-status <T001> [<T002> ...] --status done|pending [--mission <handle>]
//   [--auto-commit|--no-auto-commit] [--json]
const markStatus = Command.make(
  "mark-status",
  {
    ids: Args.text({ name: "TASK_ID" }).pipe(
      Args.withDescription("Subtask ids as tasks.md or the WP files' subtasks list them (T001, or <mission>/T001)"),
      Args.atLeast(1)
    ),
    status: Options.choice("status", ["done", "pending"]).pipe(
      Options.withDescription("Record the subtasks as done, or back to pending")
    ),
    mission,
    featureDir: featureDirOption,
    autoCommit: autoCommitOption,
    json
  },
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        const autoCommit = yield* autoCommitOf(o.autoCommit)
        const req = yield* missionRequest(o.mission, o.featureDir)
        const out = yield* markSubtasks({ ...req, ids: o.ids, status: o.status, autoCommit })
        for (const w of out.result.warnings) yield* Console.error(`warning: ${w}`)
        if (o.json) {
          yield* printJson({
            ok: true,
            mission_slug: out.mission_slug,
            results: out.results,
            summary: { updated: out.results.length, already_satisfied: 0, not_found: 0 },
            events: out.result.events,
            status_events_path: out.result.statusEventsPath,
            committed: out.commit?.committed ?? false,
            commit: out.commit?.sha ?? null,
            auto_commit: out.autoCommit,
            ...(out.result.warnings.length > 0 ? { warnings: out.result.warnings } : {})
          })
        } else {
          const ids = out.results.map((r) => r.id)
          yield* Console.log(
            (ids.length === 1
              ? `Marked ${ids[0]} as ${o.status}`
              : `Marked ${ids.length} subtasks as ${o.status}: ${ids.join(", ")}`) +
              (out.commit?.sha ? `\ncommitted ${out.commit.sha}` : "")
          )
        }
      })
    )
).pipe(Command.withDescription(
  "Record subtasks as done or pending on the status surface (one annotation per WP; tasks.md is never rewritten)"
))

/** `kittyctx tasks`. */
export const tasksCommand = Command.make("tasks").pipe(
  Command.withDescription("Work-package tasks: subtask completion"),
  Command.withSubcommands([markStatus])
)
