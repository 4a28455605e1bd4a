import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  cardOf,
  cardTitle,
  columnOfLane,
  columnsOf,
  compareRows,
  compareWpIds,
  displayNameOf,
  eventItems,
  isMissionKey,
  isWpId,
  missionKeyOf,
  promptBody,
  snapshotAt
} from "../../../src/core/dashboard/Board.js"
import { contentTypeOf, routeOf, staticRelPath } from "../../../src/core/dashboard/HttpRules.js"
import { isOwnRecord, parseLifecycle, renderLifecycle } from "../../../src/core/dashboard/LifecycleFile.js"
import { pyRound1 } from "../../../src/core/python/PyRepr.js"
import { decodeUtf8Lossy } from "../../../src/core/repo/Text.js"
import { LANES } from "../../../src/core/status/Lane.js"
import { readEventStream } from "../../../src/core/status/EventRow.js"
import { bootstrapLine } from "../../support/repo.js"

describe("board rules", () => {
  it("every lane has its §7.1 column; genesis and uninitialized are hidden", () => {
    const table = Object.fromEntries(LANES.map((l) => [l, columnOfLane(l)]))
    assert.deepStrictEqual(table, {
      genesis: null, uninitialized: null, planned: "planned", blocked: "planned", claimed: "doing", in_progress: "doing",
      for_review: "for_review", in_review: "for_review", approved: "approved", done: "done", canceled: "done"
    })
    assert.isNull(columnOfLane("doing"), "the alias is not a stored lane")
  })

  it("mission keys and WP ids", () => {
    assert.isTrue(isMissionKey("01KN2371WVZGV7TH7WMR2CN9PW"))
    assert.isTrue(isMissionKey("legacy:003-auto-protect-agent"))
    for (const k of ["legacy:../x", "legacy:", "legacy:.hidden", "01KN2371WVZGV7TH7WMR2CN9P", "01KN2371WVZGV7TH7WMR2CN9PU", "../etc", "legacy:a/b"]) {
      assert.isFalse(isMissionKey(k), k)
    }
    assert.strictEqual(missionKeyOf("x", null), "legacy:x")
    assert.strictEqual(missionKeyOf("x", "not-a-ulid"), "legacy:x")
    assert.isTrue(isWpId("WP01") && isWpId("WP123"))
    assert.isFalse(isWpId("WP1") || isWpId("wp01") || isWpId("WP1234"))
  })

  it("natural WP order", () => {
    assert.deepStrictEqual(["WP10", "WP2", "WP01", "WP100"].sort(compareWpIds), ["WP01", "WP2", "WP10", "WP100"])
  })

  it("titles: the prompt header, else frontmatter title, else the stem", () => {
    assert.strictEqual(cardTitle("# Work Package Prompt: Do it\n", { title: "t" }, "WP01-x.md"), "Do it")
    assert.strictEqual(cardTitle("# Other\n", { title: " T " }, "WP01-x.md"), "T")
    assert.strictEqual(cardTitle("", {}, "WP01-x.md"), "WP01-x")
    assert.strictEqual(promptBody("---\na: 1\n---\n\nbody\n"), "body")
    assert.strictEqual(promptBody("no frontmatter"), "no frontmatter")
  })

  it("cards: subtasks from the roster and the folded subtask states; hidden without events", () => {
    const file = { name: "WP01-x.md", relPath: "t/WP01-x.md", text: "---\nsubtasks:\n  - T1\n  - T2\n---\n", encodingError: true }
    const card = cardOf(file, "WP01", { lane: "in_review", agent: "bot", subtasks: { T1: "done", T2: "planned" } })
    assert.deepStrictEqual(card, {
      id: "WP01", title: "WP01-x", lane: "in_review", subtasks_done: 1, subtasks_total: 2, agent: "bot", assignee: "",
      prompt_path: "t/WP01-x.md", encoding_error: true
    })
    assert.isNull(cardOf(file, "WP01", undefined))
    assert.isNull(cardOf(file, "WP01", { lane: "genesis" }))
  })

  it("columns and time travel over a real stream", () => {
    const lines = ["WP01", "WP02"].map((wp, i) => bootstrapLine("m", "01JZ0000000000000000000000", wp, `01JZ00000000000000000000${i}0`, `2026-01-01T00:00:0${i}.000000+00:00`))
    const stream = Either.getOrThrow(readEventStream(lines.join("\n") + "\n"))
    const files = ["WP01-a.md", "WP02-b.md", "WP03-c.md", "README.md"].map((name) => ({ name, relPath: name, text: "", encodingError: false }))
    const identity = { mission_number: null, mission_type: "" }
    const now = columnsOf(files, Either.getOrThrow(snapshotAt(stream, identity, null)))
    assert.deepStrictEqual(now.planned.map((c) => c.id), ["WP01", "WP02"], "WP03 has no events: hidden")
    const past = columnsOf(files, Either.getOrThrow(snapshotAt(stream, identity, "01JZ0000000000000000000000")))
    assert.deepStrictEqual(past.planned.map((c) => c.id), ["WP01"])
    assert.isTrue(Either.isLeft(snapshotAt(stream, identity, "nope")))
    assert.deepStrictEqual(eventItems(stream, "WP02").map((e) => e.to_lane), ["planned"])
  })

  it("display names and the newest-first order", () => {
    const f = { mission_id: null, created_at: null }
    assert.strictEqual(displayNameOf("d", { ...f, mission_number: 7, friendly_name: "Seven" }), "007 - Seven")
    assert.strictEqual(displayNameOf("d", { ...f, mission_number: null, friendly_name: null }), "d")
    const rows = [
      { created_at: null, mission_id: null, mission_number: null, dir: "b" },
      { created_at: "2026-01-01T00:00:00Z", mission_id: "A", mission_number: 1, dir: "x" },
      { created_at: "2026-02-01T00:00:00+00:00", mission_id: "B", mission_number: 2, dir: "y" },
      { created_at: null, mission_id: null, mission_number: null, dir: "a" },
      { created_at: "2026-01-01T00:00:00+00:00", mission_id: "C", mission_number: null, dir: "z" }
    ]
    assert.deepStrictEqual([...rows].sort(compareRows).map((r) => r.dir), ["y", "z", "x", "b", "a"])
  })

  it("pyRound1 is Python's round(x, 1): ties to even on exact binary ties", () => {
    assert.strictEqual(pyRound1(0.25), 0.2)
    assert.strictEqual(pyRound1(0.75), 0.8)
    assert.strictEqual(pyRound1(12.25), 12.2)
    assert.strictEqual(pyRound1(2.65), 2.6, "2.65 is 2.649999... in binary")
    assert.strictEqual(pyRound1(0.15), 0.1, "0.15 is 0.1499999... in binary")
    assert.strictEqual(pyRound1(-0.25), -0.2)
    assert.strictEqual(pyRound1(66.66666666666667), 66.7)
    assert.strictEqual(pyRound1(0.05), 0.1, "0.05 is slightly above the tie in binary")
    // percentages of n WPs with lane weights: the result is within 0.05 of the input
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.constantFrom(0, 0.05, 0.3, 0.6, 0.7, 0.8, 1), { minLength: 1, maxLength: 50 }), (_n, ws) => {
      const p = (ws.reduce((a, b) => a + b, 0) / ws.length) * 100
      return Math.abs(pyRound1(p) - p) <= 0.05 + 1e-9
    }), { seed: 12, numRuns: 300 })
  })

  it("lossy UTF-8 flags replacement", () => {
    assert.deepStrictEqual(decodeUtf8Lossy(new Uint8Array([0x61, 0xff, 0x62])), { text: "a\ufffdb", replaced: true })
    assert.deepStrictEqual(decodeUtf8Lossy(new TextEncoder().encode("é")), { text: "é", replaced: false })
  })
})

