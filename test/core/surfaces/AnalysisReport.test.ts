/**
 * The pure side of record-analysis (docs/surfaces.md §1.1-§1.4, §1.6): the carrier and its verdict (A1.8),
 * the frontmatter layout, `tasks.md` normalisation against Python-computed hashes (A1.9), freshness
 * (A1.11), and the residue classification and divergence outcomes of the A1.1-A1.4 repositories.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import YAML from "yaml"
import {
  ANALYSIS_INPUT_KINDS,
  ANALYSIS_INPUTS,
  ANALYSIS_REPORT_ARTIFACT_TYPE,
  analysisRequiredLines,
  freshnessOf,
  INPUT_KEYS,
  normalizeTasksText,
  parseReportFrontmatter,
  parseSubmission,
  renderReport,
  sameReportButTime,
  tasksHashBytes,
  verdictOf,
  yamlScalar
} from "../../../src/core/surfaces/AnalysisReport.js"
import type { Finding, InputArtifacts, ReportContent } from "../../../src/core/surfaces/AnalysisReport.js"
import { kindOfMissionFile } from "../../../src/core/context/ExecutionContext.js"
import { classifyDirtyPath, placementDivergence, RESIDUE_RULES } from "../../../src/core/surfaces/Placement.js"
import { sha256Hex } from "../../support/fingerprint.js"

const hex = (h: string) => new Uint8Array(Buffer.from(h, "hex"))

const carrier = (findings: string, counts: string, extra = "") =>
  `---\nschema: analysis-findings/v1\nfindings:${findings}\ncounts: ${counts}\n${extra}---\n`

const ZERO = "{critical: 0, high: 0, medium: 0, low: 0, info: 0}"

const code = <A>(e: Either.Either<A, { readonly code: string }>) => (Either.isLeft(e) ? e.left.code : "ok")

describe("§1.2 the findings carrier is the only verdict source (A1.8)", () => {
  it("clean counts with alarming prose → ready", () => {
    const r = Either.getOrThrow(parseSubmission(carrier(" []", ZERO) + "\nCRITICAL HIGH blocker\n"))
    assert.strictEqual(r.verdict, "ready")
    assert.deepStrictEqual(r.issue_counts, { critical: 0, high: 0, medium: 0, low: 0, info: 0 })
    assert.strictEqual(r.body, "CRITICAL HIGH blocker\n")
  })

  it("one critical finding with reassuring prose → blocked", () => {
    const text = carrier(
      "\n  - {id: A1, severity: critical, category: coverage, summary: \"FR-001 has no task\"}",
      "{critical: 1, high: 0, medium: 0, low: 0, info: 0}"
    ) + "all good\n"
    const r = Either.getOrThrow(parseSubmission(text))
    assert.strictEqual(r.verdict, "blocked")
    assert.deepStrictEqual(r.findings, [{ id: "A1", severity: "critical", category: "coverage", summary: "FR-001 has no task" }])
  })

  it("counts.high: 1 with no high finding → FINDINGS_CARRIER_INVALID", () => {
    assert.strictEqual(code(parseSubmission(carrier(" []", "{critical: 0, high: 1, medium: 0, low: 0, info: 0}") + "x\n")), "FINDINGS_CARRIER_INVALID")
  })

  it("no carrier → unknown, counts null, findings empty, body kept", () => {
    const r = Either.getOrThrow(parseSubmission("# Report\n\nNo blockers. CRITICAL\n"))
    assert.strictEqual(r.verdict, "unknown")
    assert.deepStrictEqual(r.issue_counts, { critical: null, high: null, medium: null, low: null, info: null })
    assert.deepStrictEqual(r.findings, [])
    assert.strictEqual(r.body, "# Report\n\nNo blockers. CRITICAL\n")
  })

  it("a leading block of another schema is not a carrier and stays in the body", () => {
    const text = "---\ntitle: notes\n---\n\nbody\n"
    const r = Either.getOrThrow(parseSubmission(text))
    assert.strictEqual(r.verdict, "unknown")
    assert.strictEqual(r.body, text)
  })

  it("every write-time refusal of §1.2", () => {
    const one = (sev: string) => `\n  - {id: A1, severity: ${sev}, category: c, summary: s}`
    const cases: Record<string, string> = {
      "unknown severity": carrier(one("blocker"), ZERO),
      "counts missing a key": carrier(" []", "{critical: 0, high: 0, medium: 0, low: 0}"),
      "counts absent": "---\nschema: analysis-findings/v1\nfindings: []\n---\nx\n",
      "counts unequal to the tally": carrier(one("low"), ZERO),
      "unknown counts key": carrier(" []", "{critical: 0, high: 0, medium: 0, low: 0, info: 0, major: 0}"),
      "verdict_hint disagreeing": carrier(one("high"), "{critical: 0, high: 1, medium: 0, low: 0, info: 0}", "verdict_hint: ready\n"),
      "findings not a list": carrier(" {a: 1}", ZERO),
      "a finding not a mapping": carrier("\n  - just text", ZERO),
      "unclosed carrier": "---\nschema: analysis-findings/v1\nfindings: []\n"
    }
    for (const [name, text] of Object.entries(cases)) {
      assert.strictEqual(code(parseSubmission(text + "body\n")), "FINDINGS_CARRIER_INVALID", name)
    }
  })

  it("an agreeing verdict_hint is accepted; info is a finding severity that never blocks", () => {
    const text = carrier(
      "\n  - {id: I1, severity: info, category: style, summary: note}",
      "{critical: 0, high: 0, medium: 0, low: 0, info: 1}",
      "verdict_hint: ready\n"
    ) + "ok\n"
    assert.strictEqual(Either.getOrThrow(parseSubmission(text)).verdict, "ready")
  })

  it("an empty body once the carrier is stripped → ANALYSIS_REPORT_EMPTY", () => {
    assert.strictEqual(code(parseSubmission(carrier(" []", ZERO))), "ANALYSIS_REPORT_EMPTY")
    assert.strictEqual(code(parseSubmission(carrier(" []", ZERO) + "\n  \n\t\n")), "ANALYSIS_REPORT_EMPTY")
    assert.strictEqual(code(parseSubmission("")), "ANALYSIS_REPORT_EMPTY")
  })

  const severity = fc.constantFrom("critical", "high", "medium", "low", "info" as const)
  it.prop("the verdict is a function of the severities alone, whatever the prose", [fc.array(severity, { maxLength: 6 }), fc.string()], ([sevs, prose]) => {
    const findings = sevs.map((s, i) => `\n  - {id: F${i}, severity: ${s}, category: c, summary: s}`).join("")
    const counts = `{${["critical", "high", "medium", "low", "info"].map((s) => `${s}: ${sevs.filter((x) => x === s).length}`).join(", ")}}`
    const r = parseSubmission(carrier(findings === "" ? " []" : findings, counts) + "body " + prose + "\n")
    const expected = sevs.some((s) => s === "critical" || s === "high") ? "blocked" : "ready"
    return Either.isRight(r) && r.right.verdict === expected &&
      verdictOf(r.right.findings) === expected
  })
})

const ARTIFACTS: InputArtifacts = {
  "spec.md": { path: "kitty-specs/m-01ABCDEF/spec.md", sha256: "a".repeat(64) },
  "plan.md": { path: "kitty-specs/m-01ABCDEF/plan.md", sha256: "1".repeat(63) + "e" },
  "tasks.md": { path: "kitty-specs/m-01ABCDEF/tasks.md", sha256: "0123456789abcdef".repeat(4) },
  charter: { path: null, sha256: null }
}

const content = (over: Partial<ReportContent> = {}): ReportContent => ({
  mission_slug: "m-01ABCDEF",
  mission_id: "01ABCDEF0000000000000000AB",
  generated_at: "2026-06-10T09:00:00+00:00",
  analyzer_agent: "codex",
  input_artifacts: ARTIFACTS,
  verdict: "ready",
  issue_counts: { critical: 0, high: 0, medium: 1, low: 0, info: 0 },
  findings: [{ id: "A1", severity: "medium", category: "coverage", summary: "FR-003 has no task" }],
  body: "# Report\n",
  ...over
})

describe("§1.1 the report layout", () => {
  it("keys in the specified order, a blank line, the body", () => {
    const text = renderReport(content())
    const fm = Either.getOrThrow(parseReportFrontmatter(text))
    assert.deepStrictEqual(Object.keys(fm), [
      "schema_version",
      "artifact_type",
      "command",
      "mission_slug",
      "mission_id",
      "generated_at",
      "analyzer_agent",
      "input_artifacts",
      "verdict",
      "issue_counts",
      "findings"
    ])
    assert.deepStrictEqual(Object.keys(fm.input_artifacts as object), [...INPUT_KEYS])
    assert.deepStrictEqual(Object.keys(fm.issue_counts as object), ["critical", "high", "medium", "low", "info"])
    assert.strictEqual(fm.schema_version, 1)
    assert.strictEqual(fm.artifact_type, ANALYSIS_REPORT_ARTIFACT_TYPE)
    assert.strictEqual(fm.command, "/spec-kitty.analyze")
    assert.deepStrictEqual(fm.input_artifacts, ARTIFACTS)
    assert.isTrue(text.startsWith("---\nschema_version: 1\n"))
    assert.isTrue(text.endsWith("\n---\n\n# Report\n"))
  })

  it("null agent, unknown verdict and null counts round-trip", () => {
    const text = renderReport(content({
      analyzer_agent: null,
      verdict: "unknown",
      issue_counts: { critical: null, high: null, medium: null, low: null, info: null },
      findings: []
    }))
    const fm = Either.getOrThrow(parseReportFrontmatter(text))
    assert.strictEqual(fm.analyzer_agent, null)
    assert.strictEqual(fm.verdict, "unknown")
    assert.deepStrictEqual(fm.findings, [])
    assert.deepStrictEqual(fm.issue_counts, { critical: null, high: null, medium: null, low: null, info: null })
  })

  const scalar = fc.oneof(fc.string(), fc.fullUnicodeString(), fc.constantFrom("yes", "No", "on", "null", "~", "1e5", "0x1F", "0o17", "2026-06-10", "12:30", ".inf", "-", "a: b", "#x", "'q'", "\"", "\u2028", "\u0085", "\ufeff"), fc.integer())
  it.prop("every scalar reads back as itself under YAML 1.2 and YAML 1.1", [scalar], ([v]) => {
    const line = `k: ${yamlScalar(v)}\n`
    const v12 = YAML.parse(line) as { k: unknown }
    const v11 = YAML.parse(line, { version: "1.1" }) as { k: unknown }
    return v12.k === v && v11.k === v
  })

  it.prop("findings and identity round-trip through the frontmatter", [fc.array(fc.record({ id: fc.string(), summary: fc.fullUnicodeString(), category: fc.string() }), { maxLength: 4 }), fc.option(fc.string(), { nil: null })], ([rows, agent]) => {
    const findings: Array<Finding> = rows.map((r) => ({ ...r, severity: "low" }))
    const fm = Either.getOrThrow(parseReportFrontmatter(renderReport(content({ findings, analyzer_agent: agent }))))
    assert.deepStrictEqual(fm.findings, findings)
    assert.strictEqual(fm.analyzer_agent, agent)
  })

  it("a re-record that differs only in generated_at is the same report", () => {
    const a = renderReport(content())
    assert.isTrue(sameReportButTime(a, renderReport(content({ generated_at: "2027-01-01T00:00:00.123456+00:00" }))))
    assert.isFalse(sameReportButTime(a, renderReport(content({ analyzer_agent: "claude" }))))
    assert.isFalse(sameReportButTime(a, renderReport(content({ body: "# Other\n" }))))
  })
})

// Expected hashes computed with CPython 3 over the same bytes, with spec-kitty's two regexes
// (`(?m)^(\s*[-*]\s*)\[[ xX]\]` → `\1[ ]`, then `\|(\s*)\[[ xXDP]\](\s*)(?=\|)` → `|\1[ ]\2`) applied to
// `Path.read_text(encoding="utf-8")` (universal newlines), re-encoded as UTF-8.
const PYTHON_CASES: Record<string, { readonly hex: string; readonly sha256: string }> = {
  lf: {
    hex: "23205461736b730a2d205b785d2054303031206f6e650a2d205b205d20543030322074776f0a20202a205b585d2054303033206e65737465640a",
    sha256: "049626f06dba529e6859da0537f0d275448d67a9890dd1483efff81047df3116"
  },
  crlf: {
    hex: "23205461736b730d0a2d205b785d2054303031206f6e650d0a2d205b205d20543030322074776f0d0a",
    sha256: "7c4a8d4fadbcc152a1114c36356de4ac42cafa580620bf6eca76051583ac3319"
  },
  cr: { hex: "2d205b785d20610d2d205b585d20620d", sha256: "103d843c61f90ce36858dc2a67142bd26e9f1146fcbf866bc749f9c9a2cf1472" },
  bom: { hex: "efbbbf2d205b785d20543030310a", sha256: "07111e57a7e4fafc6d79b254f7cb1e587dfd9e536c08cbe529acfae651697530" },
  table: {
    hex: "7c204944207c20446f6e65207c0a7c2d2d2d7c2d2d2d7c0a7c2054303031207c205b785d207c0a7c2054303032207c5b445d7c0a7c2054303033207c205b505d207c205b585d207c0a",
    sha256: "12ded289ccccca10753b2b4f6298d1690f5d3394456c5c889cf8b23baf0d512d"
  },
  noleadpipe: { hex: "54303031207c205b785d207c20646f6e650a", sha256: "4b7596b9683cd30ae331d8db6ab9109e19c493f6e82c37c9722ece95d3253dfd" },
  escaped: { hex: "7c2061205c7c205b785d207c2062207c0a", sha256: "6dcdd8b3e95c7ef2850d79631f35ed512f254e5ff12518a67f63b15bc66d47b8" },
  span: { hex: "2d0a5b785d207370616e73206c696e65730a0a0a2d205b785d0a", sha256: "3d8eac2f641515d83a0320af94e2cab47056a5d58a8317fb6f55a9432167c3a5" },
  nbsp: {
    hex: "c2a02d205b785d206e6273700ae280a82d205b785d206166746572204c530ac2852d205b785d206166746572204e454c0a",
    sha256: "ae79fb3d28a002aec16adaca15e1dbf23e2c263dfd7e69590440bdedd842fc00"
  },
  prose: {
    hex: "54657874205b785d2068657265202d205b785d206d69640a2a205b785d20737461720a2d5b785d2074696768740a",
    sha256: "2909ee4b55da40198cc7296194813e2f9cffd1b067d961dee61ac5b155aef1b0"
  }
}

describe("§1.3 tasks.md normalisation (#1764), byte-compatible with spec-kitty", () => {
  it("A1.9: ticking a checkbox or a table cell keeps the hash; editing task text changes it", () => {
    const base = "# Tasks\n- [ ] T001 build\n- [ ] T002 test\n\n| WP | Status |\n|---|---|\n| WP01 | [ ] |\n"
    const ticked = "# Tasks\n- [x] T001 build\n- [ ] T002 test\n\n| WP | Status |\n|---|---|\n| WP01 | [D] |\n"
    const edited = "# Tasks\n- [ ] T001 build\n- [ ] T002 test harder\n\n| WP | Status |\n|---|---|\n| WP01 | [ ] |\n"
    const h = (t: string) => sha256Hex(tasksHashBytes(new TextEncoder().encode(t)))
    assert.strictEqual(h(ticked), h(base))
    assert.notStrictEqual(h(edited), h(base))
  })

  it("reproduces CPython's hashes byte for byte (CRLF, CR, BOM, tables, Unicode whitespace, line-spanning \\s)", () => {
    for (const [name, c] of Object.entries(PYTHON_CASES)) {
      assert.strictEqual(sha256Hex(tasksHashBytes(hex(c.hex))), c.sha256, name)
    }
  })

  it("non-UTF-8 bytes are hashed as they are (CPython would refuse to decode them)", () => {
    const bytes = hex("2d205b785d20fffe0a")
    assert.strictEqual(sha256Hex(tasksHashBytes(bytes)), sha256Hex(bytes))
  })

  it("only markers change: prose brackets, other list markers and inner cell text stay", () => {
    assert.strictEqual(normalizeTasksText("see [x] here\n+ [x] plus\n| a [x] | b |\n"), "see [x] here\n+ [x] plus\n| a [x] | b |\n")
    assert.strictEqual(normalizeTasksText("  - [X] T1\n|[P]|[D]|\n"), "  - [ ] T1\n|[ ]|[ ]|\n")
  })

  it.prop("normalisation is idempotent and preserves length", [fc.stringOf(fc.constantFrom("-", "*", " ", "\n", "|", "[", "]", "x", "X", "D", "P", "\t", "a"))], ([t]) => {
    const n = normalizeTasksText(t)
    return normalizeTasksText(n) === n && n.length === t.length
  })

  it("the input kinds agree with R-PLACE-3", () => {
    for (const name of ANALYSIS_INPUTS) assert.strictEqual(kindOfMissionFile(name), ANALYSIS_INPUT_KINDS[name])
  })
})

describe("§1.4 freshness", () => {
  const report = renderReport(content())
  const path = "/r/kitty-specs/m-01ABCDEF/analysis-report.md"
  const fresh = (reportText: string | null, current: InputArtifacts = ARTIFACTS) => freshnessOf({ path, reportText, current })

  it("current → ok", () => {
    assert.deepStrictEqual(fresh(report), { ok: true, path, stale: false, missing: false, reason: null, mismatches: {} })
  })

  it("every reason of the table", () => {
    assert.deepInclude(fresh(null), { ok: false, missing: true, stale: false, reason: "missing_analysis_report" })
    assert.match(fresh("no frontmatter\n").reason!, /^invalid_analysis_report_frontmatter: /)
    assert.match(fresh("---\na: [\n---\n").reason!, /^invalid_analysis_report_frontmatter: /)
    assert.match(fresh("---\n- a\n---\n").reason!, /^invalid_analysis_report_frontmatter: /)
    // spec-kitty's reason when the saved input hashes are absent or not a mapping
    assert.strictEqual(fresh(`---\nartifact_type: ${ANALYSIS_REPORT_ARTIFACT_TYPE}\n---\nx\n`).reason, "missing_input_artifacts")
    assert.strictEqual(fresh(carrier(" []", ZERO) + "body\n").reason, "carrier_format_not_wrapped")
    assert.strictEqual(fresh("---\ntitle: other\n---\n").reason, "invalid_analysis_report_artifact_type")
    const noTasks = { ...ARTIFACTS, "tasks.md": { path: null, sha256: null } }
    // a deleted input is a mismatch against its saved hash (spec-kitty compares the hashes only)
    assert.deepInclude(fresh(report, noTasks), { ok: false, stale: true, reason: "stale_analysis_report" })
    assert.strictEqual(fresh(report, noTasks).mismatches["tasks.md"]?.current_sha256, null)
    const edited = { ...ARTIFACTS, "plan.md": { path: "x", sha256: "b".repeat(64) } }
    const stale = fresh(report, edited)
    assert.deepInclude(stale, { ok: false, stale: true, missing: false, reason: "stale_analysis_report" })
    assert.deepStrictEqual(stale.mismatches, { "plan.md": { saved_sha256: "1".repeat(63) + "e", current_sha256: "b".repeat(64) } })
  })

  it("the charter counts: null == null, a new charter is a mismatch", () => {
    const withCharter = { ...ARTIFACTS, charter: { path: ".kittify/charter/charter.md", sha256: "c".repeat(64) } }
    assert.deepStrictEqual(fresh(report, withCharter).mismatches, { charter: { saved_sha256: null, current_sha256: "c".repeat(64) } })
  })

  it("A1.11: rewriting every recorded path does not change the result; a recorded hash does", () => {
    const moved = report.replace(/^( {4}path: ).*$/gm, "$1/elsewhere/x")
    assert.notStrictEqual(moved, report)
    assert.deepStrictEqual(fresh(moved), fresh(report))
    const rehashed = report.replace("a".repeat(64), "d".repeat(64))
    assert.strictEqual(fresh(rehashed).reason, "stale_analysis_report")
  })

  it("§1.7 text names the missing file or the stale inputs", () => {
    assert.deepStrictEqual(analysisRequiredLines("m", fresh(null)), [
      `Missing: ${path}`,
      "Reason: missing_analysis_report",
      "Run: /spec-kitty.analyze --mission m",
      "Then: kittyctx mission record-analysis --mission m --input-file -"
    ])
    const edited = { ...ARTIFACTS, "tasks.md": { path: "x", sha256: "b".repeat(64) } }
    assert.include(analysisRequiredLines("m", fresh(report, edited)), "Stale inputs: tasks.md")
  })
})

describe("§1.6 residue classification and divergence on the A1.1-A1.4 paths", () => {
  const missionDir = "kitty-specs/residue-01ABCDEF"
  const log = `${missionDir}/status.events.jsonl`
  const snap = `${missionDir}/status.json`
  const ctx = (placementKind: "coordination" | "primary" | "flattened" | null) => ({ missionDir, placementKind, rules: RESIDUE_RULES })

  it("A1.1: status files and derived views of any mission are bookkeeping in every topology (they never block a surface)", () => {
    for (const k of ["coordination", "primary", "flattened", null] as const) {
      assert.strictEqual(classifyDirtyPath(log, ctx(k)), "bookkeeping", String(k))
      assert.strictEqual(classifyDirtyPath(snap, ctx(k)), "bookkeeping", String(k))
      assert.strictEqual(classifyDirtyPath("kitty-specs/other-01ZZZZZZ/status.json", ctx(k)), "bookkeeping", String(k))
      assert.strictEqual(classifyDirtyPath(".kittify/derived/other-01ZZZZZZ/board.json", ctx(k)), "bookkeeping", String(k))
    }
  })

  it("A1.2: coordination residue (every such rule is reserved today) only under coordination placement, in the mission's own dir", () => {
    const decisions = `${missionDir}/decisions.events.jsonl`
    assert.strictEqual(classifyDirtyPath(decisions, ctx("coordination")), "blocking", "reserved rules are off")
    const rules = RESIDUE_RULES.map((r) => (r.id === "decisions-ledger" ? { ...r, enabled: true } : r))
    assert.strictEqual(classifyDirtyPath(decisions, { missionDir, placementKind: "coordination", rules }), "coord_residue")
    for (const k of [null, "primary", "flattened"] as const) {
      assert.strictEqual(classifyDirtyPath(decisions, { missionDir, placementKind: k, rules }), "blocking", String(k))
    }
    assert.strictEqual(classifyDirtyPath("kitty-specs/other-01ZZZZZZ/decisions.events.jsonl", { missionDir, placementKind: "coordination", rules }), "blocking")
  })

  it("A1.4: another mission's residue and any other file block", () => {
    assert.strictEqual(classifyDirtyPath("kitty-specs/other-01ZZZZZZ/decisions.events.jsonl", ctx("coordination")), "blocking")
    assert.strictEqual(classifyDirtyPath(`${missionDir}/spec.md`, ctx("coordination")), "blocking")
    assert.strictEqual(classifyDirtyPath("src/app.ts", ctx("primary")), "blocking")
  })

  it("A1.3: a primary spec.md differing from the placement copy is divergent; an equal copy is harmless", () => {
    const spec = `${missionDir}/spec.md`
    const base = {
      ...ctx("coordination"),
      primaryBytes: (p: string) => (p === spec ? "edited" : "x"),
      placementDirty: new Set<string>()
    }
    const d = placementDivergence([log, snap, spec], { ...base, placementBytes: (p) => (p === spec ? "orig" : "y") })
    assert.deepStrictEqual(d, { harmless: [log, snap], blocking: [], divergent: [spec], notAdoptable: [] })
    const same = placementDivergence([spec], { ...base, placementBytes: () => "edited" })
    assert.deepStrictEqual(same.divergent, [])
    const deleted = placementDivergence([spec], { ...base, primaryBytes: () => null, placementBytes: () => "orig" })
    assert.deepStrictEqual(deleted.notAdoptable, [spec])
  })
})
