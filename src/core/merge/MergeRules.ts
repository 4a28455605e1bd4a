/**
 * The pure rules of `kittyctx merge` (docs/surfaces.md §5.4-§5.8): the configured strategy, which WPs
 * block a merge, the mission-number bake as a one-value text edit, and the done rows: their stamps
 * (fixed before anything is written, so a resumed run writes the same bytes) and their request.
 */
import { Either } from "effect"
import { parse as parseYaml } from "yaml"
import { configInvalid } from "../config/ConfigError.js"
import type { ConfigError } from "../config/ConfigError.js"
import { parseIsoMicros } from "../status/Snapshot.js"
import type { TransitionRequest } from "../status/StatusEvent.js"
import { formatPyIsoUtc } from "../status/Ulid.js"
import { compareCodePoints } from "../repo/Text.js"
import { MERGE_STRATEGIES } from "./MergeState.js"
import type { MergeStrategy } from "./MergeState.js"

// ---------------------------------------------------------------------------------------------
// Strategy

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * `merge.strategy` of `.kittify/config.yaml` (null when the file, the `merge` mapping or the key is
 * absent). A value that is not a strategy, or a file that is not YAML, is `CONFIG_INVALID`: never a
 * silent fallback.
 */
export const strategyFromConfig = (text: string | null): Either.Either<MergeStrategy | null, ConfigError> => {
  if (text === null) return Either.right(null)
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    return Either.left(configInvalid(".kittify/config.yaml", (e as Error).message.split("\n")[0], "a YAML document"))
  }
  if (doc === null || doc === undefined) return Either.right(null)
  if (!isMapping(doc)) return Either.left(configInvalid(".kittify/config.yaml", typeof doc, "a YAML mapping"))
  const merge = doc.merge
  if (merge === undefined || merge === null) return Either.right(null)
  if (!isMapping(merge)) return Either.left(configInvalid("merge (.kittify/config.yaml)", merge, "a mapping with a strategy key"))
  const raw = merge.strategy
  if (raw === undefined || raw === null) return Either.right(null)
  if (typeof raw !== "string" || !(MERGE_STRATEGIES as ReadonlyArray<string>).includes(raw.trim().toLowerCase())) {
    return Either.left(configInvalid("merge.strategy (.kittify/config.yaml)", raw, MERGE_STRATEGIES.join(", ")))
  }
  return Either.right(raw.trim().toLowerCase() as MergeStrategy)
}

// ---------------------------------------------------------------------------------------------
// Gate

/** The lanes in which a WP may be merged. */
export const MERGEABLE_LANES: ReadonlySet<string> = new Set(["approved", "done", "canceled"])

/** The WPs that block a merge (`WPnn (lane)`), from the folded lane of every WP. */
export const blockingWps = (lanes: ReadonlyMap<string, string>): ReadonlyArray<{ readonly wp_id: string; readonly lane: string }> =>
  [...lanes.entries()]
    .filter(([, lane]) => !MERGEABLE_LANES.has(lane))
    .map(([wp_id, lane]) => ({ wp_id, lane }))
    .sort((a, b) => compareCodePoints(a.wp_id, b.wp_id))

// ---------------------------------------------------------------------------------------------
// Mission number

/** A meta.json's `mission_number` as spec-kitty reads it: an integer, or a string of digits; else null. */
export const missionNumberOf = (meta: unknown): number | null => {
  if (!isMapping(meta)) return null
  const v = meta.mission_number
  if (typeof v === "number" && Number.isSafeInteger(v)) return v
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number(v.trim())
  return null
}

const NUMBER_LINE = /"mission_number"\s*:\s*(?:(-?\d+)\b|"\s*(\d+)\s*")/

/**
 * `1 + max(mission_number)` over the target tree's mission metas, from `git grep` output lines
 * (`<rev>:<path>:<text>`); 1 when none is numbered.
 */
export const nextMissionNumber = (grepLines: ReadonlyArray<string>): number => {
  let max = 0
  for (const line of grepLines) {
    const m = NUMBER_LINE.exec(line)
    if (m === null) continue
    const n = Number(m[1] ?? m[2])
    if (Number.isSafeInteger(n) && n > max) max = n
  }
  return max + 1
}

/** Skips JSON whitespace from `i`. */
const skipWs = (t: string, i: number): number => {
  while (i < t.length && (t[i] === " " || t[i] === "\n" || t[i] === "\r" || t[i] === "\t")) i++
  return i
}

/** The end (exclusive) of the JSON string starting at `i` (a `"`). */
const stringEnd = (t: string, i: number): number => {
  for (let j = i + 1; j < t.length; j++) {
    if (t[j] === "\\") j++
    else if (t[j] === "\"") return j + 1
  }
  return t.length
}

