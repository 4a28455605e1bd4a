/**
 * The process's output port (src/services/ports/Stdio.ts) on a real pipe (a FIFO) read by another
 * process: every byte arrives, in order, through a pipe that is full and non-blocking while its reader
 * is slow; a reader that went away ends the writing quietly.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { writeOut } from "../../../src/services/ports/Stdio.js"

const withFifo = async (f: (fifo: string, dir: string) => Promise<void>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kittyctx-stdio-"))
  const fifo = path.join(dir, "fifo")
  execFileSync("mkfifo", [fifo])
  try {
    await f(fifo, dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe("Stdio.writeOut", () => {
  it("writes 4 MB whole and in order through a full non-blocking pipe to a slow reader", () =>
    withFifo(async (fifo, dir) => {
      const out = path.join(dir, "out")
      // a read end of our own keeps the pipe open; the reader is another process that starts late
      const keep = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      const w = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
      // the reader opens the pipe, says so, and starts reading only 0.3 s later
      const reader = spawn("sh", ["-c", `exec 3<"$0"; echo open; sleep 0.3; exec cat <&3 >"$1"`, fifo, out], {
        stdio: ["ignore", "pipe", "ignore"]
      })
      const done = new Promise<number | null>((r) => reader.on("close", r))
      await new Promise<void>((r) => reader.stdout.once("data", () => r()))
      let text = ""
      for (let i = 0; i < 400_000; i++) text += String(i).padStart(9, "0") + "\n"
      writeOut(w, text) // 64 KiB fill the pipe at once: the rest waits for the reader (EAGAIN)
      fs.closeSync(w)
      fs.closeSync(keep)
      expect(await done).toBe(0)
      const got = fs.readFileSync(out, "utf8")
      expect(got.length).toBe(text.length)
      expect(got === text).toBe(true)
    }), 60_000)

  it("a reader that went away (EPIPE) ends the write without an error", () =>
    withFifo(async (fifo) => {
      const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      const w = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
      fs.closeSync(r)
      expect(() => fs.writeSync(w, "x")).toThrow(/EPIPE/) // what node's own write reports
      expect(() => writeOut(w, "nobody reads this\n".repeat(10_000))).not.toThrow()
      fs.closeSync(w)
    }))
})
