/**
 * Failures of the dashboard's lifecycle (docs/surfaces.md §7.5): no free port, a live spec-kitty
 * dashboard owning the project, a server that did not become healthy, a lifecycle file that cannot be
 * read. HTTP requests never fail with these: endpoints answer with their own status codes.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of dashboard codes. */
export const DASHBOARD_ERROR_CODES = [
  "DASHBOARD_PORT_UNAVAILABLE",
  "DASHBOARD_FOREIGN_RUNNING",
  "DASHBOARD_START_FAILED",
  "DASHBOARD_LIFECYCLE_INVALID",
  "DASHBOARD_OPTIONS_CONFLICT"
] as const
/** A dashboard code. */
export type DashboardErrorCode = (typeof DASHBOARD_ERROR_CODES)[number]

/** A dashboard lifecycle failure. */
export class DashboardError extends CodedError("DashboardError")<DashboardErrorCode>() {}

/** Constructors: the one place each code gets its message and details. */
export const DashboardErrors = {
  portUnavailable: (first: number, last: number, preferred: number | null) =>
    new DashboardError({
      code: "DASHBOARD_PORT_UNAVAILABLE",
      message: (preferred === null ? "" : `Port ${preferred} is taken and `) +
        `no port in ${first}-${last} is free on 127.0.0.1; free one or pass --port`,
      details: { range: [first, last], preferred }
    }),
  bindFailed: (port: number, reason: string) =>
    new DashboardError({
      code: "DASHBOARD_PORT_UNAVAILABLE",
      message: `Cannot listen on 127.0.0.1:${port}: ${reason}`,
      details: { port, reason }
    }),
  foreignRunning: (file: string, pid: number, url: string | null) =>
    new DashboardError({
      code: "DASHBOARD_FOREIGN_RUNNING",
      message: `A spec-kitty dashboard (pid ${pid}${url === null ? "" : `, ${url}`}) owns this project; ` +
        "stop it with 'spec-kitty dashboard --kill' first. kittyctx never signals it",
      details: { lifecycle_file: file, pid, url }
    }),
  startFailed: (reason: string, details: Readonly<Record<string, unknown>> = {}) =>
    new DashboardError({
      code: "DASHBOARD_START_FAILED",
      message: `The dashboard did not start: ${reason}`,
      details: { reason, ...details }
    }),
  lifecycleInvalid: (file: string, reason: string) =>
    new DashboardError({
      code: "DASHBOARD_LIFECYCLE_INVALID",
      message: `${file} cannot be read as a dashboard lifecycle file (${reason}); remove it if no dashboard runs`,
      details: { lifecycle_file: file, reason }
    }),
  optionsConflict: (flags: ReadonlyArray<string>) =>
    new DashboardError({
      code: "DASHBOARD_OPTIONS_CONFLICT",
      message: `${flags.join(" and ")} cannot be used together`,
      details: { flags: [...flags] }
    })
}
