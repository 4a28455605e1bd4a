/**
 * The one place kittyctx starts a subprocess (docs/surfaces.md §0.4, §7.5, §8.3). Two kinds:
 * - a detached child of its own (the dashboard, the sync daemon): it runs in its own session, its stdout
 *   and stderr go to a log file, and a secret (a token) is written to its stdin as one JSON line, never
 *   passed in argv or the environment. The receiving side of that protocol (`receiveSecret`) lives here
 *   too. The log file is created through `RepoWrite` (contained in the caller's write scope, mode 0600)
 *   and then only opened for appending, never through a link.
 * - a collected run (`runCollected`): a command run to its end with its output read, which is how
 *   `Git.runGit` runs git.
 * `node:child_process` is loaded on first use: a command that starts no process does not pay for it
 * (docs/ARCHITECTURE.md, "Start-up").
 */
import { Context, Effect, Layer } from "effect"
import type { ChildProcess } from "node:child_process"
import { closeSync, constants, fstatSync, openSync, realpathSync } from "node:fs"
import { createRequire } from "node:module"
import { BackgroundErrors } from "../../core/background/BackgroundError.js"
import type { BackgroundError } from "../../core/background/BackgroundError.js"
import type { ProcessIdentity } from "../../core/process/ProcessIdentity.js"
import type { IoError } from "../../core/repo/RepoError.js"
import { Launcher } from "./Launcher.js"
import { Processes, signalOwnChildGroup } from "./Processes.js"
import { RepoWrite } from "./RepoWrite.js"
import type { WriteScope } from "./RepoWrite.js"

/** One detached start. */
export interface SpawnRequest {
  /** The executable and its arguments (no secret may appear here). */
  readonly argv: ReadonlyArray<string>
  readonly cwd: string
  /** Written to the child's stdin as one JSON line, then stdin is closed; `null` sends nothing. */
  readonly secret: Readonly<Record<string, unknown>> | null
  /** Where the child's stdout and stderr are appended (created mode 0600 inside `scope` when absent). */
  readonly log: { readonly scope: WriteScope; readonly path: string }
}

/** How this kittyctx runs: the runtime executable and the entry script (the launcher of a build). */
export interface SelfCommand {
  readonly executable: string
  readonly entry: string
}

/** The largest secret line accepted on stdin. */
export const MAX_SECRET_BYTES = 64 * 1024

/** The spawner port. */
export class Spawner extends Context.Tag("kittyctx/Spawner")<Spawner, {
  /** How to start this same kittyctx (`[executable, entry, ...args]`). */
  readonly self: SelfCommand
  /** Starts a detached child; its identity once it runs. */
  readonly spawnDetached: (request: SpawnRequest) => Effect.Effect<ProcessIdentity, BackgroundError | IoError>
  /** In a child: the one JSON object line its parent wrote on stdin (bounded wait). */
  readonly receiveSecret: (timeoutMs: number) => Effect.Effect<Readonly<Record<string, unknown>>, BackgroundError>
}>() {}

// ---------------------------------------------------------------------------------------------
// Live

type NodeChildProcess = typeof import("node:child_process")

let loaded: NodeChildProcess | undefined
const childProcess = (): NodeChildProcess =>
  (loaded ??= createRequire(import.meta.url)("node:child_process") as NodeChildProcess)

/** What a collected run ends with. */
export interface Collected {
  /** The exit code; a child ended by a signal reports 128 + the signal's number, like a shell. */
  readonly exitCode: number
  /** The signal that ended the child, if one did. */
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 }

/** How long an interrupted run's process group has to end after SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 2000

/**
 * Runs `command args` to its end in `env` (`Settings.childEnvironment`), stdin closed, stdout and stderr
 * read as they come and decoded as UTF-8. The child leads its own process group. Interrupting the effect
 * (a timeout) sends SIGTERM to that group (git removes its lock files on SIGTERM; a hook it started ends
 * too), SIGKILL after `TERM_GRACE_MS`, and completes once the child has exited, so whatever the caller
 * does next (a rollback) never races a git still running. Fails only when the command cannot be started.
 */
export const runCollected = (
  command: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<Collected, Error> =>
  Effect.async<Collected, Error>((resume) => {
    let child: ChildProcess
    try {
      child = childProcess().spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true })
    } catch (e) {
      resume(Effect.fail(e instanceof Error ? e : new Error(String(e))))
      return
    }
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    let settled = false
    let exited = false
    child.once("exit", () => (exited = true))
    const settle = (outcome: Effect.Effect<Collected, Error>) => {
      if (settled) return
      settled = true
      resume(outcome)
    }
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk))
    child.once("error", (e) => settle(Effect.fail(e)))
    child.once("close", (code, signal) =>
      settle(Effect.succeed({
        exitCode: code ?? 128 + (signal === null ? 0 : (SIGNAL_NUMBERS[signal] ?? 0)),
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8")
      })))
    return Effect.async<void>((done) => {
      const pid = child.pid
      if (settled || exited || pid === undefined) return done(Effect.void)
      signalOwnChildGroup(pid, "SIGTERM")
      const hard = setTimeout(() => signalOwnChildGroup(pid, "SIGKILL"), TERM_GRACE_MS)
      child.once("exit", () => {
        clearTimeout(hard)
        done(Effect.void)
      })
    })
  })

