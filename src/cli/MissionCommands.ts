/**
 * `kittyctx mission …`: record-analysis and analysis-status (surfaces spec §1.5). Each command
 * resolves the mission once, then calls RecordAnalysis.
 */
import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { resolvePath } from "../core/layout/Paths.js"
import { surfaceError } from "../core/surfaces/SurfaceError.js"
import type { SurfaceError } from "../core/surfaces/SurfaceError.js"
import { analysisStatus, recordAnalysis } from "../services/surfaces/RecordAnalysis.js"
import { handle, printJson } from "./Output.js"
import { Cwd } from "./StatusCommands.js"

const mission = Options.text("mission").pipe(
  Options.withAlias("feature"),
  Options.withDescription("Mission handle: dir name, slug, human slug, mid8, ULID or NNN"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print one JSON object on stdout"))

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decode = (where: string, bytes: Uint8Array): Effect.Effect<string, SurfaceError> =>
  Effect.try({
    try: () => utf8.decode(bytes),
    catch: () => surfaceError("INPUT_UNREADABLE", `${where} is not UTF-8 text`, { input: where })
  })

const readStdin: Effect.Effect<Uint8Array, SurfaceError> = Effect.async((resume) => {
  const chunks: Array<Buffer> = []
  const onData = (c: Buffer) => chunks.push(c)
  const onEnd = () => resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks))))
  const onError = (e: Error) =>
    resume(Effect.fail(surfaceError("INPUT_UNREADABLE", `Cannot read stdin: ${e.message}`, { input: "-" })))
  process.stdin.on("data", onData).once("end", onEnd).once("error", onError)
  return Effect.sync(() => {
    process.stdin.off("data", onData).off("end", onEnd).off("error", onError)
  })
})

/** The submitted report: the file, or stdin when absent or `-`. */
const readSubmission = (cwd: string, file: Option.Option<string>) =>
  Option.match(Option.filter(file, (f) => f !== "-"), {
    onNone: () => Effect.flatMap(readStdin, (b) => decode("stdin", b)),
    onSome: (f) => {
      const path = resolvePath(cwd, f)
      return Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFile(path)).pipe(
        Effect.mapError((e) => surfaceError("INPUT_UNREADABLE", `Cannot read ${path}: ${e.message}`, { input: path })),
        Effect.flatMap((b) => decode(path, b))
      )
    }
  })

// kittyctx mission record-analysis --mission <h> [--input-file <path|->] [--agent A] [--adopt] [--no-commit] [--json]
const recordAnalysisCommand = Command.make(
  "record-analysis",
  {
    mission,
    inputFile: Options.text("input-file").pipe(
      Options.withDescription("The analyzer's report (analysis-findings/v1 carrier, then prose); - or absent: stdin"),
      Options.optional
    ),
    agent: Options.text("agent").pipe(Options.withDescription("The analyzer agent's name"), Options.optional),
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
        const cwd = yield* Cwd
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
              ...(out.commit === null ? [] : [`committed ${out.commit}`])
            ].join("\n")
          )
        }
      })
    )
).pipe(Command.withDescription("Record the analysis report with its input hashes and commit it on the placement ref"))

// kittyctx mission analysis-status --mission <handle> [--json]
const analysisStatusCommand = Command.make("analysis-status", { mission, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const cwd = yield* Cwd
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
  Command.withDescription("Mission-level records: the analysis report"),
  Command.withSubcommands([recordAnalysisCommand, analysisStatusCommand])
)
