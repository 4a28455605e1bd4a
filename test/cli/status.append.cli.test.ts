/**
 * The append path seen from outside (status-model §7.7, §12), against the built CLI in real
 * repositories: an emit appends its line in place and never rewrites history; a torn last line is cut
 * back under the lock and reported once; spec-kitty's own write discipline (a Python writer under the
 * same flock) interleaves with kittyctx's appends and checkpoints; and hostile files (a FIFO for either
 * status file, a row nested thousands of levels deep, a line that is not UTF-8) give a structured error,
 * exit 1 and an unchanged repository in every status command. Under strace, an emit's system calls show
 * the append's discipline (one write, fsynced under the lock before the answer, a read-back of exactly the
 * appended bytes, a torn tail cut under the same lock) and that a valid checkpoint spares reading the history.
 *
 * Shown failing on the pre-fix behaviour (main at 42f5b76, its dist/ copied over ours): the in-place
 * append test (the inode changed: the log was rewritten through a temp file), the torn-tail test (the
 * emit refused the log), the FIFO status.json test (the event was appended, then the emit reported a
 * warning and exit 0), the deep-row test (exit 70, "Maximum call stack size exceeded") and the temp-file
 * test (a `.status.events.jsonl.<pid>.<hex>.tmp` was created). The FIFO-log and UTF-8 tests pass on main
 * too (its RepoFs already refused both); the UTF-8 one was shown failing with the streaming reader
 * decoding with replacement characters (`fatal: false` in LogLines: show and emit exit 0). The Python
 * interoperation test passes on main as well (it guards the new append path and the checkpoint).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { readEventStream } from "../../src/core/status/EventRow.js"
import { encodeLine } from "../../src/core/python/PyJson.js"
import type { JsonValue } from "../../src/core/python/PyJson.js"
import { snapshotBytes, snapshotOf } from "../../src/core/status/Snapshot.js"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { CLI, commitAll, isolatedEnv, makeRepo, missionFiles, removeTemp, runCli, runCliAsync, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { treeHashes } from "../support/fingerprint.js"

const SLUG = "append-feature-01JZ0000"
const MISSION_ID = "01JZ0000000000000000000000"

const temps: Array<string> = []
afterAll(() => temps.forEach(removeTemp))

const setup = (wps: ReadonlyArray<string> = ["WP01", "WP02"]) => {
  const repo = makeRepo()
  temps.push(path.dirname(repo))
  writeFiles(repo, missionFiles(SLUG, MISSION_ID, wps))
  commitAll(repo, "mission")
  const dir = path.join(repo, "kitty-specs", SLUG)
  return {
    repo,
    dir,
    log: path.join(dir, "status.events.jsonl"),
    statusJson: path.join(dir, "status.json"),
    lockPath: path.join(repo, ".git", "spec-kitty-locks", `${SLUG}.status.lock`),
    checkpoints: path.join(repo, ".git", "kittyctx", "fold"),
    env: (extra: Record<string, string> = {}) => isolatedEnv(path.dirname(repo), { KITTYCTX_LOCK_TIMEOUT_MS: "10000", ...extra })
  }
}
type Repo = ReturnType<typeof setup>

const run = (r: Repo, args: ReadonlyArray<string>) => runCli(r.repo, [...args, "--mission", SLUG], r.env())
const emit = (r: Repo, wp: string, to: string, extra: ReadonlyArray<string> = []) =>
  run(r, ["status", "emit", wp, "--to", to, "--actor", "alice", "--json", ...extra])

const jsonOf = (c: CliRun): Record<string, any> => {
  const lines = c.stdout.split("\n").filter((l) => l !== "")
  assert.strictEqual(lines.length, 1, `one JSON object on stdout: ${c.stdout} / ${c.stderr}`)
  return JSON.parse(lines[0])
}

/**
 * Every entry of the work tree and the git dir, with content hashes; except the status lock file, whose
 * creation and holder record are the documented effect of taking the lock (status-model §11).
 */
const fingerprint = (root: string): Record<string, string> =>
  treeHashes(root, { dirs: true, mode: true, skip: (rel) => rel === path.join(".git", "spec-kitty-locks") })

