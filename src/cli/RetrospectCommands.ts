/**
 * `kittyctx retrospect …`: create and show a mission's retrospective record (surfaces spec §4).
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { resolvePath } from "../core/repo/Paths.js"
import { IoErrors } from "../core/repo/RepoError.js"
import { RepoFs } from "../services/ports/RepoFs.js"
import { createRetrospective, showRetrospective } from "../services/retrospect/Retrospect.js"
import { currentDirectory, jsonOption as json, missionOption as mission } from "./Options.js"
import { handle, printJson } from "./Output.js"

/** The most an input file may hold. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024

const usage = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

// kittyctx retrospect create --mission <h> [--overwrite|--update] [--input-file <path>] [--no-commit] [--json]
const createCommand = Command.make(
  "create",
  {
    mission,
    overwrite: Options.boolean("overwrite").pipe(Options.withDescription("Replace an existing record")),
    update: Options.boolean("update").pipe(Options.withDescription("Merge the new findings into an existing record")),
    inputFile: Options.text("input-file").pipe(
      Options.withDescription("Findings as YAML or JSON: helped, not_helpful, gaps, proposals, evidence_refs"),
      Options.optional
    ),
    noCommit: Options.boolean("no-commit").pipe(Options.withDescription("Write the record and events but do not commit")),
    json
  },
  (o) =>
    Effect.gen(function*() {
      if (o.overwrite && o.update) return yield* usage("--overwrite and --update are mutually exclusive. Pass exactly one.")
      const out = yield* handle(
        o.json,
        Effect.gen(function*() {
          const cwd = yield* currentDirectory
          const input = yield* Option.match(o.inputFile, {
            onNone: () => Effect.succeed(null),
            onSome: (f) => {
              const path = resolvePath(cwd, f)
              return Effect.flatMap(RepoFs, (fs) => fs.readText(path, { maxBytes: MAX_INPUT_BYTES })).pipe(
                Effect.flatMap((t) => (t === null ? Effect.fail(IoErrors.unreadable(path, "ENOENT")) : Effect.succeed(t)))
              )
            }
          })
          return yield* createRetrospective({
            cwd,
            mission: Option.getOrUndefined(o.mission),
            mode: o.overwrite ? "overwrite" : o.update ? "update" : "error",
            input,
            noCommit: o.noCommit
          })
        })
      )
      if (o.json) return yield* printJson({ ok: true, ...out })
      yield* Console.log(
        `Wrote ${out.path} (${out.findings_status}, ${out.mode})` +
          (out.committed ? `; committed ${String(out.commit).slice(0, 12)}` : "; not committed")
      )
    })
).pipe(Command.withDescription("Author a completed mission's retrospective record and commit it on the placement ref"))

// kittyctx retrospect show --mission <h> [--json]
const showCommand = Command.make("show", { mission, json }, (o) =>
  Effect.gen(function*() {
    const out = yield* handle(
      o.json,
      Effect.flatMap(currentDirectory, (cwd) => showRetrospective({ cwd, mission: Option.getOrUndefined(o.mission) }))
    )
    if (o.json) return yield* printJson({ ok: true, ...out })
    yield* Console.log(`${out.path} (${out.source}, ${out.shape} shape)\n${JSON.stringify(out.record, null, 2)}`)
  })).pipe(Command.withDescription("Show a mission's retrospective record (tracked, else the legacy location)"))

// kittyctx retrospect <create|show> ...
export const retrospectCommand = Command.make("retrospect").pipe(
  Command.withDescription("A mission's retrospective record"),
  Command.withSubcommands([createCommand, showCommand])
)
