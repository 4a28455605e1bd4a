/**
 * `kittyctx merge`: a mission's lanes into its mission branch and the mission into its target, with
 * the done bookkeeping (surfaces spec §5.4-§5.8), resumable after a conflict or a crash.
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { MERGE_STRATEGIES } from "../core/merge/MergeState.js"
import { dryRunMerge } from "../services/merge/MergeDryRun.js"
import { abortMerge, runMerge } from "../services/merge/MergeExecutor.js"
import { currentDirectory, jsonOption, missionOption } from "./Options.js"
import { handle, printJson } from "./Output.js"

const usage = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

const short = (sha: string | null) => (sha === null ? "none" : sha.slice(0, 12))

// kittyctx merge [--mission <h>] [--target <branch>] [--strategy merge|squash|rebase] [--dry-run] [--resume]
//   [--abort] [--push] [--keep-branch] [--keep-worktree] [--json]
export const mergeCommand = Command.make(
  "merge",
  {
    mission: missionOption,
    target: Options.text("target").pipe(
      Options.withDescription("The branch to merge into (default: meta.json merge_target_branch, else target_branch)"),
      Options.optional
    ),
    strategy: Options.choice("strategy", MERGE_STRATEGIES).pipe(
      Options.withDescription("How the mission reaches the target (default: .kittify/config.yaml merge.strategy, else squash)"),
      Options.optional
    ),
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Report what would happen and predict conflicts; write nothing")),
    resume: Options.boolean("resume").pipe(Options.withDescription("Continue an interrupted or conflicted merge")),
    abort: Options.boolean("abort").pipe(Options.withDescription("Stop a merge: remove its workspace and state")),
    push: Options.boolean("push").pipe(Options.withDescription("Push the target to origin afterwards")),
    keepBranch: Options.boolean("keep-branch").pipe(Options.withDescription("Keep the lane and mission branches")),
    keepWorktree: Options.boolean("keep-worktree").pipe(Options.withDescription("Keep the lane worktrees")),
    json: jsonOption
  },
  (o) =>
    Effect.gen(function*() {
      const mission = Option.getOrUndefined(o.mission)
      const modes = [o.dryRun, o.resume, o.abort].filter((x) => x).length
      if (modes > 1) return yield* usage("--dry-run, --resume and --abort are mutually exclusive")
      if (o.abort) {
        const out = yield* handle(o.json, Effect.flatMap(currentDirectory, (cwd) => abortMerge({ cwd, mission })))
        if (o.json) return yield* printJson({ ok: true, ...out })
        return yield* Console.log(
          [
            `Aborted the merge of ${out.mission_slug}; its workspace and state are removed.`,
            ...(out.advanced_refs.length === 0
              ? ["No ref had been moved."]
              : [
                "These refs had already moved and stay where they are:",
                ...out.advanced_refs.map((m) => `  ${m.ref}: ${short(m.from)} -> ${short(m.to)}`)
              ])
          ].join("\n")
        )
      }
      const target = Option.getOrUndefined(o.target)
      const strategy = Option.getOrUndefined(o.strategy)
      if (o.dryRun) {
        const out = yield* handle(o.json, Effect.flatMap(currentDirectory, (cwd) => dryRunMerge({ cwd, mission, target, strategy })))
        if (o.json) return yield* printJson({ ok: true, ...out })
        return yield* Console.log(
          [
            `Merge of ${out.mission_slug} into ${out.target_branch} (${out.strategy}), dry run:`,
            ...out.lanes.map((l) => `  ${l.lane_id} (${l.branch}): ${l.already_merged ? "already merged" : "to merge"}`),
            ...out.wps.map((w) => `  ${w.id}: ${w.lane}`),
            ...out.blockers.map((b) => `  blocked: ${b.message}`),
            ...out.conflicts.map((c) => `  conflict merging ${c.step}: ${c.files.join(", ")}`),
            ...(out.would_bake_mission_number === null ? [] : [`  mission number ${out.would_bake_mission_number}`])
          ].join("\n")
        )
      }
      const out = yield* handle(
        o.json,
        Effect.flatMap(currentDirectory, (cwd) =>
          runMerge({
            cwd,
            mission,
            target,
            strategy,
            push: o.push,
            keepBranch: o.keepBranch,
            keepWorktree: o.keepWorktree,
            resume: o.resume
          }))
      )
      for (const w of out.warnings) yield* Console.error(`warning: ${w}`)
      if (o.json) return yield* printJson({ ok: true, ...out })
      yield* Console.log(
        [
          `${out.resumed ? "Resumed and merged" : "Merged"} ${out.mission_slug} into ${out.target_branch} (${out.strategy})`,
          `  lanes: ${out.merged_lanes.length === 0 ? "none" : out.merged_lanes.join(", ")}`,
          `  mission number: ${out.mission_number ?? "unchanged"}`,
          `  integration: ${short(out.integration_commit)}; done bookkeeping: ${short(out.done_commit)}`,
          ...(out.pushed ? [`  pushed ${out.target_branch} to origin`] : [])
        ].join("\n")
      )
    })
).pipe(Command.withDescription("Merge a mission's lanes and integrate it into its target, marking every WP done"))