/** Show, emit, materialize (and validate) all refuse with `code`; nothing in the repository changes. */
const refusedEverywhere = (r: Repo, code: string, check: (out: Record<string, any>) => void) => {
  const before = fingerprint(r.repo)
  for (
    const args of [
      ["status", "show", "--json"],
      ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--json"],
      ["status", "materialize", "--json"]
    ]
  ) {
    const started = Date.now()
    const c = run(r, args)
    assert.strictEqual(c.code, 1, `${args[1]}: exit ${c.code}: ${c.stdout}${c.stderr}`)
    const out = jsonOf(c)
    assert.strictEqual(out.ok, false)
    assert.strictEqual(out.error.code, code, `${args[1]}: ${out.error.message}`)
    check(out.error)
    assert.isBelow(Date.now() - started, 9000, `${args[1]} returned without waiting on the lock`)
    assert.deepStrictEqual(fingerprint(r.repo), before, `${args[1]} changed nothing`)
  }
  const v = run(r, ["status", "validate", "--json"])
  assert.strictEqual(v.code, 1, v.stdout + v.stderr)
  assert.deepStrictEqual(fingerprint(r.repo), before, "validate changed nothing")
}

describe("appends that are appends", () => {
  it("an emit adds one line at the end of the same file; the bytes before it are never rewritten", () => {
    const r = setup()
    const before = fs.readFileSync(r.log)
    const ino = fs.statSync(r.log).ino
    const c = emit(r, "WP01", "claimed")
    assert.strictEqual(c.code, 0, c.stdout + c.stderr)
    const after = fs.readFileSync(r.log)
    assert.strictEqual(fs.statSync(r.log).ino, ino, "the same inode: appended in place, not replaced")
    assert.isTrue(after.subarray(0, before.length).equals(before))
    const added = after.subarray(before.length).toString()
    assert.strictEqual(added.split("\n").length, 2, "exactly one new line")
    assert.strictEqual(JSON.parse(added).event_id, jsonOf(c).event.event_id)
    assert.isTrue(fs.readdirSync(r.checkpoints).some((n) => n.startsWith(`${SLUG}-`)), "the fold checkpoint is under .git")
  })

  it("a torn last line is cut back under the lock before the next append, and reported once", () => {
    const r = setup()
    const clean = fs.readFileSync(r.log, "utf8")
    fs.appendFileSync(r.log, "{\"actor\": \"bob\", \"at\": \"2026-01-01T00:0")
    const show = run(r, ["status", "show", "--json"])
    assert.strictEqual(show.code, 1, "a reader refuses the torn line")
    assert.strictEqual(jsonOf(show).error.code, "STATUS_LOG_INVALID")
    assert.strictEqual(jsonOf(show).error.line, 3)
    const first = emit(r, "WP01", "claimed")
    assert.strictEqual(first.code, 0, first.stdout + first.stderr)
    const out = jsonOf(first)
    assert.strictEqual(out.warnings.length, 1)
    assert.match(out.warnings[0], /^Removed a torn last line of .* \(39 bytes without a newline/)
    const text = fs.readFileSync(r.log, "utf8")
    assert.isTrue(text.startsWith(clean) && text.split("\n").length === 4, "the torn bytes are gone, the event appended")
    const second = emit(r, "WP01", "in_progress")
    assert.strictEqual(second.code, 0, second.stdout + second.stderr)
    assert.notProperty(jsonOf(second), "warnings", "reported once")
  })

  it("whole rows left without their newline are completed, never rewritten", () => {
    const r = setup()
    const text = fs.readFileSync(r.log, "utf8")
    fs.writeFileSync(r.log, text.slice(0, -1))
    const c = emit(r, "WP02", "claimed")
    assert.strictEqual(c.code, 0, c.stdout + c.stderr)
    assert.notProperty(jsonOf(c), "warnings")
    const after = fs.readFileSync(r.log, "utf8")
    assert.isTrue(after.startsWith(text), "the old rows are intact and the missing newline was added")
    assert.strictEqual(after.split("\n").length, 4)
  })

  it("no temp file is ever made for the log; a dead writer's status.json temp file is swept", () => {
    const r = setup()
    const deadPid = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) + 1
    const orphan = path.join(r.dir, `.status.json.${deadPid}.0123456789ab.tmp`)
    fs.writeFileSync(orphan, "partial")
    const trace = path.join(path.dirname(r.repo), "trace.txt")
    const traced = spawnSync("strace", ["-f", "-qq", "-e", "trace=openat,rename", "-o", trace, process.execPath, CLI, "status", "emit", "WP01", "--to", "claimed", "--actor", "a", "--mission", SLUG, "--json"], { cwd: r.repo, env: r.env(), encoding: "utf8" })
    assert.strictEqual(traced.status, 0, traced.stdout + traced.stderr)
    const calls = fs.readFileSync(trace, "utf8")
    assert.notMatch(calls, /\.status\.events\.jsonl\.[^"]*\.tmp/, "no temp file of the log")
    assert.match(calls, /status\.events\.jsonl", O_WRONLY\|O_APPEND\|O_NONBLOCK\|O_NOFOLLOW/, "the log is opened for appending, without following a link")
    assert.isFalse(fs.existsSync(orphan), "the orphan status.json temp file is gone")
    assert.deepStrictEqual(fs.readdirSync(r.dir).filter((n) => n.endsWith(".tmp")), [])
  })
})

describe("logs larger than one read", () => {
  it("a 4 MB log folds like the whole-text reader, with and without the checkpoint", { timeout: 120_000 }, () => {
    const r = setup(["WP01", "WP02", "WP03"])
    const base = fs.readFileSync(r.log, "utf8").split("\n")[0]
    const lanes = ["claimed", "in_progress", "for_review", "blocked", "planned"]
    const rows: Array<string> = []
    for (let i = 0; i < 9000; i++) {
      const row = JSON.parse(base)
      row.event_id = `01JZ1${String(i).padStart(21, "0")}`
      row.at = `2026-02-01T00:00:00.${String(i).padStart(6, "0")}+00:00`
      row.wp_id = `WP0${1 + (i % 3)}`
      row.from_lane = "planned"
      row.to_lane = lanes[i % lanes.length]
      row.force = true
      row.reason = `move ${i} ` + "x".repeat(i % 300)
      rows.push(encodeLine(row as JsonValue))
    }
    fs.appendFileSync(r.log, rows.join("\n") + "\n")
    const text = fs.readFileSync(r.log, "utf8")
    assert.isAbove(text.length, 4 * 1024 * 1024)
    const expected = snapshotBytes(snapshotOf(Either.getOrThrow(readEventStream(text)), { mission_number: null, mission_type: "software-dev" }))
    const cold = run(r, ["status", "show", "--json"])
    assert.strictEqual(cold.code, 0, cold.stderr)
    assert.strictEqual(cold.stdout, expected)
    assert.strictEqual(run(r, ["status", "materialize", "--json"]).code, 0)
    const warm = run(r, ["status", "show", "--json"])
    assert.strictEqual(warm.stdout, expected, "from the checkpoint")
    const c = emit(r, "WP01", "blocked", ["--force", "--reason", "big"])
    assert.strictEqual(c.code, 0, c.stdout + c.stderr)
    const after = fs.readFileSync(r.log, "utf8")
    const again = snapshotBytes(snapshotOf(Either.getOrThrow(readEventStream(after)), { mission_number: null, mission_type: "software-dev" }))
    assert.strictEqual(run(r, ["status", "show", "--json"]).stdout, again)
    assert.strictEqual(fs.readFileSync(r.statusJson, "utf8"), again)
  })
})

/** One traced system call of the CLI's main thread: its name, arguments as text, result. */
interface Call {
  readonly name: string
  readonly args: string
  readonly result: number
}

/** Runs the built CLI under strace (file and lock calls of its main thread only, git children left out). */
const traced = (r: Repo, args: ReadonlyArray<string>): { code: number | null; stdout: string; calls: Array<Call> } => {
  const out = path.join(path.dirname(r.repo), `trace-${Date.now()}.txt`)
  const p = spawnSync(
    "strace",
    ["-f", "-qq", "-s", "0", "-e", "trace=openat,read,pread64,write,pwrite64,fsync,fdatasync,ftruncate,close,flock", "-o", out, process.execPath, CLI, ...args],
    { cwd: r.repo, env: r.env(), encoding: "utf8" }
  )
  const lines = fs.readFileSync(out, "utf8").split("\n").filter((l) => l !== "")
  const main = lines[0].split(" ")[0]
  const calls: Array<Call> = []
  for (const l of lines) {
    const m = /^(\d+) +(\w+)\((.*)\) += (-?\d+)/.exec(l)
    if (m !== null && m[1] === main) calls.push({ name: m[2], args: m[3], result: Number(m[4]) })
  }
  return { code: p.status, stdout: p.stdout, calls }
}

/** Every call on a descriptor of the log (its open included), in call order, with the open's flags. */
const onLog = (calls: ReadonlyArray<Call>, log: string) => {
  const open = new Map<number, { flags: string; opened: number }>()
  const events: Array<{ index: number; call: Call; fd: number; flags: string; opened: number }> = []
  calls.forEach((c, index) => {
    if (c.name === "openat" && c.args.includes(JSON.stringify(log)) && c.result >= 0) {
      open.set(c.result, { flags: c.args, opened: index })
      events.push({ index, call: c, fd: c.result, flags: c.args, opened: index })
      return
    }
    const fd = Number(/^(\d+)/.exec(c.args)?.[1] ?? NaN)
    const o = open.get(fd)
    if (o === undefined) return
    events.push({ index, call: c, fd, ...o })
    if (c.name === "close") open.delete(fd)
  })
  return events
}

/** Where the status lock was taken (flock LOCK_EX on the status lock file's descriptor) and freed. */
const statusLock = (calls: ReadonlyArray<Call>, lockPath: string) => {
  const opened = calls.findIndex((x) => x.name === "openat" && x.args.includes(JSON.stringify(lockPath)) && x.result >= 0)
  const fd = opened < 0 ? -1 : calls[opened].result
  const lockTaken = calls.findIndex((x, i) => i > opened && x.name === "flock" && x.args.startsWith(`${fd}, LOCK_EX`) && x.result === 0)
  const lockFreed = calls.findIndex((x, i) => i > lockTaken && x.name === "flock" && x.args.startsWith(`${fd}, LOCK_UN`))
  return { lockTaken: opened < 0 ? -1 : lockTaken, lockFreed }
}

describe("what an append costs, seen in its system calls", () => {
  // Shown failing: with the fsync after the append taken out of RepoWrite.append (a scratch build), the
  // "fsynced before the acknowledgement" assertion fails; with the checkpoint removed before the traced
  // commands (the full fold), both "bytes read" assertions fail (the whole 4 MB log is read); with the
  // writer folding its own row through the id filter (`step` for `stepOwn` in MissionStatus.appendLines),
  // the emit reads the whole log (the filter, not loaded, says "perhaps").
  it("an emit on a 4 MB log with a valid checkpoint: one write, fsynced under the lock before it answers; it reads back only its own line and folds nothing before the checkpoint", { timeout: 120_000 }, () => {
    const r = setup(["WP01", "WP02", "WP03"])
    const base = fs.readFileSync(r.log, "utf8").split("\n")[0]
    const rows: Array<string> = []
    for (let i = 0; i < 9000; i++) {
      const row = JSON.parse(base)
      row.event_id = `01JZ2${String(i).padStart(21, "0")}`
      row.at = `2026-02-01T00:00:00.${String(i).padStart(6, "0")}+00:00`
      row.wp_id = `WP0${1 + (i % 3)}`
      row.from_lane = "planned"
      row.to_lane = i % 2 === 0 ? "blocked" : "planned"
      row.force = true
      row.reason = `move ${i} ` + "x".repeat(i % 300)
      rows.push(encodeLine(row as JsonValue))
    }
    fs.appendFileSync(r.log, rows.join("\n") + "\n")
    assert.strictEqual(run(r, ["status", "materialize", "--json"]).code, 0)
    const size = fs.statSync(r.log).size
    assert.isAbove(size, 4 * 1024 * 1024)

    // a reader with the checkpoint: the log's bytes it reads are a few KiB, whatever the history's length
    const show = traced(r, ["status", "show", "--mission", SLUG, "--json"])
    assert.strictEqual(show.code, 0)
    const shown = onLog(show.calls, r.log).filter((e) => e.call.name === "read" || e.call.name === "pread64")
    const shownBytes = shown.reduce((a, e) => a + Math.max(0, e.call.result), 0)
    assert.isAtMost(shownBytes, 64 * 1024, `show read ${shownBytes} bytes of a ${size}-byte log`)

    const c = traced(r, ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--force", "--reason", "traced", "--mission", SLUG, "--json"])
    assert.strictEqual(c.code, 0, c.stdout)
    const after = fs.statSync(r.log).size
    const line = after - size
    assert.strictEqual(fs.readFileSync(r.log).subarray(size).toString().split("\n").length, 2, "one line appended")
    const events = onLog(c.calls, r.log)
    const appendFds = events.filter((e) => e.call.name === "openat" && e.flags.includes("O_APPEND"))
    assert.strictEqual(appendFds.length, 1, "the log is opened for appending once")
    const onAppend = events.filter((e) => e.opened === appendFds[0].index)
    const writes = onAppend.filter((e) => e.call.name === "write" || e.call.name === "pwrite64")
    assert.strictEqual(writes.length, 1, "one write(2)")
    assert.strictEqual(writes[0].call.result, line, "the whole line in that write")
    const sync = onAppend.find((e) => (e.call.name === "fsync" || e.call.name === "fdatasync") && e.index > writes[0].index)
    assert.isDefined(sync, "the appended line is fsynced")
    // the lock: taken before the append, released after the fsync; the answer on stdout comes after both
    const { lockFreed, lockTaken } = statusLock(c.calls, r.lockPath)
    const answered = c.calls.findIndex((x) => x.name === "write" && x.args.startsWith("1,"))
    assert.isAbove(lockTaken, -1)
    assert.isBelow(lockTaken, appendFds[0].index, "the append is under the lock")
    assert.isAbove(lockFreed, sync!.index, "the lock is held until the line is on disk")
    assert.isAbove(answered, sync!.index, "fsynced before the acknowledgement")
    // reads of the log: the last block before the checkpoint (a writer goes on hashing) and the read-back
    const reads = events.filter((e) => e.call.name === "read" || e.call.name === "pread64")
    const readBytes = reads.reduce((a, e) => a + Math.max(0, e.call.result), 0)
    assert.isAtMost(readBytes, 1024 * 1024 + line, `emit read ${readBytes} bytes of a ${size}-byte log`)
    const readBack = reads.filter((e) => e.index > sync!.index)
    assert.deepStrictEqual(readBack.map((e) => e.call.name), ["pread64"], "one read-back")
    assert.match(readBack[0].call.args, new RegExp(`, ${line}, ${size}$`), "exactly the appended bytes, at their offset")
    assert.strictEqual(readBack[0].call.result, line)
    // the checkpoint's id filter (9,000 ids) is neither read nor rewritten: the emit's own id is new by
    // construction, and the header carries it until the recent ids outgrow it
    assert.isTrue(fs.readdirSync(r.checkpoints).some((n) => n.includes(".checkpoint.ids-")), "the checkpoint has an id filter")
    const filterCalls = c.calls.filter((x) => x.args.includes(".checkpoint.ids-"))
    assert.deepStrictEqual(filterCalls.map((x) => `${x.name}(${x.args})`), [], "no system call on the id filter")
  })

  // Shown failing with the repair moved before the lock (a scratch build running repairTail before the
  // transition's withLock): "cut under the lock" fails, the ftruncate comes before the flock.
  it("a torn tail is cut back with ftruncate and fsynced under the lock, before the new line is appended", { timeout: 60_000 }, () => {
    const r = setup()
    const clean = fs.statSync(r.log).size
    fs.appendFileSync(r.log, "{\"actor\": \"bob\", \"at\": \"2026-01-01T00:0")
    const c = traced(r, ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", SLUG, "--json"])
    assert.strictEqual(c.code, 0, c.stdout)
    const events = onLog(c.calls, r.log)
    const cut = events.filter((e) => e.call.name === "ftruncate")
    assert.strictEqual(cut.length, 1, "one cut")
    assert.strictEqual(cut[0].call.args, `${cut[0].fd}, ${clean}`, "back to the end of the last complete line")
    const synced = events.find((e) => e.opened === cut[0].opened && e.call.name === "fsync" && e.index > cut[0].index)
    assert.isDefined(synced, "the cut is fsynced")
    const appended = events.find((e) => e.call.name === "openat" && e.flags.includes("O_APPEND"))!
    const { lockFreed, lockTaken } = statusLock(c.calls, r.lockPath)
    assert.isAbove(lockTaken, -1)
    assert.isBelow(lockTaken, cut[0].index, "cut under the lock")
    assert.isBelow(synced!.index, appended.index, "cut and on disk before the append")
    assert.isAbove(lockFreed, appended.index, "one lock for the cut and the append")
    assert.strictEqual(jsonOf({ code: 0, stdout: c.stdout, stderr: "" }).warnings.length, 1, "reported")
  })
})

// spec-kitty's store (status/store.py): `_append_serialized_atomic` reads the log, adds a newline if it lacks
// one, writes existing + new rows to a mkstemp file in the same directory, fsyncs, os.replace()s it over the
// log and fsyncs the directory; `append_event` opens the log in append mode. Both run under spec-kitty's
// status lock (filelock, a kernel flock on the same path).
const PY_WRITER = `
import fcntl, json, os, sys, tempfile
log, lock, slug, mid, n, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
os.makedirs(os.path.dirname(lock), exist_ok=True)
for i in range(n):
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        row = {"actor": "spec-kitty", "at": "2026-06-01T00:00:%02d.000000+00:00" % i, "event_id": "01JZPY%020d" % i,
               "evidence": None, "execution_mode": "worktree", "force": True, "from_lane": "planned",
               "mission_id": mid, "mission_slug": slug, "policy_metadata": None, "reason": "python %d" % i,
               "review_ref": None, "to_lane": "blocked" if i % 2 == 0 else "planned", "wp_id": "WP02"}
        if i % 2 == 1:
            row["from_lane"] = "blocked"
        line = json.dumps(row, sort_keys=True) + "\\n"
        if mode == "append" and i % 3 == 2:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(line)
        else:
            existing = open(log, encoding="utf-8").read() if os.path.exists(log) else ""
            if existing and not existing.endswith("\\n"):
                existing += "\\n"
            tfd, tmp = tempfile.mkstemp(prefix=".status.events.jsonl.", suffix=".tmp", dir=os.path.dirname(log))
            with os.fdopen(tfd, "w", encoding="utf-8") as fh:
                fh.write(existing + line)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, log)
            dfd = os.open(os.path.dirname(log), os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
print("done", flush=True)
`

describe("interoperation with spec-kitty's writer on the same file and lock", () => {
  it("Python appends (os.replace and append mode) interleave with kittyctx's appends; every row kept, every fold exact", { timeout: 120_000 }, async () => {
    const r = setup(["WP01", "WP02", "WP03"])
    const py = spawn("python3", ["-c", PY_WRITER, r.log, r.lockPath, SLUG, MISSION_ID, "12", "append"])
    let pyOut = ""
    py.stdout.on("data", (d) => (pyOut += d))
    py.stderr.on("data", (d) => (pyOut += d))
    const pyDone = new Promise<number | null>((res) => py.on("close", res))
    const events: Array<string> = []
    const lanes = ["claimed", "in_progress", "blocked", "in_progress", "blocked", "in_progress"]
    for (const to of lanes) {
      const c = await runCliAsync(r.repo, ["status", "emit", "WP01", "--to", to, "--actor", "alice", "--mission", SLUG, "--json"], r.env())
      assert.strictEqual(c.code, 0, c.stdout + c.stderr)
      events.push(jsonOf(c).event.event_id)
      const show = await runCliAsync(r.repo, ["status", "show", "--mission", SLUG, "--json"], r.env())
      assert.strictEqual(show.code, 0, show.stderr)
    }
    assert.strictEqual(await pyDone, 0, pyOut)
    const text = fs.readFileSync(r.log, "utf8")
    assert.isTrue(text.endsWith("\n"))
    const rows = text.split("\n").slice(0, -1).map((l) => JSON.parse(l))
    assert.strictEqual(rows.length, 3 + 12 + lanes.length, "bootstrap rows, Python's rows and kittyctx's rows, nothing lost")
    for (const id of events) assert.isTrue(rows.some((x) => x.event_id === id))
    // one more kittyctx write refreshes the checkpoint over Python's rows; every read then equals a fold without it
    const last = emit(r, "WP03", "claimed")
    assert.strictEqual(last.code, 0, last.stdout + last.stderr)
    const withCheckpoint = run(r, ["status", "show", "--json"])
    fs.rmSync(r.checkpoints, { recursive: true, force: true })
    const without = run(r, ["status", "show", "--json"])
    assert.strictEqual(withCheckpoint.stdout, without.stdout)
    assert.strictEqual(fs.readFileSync(r.statusJson, "utf8"), without.stdout, "status.json is the fold of the whole log")
    assert.strictEqual(JSON.parse(without.stdout).work_packages.WP02.lane, "planned", "Python's last row for WP02 is folded")
    assert.strictEqual(run(r, ["status", "validate", "--json"]).code, 0)
  })
})

const mkfifo = (p: string) => {
  const made = spawnSync("mkfifo", [p])
  assert.strictEqual(made.status, 0, String(made.stderr))
}

describe("hostile files: a structured error, exit 1, nothing changed", () => {
  it("a FIFO in place of status.events.jsonl never blocks any status command", { timeout: 60_000 }, () => {
    const r = setup()
    fs.rmSync(r.log)
    mkfifo(r.log)
    refusedEverywhere(r, "NOT_A_REGULAR_FILE", (e) => assert.strictEqual(e.path, r.log))
  })

  it("a FIFO in place of status.json: the emit refuses before appending and leaves the lock free", { timeout: 60_000 }, () => {
    const r = setup()
    mkfifo(r.statusJson)
    const before = fingerprint(r.repo)
    const log = fs.readFileSync(r.log, "utf8")
    const c = emit(r, "WP01", "claimed")
    assert.strictEqual(c.code, 1, c.stdout + c.stderr)
    const out = jsonOf(c)
    assert.strictEqual(out.error.code, "NOT_A_REGULAR_FILE")
    assert.strictEqual(out.error.path, r.statusJson)
    assert.strictEqual(fs.readFileSync(r.log, "utf8"), log, "nothing was appended")
    assert.deepStrictEqual(fingerprint(r.repo), before)
    // refused before the lock was taken (no lock file), or taken and released
    const free = spawnSync("python3", ["-c", "import fcntl,os,sys\nif os.path.exists(sys.argv[1]):\n  fd=os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", r.lockPath])
    assert.strictEqual(free.status, 0, `the status lock is free again: ${free.stderr}`)
    const m = run(r, ["status", "materialize", "--json"])
    assert.strictEqual(m.code, 1)
    assert.strictEqual(jsonOf(m).error.code, "NOT_A_REGULAR_FILE")
  })

  it("a row nested 20,000 levels deep (valid JSON) is STATUS_LOG_INVALID naming its line in every command", { timeout: 60_000 }, () => {
    const r = setup()
    const deep = "[".repeat(20000) + "]".repeat(20000)
    const claim = fs.readFileSync(r.log, "utf8").split("\n")[0]
      .replace("\"from_lane\": \"genesis\"", "\"from_lane\": \"planned\"")
      .replace("\"to_lane\": \"planned\"", "\"to_lane\": \"claimed\"")
      .replace("\"event_id\": \"01JZ0000000000000000000000\"", "\"event_id\": \"01JZ0000000000000000000900\"")
      .replace("\"policy_metadata\": null", `"policy_metadata": {"agent": ${deep}}`)
    fs.appendFileSync(r.log, claim + "\n")
    refusedEverywhere(r, "STATUS_LOG_INVALID", (e) => {
      assert.strictEqual(e.line, 3)
      assert.strictEqual(e.message, "Invalid event structure on line 3: nested more than 256 levels deep")
    })
    const v = jsonOf(run(r, ["status", "validate", "--json"]))
    assert.isTrue(v.errors.some((f: { code: string; line?: number }) => f.code === "LOG_CORRUPT" && f.line === 3), JSON.stringify(v))
  })

  it("a line that is not UTF-8 is refused with its line; the next emit never rewrites it", { timeout: 60_000 }, () => {
    const r = setup()
    const bad = Buffer.from(fs.readFileSync(r.log, "utf8").split("\n")[1].replace("finalize-tasks", "finalize-t\u00e9sks"), "utf8")
    bad[bad.indexOf(0xc3)] = 0xe9
    fs.appendFileSync(r.log, Buffer.concat([bad.subarray(0, bad.length), Buffer.from("\n")]))
    refusedEverywhere(r, "FILE_NOT_UTF8", (e) => {
      assert.strictEqual(e.line, 3)
      assert.strictEqual(e.path, r.log)
    })
  })
})
