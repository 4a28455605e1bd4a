/**
 * The retrospective record (docs/surfaces.md §4.2): the generator shape spec-kitty's `retrospect create`
 * writes and its reader (`read_gen_record`) accepts, built from a user's findings, validated by the
 * reader's rules (required keys, no unknown keys, enums, id patterns, evidence references that
 * resolve, findings status consistent with the lists), merged for `--update`, rendered as YAML that
 * reads back the same under YAML 1.1 and 1.2. spec-kitty's older `schema_version: "1"` shape is
 * recognised when read.
 */
import { Either } from "effect"
import { parse as parseYaml, stringify as stringifyYaml } from "yaml"

/** Who wrote a record. */
export interface RecordActor {
  readonly kind: "human" | "agent" | "runtime"
  readonly id: string
  readonly display?: string
}

/** How and when a record was written. */
export interface RecordProvenance {
  readonly kind: "runtime_post_completion" | "runtime_strict_gate" | "explicit_create" | "backfill" | "synthesize_fabricate"
  readonly invoked_at: string
  readonly policy_resolved_from: Readonly<Record<string, string>>
  readonly command?: string
}

/** A helped / not-helpful / gap finding. */
export interface Finding {
  readonly id: string
  readonly category: string
  readonly summary: string
  readonly evidence_refs: ReadonlyArray<string>
  readonly details?: string
}

/** A proposal. */
export interface Proposal {
  readonly id: string
  readonly category: string
  readonly risk_class: "low" | "structural"
  readonly summary: string
  readonly evidence_refs: ReadonlyArray<string>
  readonly suggested_action: string
  readonly auto_applicable: boolean
  readonly details?: string
}

/** Evidence a finding or proposal points at. */
export interface EvidenceRef {
  readonly id: string
  readonly kind: "file" | "event_range" | "external"
  readonly path?: string
  readonly range?: string
  readonly url?: string
}

/** The generator record: schema_version, the identity fields, then these (the order `newRecord` writes, as spec-kitty does). */
export interface GenRecord extends RecordIdentity {
  readonly schema_version: 1
  readonly created_at: string
  readonly created_by: RecordActor
  readonly provenance: RecordProvenance
  readonly policy_source: Readonly<Record<string, string>>
  readonly findings_status: "has_findings" | "ran_no_findings"
  readonly helped: ReadonlyArray<Finding>
  readonly not_helpful: ReadonlyArray<Finding>
  readonly gaps: ReadonlyArray<Finding>
  readonly proposals: ReadonlyArray<Proposal>
  readonly evidence_refs: ReadonlyArray<EvidenceRef>
  readonly generator_version: string
  readonly provenance_history: ReadonlyArray<RecordProvenance>
}

/** The finding lists and the id letter of each (spec-kitty's `[a-z]-NNN` pattern). */
export const FINDING_LISTS = [["helped", "h"], ["not_helpful", "n"], ["gaps", "g"]] as const
type FindingList = (typeof FINDING_LISTS)[number][0]

const FINDING_CATEGORIES = new Set(["process", "tooling", "spec_quality", "review_loop", "design", "implementation", "doc", "other"])
const PROPOSAL_CATEGORIES = new Set(["glossary", "drg", "doctrine", "tooling", "process", "other"])
const EVIDENCE_KINDS = new Set(["file", "event_range", "external"])
const ACTOR_KINDS = new Set(["human", "agent", "runtime"])
const PROVENANCE_KINDS = new Set(["runtime_post_completion", "runtime_strict_gate", "explicit_create", "backfill", "synthesize_fabricate"])

