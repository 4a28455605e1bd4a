/**
 * `meta.json` and `lanes.json` as the execution context reads them (docs/execution-context.md §2.3-§2.5):
 * schemas, the validation that maps to `MISSION_META_INVALID` / `LANES_MANIFEST_INVALID`, the four
 * topologies and the commit-kind rule. Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Either, ParseResult, Schema } from "effect"
import { ContextErrors } from "./ContextError.js"
import type { ContextError } from "./ContextError.js"
import { parseJsonText } from "../python/PyJson.js"
import { isUlid } from "../repo/Naming.js"
import { branchNameProblem } from "../repo/RefName.js"
import { snapshotIdentity } from "../status/Snapshot.js"
import type { SnapshotIdentity } from "../status/Snapshot.js"

/** The four topologies. */
export const TOPOLOGIES = ["single_branch", "lanes", "coord", "lanes_with_coord"] as const
/** A mission topology. */
export type Topology = (typeof TOPOLOGIES)[number]

/** Where the destination ref comes from. */
export type CommitKind = "primary" | "coordination" | "flattened"

/** A branch name git accepts and cannot read as an option (docs/surfaces.md §0.4). */
const BranchName = Schema.String.pipe(
  Schema.filter((s) => {
    const problem = branchNameProblem(s)
    return problem === null ? true : `must be a valid git branch name: ${problem}`
  })
)

/** A coordination branch: a branch name, or empty/null for "none". */
const OptionalBranchName = Schema.NullOr(
  Schema.String.pipe(
    Schema.filter((s) => {
      const problem = s === "" ? null : branchNameProblem(s)
      return problem === null ? true : `must be a valid git branch name: ${problem}`
    })
  )
)

/** The fields of `meta.json` the context reads; every other key is ignored. */
export const MissionMetaSchema = Schema.Struct({
  mission_id: Schema.optional(
    Schema.String.pipe(Schema.filter(isUlid, { message: () => "must be a 26-character Crockford ULID" }))
  ),
  mission_slug: Schema.optional(Schema.Unknown),
  slug: Schema.optional(Schema.Unknown),
  target_branch: Schema.optional(BranchName),
  /** Where `merge` integrates the mission when it differs from `target_branch`. */
  merge_target_branch: Schema.optional(BranchName),
  coordination_branch: Schema.optional(OptionalBranchName),
  topology: Schema.optional(Schema.NullOr(Schema.Literal(...TOPOLOGIES))),
  flattened: Schema.optional(Schema.Boolean),
  mid8: Schema.optional(Schema.String),
  change_mode: Schema.optional(Schema.NullOr(Schema.String)),
  // display only (the dashboard's mission rows, a retrospective record's name); never used to locate anything
  friendly_name: Schema.optional(Schema.Unknown),
  created_at: Schema.optional(Schema.Unknown),
  status_phase: Schema.optional(Schema.Unknown)
})

/** The decoded meta fields, and the snapshot identity (`mission_number`, `mission_type`) from the same parse. */
export type MissionMeta = Schema.Schema.Type<typeof MissionMetaSchema> & { readonly identity: SnapshotIdentity }

/** The identity of a mission without a `meta.json` (a legacy mission). */
export const ABSENT_META_IDENTITY: SnapshotIdentity = { mission_number: null, mission_type: "" }

const firstIssue = (e: ParseResult.ParseError) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(e)[0]
  return { field: issue?.path.map(String).join("."), reason: issue?.message ?? "invalid" }
}

/** Decodes the text of a primary `meta.json` (`null` = absent, a legacy mission). */
export const decodeMissionMeta = (path: string, text: string | null): Either.Either<MissionMeta | null, ContextError> => {
  if (text === null) return Either.right(null)
  const parsed = parseJsonText(text)
  if (Either.isLeft(parsed)) return Either.left(ContextErrors.metaInvalid(path, `not valid JSON: ${parsed.left}`))
  const raw = parsed.right
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return Either.left(ContextErrors.metaInvalid(path, "not a JSON object"))
  }
  const decoded = Schema.decodeUnknownEither(MissionMetaSchema)(raw)
  if (Either.isLeft(decoded)) {
    const { field, reason } = firstIssue(decoded.left)
    return Either.left(ContextErrors.metaInvalid(path, reason, field === "" ? undefined : field))
  }
  const meta = decoded.right
  if (meta.mid8 !== undefined && (meta.mission_id === undefined || meta.mid8 !== meta.mission_id.slice(0, 8))) {
    return Either.left(ContextErrors.metaInvalid(path, "mid8 must equal the first 8 characters of mission_id", "mid8"))
  }
  const identity = snapshotIdentity(raw)
  if (Either.isLeft(identity)) return Either.left(ContextErrors.metaInvalid(path, identity.left.reason, identity.left.field))
  return Either.right({ ...meta, identity: identity.right })
}

