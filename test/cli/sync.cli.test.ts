/**
 * `kittyctx sync …` seen from outside (docs/surfaces.md §8): the built binary as a real process, real
 * git repositories, and a real CloudEvents sink on loopback that fails (500, a hang past the timeout,
 * 429 with Retry-After, 503) and recovers. The sink de-duplicates on the event id, so "exactly once" is
 * what it observes; delivery itself is at least once. Needs `npm run build` first.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { buildF2, pyJson, transitionRow } from "../support/fixtures.js"
import { CLI, commitAll, git, isolatedEnv, makeRepo, makeTemp, missionFiles, removeTemp, runCliAsync, writeFiles } from "../support/repo.js"
import type { CliRun } from "../support/repo.js"
import { seenIdsOf, startSink } from "../support/sink.js"
import type { TestSink } from "../support/sink.js"
import { treeMap } from "../support/fingerprint.js"

const temps: Array<string> = []
const sinks: Array<TestSink> = []
afterAll(async () => {
  for (const s of sinks) await s.close()
  temps.forEach(removeTemp)
})

const MID = (k: number) => `01JZSYNC${String(k).padStart(2, "0")}${"0".repeat(16)}`
const evId = (k: number, i: number) => `01JZ${String(k).padStart(2, "0")}${String(i).padStart(20, "0")}`
const atOf = (i: number) => `2026-01-01T${String(Math.floor(i / 3600) % 24).padStart(2, "0")}:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.000000+00:00`

/** One transition row in spec-kitty's line format. */
const row = (slug: string, missionId: string | null, k: number, i: number): string =>
  pyJson(transitionRow({
    wp: `WP${String((i % 98) + 1).padStart(2, "0")}`,
    from: "planned",
    to: "claimed",
    missionId,
    slug,
    eventId: evId(k, i),
    at: atOf(i),
    actor: "agent"
  }))

interface MissionPlan {
  readonly slug: string
  readonly k: number
  readonly events: number
  /** No mission_id: the cursor key is `legacy:<dir>`. */
  readonly legacy?: boolean
}

/** A committed project with missions whose logs hold `events` rows each. */
const makeProject = (missions: ReadonlyArray<MissionPlan>) => {
  const root = makeRepo()
  temps.push(path.dirname(root))
  const lines = new Map<string, Array<string>>()
  const files: Record<string, string> = {}
  for (const m of missions) {
    const mid = m.legacy === true ? null : MID(m.k)
    const rows = Array.from({ length: m.events }, (_, i) => row(m.slug, mid, m.k, i))
    lines.set(m.slug, rows)
    files[`kitty-specs/${m.slug}/meta.json`] = JSON.stringify(
      { ...(mid === null ? {} : { mission_id: mid }), mission_slug: m.slug, slug: m.slug, mission_type: "software-dev", target_branch: "main" },
      null,
      2
    ) + "\n"
    files[`kitty-specs/${m.slug}/status.events.jsonl`] = rows.join("\n") + "\n"
  }
  writeFiles(root, files)
  commitAll(root, "missions")
  const logOf = (slug: string) => path.join(root, "kitty-specs", slug, "status.events.jsonl")
  const idsOf = (slug: string) => lines.get(slug)!.map((l) => JSON.parse(l).event_id as string)
  return { root, lines, logOf, idsOf }
}

/** A runtime root and the CLI run in its environment. */
const runtime = () => {
  const base = makeTemp("kittyctx-sync-")
  temps.push(base)
  const home = path.join(base, "runtime")
  const env = isolatedEnv(base, { KITTYCTX_HOME: home, SINK_TOKEN: "s3cret-token" })
  const cli = (cwd: string, args: ReadonlyArray<string>): Promise<CliRun> => runCliAsync(cwd, args, env)
  const cursors = () => {
    const sync = path.join(home, "sync")
    const out: Array<Record<string, any>> = []
    if (!fs.existsSync(sync)) return out
    for (const scope of fs.readdirSync(sync)) {
      const dir = path.join(sync, scope, "cursors")
      if (!fs.existsSync(dir)) continue
      for (const f of fs.readdirSync(dir).filter((n) => !n.includes(".seen."))) {
        const head = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))
        const seen = seenIdsOf(path.join(dir, f.replace(/\.json$/, ".seen.jsonl")))
        assert.isAtLeast(seen.length, head.seen_count, "the seen ids are written before the head")
        out.push({ ...head, seen })
      }
    }
    return out
  }
  return { base, home, env, cli, cursors }
}

