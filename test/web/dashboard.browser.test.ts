/**
 * The dashboard page in a real browser (Debian's chromium driven by playwright-core) against the real
 * detached server `kittyctx dashboard` starts, on a repository of corpus missions with a coordination
 * mission and a lane worktree: the board equals `status show --json`, a card moves without a reload after
 * an emit from the lane worktree, time travel, inert prompts, deep links and the back button, keyboard
 * navigation, dark mode, no request leaving loopback, and no request at all in 10 idle seconds.
 * Screenshots of the board go to a temp dir, or to docs/ with KITTYCTX_UPDATE_SCREENSHOTS=1.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { BrowserContext, Page } from "playwright-core"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { launchChromium } from "../support/browser.js"
import { BOARD_MISSIONS, buildDashboardRepo, COORD, promptFile } from "../support/dashboardRepo.js"
import { bootstrapLine, makeTemp, removeTemp, runCli } from "../support/repo.js"

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url))
const ATTACK = "Hello <script>window.__xss = 1</script>\n\n[click](javascript:window.__xss=2) " +
  "![tracker](https://example.com/p.png) <img src=x onerror=\"window.__xss=3\">\n"
const COLUMN_OF: Record<string, string> = {
  planned: "planned", blocked: "planned", claimed: "doing", in_progress: "doing",
  for_review: "for_review", in_review: "for_review", approved: "approved", done: "done", canceled: "done"
}

let root = ""
let lane = ""
let base = ""
let shots = ""
let browser: Awaited<ReturnType<typeof launchChromium>>
let context: BrowserContext
let page: Page
const requests: Array<string> = []
const foreign: Array<string> = []
const ids: Record<string, string> = {}

/** The card ids in each column of the board shown now. */
const boardInDom = (p: Page) =>
  p.$$eval("[data-column]", (cols) =>
    Object.fromEntries(cols.map((c) => [
      (c as HTMLElement).dataset.column!,
      [...c.querySelectorAll<HTMLElement>("[data-wp]")].map((a) => a.dataset.wp!).sort()
    ])))

/** The board `status show --json` gives for a mission dir. */
const boardFromCli = (dir: string) => {
  const shown = JSON.parse(runCli(root, ["status", "show", "--mission", dir, "--json"]).stdout)
  const out: Record<string, Array<string>> = { planned: [], doing: [], for_review: [], approved: [], done: [] }
  for (const [wp, s] of Object.entries(shown.work_packages as Record<string, { lane: string }>)) out[COLUMN_OF[s.lane]].push(wp)
  for (const k of Object.keys(out)) out[k].sort()
  return out
}

const openBoard = async (p: Page, key: string) => {
  await p.goto(`${base}/#/mission/${key}`)
  await p.waitForSelector(`.board[data-key="${key}"]`)
}

/** Intercepts every request of a context: loopback requests go through, anything else is aborted and recorded. */
const guard = async (ctx: BrowserContext) => {
  await ctx.route("**/*", (route) => {
    const url = new URL(route.request().url())
    requests.push(url.href)
    if (url.protocol === "data:" || url.host === new URL(base).host) return route.continue()
    foreign.push(url.href)
    return route.abort()
  })
}

beforeAll(async () => {
  const repo = buildDashboardRepo({ [`kitty-specs/${BOARD_MISSIONS[0]}/tasks/WP01-work.md`]: promptFile("WP01", "Attack", ATTACK) })
  root = repo.root
  lane = repo.lane
  for (const name of BOARD_MISSIONS) {
    ids[name] = JSON.parse(fs.readFileSync(path.join(root, "kitty-specs", name, "meta.json"), "utf8")).mission_id
  }
  ids[COORD.slug] = COORD.id
  const started = runCli(root, ["dashboard", "--json"])
  assert.strictEqual(started.code, 0, started.stdout + started.stderr)
  base = JSON.parse(started.stdout).url
  shots = process.env.KITTYCTX_UPDATE_SCREENSHOTS === "1" ? DOCS : makeTemp("kittyctx-shots-")
  browser = await launchChromium({ colorScheme: "light" })
  context = browser.context
  await guard(context)
  page = await context.newPage()
})

afterAll(async () => {
  await browser?.close()
  runCli(root, ["dashboard", "--kill"])
  removeTemp(path.dirname(root))
  if (shots !== DOCS) removeTemp(shots)
})

