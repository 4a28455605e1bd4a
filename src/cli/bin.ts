/**
 * The binary: runs a command and maps the outcome to an exit code (0 ok, 1 refusal, 2 usage, 70
 * defect). Each command renders its own errors in the output mode its parsed `--json` option chose.
 * Start-up is lazy (docs/ARCHITECTURE.md, "Start-up"): `--version` and the hot commands (the fast path)
 * never load the command-line parser; everything else loads the full command tree on demand.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Layer } from "effect"
import { resolvePath } from "../core/repo/Paths.js"
import { VERSION } from "../core/Version.js"
import * as Launcher from "../services/ports/Launcher.js"
import { Settings } from "../services/ports/Settings.js"
import { fastProgram } from "./FastPath.js"
import { Cwd } from "./Invocation.js"
import { CliExit, exitCodeOf, isUsageError } from "./Output.js"

/** The current directory, or null when it was deleted. */
const processDirectory = (): string | null => {
  try {
    return process.cwd()
  } catch {
    return null
  }
}

const reportDefects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapErrorCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some" && (failure.value instanceof CliExit || isUsageError(failure.value))) return Effect.void
      return Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
    })
  )

/** Help is wrapped to the terminal's width, or 80 columns when stdout is not a terminal. */
const width = process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0 ? process.stdout.columns : 80

// eslint-disable-next-line no-control-regex
const stripAnsi = (v: unknown): unknown => (typeof v === "string" ? v.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "") : v)

/** No ANSI codes unless stdout is a terminal and NO_COLOR is unset (@effect/cli's own messages carry them). */
const withPlainConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Settings> =>
  Effect.flatMap(Settings, (settings) =>
    process.stdout.isTTY === true && !settings.noColor
      ? effect
      : Effect.flatMap(Console.consoleWith(Effect.succeed), (console) =>
        Console.withConsole(effect, {
          ...console,
          log: (...args: ReadonlyArray<unknown>) => console.log(...args.map(stripAnsi)),
          error: (...args: ReadonlyArray<unknown>) => console.error(...args.map(stripAnsi))
        })))

/** The whole command tree, its parser and its services, loaded only when the fast path does not apply. */
const fullCli = Effect.gen(function*() {
  const [{ run }, NodeContext, { makeMainLayer }] = yield* Effect.promise(() =>
    Promise.all([import("./Cli.js"), import("@effect/platform-node/NodeContext"), import("../services/MainLayer.js")])
  )
  // the launcher that started this process: `dashboard` and `sync daemon` start the same kittyctx detached,
  // and the merge drivers kittyctx registers run this same build
  const cwd = processDirectory()
  const script = process.argv[1] ?? ""
  const launcher = Launcher.layerFixed(process.execPath, cwd === null ? script : resolvePath(cwd, script))
  return yield* withPlainConsole(run(process.argv, { width })).pipe(
    Effect.provide(Layer.mergeAll(makeMainLayer({ launcher }), NodeContext.layer))
  )
})

const main = (): Effect.Effect<void, unknown, Cwd> => {
  const argv = process.argv.slice(2)
  if (argv.length === 1 && argv[0] === "--version") return Console.log(VERSION)
  return reportDefects(fastProgram(argv) ?? fullCli)
}

// a deleted current directory is not a crash: each command reports CWD_UNAVAILABLE in its own output mode
NodeRuntime.runMain(Effect.provideService(main(), Cwd, processDirectory()), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  // Set the code and let the process end by itself: a process.exit on a non-zero code would drop
  // output a pipe has not read yet.
  teardown: (exit, onExit) => {
    process.exitCode = exitCodeOf(exit)
    onExit(0)
  }
})
