/**
 * The one health probe (docs/surfaces.md §0.5): `GET http://127.0.0.1:<port>/api/health` with the
 * loopback `Host` header and a bounded timeout; a 200 with a JSON object body is the answer, anything
 * else is `null`. The dashboard and the daemon both decide reuse and start-up with it.
 */
import { Effect } from "effect"
import { healthMatches } from "../../core/background/LoopbackRules.js"
import { Loopback } from "../ports/Loopback.js"

/** The default bound of one probe. */
export const HEALTH_TIMEOUT_MS = 500

/** The health body of the server on `port`, or `null`. */
export const fetchHealth = (
  port: number,
  timeoutMs: number = HEALTH_TIMEOUT_MS
): Effect.Effect<Readonly<Record<string, unknown>> | null, never, Loopback> =>
  Effect.gen(function*() {
    const loopback = yield* Loopback
    const response = yield* loopback.request({ port, method: "GET", path: "/api/health", timeoutMs })
    if (response === null || response.status !== 200) return null
    try {
      const body: unknown = JSON.parse(response.body)
      return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null
    } catch {
      return null
    }
  })

/** True when the server on `port` is healthy and is the expected instance (every expected field equal). */
export const isHealthyInstance = (
  port: number,
  expected: Readonly<Record<string, string | number>>,
  timeoutMs: number = HEALTH_TIMEOUT_MS
): Effect.Effect<boolean, never, Loopback> => Effect.map(fetchHealth(port, timeoutMs), (body) => healthMatches(body, expected))

/** Waits until the expected instance is healthy: probes with a backoff from `firstMs` to `maxMs`, for at most `totalMs`; stops early when `gone` says the process has exited. */
export const awaitHealthy = <R>(options: {
  readonly port: number
  readonly expected: Readonly<Record<string, string | number>>
  readonly totalMs: number
  readonly firstMs: number
  readonly maxMs: number
  readonly gone: Effect.Effect<boolean, never, R>
}): Effect.Effect<boolean, never, Loopback | R> =>
  Effect.gen(function*() {
    let delay = options.firstMs
    let waited = 0
    while (true) {
      if (yield* isHealthyInstance(options.port, options.expected)) return true
      if (yield* options.gone) return false
      if (waited >= options.totalMs) return false
      yield* Effect.sleep(delay)
      waited += delay
      delay = Math.min(options.maxMs, delay * 2)
    }
  })
