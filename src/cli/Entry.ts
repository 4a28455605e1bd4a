/**
 * How each entry of the CLI runs its program (docs/ARCHITECTURE.md, "Start-up"): the full command line
 * (`bin.ts`), the start-up bundle of the hot commands (`fast.ts`) and the sync daemon's lean bundle
 * (`daemonBin.ts`) share the process facts they read and the one way a program's outcome becomes the
 * exit code.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect } from "effect"
import type { Layer } from "effect"
import { resolvePath } from "../core/repo/Paths.js"
import * as Launcher from "../services/ports/Launcher.js"
import { withStdioConsole } from "../services/ports/Stdio.js"
import { Cwd } from "./Invocation.js"
import { CliExit, exitCodeOf, isUsageError } from "./Output.js"

/** The current directory, or null when it was deleted (a command then reports CWD_UNAVAILABLE). */
export const processDirectory = (): string | null => {
  try {
    return process.cwd()
  } catch {
    return null
  }
}

/**
 * How this process was started (node and the launcher script): `dashboard` and `sync daemon` start the
 * same kittyctx detached, the reaper recognises its own build by it, and the merge drivers kittyctx
 * registers run this same build.
 */
export const processLauncher = (): Layer.Layer<Launcher.Launcher> => {
  const cwd = processDirectory()
  const script = process.argv[1] ?? ""
  return Launcher.layerFixed(process.execPath, cwd === null ? script : resolvePath(cwd, script))
}

/** How an entry ends once its program is done. */
export interface EntryOptions {
  /**
   * Exit as soon as the program is done (the hot commands): everything they start is awaited and their
   * output is written whole and synchronously (`Stdio`), so nothing is left for the event loop, and the
   * exit skips node's release of the heap (about 2% of a start). Otherwise the process ends by itself.
   */
  readonly exitWhenDone?: boolean
}

/**
 * Runs an entry's program: a defect is reported as INTERNAL_DEFECT; the outcome sets the exit code. Its
 * output goes straight to the descriptors (`Stdio`), never through node's stdout/stderr streams.
 */
export const runEntry = (program: Effect.Effect<void, unknown, Cwd>, options: EntryOptions = {}): void =>
  NodeRuntime.runMain(
    Effect.provideService(program, Cwd, processDirectory()).pipe(
      Effect.tapErrorCause((cause) => {
        const failure = Cause.failureOption(cause)
        if (failure._tag === "Some" && (failure.value instanceof CliExit || isUsageError(failure.value))) return Effect.void
        return Console.error(`error[INTERNAL_DEFECT]: ${Cause.pretty(cause)}`)
      }),
      withStdioConsole,
      // no tracer is installed: span timing would read the clock's nanosecond time (node's perf_hooks)
      Effect.withTracerTiming(false)
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      // Set the code; the process then ends by itself, or exits now when the entry asks for it
      teardown: (exit, onExit) => {
        process.exitCode = exitCodeOf(exit)
        if (options.exitWhenDone === true) process.exit()
        onExit(0)
      }
    }
  )
