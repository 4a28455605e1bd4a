/**
 * The daemon's command line and the reaper's positive-attribution predicate (docs/surfaces.md §8.3,
 * §8.4), kept together so the shape the spawn writes is the shape the reaper recognises. A process is
 * reaped only when every fact points at an orphan of this runtime root and this build: its root marker,
 * the production argv shape, its executable and entry, not being any scope's recorded owner, and a
 * readable start time. Anything that cannot be positively attributed is never signalled.
 */
import type { ProcessIdentity } from "../process/ProcessIdentity.js"

/** The marker naming the runtime root a daemon serves. */
export const ROOT_MARKER = "--kittyctx-daemon-root="
/** The marker naming the executable that started it (for runtimes whose executable path is a stub). */
export const EXEC_MARKER = "--kittyctx-daemon-exec="
/** The subcommand a daemon runs, right after the entry. */
export const DAEMON_SUBCOMMAND = ["sync", "daemon", "run"] as const

/** The daemon's argv: `[exec, entry, sync, daemon, run, --scope, S, --port, P, <root marker>, <exec marker>]`. */
export const daemonArgv = (self: { readonly executable: string; readonly entry: string }, runtimeRoot: string, scopeId: string, port: number) => [
  self.executable,
  self.entry,
  ...DAEMON_SUBCOMMAND,
  "--scope",
  scopeId,
  "--port",
  String(port),
  `${ROOT_MARKER}${runtimeRoot}`,
  `${EXEC_MARKER}${self.executable}`
]

/** What `daemonArgv` put after the entry, read back. */
export interface DaemonRequest {
  readonly scope: string
  readonly port: number
  readonly root: string
  readonly exec: string
}

/**
 * Reads the arguments after the entry exactly as `daemonArgv` writes them (the daemon's lean entry runs
 * only this form); null for anything else, which the full command line then answers.
 */
export const readDaemonArgv = (args: ReadonlyArray<string>): DaemonRequest | null => {
  if (args.length !== DAEMON_SUBCOMMAND.length + 6 || DAEMON_SUBCOMMAND.some((s, i) => args[i] !== s)) return null
  const [scopeFlag, scope, portFlag, port, root, exec] = args.slice(DAEMON_SUBCOMMAND.length)
  if (scopeFlag !== "--scope" || portFlag !== "--port" || !/^[0-9a-f]{16}$/.test(scope) || !/^[1-9][0-9]{0,4}$/.test(port)) return null
  if (!root.startsWith(ROOT_MARKER) || !exec.startsWith(EXEC_MARKER) || Number(port) > 65535) return null
  return { scope, port: Number(port), root: root.slice(ROOT_MARKER.length), exec: exec.slice(EXEC_MARKER.length) }
}

/** True when an argv carries the root marker (a reaper candidate). */
export const isCandidateArgv = (argv: ReadonlyArray<string>): boolean => argv.some((a) => a.startsWith(ROOT_MARKER))

/** What the spawn shape says about an argv: the markers and scope, or why it is not the shape. */
export type ArgvShape =
  | { readonly _tag: "Shape"; readonly root: string; readonly exec: string; readonly scope: string }
  | { readonly _tag: "NotShape"; readonly problem: string }

/** Reads the production spawn shape: the subcommand right after the entry, one `--scope`, one of each marker. */
export const argvShape = (argv: ReadonlyArray<string>): ArgvShape => {
  const roots = argv.filter((a) => a.startsWith(ROOT_MARKER))
  const execs = argv.filter((a) => a.startsWith(EXEC_MARKER))
  if (roots.length !== 1 || execs.length !== 1) return { _tag: "NotShape", problem: "not exactly one root and one exec marker" }
  if (argv.length < 2 + DAEMON_SUBCOMMAND.length || DAEMON_SUBCOMMAND.some((s, i) => argv[2 + i] !== s)) {
    return { _tag: "NotShape", problem: "no 'sync daemon run' right after the entry" }
  }
  const scopes = argv.flatMap((a, i) => (a === "--scope" ? [i] : []))
  if (scopes.length !== 1 || argv[scopes[0] + 1] === undefined || !/^[0-9a-f]{16}$/.test(argv[scopes[0] + 1])) {
    return { _tag: "NotShape", problem: "not exactly one --scope <id>" }
  }
  return { _tag: "Shape", root: roots[0].slice(ROOT_MARKER.length), exec: execs[0].slice(EXEC_MARKER.length), scope: argv[scopes[0] + 1] }
}

