/**
 * The collected run (`Spawner.runCollected`, how `Git.runGit` starts git): real processes. Output larger
 * than a pipe's buffer arrives whole on both streams, an exit by signal reads like a shell's, a command
 * that cannot start fails, and an interrupted run (a timeout) ends the child's whole process group and
 * returns only once the child has exited.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCollected } from "../../../src/services/ports/Spawner.js"
import * as Git from "../../../src/services/ports/Git.js"
import { childEnvironment } from "../../../src/services/ports/Settings.js"
import { makeTemp, removeTemp } from "../../support/repo.js"

const env = childEnvironment({})

/** The state letter of a pid in /proc (null: gone). A zombie (Z) is not running any more either. */
const stateOf = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
  } catch {
    return null
  }
}

const waitGone = (pid: number): Effect.Effect<string | null> =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const s = stateOf(pid)
      if (s === null || s === "Z" || s === "X") return s
      yield* Effect.sleep(Duration.millis(10))
    }
    return stateOf(pid)
  })

/** The pid a child writes to `file` (0 when none within 5 s). */
const pidWritten = (file: string): Effect.Effect<number> =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : 0
      if (pid > 0) return pid
      yield* Effect.sleep(Duration.millis(10))
    }
    return 0
  })

/**
 * Runs `sh -c script(pidFile)` through `runCollected`, waits for the pid the script writes, checks it
 * with `before`, interrupts the run and asserts that process is gone (`gone`: what that means).
 */
const interruptedShell = (script: (pidFile: string) => string, before: (pid: number) => void, gone: string) => {
  const dir = makeTemp()
  const pidFile = path.join(dir, "pid")
  return Effect.gen(function*() {
    const fiber = yield* Effect.fork(runCollected("sh", ["-c", script(pidFile)], env))
    const pid = yield* pidWritten(pidFile)
    before(pid)
    yield* Fiber.interrupt(fiber)
    assert.include([null, "Z", "X"], yield* waitGone(pid), gone)
  }).pipe(Effect.ensuring(Effect.sync(() => removeTemp(dir))))
}

describe("Spawner.runCollected (real processes)", () => {
  it.live("both streams arrive whole past a pipe's buffer, read concurrently", () =>
    Effect.gen(function*() {
      // 300,000 bytes on each stream: a reader that drained one stream before the other would block the child
      const r = yield* runCollected("sh", ["-c", "yes o | head -n 150000; yes e | head -n 150000 >&2; exit 3"], env)
      assert.strictEqual(r.exitCode, 3)
      assert.strictEqual(r.signal, null)
      assert.strictEqual(r.stdout.length, 300_000)
      assert.strictEqual(r.stderr.length, 300_000)
      assert.strictEqual(r.stdout.replaceAll("o\n", ""), "")
    }))

  it.live("an exit by signal is 128 + its number, with the signal named", () =>
    Effect.gen(function*() {
      const r = yield* runCollected("sh", ["-c", "kill -TERM $$"], env)
      assert.strictEqual(r.signal, "SIGTERM")
      assert.strictEqual(r.exitCode, 143)
    }))

  it.live("the environment given is the child's (a variable removed is absent)", () =>
    Effect.gen(function*() {
      const r = yield* runCollected("sh", ["-c", "echo \"${KITTYCTX_SPAWNER_A-unset}:${HOME:+home}\""], childEnvironment({ KITTYCTX_SPAWNER_A: "a", HOME: undefined }))
      assert.strictEqual(r.stdout, "a:\n")
    }))

  it.live("a command that cannot start fails", () =>
    Effect.gen(function*() {
      const e = yield* Effect.either(runCollected("/nonexistent/kittyctx-no-such-command", [], env))
      assert.isTrue(Either.isLeft(e) && /ENOENT/.test(e.left.message))
    }))

  it.live("an interrupted run kills its child", () =>
    interruptedShell((pidFile) => `echo $$ > '${pidFile}'; exec sleep 30`, (pid) => {
      assert.isAbove(pid, 0, "the child wrote its pid")
      assert.notInclude([null, "Z", "X"], stateOf(pid), "the child runs")
    }, "the child was killed"))

  it.live("an interrupted run ends the child's whole process group, not only the child", () =>
    // the shell starts a grandchild in the background and waits: signalling the shell alone leaves it running
    interruptedShell((pidFile) => `sleep 30 & echo $! > '${pidFile}'; wait`, (pid) => {
      assert.isAbove(pid, 0)
    }, "the grandchild was ended with its group"))

  it.live("runGit's timeout fails with GIT_COMMAND_FAILED and ends git with what git started, before it returns", () => {
    const dir = makeTemp()
    const pidFile = path.join(dir, "pid")
    return Effect.gen(function*() {
      // an alias that runs a shell command (like a hook): git waits for it
      const e = yield* Effect.either(Git.runGit(["-c", `alias.hang=!echo $PPID $$ > '${pidFile}'; exec sleep 30`, "hang"], {
        cwd: dir,
        mode: "read",
        timeout: Duration.millis(1500)
      }))
      assert.isTrue(Either.isLeft(e) && e.left.code === "GIT_COMMAND_FAILED" && /timed out/.test(e.left.message))
      const [gitPid, hookPid] = fs.readFileSync(pidFile, "utf8").trim().split(" ").map(Number)
      // runGit returned only after git exited (nothing to wait for here); the hook went with it
      assert.include([null, "Z", "X"], stateOf(gitPid), "git has exited")
      assert.include([null, "Z", "X"], yield* waitGone(hookPid), "what git started was ended too")
    }).pipe(Effect.ensuring(Effect.sync(() => removeTemp(dir))))
  })
})
