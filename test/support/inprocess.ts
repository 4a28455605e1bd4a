/**
 * The CLI command tree run in this process, as the binary runs it (the live layers, a fixed current
 * directory, stdout and stderr captured, the same exit-code mapping), for suites that run many
 * commands (a process start costs more than most commands).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Console, Effect, Layer, ManagedRuntime } from "effect"
import { run } from "../../src/cli/Cli.js"
import { Cwd } from "../../src/cli/Options.js"
import { exitCodeOf } from "../../src/cli/Output.js"
import { makeMainLayer } from "../../src/services/MainLayer.js"
import { layerFixed as settingsFixed } from "../../src/services/ports/Settings.js"
import type { SettingValues } from "../../src/services/ports/Settings.js"
import type { CliRun } from "./repo.js"

/** A runtime with the live layers and the given settings; dispose it when done. */
export const inProcessRuntime = (settings: SettingValues = {}) =>
  ManagedRuntime.make(Layer.mergeAll(makeMainLayer({ settings: settingsFixed(settings) }), NodeContext.layer))

/** Runs `kittyctx <args>` in `cwd` on `runtime`. */
export const runInProcess = async (
  runtime: ReturnType<typeof inProcessRuntime>,
  cwd: string,
  args: ReadonlyArray<string>
): Promise<CliRun> => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const program = Effect.gen(function*() {
    const base = yield* Effect.console
    const capture: Console.Console = {
      ...base,
      log: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void stdout.push(xs.map(String).join(" ") + "\n")),
      error: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void stderr.push(xs.map(String).join(" ") + "\n"))
    }
    return yield* Effect.exit(Console.withConsole(run(["node", "kittyctx", ...args]), capture))
  }).pipe(Effect.provideService(Cwd, cwd))
  const exit = await runtime.runPromise(program)
  return { code: exitCodeOf(exit), stdout: stdout.join(""), stderr: stderr.join("") }
}
