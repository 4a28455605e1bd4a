/**
 * The bodies of the hot status commands (`show`, `emit`), apart from their command-line definitions in
 * `StatusCommands.ts`, so the start-up fast path runs them without building the command tree.
 */
import { Console, Effect, Option } from "effect"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { parseIsoMicros, snapshotBytes, weightedProgress } from "../core/status/Snapshot.js"
import type { Snapshot, TimePoint } from "../core/status/Snapshot.js"
import type { TransitionRequest } from "../core/status/StatusEvent.js"
import { statusError } from "../core/status/StatusError.js"
import type { Actor, ReviewResult } from "../core/status/Transition.js"
import { resolveStatusTarget } from "../services/context/ResolveContext.js"
import type { ContextRequest } from "../services/context/ResolveContext.js"
import { backlogWarning } from "../services/sync/SyncStatus.js"
import { StatusReader } from "../services/status/StatusReader.js"
import { emitTransition } from "../services/surfaces/StatusWrites.js"
import { missionRequest } from "./Invocation.js"
import { handle, printJson, printRaw } from "./Output.js"

/**
 * The sync backlog warning (docs/surfaces.md §8.5) every status-writing command prints on stderr after
 * its own output; never a failure (the command has already succeeded).
 */
export const warnOnSyncBacklog = (request: ContextRequest) =>
  Effect.flatMap(backlogWarning(request), (w) => (w === null ? Effect.void : Console.error(`warning: ${w.message}`))).pipe(
    Effect.catchAllCause(() => Effect.void)
  )

/** The status target of `--mission` (or of `--feature-dir`, whose name is then the handle). */
export const target = (m: Option.Option<string>, dir: Option.Option<string>) =>
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


/** The options of `status show`. */
export interface ShowOptions {
  readonly mission: Option.Option<string>
  readonly featureDir: Option.Option<string>
  readonly json: boolean
  readonly at: Option.Option<string>
}

/** `status show`: the board, or the snapshot's exact bytes with `--json` (never writes). */
export const showProgram = ({ at, featureDir, json, mission }: ShowOptions) =>
  handle(
    json,
    Effect.gen(function*() {
      const t = yield* target(mission, featureDir)
      const status = yield* StatusReader
      const snapshot = yield* status.snapshot(t, Option.getOrUndefined(Option.map(at, timePoint)))
      yield* json ? printRaw(snapshotBytes(snapshot)) : Console.log(renderBoard(snapshot))
    })
  )

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

/** The options of `status emit`. */
export interface EmitOptions {
  readonly wp: string
  readonly to: string
  readonly actor: string
  readonly mission: Option.Option<string>
  readonly featureDir: Option.Option<string>
  readonly force: boolean
  readonly reason: Option.Option<string>
  readonly reviewRef: Option.Option<string>
  readonly evidenceJson: Option.Option<string>
  readonly reviewResultJson: Option.Option<string>
  readonly executionMode: "worktree" | "direct_repo"
  readonly json: boolean
}

/** `status emit`: one validated transition through the context. */
export const emitProgram = (o: EmitOptions) =>
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
