/**
 * The command tree.
 */
import { Command } from "@effect/cli"
import { contextCommand } from "./ContextCommands.js"
import { implementCommand } from "./ImplementCommand.js"
import { mergeDriverCommand } from "./MergeDriverCommand.js"
import { missionCommand } from "./MissionCommands.js"
import { occurrenceMapCommand } from "./OccurrenceCommands.js"
import { statusCommand } from "./StatusCommands.js"

// kittyctx <group> <command> ...
const root = Command.make("kittyctx").pipe(
  Command.withDescription("One answer to where a spec-kitty mission's state lives"),
  Command.withSubcommands([
    statusCommand,
    contextCommand,
    missionCommand,
    implementCommand,
    occurrenceMapCommand,
    mergeDriverCommand
  ])
)

/** The version printed by `--version`. */
export const VERSION = "0.1.0"

/** Runs the CLI on an argv (`["node", "kittyctx", ...args]`). */
export const run = Command.run(root, { name: "kittyctx", version: VERSION })
