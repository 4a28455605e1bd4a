/**
 * The kill path (docs/surfaces.md §0.5) over the process table's one probe and one signal: the recorded
 * identity must probe `alive`; SIGTERM; wait up to 1 s; re-probe (still the same identity); SIGKILL; wait
 * up to 1 s. A pid that is dead, reused or unknown is never signalled; a failure is reported, never thrown.
 */
import { Effect } from "effect"
import type { ProcessIdentity } from "../../core/process/ProcessIdentity.js"
import { Processes } from "../ports/Processes.js"

/** What the kill path did. */
export interface TerminateOutcome {
  /** The identity no longer runs. */
  readonly reaped: boolean
  readonly via: "terminate" | "kill" | null
  /** Why it was not signalled or did not exit (`reused`, `unknown`, `did not exit`). */
  readonly failure?: string
}

const POLL_MS = 50
const GRACE_MS = 1000

/** Polls the probe until the identity is no longer alive, for at most `ms`; true when it exited. */
export const awaitExit = (identity: ProcessIdentity, ms: number): Effect.Effect<boolean, never, Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    for (let waited = 0; ; waited += POLL_MS) {
      const liveness = yield* processes.probe(identity)
      if (liveness === "dead" || liveness === "reused") return true
      if (waited >= ms) return false
      yield* Effect.sleep(POLL_MS)
    }
  })

/** Stops an identity through the one kill path. */
export const terminate = (identity: ProcessIdentity): Effect.Effect<TerminateOutcome, never, Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const first = yield* processes.signal(identity, "SIGTERM")
    if (first._tag === "Gone") return { reaped: true, via: null }
    if (first._tag === "NotAttributable") return { reaped: false, via: null, failure: first.liveness }
    if (yield* awaitExit(identity, GRACE_MS)) return { reaped: true, via: "terminate" }
    const second = yield* processes.signal(identity, "SIGKILL")
    if (second._tag === "Gone") return { reaped: true, via: "terminate" }
    if (second._tag === "NotAttributable") return { reaped: false, via: "terminate", failure: second.liveness }
    if (yield* awaitExit(identity, GRACE_MS)) return { reaped: true, via: "kill" }
    return { reaped: false, via: "kill", failure: "did not exit" }
  })
