// The dashboard (docs/surfaces.md §7) on a 400-mission repository, served by the real detached server:
// start-up, the first kanban and missions responses, warm responses, the latency from an append to the
// `changed` event (p50/p99), and the server's RSS and idle CPU over 60 s (goal: idle CPU under 1%).
import { spawnSync } from "node:child_process"
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import { join } from "node:path"
import { CLI, CORPUS, env, makeRepo, median, row, spread } from "./harness.mjs"

export const title = "dashboard: 400 missions, first responses, SSE latency, RSS and idle CPU over 60 s"

const get = (port, path) =>
  new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = ""
      res.on("data", (c) => (body += c))
      res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode, body }))
    }).on("error", reject)
  })

const cli = (cwd, args) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stdout}${r.stderr}`)
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout }
}

const cpuTicks = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return Number(f[11]) + Number(f[12])
}
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1])

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

export const run = async () => {
  const names = readdirSync(CORPUS).filter((n) => {
    try {
      const meta = JSON.parse(readFileSync(join(CORPUS, n, "meta.json"), "utf8"))
      return !meta.coordination_branch && readFileSync(join(CORPUS, n, "status.events.jsonl"), "utf8").length > 0
    } catch {
      return false
    }
  })
  const pairs = []
  for (let i = 0; i < 400; i++) pairs.push([`${names[i % names.length]}-${i}`, join(CORPUS, names[i % names.length])])
  const root = makeRepo("dash400", pairs)
  pairs.forEach(([dir], i) => {
    const d = join(root, "kitty-specs", dir)
    const meta = JSON.parse(readFileSync(join(d, "meta.json"), "utf8"))
    meta.mission_id = `01KD${String(i).padStart(22, "0")}`
    writeFileSync(join(d, "meta.json"), JSON.stringify(meta))
    mkdirSync(join(d, "tasks"), { recursive: true })
    const log = readFileSync(join(d, "status.events.jsonl"), "utf8")
    for (const wp of new Set([...log.matchAll(/"wp_id": "(WP\d+)"/g)].map((m) => m[1]))) {
      writeFileSync(join(d, "tasks", `${wp}-work.md`), `---\nwork_package_id: ${wp}\ntitle: ${wp}\n---\n# ${wp}\n`)
    }
  })
  const target = pairs[123][0]
  const key = "01KD" + String(123).padStart(22, "0")

  const start = cli(root, ["dashboard", "--json"])
  const { pid, port } = JSON.parse(start.out)
  try {
    row("start (spawn, wait for health)", `${start.ms.toFixed(0)} ms`)
    const firstKanban = await get(port, `/api/missions/${key}/kanban`)
    if (firstKanban.status !== 200) throw new Error(`kanban ${firstKanban.status}`)
    row("first kanban response (cold server)", `${firstKanban.ms.toFixed(0)} ms`)
    const firstList = await get(port, "/api/missions")
    row("first /api/missions (400 rows)", `${firstList.ms.toFixed(0)} ms`, `${(firstList.body.length / 1024).toFixed(0)} KiB`)
    const warm = []
    for (let i = 0; i < 15; i++) warm.push((await get(port, `/api/missions/${key}/kanban`)).ms)
    row("kanban, warm (15)", spread(warm))
    const lists = []
    for (let i = 0; i < 5; i++) lists.push((await get(port, "/api/missions")).ms)
    row("/api/missions, warm (5)", spread(lists))
    const shows = []
    for (let i = 0; i < 5; i++) shows.push(cli(root, ["status", "show", "--mission", target, "--json"]).ms)
    row("reference: `status show --json` as a process (5)", spread(shows))

    // SSE latency: append one valid event, time until the `changed` event naming the mission arrives
    const waiters = []
    const sse = http.get({ host: "127.0.0.1", port, path: "/api/events", agent: false }, (res) => {
      let buf = ""
      res.setEncoding("utf8")
      res.on("data", (c) => {
        buf += c
        let i
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const data = /^data: (.*)$/m.exec(frame)
          if (data && /^event: changed$/m.test(frame)) {
            const t = process.hrtime.bigint()
            const missions = JSON.parse(data[1]).missions
            for (const w of waiters.splice(0)) if (missions.includes(key)) w(t)
          }
        }
      })
    })
    await sleep(500)
    const log = join(root, "kitty-specs", target, "status.events.jsonl")
    const latencies = []
    for (let i = 0; i < 20; i++) {
      const id = `01KE${String(i).padStart(22, "0")}`
      const line = `{"actor": "bench", "at": "2099-01-01T00:00:${String(i).padStart(2, "0")}.000000+00:00", "event_id": "${id}", ` +
        `"evidence": null, "execution_mode": "worktree", "force": true, "from_lane": "planned", "mission_id": "${key}", ` +
        `"mission_slug": "${target}", "policy_metadata": null, "reason": "bench", "review_ref": null, "review_result": null, ` +
        `"to_lane": "planned", "wp_id": "WP90"}\n`
      const arrived = new Promise((resolve) => waiters.push(resolve))
      const t0 = process.hrtime.bigint()
      appendFileSync(log, line)
      const t1 = await arrived
      latencies.push(Number(t1 - t0) / 1e6)
      await sleep(400)
    }
    sse.destroy()
    row("append -> `changed` event, p50 (20)", `${median(latencies).toFixed(0)} ms`, "includes the 250 ms quiet-period debounce")
    row("append -> `changed` event, p99 (20)", `${pct(latencies, 99).toFixed(0)} ms`)

    await sleep(1000)
    const rss = rssKb(pid)
    const c0 = cpuTicks(pid)
    const t0 = process.hrtime.bigint()
    await sleep(60_000)
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const cpu = ((cpuTicks(pid) - c0) / 100 / seconds) * 100
    row("server RSS after the requests", `${(rss / 1024).toFixed(1)} MiB`, `${(rssKb(pid) / 1024).toFixed(1)} MiB after 60 s idle`)
    row("server idle CPU over 60 s", `${cpu.toFixed(2)} %`, "goal < 1%")
  } finally {
    spawnSync(process.execPath, [CLI, "dashboard", "--kill"], { cwd: root, env })
  }
}
