/**
 * `kittyctx mission …`: list, record-analysis and analysis-status (docs/surfaces.md §1.5). Each command
 * resolves the mission once, then calls RecordAnalysis or MissionViews.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { resolvePath } from "../core/repo/Paths.js"
import { IoErrors } from "../core/repo/RepoError.js"
import type { IoError } from "../core/repo/RepoError.js"
import { RepoFs, textOf } from "../services/ports/RepoFs.js"
import { listMissions, missionNames } from "../services/surfaces/MissionViews.js"
import type { MissionSummary } from "../services/surfaces/MissionViews.js"
import { analysisStatus, recordAnalysis } from "../services/surfaces/RecordAnalysis.js"
import { currentDirectory, jsonOption as json, missionOption as mission } from "./Options.js"
import { handle, printJson } from "./Output.js"

/** The most an analysis submission may hold. */
const MAX_SUBMISSION_BYTES = 16 * 1024 * 1024

const readStdin: Effect.Effect<Uint8Array, IoError> = Effect.async((resume) => {
  const chunks: Array<Buffer> = []
  let size = 0
  const onData = (c: Buffer) => {
    size += c.length
    if (size > MAX_SUBMISSION_BYTES) {
      cleanup()
      resume(Effect.fail(IoErrors.tooLarge("stdin", size, MAX_SUBMISSION_BYTES)))
    } else chunks.push(c)
  }
  const onEnd = () => {
    cleanup()
    resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks))))
  }
  const onError = (e: NodeJS.ErrnoException) => {
    cleanup()
    resume(Effect.fail(IoErrors.unreadable("stdin", e.code ?? "EIO")))
  }
  const cleanup = () => {
    process.stdin.off("data", onData).off("end", onEnd).off("error", onError)
    process.stdin.pause()
  }
  process.stdin.on("data", onData).once("end", onEnd).once("error", onError)
  return Effect.sync(cleanup)
})

/** The submitted report: the file (a regular file, strict UTF-8), or stdin when absent or `-`. */
const readSubmission = (cwd: string, file: Option.Option<string>) =>
  Option.match(Option.filter(file, (f) => f !== "-"), {
    onNone: () => Effect.flatMap(readStdin, (b) => textOf("stdin", b)),
    onSome: (f) => {
      const path = resolvePath(cwd, f)
      return Effect.flatMap(RepoFs, (fs) => fs.readText(path, { maxBytes: MAX_SUBMISSION_BYTES })).pipe(
        Effect.flatMap((text) => (text === null ? Effect.fail(IoErrors.unreadable(path, "ENOENT")) : Effect.succeed(text)))
      )
    }
  })

// kittyctx mission record-analysis [--mission <h>] [--input-file <path|->] [--agent A] [--adopt] [--no-commit] [--json]
const recordAnalysisCommand = Command.make(
  "record-analysis",
  {
    mission,
    inputFile: Options.text("input-file").pipe(
      Options.withPseudoName("path"),
      Options.withDescription("The analyzer's report (analysis-findings/v1 carrier, then prose); - or absent: stdin"),
      Options.optional
    ),
    agent: Options.text("agent").pipe(
      Options.withPseudoName("name"),
      Options.withDescription("The analyzer agent's name (recorded as analyzer_agent; unknown when absent)"),
      Options.optional
    ),
    adopt: Options.boolean("adopt").pipe(
      Options.withDescription("Copy primary-checkout edits of mission files into the placement checkout, commit them")
    ),
    noCommit: Options.boolean("no-commit").pipe(Options.withDescription("Write the report but do not commit it")),
    json
  },
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        const cwd = yield* currentDirectory
        const text = yield* readSubmission(cwd, o.inputFile)
        const out = yield* recordAnalysis({
          cwd,
          mission: Option.getOrUndefined(o.mission),
          text,
          agent: Option.getOrNull(o.agent),
          adopt: o.adopt,
          noCommit: o.noCommit
        })
        if (o.json) {
          const { written: _written, ...shown } = out
          yield* printJson({ ok: true, ...shown })
        } else {
          const counts = out.verdict === "unknown"
            ? ""
            : ` (${Object.entries(out.issue_counts).map(([k, v]) => `${k} ${String(v)}`).join(", ")})`
          yield* Console.log(
            [
              ...out.adopted.map((p) => `adopted ${p}`),
              `${out.written ? "recorded" : "unchanged"} ${out.path}: verdict ${out.verdict}${counts}`,
              ...(out.commit === null ? [] : [`committed ${out.commit}`]),
              ...(out.commit_skipped === undefined ? [] : [`not committed: ${out.commit_skipped.message}`])
            ].join("\n")
          )
        }
      })
    )
).pipe(Command.withDescription("Record the analysis report with its input hashes and commit it on the placement ref"))

