/**
 * The lean entry of the event-log merge driver: what git runs for `%O %A %B` on every merge that
 * touches a log, so it loads only the driver and the file ports (no command tree, no git layer). The
 * launcher starts it for `merge-driver-event-log <base> <ours> <theirs>`; any other form goes to the
 * full CLI, which runs the same `runEventLogDriver`. Exit 0 written, 1 refused (stderr), 70 a defect.
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { runEventLogDriver } from "../services/merge/EventLogDriver.js"
import * as Processes from "../services/ports/Processes.js"
import * as RepoFs from "../services/ports/RepoFs.js"
import * as RepoWrite from "../services/ports/RepoWrite.js"
import { writeOut } from "../services/ports/Stdio.js"
import { DEFECT_EXIT, isCodedError } from "./Output.js"

const [base, ours, theirs] = process.argv.slice(3)
const layer = Layer.merge(RepoFs.layer, RepoWrite.layer.pipe(Layer.provide(Processes.layer)))
const report = (exit: Exit.Exit<unknown, unknown>): void => {
  if (Exit.isSuccess(exit)) return
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some" && isCodedError(failure.value)) {
    writeOut(2, `error[${failure.value.code}]: ${failure.value.message}\n`)
    process.exitCode = 1
  } else {
    writeOut(2, `error[INTERNAL_DEFECT]: ${Cause.pretty(exit.cause)}\n`)
    process.exitCode = DEFECT_EXIT
  }
}

void Effect.runPromiseExit(runEventLogDriver({ cwd: process.cwd(), base, ours, theirs }).pipe(Effect.provide(layer))).then(report)
