/**
 * `kittyctx status …`: show, emit, materialize, validate. Each command resolves the mission once,
 * then calls the one status facade. The bodies of `show` and `emit` live in `StatusPrograms.ts` (the
 * start-up fast path runs them without this module).
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { MissionStatus } from "../services/status/MissionStatus.js"
import { StatusReader } from "../services/status/StatusReader.js"
import { autoCommitOption, featureDirOption as featureDir, jsonOption as json, missionOption as mission } from "./Options.js"
import { CliExit, handle, printJson } from "./Output.js"
import { emitProgram, showProgram, target } from "./StatusPrograms.js"

export { renderBoard } from "./StatusPrograms.js"

// kittyctx status show --mission <handle> [--json] [--at <event_id|ISO timestamp>]
const show = Command.make(
  "show",
  {
    mission,
    featureDir,
    json,
    at: Options.text("at").pipe(
      Options.withPseudoName("point"),
      Options.withDescription("Replay the log up to and including an event id or an ISO-8601 time"),
      Options.optional
    )
  },
  showProgram
).pipe(Command.withDescription(
  "Show the work-package board: titles, lanes, subtasks, agents and what each WP waits for (never writes)"
))

// kittyctx status emit <WP> --to <lane> --actor <name> [--mission <handle>] [--force --reason R] [--review-ref R]
//   [--evidence-json J] [--review-result-json J] [--execution-mode worktree|direct_repo] [--auto-commit|--no-auto-commit] [--json]
const emit = Command.make(
  "emit",
  {
    wp: Args.text({ name: "WP" }).pipe(Args.withDescription("Work package id, e.g. WP01 (wp01 is read as WP01)")),
    to: Options.choice("to", [...DISPLAY_LANES, "doing"]).pipe(
      Options.withPseudoName("lane"),
      Options.withDescription("Target lane; doing is the alias of in_progress")
    ),
    actor: Options.text("actor").pipe(
      Options.withPseudoName("name"),
      Options.withDescription("Who makes the transition (stored as given)")
    ),
    mission,
    featureDir,
    force: Options.boolean("force").pipe(Options.withDescription("Bypass the guards (needs --reason)")),
    reason: Options.text("reason").pipe(
      Options.withPseudoName("text"),
      Options.withDescription("Why (required with --force; in_progress -> planned needs one)"),
      Options.optional
    ),
    reviewRef: Options.text("review-ref").pipe(
      Options.withPseudoName("ref"),
      Options.withDescription("Review feedback reference (approved -> in_progress/planned needs one)"),
      Options.optional
    ),
    evidenceJson: Options.text("evidence-json").pipe(
      Options.withPseudoName("json"),
      Options.withDescription("Done evidence: {\"review\":{\"reviewer\",\"verdict\",\"reference\"},...}"),
      Options.optional
    ),
    reviewResultJson: Options.text("review-result-json").pipe(
      Options.withPseudoName("json"),
      Options.withDescription(
        "Structured review outcome: {\"reviewer\",\"verdict\":\"approved\"|\"changes_requested\",\"reference\"}"
      ),
      Options.optional
    ),
    executionMode: Options.choice("execution-mode", ["worktree", "direct_repo"]).pipe(
      Options.withPseudoName("mode"),
      Options.withDescription("Where the work happens (recorded in the row)"),
      Options.withDefault("worktree" as const)
    ),
    autoCommit: autoCommitOption,
    json
  },
  emitProgram
).pipe(Command.withDescription("Record one validated lane transition (committed on the placement ref with auto-commit)"))

// kittyctx status materialize [--mission <handle>] [--force] [--json]
const materialize = Command.make("materialize", {
  mission,
  featureDir,
  json,
  force: Options.boolean("force").pipe(Options.withDescription("Write even while a git operation is in progress"))
}, ({ featureDir, force, json, mission }) =>
  handle(
    json,
    Effect.gen(function*() {
      const t = yield* target(mission, featureDir)
      const status = yield* MissionStatus
      const out = yield* status.materialize(t, { force })
      const written = [...(out.written ? [out.path] : []), ...out.derived.written]
      const unchanged = [...(out.written ? [] : [out.path]), ...out.derived.unchanged]
      yield* json
        ? printJson({ ok: true, written, unchanged })
        : Console.log([...written.map((p) => `wrote ${p}`), ...unchanged.map((p) => `unchanged ${p}`)].join("\n"))
    })
  )).pipe(Command.withDescription("Write status.json and the derived views from the event log (each file listed)"))

// kittyctx status validate --mission <handle> [--json]
const validate = Command.make("validate", { mission, featureDir, json }, ({ featureDir, json, mission }) =>
  handle(
    json,
    Effect.gen(function*() {
      const t = yield* target(mission, featureDir)
      const status = yield* StatusReader
      const findings = yield* status.validate(t)
      const errors = findings.filter((f) => f.severity === "error")
      const warnings = findings.filter((f) => f.severity === "warning")
      if (json) {
        yield* printJson({ ok: true, valid: errors.length === 0, errors, warnings })
      } else {
        for (const f of findings) {
          yield* Console.log(`${f.severity === "error" ? "ERROR" : "warn "} ${f.code}: ${f.message}`)
        }
        yield* Console.log(`${errors.length} error(s), ${warnings.length} warning(s)`)
      }
      if (errors.length > 0) return yield* new CliExit({ code: 1 })
    })
  )).pipe(Command.withDescription("Check the event log and status.json (exit 1 on errors)"))

/** `kittyctx status`. */
export const statusCommand = Command.make("status").pipe(
  Command.withDescription("Work-package status: the event log, its fold, status.json and the board"),
  Command.withSubcommands([show, emit, materialize, validate])
)
