/**
 * The dashboard page (docs/surfaces.md §7): plain DOM, no framework, no network beyond its own
 * server. Views are addressed by the URL hash (deep links, back button); live updates arrive over one
 * EventSource and refetch only the view whose mission changed; nothing runs on a timer.
 */

interface Card {
  id: string
  title: string
  lane: string
  subtasks_done: number
  subtasks_total: number
  agent: string
  assignee: string
  prompt_path: string
  encoding_error?: boolean
}
type ColumnName = "planned" | "doing" | "for_review" | "approved" | "done"
interface Kanban {
  project_path: string
  artifacts: Record<string, { exists: boolean }>
  key: string
  mission_slug: string
  display_name: string
  columns: Record<ColumnName, Array<Card>>
  weighted_percentage: number | null
  is_legacy: boolean
  at: string | null
  event_count: number
  error?: string
}
interface EventItem {
  event_id: string
  at: string
  wp_id: string
  from_lane: string
  to_lane: string
  actor: string
  reason: string | null
  force: boolean
}
interface MissionItem {
  key: string
  mission_slug: string
  display_name: string
  topology: string | null
  artifacts: Record<string, { exists: boolean }>
  kanban_stats: {
    total: number
    planned: number
    doing: number
    for_review: number
    approved: number
    done: number
    weighted_percentage?: number | null
    error?: string
  }
  is_legacy: boolean
}

const COLUMNS: ReadonlyArray<[ColumnName, string]> = [
  ["planned", "Planned"],
  ["doing", "Doing"],
  ["for_review", "For review"],
  ["approved", "Approved"],
  ["done", "Done"]
]
const ARTIFACTS: ReadonlyArray<[string, string, string]> = [
  ["spec", "spec", "Spec"],
  ["plan", "plan", "Plan"],
  ["tasks", "tasks", "Tasks"],
  ["research", "research", "Research"],
  ["quickstart", "quickstart", "Quickstart"],
  ["data_model", "data-model", "Data model"]
]

type View =
  | { kind: "missions" }
  | { kind: "board"; key: string; at: string | null }
  | { kind: "wp"; key: string; wp: string }
  | { kind: "artifact"; key: string; name: string }

const $ = (id: string) => document.getElementById(id)!
const main = () => $("main")

/** `el("a", {href: "#"}, "text", child)`: an element with attributes and children (text is never parsed). */
const el = (tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string | null>): HTMLElement => {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const c of children) if (c !== null) node.append(typeof c === "string" ? document.createTextNode(c) : c)
  return node
}

const enc = encodeURIComponent

const parseHash = (hash: string): View => {
  const parts = hash.replace(/^#\/?/, "").split("/").map((p) => {
    try {
      return decodeURIComponent(p)
    } catch {
      return ""
    }
  })
  if (parts[0] === "mission" && parts[1]) {
    const key = parts[1]
    if (parts[2] === "wp" && parts[3]) return { kind: "wp", key, wp: parts[3] }
    if (parts[2] === "artifact" && parts[3]) return { kind: "artifact", key, name: parts[3] }
    if (parts[2] === "at" && parts[3]) return { kind: "board", key, at: parts[3] }
    return { kind: "board", key, at: null }
  }
  return { kind: "missions" }
}

const boardHash = (key: string, at: string | null = null) => `#/mission/${enc(key)}` + (at === null ? "" : `/at/${enc(at)}`)

const getJson = async <A>(path: string): Promise<A | null> => {
  const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" })
  return r.ok ? ((await r.json()) as A) : null
}

const announce = (text: string) => {
  $("announce").textContent = text
}

// ---------------------------------------------------------------------------------------------
// Views

let view: View = { kind: "missions" }
/** The board's last data, for the dialog's background. */
let lastBoardKey: string | null = null
let events: Array<EventItem> = []
let renderToken = 0

const progress = (value: number | null | undefined, label: string) => {
  const p = el("progress", { max: "100", "aria-label": label })
  ;(p as HTMLProgressElement).value = value ?? 0
  return p
}

