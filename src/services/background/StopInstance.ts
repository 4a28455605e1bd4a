/**
 * Stops one of kittyctx's own control servers (docs/surfaces.md §7.5, §8.3): ask it to shut down with
 * its token (POST `/api/shutdown`), wait a bounded time for its recorded identity to exit (the one
 * probe), and only then use the kill path, which signals nothing it cannot attribute to that identity.
 */
import { Effect } from "effect"
import type { ProcessIdentity } from "../../core/process/ProcessIdentity.js"
import { Loopback } from "../ports/Loopback.js"
import { Processes } from "../ports/Processes.js"
import { awaitExit, terminate } from "./Terminate.js"

/** What stopping did. */
export interface StopOutcome {
  /** The identity was running (alive) when the stop began. */
  readonly wasRunning: boolean
  /** It no longer runs. */
  readonly stopped: boolean
  readonly via: "shutdown" | "terminate" | "kill" | null
  readonly liveness: string
  readonly failure?: string
}

/** The instance to stop: its identity, its control port and its token (null: no shutdown request). */
export interface StopTarget {
  readonly identity: ProcessIdentity
  readonly port: number | null
  readonly token: string | null
  /** How long to wait after the shutdown request before the kill path. */
  readonly graceMs: number
}

/** Shutdown request, bounded wait, then the identity-checked kill path. */
export const stopInstance = (target: StopTarget): Effect.Effect<StopOutcome, never, Loopback | Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const loopback = yield* Loopback
    const liveness = yield* processes.probe(target.identity)
    if (liveness !== "alive") return { wasRunning: false, stopped: liveness === "dead", via: null, liveness }
    if (target.port !== null && target.token !== null) {
      const response = yield* loopback.request({
        port: target.port,
        method: "POST",
        path: "/api/shutdown",
        body: JSON.stringify({ token: target.token }),
        timeoutMs: 1000
      })
      if (response !== null && response.status === 200 && (yield* awaitExit(target.identity, target.graceMs))) {
        return { wasRunning: true, stopped: true, via: "shutdown", liveness }
      }
    }
    const killed = yield* terminate(target.identity)
    return {
      wasRunning: true,
      stopped: killed.reaped,
      via: killed.via,
      liveness,
      ...(killed.failure === undefined ? {} : { failure: killed.failure })
    }
  })
