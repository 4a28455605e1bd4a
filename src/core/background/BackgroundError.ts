/**
 * Failures of kittyctx's own background processes (the dashboard, the sync daemon): a detached
 * subprocess that could not be started, or a secret that did not arrive over its stdin
 * (docs/surfaces.md §7.5, §8.3).
 */
import { CodedError } from "../CodedError.js"

/** The closed set of background-process codes. */
export const BACKGROUND_ERROR_CODES = ["SPAWN_FAILED", "SPAWN_SECRET_INVALID"] as const
/** A background-process code. */
export type BackgroundErrorCode = (typeof BACKGROUND_ERROR_CODES)[number]

/** A background process that could not be started or handed its secret. */
export class BackgroundError extends CodedError("BackgroundError")<BackgroundErrorCode>() {}

/** Constructors: the one place each code gets its message and details. */
export const BackgroundErrors = {
  spawnFailed: (argv: ReadonlyArray<string>, reason: string) =>
    new BackgroundError({
      code: "SPAWN_FAILED",
      message: `Could not start ${argv.slice(0, 3).join(" ")}: ${reason}`,
      details: { argv: [...argv], reason }
    }),
  secretInvalid: (reason: string) =>
    new BackgroundError({
      code: "SPAWN_SECRET_INVALID",
      message: `The process did not receive its start-up secret on stdin: ${reason}`,
      details: { reason }
    })
}