const renderMissions = async () => {
  const token = ++renderToken
  const data = await getJson<{ project_path: string; missions: Array<MissionItem> }>("/api/missions")
  if (token !== renderToken || data === null) return
  $("project").textContent = data.project_path
  const list = el("ul", { class: "missions", "aria-label": "Missions" })
  for (const m of data.missions) {
    const s = m.kanban_stats
    const pct = s.weighted_percentage ?? null
    const stats = el(
      "span",
      { class: "stats" },
      s.error ?? `${s.done}/${s.total} done · ${s.doing} doing · ${s.for_review} in review`
    )
    list.append(
      el(
        "li",
        { class: "mission" + (s.error ? " has-error" : "") },
        el("a", { href: boardHash(m.key), class: "mission-link", "data-key": m.key }, m.display_name),
        progress(pct, `${m.display_name} progress`),
        el("span", { class: "pct" }, pct === null ? "–" : `${pct}%`),
        stats,
        m.is_legacy ? el("span", { class: "badge" }, "legacy") : null
      )
    )
  }
  main().replaceChildren(el("h1", {}, "Missions"), data.missions.length === 0 ? el("p", {}, "No missions yet.") : list)
  document.title = "Missions · kittyctx"
}

const cardNode = (key: string, card: Card) =>
  el(
    "li",
    {},
    el(
      "a",
      {
        href: `#/mission/${enc(key)}/wp/${enc(card.id)}`,
        class: "card" + (card.encoding_error ? " encoding-error" : ""),
        "data-wp": card.id,
        "data-lane": card.lane
      },
      el("span", { class: "card-id" }, card.id),
      el("span", { class: "card-title" }, card.title),
      el(
        "span",
        { class: "card-meta" },
        card.lane.replace(/_/g, " "),
        card.subtasks_total > 0 ? ` · ${card.subtasks_done}/${card.subtasks_total} subtasks` : "",
        card.agent !== "" ? ` · ${card.agent}` : "",
        card.encoding_error ? " · not UTF-8" : ""
      )
    )
  )

const timeTravel = (key: string, at: string | null) => {
  const n = events.length
  if (n === 0) return null
  const index = at === null ? n : events.findIndex((e) => e.event_id === at) + 1
  const slider = el("input", {
    type: "range",
    min: "1",
    max: String(n),
    step: "1",
    value: String(index),
    id: "time-travel",
    "aria-label": "Board at event"
  }) as HTMLInputElement
  const current = index >= 1 && index <= n ? events[index - 1] : null
  const label = el(
    "output",
    { for: "time-travel", id: "time-label" },
    at === null
      ? `live · ${n} events`
      : `event ${index} of ${n}: ${current?.wp_id ?? ""} ${current?.from_lane ?? ""} → ${current?.to_lane ?? ""} · ${current?.at ?? ""}`
  )
  slider.addEventListener("change", () => {
    const i = Number(slider.value)
    location.hash = i >= n ? boardHash(key) : boardHash(key, events[i - 1].event_id)
  })
  return el(
    "div",
    { class: "time-travel" + (at === null ? "" : " travelling") },
    el("label", { for: "time-travel" }, "Time travel"),
    slider,
    label,
    at === null ? null : el("a", { href: boardHash(key), class: "back-live" }, "Back to live")
  )
}

