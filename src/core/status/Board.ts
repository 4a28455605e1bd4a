/**
 * The human board of `status show` (docs/status-model.md §8.4): one row per work package with its title,
 * lane, subtasks done/total, agent and what it is waiting for, from the snapshot and the facts of the
 * WP prompt files. Pure.
 */

/** What the prompt file of a WP says. */
export interface WpFacts {
  readonly title: string | null
  /** The authored `subtasks:` roster; null when the file has none or cannot be read. */
  readonly roster: ReadonlyArray<string> | null
  readonly dependencies: ReadonlyArray<string>
}

/** One row of the board. */
export interface BoardRow {
  readonly wp_id: string
  readonly title: string | null
  readonly lane: string
  readonly agent: string | null
  readonly subtasks: { readonly done: number; readonly total: number } | null
  readonly waiting_for: string
}

const SATISFIED = new Set(["approved", "done"])

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null)

/** The rows, WPs in id order: every WP with status, and every WP with a prompt file but no status yet. */
export const boardRows = (
  workPackages: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  facts: ReadonlyMap<string, WpFacts>
): ReadonlyArray<BoardRow> => {
  const ids = [...new Set([...Object.keys(workPackages), ...facts.keys()])].sort()
  const laneOf = (id: string) => str(workPackages[id]?.lane) ?? "(no status)"
  return ids.map((id) => {
    const wp = workPackages[id]
    const fact = facts.get(id)
    const lane = laneOf(id)
    const marks = (wp?.subtasks ?? {}) as Record<string, unknown>
    const roster = fact?.roster ?? null
    const missing = roster === null ? [] : roster.filter((t) => marks[t] !== "done")
    const subtasks = roster === null || roster.length === 0 ? null : { done: roster.length - missing.length, total: roster.length }
    const agent = str(wp?.agent) ?? str(wp?.actor)
    const waiting = (() => {
      switch (lane) {
        case "(no status)":
          return "not finalized: no planned event yet"
        case "uninitialized":
          return "no lane event yet"
        case "planned": {
          const blocked = (fact?.dependencies ?? []).filter((d) => !SATISFIED.has(laneOf(d)))
          return blocked.length === 0 ? "ready to claim" : `waits for ${blocked.map((d) => `${d} (${laneOf(d)})`).join(", ")}`
        }
        case "claimed":
          return `claimed by ${agent ?? "an agent"}; implementation not started`
        case "in_progress":
          return roster === null
            ? "in progress"
            : missing.length > 0
            ? `needs subtasks ${missing.join(",")}`
            : "ready for review"
        case "for_review":
          return "waits for a reviewer"
        case "in_review":
          return `in review by ${str(wp?.actor) ?? "a reviewer"}`
        case "approved":
          return "approved; waits for merge"
        case "done":
          return "done"
        case "blocked":
          return "blocked"
        case "canceled":
          return "canceled"
        default:
          return lane
      }
    })()
    return { wp_id: id, title: fact?.title ?? null, lane, agent, subtasks, waiting_for: waiting }
  })
}

/** Columns sized to their longest cell, so long agent names keep the table aligned. */
export const renderBoardTable = (rows: ReadonlyArray<BoardRow>): ReadonlyArray<string> => {
  const cells = rows.map((r) => [
    r.wp_id,
    r.lane,
    r.subtasks === null ? "-" : `${r.subtasks.done}/${r.subtasks.total}`,
    r.agent ?? "-",
    r.title ?? "-",
    r.waiting_for
  ])
  const header = ["WP", "lane", "subtasks", "agent", "title", "waiting for"]
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: ReadonlyArray<string>) => "  " + c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ")
  return [line(header), ...cells.map(line)].map((l) => l.replace(/\s+$/, ""))
}
