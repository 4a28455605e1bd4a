/**
 * `analysis-report.md` (docs/surfaces.md §1.1-§1.4, §1.7), pure: the findings carrier and its verdict,
 * the report's frontmatter layout, `tasks.md` normalisation (Python-compatible, so recorded hashes
 * match spec-kitty's), and the freshness comparison. Reading, hashing and writing live in
 * services/RecordAnalysis. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { isJsonObject } from "../python/PyJson.js"
import { decodeUtf8 } from "../repo/Text.js"
import { Either } from "effect"
import { parse as parseYaml } from "yaml"
import type { ArtifactKind } from "../context/ExecutionContext.js"
import { surfaceError } from "./SurfaceError.js"
import type { SurfaceError } from "./SurfaceError.js"

/** The report's file name in the placement mission dir. */
export const ANALYSIS_REPORT_FILE = "analysis-report.md"
/** `artifact_type` of a report written by record-analysis. */
export const ANALYSIS_REPORT_ARTIFACT_TYPE = "spec-kitty.analysis-report"
/** `command` of a report. */
export const ANALYSIS_REPORT_COMMAND = "/spec-kitty.analyze"
/** The `schema` of the findings carrier. */
export const FINDINGS_SCHEMA = "analysis-findings/v1"

/** The hashed mission inputs, in frontmatter order. */
export const ANALYSIS_INPUTS = ["spec.md", "plan.md", "tasks.md"] as const
/** One hashed mission input. */
export type AnalysisInput = (typeof ANALYSIS_INPUTS)[number]
/** Every key of `input_artifacts`, in order. */
export const INPUT_KEYS = [...ANALYSIS_INPUTS, "charter"] as const
/** A key of `input_artifacts`. */
export type InputKey = (typeof INPUT_KEYS)[number]
/** The artifact kind of each mission input (R-PLACE-3), for `readDirFor`. */
export const ANALYSIS_INPUT_KINDS: Readonly<Record<AnalysisInput, ArtifactKind>> = {
  "spec.md": "SPEC",
  "plan.md": "FINALIZED_EXECUTION_PLAN",
  "tasks.md": "TASKS_INDEX"
}
/** The charter candidates, relative to the primary root's `.kittify` dir, first present wins (#1823). */
export const CHARTER_CANDIDATES = [["charter", "charter.yaml"], ["charter", "charter.md"]] as const

/** The severity vocabulary, in order. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const
/** A finding's severity. */
export type Severity = (typeof SEVERITIES)[number]
/** A report verdict. */
export type Verdict = "ready" | "blocked" | "unknown"

/** A scalar copied from the carrier into the frontmatter. */
export type Scalar = string | number | boolean | null

/** One finding of the carrier. */
export interface Finding {
  readonly id: Scalar
  readonly severity: Severity
  readonly category: Scalar
  readonly summary: Scalar
}

/** `issue_counts`: every value null when the verdict is `unknown`. */
export type IssueCounts = { readonly [K in Severity]: number | null }

/** One `input_artifacts` entry: a repo-relative POSIX path (ignored by readers) and a sha256. */
export interface InputArtifact {
  readonly path: string | null
  readonly sha256: string | null
}

/** `input_artifacts`. */
export type InputArtifacts = { readonly [K in InputKey]: InputArtifact }

/** What the carrier (or its absence) yields, and the body left once it is stripped. */
export interface ParsedSubmission {
  readonly verdict: Verdict
  readonly issue_counts: IssueCounts
  readonly findings: ReadonlyArray<Finding>
  readonly body: string
}

const NULL_COUNTS: IssueCounts = { critical: null, high: null, medium: null, low: null, info: null }

const carrierInvalid = (detail: string) =>
  surfaceError("FINDINGS_CARRIER_INVALID", `Invalid analysis-findings/v1 carrier: ${detail}`, { detail })

/** §1.2: `blocked` when any finding is critical or high, else `ready`. Prose never counts (#1819). */
export const verdictOf = (findings: ReadonlyArray<Finding>): "ready" | "blocked" =>
  findings.some((f) => f.severity === "critical" || f.severity === "high") ? "blocked" : "ready"

const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean"

/** A leading `---` … `---` block: its YAML text and the rest of the text, or null when the text has none. */
const leadingBlock = (text: string): { readonly yaml: string; readonly rest: string } | "unclosed" | null => {
  const first = /^---[ \t]*(\r\n|\n|$)/.exec(text)
  if (first === null) return null
  const start = first[0].length
  const close = /^---[ \t]*(\r\n|\n|$)/m
  const tail = text.slice(start)
  const m = close.exec(tail)
  if (m === null) return "unclosed"
  return { yaml: tail.slice(0, m.index), rest: tail.slice(m.index + m[0].length) }
}

