/**
 * The command tree.
 */
import { Command } from "@effect/cli"
import { VERSION } from "../core/Version.js"
import { contextCommand } from "./ContextCommands.js"
import { dashboardCommand } from "./DashboardCommands.js"
import { implementCommand } from "./ImplementCommand.js"
import { mergeCommand } from "./MergeCommand.js"
import { mergeDriverCommand } from "./MergeDriverCommand.js"
import { missionCommand } from "./MissionCommands.js"
import { occurrenceMapCommand } from "./OccurrenceCommands.js"
import { retrospectCommand } from "./RetrospectCommands.js"
import { statusCommand } from "./StatusCommands.js"
import { syncCommand } from "./SyncCommands.js"

// kittyctx <group> <command> ...
const root = Command.make("kittyctx").pipe(
  Command.withDescription("One answer to where a spec-kitty mission's state lives"),
  Command.withSubcommands([
    statusCommand,
    contextCommand,
    missionCommand,
    implementCommand,
    occurrenceMapCommand,
    mergeCommand,
    mergeDriverCommand,
    retrospectCommand,
    dashboardCommand,
    syncCommand
  ])
)

export { VERSION }

/** Runs the CLI on an argv (`["node", "kittyctx", ...args]`). */
export const run = Command.run(root, { name: "kittyctx", version: VERSION })