const openLogForAppend = (path: string): number => {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW)
  if (!fstatSync(fd).isFile()) {
    closeSync(fd)
    throw new Error("the log is not a regular file")
  }
  return fd
}

const spawnNow = (request: SpawnRequest): Promise<number> =>
  new Promise((resolve, reject) => {
    let fd: number
    try {
      fd = openLogForAppend(request.log.path)
    } catch (e) {
      reject(e)
      return
    }
    const [command, ...args] = request.argv
    const child = childProcess().spawn(command, args, {
      cwd: request.cwd,
      detached: true,
      stdio: [request.secret === null ? "ignore" : "pipe", fd, fd]
    })
    const settle = (f: () => void) => {
      try {
        closeSync(fd)
      } catch {
        // already closed
      }
      f()
    }
    child.once("error", (e) => settle(() => reject(e)))
    child.once("spawn", () => {
      if (request.secret !== null && child.stdin !== null) {
        child.stdin.on("error", () => {})
        child.stdin.end(JSON.stringify(request.secret) + "\n")
      }
      child.unref()
      settle(() => resolve(child.pid ?? -1))
    })
  })

const readStdinLine = (timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const stdin = process.stdin
    const done = (f: () => void) => {
      clearTimeout(timer)
      stdin.removeListener("data", onData)
      stdin.removeListener("end", onEnd)
      stdin.removeListener("error", onError)
      stdin.pause()
      stdin.destroy()
      f()
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      const text = Buffer.concat(chunks).toString("utf8")
      const nl = text.indexOf("\n")
      if (nl >= 0) done(() => resolve(text.slice(0, nl)))
      else if (size > MAX_SECRET_BYTES) done(() => reject(new Error("the secret line is too long")))
    }
    const onEnd = () => done(() => reject(new Error("stdin closed before a complete line")))
    const onError = (e: Error) => done(() => reject(e))
    const timer = setTimeout(() => done(() => reject(new Error(`no line within ${timeoutMs} ms`))), timeoutMs)
    stdin.on("data", onData)
    stdin.once("end", onEnd)
    stdin.once("error", onError)
  })

/** Parses the secret line: one JSON object. */
export const parseSecretLine = (line: string): Readonly<Record<string, unknown>> | null => {
  try {
    const v: unknown = JSON.parse(line)
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

const realOrSelf = (p: string): string => {
  try {
    return realpathSync.native(p)
  } catch {
    return p
  }
}

/**
 * The live layer: `node:child_process` with `detached: true`. `self` is how this kittyctx was started, from
 * the one `Launcher` (the binary provides its executable and launcher script; links are resolved here).
 */
export const layer: Layer.Layer<Spawner, never, RepoWrite | Processes | Launcher> = Layer.effect(
  Spawner,
  Effect.gen(function*() {
    const write = yield* RepoWrite
    const processes = yield* Processes
    const launcher = yield* Launcher
    return Spawner.of({
      self: { executable: realOrSelf(launcher.node), entry: launcher.script === "" ? "" : realOrSelf(launcher.script) },
      spawnDetached: (request) =>
        Effect.gen(function*() {
          yield* write.writeFile(request.log.scope, request.log.path, "", { mode: 0o600, expect: null })
          const pid = yield* Effect.tryPromise({
            try: () => spawnNow(request),
            catch: (e) => BackgroundErrors.spawnFailed(request.argv, (e as Error).message)
          })
          if (pid <= 0) return yield* BackgroundErrors.spawnFailed(request.argv, "no process id")
          return yield* processes.identity(pid)
        }),
      receiveSecret: (timeoutMs) =>
        Effect.tryPromise({
          try: () => readStdinLine(timeoutMs),
          catch: (e) => BackgroundErrors.secretInvalid((e as Error).message)
        }).pipe(
          Effect.flatMap((line) => {
            const parsed = parseSecretLine(line)
            return parsed === null ? Effect.fail(BackgroundErrors.secretInvalid("the line is not a JSON object")) : Effect.succeed(parsed)
          })
        )
    })
  })
)

// ---------------------------------------------------------------------------------------------
// Memory

/** What a memory spawner records and answers. */
export interface SpawnLog {
  readonly spawned: Array<SpawnRequest>
  /** The identity each spawn returns (in order); a missing entry fails the spawn. */
  readonly identities: Array<ProcessIdentity>
  /** The secret `receiveSecret` returns; null fails it. */
  readonly secret: Readonly<Record<string, unknown>> | null
}

/** A spawner that starts nothing: it records requests and answers from `log`. */
export const layerMemory = (log: SpawnLog, self: SelfCommand = { executable: "/usr/bin/node", entry: "/kittyctx.cjs" }): Layer.Layer<Spawner> =>
  Layer.succeed(
    Spawner,
    Spawner.of({
      self,
      spawnDetached: (request) =>
        Effect.suspend(() => {
          log.spawned.push(request)
          const identity = log.identities.shift()
          return identity === undefined
            ? Effect.fail(BackgroundErrors.spawnFailed(request.argv, "no identity left in the memory spawner"))
            : Effect.succeed(identity)
        }),
      receiveSecret: () =>
        log.secret === null ? Effect.fail(BackgroundErrors.secretInvalid("no secret")) : Effect.succeed(log.secret)
    })
  )