const ok = (run: CliRun, what: string): Record<string, any> => {
  assert.strictEqual(run.code, 0, `${what} failed (${run.code}): ${run.stdout}${run.stderr}`)
  const lines = run.stdout.split("\n").filter((l) => l !== "")
  return lines.length === 1 && lines[0].startsWith("{") ? JSON.parse(lines[0]) : {}
}

const fastConfig = ["--request-timeout-ms", "300", "--backoff-base-ms", "5", "--backoff-cap-ms", "50", "--max-attempts", "10"]

const setUp = async (rt: ReturnType<typeof runtime>, sink: TestSink, roots: ReadonlyArray<string>, extra: ReadonlyArray<string> = []) => {
  ok(await rt.cli(roots[0], ["sync", "config", "--sink", sink.url, "--token-env", "SINK_TOKEN", ...fastConfig, ...extra, "--json"]), "config")
  for (const r of roots) ok(await rt.cli(r, ["sync", "register", "--json"]), "register")
}

describe("sync push: delivery to a CloudEvents sink", () => {
  it.live("a failing sink (500, timeout, 429 Retry-After, 503) that recovers gets every event, in log order, exactly once", () =>
    Effect.promise(async () => {
      const p = makeProject([
        { slug: "alpha-mission", k: 1, events: 40 },
        { slug: "beta-legacy", k: 2, events: 15, legacy: true }
      ])
      const script = (n: number) =>
        n === 1
          ? { status: 500 }
          : n === 2
          ? { hang: true as const }
          : n === 3
          ? { status: 429, retryAfter: "1" }
          : n === 4
          ? { status: 503, body: "maintenance" }
          : { status: 200 }
      const sink = await startSink(script)
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root], ["--batch-max-events", "7"])
      const out = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push")
      const expected = [...p.idsOf("alpha-mission"), ...p.idsOf("beta-legacy")]
      assert.deepStrictEqual(sink.order, expected, "every event, in log order")
      assert.strictEqual(sink.delivered.size, 55)
      assert.strictEqual(out.delivered, 55)
      assert.strictEqual(out.pending, 0)
      // the four failures were retries of the first batch: same body, same Idempotency-Key
      const first = sink.requests.slice(0, 5)
      assert.deepStrictEqual(new Set(first.map((r) => r.headers["idempotency-key"])).size, 1)
      assert.deepStrictEqual(new Set(first.map((r) => r.body)).size, 1)
      assert.isAtLeast(sink.requests[3].at - sink.requests[2].at, 990, "Retry-After: 1 was honoured")
      for (const r of sink.requests) {
        assert.strictEqual(r.headers["content-type"], "application/cloudevents-batch+json")
        assert.strictEqual(r.headers.authorization, "Bearer s3cret-token")
        assert.match(String(r.headers["idempotency-key"]), /^[0-9a-f]{32}$/)
        assert.isAtMost(r.ids.length, 7)
      }
      // CloudEvents 1.0: id = event_id, source = project + mission, type by kind, time = the event's, data = the row as logged
      const alpha = sink.delivered.get(evId(1, 3))!
      assert.strictEqual(alpha.specversion, "1.0")
      assert.strictEqual(alpha.type, "dev.kittyctx.status.transition")
      assert.strictEqual(alpha.time, atOf(3))
      assert.strictEqual(alpha.subject, "WP04")
      assert.match(String(alpha.source), new RegExp(`^/kittyctx/projects/[0-9a-f]{16}/missions/${MID(1)}$`))
      assert.match(String(sink.delivered.get(evId(2, 0))!.source), /\/missions\/legacy%3Abeta-legacy$/)
      const line = p.lines.get("alpha-mission")![3]
      assert.include(sink.requests.find((r) => r.ids.includes(evId(1, 3)))!.body, `"data":${line}}`, "data is the line's own text")
      // caught up: a second push sends nothing
      const before = sink.requests.length
      const again = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push again")
      assert.strictEqual(again.delivered, 0)
      assert.strictEqual(sink.requests.length, before)
      const status = ok(await rt.cli(p.root, ["sync", "status", "--json"]), "status")
      assert.strictEqual(status.projects[0].pending, 0)
      assert.strictEqual(status.projects[0].consecutive_failures, 0)
      assert.isString(status.projects[0].last_success_at)
    }), 180_000)
})



