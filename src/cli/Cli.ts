/**
 * The command tree, and the front every command line passes first (docs/surfaces.md §9.1): help,
 * version and completions from the tree, usage errors with suggestions, then @effect/cli runs the command.
 */
import { Args, Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { VERSION } from "../core/Version.js"
import { readTree } from "./CommandTree.js"
import type { CommandSpec } from "./CommandTree.js"
import { completionScript } from "./Completions.js"
import { contextCommand } from "./ContextCommands.js"
import { dashboardCommand } from "./DashboardCommands.js"
import { readCommandLine, SHELLS } from "./Front.js"
import type { Shell } from "./Front.js"
import { PROGRAM, renderHelp } from "./Help.js"
import { implementCommand } from "./ImplementCommand.js"
import { mergeCommand } from "./MergeCommand.js"
import { mergeDriverCommand } from "./MergeDriverCommand.js"
import { missionCommand } from "./MissionCommands.js"
import { occurrenceMapCommand } from "./OccurrenceCommands.js"
import { CliExit, printRaw, usageFailure } from "./Output.js"
import { retrospectCommand } from "./RetrospectCommands.js"
import { statusCommand } from "./StatusCommands.js"
import { syncCommand } from "./SyncCommands.js"
import { tasksCommand } from "./TasksCommands.js"

export { VERSION }

// kittyctx completions bash|zsh|fish
const completionsCommand = Command.make(
  "completions",
  {
    shell: Args.choice(SHELLS.map((s) => [s, s] as const), { name: "shell" }).pipe(
      Args.withDescription("The shell to complete in")
    )
  },
  ({ shell }) => printRaw(completionScript(commandTree(), shell as Shell))
).pipe(Command.withDescription("Print a completion script for bash, zsh or fish (subcommands, options, values, missions)"))

// kittyctx <group> <command> ...
const root = Command.make(PROGRAM).pipe(
  Command.withDescription(
    "kittyctx answers, for every spec-kitty command, where a mission's state lives, and moves work packages " +
      "through their lanes with spec-kitty's own files, bytes and lock."
  ),
  Command.withSubcommands([
    statusCommand,
    tasksCommand,
    implementCommand,
    missionCommand,
    contextCommand,
    occurrenceMapCommand,
    mergeCommand,
    mergeDriverCommand,
    retrospectCommand,
    dashboardCommand,
    syncCommand,
    completionsCommand
  ])
)

let tree: CommandSpec | null = null

/** The command tree as data (help, completions, usage errors and the README check read it). */
export const commandTree = (): CommandSpec => (tree ??= readTree(root))

const effectCli = Command.run(root, { name: PROGRAM, version: VERSION })

/** How wide help may be: the terminal's columns, 80 when stdout is not a terminal. */
export interface Screen {
  readonly width: number
}

/** Runs the CLI on an argv (`["node", "kittyctx", ...args]`). */
export const run = (argv: ReadonlyArray<string>, screen: Screen = { width: 80 }) =>
  Effect.suspend(() => {
    const decision = readCommandLine(commandTree(), argv.slice(2))
    switch (decision._tag) {
      case "Help":
        return printRaw(renderHelp(decision.command, Math.max(40, screen.width), VERSION))
      case "Version":
        return Console.log(VERSION)
      case "Completions":
        return printRaw(completionScript(commandTree(), decision.shell))
      case "Usage":
        return usageFailure(decision.problem.message, decision.problem.details, decision.json)
      case "Run":
        return effectCli([...argv.slice(0, 2), ...decision.args])
    }
  })

export { CliExit }
