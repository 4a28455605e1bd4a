/**
 * `kittyctx status …`: show, emit, materialize, validate. Each command resolves the mission once,
 * then calls the one status facade.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { boardRows, renderBoardTable } from "../core/status/Board.js"
import type { WpFacts } from "../core/status/Board.js"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { parseIsoMicros, snapshotBytes, weightedProgress } from "../core/status/Snapshot.js"
import type { Snapshot, TimePoint } from "../core/status/Snapshot.js"
import type { TransitionRequest } from "../core/status/StatusEvent.js"
import { statusError } from "../core/status/StatusError.js"
import type { ReviewResult } from "../core/status/Transition.js"
import { MissionStatus } from "../services/status/MissionStatus.js"
import { StatusReader } from "../services/status/StatusReader.js"
import { resolveStatusTarget } from "../services/context/ResolveContext.js"
import { wpFactsOf } from "../services/surfaces/MissionViews.js"
import { emitTransition } from "../services/surfaces/StatusWrites.js"
import {
  autoCommitOf,
  autoCommitOption,
  featureDirOption as featureDir,
  jsonOption as json,
  missionOption as mission,
  missionRequest
} from "./Options.js"
import { CliExit, handle, printJson, printRaw } from "./Output.js"

/** The status target of `--mission` (or of `--feature-dir`, whose name is then the handle). */
const target = (m: Option.Option<string>, dir: Option.Option<string>) =>
  Effect.flatMap(missionRequest(m, dir), resolveStatusTarget)

/** The human board: the mission line, one row per WP (title, lane, subtasks, agent, what it waits for), the summary. */
export const renderBoard = (snapshot: Snapshot, facts: ReadonlyMap<string, WpFacts> = new Map()): string => {
  const wps = snapshot.work_packages as Record<string, Record<string, unknown>>
  const progress = weightedProgress(wps as Record<string, { lane: unknown }>)
  const rows = boardRows(wps, facts)
  const lines = [
    `Mission ${snapshot.mission_slug === "" ? "(no transitions yet)" : String(snapshot.mission_slug)}` +
    (snapshot.mission_number === "" || snapshot.mission_number === null ? "" : ` (#${String(snapshot.mission_number)})`),
    ""
  ]
  if (rows.length === 0) lines.push("  no work packages yet")
  else lines.push(...renderBoardTable(rows))
  const summary = snapshot.summary as Record<string, number>
  lines.push("")
  lines.push("  " + DISPLAY_LANES.filter((l) => summary[l] > 0).map((l) => `${l}: ${summary[l]}`).join("  "))
  lines.push(
    `  progress: ${progress.percentage.toFixed(1)}% weighted, ${progress.done_count}/${progress.total_count} done; ` +
      `${String(snapshot.event_count)} transitions`
  )
  return lines.join("\n")
}

const timePoint = (raw: string): TimePoint => {
  const micros = parseIsoMicros(raw)
  return micros === null ? { _tag: "EventId", eventId: raw.trim() } : { _tag: "Timestamp", micros, input: raw }
}

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
  ({ at, featureDir, json, mission }) =>
    handle(
      json,
      Effect.gen(function*() {
        const t = yield* target(mission, featureDir)
        const status = yield* StatusReader
        const snapshot = yield* status.snapshot(t, Option.getOrUndefined(Option.map(at, timePoint)))
        yield* json ? printRaw(snapshotBytes(snapshot)) : Console.log(renderBoard(snapshot, yield* wpFactsOf(t)))
      })
    )
).pipe(Command.withDescription(
  "Show the work-package board: titles, lanes, subtasks, agents and what each WP waits for (never writes)"
))

const invalid = (flag: string, message: string) => statusError("INVALID_REQUEST", message, { flag })

const EVIDENCE_EXAMPLE = '{"review": {"reviewer": "alice", "verdict": "approved", "reference": "PR#1"}}'