describe("sync push: refusals", () => {
  it.live("a batch the sink rejects is retried event by event; the event still rejected is dead-lettered, the rest delivered in order", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "gamma-mission", k: 3, events: 12 }])
      const poison = evId(3, 5)
      const sink = await startSink((_, ids) => (ids.includes(poison) ? { status: 422, body: "{\"error\":\"bad event\"}" } : { status: 200 }))
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root], ["--batch-max-events", "4"])
      const out = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push")
      assert.strictEqual(out.delivered, 11)
      assert.strictEqual(out.dead_lettered, 1)
      assert.deepStrictEqual(sink.order, p.idsOf("gamma-mission").filter((id) => id !== poison))
      const scope = fs.readdirSync(path.join(rt.home, "sync")).find((n) => /^[0-9a-f]{16}$/.test(n))!
      const letters = fs.readFileSync(path.join(rt.home, "sync", scope, "dead-letter.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))
      assert.strictEqual(letters.length, 1)
      assert.strictEqual(letters[0].event_id, poison)
      assert.strictEqual(letters[0].status, 422)
      assert.strictEqual(letters[0].event.id, poison)
      assert.deepStrictEqual(letters[0].event.data, JSON.parse(p.lines.get("gamma-mission")![5]))
      const status = ok(await rt.cli(p.root, ["sync", "status", "--json"]), "status")
      assert.strictEqual(status.projects[0].dead_letters, 1)
      assert.strictEqual(status.projects[0].pending, 0)
      // the dead letter is not sent again
      const n = sink.requests.length
      ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push again")
      assert.strictEqual(sink.requests.length, n)
    }), 180_000)

  it.live("a sink refusing the credentials (401) stops delivery without dead-lettering anything; a missing token variable sends nothing", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "delta-mission", k: 4, events: 5 }])
      const sink = await startSink(() => ({ status: 401 }))
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root])
      const run = await rt.cli(p.root, ["sync", "push", "--json"])
      assert.strictEqual(run.code, 1)
      const out = JSON.parse(run.stdout)
      assert.strictEqual(out.error.code, "SINK_REFUSED")
      assert.strictEqual(out.error.status, 401)
      assert.strictEqual(sink.requests.length, 1, "a refusal is not retried event by event")
      assert.isFalse(fs.readdirSync(path.join(rt.home, "sync")).some((scope) => fs.existsSync(path.join(rt.home, "sync", scope, "dead-letter.jsonl"))))
      const status = ok(await rt.cli(p.root, ["sync", "status", "--json"]), "status")
      assert.strictEqual(status.projects[0].pending, 5)
      // the oldest pending event is the first row (2026-01-01T00:00:00), aged by the clock, per project and per mission
      const age = Math.floor((Date.now() - Date.parse(atOf(0))) / 1000)
      assert.approximately(status.projects[0].oldest_pending_age_seconds, age, 120)
      assert.deepStrictEqual(status.projects[0].missions.map((m: Record<string, any>) => [m.mission, m.pending]), [["delta-mission", 5]])
      assert.approximately(status.projects[0].missions[0].oldest_pending_age_seconds, age, 120)
      assert.isNull(status.projects[0].last_success_at)
      assert.isFalse(status.daemon.running, "no daemon")
      assert.strictEqual(status.projects[0].consecutive_failures, 1)
      assert.match(status.projects[0].last_error, /^SINK_REFUSED: HTTP 401/)
      const noToken = await runCliAsync(p.root, ["sync", "push", "--json"], { ...rt.env, SINK_TOKEN: "" })
      assert.strictEqual(noToken.code, 1)
      assert.strictEqual(JSON.parse(noToken.stdout).error.code, "SINK_TOKEN_MISSING")
      assert.strictEqual(sink.requests.length, 1)
    }), 180_000)

  it.live("configuration is checked: no sink, credentials in the URL, a bad variable name, a project outside any repository", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "eps-mission", k: 5, events: 1 }])
      const rt = runtime()
      const none = await rt.cli(p.root, ["sync", "push", "--json"])
      assert.strictEqual(none.code, 1)
      assert.strictEqual(JSON.parse(none.stdout).error.code, "SYNC_NOT_CONFIGURED")
      const creds = await rt.cli(p.root, ["sync", "config", "--sink", "https://user:pw@example.com/x", "--json"])
      assert.strictEqual(creds.code, 1)
      const err = JSON.parse(creds.stdout).error
      assert.strictEqual(err.code, "CONFIG_INVALID")
      assert.notInclude(creds.stdout, "pw@", "the password is never echoed")
      const badEnv = await rt.cli(p.root, ["sync", "config", "--sink", "http://127.0.0.1:1/x", "--token-env", "NOT-A-NAME", "--json"])
      assert.strictEqual(JSON.parse(badEnv.stdout).error.code, "CONFIG_INVALID")
      assert.strictEqual((await rt.cli(p.root, ["sync", "config", "--sink", "ftp://x/y", "--json"])).code, 1)
      const outside = await rt.cli(rt.base, ["sync", "register", "--json"])
      assert.strictEqual(outside.code, 1)
      assert.strictEqual(JSON.parse(outside.stdout).error.code, "PROJECT_ROOT_UNRESOLVED")
      assert.strictEqual((await rt.cli(p.root, ["sync", "config", "--token-env", "X", "--no-token"])).code, 2)
      // registering from a subdirectory names the primary root; unregistering removes it
      const sub = path.join(p.root, "kitty-specs", "eps-mission")
      assert.strictEqual(ok(await rt.cli(sub, ["sync", "register", "--json"]), "register").root, p.root)
      assert.isTrue(ok(await rt.cli(p.root, ["sync", "register", "--json"]), "register").already)
      assert.isTrue(ok(await rt.cli(p.root, ["sync", "unregister", "--json"]), "unregister").unregistered)
      assert.isFalse(ok(await rt.cli(p.root, ["sync", "unregister", "--json"]), "unregister").unregistered)
    }), 180_000)
})

