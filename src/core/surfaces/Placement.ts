/**
 * Write-side placement rules (docs/surfaces.md §0.3, §1.6): the protected-branch policy, `git status`
 * porcelain parsing, the rule table that classifies dirty paths (kittyctx's own bookkeeping, the
 * mission's own records, coordination residue) and the placement-divergence function shared by
 * record-analysis and implement. Pure. Bare section numbers (§N) cite docs/surfaces.md.
 */
import type { CommitKind } from "../context/MissionMeta.js"
import {
  anyMissionFile,
  EVENTS_FILE,
  exactNames as exactly,
  kittifySubtree,
  LANES_FILE,
  META_FILE,
  SNAPSHOT_FILE,
  TASKS_DIR
} from "../repo/Naming.js"
import { kindOfMissionFile, LIFECYCLE_KINDS } from "../context/ExecutionContext.js"
import { ANALYSIS_REPORT_FILE } from "./AnalysisReport.js"

/** The branches a project protects, and where the list came from (docs/surfaces.md §0.3). */
export interface ProtectionPolicy {
  /** Sorted, unique. */
  readonly branches: ReadonlyArray<string>
  /** `config`: `.kittify/config.yaml` `protection.protected_branches`; `default`: main, master, origin's default. */
  readonly source: "config" | "default"
}

/** The short name of origin's default branch from `refs/remotes/origin/HEAD`'s target, if it is one. */
export const originDefaultBranch = (originHead: string | null): string | null => {
  const prefix = "refs/remotes/origin/"
  return originHead !== null && originHead.startsWith(prefix) && originHead.length > prefix.length
    ? originHead.slice(prefix.length)
    : null
}

/**
 * spec-kitty's rule: the configured list exactly when one is given (`[]` protects nothing), else `main`,
 * `master` and origin's default branch; `KITTYCTX_PROTECTED_BRANCHES` adds names in both cases.
 */
export const protectionPolicyOf = (
  configured: ReadonlyArray<string> | null,
  originDefault: string | null,
  extra: ReadonlyArray<string>
): ProtectionPolicy => {
  const base = configured ?? ["main", "master", ...(originDefault === null ? [] : [originDefault])]
  return { branches: [...new Set([...base, ...extra])].sort(), source: configured === null ? "default" : "config" }
}

/** True when the policy protects `ref`. */
export const isProtected = (ref: string, policy: ProtectionPolicy): boolean => policy.branches.includes(ref)

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

/**
 * What a rule says about a dirty path:
 * - `bookkeeping`: kittyctx's (and spec-kitty's) own bookkeeping, matched on the repo-relative path of any
 *   mission: never blocks a preflight, never a planning artifact, never compared or copied;
 * - `record`: a record of this mission that kittyctx itself rewrites (matched relative to the mission dir,
 *   in the checkout the record is written in): a re-run overwrites it, a claim does not need it;
 * - `coord_residue`: matched relative to the mission dir, harmless only under coordination placement.
 */
export type RuleKind = "bookkeeping" | "record" | "coord_residue"

/** One row of the rule table. */
export interface ResidueRule {
  readonly id: string
  readonly kind: RuleKind
  readonly pattern: RegExp
  readonly issue: string
  readonly enabled: boolean
}

/** The rule table (data; adding a rule is a data change with a regression test). */
export const RESIDUE_RULES: ReadonlyArray<ResidueRule> = [
  { id: "status-log", kind: "bookkeeping", pattern: anyMissionFile(EVENTS_FILE), issue: "#1814", enabled: true },
  { id: "status-snapshot", kind: "bookkeeping", pattern: anyMissionFile(SNAPSHOT_FILE), issue: "#1814", enabled: true },
  { id: "derived-views", kind: "bookkeeping", pattern: kittifySubtree("derived"), issue: "#2369", enabled: true },
  { id: "workspace-records", kind: "bookkeeping", pattern: kittifySubtree("workspaces", "json"), issue: "-", enabled: true },
  { id: "analysis-report", kind: "record", pattern: exactly(ANALYSIS_REPORT_FILE), issue: "-", enabled: true },
  { id: "lanes-state", kind: "coord_residue", pattern: exactly(LANES_FILE), issue: "#1814 (reserved)", enabled: false },
  { id: "wp-prompts", kind: "coord_residue", pattern: new RegExp(`^${TASKS_DIR}/`), issue: "#1814 (reserved)", enabled: false },
  {
    id: "decisions-ledger",
    kind: "coord_residue",
    pattern: /^decisions\.events\.jsonl$/,
    issue: "#1814 (reserved)",
    enabled: false
  }
]

/** True when an enabled `bookkeeping` rule matches the repo-relative `path` (any mission, any topology). */
export const isBookkeeping = (path: string, rules: ReadonlyArray<ResidueRule>): boolean =>
  rules.some((r) => r.enabled && r.kind === "bookkeeping" && r.pattern.test(path))

/** True when `path` is a `record` of the mission whose dir (repo-relative) is `missionDir`. */
export const isOwnRecord = (path: string, missionDir: string, rules: ReadonlyArray<ResidueRule>): boolean =>
  path.startsWith(missionDir + "/") &&
  rules.some((r) => r.enabled && r.kind === "record" && r.pattern.test(path.slice(missionDir.length + 1)))

/** How a dirty path is judged. */
export type DirtyClass = "bookkeeping" | "coord_residue" | "blocking"

/**
 * §1.6: bookkeeping of any mission in any topology; coordination residue only under coordination
 * placement, inside the mission's own dir, matching an enabled residue rule; everything else blocks.
 */
export const classifyDirtyPath = (
  path: string,
  ctx: { readonly missionDir: string; readonly placementKind: CommitKind | null; readonly rules: ReadonlyArray<ResidueRule> }
): DirtyClass => {
  if (isBookkeeping(path, ctx.rules)) return "bookkeeping"
  if (ctx.placementKind !== "coordination") return "blocking"
  const prefix = ctx.missionDir + "/"
  if (!path.startsWith(prefix)) return "blocking"
  const rel = path.slice(prefix.length)
  return ctx.rules.some((r) => r.enabled && r.kind === "coord_residue" && r.pattern.test(rel)) ? "coord_residue" : "blocking"
}

/**
 * The dirty paths of the checkout a surface writes in: kittyctx's bookkeeping and this mission's own
 * records are set apart; the rest are the paths that block (a preflight) or must be committed (a claim).
 */
export const splitOwnWrites = (
  paths: ReadonlyArray<string>,
  ctx: { readonly missionDir: string; readonly rules: ReadonlyArray<ResidueRule> }
): { readonly own: ReadonlyArray<string>; readonly others: ReadonlyArray<string> } => {
  const own: Array<string> = []
  const others: Array<string> = []
  for (const p of paths) {
    ;(isBookkeeping(p, ctx.rules) || isOwnRecord(p, ctx.missionDir, ctx.rules) ? own : others).push(p)
  }
  return { own, others }
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
    if (classifyDirtyPath(path, ctx) !== "blocking") {
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
