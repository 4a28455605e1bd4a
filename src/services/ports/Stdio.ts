/**
 * The process's own output: every line the CLI prints goes to file descriptor 1 or 2 through
 * `writeOut`, synchronously and whole. Node's `process.stdout`/`process.stderr` are streams that load
 * node's stream, net or tty machinery when first touched, and `console` also probes the standard
 * error's colours; a command that prints one JSON line pays for none of it (docs/ARCHITECTURE.md,
 * "Start-up"). The CLI entries install `stdioConsole` as Effect's `Console`, so `Console.log` and
 * `Console.error` (ours and @effect/cli's) are these writes; its other methods stay the default's.
 */
import { Console, Effect } from "effect"
import { writeSync } from "node:fs"
import { createRequire } from "node:module"
import { errnoOf } from "../../core/repo/RepoError.js"


let pause: Int32Array | undefined
/** Sleeps the thread for `ms` (a non-blocking descriptor that is full is retried after it). */
const sleepSync = (ms: number): void => {
  pause ??= new Int32Array(new SharedArrayBuffer(4))
  Atomics.wait(pause, 0, 0, ms)
}

/**
 * Writes all of `text` to `fd` (1 or 2; a test gives a pipe of its own): partial writes are continued; a
 * descriptor someone left non-blocking (EAGAIN: a full pipe) is retried until the reader takes the
 * bytes, as a blocking write would wait; a reader that went away (EPIPE), or a descriptor the caller
 * closed (EBADF), ends the writing silently, as for any command piped into `head`; the exit code still
 * says how the command ended.
 */
export const writeOut = (fd: number, text: string): void => {
  const bytes = Buffer.from(text, "utf8")
  let at = 0
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at)
    } catch (e) {
      const errno = errnoOf(e)
      if (errno === "EAGAIN") sleepSync(1)
      else if (errno === "EPIPE" || errno === "EBADF") return
      else throw e
    }
  }
}

let util: typeof import("node:util") | undefined
/** `console.log`'s rendering of its arguments: strings as they are, anything else as node inspects it. */
const formatArgs = (args: ReadonlyArray<unknown>): string =>
  args.every((a) => typeof a === "string")
    ? args.join(" ")
    : (util ??= createRequire(import.meta.url)("node:util") as typeof import("node:util")).format(...args)

/** Effect's `Console` with `log` and `error` written by `writeOut` (a line each); the rest is `base`'s. */
export const stdioConsole = (base: Console.Console): Console.Console => ({
  ...base,
  log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => writeOut(1, formatArgs(args) + "\n")),
  error: (...args: ReadonlyArray<unknown>) => Effect.sync(() => writeOut(2, formatArgs(args) + "\n"))
})

/** Runs `effect` with `stdioConsole` as its `Console`. */
export const withStdioConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Console.consoleWith(Effect.succeed), (base) => Console.withConsole(effect, stdioConsole(base)))
