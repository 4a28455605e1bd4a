/**
 * The rules every loopback control server of kittyctx shares (docs/surfaces.md §7.3, §8.2): which
 * `Host` and `Origin` headers are accepted (the DNS-rebinding guard), how a token is compared (constant
 * time), what a shutdown body must hold, how a health body is matched against the instance a caller
 * expects, and the port range arithmetic. Pure: the servers and probes apply them.
 */

/** An inclusive range of TCP ports. */
export interface PortRange {
  readonly first: number
  readonly last: number
}

/** True for a TCP port number a server can bind (1-65535). */
export const isPort = (n: number): boolean => Number.isSafeInteger(n) && n >= 1 && n <= 65535

/** The ports to try, in order: the preferred one first (when given), then the range. */
export const portCandidates = (range: PortRange, preferred: number | null): ReadonlyArray<number> => {
  const out: Array<number> = []
  if (preferred !== null && isPort(preferred)) out.push(preferred)
  for (let p = range.first; p <= range.last; p++) if (p !== preferred) out.push(p)
  return out
}

/** §7.3: the `Host` header must be `127.0.0.1:<port>` or `localhost:<port>` (exactly, case-insensitive name). */
export const isAllowedHost = (host: string | undefined, port: number): boolean => {
  if (host === undefined) return false
  const h = host.trim().toLowerCase()
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`
}

/** §7.3: an `Origin` on a POST, when present, must be the server's own loopback origin. */
export const isAllowedOrigin = (origin: string | undefined, port: number): boolean => {
  if (origin === undefined) return true
  const o = origin.trim().toLowerCase()
  return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`
}

/** A token as it is generated and stored: 32 lower-case hex characters. */
export const isToken = (value: unknown): value is string => typeof value === "string" && /^[0-9a-f]{32}$/.test(value)

/** Compares two strings in time that depends only on their lengths (never on where they first differ). */
export const constantTimeEqual = (a: string, b: string): boolean => {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

/** What a shutdown request body says. */
export type ShutdownVerdict = "accept" | "invalid_payload" | "invalid_token"

/** §7.1/§8.2: the body must be a JSON object with a string `token` equal to the expected one. */
export const judgeShutdown = (body: string, expected: string): ShutdownVerdict => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return "invalid_payload"
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "invalid_payload"
  const token = (parsed as { token?: unknown }).token
  if (typeof token !== "string") return "invalid_payload"
  return constantTimeEqual(token, expected) ? "accept" : "invalid_token"
}

/** True when a health body names every expected field with the expected value (e.g. `instance_id`, `project_path`). */
export const healthMatches = (
  body: Readonly<Record<string, unknown>> | null,
  expected: Readonly<Record<string, string | number>>
): boolean => body !== null && body.status === "ok" && Object.entries(expected).every(([k, v]) => body[k] === v)