const stripLeadingBlankLines = (s: string) => s.replace(/^(?:[ \t]*\r?\n)+/, "")

const validateFindings = (raw: unknown): Either.Either<ReadonlyArray<Finding>, SurfaceError> => {
  if (raw === undefined || raw === null) return Either.right([])
  if (!Array.isArray(raw)) return Either.left(carrierInvalid("findings must be a list"))
  const out: Array<Finding> = []
  for (const [i, entry] of raw.entries()) {
    if (!isJsonObject(entry)) return Either.left(carrierInvalid(`findings[${i}] must be a mapping`))
    const severity = entry.severity
    if (typeof severity !== "string" || !(SEVERITIES as ReadonlyArray<string>).includes(severity)) {
      return Either.left(
        carrierInvalid(
          `findings[${i}]: unknown severity ${JSON.stringify(severity ?? null)} (allowed: ${SEVERITIES.join(", ")})`
        )
      )
    }
    for (const key of ["id", "category", "summary"] as const) {
      if (entry[key] !== undefined && !isScalar(entry[key])) {
        return Either.left(carrierInvalid(`findings[${i}].${key} must be a scalar`))
      }
    }
    out.push({
      id: (entry.id as Scalar | undefined) ?? null,
      severity: severity as Severity,
      category: (entry.category as Scalar | undefined) ?? null,
      summary: (entry.summary as Scalar | undefined) ?? null
    })
  }
  return Either.right(out)
}

const tallyOf = (findings: ReadonlyArray<Finding>): Record<Severity, number> => {
  const tally = { critical: 0, high: 0, medium: 0, low: 0, info: 0 }
  for (const f of findings) tally[f.severity]++
  return tally
}

const validateCounts = (raw: unknown, tally: Record<Severity, number>): Either.Either<IssueCounts, SurfaceError> => {
  if (!isJsonObject(raw)) return Either.left(carrierInvalid("counts must be a mapping of every severity to its count"))
  const unknown = Object.keys(raw).filter((k) => !(SEVERITIES as ReadonlyArray<string>).includes(k))
  if (unknown.length > 0) return Either.left(carrierInvalid(`counts has unknown keys ${unknown.join(", ")}`))
  for (const s of SEVERITIES) {
    if (!(s in raw)) return Either.left(carrierInvalid(`counts is missing ${s}`))
    if (raw[s] !== tally[s]) {
      return Either.left(carrierInvalid(`counts.${s} is ${JSON.stringify(raw[s])} but findings hold ${tally[s]}`))
    }
  }
  return Either.right(tally)
}

/**
 * §1.2: parses the submitted text. A leading `analysis-findings/v1` block is the carrier: validated,
 * stripped, its findings and counts copied; anything else (no block, another schema) yields `unknown`.
 * An empty remaining body is `ANALYSIS_REPORT_EMPTY`.
 */
export const parseSubmission = (text: string): Either.Either<ParsedSubmission, SurfaceError> =>
  Either.gen(function*() {
    const block = leadingBlock(text)
    let parsed: ParsedSubmission = { verdict: "unknown", issue_counts: NULL_COUNTS, findings: [], body: text }
    if (block === "unclosed") {
      if (text.includes(FINDINGS_SCHEMA)) return yield* Either.left(carrierInvalid("opening --- has no closing ---"))
    } else if (block !== null) {
      let doc: unknown
      try {
        doc = parseYaml(block.yaml)
      } catch (e) {
        if (block.yaml.includes(FINDINGS_SCHEMA)) {
          return yield* Either.left(carrierInvalid(`invalid YAML: ${firstLine((e as Error).message)}`))
        }
        doc = null
      }
      if (isJsonObject(doc) && doc.schema === FINDINGS_SCHEMA) {
        const findings = yield* validateFindings(doc.findings)
        const issue_counts = yield* validateCounts(doc.counts, tallyOf(findings))
        const verdict = verdictOf(findings)
        const hint = doc.verdict_hint
        if (hint !== undefined && hint !== null && hint !== verdict) {
          return yield* Either.left(
            carrierInvalid(
              `verdict_hint ${JSON.stringify(hint)} disagrees with the verdict ${verdict} computed from the findings`
            )
          )
        }
        parsed = { verdict, issue_counts, findings, body: block.rest }
      }
    }
    const body = stripLeadingBlankLines(parsed.body)
    if (body.trim() === "") {
      return yield* Either.left(surfaceError("ANALYSIS_REPORT_EMPTY", "Analysis report body is empty"))
    }
    return { ...parsed, body: body.endsWith("\n") ? body : body + "\n" }
  })