/** Why a candidate is not reaped (docs/surfaces.md §8.4). */
export type SkipReason = "self" | "foreign_root" | "shape_mismatch" | "executable_mismatch" | "recorded_owner" | "unattributable" | "starting"

/** A process that carries the root marker, as read from the process table (paths already canonical). */
export interface Candidate {
  readonly identity: ProcessIdentity
  readonly argv: ReadonlyArray<string>
  /** The process's executable (symlinks resolved), or null when unreadable. */
  readonly executable: string | null
  /** `argv[0]`, the entry `argv[1]` and the exec marker, each symlink-resolved (null when not resolvable). */
  readonly argv0: string | null
  readonly entry: string | null
  readonly execMarker: string | null
}

/** Who is asking: this process and this build. */
export interface ReaperSelf {
  readonly pid: number
  readonly runtimeRoot: string
  readonly executable: string
  readonly entry: string
}

/** What the recorded owners say: per scope, the owner's identity, or that the record cannot be trusted. */
export type OwnerLookup = (scopeId: string) => { readonly _tag: "None" } | { readonly _tag: "Owner"; readonly identity: ProcessIdentity } | {
  readonly _tag: "Unreadable"
}

/** The verdict on one candidate. */
export type Verdict = { readonly _tag: "Reap"; readonly scope: string } | { readonly _tag: "Skip"; readonly reason: SkipReason }

const sameProcess = (a: ProcessIdentity, b: ProcessIdentity): boolean =>
  a.pid === b.pid && a.started_at !== null && b.started_at !== null && Math.abs(Number(a.started_at) - Number(b.started_at)) <= 1.0

/**
 * The predicate: reap only when (1) the root marker is this root, (2) the argv has the spawn shape,
 * (3) the executable (its path, `argv[0]` or the exec marker) and the entry are this build's, (4) it is not
 * its scope's recorded owner (an unreadable record attributes nothing), (5) its start time is known, and it
 * is not still starting (younger than `graceS`, unless `graceFree` says its scope cannot be starting now).
 */
export const judgeCandidate = (
  c: Candidate,
  self: ReaperSelf,
  owners: OwnerLookup,
  clock: { readonly nowS: number; readonly graceS: number; readonly graceFree: (scope: string) => boolean }
): Verdict => {
  if (c.identity.pid === self.pid) return { _tag: "Skip", reason: "self" }
  const shape = argvShape(c.argv)
  const root = c.argv.find((a) => a.startsWith(ROOT_MARKER))?.slice(ROOT_MARKER.length)
  if (root !== self.runtimeRoot) return { _tag: "Skip", reason: "foreign_root" }
  if (shape._tag === "NotShape") return { _tag: "Skip", reason: "shape_mismatch" }
  const execMatches = [c.executable, c.argv0, c.execMarker].some((p) => p !== null && p === self.executable)
  if (!execMatches || c.entry !== self.entry) return { _tag: "Skip", reason: "executable_mismatch" }
  const owner = owners(shape.scope)
  if (owner._tag === "Unreadable") return { _tag: "Skip", reason: "unattributable" }
  if (owner._tag === "Owner" && sameProcess(owner.identity, c.identity)) return { _tag: "Skip", reason: "recorded_owner" }
  if (c.identity.started_at === null) return { _tag: "Skip", reason: "unattributable" }
  if (!clock.graceFree(shape.scope) && clock.nowS - Number(c.identity.started_at) < clock.graceS) return { _tag: "Skip", reason: "starting" }
  return { _tag: "Reap", scope: shape.scope }
}