/** R-TOPO-1: the stored topology, or the one derived from the coordination branch and lanes.json. */
export const topologyOf = (
  meta: MissionMeta | null,
  lanesJsonExists: boolean
): { readonly value: Topology; readonly source: "stored" | "derived" } => {
  const stored = meta?.topology
  if (stored !== undefined && stored !== null) return { value: stored, source: "stored" }
  const coord = meta?.coordination_branch
  if (typeof coord === "string" && coord !== "") {
    return { value: lanesJsonExists ? "lanes_with_coord" : "coord", source: "derived" }
  }
  return { value: lanesJsonExists ? "lanes" : "single_branch", source: "derived" }
}

/** R-TOPO-2: true for `coord` and `lanes_with_coord`. */
export const routesThroughCoordination = (t: Topology): boolean => t === "coord" || t === "lanes_with_coord"

/** §8.2: coordination iff the topology routes through coordination and a branch is declared. */
export const commitKindOf = (meta: MissionMeta | null, topology: Topology): CommitKind => {
  const coord = meta?.coordination_branch
  if (routesThroughCoordination(topology) && typeof coord === "string" && coord !== "") return "coordination"
  if (meta?.flattened === true || topology === "single_branch") return "flattened"
  return "primary"
}

/** One lane of `lanes.json`. */
export const LaneEntrySchema = Schema.Struct({
  lane_id: Schema.String.pipe(
    Schema.filter((s) => /^lane-[a-z]$/.test(s) || s === "lane-planning", {
      message: () => "lane_id must be lane-[a-z] or lane-planning"
    })
  ),
  wp_ids: Schema.Array(Schema.String)
})

/** The parts of `lanes.json` the context reads. */
export const LanesManifestSchema = Schema.Struct({
  version: Schema.Literal(1),
  mission_branch: Schema.optional(OptionalBranchName),
  target_branch: Schema.optional(OptionalBranchName),
  lanes: Schema.Array(LaneEntrySchema)
})

/** A decoded lanes manifest. */
export type LanesManifest = Schema.Schema.Type<typeof LanesManifestSchema>

/** Decodes `lanes.json` text (R-LANES-1); absent is `LANES_MANIFEST_INVALID` with reason `missing`. */
export const decodeLanesManifest = (path: string, text: string | null): Either.Either<LanesManifest, ContextError> => {
  if (text === null) return Either.left(ContextErrors.lanesInvalid(path, "missing"))
  const parsed = parseJsonText(text)
  if (Either.isLeft(parsed)) return Either.left(ContextErrors.lanesInvalid(path, `not valid JSON: ${parsed.left}`))
  const raw = parsed.right
  const decoded = Schema.decodeUnknownEither(LanesManifestSchema)(raw)
  if (Either.isLeft(decoded)) {
    const { field, reason } = firstIssue(decoded.left)
    return Either.left(ContextErrors.lanesInvalid(path, field ? `${field}: ${reason}` : reason))
  }
  const seen = new Map<string, string>()
  for (const lane of decoded.right.lanes) {
    for (const wp of lane.wp_ids) {
      const other = seen.get(wp)
      if (other !== undefined) {
        return Either.left(ContextErrors.lanesInvalid(path, `${wp} appears in both ${other} and ${lane.lane_id}`))
      }
      seen.set(wp, lane.lane_id)
    }
  }
  return Either.right(decoded.right)
}

/**
 * spec-kitty's phase-1 frontmatter mirror applies (docs/status-model.md §6.1 step 11): `status_phase` ≥ 1
 * on a mission spec-kitty writes outside its bookkeeping transaction, i.e. one without a coordination
 * branch whose directory is not named `<slug>-<mid8>` (the old `NNN-slug` missions).
 */
export const mirrorsFrontmatterLane = (meta: MissionMeta | null, dirName: string): boolean => {
  if (meta === null) return false
  const phase = meta.status_phase
  const text = typeof phase === "number" || typeof phase === "string" ? String(phase).trim() : ""
  if (!/^[+-]?\d+$/.test(text) || Number(text) < 1) return false
  const coord = meta.coordination_branch
  if (typeof coord === "string" && coord !== "") return false
  const mid8 = meta.mission_id?.slice(0, 8)
  return mid8 === undefined || !dirName.endsWith(`-${mid8}`)
}
