/**
 * The binary: runs the command tree with the live layers and maps the outcome to an exit code
 * (0 ok, 1 refusal, 2 usage, 70 defect). Each command renders its own errors in the output mode its
 * parsed `--json` option chose.
 */
import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Layer } from "effect"
import { resolvePath } from "../core/repo/Paths.js"
import { makeMainLayer } from "../services/MainLayer.js"
import * as Launcher from "../services/ports/Launcher.js"
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

// this process's launcher: the merge drivers kittyctx registers run this same build
const script = process.argv[1] ?? ""
const launcher = Launcher.layerFixed(process.execPath, cwd === null ? script : resolvePath(cwd, script))

// a deleted current directory is not a crash: each command reports CWD_UNAVAILABLE in its own output mode
const program = run(process.argv).pipe(
  Effect.tapErrorCause((cause) => {
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some" && (failure.value instanceof CliExit || ValidationError.isValidationError(failure.value))) {
      return Effect.void
    }
    return Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
  }),
  Effect.provide(Layer.mergeAll(makeMainLayer({ launcher }), NodeContext.layer, Layer.succeed(Cwd, cwd)))
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
