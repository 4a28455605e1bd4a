/**
 * The binary: runs a command and maps the outcome to an exit code (0 ok, 1 refusal, 2 usage, 70
 * defect). Each command renders its own errors in the output mode its parsed `--json` option chose.
 * Start-up is lazy (docs/ARCHITECTURE.md, "Start-up"): `--version` and the hot commands (the fast path)
 * never load the command-line parser; everything else loads the full command tree on demand.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { fastProgram } from "./FastPath.js"
import { Cwd } from "./Invocation.js"
import { CliExit, DEFECT_EXIT } from "./Output.js"
import { VERSION } from "./Version.js"

/** A usage error of the full parser (exit 2). */
class UsageExit {
  readonly _tag = "UsageExit"
}

const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    if (e instanceof CliExit) return e.code
    if (e instanceof UsageExit) return 2
  }
  return DEFECT_EXIT
}

/** The current directory; a deleted one is reported plainly instead of as a stack trace. */
const currentDirectory = (): string | null => {
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
      if (failure._tag === "Some" && (failure.value instanceof CliExit || failure.value instanceof UsageExit)) {
        return Effect.void
      }
      return Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
    })
  )

/** The whole command tree, its parser and its services, loaded only when the fast path does not apply. */
const fullCli = (cwd: string) =>
  Effect.gen(function*() {
    const [{ run }, { ValidationError }, NodeContext, { MainLayer }] = yield* Effect.promise(() =>
      Promise.all([
        import("./Cli.js"),
        import("@effect/cli"),
        import("@effect/platform-node/NodeContext"),
        import("../services/MainLayer.js")
      ])
    )
    return yield* run(process.argv).pipe(
      Effect.catchIf(ValidationError.isValidationError, () => Effect.fail(new UsageExit())),
      Effect.provide(Layer.mergeAll(MainLayer, NodeContext.layer, Layer.succeed(Cwd, cwd)))
    )
  })

const main = (): Effect.Effect<void, unknown> => {
  const argv = process.argv.slice(2)
  if (argv.length === 1 && argv[0] === "--version") return Console.log(VERSION)
  const cwd = currentDirectory()
  if (cwd === null) {
    return Effect.zipRight(
      Console.error("error[CWD_UNAVAILABLE]: the current directory no longer exists; cd into a repository and retry"),
      Effect.fail(new CliExit({ code: 1 }))
    )
  }
  const fast = fastProgram(argv)
  return reportDefects(fast !== null ? Effect.provideService(fast, Cwd, cwd) : fullCli(cwd))
}

NodeRuntime.runMain(main(), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  // Set the code and let the process end by itself: a process.exit on a non-zero code would drop
  // output a pipe has not read yet.
  teardown: (exit, onExit) => {
    process.exitCode = exitCodeOf(exit)
    onExit(0)
  }
})
