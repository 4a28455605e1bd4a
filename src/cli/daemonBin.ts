/**
 * The entry of the sync daemon's lean bundle (`dist/daemon.cjs`, docs/ARCHITECTURE.md "Start-up"): the
 * launcher loads it for `sync daemon run …`; it runs only the exact argv `daemonArgv` writes (anything
 * else leaves `started` false and the full command line answers), with only the daemon's services.
 */
import { Effect } from "effect"
import { readDaemonArgv } from "../core/sync/DaemonProcess.js"
import { daemonRunProgram, makeDaemonLayer } from "./DaemonProgram.js"
import { processLauncher, runEntry } from "./Entry.js"
import { handle } from "./Output.js"

const request = readDaemonArgv(process.argv.slice(2))

/** True when this bundle runs the daemon (the launcher must not load the full command line). */
export const started = request !== null

if (request !== null) runEntry(handle(false, daemonRunProgram(request)).pipe(Effect.provide(makeDaemonLayer(processLauncher()))))
