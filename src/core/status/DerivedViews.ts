/**
 * The derived, gitignored views of a snapshot (docs/status-model.md §9.2, §10): `.kittify/derived/<slug>/`
 * `status.json`, `board-summary.json`, `progress.json`, `lifecycle.json`. Pure functions of the
 * snapshot, so a regeneration of the same log is byte-identical (timestamps come from the log).
 * Bare section numbers (§N) cite docs/status-model.md.
 */
import { DISPLAY_LANES, LANE_WEIGHTS } from "./Lane.js"
import { SNAPSHOT_FILE } from "../repo/Naming.js"
import type { Lane } from "./Lane.js"
import { encodePretty, JsonNumber, pyFloatRepr } from "../python/PyJson.js"
import type { JsonValue } from "../python/PyJson.js"
import { snapshotBytes, weightedProgress } from "./Snapshot.js"
import type { Snapshot } from "./Snapshot.js"
import { compareCodePoints } from "../repo/Text.js"

/** The derived file names, in write order. */
export const DERIVED_FILES = [SNAPSHOT_FILE, "board-summary.json", "progress.json", "lifecycle.json"] as const

/** Python `round(x, 4)` written as a Python float (`100.0`, `12.5`). */
const pyFloat4 = (x: number): JsonNumber => new JsonNumber(pyFloatRepr(Number(x.toFixed(4))))

const numberValue = (n: JsonValue): JsonValue => (typeof n === "string" && /^\d+$/.test(n) ? Number(n) : n)

/** The bytes of every derived file for a snapshot (`encoded`: its `snapshotBytes`, when already made). */
export const derivedViews = (
  snapshot: Snapshot,
  encoded: string = snapshotBytes(snapshot)
): Record<(typeof DERIVED_FILES)[number], string> => {
  const wps = snapshot.work_packages as Record<string, { lane: Lane }>
  const ids = Object.keys(wps).sort(compareCodePoints)
  const lanes: Record<string, JsonValue> = {}
  for (const id of ids) {
    const lane = wps[id].lane
    lanes[lane] = [...((lanes[lane] as Array<string> | undefined) ?? []), id]
  }
  const identity = {
    mission_slug: snapshot.mission_slug,
    mission_number: numberValue(snapshot.mission_number),
    mission_type: snapshot.mission_type
  }
  const board = { ...identity, total_wps: ids.length, summary: snapshot.summary, lanes, materialized_at: snapshot.materialized_at }
  const p = weightedProgress(wps)
  const perLane: Record<string, JsonValue> = {}
  for (const lane of DISPLAY_LANES) perLane[lane] = (snapshot.summary as Record<string, number>)[lane] ?? 0
  const progress = {
    ...identity,
    percentage: pyFloat4(p.percentage),
    weighted_percentage: pyFloat4(p.percentage),
    progress_semantics: "weighted_readiness",
    done_percentage: pyFloat4(p.done_percentage),
    done_count: p.done_count,
    total_count: p.total_count,
    per_lane_counts: perLane,
    per_wp: ids.map((id) => ({
      wp_id: id,
      lane: wps[id].lane,
      lane_weight: new JsonNumber(pyFloatRepr(LANE_WEIGHTS[wps[id].lane] ?? 0)),
      wp_weight: new JsonNumber("1.0"),
      fractional_progress: new JsonNumber(pyFloatRepr(LANE_WEIGHTS[wps[id].lane] ?? 0))
    }))
  }
  const all = ids.map((id) => wps[id].lane)
  const state = all.length === 0
    ? "not_started"
    : all.every((l) => l === "done" || l === "canceled")
    ? "complete"
    : all.every((l) => l === "planned" || l === "genesis" || l === "uninitialized")
    ? "planned"
    : "in_progress"
  const lifecycle = { ...identity, state, event_count: snapshot.event_count, materialized_at: snapshot.materialized_at }
  return {
    [SNAPSHOT_FILE]: encoded,
    "board-summary.json": encodePretty(board as unknown as JsonValue),
    "progress.json": encodePretty(progress as unknown as JsonValue),
    "lifecycle.json": encodePretty(lifecycle as unknown as JsonValue)
  }
}
