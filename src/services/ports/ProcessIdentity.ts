/**
 * Process identity and liveness (surfaces spec §0.5): the one place that reads a process's start time
 * and the one liveness probe. A pid alone is not an identity (pids are reused); `{pid, started_at}` is.
 * Used by the WP-claim re-entry rule (§2.3) and, later, by the dashboard and daemon.
 */
import { Effect } from "effect"
import * as nodeFs from "node:fs"

/** A process as spec-kitty records it: its pid and its OS start time (epoch seconds, two decimals). */
export interface ProcessIdentity {
  readonly pid: number
  /** `"1785321332.13"`, or `null` when the start time could not be read. */
  readonly started_at: string | null
}

/** What the probe says about a recorded identity. */
export type Liveness = "alive" | "dead" | "reused" | "unknown"

/** Start times closer than this are the same process (§0.5). */
export const START_TOLERANCE_S = 1.0

/** Linux's USER_HZ: `/proc/<pid>/stat` start times are in these ticks. */
const CLK_TCK = 100

/** Field 22 (`starttime`, clock ticks since boot) of a `/proc/<pid>/stat` line; the comm field may hold spaces and `)`. */
export const parseProcStartTicks = (statLine: string): number | null => {
  const close = statLine.lastIndexOf(")")
  if (close < 0) return null
  // fields from 3 (state) on, separated by single spaces
  const rest = statLine.slice(close + 2).split(" ")
  const ticks = Number(rest[22 - 3])
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : null
}

/** The process state letter (field 3) of a `/proc/<pid>/stat` line. */
const parseProcState = (statLine: string): string | null => {
  const close = statLine.lastIndexOf(")")
  return close < 0 ? null : statLine.charAt(close + 2) || null
}

/** `btime` (boot time, epoch seconds) from `/proc/stat`. */
export const parseBootTime = (procStat: string): number | null => {
  const m = /^btime (\d+)$/m.exec(procStat)
  return m === null ? null : Number(m[1])
}

/** Epoch seconds with two decimals, the form of `shell_pid_created_at`. */
export const renderStartedAt = (bootTime: number, ticks: number): string =>
  ((bootTime * CLK_TCK + ticks) / CLK_TCK).toFixed(2)

const readOrNull = (path: string): string | null => {
  try {
    return nodeFs.readFileSync(path, "utf8")
  } catch {
    return null
  }
}

/** True for a usable pid: `kill(0)` and negative pids address process groups, never one process. */
const isPid = (pid: number): boolean => Number.isSafeInteger(pid) && pid > 0

type Existence = "exists" | "absent"

/** Whether a pid names a process: signal 0 (EPERM means it exists); a zombie has already exited. */
const existence = (pid: number): Existence => {
  if (!isPid(pid)) return "absent"
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return "absent"
  }
  if (process.platform === "linux") {
    const stat = readOrNull(`/proc/${pid}/stat`)
    const state = stat === null ? null : parseProcState(stat)
    if (state === "Z" || state === "X") return "absent"
  }
  return "exists"
}

/** The OS start time of a pid as epoch seconds with two decimals, or null (no such process, unreadable, unsupported OS). */
const startedAtSync = (pid: number): string | null => {
  if (!isPid(pid) || process.platform !== "linux") return null
  const stat = readOrNull(`/proc/${pid}/stat`)
  const procStat = readOrNull("/proc/stat")
  if (stat === null || procStat === null) return null
  const ticks = parseProcStartTicks(stat)
  const boot = parseBootTime(procStat)
  return ticks === null || boot === null ? null : renderStartedAt(boot, ticks)
}

/** The identity of a running process now (`started_at` null when unreadable). Never fails. */
export const processIdentity = (pid: number): Effect.Effect<ProcessIdentity> =>
  Effect.sync(() => ({ pid, started_at: startedAtSync(pid) })).pipe(
    Effect.catchAllDefect(() => Effect.succeed({ pid, started_at: null }))
  )

/** The pure verdict from what the OS says now (§0.5). */
export const livenessOf = (
  recorded: ProcessIdentity,
  now: { readonly exists: boolean; readonly started_at: string | null }
): Liveness => {
  if (!now.exists) return "dead"
  if (now.started_at === null || recorded.started_at === null) return "unknown"
  const a = Number(recorded.started_at)
  const b = Number(now.started_at)
  if (!Number.isFinite(a) || !Number.isFinite(b)) return "unknown"
  return Math.abs(a - b) <= START_TOLERANCE_S ? "alive" : "reused"
}

/**
 * The one liveness probe: `dead` (no such process), `reused` (the pid now names a process with another
 * start time), `unknown` (it exists but either start time is unknown), else `alive`. Never fails.
 */
export const probe = (identity: ProcessIdentity): Effect.Effect<Liveness> =>
  Effect.sync(() => {
    const exists = existence(identity.pid) === "exists"
    return livenessOf(identity, { exists, started_at: exists ? startedAtSync(identity.pid) : null })
  }).pipe(Effect.catchAllDefect(() => Effect.succeed<Liveness>("unknown")))