const TOP_KEYS = [
  "schema_version",
  "mission_id",
  "mission_slug",
  "mission_number",
  "friendly_name",
  "mission_type",
  "target_branch",
  "created_at",
  "created_by",
  "provenance",
  "policy_source",
  "findings_status",
  "helped",
  "not_helpful",
  "gaps",
  "proposals",
  "evidence_refs",
  "generator_version",
  "provenance_history"
] as const
const REQUIRED_TOP = TOP_KEYS.filter((k) => k !== "provenance_history")
const ACTOR_KEYS = new Set(["kind", "id", "display"])
const PROVENANCE_KEYS = new Set(["kind", "invoked_at", "policy_resolved_from", "command"])
const EVIDENCE_KEYS = new Set(["id", "kind", "path", "range", "url"])
const FINDING_KEYS = new Set(["id", "category", "summary", "evidence_refs", "details"])
const PROPOSAL_KEYS = new Set(["id", "category", "risk_class", "summary", "evidence_refs", "suggested_action", "auto_applicable", "details"])

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const unknownKeys = (o: Record<string, unknown>, allowed: ReadonlySet<string>, label: string): string | null => {
  const extra = Object.keys(o).filter((k) => !allowed.has(k)).sort()
  return extra.length === 0 ? null : `${label} has unsupported field(s): ${extra.join(", ")}`
}

const stringList = (v: unknown): v is ReadonlyArray<string> => Array.isArray(v) && v.every((x) => typeof x === "string")

/**
 * spec-kitty's reader rules (`read_gen_record` and `validate_record`): the problems of a decoded record,
 * in the order the reader reports them (empty when spec-kitty reads it).
 */
