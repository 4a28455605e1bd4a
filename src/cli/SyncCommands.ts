/**
 * `kittyctx sync …`: forwarding status events to a CloudEvents sink (docs/surfaces.md §8). `push` works
 * with no daemon at all; the daemon commands run the same delivery in the background.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { NumericSetting } from "../core/sync/SyncConfig.js"
import { syncError } from "../core/sync/SyncError.js"
import { daemonStatus, reapCommand, startDaemon, stopDaemon } from "../services/sync/DaemonControl.js"
import { deliverRound } from "../services/sync/Delivery.js"
import type { RoundOutcome } from "../services/sync/Delivery.js"
import { configure, register, unregister } from "../services/sync/SyncSetup.js"
import { humanAge, syncStatus } from "../services/sync/SyncStatus.js"
import { VERSION } from "../core/Version.js"
import { daemonRunProgram } from "./DaemonProgram.js"
import { currentDirectory, jsonOption as json } from "./Options.js"
import { CliExit, fail, handle, printJson } from "./Output.js"
import { formatIsoUtcMillis } from "../core/status/Ulid.js"

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const outcomeLines = (o: RoundOutcome): Array<string> => {
  const lines = [
    `delivered ${plural(o.delivered, "event")} to ${o.sink}` +
    (o.dead_lettered > 0 ? `, ${o.dead_lettered} dead-lettered` : "") +
    (o.pending > 0 ? `; ${o.pending} still pending` : "")
  ]
  for (const p of o.projects) {
    if (p.error !== null) lines.push(`  ${p.root}: error[${p.error.code}] ${p.error.message}`)
    for (const s of p.skipped) lines.push(`  ${p.root}: skipped ${s.mission} (${s.code}: ${s.message})`)
    for (const m of p.missions) {
      if (m.error !== null) lines.push(`  ${p.root}: ${m.mission}: error[${m.error.code}] ${m.error.message}`)
      else if (m.delivered > 0 || m.dead_lettered > 0 || m.rescanned || m.malformed_lines > 0) {
        lines.push(
          `  ${m.mission}: ${m.delivered} delivered` + (m.dead_lettered > 0 ? `, ${m.dead_lettered} dead-lettered` : "") +
            (m.rescanned ? " (log rewritten: rescanned, only new ids sent)" : "") +
            (m.malformed_lines > 0 ? `, ${plural(m.malformed_lines, "unreadable line")} skipped` : "")
        )
      }
    }
  }
  return lines
}

// kittyctx sync push [--json]
const push = Command.make("push", { json }, ({ json }) =>
  handle(
    json,
    Effect.gen(function*() {
      const outcome = yield* deliverRound()
      const failed = outcome.projects.flatMap((p) => p.missions.filter((m) => m.error !== null).map((m) => ({ root: p.root, ...m })))
      if (outcome.stopped !== null) {
        const s = outcome.stopped
        if (!json) yield* Console.error(outcomeLines(outcome).join("\n"))
        return yield* syncError(
          s.code,
          s.code === "SINK_REFUSED"
            ? `The sink refused the requests (${s.reason}); check the URL and the token`
            : `The sink is unavailable (${s.reason}); events stay in the logs and the next push resumes`,
          {
            delivered: outcome.delivered,
            dead_lettered: outcome.dead_lettered,
            pending: outcome.pending,
            status: s.status,
            next_attempt_at: s.retryAtMs === null ? null : formatIsoUtcMillis(s.retryAtMs)
          }
        )
      }
      if (failed.length > 0) {
        // a log that cannot be read against its cursor is never delivered: that fails the push
        if (!json) yield* Console.error(outcomeLines(outcome).join("\n"))
        const first = failed[0]
        return yield* fail(
          {
            code: first.error!.code,
            message: `${first.mission}: ${first.error!.message}`,
            details: { project: first.root, mission: first.mission, delivered: outcome.delivered, pending: outcome.pending }
          },
          json
        )
      }
      const { stopped: _, ...shown } = outcome
      yield* json ? printJson({ ok: true, ...shown }) : Console.log(outcomeLines(outcome).join("\n"))
    })
  )).pipe(Command.withDescription("Deliver every undelivered status event of the registered projects to the sink"))

const statusLines = (report: Effect.Effect.Success<typeof syncStatus>): Array<string> => {
  if (!report.configured) {
    return [
      `no sink configured (runtime root ${report.runtime_root}); run 'kittyctx sync config --sink URL'`,
      ...report.projects.map((p) => `  registered: ${p.root}`)
    ]
  }
  const d = report.daemon
  const lines = [
    `sink ${report.sink} (scope ${report.scope_id})`,
    `daemon: ${d.running ? `running, pid ${d.owner?.pid}, port ${d.owner?.port}` : d.state === "unreadable" ? `owner record unreadable (${"problem" in d ? d.problem : ""})` : "not running"}`
  ]
  if (report.projects.length === 0) lines.push("no registered projects; run 'kittyctx sync register'")
  for (const p of report.projects) {
    lines.push(
      `${p.root}: ${p.pending} pending` +
        (p.oldest_pending_age_seconds === null ? "" : ` (oldest ${humanAge(p.oldest_pending_age_seconds)})`) +
        `, last success ${p.last_success_at ?? "never"}` +
        (p.consecutive_failures > 0 ? `, ${plural(p.consecutive_failures, "consecutive failure")} (${p.last_error})` : "") +
        (p.dead_letters > 0 ? `, ${plural(p.dead_letters, "dead letter")}` : "")
    )
    if (p.error !== null) lines.push(`  error[${p.error.code}] ${p.error.message}`)
    for (const s of p.skipped) lines.push(`  skipped ${s.mission} (${s.code}: ${s.message})`)
  }
  return lines
}

// kittyctx sync status [--json]
const status = Command.make("status", { json }, ({ json }) =>
  handle(
    json,
    Effect.gen(function*() {
      const report = yield* syncStatus
      yield* json ? printJson({ ok: true, ...report }) : Console.log(statusLines(report).join("\n"))
    })
  )).pipe(Command.withDescription("Per project: undelivered events and their age, failures, dead letters; the daemon"))

const numberFlag = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.optional)

const NUMBER_FLAGS: ReadonlyArray<readonly [NumericSetting, string, string]> = [
  ["warn_after_seconds", "warn-after", "Seconds an event may wait (no daemon alive) before status writes warn"],
  ["idle_retire_seconds", "idle-retire", "Seconds without new events after which the daemon retires"],
  ["request_timeout_ms", "request-timeout-ms", "Timeout of one request to the sink"],
  ["backoff_base_ms", "backoff-base-ms", "First backoff ceiling (doubles per failed attempt)"],
  ["backoff_cap_ms", "backoff-cap-ms", "Largest backoff ceiling"],
  ["max_attempts", "max-attempts", "Attempts per request before 'sync push' gives up"],
  ["batch_max_events", "batch-max-events", "Events per request"]
]

// kittyctx sync config [--sink URL] [--token-env NAME | --no-token] [--warn-after S] [--idle-retire S] ... [--json]
const config = Command.make(
  "config",
  {
    sink: Options.text("sink").pipe(Options.withDescription("The sink: an http(s) URL receiving CloudEvents batches"), Options.optional),
    tokenEnv: Options.text("token-env").pipe(
      Options.withDescription("Name of the environment variable holding the sink's bearer token"),
      Options.optional
    ),
    noToken: Options.boolean("no-token").pipe(Options.withDescription("Send no Authorization header")),
    warnAfter: numberFlag("warn-after", NUMBER_FLAGS[0][2]),
    idleRetire: numberFlag("idle-retire", NUMBER_FLAGS[1][2]),
    requestTimeout: numberFlag("request-timeout-ms", NUMBER_FLAGS[2][2]),
    backoffBase: numberFlag("backoff-base-ms", NUMBER_FLAGS[3][2]),
    backoffCap: numberFlag("backoff-cap-ms", NUMBER_FLAGS[4][2]),
    maxAttempts: numberFlag("max-attempts", NUMBER_FLAGS[5][2]),
    batchMaxEvents: numberFlag("batch-max-events", NUMBER_FLAGS[6][2]),
    json
  },
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        if (o.noToken && Option.isSome(o.tokenEnv)) {
          yield* Console.error("--token-env and --no-token exclude each other")
          return yield* new CliExit({ code: 2 })
        }
        const values = [o.warnAfter, o.idleRetire, o.requestTimeout, o.backoffBase, o.backoffCap, o.maxAttempts, o.batchMaxEvents]
        const numbers: Partial<Record<NumericSetting, number>> = {}
        values.forEach((v, i) => {
          if (Option.isSome(v)) numbers[NUMBER_FLAGS[i][0]] = v.value
        })
        const out = yield* configure({
          ...(Option.isSome(o.sink) ? { sink: o.sink.value } : {}),
          ...(o.noToken ? { tokenEnv: null } : Option.isSome(o.tokenEnv) ? { tokenEnv: o.tokenEnv.value } : {}),
          numbers
        })
        if (o.json) yield* printJson({ ok: true, changed: out.changed, ...out.config })
        else {
          const c = out.config
          yield* Console.log(
            [
              `sink: ${c.sink ?? "(none)"}${c.scope_id === null ? "" : ` (scope ${c.scope_id})`}`,
              `token: ${c.token_env === null ? "(none)" : `$${c.token_env}`}`,
              `warn after: ${c.warn_after_seconds}s; daemon idle retirement: ${c.idle_retire_seconds}s`,
              `delivery: ${JSON.stringify(c.delivery)}`,
              `runtime root: ${c.runtime_root}`
            ].join("\n")
          )
        }
      })
    )
).pipe(Command.withDescription("Show or set the sink, its token variable and the delivery settings"))

const pathArg = Args.text({ name: "path" }).pipe(Args.withDescription("A directory of the project (default: here)"), Args.optional)

// kittyctx sync register [path] [--json]
const registerCommand = Command.make("register", { path: pathArg, json }, ({ json, path }) =>
  handle(
    json,
    Effect.gen(function*() {
      const out = yield* register(yield* currentDirectory, Option.getOrUndefined(path))
      yield* json
        ? printJson({ ok: true, ...out })
        : Console.log(out.registered ? `registered ${out.root}` : `${out.root} is already registered`)
    })
  )).pipe(Command.withDescription("Forward the status events of this project"))

// kittyctx sync unregister [path] [--json]
const unregisterCommand = Command.make("unregister", { path: pathArg, json }, ({ json, path }) =>
  handle(
    json,
    Effect.gen(function*() {
      const out = yield* unregister(yield* currentDirectory, Option.getOrUndefined(path))
      yield* json
        ? printJson({ ok: true, ...out })
        : Console.log(out.unregistered ? `unregistered ${out.root}` : `${out.root} was not registered`)
    })
  )).pipe(Command.withDescription("Stop forwarding the status events of this project"))

// kittyctx sync daemon start [--json]
const daemonStart = Command.make("start", { json }, ({ json }) =>
  handle(
    json,
    Effect.gen(function*() {
      const out = yield* startDaemon(VERSION)
      if (json) return yield* printJson({ ok: true, ...out })
      yield* Console.log(
        "skipped_reason" in out
          ? `no daemon started: ${out.skipped_reason}`
          : `${out.reused ? "daemon already running" : "daemon started"}: pid ${out.pid}, ${out.url} (scope ${out.scope_id})` +
            (out.reaped.length > 0 ? `; reaped orphans ${out.reaped.join(", ")}` : "")
      )
    })
  )).pipe(Command.withDescription("Start the delivery daemon of the configured sink (at most one; reused when healthy)"))

// kittyctx sync daemon stop [--json]
const daemonStop = Command.make("stop", { json }, ({ json }) =>
  handle(
    json,
    Effect.gen(function*() {
      const out = yield* stopDaemon
      yield* json
        ? printJson({ ok: true, ...out })
        : Console.log(out.stopped ? `daemon stopped (${out.via})` : `no daemon was running (${out.liveness})`)
    })
  )).pipe(Command.withDescription("Stop the daemon: shutdown request, then the identity-checked kill path"))

// kittyctx sync daemon status [--check] [--json]
const daemonStatusCommand = Command.make(
  "status",
  { json, check: Options.boolean("check").pipe(Options.withDescription("Exit 1 unless the daemon is healthy")) },
  ({ check, json }) =>
    handle(
      json,
      Effect.gen(function*() {
        const out = yield* daemonStatus
        if (check && !out.healthy) {
          return yield* syncError("DAEMON_NOT_RUNNING", "No healthy sync daemon is running for the configured sink", { scope_id: out.scope_id })
        }
        if (json) return yield* printJson({ ok: true, ...out })
        const lines = [
          out.owner === null
            ? `no daemon (scope ${out.scope_id})${"owner_problem" in out ? `: ${out.owner_problem}` : ""}`
            : `daemon pid ${out.owner.pid} on port ${out.owner.port}: ${out.healthy ? "healthy" : out.running ? "not answering" : "not running"}`,
          `${plural(out.projects.length, "registered project")}`
        ]
        for (const p of out.orphans.would_reap) lines.push(`  orphan ${p} (would be reaped)`)
        yield* Console.log(lines.join("\n"))
      })
    )
).pipe(Command.withDescription("The daemon's owner record, health, and how the reaper judges every marked process"))

// kittyctx sync daemon reap [--dry-run] [--json]
const daemonReap = Command.make(
  "reap",
  { json, dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Classify only; signal nothing")) },
  ({ dryRun, json }) =>
    handle(
      json,
      Effect.gen(function*() {
        const out = yield* reapCommand(dryRun)
        if (json) return yield* printJson({ ok: true, ...out })
        yield* Console.log(
          [
            dryRun ? `would reap: ${out.would_reap.join(", ") || "none"}` : `reaped: ${out.reaped.join(", ") || "none"}`,
            ...out.skipped.map((s) => `  skipped ${s.pid}: ${s.reason}`),
            ...out.failed.map((f) => `  failed ${f.pid}: ${f.failure}`)
          ].join("\n")
        )
      })
    )
).pipe(Command.withDescription("Stop orphaned daemons of this runtime root that can be positively attributed"))

// kittyctx sync daemon run --scope S --port P --kittyctx-daemon-root=R --kittyctx-daemon-exec=E   (internal: what start spawns)
const daemonRun = Command.make(
  "run",
  {
    scope: Options.text("scope"),
    port: Options.integer("port"),
    root: Options.text("kittyctx-daemon-root"),
    exec: Options.text("kittyctx-daemon-exec")
  },
  (o) => handle(false, daemonRunProgram(o))
).pipe(Command.withDescription("(internal) the daemon process itself"))

const daemonCommand = Command.make("daemon").pipe(
  Command.withDescription("The optional delivery daemon: start, stop, status, reap"),
  Command.withSubcommands([daemonStart, daemonStop, daemonStatusCommand, daemonReap, daemonRun])
)

/** `kittyctx sync`. */
export const syncCommand = Command.make("sync").pipe(
  Command.withDescription("Forward status events to a CloudEvents sink, durably, with or without a daemon"),
  Command.withSubcommands([push, status, config, registerCommand, unregisterCommand, daemonCommand])
)