const firstLine = (s: string) => s.split("\n")[0]

// ---------------------------------------------------------------------------------------------
// Frontmatter layout

const YAML_KEYWORDS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/

/** A scalar that reads back as the same string under YAML 1.1 (PyYAML) and 1.2 (ruamel, `yaml`). */
const isPlainSafe = (s: string): boolean => {
  if (!/^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/.test(s) || YAML_KEYWORDS.test(s)) return false
  if (/^[A-Za-z_/]/.test(s)) return true
  if (s.startsWith(".")) return /^\.[A-Za-z_]/.test(s) && !/^\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(s)
  return /[A-DF-Za-df-z]/.test(s) && !/^0[xXoObB]/.test(s)
}

/** A YAML scalar: plain when unambiguous, else a double-quoted (JSON-escaped) string. */
export const yamlScalar = (v: Scalar): string => {
  if (v === null) return "null"
  if (typeof v === "boolean") return v ? "true" : "false"
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : JSON.stringify(String(v))
  if (isPlainSafe(v)) return v
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  return JSON.stringify(v).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, escape)
}

/** The content of a report. */
export interface ReportContent {
  readonly mission_slug: string
  readonly mission_id: string
  readonly generated_at: string
  readonly analyzer_agent: string | null
  readonly input_artifacts: InputArtifacts
  readonly verdict: Verdict
  readonly issue_counts: IssueCounts
  readonly findings: ReadonlyArray<Finding>
  /** The body, ending with a newline. */
  readonly body: string
}

/** §1.1: the report file: frontmatter keys in the specified order between `---` lines, a blank line, the body. */
export const renderReport = (r: ReportContent): string => {
  const lines = [
    "---",
    "schema_version: 1",
    `artifact_type: ${yamlScalar(ANALYSIS_REPORT_ARTIFACT_TYPE)}`,
    `command: ${yamlScalar(ANALYSIS_REPORT_COMMAND)}`,
    `mission_slug: ${yamlScalar(r.mission_slug)}`,
    `mission_id: ${yamlScalar(r.mission_id)}`,
    `generated_at: ${yamlScalar(r.generated_at)}`,
    `analyzer_agent: ${yamlScalar(r.analyzer_agent)}`,
    "input_artifacts:"
  ]
  for (const key of INPUT_KEYS) {
    const a = r.input_artifacts[key]
    lines.push(`  ${key}:`, `    path: ${yamlScalar(a.path)}`, `    sha256: ${yamlScalar(a.sha256)}`)
  }
  lines.push(`verdict: ${r.verdict}`, "issue_counts:")
  for (const s of SEVERITIES) lines.push(`  ${s}: ${yamlScalar(r.issue_counts[s])}`)
  if (r.findings.length === 0) lines.push("findings: []")
  else {
    lines.push("findings:")
    for (const f of r.findings) {
      lines.push(
        `- id: ${yamlScalar(f.id)}`,
        `  severity: ${f.severity}`,
        `  category: ${yamlScalar(f.category)}`,
        `  summary: ${yamlScalar(f.summary)}`
      )
    }
  }
  lines.push("---", "")
  return lines.join("\n") + "\n" + r.body
}

/** Two report texts that differ at most in their `generated_at` line (a no-change re-record). */
export const sameReportButTime = (a: string, b: string): boolean => {
  const strip = (t: string) => t.replace(/^generated_at: .*$/m, "generated_at:")
  return strip(a) === strip(b)
}

/** The frontmatter of a report as a mapping, or a detail saying why it cannot be read. */
export const parseReportFrontmatter = (text: string): Either.Either<Record<string, unknown>, string> => {
  const block = leadingBlock(text.startsWith("\ufeff") ? text.slice(1) : text)
  if (block === null) return Either.left("no frontmatter block")
  if (block === "unclosed") return Either.left("frontmatter has no closing ---")
  let doc: unknown
  try {
    doc = parseYaml(block.yaml)
  } catch (e) {
    return Either.left(firstLine((e as Error).message))
  }
  return isJsonObject(doc) ? Either.right(doc) : Either.left("frontmatter is not a mapping")
}

// ---------------------------------------------------------------------------------------------
// tasks.md normalisation (§1.3, #1764), with Python `re` semantics

// Python's `\s` for str patterns (str.isspace), and `^` under re.MULTILINE (start, or after "\n" only).
const PY_WS = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
const CHECKBOX = new RegExp(`(?<![^\\n])(${PY_WS}*[-*]${PY_WS}*)\\[[ xX]\\]`, "g")
const PIPE_STATUS_CELL = new RegExp(`\\|(${PY_WS}*)\\[[ xXDP]\\](${PY_WS}*)(?=\\|)`, "g")