export const recordProblems = (data: unknown): ReadonlyArray<string> => {
  if (!isMapping(data)) return ["the record is not a YAML mapping"]
  const problems: Array<string> = []
  const push = (p: string | null) => p !== null && problems.push(p)
  push(unknownKeys(data, new Set(TOP_KEYS), "record"))
  const missing = REQUIRED_TOP.filter((k) => !(k in data)).sort()
  if (missing.length > 0) problems.push(`Missing required generator record field(s): ${missing.join(", ")}`)
  if (data.schema_version !== 1) problems.push("schema_version must be 1")
  if (data.findings_status !== "has_findings" && data.findings_status !== "ran_no_findings") {
    problems.push("findings_status must be has_findings or ran_no_findings")
  }
  for (const key of ["mission_id", "mission_slug", "friendly_name", "mission_type", "target_branch", "created_at", "generator_version"]) {
    if (key in data && typeof data[key] !== "string") problems.push(`${key} must be a string`)
  }
  if ("mission_number" in data && data.mission_number !== null && !Number.isSafeInteger(data.mission_number)) {
    problems.push("mission_number must be an integer or null")
  }
  const actor = data.created_by
  if (!isMapping(actor)) problems.push("created_by must be a mapping")
  else {
    push(unknownKeys(actor, ACTOR_KEYS, "created_by"))
    if (!ACTOR_KINDS.has(actor.kind as string)) problems.push("created_by.kind is invalid")
    if (typeof actor.id !== "string" || actor.id === "") problems.push("created_by.id must be a non-empty string")
  }
  const provenance = (p: unknown, label: string) => {
    if (!isMapping(p)) return problems.push(`${label} must be a mapping`)
    push(unknownKeys(p, PROVENANCE_KEYS, label))
    if (!PROVENANCE_KINDS.has(p.kind as string)) problems.push(`${label}.kind is invalid`)
    if (typeof p.invoked_at !== "string") problems.push(`${label}.invoked_at must be a string`)
    if ("policy_resolved_from" in p && !isMapping(p.policy_resolved_from)) problems.push(`${label}.policy_resolved_from must be a mapping`)
  }
  provenance(data.provenance, "provenance")
  if ("policy_source" in data && !isMapping(data.policy_source)) problems.push("policy_source must be a mapping")
  for (const list of ["helped", "not_helpful", "gaps", "proposals", "evidence_refs", "provenance_history"]) {
    if (list in data && !Array.isArray(data[list])) problems.push(`${list} must be a list`)
  }
  const listOf = (k: string): ReadonlyArray<unknown> => (Array.isArray(data[k]) ? (data[k] as ReadonlyArray<unknown>) : [])
  const evidenceIds = new Set<string>()
  listOf("evidence_refs").forEach((e, i) => {
    const label = `evidence_refs[${i}]`
    if (!isMapping(e)) return problems.push(`${label} must be a mapping`)
    push(unknownKeys(e, EVIDENCE_KEYS, label))
    if (!EVIDENCE_KINDS.has(e.kind as string)) problems.push(`${label}.kind is invalid`)
    if (typeof e.id !== "string" || !/^e-\d{3,}$/.test(e.id)) problems.push(`${label}.id must match e-NNN`)
    else evidenceIds.add(e.id)
  })
  const refsResolve = (refs: unknown, label: string) => {
    if (refs === undefined) return
    if (!stringList(refs)) return problems.push(`${label}.evidence_refs must be a list of strings`)
    for (const r of refs) if (!evidenceIds.has(r)) problems.push(`${label} references evidence_ref id '${r}' which is not in evidence_refs`)
  }
  for (const [list] of FINDING_LISTS) {
    listOf(list).forEach((f, i) => {
      const label = `${list}[${i}]`
      if (!isMapping(f)) return problems.push(`${label} must be a mapping`)
      push(unknownKeys(f, FINDING_KEYS, label))
      if (!FINDING_CATEGORIES.has(f.category as string)) problems.push(`${label}.category is invalid`)
      if (typeof f.id !== "string" || !/^[a-z]-\d{3,}$/.test(f.id)) problems.push(`${label}.id must match x-NNN`)
      if (typeof f.summary !== "string") problems.push(`${label}.summary must be a string`)
      refsResolve(f.evidence_refs, label)
    })
  }
  listOf("proposals").forEach((p, i) => {
    const label = `proposals[${i}]`
    if (!isMapping(p)) return problems.push(`${label} must be a mapping`)
    push(unknownKeys(p, PROPOSAL_KEYS, label))
    if (!PROPOSAL_CATEGORIES.has(p.category as string)) problems.push(`${label}.category is invalid`)
    if (p.risk_class !== "low" && p.risk_class !== "structural") problems.push(`${label}.risk_class is invalid`)
    if (typeof p.auto_applicable !== "boolean") problems.push(`${label}.auto_applicable must be boolean`)
    if (typeof p.id !== "string" || !/^p-\d{3,}$/.test(p.id)) problems.push(`${label}.id must match p-NNN`)
    if (typeof p.summary !== "string") problems.push(`${label}.summary must be a string`)
    if (typeof p.suggested_action !== "string") problems.push(`${label}.suggested_action must be a string`)
    refsResolve(p.evidence_refs, label)
  })
  listOf("provenance_history").forEach((p, i) => provenance(p, `provenance_history[${i}]`))
  const hasAny = ["helped", "not_helpful", "gaps", "proposals"].some((k) => listOf(k).length > 0)
  if (data.findings_status === "has_findings" && !hasAny) {
    problems.push("findings_status is has_findings but helped, not_helpful, gaps and proposals are all empty")
  }
  if (data.findings_status === "ran_no_findings" && hasAny) {
    problems.push("findings_status is ran_no_findings but the lists are not empty")
  }
  if (isMapping(data.provenance) && data.provenance.kind === "synthesize_fabricate" && data.findings_status !== "ran_no_findings") {
    problems.push("a synthesize_fabricate record must have findings_status ran_no_findings")
  }
  return problems
}

/** spec-kitty's older record shape (`schema_version: "1"`, nested `mission`, a terminal `status`). */
export const isLegacyShape = (data: unknown): boolean =>
  isMapping(data) && data.schema_version === "1" && isMapping(data.mission) &&
  (data.status === "completed" || data.status === "skipped" || data.status === "failed")

/** Parses a record file's text (YAML 1.2, as spec-kitty's safe loader reads it). */
export const parseRecordText = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(parseYaml(text) as unknown)
  } catch (e) {
    return Either.left(`not valid YAML: ${(e as Error).message.split("\n")[0]}`)
  }
}