/** `--evidence-json`: a JSON object (spec-kitty's message when it is not JSON). */
const evidenceOf = (raw: Option.Option<string>) =>
  Option.match(raw, {
    onNone: () => Effect.succeed(null as unknown),
    onSome: (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) =>
          invalid(
            "--evidence-json",
            `Invalid JSON in --evidence-json: ${(e as Error).message}\nExpected valid JSON object, e.g.: '${EVIDENCE_EXAMPLE}'`
          )
      }).pipe(
        Effect.filterOrFail(
          (v) => typeof v === "object" && v !== null && !Array.isArray(v),
          () =>
            invalid("--evidence-json", `--evidence-json must decode to a JSON object, e.g.: '${EVIDENCE_EXAMPLE}'`)
        )
      )
  })

const isFilled = (v: unknown) => typeof v === "string" && v.trim() !== ""

/** `--review-result-json`, checked as spec-kitty's `parse_review_result_json` checks it, with its messages. */
const reviewResultOf = (raw: Option.Option<string>) =>
  Option.match(raw, {
    onNone: () => Effect.succeed(null),
    onSome: (text) =>
      Effect.gen(function*() {
        const flag = "--review-result-json"
        const v = yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: (e) => invalid(flag, `Invalid JSON in --review-result-json: ${(e as Error).message}`)
        })
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
          return yield* invalid(flag, "--review-result-json must decode to a JSON object")
        }
        const o = v as Record<string, unknown>
        if (!isFilled(o.reviewer) || !isFilled(o.verdict) || !isFilled(o.reference)) {
          return yield* invalid(flag, "--review-result-json requires non-empty reviewer, verdict, and reference strings")
        }
        if (o.verdict !== "approved" && o.verdict !== "changes_requested") {
          return yield* invalid(flag, "--review-result-json verdict must be 'approved' or 'changes_requested'")
        }
        if (o.feedback_path !== undefined && o.feedback_path !== null && typeof o.feedback_path !== "string") {
          return yield* invalid(flag, "--review-result-json feedback_path must be a string")
        }
        return {
          reviewer: o.reviewer as string,
          verdict: o.verdict,
          reference: o.reference as string,
          ...(typeof o.feedback_path === "string" ? { feedback_path: o.feedback_path } : {})
        } as ReviewResult
      })
  })

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
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        const autoCommit = yield* autoCommitOf(o.autoCommit)
        const evidence = yield* evidenceOf(o.evidenceJson)
        const reviewResult = yield* reviewResultOf(o.reviewResultJson)
        const request: TransitionRequest = {
          wpId: o.wp.trim().toUpperCase(),
          to: o.to,
          actor: o.actor,
          force: o.force,
          reason: Option.getOrNull(o.reason),
          reviewRef: Option.getOrNull(o.reviewRef),
          evidence,
          reviewResult,
          executionMode: o.executionMode,
          workspaceContext: null,
          subtasksComplete: null,
          implementationEvidencePresent: null,
          policyMetadata: null
        }
        const req = yield* missionRequest(o.mission, o.featureDir)
        const out = yield* emitTransition(req, request, { autoCommit })
        const { commit, outcome } = out
        for (const w of outcome.warnings) yield* Console.error(`warning: ${w}`)
        if (o.json) {
          yield* printJson({
            ok: true,
            event: outcome.event,
            status_events_path: outcome.statusEventsPath,
            ...(outcome.event === null ? { noop: true, lane: outcome.to } : {}),
            committed: commit?.committed ?? false,
            commit: commit?.sha ?? null,
            auto_commit: out.autoCommit,
            ...(out.mirrored === null ? {} : { mirrored: out.mirrored }),
            ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {})
          })
        } else {
          yield* Console.log(
            (outcome.event === null
              ? `${request.wpId} is already ${outcome.to}; nothing recorded`
              : `${request.wpId}: ${outcome.from} -> ${outcome.to} (${String(outcome.event.event_id)})`) +
              (commit?.sha ? `\ncommitted ${commit.sha}` : "")
          )
        }
      })
    )
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