/** The end (exclusive) of the JSON value starting at `i`. */
const valueEnd = (t: string, i: number): number => {
  if (t[i] === "\"") return stringEnd(t, i)
  if (t[i] === "{" || t[i] === "[") {
    let depth = 0
    for (let j = i; j < t.length; j++) {
      const c = t[j]
      if (c === "\"") j = stringEnd(t, j) - 1
      else if (c === "{" || c === "[") depth++
      else if (c === "}" || c === "]") {
        depth--
        if (depth === 0) return j + 1
      }
    }
    return t.length
  }
  let j = i
  while (j < t.length && !",}] \n\r\t".includes(t[j])) j++
  return j
}

/**
 * meta.json with only the `mission_number` value changed to `n` (docs/surfaces.md §5.7 step 3): every
 * other byte, key order, indentation and the final newline are kept. An absent key is added as the
 * object's last member with the members' indentation. Left: why the text cannot be edited.
 */
export const setMissionNumber = (text: string, n: number): Either.Either<string, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return Either.left(`not valid JSON: ${(e as Error).message}`)
  }
  if (!isMapping(parsed)) return Either.left("not a JSON object")
  const open = skipWs(text, 0)
  let i = skipWs(text, open + 1)
  let lastMemberEnd = -1
  let indent: string | null = null
  while (i < text.length && text[i] !== "}") {
    if (text[i] === ",") i = skipWs(text, i + 1)
    if (indent === null) {
      const lineStart = text.lastIndexOf("\n", i) + 1
      indent = lineStart > open ? text.slice(lineStart, i) : ""
    }
    const keyEnd = stringEnd(text, i)
    const key = JSON.parse(text.slice(i, keyEnd)) as string
    const colon = skipWs(text, keyEnd)
    const vStart = skipWs(text, colon + 1)
    const vEnd = valueEnd(text, vStart)
    if (key === "mission_number") {
      return Either.right(text.slice(0, vStart) + String(n) + text.slice(vEnd))
    }
    lastMemberEnd = vEnd
    i = skipWs(text, vEnd)
  }
  if (lastMemberEnd < 0) return Either.right(text.slice(0, open + 1) + `"mission_number": ${n}` + text.slice(open + 1))
  const member = indent === "" ? ` "mission_number": ${n}` : `\n${indent}"mission_number": ${n}`
  return Either.right(text.slice(0, lastMemberEnd) + "," + member + text.slice(lastMemberEnd))
}

// ---------------------------------------------------------------------------------------------
// Done rows

/** The actor of every row the merge writes. */
export const MERGE_ACTOR = "kittyctx-merge"

/**
 * The `at` of the merge's done rows: the integration commit's time, but strictly after every row already
 * in the log (the reducer orders rows by their `at` text), one microsecond apart in WP order.
 */
export const doneTimes = (commitEpochSeconds: number, existingAts: ReadonlyArray<string>, count: number): ReadonlyArray<string> => {
  let latest = ""
  let latestMicros = 0n
  for (const at of existingAts) {
    if (compareCodePoints(at, latest) > 0) latest = at
    const micros = parseIsoMicros(at)
    if (micros !== null && micros > latestMicros) latestMicros = micros
  }
  // one microsecond past the commit second: every row carries the six-digit fraction rows usually have
  let start = BigInt(commitEpochSeconds) * 1_000_000n + 1n
  if (start <= latestMicros) start = latestMicros + 1n
  // the text order is what counts; step past a last `at` written in another form
  for (let k = 0; k < 1_000_000 && compareCodePoints(formatPyIsoUtc(start), latest) <= 0; k++) start += 1n
  return Array.from({ length: count }, (_, i) => formatPyIsoUtc(start + BigInt(i)))
}

/** The done transition of one WP (approved → done) as the merge requests it (docs/surfaces.md §5.8). */
export const doneRequest = (wpId: string, reviewer: string, targetBranch: string, integrationSha: string): TransitionRequest => ({
  wpId,
  to: "done",
  actor: MERGE_ACTOR,
  force: false,
  reason: `merged into ${targetBranch} at ${integrationSha}`,
  reviewRef: null,
  evidence: { review: { reviewer, verdict: "approved", reference: `lane-approved:${wpId}` } },
  reviewResult: null,
  executionMode: "worktree",
  workspaceContext: `merge:${targetBranch}`,
  subtasksComplete: null,
  implementationEvidencePresent: null,
  policyMetadata: { merge_phase: "lane_integrated", target_branch: targetBranch }
})