/** Runs `sync push` as a child that the sink SIGKILLs when request `killAt` arrives (before answering it). */
const pushKilledAt = (rt: ReturnType<typeof runtime>, cwd: string, sink: { onRequest: (n: number) => void }, killAt: number) =>
  new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [CLI, "sync", "push", "--json"], { cwd, env: rt.env, stdio: "ignore" })
    sink.onRequest = (n) => {
      if (n === killAt) child.kill("SIGKILL")
    }
    child.on("exit", (code, signal) => resolve(signal === "SIGKILL" ? null : code))
  })

/** A small seeded PRNG (mulberry32): fixed "random" kill points. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("sync push: crashes", () => {
  it.live("SIGKILL of sync push at random points during delivery, then a restart: nothing lost, the cursor never moves backwards", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "zeta-mission", k: 6, events: 3000 }])
      const hook = { onRequest: (_n: number) => {} }
      let total = 0
      const sink = await startSink(() => ({ status: 200 }), () => hook.onRequest(++total))
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root], ["--batch-max-events", "50"])
      const random = prng(20260113)
      let previous = { offset: 0, seen: new Set<string>() }
      const observed: Array<number> = []
      let kills = 0
      for (let run = 0; run < 6; run++) {
        // kill while the request after 10..35 more is in flight (acknowledged by the sink, not yet by the pusher);
        // 20 requests of 50 events pass the 1,000-event checkpoint, so kills fall before and after checkpoints
        const killAt = total + 10 + Math.floor(random() * 26)
        const code = await pushKilledAt(rt, p.root, hook, killAt)
        if (code !== null) {
          assert.strictEqual(code, 0, "a push that was not killed finished")
          break
        }
        kills++
        const cursor = rt.cursors()[0]
        if (cursor !== undefined) {
          assert.isAtLeast(cursor.offset, previous.offset, "the cursor never moves backwards")
          const seen = new Set<string>(cursor.seen)
          for (const id of previous.seen) assert.isTrue(seen.has(id), "no delivered id is forgotten")
          // everything the cursor covers was acknowledged by the sink
          for (const id of seen) assert.isTrue(sink.delivered.has(id), `${id} is in the cursor but was never acknowledged`)
          previous = { offset: cursor.offset, seen }
          observed.push(cursor.offset)
        }
      }
      assert.isAtLeast(kills, 2, "pushes were killed mid-delivery")
      hook.onRequest = () => {}
      const out = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "final push")
      assert.strictEqual(out.pending, 0)
      assert.deepStrictEqual(sink.order, p.idsOf("zeta-mission"), "nothing lost, in order")
      const final = rt.cursors()[0]
      assert.strictEqual(final.offset, fs.statSync(p.logOf("zeta-mission")).size)
      assert.isAtLeast(final.offset, previous.offset)
      assert.strictEqual(final.seen.length, 3000)
      assert.isAbove(observed.length, 0, "some kill came after a checkpoint")
    }), 180_000)
})

describe("sync push: logs rewritten by a merge", () => {
  it.live("a merge that re-sorts a log: the log is rescanned and only the new ids are sent", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "eta-mission", k: 7, events: 10 }])
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root])
      const log = p.logOf("eta-mission")
      const rel = path.relative(p.root, log)
      // main gains an event late in time; pushed
      const mainRow = row("eta-mission", MID(7), 7, 100)
      fs.appendFileSync(log, mainRow + "\n")
      commitAll(p.root, "main: one more event")
      git(p.root, ["branch", "other", "HEAD~1"])
      ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push")
      assert.strictEqual(sink.delivered.size, 11)
      // another branch added two events whose times fall between the old ones
      git(p.root, ["checkout", "-q", "other"])
      const x1 = row("eta-mission", MID(7), 7, 50)
      const x2 = row("eta-mission", MID(7), 7, 51)
      fs.appendFileSync(log, x1 + "\n" + x2 + "\n")
      commitAll(p.root, "other: two events")
      git(p.root, ["checkout", "-q", "main"])
      try {
        git(p.root, ["merge", "-q", "--no-edit", "other"])
      } catch {
        // the appends conflict; resolve as the event-log union does: every row once, sorted by time then id
      }
      const union = [...p.lines.get("eta-mission")!, mainRow, x1, x2].sort((a, b) => {
        const ra = JSON.parse(a)
        const rb = JSON.parse(b)
        return ra.at < rb.at ? -1 : ra.at > rb.at ? 1 : ra.event_id < rb.event_id ? -1 : 1
      })
      fs.writeFileSync(log, union.join("\n") + "\n")
      git(p.root, ["add", rel])
      git(p.root, ["commit", "-q", "--no-edit"])
      const before = sink.requests.length
      const out = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push after merge")
      const sent = sink.requests.slice(before).flatMap((r) => r.ids)
      assert.deepStrictEqual(sent, [evId(7, 50), evId(7, 51)], "only the new ids")
      assert.isTrue(out.projects[0].missions[0].rescanned)
      assert.strictEqual(out.delivered, 2)
      // the rescanned cursor now matches the rewritten log: the next push reads nothing again
      const n = sink.requests.length
      const again = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push again")
      assert.isFalse(again.projects[0].missions[0].rescanned)
      assert.strictEqual(sink.requests.length, n)
    }), 180_000)

  it.live("a log handled completely records its signature; one rewritten in place with the same size is read again; a cursor that cannot be trusted fails its log only", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "kappa-mission", k: 10, events: 6 }, { slug: "lambda-mission", k: 11, events: 2 }])
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root])
      ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push")
      const cursor = rt.cursors().find((c) => c.key.mission === MID(10))!
      assert.strictEqual(cursor.signature.size, fs.statSync(p.logOf("kappa-mission")).size, "the signature of a log handled completely")
      // same size, same mtime second, another id in the last line: the signature (mtime_ns) differs, so the log is read
      const log = p.logOf("kappa-mission")
      const text = fs.readFileSync(log, "utf8")
      const rewritten = text.replace(evId(10, 5), evId(10, 9))
      assert.strictEqual(rewritten.length, text.length)
      fs.writeFileSync(log, rewritten)
      const before = sink.requests.length
      const out = ok(await rt.cli(p.root, ["sync", "push", "--json"]), "push after rewrite")
      assert.deepStrictEqual(sink.requests.slice(before).flatMap((r) => r.ids), [evId(10, 9)])
      assert.isTrue(out.projects[0].missions.find((m: { mission: string }) => m.mission === "kappa-mission").rescanned)
      // a cursor that cannot be trusted is never read as absent: that log fails, the others are delivered
      const dir = path.join(rt.home, "sync", fs.readdirSync(path.join(rt.home, "sync")).find((n) => /^[0-9a-f]{16}$/.test(n))!, "cursors")
      const head = fs.readdirSync(dir).find((f) => !f.includes(".seen.") && JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).key.mission === MID(11))!
      fs.writeFileSync(path.join(dir, head), "{\"broken\": true}")
      fs.appendFileSync(log, row("kappa-mission", MID(10), 10, 20) + "\n")
      const failed = await rt.cli(p.root, ["sync", "push", "--json"])
      assert.strictEqual(failed.code, 1)
      const err = JSON.parse(failed.stdout).error
      assert.strictEqual(err.code, "SYNC_STATE_UNREADABLE")
      assert.strictEqual(err.mission, "lambda-mission")
      assert.isTrue(sink.delivered.has(evId(10, 20)), "the other log was delivered")
    }), 180_000)

  it.live("concurrent pushes are serialised by the delivery lock: no event is sent twice", () =>
    Effect.promise(async () => {
      const p = makeProject([{ slug: "theta-mission", k: 8, events: 300 }])
      const sink = await startSink()
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [p.root], ["--batch-max-events", "10"])
      const runs = await Promise.all([0, 1, 2].map(() => rt.cli(p.root, ["sync", "push", "--json"])))
      for (const r of runs) ok(r, "push")
      const sent = sink.requests.flatMap((r) => r.ids)
      assert.strictEqual(sent.length, 300, "each event sent once")
      assert.deepStrictEqual(sink.order, p.idsOf("theta-mission"))
      assert.strictEqual(runs.map((r) => JSON.parse(r.stdout).delivered as number).reduce((a, b) => a + b, 0), 300)
    }), 180_000)
})

/** Every entry under `root` (directories and the git dir included): kind, content hash, size, mtime. */
const snapshotTree = (root: string): Map<string, string> => treeMap(root, { dirs: true, stat: true })