// kittyctx mission list [--json] [--names]
const listCommand = Command.make("list", {
  json,
  names: Options.boolean("names").pipe(Options.withDescription("Print only the mission directory names, one a line"))
}, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const cwd = yield* currentDirectory
      if (o.names) {
        const names = yield* missionNames(cwd)
        yield* o.json ? printJson({ ok: true, missions: names }) : Console.log(names.join("\n"))
        return
      }
      const missions = yield* listMissions(cwd)
      if (o.json) {
        yield* printJson({ ok: true, missions })
        return
      }
      yield* Console.log(renderMissionList(missions))
    })
  )).pipe(Command.withDescription(
  "List every mission, newest first: number, slug, mission id, topology, lane counts, progress, where its status lives"
))

const renderMissionList = (missions: ReadonlyArray<MissionSummary>): string => {
  if (missions.length === 0) return "no missions in kitty-specs/"
  const rows = missions.map((m) => [
    m.mission_number ?? "-",
    m.mission_slug,
    m.mission_id ?? "-",
    m.topology ?? "-",
    m.progress === null ? "-" : `${m.progress.percentage.toFixed(0)}% (${m.progress.done}/${m.progress.total} done)`,
    m.lanes === null
      ? `error ${m.error?.code ?? ""}`
      : Object.entries(m.lanes).map(([lane, n]) => `${lane} ${n}`).join(", ") || "no work packages",
    m.status_dir ?? "-"
  ])
  const header = ["#", "mission", "mission id", "topology", "progress", "lanes", "status in"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: ReadonlyArray<string>) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]))).join("  ")
  return [line(header), ...rows.map(line)].map((l) => l.replace(/\s+$/, "")).join("\n")
}

// kittyctx mission analysis-status [--mission <handle>] [--json]
const analysisStatusCommand = Command.make("analysis-status", { mission, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const cwd = yield* currentDirectory
      const f = yield* analysisStatus({ cwd, mission: Option.getOrUndefined(o.mission) })
      if (o.json) {
        yield* printJson({
          ok: true,
          fresh: f.ok,
          path: f.path,
          stale: f.stale,
          missing: f.missing,
          reason: f.reason,
          mismatches: f.mismatches
        })
      } else {
        const lines = [f.ok ? `fresh ${f.path}` : `not fresh ${f.path}: ${f.reason ?? ""}`]
        for (const [k, m] of Object.entries(f.mismatches)) {
          lines.push(`  ${k}: saved ${m?.saved_sha256 ?? "none"}, now ${m?.current_sha256 ?? "none"}`)
        }
        yield* Console.log(lines.join("\n"))
      }
    })
  )).pipe(Command.withDescription("Is the analysis report current? (never writes; exit 0 either way)"))

/** `kittyctx mission`. */
export const missionCommand = Command.make("mission").pipe(
  Command.withDescription("Missions: the list, and the analysis report"),
  Command.withSubcommands([listCommand, recordAnalysisCommand, analysisStatusCommand])
)
