/**
 * The process table: the one place that reads a process's start time, the one liveness probe and the
 * one kill path (docs/surfaces.md §0.5). A signal is sent only to a process the probe attributes to the
 * recorded identity (same pid, same start time); a dead, reused or unknown pid is never signalled. It
 * also lists processes and reads a process's argv and executable, for the reaper's positive
 * attribution (docs/surfaces.md §8.4). The live layer reads `/proc`; the memory layer is a fake process
 * table for tests.
 */
import { Context, Effect, Layer } from "effect"
import { readFileSync, readdirSync, readlinkSync } from "node:fs"
import {
  isPid,
  livenessOf,
  parseBootTime,
  parseProcStartTicks,
  parseProcState,
  renderStartedAt
} from "../../core/process/ProcessIdentity.js"
import type { Liveness, ProcessIdentity, SignalOutcome } from "../../core/process/ProcessIdentity.js"

/** The process-table port. */
export class Processes extends Context.Tag("kittyctx/Processes")<Processes, {
  /** The identity of a pid now (`started_at` null when unreadable). Never fails. */
  readonly identity: (pid: number) => Effect.Effect<ProcessIdentity>
  /** `dead`, `reused` (another start time), `unknown` (a start time is unknown), else `alive`. Never fails. */
  readonly probe: (identity: ProcessIdentity) => Effect.Effect<Liveness>
  /** Sends `signal` only when the probe says the recorded identity is alive. Never fails. */
  readonly signal: (identity: ProcessIdentity, signal: NodeJS.Signals) => Effect.Effect<SignalOutcome>
  /** The pids of every process visible now (empty where the table cannot be listed). Never fails. */
  readonly list: Effect.Effect<ReadonlyArray<number>>
  /** A process's argv (`/proc/<pid>/cmdline`), or null when gone, unreadable or empty. Never fails. */
  readonly argv: (pid: number) => Effect.Effect<ReadonlyArray<string> | null>
  /** A process's executable (`/proc/<pid>/exe`, the kernel's resolved path), or null when unreadable. Never fails. */
  readonly executable: (pid: number) => Effect.Effect<string | null>
}>() {}

// ---------------------------------------------------------------------------------------------
// Live

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return null
  }
}

/** Whether a pid names a process: signal 0 (EPERM means it exists); a zombie has already exited. */
const existsNow = (pid: number): boolean => {
  if (!isPid(pid)) return false
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  if (process.platform === "linux") {
    const stat = readOrNull(`/proc/${pid}/stat`)
    const state = stat === null ? null : parseProcState(stat)
    if (state === "Z" || state === "X") return false
  }
  return true
}

const startedAtNow = (pid: number): string | null => {
  if (!isPid(pid) || process.platform !== "linux") return null
  const stat = readOrNull(`/proc/${pid}/stat`)
  const procStat = readOrNull("/proc/stat")
  if (stat === null || procStat === null) return null
  const ticks = parseProcStartTicks(stat)
  const boot = parseBootTime(procStat)
  return ticks === null || boot === null ? null : renderStartedAt(boot, ticks)
}

const probeNow = (identity: ProcessIdentity): Liveness => {
  const exists = existsNow(identity.pid)
  return livenessOf(identity, { exists, started_at: exists ? startedAtNow(identity.pid) : null })
}

const listNow = (): ReadonlyArray<number> => {
  if (process.platform !== "linux") return []
  try {
    return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number).filter(isPid)
  } catch {
    return []
  }
}

const argvNow = (pid: number): ReadonlyArray<string> | null => {
  if (!isPid(pid) || process.platform !== "linux") return null
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8")
    if (raw === "") return null
    const parts = raw.split("\u0000")
    if (parts[parts.length - 1] === "") parts.pop()
    return parts
  } catch {
    return null
  }
}

const executableNow = (pid: number): string | null => {
  if (!isPid(pid) || process.platform !== "linux") return null
  try {
    return readlinkSync(`/proc/${pid}/exe`)
  } catch {
    return null
  }
}

/** The live service over `/proc` and `kill(2)`. */
export const live = Processes.of({
  identity: (pid) =>
    Effect.sync(() => ({ pid, started_at: startedAtNow(pid) })).pipe(
      Effect.catchAllDefect(() => Effect.succeed({ pid, started_at: null }))
    ),
  probe: (identity) => Effect.sync(() => probeNow(identity)).pipe(Effect.catchAllDefect(() => Effect.succeed<Liveness>("unknown"))),
  signal: (identity, signal) =>
    Effect.sync((): SignalOutcome => {
      const liveness = probeNow(identity)
      if (liveness === "dead") return { _tag: "Gone" }
      if (liveness !== "alive") return { _tag: "NotAttributable", liveness }
      try {
        process.kill(identity.pid, signal)
        return { _tag: "Signalled" }
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === "ESRCH" ? { _tag: "Gone" } : { _tag: "NotAttributable", liveness }
      }
    }).pipe(Effect.catchAllDefect(() => Effect.succeed<SignalOutcome>({ _tag: "NotAttributable", liveness: "unknown" }))),
  list: Effect.sync(listNow),
  argv: (pid) => Effect.sync(() => argvNow(pid)),
  executable: (pid) => Effect.sync(() => executableNow(pid))
})

/** Its layer. */
export const layer: Layer.Layer<Processes> = Layer.succeed(Processes, live)

/**
 * Signals the process group of a child this process started as the leader of its own group and is still
 * waiting for (`Spawner.runCollected`): the group's id is the child's pid, which the system does not give
 * to another process while the child is unreaped or its group has members, so no probe is needed. The
 * whole group, so that what the child started (a git hook) ends with it. False when the group is gone.
 */
export const signalOwnChildGroup = (pid: number, signal: NodeJS.Signals): boolean => {
  if (!isPid(pid)) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

/** A fake process table: pids to their start times; `signalled` records every signal sent. */
export interface ProcessTable {
  readonly processes: Map<number, string | null>
  readonly signalled: Array<{ readonly pid: number; readonly signal: string }>
  /** The argv of each process (absent: unreadable). */
  readonly argv?: Map<number, ReadonlyArray<string>>
  /** The executable of each process (absent: unreadable). */
  readonly executables?: Map<number, string>
}

/** A `Processes` over a fake table (a signalled process leaves the table). */
export const layerMemory = (table: ProcessTable): Layer.Layer<Processes> => {
  const probe = (identity: ProcessIdentity): Liveness =>
    livenessOf(identity, {
      exists: table.processes.has(identity.pid),
      started_at: table.processes.get(identity.pid) ?? null
    })
  return Layer.succeed(
    Processes,
    Processes.of({
      identity: (pid) => Effect.sync(() => ({ pid, started_at: table.processes.get(pid) ?? null })),
      probe: (identity) => Effect.sync(() => probe(identity)),
      signal: (identity, signal) =>
        Effect.sync((): SignalOutcome => {
          const liveness = probe(identity)
          if (liveness === "dead") return { _tag: "Gone" }
          if (liveness !== "alive") return { _tag: "NotAttributable", liveness }
          table.signalled.push({ pid: identity.pid, signal })
          table.processes.delete(identity.pid)
          return { _tag: "Signalled" }
        }),
      list: Effect.sync(() => [...table.processes.keys()].sort((a, b) => a - b)),
      argv: (pid) => Effect.sync(() => (table.processes.has(pid) ? table.argv?.get(pid) ?? null : null)),
      executable: (pid) => Effect.sync(() => (table.processes.has(pid) ? table.executables?.get(pid) ?? null : null))
    })
  )
}
