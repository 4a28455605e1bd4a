/**
 * The binary: runs a command and maps the outcome to an exit code (0 ok, 1 refusal, 2 usage, 70
 * defect). Each command renders its own errors in the output mode its parsed `--json` option chose.
 * Start-up is lazy (docs/ARCHITECTURE.md, "Start-up"): `--version` and the hot commands (the fast path)
 * never load the command-line parser; everything else loads the full command tree on demand.
 */
import { Console, Effect, Layer } from "effect"
import { VERSION } from "../core/Version.js"
import { Settings } from "../services/ports/Settings.js"
import { processLauncher, runEntry } from "./Entry.js"
import { fastProgram } from "./FastPath.js"
import type { Cwd } from "./Invocation.js"

/** Help is wrapped to the terminal's width, or 80 columns when stdout is not a terminal. */
const width = process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0 ? process.stdout.columns : 80

// eslint-disable-next-line no-control-regex
const stripAnsi = (v: unknown): unknown => (typeof v === "string" ? v.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "") : v)

/** No ANSI codes unless stdout is a terminal and NO_COLOR is unset (@effect/cli's own messages carry them). */
const withPlainConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Settings> =>
  Effect.flatMap(Settings, (settings) =>
    process.stdout.isTTY === true && !settings.noColor
      ? effect
      : Effect.flatMap(Console.consoleWith(Effect.succeed), (base) =>
        Console.withConsole(effect, {
          ...base,
          log: (...args: ReadonlyArray<unknown>) => base.log(...args.map(stripAnsi)),
          error: (...args: ReadonlyArray<unknown>) => base.error(...args.map(stripAnsi))
        })))

/** The whole command tree, its parser and its services, loaded only when the fast path does not apply. */
const fullCli = Effect.gen(function*() {
  const [{ run }, NodeContext, { makeMainLayer }] = yield* Effect.promise(() =>
    Promise.all([import("./Cli.js"), import("@effect/platform-node/NodeContext"), import("../services/MainLayer.js")])
  )
  return yield* withPlainConsole(run(process.argv, { width })).pipe(
    Effect.provide(Layer.mergeAll(makeMainLayer({ launcher: processLauncher() }), NodeContext.layer))
  )
})

const main = (): Effect.Effect<void, unknown, Cwd> => {
  const argv = process.argv.slice(2)
  if (argv.length === 1 && argv[0] === "--version") return Console.log(VERSION)
  return fastProgram(argv) ?? fullCli
}

// a deleted current directory is not a crash: each command reports CWD_UNAVAILABLE in its own output mode
runEntry(main())
