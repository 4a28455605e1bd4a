/**
 * The dashboard server in this process against a real repository (corpus missions, a coordination
 * mission with a lane worktree): the JSON API, the §7.3 guards (Host, token, traversal, headers), live
 * events from real file watching, time travel, sanitised prompts, no status.json written.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { pyRound1 } from "../../../src/core/python/PyRepr.js"
import { weightedProgress } from "../../../src/core/status/Snapshot.js"
import { BOARD_MISSIONS, buildDashboardRepo, COORD, promptFile } from "../../support/dashboardRepo.js"
import { openEvents, request, startDashboardInProcess, TOKEN } from "../../support/http.js"
import { bootstrapLine, makeTemp, removeTemp, runCli } from "../../support/repo.js"

const WEB = fileURLToPath(new URL("../../../dist/web/", import.meta.url))
const ATTACK = "Hello <script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org/a) [frag](#top)\n\n" +
  "![remote](https://example.com/p.png) <img src=x onerror=alert(2)>\n"

let root = ""
let lane = ""
let staticRoot = ""
let server: Awaited<ReturnType<typeof startDashboardInProcess>>
const ids: Record<string, string> = {}

const getJson = async (p: string) => {
  const r = await request(server.port, p)
  return { status: r.status, body: JSON.parse(r.body), headers: r.headers }
}

beforeAll(async () => {
  const repo = buildDashboardRepo({
    [`kitty-specs/${BOARD_MISSIONS[0]}/tasks/WP01-work.md`]: promptFile("WP01", "Attack", ATTACK)
  })
  root = repo.root
  lane = repo.lane
  for (const name of BOARD_MISSIONS) {
    ids[name] = JSON.parse(fs.readFileSync(path.join(root, "kitty-specs", name, "meta.json"), "utf8")).mission_id
  }
  ids[COORD.slug] = COORD.id
  // a static root of our own, with a link that escapes it
  staticRoot = path.join(makeTemp("kittyctx-static-"), "web")
  fs.cpSync(WEB, staticRoot, { recursive: true })
  fs.symlinkSync("/etc/hostname", path.join(staticRoot, "escape.txt"))
  fs.symlinkSync("app.css", path.join(staticRoot, "inside.css"))
  server = await startDashboardInProcess(root, staticRoot)
})

afterAll(async () => {
  assert.isTrue(await server.stop(), "the server ends on a valid shutdown")
  removeTemp(path.dirname(root))
  removeTemp(path.dirname(staticRoot))
})

describe("dashboard API", () => {
  it("health names the instance, never the token", async () => {
    const r = await getJson("/api/health")
    assert.strictEqual(r.status, 200)
    assert.include(r.body, { status: "ok", service: "kittyctx-dashboard", project_path: root, instance_id: "test-instance" })
    assert.strictEqual(r.body.live_updates, "watch")
    assert.notInclude(JSON.stringify(r.body), TOKEN)
    assert.strictEqual(r.headers["cache-control"], "no-cache")
    assert.isUndefined(r.headers["access-control-allow-origin"])
  })

  it("lists every mission with its key, stats and artifacts, newest first", async () => {
    const { body } = await getJson("/api/missions")
    assert.strictEqual(body.project_path, root)
    const keys = body.missions.map((m: { key: string }) => m.key)
    assert.sameMembers(keys, [...BOARD_MISSIONS.map((n) => ids[n]), COORD.id])
    const coord = body.missions.find((m: { key: string }) => m.key === COORD.id)
    assert.strictEqual(coord.display_name, "Coordination board")
    assert.strictEqual(coord.topology, "lanes_with_coord")
    assert.isTrue(coord.artifacts.plan.exists)
    assert.isFalse(coord.artifacts.research.exists)
    assert.deepInclude(coord.kanban_stats, { total: 3, planned: 3, doing: 0, weighted_percentage: 0 })
    const first = body.missions.find((m: { key: string }) => m.key === ids[BOARD_MISSIONS[0]])
    assert.strictEqual(first.display_name, "050 - State Model Cleanup Foundations")
    const created = body.missions.map((m: { created_at: string | null }) => m.created_at).filter((c: string | null) => c !== null)
    assert.deepStrictEqual(created, [...created].sort().reverse(), "newest first")
  })

  it("the board matches `status show --json`, and the read creates no status.json (A7.2, A7.3)", async () => {
    for (const [dir, key] of Object.entries(ids)) {
      const { body, status } = await getJson(`/api/missions/${key}/kanban`)
      assert.strictEqual(status, 200)
      const shown = JSON.parse(runCli(root, ["status", "show", "--mission", dir, "--json"]).stdout)
      const column: Record<string, string> = {
        planned: "planned", blocked: "planned", claimed: "doing", in_progress: "doing",
        for_review: "for_review", in_review: "for_review", approved: "approved", done: "done", canceled: "done"
      }
      const expected: Record<string, Array<string>> = { planned: [], doing: [], for_review: [], approved: [], done: [] }
      for (const [wp, state] of Object.entries(shown.work_packages as Record<string, { lane: string }>)) {
        expected[column[state.lane]].push(wp)
      }
      for (const c of Object.keys(expected)) {
        assert.deepStrictEqual(body.columns[c].map((card: { id: string }) => card.id).sort(), expected[c].sort(), `${dir} ${c}`)
      }
      assert.strictEqual(body.weighted_percentage, pyRound1(weightedProgress(shown.work_packages).percentage), dir)
    }
    assert.isFalse(fs.existsSync(path.join(root, "kitty-specs", COORD.slug, "status.json")), "no status.json was written")
  })

  it("a WP prompt renders inert: no script, no javascript: link, no remote image (A7.8)", async () => {
    const { body, status } = await getJson(`/api/missions/${ids[BOARD_MISSIONS[0]]}/wp/WP01`)
    assert.strictEqual(status, 200)
    const html: string = body.prompt_html
    assert.notMatch(html, /<script/i)
    assert.notMatch(html, /javascript:/i)
    assert.notMatch(html, /<img/i)
    assert.notMatch(html, /<[^>]*\son\w+=/i, "no event handler attribute")
    assert.include(html, "&lt;script&gt;")
    assert.include(html, "href=\"https://example.org/a\" rel=\"noopener noreferrer\"")
    assert.include(html, "href=\"#top\"")
    assert.include(html, "remote")
    assert.isAbove(body.history.length, 0)
    assert.strictEqual(body.title, "WP01 – Attack")
  })

  it("time travel: the board at the first event is the earlier board; an unknown event is 404", async () => {
    const key = ids[BOARD_MISSIONS[1]]
    const { body: ev } = await getJson(`/api/missions/${key}/events`)
    assert.isAbove(ev.events.length, 3)
    const first = ev.events[0]
    const { body: past } = await getJson(`/api/missions/${key}/kanban?at=${first.event_id}`)
    assert.strictEqual(past.at, first.event_id)
    assert.strictEqual(past.event_count, 1)
    const onBoard = Object.values(past.columns as Record<string, Array<{ id: string; lane: string }>>).flat()
    assert.deepStrictEqual(onBoard.map((c) => [c.id, c.lane]), [[first.wp_id, first.to_lane]])
    assert.strictEqual((await request(server.port, `/api/missions/${key}/kanban?at=01AAAAAAAAAAAAAAAAAAAAAAAA`)).status, 404)
  })

  it("artifacts come from the fixed list", async () => {
    const plan = await getJson(`/api/missions/${COORD.id}/artifact/plan`)
    assert.deepStrictEqual(plan.body, { name: "plan", exists: true, html: "<h1>Plan</h1>\n<p>Ship it.</p>\n" })
    const research = await getJson(`/api/missions/${COORD.id}/artifact/research`)
    assert.deepStrictEqual(research.body, { name: "research", exists: false, html: "" })
    assert.strictEqual((await request(server.port, `/api/missions/${COORD.id}/artifact/meta.json`)).status, 404)
  })

  it("unknown paths, keys and methods", async () => {
    for (const p of ["/nope", "/api/missions/not-a-key/kanban", "/api/missions/legacy:..%2f..%2fetc/kanban", "/api/missions/01AAAAAAAAAAAAAAAAAAAAAAAA/kanban", `/api/missions/${COORD.id}/wp/WP99`, `/api/missions/${COORD.id}/wp/wp01`]) {
      const r = await request(server.port, p)
      assert.strictEqual(r.status, 404, p)
      assert.deepStrictEqual(JSON.parse(r.body), { error: "not_found" })
    }
    const r = await request(server.port, "/api/missions", { method: "POST", body: "{}" })
    assert.strictEqual(r.status, 405)
    assert.strictEqual((await request(server.port, "/api/shutdown")).status, 405)
  })
})

describe("dashboard guards (§7.3)", () => {
  const PATHS = ["/", "/static/app.js", "/api/health", "/api/missions", `/api/missions/${COORD.id}/kanban`, "/api/events", "/nope"]

  it("a foreign Host gets 421 on every path, before routing (A7.5)", async () => {
    for (const p of PATHS) {
      for (const host of ["evil.example:9237", `evil.example:${server.port}`, "127.0.0.1", `127.0.0.1:${server.port + 1}`]) {
        const r = await request(server.port, p, { host })
        assert.strictEqual(r.status, 421, `${host} ${p}`)
        assert.deepStrictEqual(JSON.parse(r.body), { error: "invalid_host" })
      }
    }
    const post = await request(server.port, "/api/shutdown", { method: "POST", host: "evil.example", body: JSON.stringify({ token: TOKEN }) })
    assert.strictEqual(post.status, 421)
    assert.strictEqual((await request(server.port, "/api/health", { host: `localhost:${server.port}` })).status, 200)
  })

  it("every response carries the CSP (no unsafe-inline), nosniff and no-referrer", async () => {
    for (const p of [...PATHS.filter((x) => x !== "/api/events"), "/static/missing.js"]) {
      const r = await request(server.port, p)
      assert.strictEqual(
        r.headers["content-security-policy"],
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        p
      )
      assert.notInclude(String(r.headers["content-security-policy"]), "unsafe-inline")
      assert.strictEqual(r.headers["x-content-type-options"], "nosniff")
      assert.strictEqual(r.headers["referrer-policy"], "no-referrer")
    }
  })

  it("shutdown needs the token in a JSON body (A7.4)", async () => {
    const post = (body: string, headers: Record<string, string> = {}) => request(server.port, "/api/shutdown", { method: "POST", body, headers })
    assert.strictEqual((await post(JSON.stringify({ token: "f".repeat(32) }))).status, 403)
    assert.deepStrictEqual(JSON.parse((await post(JSON.stringify({ token: "nope" }))).body), { error: "invalid_token" })
    assert.strictEqual((await post("not json")).status, 400)
    assert.strictEqual((await post("{}")).status, 400)
    assert.strictEqual((await post(JSON.stringify({ token: TOKEN }), { Origin: "http://evil.example" })).status, 403)
    assert.strictEqual((await request(server.port, "/api/health")).status, 200, "still running")
  })

  it("static paths stay inside the bundled root: traversal and escaping links are 404 (A7.6)", async () => {
    const ok = await request(server.port, "/static/app.js")
    assert.strictEqual(ok.status, 200)
    assert.match(String(ok.headers["content-type"]), /^text\/javascript/)
    assert.strictEqual((await request(server.port, "/static/inside.css")).status, 200, "a link that stays inside is served")
    for (
      const p of [
        "/static/..%2f..%2f.kittify%2f.dashboard",
        "/static/../package.json",
        "/static/%2e%2e/app.js",
        "/static/escape.txt",
        "/static/%2fetc%2fhostname",
        "/static/a%5c..%5capp.js",
        "/static/app.js%00",
        "/static/",
        "/static/%252e%252e%252fapp.js"
      ]
    ) {
      assert.strictEqual((await request(server.port, p)).status, 404, p)
    }
    const index = await request(server.port, "/")
    assert.strictEqual(index.status, 200)
    assert.notMatch(index.body, /<script>|<script(?![^>]*\ssrc=)|<style|\sstyle=|\son\w+=/, "no inline script or style in the page")
  })

  it("at most 32 event streams; the 33rd is refused with 503", async () => {
    const streams = Array.from({ length: 32 }, () => openEvents(server.port))
    try {
      for (const s of streams) assert.strictEqual(await s.ready, 200)
      const extra = await request(server.port, "/api/events")
      assert.strictEqual(extra.status, 503)
    } finally {
      for (const s of streams) s.close()
    }
    // closed streams are released
    let status = 0
    for (let i = 0; i < 100 && status !== 200; i++) {
      const s = openEvents(server.port)
      status = await s.ready
      s.close()
      if (status !== 200) await new Promise((r) => setTimeout(r, 20))
    }
    assert.strictEqual(status, 200)
  })
})

describe("live updates (§7.4)", () => {
  const waitFor = async (pred: () => boolean, ms = 10_000) => {
    for (let waited = 0; !pred(); waited += 20) {
      if (waited > ms) throw new Error("timed out waiting")
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it("an append to a mission log yields one `changed` naming that mission (A7.7)", async () => {
    const name = BOARD_MISSIONS[2]
    const stream = openEvents(server.port)
    try {
      assert.strictEqual(await stream.ready, 200)
      const log = path.join(root, "kitty-specs", name, "status.events.jsonl")
      const line = bootstrapLine(name, ids[name], "WP77", "01KZZZZZZZZZZZZZZZZZZZZZZZ", "2099-01-01T00:00:00.000000+00:00")
      fs.appendFileSync(log, line + "\n")
      await waitFor(() => stream.events.length > 0)
      assert.deepStrictEqual(stream.events[0].missions, [ids[name]])
      // nothing else arrives for this one append
      await new Promise((r) => setTimeout(r, 900))
      assert.strictEqual(stream.events.length, 1, JSON.stringify(stream.events))
    } finally {
      stream.close()
    }
  })

  it("an emit from a lane worktree creates the coordination worktree; the board follows it", async () => {
    const stream = openEvents(server.port)
    try {
      assert.strictEqual(await stream.ready, 200)
      const r = runCli(lane, ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", COORD.slug, "--json"])
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      await waitFor(() => stream.events.some((e) => e.missions.includes(COORD.id)))
      const { body } = await getJson(`/api/missions/${COORD.id}/kanban`)
      assert.deepStrictEqual(body.columns.doing.map((c: { id: string }) => c.id), ["WP01"])
      // a later emit lands in the coordination worktree's log, which is now watched
      const before = stream.events.length
      const r2 = runCli(lane, ["status", "emit", "WP01", "--to", "in_progress", "--actor", "alice", "--mission", COORD.slug, "--json"])
      assert.strictEqual(r2.code, 0, r2.stdout + r2.stderr)
      await waitFor(() => stream.events.slice(before).some((e) => e.missions.includes(COORD.id)))
      const { body: after } = await getJson(`/api/missions/${COORD.id}/kanban`)
      assert.strictEqual(after.columns.doing[0].lane, "in_progress")
    } finally {
      stream.close()
    }
  })
})
