/**
 * Process identity and liveness as pure functions (docs/surfaces.md §0.5): a pid alone is not an
 * identity (pids are reused); `{pid, started_at}` is. The `Processes` port reads the OS; this module
 * parses what it reads and judges it. Bare section numbers (§N) cite docs/surfaces.md.
 */

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
export const CLK_TCK = 100

/** Field 22 (`starttime`, clock ticks since boot) of a `/proc/<pid>/stat` line; the comm field may hold spaces and `)`. */
export const parseProcStartTicks = (statLine: string): number | null => {
  const close = statLine.lastIndexOf(")")
  if (close < 0) return null
  const rest = statLine.slice(close + 2).split(" ")
  const ticks = Number(rest[22 - 3])
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : null
}

/** The process state letter (field 3) of a `/proc/<pid>/stat` line. */
export const parseProcState = (statLine: string): string | null => {
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

/** True for a usable pid: `kill(0)` and negative pids address process groups, never one process. */
export const isPid = (pid: number): boolean => Number.isSafeInteger(pid) && pid > 0

/** The verdict from what the OS says now (§0.5). */
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

/** What the kill path did. */
export type SignalOutcome =
  | { readonly _tag: "Signalled" }
  | { readonly _tag: "Gone" }
  | { readonly _tag: "NotAttributable"; readonly liveness: Liveness }
