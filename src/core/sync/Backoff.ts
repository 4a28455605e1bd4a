/**
 * What a sink's answer means and how long to wait before the next attempt (docs/surfaces.md §8.5):
 * exponential backoff with full jitter, `Retry-After` honoured on 429 (and 503), and the split between
 * answers worth retrying, answers that refuse one event, and answers that refuse the whole sink setup.
 */

/** What one request came back with (a transport failure is a value, not an error). */
export type SinkReply =
  | { readonly _tag: "Response"; readonly status: number; readonly retryAfter: string | null; readonly body: string }
  | { readonly _tag: "Failed"; readonly reason: "timeout" | "network"; readonly detail: string }

/** The verdict on a reply. */
export type Verdict =
  /** 2xx: every event of the request is acknowledged. */
  | { readonly _tag: "Acknowledged" }
  /** Network failure, timeout, 408 or 5xx: retry the same request after a backoff. */
  | { readonly _tag: "Transient"; readonly reason: string; readonly retryAfterMs: number | null }
  /** 429: retry after `Retry-After` (or a backoff when absent). */
  | { readonly _tag: "Throttled"; readonly reason: string; readonly retryAfterMs: number | null }
  /**
   * 3xx, 401, 403, 404, 405, 407: the sink refuses the credentials or the endpoint (or moved), whatever the events are;
   * nothing is dead-lettered, delivery stops until the configuration changes.
   */
  | { readonly _tag: "Refused"; readonly status: number; readonly reason: string }
  /** Any other 4xx: the request's content is refused; retried event by event, then dead-lettered. */
  | { readonly _tag: "Rejected"; readonly status: number; readonly reason: string }

/** Statuses that refuse the sink setup, not the events. */
export const SETUP_REFUSALS: ReadonlySet<number> = new Set([401, 403, 404, 405, 407])

const excerpt = (body: string): string => (body.length > 200 ? `${body.slice(0, 200)}…` : body)

/**
 * A `Retry-After` value in milliseconds from now: delta-seconds or an HTTP date; null when absent or
 * unreadable; never negative.
 */
export const parseRetryAfter = (value: string | null, nowMs: number): number | null => {
  if (value === null) return null
  const v = value.trim()
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs)
}

/** The verdict on a reply, at `nowMs` (for an HTTP-date `Retry-After`). */
export const verdictOf = (reply: SinkReply, nowMs: number): Verdict => {
  if (reply._tag === "Failed") return { _tag: "Transient", reason: `${reply.reason}: ${reply.detail}`, retryAfterMs: null }
  const s = reply.status
  const reason = `HTTP ${s}${reply.body.trim() === "" ? "" : `: ${excerpt(reply.body.trim())}`}`
  if (s >= 200 && s < 300) return { _tag: "Acknowledged" }
  if (s === 429) return { _tag: "Throttled", reason, retryAfterMs: parseRetryAfter(reply.retryAfter, nowMs) }
  if (s === 408 || s >= 500 || s < 200) {
    return { _tag: "Transient", reason, retryAfterMs: s === 503 ? parseRetryAfter(reply.retryAfter, nowMs) : null }
  }
  if (SETUP_REFUSALS.has(s) || (s >= 300 && s < 400)) return { _tag: "Refused", status: s, reason }
  return { _tag: "Rejected", status: s, reason }
}

/** The backoff ceiling before retry number `attempt` (0 for the first retry): base·2^attempt, capped. */
export const backoffCeilingMs = (attempt: number, baseMs: number, capMs: number): number =>
  Math.min(capMs, baseMs * 2 ** Math.min(attempt, 40))

/** Full jitter: a uniform delay in [0, ceiling) from `u` in [0, 1). */
export const fullJitterMs = (ceilingMs: number, u: number): number => Math.floor(Math.min(Math.max(u, 0), 0.999999) * ceilingMs)

/** The wait before the next attempt: the server's `Retry-After` when it gave one, else full-jitter backoff. */
export const retryDelayMs = (
  verdict: Verdict,
  attempt: number,
  policy: { readonly baseMs: number; readonly capMs: number },
  u: number
): number => {
  const server = verdict._tag === "Throttled" || verdict._tag === "Transient" ? verdict.retryAfterMs : null
  return server !== null ? server : fullJitterMs(backoffCeilingMs(attempt, policy.baseMs, policy.capMs), u)
}
