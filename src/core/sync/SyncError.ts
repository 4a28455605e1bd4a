/**
 * The error family of event forwarding (docs/surfaces.md §8): configuration that is missing, runtime
 * files that cannot be trusted, a sink that cannot be reached or refuses the requests, and the daemon's
 * start, stop and ownership failures. Malformed values in the configuration are `CONFIG_INVALID`
 * (`ConfigError`); file failures stay `IoError`.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of sync codes. */
export const SYNC_ERROR_CODES = [
  "SYNC_NOT_CONFIGURED",
  "SYNC_STATE_UNREADABLE",
  "SYNC_DELIVERY_BUSY",
  "SINK_UNAVAILABLE",
  "SINK_REFUSED",
  "SINK_TOKEN_MISSING",
  "DAEMON_OWNER_RECORD_UNREADABLE",
  "DAEMON_START_FAILED",
  "DAEMON_STOP_FAILED",
  "DAEMON_NOT_RUNNING"
] as const
/** A sync code. */
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number]

/** A forwarding, configuration-presence or daemon failure. */
export class SyncError extends CodedError("SyncError")<SyncErrorCode>() {}

/** Builds a SyncError. */
export const syncError = (code: SyncErrorCode, message: string, details: Record<string, unknown> = {}) =>
  new SyncError({ code, message, details })
