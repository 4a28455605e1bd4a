/**
 * The reaper on a fake process table (docs/surfaces.md §8.4, A8.1-A8.7): positive attribution by root
 * marker, spawn shape, executable and entry, recorded owner and start time; a dry run signals nothing;
 * a pid whose start time changed between listing and signalling is not signalled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { daemonArgv } from "../../../src/core/sync/DaemonProcess.js"
import { encodeOwner } from "../../../src/core/sync/DaemonOwner.js"
import * as Processes from "../../../src/services/ports/Processes.js"
import * as RepoFs from "../../../src/services/ports/RepoFs.js"
import * as Spawner from "../../../src/services/ports/Spawner.js"
import { reapOrphans } from "../../../src/services/sync/Reaper.js"

const R = "/home/u/.kittyctx"
const S = "0123456789abcdef"
const S2 = "fedcba9876543210"
const NODE = "/usr/bin/node"
const ENTRY = "/opt/kittyctx/dist/kittyctx.cjs"
const self = { executable: NODE, entry: ENTRY }
const NOW_S = 1_800_000_000

const owner = (pid: number, startedAt: string, scope = S) =>
  encodeOwner({
    pid,
    pid_started_at: startedAt,
    port: 9400,
    token: "0123456789abcdef0123456789abcdef",
    instance_id: `i-${pid}`,
    protocol_version: 1,
    kittyctx_version: "0.1.0",
    executable_path: NODE,
    entry_path: ENTRY,
    runtime_root: R,
    scope_id: scope,
    sink_url: "https://sink.example/ce",
    auth_principal: null,
    started_at: "2026-01-01T00:00:00.000Z"
  })

interface Proc {
  readonly pid: number
  readonly argv: ReadonlyArray<string>
  readonly exe?: string
  readonly startedAt?: string | null
}

const world = (procs: ReadonlyArray<Proc>, files: Record<string, string> = {}) => {
  const table: Processes.ProcessTable = {
    processes: new Map(procs.map((p) => [p.pid, p.startedAt === undefined ? String(NOW_S - 3600) + ".00" : p.startedAt])),
    signalled: [],
    argv: new Map(procs.map((p) => [p.pid, p.argv])),
    executables: new Map(procs.flatMap((p) => (p.exe === undefined ? [] : [[p.pid, p.exe] as const])))
  }
  const tree = {
    [NODE]: "",
    [ENTRY]: "",
    "/opt/other/node": "",
    "/opt/other/kittyctx.cjs": "",
    "/usr/local/bin/node-link": { symlink: NODE },
    [`${R}/sync/`]: "",
    ...files
  }
  const layer = Layer.mergeAll(
    Processes.layerMemory(table),
    RepoFs.layerMemory(tree),
    Spawner.layerMemory({ spawned: [], identities: [], secret: null }, self)
  )
  return { table, layer }
}

const rt = { root: R, scope: { roots: [R] } }
const ours = (port: number, scope = S) => daemonArgv(self, R, scope, port)

const reap = (w: ReturnType<typeof world>, dryRun: boolean, lockedScope: string | null = S) =>
  Effect.runSync(reapOrphans(rt, { dryRun, lockedScope }).pipe(Effect.provide(w.layer)))

describe("reapOrphans (fake process table)", () => {
  it("A8.1 two orphans of this root, shape and build are reaped", () => {
    const w = world([{ pid: 1001, argv: ours(9401), exe: NODE }, { pid: 1002, argv: ours(9402), exe: NODE }])
    const out = reap(w, false)
    assert.deepStrictEqual(out.reaped, [1001, 1002])
    assert.deepStrictEqual(w.table.signalled.map((s) => s.pid), [1001, 1002])
  })

  it("A8.2/A8.3/A8.5 another root, another executable, a wrong shape; no marker is no candidate", () => {
    const w = world([
      { pid: 2001, argv: daemonArgv(self, "/other/root", S, 9401), exe: NODE },
      { pid: 2002, argv: daemonArgv({ executable: "/opt/other/node", entry: ENTRY }, R, S, 9402), exe: "/opt/other/node" },
      { pid: 2003, argv: daemonArgv({ executable: NODE, entry: "/opt/other/kittyctx.cjs" }, R, S, 9403), exe: NODE },
      { pid: 2004, argv: [NODE, ENTRY, "some_script.js", "--scope", S, `--kittyctx-daemon-root=${R}`, `--kittyctx-daemon-exec=${NODE}`], exe: NODE },
      { pid: 2005, argv: [NODE, ENTRY, "sync", "daemon", "run", "--scope", S], exe: NODE }
    ])
    const out = reap(w, false)
    assert.deepStrictEqual(out.reaped, [])
    assert.deepStrictEqual(out.skipped, [
      { pid: 2001, reason: "foreign_root" },
      { pid: 2002, reason: "executable_mismatch" },
      { pid: 2003, reason: "executable_mismatch" },
      { pid: 2004, reason: "shape_mismatch" }
    ])
    assert.deepStrictEqual(w.table.signalled, [])
  })

  it("A8.4 a stub executable path with our exec marker is ours; without the marker it is not", () => {
    const stubbed = ours(9401).map((a, i) => (i === 0 ? "/framework/stub" : a))
    const noMarker = [...stubbed.filter((a) => !a.startsWith("--kittyctx-daemon-exec=")), "--kittyctx-daemon-exec=/framework/stub"]
    const w = world([{ pid: 3001, argv: stubbed, exe: "/framework/stub" }, { pid: 3002, argv: noMarker, exe: "/framework/stub" }])
    const out = reap(w, false)
    assert.deepStrictEqual(out.reaped, [3001])
    assert.deepStrictEqual(out.skipped, [{ pid: 3002, reason: "executable_mismatch" }])
  })

  it("A8.4 a symlinked argv[0] resolves to our executable", () => {
    const viaLink = ours(9401).map((a, i) => (i === 0 ? "/usr/local/bin/node-link" : a.startsWith("--kittyctx-daemon-exec=") ? "--kittyctx-daemon-exec=/nowhere" : a))
    const w = world([{ pid: 3101, argv: viaLink }])
    assert.deepStrictEqual(reap(w, false).reaped, [3101])
  })

  it("A8.6 the recorded owner is never reaped, another scope's owner neither; an unreadable record attributes nothing", () => {
    const w = world(
      [
        { pid: 3001, argv: ours(9401), exe: NODE, startedAt: "1700000000.00" },
        { pid: 3002, argv: ours(9402), exe: NODE },
        { pid: 3003, argv: ours(9403, S2), exe: NODE, startedAt: "1700000000.00" },
        { pid: 3004, argv: ours(9404, "aaaaaaaaaaaaaaaa"), exe: NODE }
      ],
      {
        [`${R}/sync/${S}/owner.json`]: owner(3001, "1700000000.40"),
        [`${R}/sync/${S2}/owner.json`]: owner(3003, "1700000000.00", S2),
        [`${R}/sync/aaaaaaaaaaaaaaaa/owner.json`]: "{not json"
      }
    )
    const out = reap(w, false)
    assert.deepStrictEqual(out.reaped, [3002])
    assert.deepStrictEqual(out.skipped, [
      { pid: 3001, reason: "recorded_owner" },
      { pid: 3003, reason: "recorded_owner" },
      { pid: 3004, reason: "unattributable" }
    ])
  })

  it("A8.6 a pid whose start time changed between listing and signalling is not signalled", () => {
    const w = world([{ pid: 4001, argv: ours(9401), exe: NODE, startedAt: "1700000000.00" }])
    // the table answers identity with the start time it had when listed, then the pid is reused
    const base = w.layer
    const reused = Layer.effect(
      Processes.Processes,
      Effect.map(Processes.Processes, (p) =>
        Processes.Processes.of({
          ...p,
          identity: (pid) =>
            Effect.tap(p.identity(pid), () => Effect.sync(() => w.table.processes.set(4001, "1700000900.00")))
        }))
    ).pipe(Layer.provide(base))
    const out = Effect.runSync(reapOrphans(rt, { dryRun: false, lockedScope: S }).pipe(Effect.provide(Layer.merge(base, reused))))
    assert.deepStrictEqual(out.reaped, [])
    assert.deepStrictEqual(out.failed, [{ pid: 4001, failure: "reused" }])
    assert.deepStrictEqual(w.table.signalled, [])
  })

  it("A8.7 a dry run reports would_reap and signals nothing; an unknown start time and self are skipped", () => {
    const w = world([
      { pid: 5001, argv: ours(9401), exe: NODE },
      { pid: 5002, argv: ours(9402), exe: NODE, startedAt: null },
      { pid: process.pid, argv: ours(9403), exe: NODE }
    ])
    const out = reap(w, true)
    assert.deepStrictEqual(out.would_reap, [5001])
    assert.deepStrictEqual(out.reaped, [])
    assert.sameDeepMembers([...out.skipped], [{ pid: 5002, reason: "unattributable" }, { pid: process.pid, reason: "self" }])
    assert.deepStrictEqual(w.table.signalled, [])
  })

  it("a daemon of another scope still starting (younger than the grace) is left alone unless its scope's lock is held", () => {
    const young = String(Math.floor(Date.now() / 1000)) + ".00"
    const w = world([{ pid: 6001, argv: ours(9401, S2), exe: NODE, startedAt: young }])
    assert.deepStrictEqual(reap(w, true, S).skipped, [{ pid: 6001, reason: "starting" }])
    assert.deepStrictEqual(reap(w, true, S2).would_reap, [6001])
  })
})