const renderBoard = async (key: string, at: string | null) => {
  const token = ++renderToken
  const [board, ev] = await Promise.all([
    getJson<Kanban>(`/api/missions/${enc(key)}/kanban` + (at === null ? "" : `?at=${enc(at)}`)),
    getJson<{ events: Array<EventItem> }>(`/api/missions/${enc(key)}/events`)
  ])
  if (token !== renderToken) return
  if (board === null) {
    main().replaceChildren(el("h1", {}, "Not found"), el("p", {}, "No such mission or event. "), el("a", { href: "#/" }, "All missions"))
    return
  }
  events = ev?.events ?? []
  lastBoardKey = key
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.wp ?? null
  const columns = el("div", { class: "board" + (at === null ? "" : " past"), "data-key": key })
  for (const [name, title] of COLUMNS) {
    const cards = board.columns[name]
    const headingId = `col-${name}`
    columns.append(
      el(
        "section",
        { class: "column", "data-column": name, "aria-labelledby": headingId },
        el("h2", { id: headingId }, title, el("span", { class: "count" }, String(cards.length))),
        el("ul", { class: "cards" }, ...cards.map((c) => cardNode(key, c)))
      )
    )
  }
  $("project").textContent = board.project_path
  const nav = el("nav", { class: "artifacts", "aria-label": "Mission artifacts" })
  for (const [flag, name, label] of ARTIFACTS) {
    if (board.artifacts[flag]?.exists) nav.append(el("a", { href: `#/mission/${enc(key)}/artifact/${name}` }, label))
  }
  main().replaceChildren(
    el("p", { class: "crumbs" }, el("a", { href: "#/" }, "Missions"), " / "),
    el("h1", {}, board.display_name),
    el(
      "p",
      { class: "summary" },
      progress(board.weighted_percentage, "Weighted progress"),
      ` ${board.weighted_percentage === null ? "–" : board.weighted_percentage + "%"} weighted`,
      board.is_legacy ? " · legacy layout (lanes in directories): no board" : "",
      board.error ? ` · ${board.error}` : ""
    ),
    nav,
    timeTravel(key, at) ?? "",
    columns
  )
  document.title = `${board.display_name} · kittyctx`
  if (focused !== null) columns.querySelector<HTMLElement>(`[data-wp="${CSS.escape(focused)}"]`)?.focus()
}

const openDialog = (dialog: HTMLDialogElement) => {
  if (!dialog.open) dialog.showModal()
}

const renderWp = async (key: string, wp: string) => {
  if (lastBoardKey !== key || main().querySelector(".board") === null) await renderBoard(key, null)
  const token = renderToken
  const data = await getJson<Card & { prompt_html: string; history: Array<EventItem> }>(
    `/api/missions/${enc(key)}/wp/${enc(wp)}`
  )
  if (token !== renderToken) return
  const dialog = $("detail") as HTMLDialogElement
  $("detail-title").textContent = data === null ? `${wp} not found` : `${data.id} · ${data.title}`
  const body = $("detail-body")
  if (data === null) {
    body.replaceChildren(el("p", {}, "This work package has no prompt file or no status events."))
  } else {
    const prompt = el("div", { class: "prompt markdown" })
    // prompt_html is sanitised on the server (allowlist; scripts, handlers, remote images removed)
    prompt.innerHTML = data.prompt_html
    const history = el(
      "ol",
      { class: "history", "aria-label": "Event history" },
      ...data.history.map((e) =>
        el("li", {}, el("time", {}, e.at), ` ${e.from_lane} → ${e.to_lane} by ${e.actor}`, e.force ? " (forced)" : "", e.reason ? ` · ${e.reason}` : "")
      )
    )
    body.replaceChildren(
      el(
        "p",
        { class: "card-meta" },
        `Lane: ${data.lane}`,
        data.agent ? ` · agent ${data.agent}` : "",
        data.subtasks_total > 0 ? ` · ${data.subtasks_done}/${data.subtasks_total} subtasks` : "",
        ` · ${data.prompt_path}`,
        data.encoding_error ? " · not valid UTF-8 (shown with replacement characters)" : ""
      ),
      prompt,
      el("h3", {}, "History"),
      history
    )
  }
  openDialog(dialog)
}

const renderArtifact = async (key: string, name: string) => {
  const token = ++renderToken
  const data = await getJson<{ name: string; exists: boolean; html: string }>(`/api/missions/${enc(key)}/artifact/${enc(name)}`)
  if (token !== renderToken) return
  const doc = el("article", { class: "markdown artifact" })
  // html is sanitised on the server
  if (data?.exists) doc.innerHTML = data.html
  else doc.append(el("p", {}, "This artifact does not exist."))
  main().replaceChildren(
    el("p", { class: "crumbs" }, el("a", { href: "#/" }, "Missions"), " / ", el("a", { href: boardHash(key) }, "Board"), " / "),
    el("h1", {}, name),
    doc
  )
  document.title = `${name} · kittyctx`
}

const closeDetail = () => {
  const dialog = $("detail") as HTMLDialogElement
  if (dialog.open) dialog.close()
}

