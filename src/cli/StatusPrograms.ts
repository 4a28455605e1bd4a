/**
 * The bodies of the hot status commands (`show`, `emit`), apart from their command-line definitions in
 * `StatusCommands.ts`, so the start-up fast path runs them without building the command tree.
 */
import { Console, Effect, Option } from "effect"
import { boardRows, renderBoardTable } from "../core/status/Board.js"
import type { WpFacts } from "../core/status/Board.js"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { parseIsoMicros, snapshotBytes, weightedProgress } from "../core/status/Snapshot.js"
import type { Snapshot, TimePoint } from "../core/status/Snapshot.js"
import type { TransitionRequest } from "../core/status/StatusEvent.js"
import { statusError } from "../core/status/StatusError.js"
import type { ReviewResult } from "../core/status/Transition.js"
import { resolveStatusTarget } from "../services/context/ResolveContext.js"
import type { StatusTarget } from "../services/status/StatusReader.js"
import { backlogWarning } from "../services/sync/SyncStatus.js"
import { StatusReader } from "../services/status/StatusReader.js"
import { wpFactsOf } from "../services/surfaces/MissionViews.js"
import { emitTransition } from "../services/surfaces/StatusWrites.js"
import { autoCommitOf, missionRequest } from "./Invocation.js"
import type { AutoCommitFlags } from "./Invocation.js"
import { handle, printJson, printRaw } from "./Output.js"

/**
 * The sync backlog warning (docs/surfaces.md §8.5) `status emit` and `implement` print on stderr after
 * their own output, for the target they wrote; never a failure (the command has already succeeded).
 */
export const warnOnSyncBacklog = (cwd: string, written: StatusTarget) =>
  Effect.flatMap(backlogWarning(cwd, written), (w) => (w === null ? Effect.void : Console.error(`warning: ${w.message}`))).pipe(
    Effect.catchAllCause(() => Effect.void)
  )

/** The status target of `--mission` (or of `--feature-dir`, whose name is then the handle). */
export const target = (m: Option.Option<string>, dir: Option.Option<string>) =>
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
      yield* json ? printRaw(snapshotBytes(snapshot)) : Console.log(renderBoard(snapshot, yield* wpFactsOf(t)))
    })
  )

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
  readonly autoCommit: AutoCommitFlags
  readonly json: boolean
}

/** `status emit`: one validated transition through the context (committed on the placement ref with auto-commit). */
export const emitProgram = (o: EmitOptions) =>
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
        yield* warnOnSyncBacklog(req.cwd, out.target)
      })
    )
