/**
 * The binary: runs the command tree with the live layers and maps the outcome to an exit code
 * (0 ok, 1 refusal, 2 usage, 70 defect). Each command renders its own errors in the output mode its
 * parsed `--json` option chose.
 */
import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Layer } from "effect"
import { MainLayer } from "../services/MainLayer.js"
import { Settings } from "../services/ports/Settings.js"
import { run } from "./Cli.js"
import { Cwd } from "./Options.js"
import { CliExit, exitCodeOf } from "./Output.js"


/** The current directory, or null when it was deleted. */
const processDirectory = (): string | null => {
  try {
    return process.cwd()
  } catch {
    return null
  }
}

const cwd = processDirectory()

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

// a deleted current directory is not a crash: each command reports CWD_UNAVAILABLE in its own output mode
const program = withPlainConsole(run(process.argv, { width })).pipe(
  Effect.tapErrorCause((cause) => {
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some" && (failure.value instanceof CliExit || ValidationError.isValidationError(failure.value))) {
      return Effect.void
    }
    return Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
  }),
  Effect.provide(Layer.mergeAll(MainLayer, NodeContext.layer, Layer.succeed(Cwd, cwd)))
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  // Set the code and let the process end by itself: a process.exit on a non-zero code would drop
  // output a pipe has not read yet.
  teardown: (exit, onExit) => {
    process.exitCode = exitCodeOf(exit)
    onExit(0)
  }
})