/** The record as YAML: spec-kitty's key order; strings quoted wherever YAML 1.1 would read something else. */
export const renderRecord = (record: GenRecord): string => {
  const ordered: Record<string, unknown> = {}
  for (const k of TOP_KEYS) ordered[k] = record[k]
  return stringifyYaml(ordered, { version: "1.1", lineWidth: 0 })
}

// ---------------------------------------------------------------------------------------------
// Input: what a user hands `retrospect create --input-file`

/** The findings a user supplies (ids optional; evidence referenced by id). */
export interface RecordInput {
  readonly lists: Readonly<Record<FindingList, ReadonlyArray<Finding>>>
  readonly proposals: ReadonlyArray<Proposal>
  readonly evidence_refs: ReadonlyArray<EvidenceRef>
}

const INPUT_KEYS = new Set(["helped", "not_helpful", "gaps", "proposals", "evidence_refs"])

const pad3 = (n: number) => String(n).padStart(3, "0")

/**
 * Reads `--input-file` content (YAML or JSON): the four lists and the evidence, ids given or assigned
 * (`h-001`, `n-001`, `g-001`, `p-001`, `e-001` in order). Left: the problems found.
 */
export const parseInput = (text: string | null): Either.Either<RecordInput, ReadonlyArray<string>> => {
  if (text === null) return Either.right({ lists: { helped: [], not_helpful: [], gaps: [] }, proposals: [], evidence_refs: [] })
  const parsed = parseRecordText(text)
  if (Either.isLeft(parsed)) return Either.left([parsed.left])
  const data = parsed.right
  if (!isMapping(data)) return Either.left(["the input is not a mapping of helped, not_helpful, gaps, proposals, evidence_refs"])
  const problems: Array<string> = []
  const extra = unknownKeys(data, INPUT_KEYS, "the input")
  if (extra !== null) problems.push(extra)
  const listOf = (k: string): ReadonlyArray<unknown> => {
    if (!(k in data) || data[k] === null) return []
    if (!Array.isArray(data[k])) {
      problems.push(`${k} must be a list`)
      return []
    }
    return data[k] as ReadonlyArray<unknown>
  }
  const withId = (item: unknown, prefix: string, i: number): unknown =>
    isMapping(item) && !("id" in item) ? { id: `${prefix}-${pad3(i + 1)}`, ...item } : item
  const evidence = listOf("evidence_refs").map((e, i) => withId(e, "e", i)) as ReadonlyArray<EvidenceRef>
  const lists = Object.fromEntries(
    FINDING_LISTS.map(([list, letter]) => [
      list,
      listOf(list).map((f, i) => {
        const item = withId(f, letter, i)
        return isMapping(item) && !("evidence_refs" in item) ? { ...item, evidence_refs: [] } : item
      })
    ])
  ) as unknown as Record<FindingList, ReadonlyArray<Finding>>
  const proposals = listOf("proposals").map((p, i) => {
    const item = withId(p, "p", i)
    return isMapping(item) && !("evidence_refs" in item) ? { ...item, evidence_refs: [] } : item
  }) as ReadonlyArray<Proposal>
  if (problems.length > 0) return Either.left(problems)
  return Either.right({ lists, proposals, evidence_refs: evidence })
}

/** The identity fields a record takes from the mission. */
export interface RecordIdentity {
  readonly mission_id: string
  readonly mission_slug: string
  readonly mission_number: number | null
  readonly friendly_name: string
  readonly mission_type: string
  readonly target_branch: string
}

/** The actor and provenance kittyctx records for `retrospect create`. */
export const createdBy: RecordActor = { kind: "human", id: "cli", display: "kittyctx retrospect" }
const provenanceAt = (at: string): RecordProvenance => ({
  kind: "explicit_create",
  invoked_at: at,
  policy_resolved_from: {},
  command: "kittyctx retrospect create"
})