describe("dashboard in chromium", () => {
  it("lists the missions and shows every board as `status show --json` has it", async () => {
    await page.goto(`${base}/#/`)
    await page.waitForSelector("a.mission-link")
    const keys = await page.$$eval("a.mission-link", (as) => as.map((a) => (a as HTMLElement).dataset.key))
    assert.sameMembers(keys, Object.values(ids))
    for (const [dir, key] of Object.entries(ids)) {
      await openBoard(page, key)
      assert.deepStrictEqual(await boardInDom(page), boardFromCli(dir), dir)
    }
  })

  it("a card moves without a reload within 1 s of an emit from a lane worktree", async () => {
    await openBoard(page, COORD.id)
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true))
    assert.isNotNull(await page.$("[data-column=planned] [data-wp=WP02]"))
    const r = runCli(lane, ["status", "emit", "WP02", "--to", "claimed", "--actor", "alice", "--mission", COORD.slug, "--json"])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    await page.waitForSelector("[data-column=doing] [data-wp=WP02]", { timeout: 1000 })
    assert.isTrue(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true), "no reload")
    assert.deepStrictEqual(await boardInDom(page), boardFromCli(COORD.slug))
  })

  it("a change to another mission fetches nothing; a change to the shown board refetches only that board", async () => {
    await openBoard(page, COORD.id)
    await page.waitForSelector("#live[data-state=on]")
    const other = BOARD_MISSIONS[2]
    // a second stream in the page tells the test when the `changed` frame has been delivered
    await page.evaluate(() => {
      const w = window as unknown as { __changed: Array<string>; __probe: EventSource }
      w.__changed = []
      w.__probe = new EventSource("/api/events")
      w.__probe.addEventListener("changed", (e) => w.__changed.push((e as MessageEvent<string>).data))
    })
    await page.waitForFunction(() => (window as unknown as { __probe: EventSource }).__probe.readyState === 1)
    const before = requests.length
    fs.appendFileSync(
      path.join(root, "kitty-specs", other, "status.events.jsonl"),
      bootstrapLine(other, ids[other], "WP66", "01KZZZZZZZZZZZZZZZZZZZZZ66", "2099-01-01T00:00:00.000000+00:00") + "\n"
    )
    await page.waitForFunction((k) => (window as unknown as { __changed: Array<string> }).__changed.some((d) => d.includes(k)), ids[other])
    await page.waitForTimeout(300)
    assert.deepStrictEqual(requests.slice(before), [], "a change to a mission not shown fetches nothing")
    // the shown board: only its board and its event list are fetched
    const r = runCli(lane, ["status", "emit", "WP01", "--to", "claimed", "--actor", "bob", "--mission", COORD.slug, "--json"])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    await page.waitForSelector("[data-column=doing] [data-wp=WP01]", { timeout: 2000 })
    await page.evaluate(() => (window as unknown as { __probe: EventSource }).__probe.close())
    const fetched = new Set(requests.slice(before).map((u) => new URL(u).pathname))
    assert.deepStrictEqual([...fetched].sort(), [`/api/missions/${COORD.id}/events`, `/api/missions/${COORD.id}/kanban`])
  })

  it("after the event stream reconnects, the page refetches its view once", async () => {
    await openBoard(page, COORD.id)
    await page.waitForSelector("#live[data-state=on]")
    const port = new URL(base).port
    const killed = runCli(root, ["dashboard", "--kill", "--json"])
    assert.strictEqual(killed.code, 0, killed.stdout + killed.stderr)
    await page.waitForSelector("#live[data-state=off]")
    // a change while no server runs: no `changed` frame will ever announce it
    const r = runCli(lane, ["status", "emit", "WP03", "--to", "claimed", "--actor", "bob", "--mission", COORD.slug, "--json"])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    const before = requests.length
    const restarted = runCli(root, ["dashboard", "--port", port, "--json"])
    assert.strictEqual(restarted.code, 0, restarted.stdout + restarted.stderr)
    assert.strictEqual(String(JSON.parse(restarted.stdout).port), port, "the same port again")
    await page.waitForSelector("[data-column=doing] [data-wp=WP03]", { timeout: 10_000 })
    await page.waitForSelector("#live[data-state=on]")
    await page.waitForTimeout(300)
    const fetched = requests.slice(before).map((u) => new URL(u).pathname).filter((p) => p !== "/api/events")
    assert.deepStrictEqual(fetched.sort(), [`/api/missions/${COORD.id}/events`, `/api/missions/${COORD.id}/kanban`], "one refetch")
  })

  it("on the missions list, a change refetches only the rows it names", async () => {
    await page.goto(`${base}/#/`)
    await page.waitForSelector("a.mission-link")
    await page.waitForSelector("#live[data-state=on]")
    const before = requests.length
    const r = runCli(lane, ["status", "emit", "WP02", "--to", "in_progress", "--actor", "alice", "--mission", COORD.slug, "--json"])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    await page.waitForFunction(() => document.getElementById("announce")?.textContent === "Missions updated")
    await page.waitForTimeout(300)
    assert.deepStrictEqual(requests.slice(before).map((u) => new URL(u).pathname + new URL(u).search), [`/api/missions?keys=${COORD.id}`])
    const shown = await page.$eval(`li:has(a[data-key="${COORD.id}"])`, (li) => [li.querySelector(".pct")!.textContent, li.querySelector(".stats")!.textContent])
    const row = JSON.parse(await page.evaluate(async () => (await fetch("/api/missions")).text())).missions
      .find((m: { key: string }) => m.key === COORD.id)
    const s = row.kanban_stats
    assert.deepStrictEqual(shown, [`${s.weighted_percentage}%`, `${s.done}/${s.total} done · ${s.doing} doing · ${s.for_review} in review`])
  })

  it("time travel shows the board as it was at an earlier event; the deep link reopens it", async () => {
    const key = ids[BOARD_MISSIONS[1]]
    await openBoard(page, key)
    const events = JSON.parse(await page.evaluate(async (k) => (await fetch(`/api/missions/${k}/events`)).text(), key)).events
    await page.focus("#time-travel")
    await page.$eval("#time-travel", (el) => {
      const input = el as HTMLInputElement
      input.value = "1"
      input.dispatchEvent(new Event("change"))
    })
    await page.waitForSelector(".board.past")
    assert.strictEqual(new URL(page.url()).hash, `#/mission/${key}/at/${events[0].event_id}`)
    const past = await boardInDom(page)
    assert.deepStrictEqual(Object.values(past).flat(), [events[0].wp_id])
    assert.deepStrictEqual(past[COLUMN_OF[events[0].to_lane]], [events[0].wp_id])
    // one event forward with the keyboard
    await page.click("h1")
    await page.keyboard.press("]")
    await page.waitForFunction((id) => location.hash.endsWith(id), events[1].event_id)
    // the deep link alone (a fresh page) shows the same earlier board
    const fresh = await context.newPage()
    await fresh.goto(`${base}/#/mission/${key}/at/${events[0].event_id}`)
    await fresh.waitForSelector(".board.past")
    assert.deepStrictEqual(await boardInDom(fresh), past)
    await fresh.close()
    await page.click("a.back-live")
    await page.waitForSelector(".board:not(.past)")
  })

  it("a WP prompt with a script, a javascript: link and a remote image renders inert", async () => {
    const key = ids[BOARD_MISSIONS[0]]
    await page.goto(`${base}/#/mission/${key}/wp/WP01`)
    await page.waitForSelector("#detail[open] .prompt")
    const facts = await page.$eval("#detail-body", (body) => ({
      scripts: body.querySelectorAll("script").length,
      images: body.querySelectorAll("img").length,
      jsLinks: [...body.querySelectorAll("a")].filter((a) => /^\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
      handlers: [...body.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
      text: body.textContent ?? ""
    }))
    assert.deepStrictEqual({ ...facts, text: undefined }, { scripts: 0, images: 0, jsLinks: 0, handlers: 0, text: undefined })
    assert.include(facts.text, "<script>window.__xss = 1</script>", "the raw HTML shows as text")
    assert.include(facts.text, "tracker")
    await page.click("#detail-body a:text('click')")
    assert.isUndefined(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss))
    assert.isFalse(requests.some((u) => u.includes("example.com")), "the remote image was never requested")
  })

  it("deep links reopen the same view; the back button returns to the board", async () => {
    const key = ids[BOARD_MISSIONS[0]]
    await openBoard(page, key)
    await page.click("[data-wp=WP02]")
    await page.waitForSelector("#detail[open]")
    const title = await page.textContent("#detail-title")
    assert.strictEqual(new URL(page.url()).hash, `#/mission/${key}/wp/WP02`)
    const fresh = await context.newPage()
    await fresh.goto(page.url())
    await fresh.waitForSelector("#detail[open]")
    assert.strictEqual(await fresh.textContent("#detail-title"), title)
    await fresh.close()
    await page.goBack()
    await page.waitForSelector("#detail:not([open])", { state: "attached" })
    assert.strictEqual(new URL(page.url()).hash, `#/mission/${key}`)
    await page.goto(`${base}/#/mission/${COORD.id}/artifact/plan`)
    await page.waitForSelector("article.artifact h1")
    assert.strictEqual(await page.textContent("article.artifact h1"), "Plan")
  })

  it("keyboard: j/k move between cards, Enter opens, Esc closes, ? lists the keys", async () => {
    const key = ids[BOARD_MISSIONS[1]]
    await openBoard(page, key)
    await page.click("h1")
    const cards = await page.$$eval("a.card", (as) => as.map((a) => (a as HTMLElement).dataset.wp))
    const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.wp ?? null)
    await page.keyboard.press("j")
    assert.strictEqual(await focused(), cards[0])
    await page.keyboard.press("j")
    assert.strictEqual(await focused(), cards[1])
    await page.keyboard.press("k")
    assert.strictEqual(await focused(), cards[0])
    await page.keyboard.press("Enter")
    await page.waitForSelector("#detail[open]")
    assert.strictEqual(new URL(page.url()).hash, `#/mission/${key}/wp/${cards[0]}`)
    await page.keyboard.press("Escape")
    await page.waitForSelector("#detail:not([open])", { state: "attached" })
    // the dialog's "close" event (which restores the board's address and the focus) is a task queued
    // after the open attribute goes: wait for it rather than race it
    await page.waitForFunction((hash) => location.hash === hash, `#/mission/${key}`, { timeout: 5000 })
    assert.strictEqual(new URL(page.url()).hash, `#/mission/${key}`)
    assert.strictEqual(await focused(), cards[0], "focus returns to the card")
    await page.keyboard.press("?")
    await page.waitForSelector("#keys[open]")
    assert.include(await page.textContent("#keys"), "next / previous card")
    await page.keyboard.press("Escape")
    await page.waitForSelector("#keys:not([open])", { state: "attached" })
  })

  it("accessible markup: landmarks, labelled columns of lists, named cards, a named slider and progress", async () => {
    const key = ids[BOARD_MISSIONS[1]]
    await openBoard(page, key)
    const tree = await page.locator("body").ariaSnapshot()
    for (const landmark of ["- link \"Skip to content\"", "- banner:", "- main:", "- button \"Keyboard shortcuts\"",
      "- progressbar \"Weighted progress\"", "- slider \"Board at event\"", "- navigation \"Mission artifacts\""]) {
      assert.include(tree, landmark)
    }
    assert.match(tree, /- heading "069 - [^"]+" \[level=1\]/)
    for (const title of ["Planned", "Doing", "For review", "Approved", "Done"]) {
      assert.match(tree, new RegExp(`- region "${title} \\d+":\\n\\s+- heading "${title} \\d+" \\[level=2\\]\\n\\s+- list`), title)
    }
    const cards = await page.$$eval("a.card", (as) => as.map((a) => (a as HTMLElement).dataset.wp!))
    assert.isAbove(cards.length, 0)
    for (const wp of cards) assert.match(tree, new RegExp(`- listitem:\\n\\s+- link "${wp} `), wp)
    await page.click(`[data-wp=${cards[0]}]`)
    await page.waitForSelector("#detail[open]")
    assert.match(await page.locator("#detail").ariaSnapshot(), new RegExp(`^- dialog "${cards[0]} `))
    await page.keyboard.press("Escape")
    await page.waitForSelector("#detail:not([open])", { state: "attached" })
  })

  it("follows the system's dark mode; screenshots of the board, light and dark", async () => {
    const key = COORD.id
    await openBoard(page, key)
    await page.click("h1")
    await page.screenshot({ path: path.join(shots, "dashboard-light.png") })
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    const dark = await launchChromium({ colorScheme: "dark" })
    try {
      await guard(dark.context)
      const p = await dark.context.newPage()
      await openBoard(p, key)
      await p.click("h1")
      const darkBg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor)
      assert.strictEqual(light, "rgb(247, 247, 248)")
      assert.strictEqual(darkBg, "rgb(20, 22, 27)")
      await p.screenshot({ path: path.join(shots, "dashboard-dark.png") })
    } finally {
      await dark.close()
    }
    assert.isTrue(fs.statSync(path.join(shots, "dashboard-dark.png")).size > 10_000)
  })

  it("no request leaves loopback, and none is made in 10 idle seconds", async () => {
    await openBoard(page, COORD.id)
    await page.waitForSelector("#live[data-state=on]")
    const before = requests.length
    // the one wall-clock wait of this suite: idleness can only be shown by waiting
    await page.waitForTimeout(10_000)
    assert.deepStrictEqual(requests.slice(before), [], "no request while idle")
    assert.deepStrictEqual(foreign, [], "every request went to the dashboard on 127.0.0.1")
    assert.isAbove(before, 10)
  })
})
