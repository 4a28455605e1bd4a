/**
 * `kittyctx status …`: show, emit, materialize, validate. Each command resolves the mission once,
 * then calls the one status facade.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { parseIsoMicros, snapshotBytes, weightedProgress } from "../core/status/Snapshot.js"
import type { Snapshot, TimePoint } from "../core/status/Snapshot.js"
import type { TransitionRequest } from "../core/status/StatusEvent.js"
import { statusError } from "../core/status/StatusError.js"
import type { Actor, ReviewResult } from "../core/status/Transition.js"
import { MissionStatus } from "../services/status/MissionStatus.js"
import { StatusReader } from "../services/status/StatusReader.js"
import { resolveStatusTarget } from "../services/context/ResolveContext.js"
import { emitTransition } from "../services/surfaces/StatusWrites.js"
import { featureDirOption as featureDir, jsonOption as json, missionOption as mission, missionRequest } from "./Options.js"
import { CliExit, handle, printJson, printRaw } from "./Output.js"
import { warnOnSyncBacklog } from "./SyncCommands.js"

/** The status target of `--mission` (or of `--feature-dir`, whose name is then the handle). */
const target = (m: Option.Option<string>, dir: Option.Option<string>) =>
  Effect.flatMap(missionRequest(m, dir), resolveStatusTarget)

const pad = (s: string, n: number) => (s.length >= n ? s + " " : s + " ".repeat(n - s.length))

/** The human board: one line per WP, the summary and weighted progress. */
export const renderBoard = (snapshot: Snapshot): string => {
  const wps = snapshot.work_packages as Record<string, Record<string, unknown>>
  const ids = Object.keys(wps).sort()
  const progress = weightedProgress(wps as Record<string, { lane: unknown }>)
  const lines = [
    `Mission ${snapshot.mission_slug === "" ? "(no transitions yet)" : String(snapshot.mission_slug)}` +
    (snapshot.mission_number === "" ? "" : ` (#${String(snapshot.mission_number)})`),
    ""
  ]
  if (ids.length === 0) lines.push("  no work packages have status events yet")
  for (const id of ids) {
    const wp = wps[id]
    lines.push(`  ${pad(id, 6)}${pad(String(wp.lane), 14)}${pad(String(wp.actor), 22)}${String(wp.last_transition_at ?? "")}`)
  }
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
        yield* json ? printRaw(snapshotBytes(snapshot)) : Console.log(renderBoard(snapshot))
      })
    )
).pipe(Command.withDescription("Show the work-package board (never writes)"))

const parseJsonOption = (flag: string, raw: Option.Option<string>) =>
  Option.match(raw, {
    onNone: () => Effect.succeed(null as unknown),
    onSome: (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (e) =>
          statusError("INVALID_REQUEST", `--${flag} is not valid JSON: ${(e as Error).message}`, { flag: `--${flag}` })
      })
  })

const reviewResultOf = (value: unknown) => {
  if (value === null) return Effect.succeed(null)
  const v = value as Record<string, unknown>
  const ok = typeof v === "object" && v !== null && !Array.isArray(v) && typeof v.reviewer === "string" &&
    typeof v.verdict === "string" && typeof v.reference === "string" &&
    (v.feedback_path === undefined || v.feedback_path === null || typeof v.feedback_path === "string")
  return ok
    ? Effect.succeed(v as unknown as ReviewResult)
    : Effect.fail(
      statusError("INVALID_REQUEST", "--review-result-json needs string reviewer, verdict and reference", {
        flag: "--review-result-json"
      })
    )
}

const parseActor = (raw: string): Effect.Effect<Actor, ReturnType<typeof statusError>> => {
  if (!raw.trim().startsWith("{")) return Effect.succeed(raw)
  return Effect.try({
    try: () => JSON.parse(raw) as unknown,
    catch: () => statusError("INVALID_REQUEST", "--actor looks like JSON but does not parse", { flag: "--actor" })
  }).pipe(
    Effect.flatMap((v) => {
      const o = v as Record<string, unknown>
      const keys = typeof o === "object" && o !== null ? Object.keys(o).sort().join(",") : ""
      return keys === "model,profile,role,tool" &&
          Object.values(o).every((x) => x === null || typeof x === "string")
        ? Effect.succeed(o as unknown as Actor)
        : Effect.fail(
          statusError("INVALID_REQUEST", "a structured --actor needs exactly role, profile, tool and model", {
            flag: "--actor"
          })
        )
    })
  )
}

// kittyctx status emit <WP> --to <lane> --actor <name> --mission <handle> [--force --reason R] [--review-ref R]
//   [--evidence-json J] [--review-result-json J] [--execution-mode worktree|direct_repo] [--json]
const emit = Command.make(
  "emit",
  {
    wp: Args.text({ name: "WP" }).pipe(Args.withDescription("Work package id, e.g. WP01")),
    to: Options.text("to").pipe(Options.withDescription("Target lane (doing is accepted for in_progress)")),
    actor: Options.text("actor").pipe(Options.withDescription("Who makes the transition")),
    mission,
    featureDir,
    force: Options.boolean("force").pipe(Options.withDescription("Bypass guards (needs --reason)")),
    reason: Options.text("reason").pipe(Options.optional),
    reviewRef: Options.text("review-ref").pipe(Options.optional),
    evidenceJson: Options.text("evidence-json").pipe(
      Options.withDescription("Done evidence: {\"review\":{\"reviewer\",\"verdict\",\"reference\"},...}"),
      Options.optional
    ),
    reviewResultJson: Options.text("review-result-json").pipe(
      Options.withDescription("Structured review outcome: {\"reviewer\",\"verdict\",\"reference\"}"),
      Options.optional
    ),
    executionMode: Options.choice("execution-mode", ["worktree", "direct_repo"]).pipe(
      Options.withDefault("worktree" as const)
    ),
    json
  },
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        const evidence = yield* parseJsonOption("evidence-json", o.evidenceJson)
        const reviewResult = yield* reviewResultOf(yield* parseJsonOption("review-result-json", o.reviewResultJson))
        const request: TransitionRequest = {
          wpId: o.wp.trim().toUpperCase(),
          to: o.to,
          actor: yield* parseActor(o.actor),
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
        const { commit, outcome } = yield* emitTransition(req, request)
        for (const w of outcome.warnings) yield* Console.error(`warning: ${w}`)
        if (o.json) {
          yield* printJson({
            ok: true,
            event: outcome.event,
            status_events_path: outcome.statusEventsPath,
            ...(outcome.event === null ? { noop: true, lane: outcome.to } : {}),
            ...(commit === null ? {} : { commit: commit.sha }),
            ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {})
          })
        } else {
          yield* Console.log(
            outcome.event === null
              ? `${request.wpId} is already ${outcome.to}; nothing recorded`
              : `${request.wpId}: ${outcome.from} -> ${outcome.to} (${String(outcome.event.event_id)})`
          )
        }
        yield* warnOnSyncBacklog(req)
      })
    )
).pipe(Command.withDescription("Record one validated lane transition"))

// kittyctx status materialize --mission <handle> [--force] [--json]
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
      yield* json
        ? printJson({ ok: true, written: out.written ? [out.path] : [], unchanged: out.written ? [] : [out.path] })
        : Console.log(`${out.written ? "wrote" : "unchanged"} ${out.path}`)
    })
  )).pipe(Command.withDescription("Write status.json from the event log"))

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
  Command.withDescription("Work-package status: the event log, its fold and status.json"),
  Command.withSubcommands([show, emit, materialize, validate])
)
