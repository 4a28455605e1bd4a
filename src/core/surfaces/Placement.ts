/**
 * Write-side placement rules (docs/surfaces.md §0.3, §1.6): the protected-branch predicate, `git status`
 * porcelain parsing, the coordination-residue classification (a rule table, not a code path) and the
 * placement-divergence function shared by record-analysis and implement. Pure.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import type { CommitKind } from "../context/MissionMeta.js"
import { EVENTS_FILE, exactNames as exactly, LANES_FILE, META_FILE, SNAPSHOT_FILE, TASKS_DIR } from "../repo/Naming.js"
import { kindOfMissionFile, LIFECYCLE_KINDS } from "../context/ExecutionContext.js"

/** `main`, `master` and every name in `KITTYCTX_PROTECTED_BRANCHES` (comma-separated) are protected. */
export const isProtected = (ref: string, extra: ReadonlyArray<string>): boolean =>
  ref === "main" || ref === "master" || extra.includes(ref)

/** One entry of `git status --porcelain=v1 -z`. */
export interface StatusEntry {
  readonly x: string
  readonly y: string
  readonly path: string
  /** The source of a rename or copy. */
  readonly origPath: string | null
}

/** Parses `git status --porcelain=v1 -z` output (renames and copies carry their source as the next field). */
export const parsePorcelainZ = (text: string): ReadonlyArray<StatusEntry> => {
  const fields = text.split("\u0000")
  const out: Array<StatusEntry> = []
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]
    if (f.length < 4) continue
    const x = f[0]
    const y = f[1]
    const path = f.slice(3)
    let origPath: string | null = null
    if (x === "R" || x === "C" || y === "R" || y === "C") origPath = fields[++i] ?? null
    out.push({ x, y, path, origPath })
  }
  return out
}

/** Every path an entry touches (a rename contributes both). */
export const entryPaths = (e: StatusEntry): ReadonlyArray<string> => (e.origPath === null ? [e.path] : [e.path, e.origPath])

/** True for a deletion, rename or copy (structural changes never auto-committed). */
export const isStructural = (e: StatusEntry): boolean =>
  ["D", "R", "C"].includes(e.x) || ["D", "R", "C"].includes(e.y)

/** A residue rule: a path pattern relative to the mission dir that may be dirty in the primary checkout. */
export interface ResidueRule {
  readonly id: string
  readonly pattern: RegExp
  readonly issue: string
  readonly enabled: boolean
}

/** The residue rule table (data; adding a rule is a data change with a regression test). */
export const RESIDUE_RULES: ReadonlyArray<ResidueRule> = [
  { id: "status-log", pattern: exactly(EVENTS_FILE), issue: "#1814", enabled: true },
  { id: "status-snapshot", pattern: exactly(SNAPSHOT_FILE), issue: "#1814", enabled: true },
  { id: "lanes-state", pattern: exactly(LANES_FILE), issue: "#1814 (reserved)", enabled: false },
  { id: "wp-prompts", pattern: new RegExp(`^${TASKS_DIR}/`), issue: "#1814 (reserved)", enabled: false },
  { id: "decisions-ledger", pattern: /^decisions\.events\.jsonl$/, issue: "#1814 (reserved)", enabled: false }
]

/** How a dirty primary path is judged. */
export type DirtyClass = "coord_residue" | "blocking"

/** §1.6: residue only under coordination placement, inside the mission's own dir, matching an enabled rule. */
export const classifyDirtyPath = (
  path: string,
  ctx: { readonly missionDir: string; readonly placementKind: CommitKind | null; readonly rules: ReadonlyArray<ResidueRule> }
): DirtyClass => {
  if (ctx.placementKind !== "coordination") return "blocking"
  const prefix = ctx.missionDir + "/"
  if (!path.startsWith(prefix)) return "blocking"
  const rel = path.slice(prefix.length)
  return ctx.rules.some((r) => r.enabled && r.pattern.test(rel)) ? "coord_residue" : "blocking"
}

/** The outcome for the dirty primary paths under coordination placement (§1.6 table). */
export interface Divergence {
  readonly harmless: ReadonlyArray<string>
  readonly blocking: ReadonlyArray<string>
  readonly divergent: ReadonlyArray<string>
  readonly notAdoptable: ReadonlyArray<string>
}

/**
 * §1.6 `placementDivergence`: each dirty primary path gets one outcome. `primaryBytes` / `placementBytes`
 * give each copy's content (`null` = absent); `placementDirty` lists paths also dirty in the placement checkout.
 */
export const placementDivergence = (
  primaryDirty: ReadonlyArray<string>,
  ctx: {
    readonly missionDir: string
    readonly placementKind: CommitKind | null
    readonly rules: ReadonlyArray<ResidueRule>
    readonly primaryBytes: (path: string) => string | null
    readonly placementBytes: (path: string) => string | null
    readonly placementDirty: ReadonlySet<string>
  }
): Divergence => {
  const harmless: Array<string> = []
  const blocking: Array<string> = []
  const divergent: Array<string> = []
  const notAdoptable: Array<string> = []
  const prefix = ctx.missionDir + "/"
  for (const path of [...new Set(primaryDirty)].sort()) {
    if (classifyDirtyPath(path, ctx) === "coord_residue") {
      harmless.push(path)
      continue
    }
    if (!path.startsWith(prefix) || ctx.placementKind !== "coordination") {
      blocking.push(path)
      continue
    }
    const rel = path.slice(prefix.length)
    if (rel === META_FILE) {
      blocking.push(path)
      continue
    }
    const a = ctx.primaryBytes(path)
    const b = ctx.placementBytes(path)
    if (a === b) {
      harmless.push(path)
      continue
    }
    divergent.push(path)
    const kind = kindOfMissionFile(rel)
    if (a === null || (kind !== null && LIFECYCLE_KINDS.has(kind)) || ctx.placementDirty.has(path)) notAdoptable.push(path)
  }
  return { harmless, blocking, divergent, notAdoptable }
}