describe("http rules", () => {
  it("routes", () => {
    const k = "01KN2371WVZGV7TH7WMR2CN9PW"
    assert.deepStrictEqual(routeOf("GET", "/"), { _tag: "Index" })
    assert.deepStrictEqual(routeOf("GET", `/api/missions/${k}/wp/WP01`), { _tag: "WorkPackage", key: k, wp: "WP01" })
    assert.deepStrictEqual(routeOf("GET", `/api/missions/legacy%3A003-x/kanban`), { _tag: "Kanban", key: "legacy:003-x" })
    assert.deepStrictEqual(routeOf("GET", `/api/missions/${k}/artifact/data-model`), { _tag: "Artifact", key: k, name: "data-model" })
    assert.deepStrictEqual(routeOf("GET", `/api/missions/${k}/artifact/constructor`), { _tag: "NotFound" })
    assert.deepStrictEqual(routeOf("DELETE", "/api/health"), { _tag: "MethodNotAllowed", allow: "GET" })
    assert.deepStrictEqual(routeOf("GET", "/api/shutdown"), { _tag: "MethodNotAllowed", allow: "POST" })
    assert.deepStrictEqual(routeOf("GET", "/api/missions/%E0%A4%A/kanban"), { _tag: "NotFound" })
  })

  it("static paths are decoded once and never climb", () => {
    assert.strictEqual(staticRelPath("app.js"), "app.js")
    assert.strictEqual(staticRelPath("img/a%20b.png"), "img/a b.png")
    for (const p of ["", "..%2fx", "a/../b", "%2fetc", "a%5cb", "a%00", "./a", "a//b", "%252e%252e", "%E0%A4%A"]) {
      const r = staticRelPath(p)
      assert.isTrue(r === null || !r.split("/").includes(".."), p)
    }
    assert.isNull(staticRelPath("..%2fx"))
    assert.strictEqual(contentTypeOf("a.js"), "text/javascript; charset=utf-8")
  })
})

describe("lifecycle file", () => {
  it("keeps spec-kitty's four positional lines; the token line is always present", () => {
    const r = { url: "http://127.0.0.1:9237", port: 9237, token: null, pid: 42, extra: { owner: "kittyctx", instance_id: "i" } }
    const text = renderLifecycle(r)
    assert.strictEqual(text, "http://127.0.0.1:9237\n9237\n\n42\nowner=kittyctx\ninstance_id=i\n")
    assert.deepStrictEqual(parseLifecycle(text), r)
    assert.isTrue(isOwnRecord(r))
  })

  it("reads spec-kitty's own files (blank lines skipped, token and pid optional)", () => {
    assert.deepStrictEqual(parseLifecycle("http://127.0.0.1:9240\n9240\nabc_DEF-1\n777\n"), {
      url: "http://127.0.0.1:9240", port: 9240, token: "abc_DEF-1", pid: 777, extra: {}
    })
    assert.deepStrictEqual(parseLifecycle("http://127.0.0.1:9240\n\n9240\n"), { url: "http://127.0.0.1:9240", port: 9240, token: null, pid: null, extra: {} })
    assert.isString(parseLifecycle(""))
    assert.isString(parseLifecycle("u\nnot-a-port\n"))
    assert.isString(parseLifecycle("u\n99999\n"))
    assert.isString(parseLifecycle("u\n9237\nt\n-4\n"))
  })
})