const porcelain = (root: string) =>
  git(root, ["status", "--porcelain", "--ignored"], { ...isolatedEnv(path.dirname(root)), GIT_OPTIONAL_LOCKS: "0" })

describe("sync reads, never writes, the repositories", () => {
  it.live("two registered projects with traffic (one a coordination mission not materialised): bytes, mtimes, git status unchanged; no index.lock ever", () =>
    Effect.promise(async () => {
      const a = makeProject([{ slug: "iota-mission", k: 9, events: 60 }])
      const f2 = buildF2("UNMATERIALIZED-local")
      temps.push(f2.base)
      let n = 0
      const sink = await startSink(() => (++n % 3 === 1 ? { status: 503 } : { status: 200 }))
      sinks.push(sink)
      const rt = runtime()
      await setUp(rt, sink, [a.root, f2.root], ["--batch-max-events", "8"])
      const roots = [a.root, f2.root]
      const before = roots.map(snapshotTree)
      const statusBefore = roots.map(porcelain)
      const events: Array<string> = []
      const watchers = roots.map((r) => fs.watch(r, { recursive: true }, (kind, name) => events.push(`${kind} ${r}/${String(name)}`)))
      try {
        for (const r of roots) ok(await rt.cli(r, ["sync", "push", "--json"]), "push")
        ok(await rt.cli(a.root, ["sync", "push", "--json"]), "push again")
        ok(await rt.cli(f2.root, ["sync", "status", "--json"]), "status")
        await new Promise((resolve) => setTimeout(resolve, 100)) // let the watchers report
      } finally {
        watchers.forEach((w) => w.close())
      }
      assert.deepStrictEqual(events, [], "no file in either repository was created, changed or removed")
      assert.isFalse(events.some((e) => e.includes("index.lock")))
      roots.forEach((r, i) => {
        assert.deepStrictEqual(snapshotTree(r), before[i], `${r}: bytes and mtimes`)
        assert.strictEqual(porcelain(r), statusBefore[i], `${r}: git status --porcelain --ignored`)
      })
      assert.isFalse(fs.existsSync(f2.coordRoot), "the coordination worktree was not materialised")
      assert.isAbove(sink.delivered.size, 60, "events of both projects were delivered")
    }), 180_000)
})

