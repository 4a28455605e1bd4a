/**
 * The binary: runs the command tree with the live layers and maps the outcome to an exit code
 * (0 ok, 1 refusal, 2 usage, 70 defect).
 */
import { ValidationError } from "@effect/cli"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { MainLayer } from "../services/MainLayer.js"
import { run } from "./Cli.js"
import { CliExit, errorEnvelope } from "./Output.js"
import { Cwd } from "./StatusCommands.js"

const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    if (e instanceof CliExit) return e.code
    if (ValidationError.isValidationError(e)) return 2
  }
  return 70
}

const program = run(process.argv).pipe(
  Effect.tapErrorCause((cause) => {
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some" && (failure.value instanceof CliExit || ValidationError.isValidationError(failure.value))) {
      return Effect.void
    }
    const json = process.argv.includes("--json")
    const defect = {
      code: "INTERNAL_DEFECT",
      message: "kittyctx hit an unexpected error; this is a bug",
      details: { cause: Cause.pretty(cause) }
    }
    return json ? Console.log(JSON.stringify(errorEnvelope(defect))) : Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
  }),
  Effect.provide(Layer.mergeAll(MainLayer, Layer.succeed(Cwd, process.cwd())))
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