const hasFindings = (lists: RecordInput["lists"], proposals: ReadonlyArray<unknown>) =>
  lists.helped.length + lists.not_helpful.length + lists.gaps.length + proposals.length > 0

/** A new record from the mission's identity and the input (validated by the caller with `recordProblems`). */
export const newRecord = (identity: RecordIdentity, input: RecordInput, at: string, generatorVersion: string): GenRecord => ({
  schema_version: 1,
  ...identity,
  created_at: at,
  created_by: createdBy,
  provenance: provenanceAt(at),
  policy_source: {},
  findings_status: hasFindings(input.lists, input.proposals) ? "has_findings" : "ran_no_findings",
  helped: input.lists.helped,
  not_helpful: input.lists.not_helpful,
  gaps: input.lists.gaps,
  proposals: input.proposals,
  evidence_refs: input.evidence_refs,
  generator_version: generatorVersion,
  provenance_history: []
})

const maxIdNumber = (ids: ReadonlyArray<string>): number =>
  ids.reduce((m, id) => Math.max(m, Number(/-(\d+)$/.exec(id)?.[1] ?? 0)), 0)

const dedupeKey = (x: { readonly category: string; readonly summary: string }) => `${x.category}\u0000${x.summary.toLowerCase()}`
const evidenceKey = (e: EvidenceRef) => JSON.stringify([e.kind, e.path ?? null, e.range ?? null, e.url ?? null])

/**
 * `--update`: the prior record's lists with the new items appended, minus those already there (same
 * category and summary, case-insensitive, as spec-kitty dedupes); evidence deduped by kind, path, range
 * and url; new ids numbered after the prior ones (references rewritten); scalars from the new run; the
 * prior provenance appended to `provenance_history`.
 */
export const updateRecord = (prior: GenRecord, next: GenRecord): GenRecord => {
  const evidence = [...prior.evidence_refs]
  const evidenceMap = new Map<string, string>()
  const byKey = new Map(prior.evidence_refs.map((e) => [evidenceKey(e), e.id]))
  let nextEvidence = maxIdNumber(evidence.map((e) => e.id))
  for (const e of next.evidence_refs) {
    const known = byKey.get(evidenceKey(e))
    if (known !== undefined) evidenceMap.set(e.id, known)
    else {
      const id = `e-${pad3(++nextEvidence)}`
      evidenceMap.set(e.id, id)
      byKey.set(evidenceKey(e), id)
      evidence.push({ ...e, id })
    }
  }
  const remap = (refs: ReadonlyArray<string>) => refs.map((r) => evidenceMap.get(r) ?? r)
  const lists = Object.fromEntries(
    FINDING_LISTS.map(([list]) => {
      const prev = prior[list]
      const seen = new Set(prev.map(dedupeKey))
      let n = maxIdNumber(prev.map((f) => f.id))
      const added = next[list].filter((f) => !seen.has(dedupeKey(f))).map((f) => ({
        ...f,
        id: `${f.id.split("-")[0]}-${pad3(++n)}`,
        evidence_refs: remap(f.evidence_refs)
      }))
      return [list, [...prev, ...added]]
    })
  ) as unknown as Record<FindingList, ReadonlyArray<Finding>>
  const seenProposals = new Set(prior.proposals.map(dedupeKey))
  let p = maxIdNumber(prior.proposals.map((x) => x.id))
  const proposals = [
    ...prior.proposals,
    ...next.proposals.filter((x) => !seenProposals.has(dedupeKey(x))).map((x) => ({
      ...x,
      id: `p-${pad3(++p)}`,
      evidence_refs: remap(x.evidence_refs)
    }))
  ]
  return {
    ...next,
    findings_status: hasFindings(lists, proposals) ? "has_findings" : "ran_no_findings",
    helped: lists.helped,
    not_helpful: lists.not_helpful,
    gaps: lists.gaps,
    proposals,
    evidence_refs: evidence,
    provenance_history: [...prior.provenance_history, prior.provenance]
  }
}
