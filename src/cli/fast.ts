/**
 * The entry of the start-up bundle (`dist/kittyctx-fast.cjs`, docs/ARCHITECTURE.md "Start-up"): the hot
 * commands with only the services they use, and without the command-line parser. The launcher loads it
 * for `status show`, `status emit` and `context resolve`; when argv is not plainly one of their forms,
 * `started` stays false and the launcher loads the full command tree instead.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect } from "effect"
import { fastProgram } from "./FastPath.js"
import { Cwd } from "./Invocation.js"
import { CliExit, exitCodeOf } from "./Output.js"

/** The current directory, or null when it was deleted (the command then reports CWD_UNAVAILABLE). */
const processDirectory = (): string | null => {
  try {
    return process.cwd()
  } catch {
    return null
  }
}

const program = fastProgram(process.argv.slice(2))

/** True when this bundle runs the command (the launcher must not load the full one). */
export const started = program !== null

if (program !== null) {
  NodeRuntime.runMain(
    Effect.provideService(program, Cwd, processDirectory()).pipe(
      Effect.tapErrorCause((cause) => {
        const failure = Cause.failureOption(cause)
        return failure._tag === "Some" && failure.value instanceof CliExit
          ? Effect.void
          : Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
      })
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => {
        process.exitCode = exitCodeOf(exit)
        onExit(0)
      }
    }
  )
}
