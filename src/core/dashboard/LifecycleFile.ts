/**
 * The dashboard's lifecycle file `.kittify/.dashboard` (docs/surfaces.md §7.5): spec-kitty's four
 * positional lines (URL, port, token, pid), the token line always present so nothing shifts, then
 * `key=value` lines that only kittyctx writes (`owner=kittyctx` marks its own instances).
 */

/** What the file records. */
export interface LifecycleRecord {
  readonly url: string
  readonly port: number
  /** `null` when spec-kitty wrote no token. */
  readonly token: string | null
  /** `null` when spec-kitty wrote no pid. */
  readonly pid: number | null
  /** `key=value` lines: `pid_started_at`, `instance_id`, `owner`, `version`, ... */
  readonly extra: Readonly<Record<string, string>>
}

/** The owner mark of kittyctx's own instances. */
export const OWNER = "kittyctx"

/** True when kittyctx wrote the record (`owner=kittyctx`). */
export const isOwnRecord = (r: LifecycleRecord): boolean => r.extra.owner === OWNER

/** The file's text. */
export const renderLifecycle = (r: LifecycleRecord): string =>
  [
    r.url,
    String(r.port),
    r.token ?? "",
    r.pid === null ? "" : String(r.pid),
    ...Object.entries(r.extra).map(([k, v]) => `${k}=${v}`)
  ].join("\n") + "\n"

const POSITIVE_INT = /^\d{1,10}$/

/**
 * Parses the file. spec-kitty's reader skips blank lines; so does this one for its own positional lines,
 * except that a kittyctx record keeps an empty token line (the first `key=value` line ends the positional part).
 */
export const parseLifecycle = (text: string): LifecycleRecord | string => {
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  const positional: Array<string> = []
  const extra: Record<string, string> = {}
  for (const line of lines) {
    const eq = line.indexOf("=")
    if (eq > 0 && /^[a-z_]+$/.test(line.slice(0, eq))) extra[line.slice(0, eq)] = line.slice(eq + 1)
    else if (line !== "" || extra.owner === undefined) positional.push(line)
  }
  const own = extra.owner === OWNER
  const fields = own ? positional : positional.filter((l) => l !== "")
  const [url, portText, token, pidText] = own ? [fields[0], fields[1], fields[2], fields[3]] : fields
  if (url === undefined || url === "") return "no URL line"
  if (portText === undefined || !POSITIVE_INT.test(portText)) return "the port line is not a number"
  const port = Number(portText)
  if (port < 1 || port > 65535) return "the port is out of range"
  let pid: number | null = null
  if (pidText !== undefined && pidText !== "") {
    if (!POSITIVE_INT.test(pidText) || Number(pidText) < 1) return "the pid line is not a process id"
    pid = Number(pidText)
  }
  return { url, port, token: token === undefined || token === "" ? null : token, pid, extra }
}
