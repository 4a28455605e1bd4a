// Sync: events per second delivered by `sync push` to a loopback CloudEvents sink from a 100,000-event
// log, against a baseline that POSTs the same lines in the same batches from a bare node script
// (interleaved round by round); a push with nothing to send; and the daemon's idle memory and CPU over
// 60 s against a bare idle node process; and the daemon delivering the whole backlog itself (its peak, and
// what it keeps once idle).
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import { join } from "node:path"
import { CLI, env, git, median, row, work } from "./harness.mjs"

export const title = "sync: delivery throughput from a 100,000-event log; the daemon's idle memory and CPU"

const EVENTS = 100_000
const ROUNDS = 3
const SLUG = "bench-sync-01JZBNCH"
const MISSION_ID = "01JZBNCH000000000000000000"

const rowOf = (i) =>
  `{"actor": "bench", "at": "2026-01-01T00:00:00.${String(i % 1_000_000).padStart(6, "0")}+00:00", "event_id": "01JZ${String(i).padStart(22, "0")}", ` +
  `"evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "planned", "mission_id": "${MISSION_ID}", ` +
  `"mission_slug": "${SLUG}", "policy_metadata": null, "reason": "bench", "review_ref": null, "review_result": null, "to_lane": "claimed", ` +
  `"wp_id": "WP${String((i % 98) + 1).padStart(2, "0")}"}`

