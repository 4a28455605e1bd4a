/**
 * `kittyctx context …`: resolve and explain the one MissionExecutionContext.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { ACTIONS, ARTIFACT_KINDS, contextToJson, placementFor } from "../core/context/ExecutionContext.js"
import { resolvePath } from "../core/repo/Paths.js"
import { classifyCheckout, resolve, resolveContext, resolveForWrite, resolveStatusSurface } from "../services/context/ResolveContext.js"
import { request, resolveProgram, table } from "./ContextPrograms.js"
import { currentDirectory, jsonOption as json, missionOption as mission } from "./Options.js"
import { handle, printJson } from "./Output.js"

const action = Options.choice("action", ACTIONS).pipe(
  Options.withPseudoName("action"),
  Options.withDescription("The action the context is resolved for"),
  Options.withDefault("status" as const)
)
const wp = Options.text("wp").pipe(
  Options.withPseudoName("WP"),
  Options.withDescription("Work package for implement/review (default: picked from the lanes)"),
  Options.optional
)
const cwdOption = Options.directory("cwd", { exists: "either" }).pipe(
  Options.withPseudoName("dir"),
  Options.withDescription("Resolve as if run from this directory"),
  Options.optional
)

// kittyctx context resolve --mission <handle> [--action <action>] [--wp <WP>] [--cwd <dir>] [--json]
const resolveCommand = Command.make("resolve", { mission, action, wp, cwd: cwdOption, json }, resolveProgram).pipe(
  Command.withDescription("Resolve where a mission's identity, branch, status, artifacts and prompts live")
)

// kittyctx context explain --mission <handle> [--action <action>] [--wp <WP>] [--cwd <dir>] [--json]
const explainCommand = Command.make("explain", { mission, action, wp, cwd: cwdOption, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const r = yield* resolve(yield* request(o))
      if (o.json) {
        yield* printJson({ ok: true, context: contextToJson(r.context), provenance: r.provenance })
        return
      }
      yield* Console.log(table(r.context))
      yield* Console.log("\nwhy:")
      for (const p of r.provenance) {
        yield* Console.log(`  ${p.field} = ${JSON.stringify(p.value)}\n      from ${p.source}`)
        for (const rej of p.rejected ?? []) yield* Console.log(`      rejected ${rej.candidate}: ${rej.why}`)
      }
    })
  )).pipe(Command.withDescription("The resolved context with the provenance of every value"))

// kittyctx context placement --mission <handle> [--kind <ARTIFACT_KIND>] [--cwd <dir>] [--json]
const placementCommand = Command.make("placement", {
  mission,
  kind: Options.choice("kind", ARTIFACT_KINDS).pipe(
    Options.withPseudoName("kind"),
    Options.withDescription("Artifact kind"),
    Options.withDefault("SPEC" as const)
  ),
  cwd: cwdOption,
  json
}, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const ctx = yield* resolveContext(yield* request({ ...o, action: "status", wp: Option.none() }))
      const target = placementFor(ctx, o.kind)
      yield* o.json ? printJson({ ok: true, placement: target }) : Console.log(`${target.ref} (${target.kind})`)
    })
  )).pipe(Command.withDescription("The ref every mission file is committed on"))

// kittyctx context status-surface --mission <handle> [--cwd <dir>] [--json]
const statusSurfaceCommand = Command.make("status-surface", { mission, cwd: cwdOption, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const surface = yield* resolveStatusSurface(yield* request({ ...o, action: "status", wp: Option.none() }))
      yield* o.json
        ? printJson({ ok: true, status_surface: surface })
        : Console.log(`${surface.status_read_dir} (${surface.coord_state})`)
    })
  )).pipe(Command.withDescription("Where the mission's status is read and written"))

// kittyctx context coord-ensure --mission <handle> [--cwd <dir>] [--json]
const coordEnsureCommand = Command.make("coord-ensure", { mission, cwd: cwdOption, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const r = yield* resolveForWrite(yield* request({ ...o, action: "status", wp: Option.none() }))
      const path = r.context.workspace.coord_worktree
      yield* o.json ? printJson({ ok: true, coord_worktree: path }) : Console.log(path ?? "(not a coordination mission)")
    })
  )).pipe(Command.withDescription("Create or reuse the coordination worktree of a coordination mission"))

// kittyctx context classify [--cwd <dir>] [--json]
const classifyCommand = Command.make("classify", { cwd: cwdOption, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const base = yield* currentDirectory
      const checkout = yield* classifyCheckout(Option.match(o.cwd, { onNone: () => base, onSome: (d) => resolvePath(base, d) }))
      yield* o.json
        ? printJson({ ok: true, checkout })
        : Console.log(`${checkout.kind} ${checkout.root}${checkout.lane_id === null ? "" : ` (${checkout.lane_id})`}`)
    })
  )).pipe(Command.withDescription("Which kind of checkout a directory is in (primary, lane, coordination, husk)"))

/** `kittyctx context`. */
export const contextCommand = Command.make("context").pipe(
  Command.withDescription("The mission execution context"),
  Command.withSubcommands([
    resolveCommand,
    explainCommand,
    placementCommand,
    statusSurfaceCommand,
    coordEnsureCommand,
    classifyCommand
  ])
)