const render = async () => {
  view = parseHash(location.hash)
  if (view.kind !== "wp") closeDetail()
  switch (view.kind) {
    case "missions":
      lastBoardKey = null
      return renderMissions()
    case "board":
      return renderBoard(view.key, view.at)
    case "wp":
      return renderWp(view.key, view.wp)
    case "artifact":
      lastBoardKey = null
      return renderArtifact(view.key, view.name)
  }
}

// ---------------------------------------------------------------------------------------------
// Live updates: one EventSource; a `changed` naming the shown mission refetches that view only

const setLive = (text: string, state: string) => {
  const live = $("live")
  live.textContent = text
  live.dataset.state = state
}

const connect = () => {
  const source = new EventSource("/api/events")
  let dropped = false
  source.addEventListener("open", () => {
    setLive("live", "on")
    if (dropped) {
      dropped = false
      void render()
    }
  })
  source.addEventListener("error", () => {
    dropped = true
    setLive("reconnecting…", "off")
  })
  source.addEventListener("changed", (e) => {
    let missions: Array<string> = []
    try {
      missions = (JSON.parse((e as MessageEvent<string>).data) as { missions: Array<string> }).missions
    } catch {
      return
    }
    const v = view
    if (v.kind === "missions" && missions.length > 0) void renderMissions()
    else if (v.kind === "board" && missions.includes(v.key)) {
      void renderBoard(v.key, v.at).then(() => announce("Board updated"))
    } else if (v.kind === "wp" && missions.includes(v.key)) void renderBoard(v.key, null).then(() => renderWp(v.key, v.wp))
    else if (v.kind === "artifact" && missions.includes(v.key)) void renderArtifact(v.key, v.name)
  })
}

// ---------------------------------------------------------------------------------------------
// Keyboard

const focusables = (): Array<HTMLElement> => [...main().querySelectorAll<HTMLElement>("a.card, a.mission-link")]

const moveFocus = (delta: number) => {
  const items = focusables()
  if (items.length === 0) return
  const i = items.indexOf(document.activeElement as HTMLElement)
  const next = i < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, i + delta))
  items[next].focus()
}

const step = (delta: number) => {
  const v = view
  if (v.kind !== "board" || events.length === 0) return
  const n = events.length
  const index = v.at === null ? n : events.findIndex((e) => e.event_id === v.at) + 1
  const next = Math.max(1, Math.min(n, index + delta))
  location.hash = next >= n ? boardHash(v.key) : boardHash(v.key, events[next - 1].event_id)
}

document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement
  if (e.ctrlKey || e.metaKey || e.altKey || target.matches("input, textarea, select")) return
  const keys = $("keys") as HTMLDialogElement
  if (e.key === "?") {
    e.preventDefault()
    if (keys.open) keys.close()
    else keys.showModal()
    return
  }
  if (keys.open || ($("detail") as HTMLDialogElement).open) return
  switch (e.key) {
    case "j":
      moveFocus(1)
      break
    case "k":
      moveFocus(-1)
      break
    case "g":
      location.hash = "#/"
      break
    case "[":
      step(-1)
      break
    case "]":
      step(1)
      break
    case "Escape":
      if (view.kind === "artifact" || view.kind === "board") location.hash = view.kind === "artifact" ? boardHash(view.key) : "#/"
      break
    default:
      return
  }
  e.preventDefault()
})

const detailClosed = () => {
  const v = view
  if (v.kind === "wp") {
    history.replaceState(null, "", boardHash(v.key))
    view = { kind: "board", key: v.key, at: null }
    main().querySelector<HTMLElement>(`[data-wp="${CSS.escape(v.wp)}"]`)?.focus()
  }
}

window.addEventListener("hashchange", () => void render())
document.addEventListener("DOMContentLoaded", () => {
  const detail = $("detail") as HTMLDialogElement
  detail.addEventListener("close", detailClosed)
  $("detail-close").addEventListener("click", () => detail.close())
  $("keys-close").addEventListener("click", () => ($("keys") as HTMLDialogElement).close())
  $("keys-button").addEventListener("click", () => ($("keys") as HTMLDialogElement).showModal())
  connect()
  void render()
})
