/**
 * Picks a loopback port for a control server (docs/surfaces.md §7.5, §8.3): the preferred port first,
 * then the range in order; a port is free when nothing accepts a connection on it (connect probe) and
 * this process can bind it (bind probe). It never signals or stops whatever holds a busy port.
 */
import { Effect } from "effect"
import { portCandidates } from "../../core/background/LoopbackRules.js"
import type { PortRange } from "../../core/background/LoopbackRules.js"
import { Loopback } from "../ports/Loopback.js"

/** How long one connect probe waits. */
export const CONNECT_PROBE_MS = 200

/** The first free port (preferred first), or `null` when none is free. */
export const pickFreePort = (range: PortRange, preferred: number | null): Effect.Effect<number | null, never, Loopback> =>
  Effect.gen(function*() {
    const loopback = yield* Loopback
    for (const port of portCandidates(range, preferred)) {
      if (yield* loopback.isListening(port, CONNECT_PROBE_MS)) continue
      if (yield* loopback.canBind(port)) return port
    }
    return null
  })