/** A loopback sink that de-duplicates on id and answers 200. */
const startSink = () =>
  new Promise((resolve) => {
    const ids = new Set()
    const server = http.createServer((req, res) => {
      const chunks = []
      req.on("data", (c) => chunks.push(c))
      req.on("end", () => {
        for (const e of JSON.parse(Buffer.concat(chunks).toString("utf8"))) ids.add(e.id)
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}/events`, ids, close: () => server.close() }))
  })

const runAsync = (args, cwd, extraEnv) =>
  new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { cwd, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      code === 0 ? resolve({ ms, out }) : reject(new Error(`${args.join(" ")} failed (${code}): ${out}${err}`))
    })
  })

/** The baseline: a bare node script reading the log and POSTing its lines as CloudEvents batches of 100. */
const BASELINE = `
const fs = require("node:fs")
const [log, url] = process.argv.slice(1)
const lines = fs.readFileSync(log, "utf8").split("\\n").filter((l) => l !== "")
const events = lines.map((l) => { const r = JSON.parse(l); return '{"specversion":"1.0","id":' + JSON.stringify(r.event_id) + ',"source":"/b","type":"t","data":' + l + '}' })
;(async () => {
  for (let i = 0; i < events.length; i += 100) {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/cloudevents-batch+json" }, body: "[" + events.slice(i, i + 100).join(",") + "]" })
    await res.text()
  }
})()
`

const perSecond = (n, ms) => Math.round((n / ms) * 1000)
const rate = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return `${median(s).toLocaleString("en-US")}/s [${s[0].toLocaleString("en-US")}–${s[s.length - 1].toLocaleString("en-US")}]`
}

const procStat = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return Number(f[11]) + Number(f[12]) // utime + stime, in clock ticks (100/s)
}
const memory = (pid) => {
  const roll = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8")
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(roll)?.[1] ?? NaN)
  return { rss: kb("Rss"), pss: kb("Pss"), uss: kb("Private_Clean") + kb("Private_Dirty") }
}
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`

export const run = async () => {
  const root = join(work, "sync-project")
  mkdirSync(join(root, ".kittify"), { recursive: true })
  mkdirSync(join(root, "kitty-specs", SLUG), { recursive: true })
  writeFileSync(join(root, "kitty-specs", SLUG, "meta.json"), JSON.stringify({ mission_id: MISSION_ID, mission_slug: SLUG, slug: SLUG, target_branch: "main" }))
  const log = join(root, "kitty-specs", SLUG, "status.events.jsonl")
  writeFileSync(log, Array.from({ length: EVENTS }, (_, i) => rowOf(i)).join("\n") + "\n")
  git(root, "init", "-q", "-b", "main")
  git(root, "add", "-A")
  git(root, "commit", "-q", "-m", "bench")
  const logMb = (readFileSync(log).length / 1048576).toFixed(1)

  const pushes = []
  const raws = []
  const noops = []
  for (let r = 0; r < ROUNDS; r++) {
    const sink = await startSink()
    const rawSink = await startSink()
    const home = join(work, `sync-runtime-${r}`)
    const e = { KITTYCTX_HOME: home }
    await runAsync([CLI, "sync", "config", "--sink", sink.url], root, e)
    await runAsync([CLI, "sync", "register"], root, e)
    const raw = await runAsync(["-e", BASELINE, log, rawSink.url], root, {})
    const push = await runAsync([CLI, "sync", "push", "--json"], root, e)
    if (sink.ids.size !== EVENTS || rawSink.ids.size !== EVENTS) throw new Error(`delivered ${sink.ids.size}, baseline ${rawSink.ids.size}`)
    const noop = await runAsync([CLI, "sync", "push", "--json"], root, e)
    raws.push(perSecond(EVENTS, raw.ms))
    pushes.push(perSecond(EVENTS, push.ms))
    noops.push(noop.ms)
    sink.close()
    rawSink.close()
  }
  row(`baseline: bare node POSTs the ${EVENTS.toLocaleString("en-US")} lines (${logMb} MB), batches of 100`, rate(raws))
  row("`sync push`: resolve, read, hash, CloudEvents batches of 100, cursor", rate(pushes), `${(median(pushes) / median(raws)).toFixed(2)}x baseline`)
  row("`sync push` again, nothing to send (log signature unchanged)", `${median(noops).toFixed(0)} ms`)

  // the daemon, idle: one registered project, everything delivered; RSS, PSS, USS and CPU over 60 s
  const sink = await startSink()
  const home = join(work, "sync-runtime-daemon")
  const e = { KITTYCTX_HOME: home }
  await runAsync([CLI, "sync", "config", "--sink", sink.url], root, e)
  await runAsync([CLI, "sync", "register"], root, e)
  await runAsync([CLI, "sync", "push"], root, e)
  const started = JSON.parse((await runAsync([CLI, "sync", "daemon", "start", "--json"], root, e)).out)
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" })
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const t0 = procStat(started.pid)
  const b0 = procStat(bare.pid)
  await new Promise((resolve) => setTimeout(resolve, 60_000))
  const cpu = ((procStat(started.pid) - t0) / 100 / 60) * 100
  const bareCpu = ((procStat(bare.pid) - b0) / 100 / 60) * 100
  const m = memory(started.pid)
  const bm = memory(bare.pid)
  bare.kill()
  await runAsync([CLI, "sync", "daemon", "stop"], root, e)
  sink.close()
  row("idle bare node: RSS / PSS / USS", `${mb(bm.rss)} / ${mb(bm.pss)} / ${mb(bm.uss)}`)
  row("idle daemon (one project, 100,000 events delivered): RSS / PSS / USS", `${mb(m.rss)} / ${mb(m.pss)} / ${mb(m.uss)}`, "goal: under 60 MB")
  row("idle CPU over 60 s: daemon / bare node", `${cpu.toFixed(2)}% / ${bareCpu.toFixed(2)}%`, "goal: under 0.5%")

  // the daemon delivering the whole backlog itself (no push first), then idle for 60 s: its peak while
  // delivering and what it keeps afterwards
  const sink2 = await startSink()
  const e2 = { KITTYCTX_HOME: join(work, "sync-runtime-daemon-backlog") }
  await runAsync([CLI, "sync", "config", "--sink", sink2.url], root, e2)
  await runAsync([CLI, "sync", "register"], root, e2)
  const t1 = performance.now()
  const d2 = JSON.parse((await runAsync([CLI, "sync", "daemon", "start", "--json"], root, e2)).out)
  let peak = 0
  while (sink2.ids.size < EVENTS && performance.now() - t1 < 300_000) {
    peak = Math.max(peak, memory(d2.pid).rss)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const deliveredIn = performance.now() - t1
  await new Promise((resolve) => setTimeout(resolve, 60_000))
  const after = memory(d2.pid)
  await runAsync([CLI, "sync", "daemon", "stop"], root, e2)
  sink2.close()
  row(
    `daemon delivering the ${EVENTS.toLocaleString("en-US")}-event backlog itself: time, peak RSS`,
    `${(deliveredIn / 1000).toFixed(1)} s, ${mb(peak)}`,
    `${sink2.ids.size.toLocaleString("en-US")} delivered`
  )
  row("  then idle for 60 s: RSS / PSS / USS", `${mb(after.rss)} / ${mb(after.pss)} / ${mb(after.uss)}`)
}