describe("the backlog warning of status-writing commands", () => {
  it.live("warns once when events have waited past the threshold and no daemon is alive; silent once delivered", () =>
    Effect.promise(async () => {
      const slug = "warn-mission-01JZWARN"
      const root = makeRepo()
      temps.push(path.dirname(root))
      writeFiles(root, missionFiles(slug, "01JZWARN000000000000000000", ["WP01", "WP02"]))
      commitAll(root, "mission")
      const rt = runtime()
      const emit = (wp: string, to: string) => rt.cli(root, ["status", "emit", wp, "--to", to, "--actor", "alice", "--mission", slug, "--json"])
      // not configured, not registered: nothing
      const quiet = await emit("WP01", "claimed")
      assert.strictEqual(quiet.code, 0, quiet.stderr)
      assert.notInclude(quiet.stderr, "warning")
      const sink = await startSink(() => ({ status: 503 }))
      sinks.push(sink)
      ok(await rt.cli(root, ["sync", "config", "--sink", sink.url, "--max-attempts", "1", "--json"]), "config")
      const unregistered = await emit("WP02", "claimed")
      assert.notInclude(unregistered.stderr, "warning", "an unregistered project is not forwarded: no warning")
      ok(await rt.cli(root, ["sync", "register", "--json"]), "register")
      const warned = await emit("WP01", "in_progress")
      assert.strictEqual(warned.code, 0)
      assert.strictEqual(JSON.parse(warned.stdout).ok, true, "stdout still carries only the result")
      const lines = warned.stderr.split("\n").filter((l) => l.startsWith("warning:"))
      assert.strictEqual(lines.length, 1, warned.stderr)
      assert.match(lines[0], /^warning: 5 status event\(s\) of this mission have waited .* no sync daemon is running; run 'kittyctx sync push'/)
      // a push that fails leaves the warning; one that succeeds removes it
      assert.strictEqual((await rt.cli(root, ["sync", "push", "--json"])).code, 1)
      await sink.close()
      const good = await startSink()
      sinks.push(good)
      ok(await rt.cli(root, ["sync", "config", "--sink", good.url, "--json"]), "config")
      ok(await rt.cli(root, ["sync", "push", "--json"]), "push")
      const after = await emit("WP02", "in_progress")
      assert.strictEqual(after.code, 0)
      assert.notInclude(after.stderr, "warning", "the only pending event is fresh")
    }), 180_000)
})