/** Python universal newlines: `\r\n` and `\r` read as `\n` (how spec-kitty reads `tasks.md`). */
export const universalNewlines = (text: string): string => text.replace(/\r\n?/g, "\n")

/** §1.3: list-item checkboxes and pipe-table status cells (`[ ]`, `[x]`, `[X]`, `[D]`, `[P]`) become `[ ]`. */
export const normalizeTasksText = (text: string): string =>
  text.replace(CHECKBOX, "$1[ ]").replace(PIPE_STATUS_CELL, "|$1[ ]$2")

/**
 * The bytes whose sha256 is `tasks.md`'s hash: decoded as UTF-8 (a BOM kept), read with universal
 * newlines, normalised, re-encoded. Bytes that are not UTF-8 are hashed as they are.
 */
export const tasksHashBytes = (bytes: Uint8Array): Uint8Array => {
  const text = decodeUtf8(bytes)
  if (Either.isLeft(text)) return bytes
  return new TextEncoder().encode(normalizeTasksText(universalNewlines(text.right)))
}

// ---------------------------------------------------------------------------------------------
// Freshness (§1.4)

/** A saved/current hash pair of one input. */
export interface Mismatch {
  readonly saved_sha256: string | null
  readonly current_sha256: string | null
}

/** The freshness object of §1.4. */
export interface Freshness {
  readonly ok: boolean
  readonly path: string
  readonly stale: boolean
  readonly missing: boolean
  readonly reason: string | null
  readonly mismatches: Readonly<Partial<Record<InputKey, Mismatch>>>
}

const notOk = (path: string, reason: string, extra: Partial<Freshness> = {}): Freshness => ({
  ok: false,
  path,
  stale: true,
  missing: false,
  reason,
  mismatches: {},
  ...extra
})

const savedSha = (saved: Record<string, unknown>, key: InputKey): string | null => {
  const entry = saved[key]
  if (!isJsonObject(entry)) return null
  const v = entry.sha256
  return v === undefined || v === null ? null : String(v)
}

/**
 * §1.4: compares a report against the current input hashes. Only sha256 values count (recorded paths
 * never do); `current` is hashed from the mission's read dir and the primary root's charter.
 */
export const freshnessOf = (input: {
  readonly path: string
  readonly reportText: string | null
  readonly current: InputArtifacts
}): Freshness => {
  const { current, path, reportText } = input
  if (reportText === null) return notOk(path, "missing_analysis_report", { stale: false, missing: true })
  const front = parseReportFrontmatter(reportText)
  if (Either.isLeft(front)) return notOk(path, `invalid_analysis_report_frontmatter: ${front.left}`)
  const fm = front.right
  if (fm.schema === FINDINGS_SCHEMA) return notOk(path, "carrier_format_not_wrapped")
  if (fm.artifact_type !== ANALYSIS_REPORT_ARTIFACT_TYPE) return notOk(path, "invalid_analysis_report_artifact_type")
  const saved = fm.input_artifacts
  if (!isJsonObject(saved)) return notOk(path, "missing_input_artifacts")
  const mismatches: Partial<Record<InputKey, Mismatch>> = {}
  for (const key of INPUT_KEYS) {
    const s = savedSha(saved, key)
    const c = current[key].sha256
    if (s !== c) mismatches[key] = { saved_sha256: s, current_sha256: c }
  }
  if (Object.keys(mismatches).length > 0) return notOk(path, "stale_analysis_report", { mismatches })
  return { ok: true, path, stale: false, missing: false, reason: null, mismatches: {} }
}

/** §1.7: the implement gate's refusal text, after its `error[ANALYSIS_REPORT_REQUIRED]: <message>` line. */
export const analysisRequiredLines = (slug: string, freshness: Freshness): ReadonlyArray<string> => [
  ...(freshness.missing ? [`Missing: ${freshness.path}`] : []),
  `Reason: ${freshness.reason ?? "unknown"}`,
  ...(Object.keys(freshness.mismatches).length > 0
    ? [`Stale inputs: ${Object.keys(freshness.mismatches).join(", ")}`]
    : []),
  `Run: /spec-kitty.analyze --mission ${slug}`,
  `Then: kittyctx mission record-analysis --mission ${slug} --input-file -`
]

/** §1.7: `ANALYSIS_REPORT_REQUIRED` with the freshness object as its detail. */
export const analysisRequired = (slug: string, freshness: Freshness): SurfaceError =>
  surfaceError("ANALYSIS_REPORT_REQUIRED", `analysis report for ${slug} is missing or stale`, { freshness })
