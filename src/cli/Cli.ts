/**
 * The command tree.
 */
import { Command } from "@effect/cli"
import { contextCommand } from "./ContextCommands.js"
import { dashboardCommand } from "./DashboardCommands.js"
import { implementCommand } from "./ImplementCommand.js"
import { missionCommand } from "./MissionCommands.js"
import { occurrenceMapCommand } from "./OccurrenceCommands.js"
import { statusCommand } from "./StatusCommands.js"
import { syncCommand } from "./SyncCommands.js"
import { VERSION } from "./Version.js"

// kittyctx <group> <command> ...
const root = Command.make("kittyctx").pipe(
  Command.withDescription("One answer to where a spec-kitty mission's state lives"),
  Command.withSubcommands([statusCommand, contextCommand, missionCommand, implementCommand, occurrenceMapCommand, dashboardCommand, syncCommand])
)

export { VERSION } from "./Version.js"

/** Runs the CLI on an argv (`["node", "kittyctx", ...args]`). */
export const run = Command.run(root, { name: "kittyctx", version: VERSION })
