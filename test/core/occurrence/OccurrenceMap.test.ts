/**
 * The occurrence map core (docs/surfaces.md §6): every corpus map validated and explained, the exact
 * layer-1/2/3 texts, the gate, the §6.6 scenarios on the pure diff check, and properties for the glob
 * and move-prefix matchers against independent references. Bare section numbers (§N) cite docs/surfaces.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import {
  assessFile,
  checkDiffCompliance,
  classifyPath,
  fnmatch,
  globMatch,
  isOwnRuntimeState,
  isScannableText,
  matchesDeclaredPath,
  matchesStructuralTarget,
  pathTokenLines,
  presenceFindings,
  staleReferenceFindings,
  UNCLASSIFIED_REASON,
  withIntegrity
} from "../../../src/core/occurrence/OccurrenceDiff.js"
import type { ComplianceResult, IntegrityFinding } from "../../../src/core/occurrence/OccurrenceDiff.js"
import {
  checkAdmissibility,
  decodeOccurrenceMap,
  isNarrowStructuralPath,
  loadOccurrenceMap,
  missingMapMessage,
  OCCURRENCE_MAP_JSON_SCHEMA,
  occurrenceGate,
  parseMapText,
  STANDARD_CATEGORIES,
  TOP_LEVEL_NOT_MAPPING,
  validateAgainstSchema,
  validateOccurrenceMapText,
  validateStructure
} from "../../../src/core/occurrence/OccurrenceMap.js"
import type { OccurrenceMap } from "../../../src/core/occurrence/OccurrenceMap.js"
import { CORPUS_DIR } from "../../support/corpus.js"

const ACTIONS_LIST = "['do_not_change', 'manual_review', 'rename', 'rename_if_user_visible']"

const LEGACY_YAML = `target: {term: constitution, replacement: charter, operation: rename}
categories:
  code_symbols: {action: rename}
  import_paths: {action: rename}
  filesystem_paths: {action: manual_review}
  serialized_keys: {action: do_not_change}
  cli_commands: {action: do_not_change}
  user_facing_strings: {action: rename_if_user_visible}
  tests_fixtures: {action: rename}
  logs_telemetry: {action: do_not_change}
exceptions: []
`

const TWO_MOVES = `moves:
  - from: [src/legacy/auth/login.py, src/legacy/auth/token.py]
    to: src/auth
    reason: Consolidate auth modules
  - {from: [docs/old.md], to: docs/new.md}
`

/** The legacy map's categories as a YAML mapping value, for documents that vary the rest. */
const CATS = Object.fromEntries(STANDARD_CATEGORIES.map((c) => [c, { action: c === "serialized_keys" ? "do_not_change" : "rename" }]))

const structural = (raw: unknown) => validateStructure(raw).errors
const withBase = (extra: Record<string, unknown>) => ({ target: { term: "x" }, categories: CATS, ...extra })

const mapOf = (yaml: string): OccurrenceMap => {
  const loaded = loadOccurrenceMap(yaml)
  if (loaded._tag !== "Loaded") throw new Error(`fixture map does not load: ${JSON.stringify(loaded)}`)
  return loaded.map
}

// ---------------------------------------------------------------------------------------------------
// The corpus

/**
 * Every `occurrence_map.yaml` of the corpus, with what each layer says and why. "gate" is the implement
 * gate (layers 1+2) for a bulk_edit mission; the schema column is the strict layer-3 view, which no gate
 * runs: real maps carry extra keys (comments-as-data), which is exactly why it is opt-in.
 *
 * | mission | meta change_mode | layer 1 | layer 2 | layer 3 (--schema) | why |
 * |---|---|---|---|---|---|
 * | charter-ux-and-org-pack-vocabulary-01KSAF14 | bulk_edit | ok, 5 unknown-key warnings | ok | 2 errors | extra top-level keys (schema_version, mission, …) and target.scope_notes |
 * | codebase-sanitization-1060-1622-01KV5F0B | bulk_edit | ok, 8 warnings | ok | 2 errors | same shape: extra top-level keys and target.scope_notes |
 * | common-docs-convergence-01KZMTR9 | bulk_edit | ok | ok | ok | a clean map with a moves spine |
 * | common-docs-structural-move-01KW3SBK | bulk_edit | ok, 1 warning | ok | 2 errors | targeted_ref_updates block; moves[21] carries an extra `kind` key |
 * | docs-ia-onboarding-overhaul-01KY02JB | (none) | 2 errors | - | 3 errors | a moves-only file (no target, no categories), read by a redirect generator, not a gate map |
 * | doctrine-glossary-architecture-consolidation-01KTNWFC | (none: reverted) | 14 errors | - | many | a checklist: no target, invented actions (review, rewrite, none), prose exceptions, moves without from/to |
 * | doctrine-silence-guards-01KYFV7Q | bulk_edit | ok | ok | ok | valid, with field-path exceptions |
 * | doctrine-tension-edges-01KY1WPC | bulk_edit | ok | ok | ok | valid |
 * | drg-edge-migration-extractor-retirement-01KYFV8C | bulk_edit | ok | ok | ok | valid |
 * | execution-state-canonical-surface-01KTG6P9 | bulk_edit | ok | ok | ok | valid (extra keys only inside categories, which allow them) |
 * | primary-merge-vocabulary-01KXP11C | (none) | ok | ok | ok | valid map on a mission that is not bulk edit: the gate never reads it |
 * | release-3-2-0a5-tranche-1-01KQ7YXH | bulk_edit | ok | ok | ok | valid |
 * | relocate-builtin-doctrine-packs-01KYT87F | (none) | 1 error | - | - | not YAML: a quoted scalar followed by prose at line 73, column 54 |
 * | retrospective-default-policy-01KS049J | (none) | 1 error | - | - | not YAML: a quoted scalar followed by prose at line 148, column 50 |
 * | single-mission-surface-resolver-01KVGCE8 | (none) | ok | ok | ok | valid |
 */
interface CorpusExpectation {
  readonly changeMode: string | null
  readonly structural: ReadonlyArray<string> | number
  readonly warnings: number
  readonly admissible: boolean
  readonly schemaErrors: ReadonlyArray<string> | number
  readonly moves: number
}

const CORPUS_TABLE: Readonly<Record<string, CorpusExpectation>> = {
  "charter-ux-and-org-pack-vocabulary-01KSAF14": {
    changeMode: "bulk_edit",
    structural: [],
    warnings: 5,
    admissible: true,
    schemaErrors: [
      "<root>: Additional properties are not allowed ('acceptance_check', 'dead_code_candidates', 'historical_preservation', " +
      "'mission', 'schema_version' were unexpected)",
      "target: Additional properties are not allowed ('scope_notes' was unexpected)"
    ],
    moves: 0
  },
  "codebase-sanitization-1060-1622-01KV5F0B": { changeMode: "bulk_edit", structural: [], warnings: 8, admissible: true, schemaErrors: 2, moves: 0 },
  "common-docs-convergence-01KZMTR9": { changeMode: "bulk_edit", structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 244 },
  "common-docs-structural-move-01KW3SBK": {
    changeMode: "bulk_edit",
    structural: [],
    warnings: 1,
    admissible: true,
    schemaErrors: [
      "<root>: Additional properties are not allowed ('targeted_ref_updates' was unexpected)",
      "moves.21: Additional properties are not allowed ('kind' was unexpected)"
    ],
    moves: 29
  },
  "docs-ia-onboarding-overhaul-01KY02JB": {
    changeMode: null,
    structural: ["Missing required 'target' section", "Missing required 'categories' section"],
    warnings: 0,
    admissible: false,
    schemaErrors: [
      "<root>: 'target' is a required property",
      "<root>: 'categories' is a required property",
      "moves.21: Additional properties are not allowed ('kind' was unexpected)"
    ],
    moves: 0
  },
  "doctrine-glossary-architecture-consolidation-01KTNWFC": {
    changeMode: null,
    structural: [
      "Missing required 'target' section",
      `Category 'code_symbols' has invalid action 'review'; must be one of ${ACTIONS_LIST}`,
      `Category 'import_paths' has invalid action 'review'; must be one of ${ACTIONS_LIST}`,
      `Category 'filesystem_paths' has invalid action 'rewrite'; must be one of ${ACTIONS_LIST}`,
      `Category 'serialized_keys' has invalid action 'review'; must be one of ${ACTIONS_LIST}`,
      `Category 'cli_commands' has invalid action 'none'; must be one of ${ACTIONS_LIST}`,
      `Category 'user_facing_strings' has invalid action 'review'; must be one of ${ACTIONS_LIST}`,
      `Category 'tests_fixtures' has invalid action 'rewrite'; must be one of ${ACTIONS_LIST}`,
      `Category 'logs_telemetry' has invalid action 'none'; must be one of ${ACTIONS_LIST}`,
      "exceptions[0] must be a mapping with 'path' and 'action'",
      "moves[0] missing required 'from' key",
      "moves[0] missing required 'to' key",
      "moves[1] missing required 'from' key",
      "moves[1] missing required 'to' key"
    ],
    warnings: 3,
    admissible: false,
    schemaErrors: 18,
    moves: 0
  },
  "doctrine-silence-guards-01KYFV7Q": { changeMode: "bulk_edit", structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 0 },
  "doctrine-tension-edges-01KY1WPC": { changeMode: "bulk_edit", structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 0 },
  "drg-edge-migration-extractor-retirement-01KYFV8C": {
    changeMode: "bulk_edit",
    structural: [],
    warnings: 0,
    admissible: true,
    schemaErrors: [],
    moves: 0
  },
  "execution-state-canonical-surface-01KTG6P9": {
    changeMode: "bulk_edit",
    structural: [],
    warnings: 0,
    admissible: true,
    schemaErrors: [],
    moves: 0
  },
  "primary-merge-vocabulary-01KXP11C": { changeMode: null, structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 1 },
  "release-3-2-0a5-tranche-1-01KQ7YXH": { changeMode: "bulk_edit", structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 0 },
  "relocate-builtin-doctrine-packs-01KYT87F": {
    changeMode: null,
    structural: ["Occurrence map is not valid YAML: Unexpected scalar at node end at line 73, column 54"],
    warnings: 0,
    admissible: false,
    schemaErrors: [],
    moves: 0
  },
  "retrospective-default-policy-01KS049J": {
    changeMode: null,
    structural: ["Occurrence map is not valid YAML: Unexpected scalar at node end at line 148, column 50"],
    warnings: 0,
    admissible: false,
    schemaErrors: [],
    moves: 0
  },
  "single-mission-surface-resolver-01KVGCE8": { changeMode: null, structural: [], warnings: 0, admissible: true, schemaErrors: [], moves: 1 }
}

const corpusMaps = fs.readdirSync(CORPUS_DIR).sort().filter((m) => fs.existsSync(`${CORPUS_DIR}${m}/occurrence_map.yaml`))
const corpusText = (m: string) => fs.readFileSync(`${CORPUS_DIR}${m}/occurrence_map.yaml`, "utf8")
const corpusChangeMode = (m: string): string | null => JSON.parse(fs.readFileSync(`${CORPUS_DIR}${m}/meta.json`, "utf8")).change_mode ?? null

const countOrList = (actual: ReadonlyArray<string>, expected: ReadonlyArray<string> | number, what: string) => {
  if (typeof expected === "number") assert.strictEqual(actual.length, expected, `${what}: ${JSON.stringify(actual)}`)
  else assert.deepStrictEqual([...actual], [...expected], what)
}

describe("the corpus maps", () => {
  it("the table covers exactly the corpus's maps", () => {
    assert.deepStrictEqual(corpusMaps, Object.keys(CORPUS_TABLE).sort())
  })

  for (const mission of Object.keys(CORPUS_TABLE)) {
    it(mission, () => {
      const want = CORPUS_TABLE[mission]
      const text = corpusText(mission)
      assert.strictEqual(corpusChangeMode(mission), want.changeMode, "meta.json change_mode")
      const report = validateOccurrenceMapText(text, { schema: true, missionDir: "/m" })
      countOrList(report.structural_errors, want.structural, "layer 1")
      assert.strictEqual(report.warnings.length, want.warnings, JSON.stringify(report.warnings))
      assert.strictEqual(report.admissibility_errors.length, 0, "no corpus map is inadmissible once structurally valid")
      countOrList(report.schema_errors ?? [], want.schemaErrors, "layer 3")
      assert.deepStrictEqual(report.errors, [...report.structural_errors, ...report.admissibility_errors, ...(report.schema_errors ?? [])])
      const gate = occurrenceGate({ changeMode: "bulk_edit", mapText: text, missionDir: "/m" })
      assert.strictEqual(gate.passed, want.admissible, JSON.stringify(gate.errors))
      const loaded = loadOccurrenceMap(text)
      assert.strictEqual(loaded._tag === "Loaded" ? loaded.map.moves.length : 0, want.moves)
      // the gate as the mission's own meta.json drives it: a non-bulk-edit mission passes without reading
      const own = occurrenceGate({ changeMode: want.changeMode, mapText: text, missionDir: "/m" })
      assert.strictEqual(own.passed, want.changeMode === null ? true : want.admissible)
      assert.strictEqual(own.change_mode, want.changeMode === "bulk_edit" ? "bulk_edit" : null)
    })
  }

  it("every bulk_edit mission of the corpus passes the implement gate", () => {
    const bulk = corpusMaps.filter((m) => corpusChangeMode(m) === "bulk_edit")
    assert.isAbove(bulk.length, 5)
    for (const m of bulk) assert.isTrue(occurrenceGate({ changeMode: "bulk_edit", mapText: corpusText(m), missionDir: "/m" }).passed, m)
  })
})

// ---------------------------------------------------------------------------------------------------
// Layer 1

describe("layer 1: structural, exact texts", () => {
  const cases: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
    ["a top-level list (A6.7)", ["a", "b"], [TOP_LEVEL_NOT_MAPPING]],
    ["a top-level string", "x", [TOP_LEVEL_NOT_MAPPING]],
    ["a top-level number", 3, [TOP_LEVEL_NOT_MAPPING]],
    ["target a string (A6.7)", { target: "x", categories: CATS }, ["'target' must be a mapping"]],
    ["target a list", { target: ["x"], categories: CATS }, ["'target' must be a mapping"]],
    ["target null", { target: null, categories: CATS }, ["'target' must be a mapping"]],
    ["no target", { categories: CATS }, ["Missing required 'target' section"]],
    ["no term", { target: {}, categories: CATS }, ["Missing required 'target.term'"]],
    ["null term", { target: { term: null }, categories: CATS }, ["Missing required 'target.term'"]],
    ["empty term", { target: { term: "  " }, categories: CATS }, ["'target.term' must be a non-empty string"]],
    ["numeric term", { target: { term: 5 }, categories: CATS }, ["'target.term' must be a non-empty string"]],
    [
      "bad operation",
      { target: { term: "x", operation: "move" }, categories: CATS },
      ["Invalid target.operation 'move'; must be one of ['deprecate', 'remove', 'rename']"]
    ],
    ["null operation", { target: { term: "x", operation: null }, categories: CATS }, []],
    ["no categories", { target: { term: "x" } }, ["Missing required 'categories' section"]],
    ["categories a list", { target: { term: "x" }, categories: ["a"] }, ["'categories' must be a non-empty mapping"]],
    ["categories empty", { target: { term: "x" }, categories: {} }, ["'categories' must be a non-empty mapping"]],
    ["categories a string", { target: { term: "x" }, categories: "all" }, ["'categories' must be a non-empty mapping"]],
    ["a category string", { target: { term: "x" }, categories: { a: "rename" } }, ["Category 'a' must be a mapping"]],
    ["a category without action", { target: { term: "x" }, categories: { a: { notes: 1 } } }, ["Category 'a' missing required 'action' key"]],
    [
      "a category with a bad action",
      { target: { term: "x" }, categories: { a: { action: "zap" } } },
      [`Category 'a' has invalid action 'zap'; must be one of ${ACTIONS_LIST}`]
    ],
    [
      "a category with a list action",
      { target: { term: "x" }, categories: { a: { action: ["rename"] } } },
      [`Category 'a' has invalid action '['rename']'; must be one of ${ACTIONS_LIST}`]
    ],
    ["exceptions a mapping", withBase({ exceptions: { a: 1 } }), ["'exceptions' must be a list when present"]],
    ["exceptions null", withBase({ exceptions: null }), []],
    ["an exception string", withBase({ exceptions: ["docs/*"] }), ["exceptions[0] must be a mapping with 'path' and 'action'"]],
    ["an exception without path", withBase({ exceptions: [{ action: "rename" }] }), ["exceptions[0] missing required 'path' key"]],
    ["an exception with empty path", withBase({ exceptions: [{ path: "", action: "rename" }] }), ["exceptions[0].path must be a non-empty string"]],
    ["an exception without action", withBase({ exceptions: [{ path: "a" }] }), ["exceptions[0] missing required 'action' key"]],
    [
      "an exception with a bad action",
      withBase({ exceptions: [{ path: "a", action: "keep" }] }),
      [`exceptions[0] has invalid action 'keep'; must be one of ${ACTIONS_LIST}`]
    ],
    [
      "an exception with an empty field_path",
      withBase({ exceptions: [{ path: "a", action: "rename", field_path: " " }] }),
      ["exceptions[0].field_path must be a non-empty string when present"]
    ],
    ["moves a mapping (A6.3)", withBase({ moves: { a: 1 } }), ["'moves' must be a list when present"]],
    ["moves null", withBase({ moves: null }), []],
    ["a move string", withBase({ moves: ["a -> b"] }), ["moves[0] must be a mapping with 'from' and 'to'"]],
    ["a move without to (A6.3)", withBase({ moves: [{ from: ["a"] }] }), ["moves[0] missing required 'to' key"]],
    ["a move without from", withBase({ moves: [{ to: "b" }] }), ["moves[0] missing required 'from' key"]],
    ["a move with from: [] (A6.3)", withBase({ moves: [{ from: [], to: "b" }] }), ["moves[0].from must be a non-empty list of paths"]],
    ["a move with a string from", withBase({ moves: [{ from: "a", to: "b" }] }), ["moves[0].from must be a non-empty list of paths"]],
    ["a move with from: [''] (A6.3)", withBase({ moves: [{ from: [""], to: "b" }] }), ["moves[0].from entries must be non-empty strings"]],
    ["a move with a numeric source", withBase({ moves: [{ from: ["a", 3], to: "b" }] }), ["moves[0].from entries must be non-empty strings"]],
    ["a move with to: '' (A6.3)", withBase({ moves: [{ from: ["a"], to: "" }] }), ["moves[0].to must be a non-empty string"]],
    [
      "the second move is the one reported",
      withBase({ moves: [{ from: ["a"], to: "b" }, {}] }),
      ["moves[1] missing required 'from' key", "moves[1] missing required 'to' key"]
    ],
    ["structural_targets a mapping", withBase({ structural_targets: {} }), ["'structural_targets' must be a list when present"]],
    [
      "a structural target string",
      withBase({ structural_targets: ["src/a.py"] }),
      ["structural_targets[0] must be a mapping with 'path' and 'reason'"]
    ],
    [
      "a structural target without path and reason",
      withBase({ structural_targets: [{}] }),
      ["structural_targets[0] missing required 'path' key", "structural_targets[0] missing required 'reason' key"]
    ],
    [
      "a structural target with blanks",
      withBase({ structural_targets: [{ path: "", reason: "" }] }),
      ["structural_targets[0].path must be a non-empty string", "structural_targets[0].reason must be a non-empty string"]
    ],
    [
      "a broad structural target",
      withBase({ structural_targets: [{ path: "src/**/x.py", reason: "refactor" }] }),
      [
        "structural_targets[0].path 'src/**/x.py' is too broad for a structural-target exemption: use a concrete file or " +
        "a single-directory glob with a fixed extension"
      ]
    ],
    ["a narrow structural target", withBase({ structural_targets: [{ path: "src/foo/*.py", reason: "refactor" }] }), []]
  ]
  for (const [name, raw, expected] of cases) {
    it(name, () => assert.deepStrictEqual(structural(raw), expected))
  }

  it("unknown top-level keys are warnings only; the six known keys are not", () => {
    const r = validateStructure(withBase({ moves: [], structural_targets: [], status: { accepted: true }, exceptions: [], extra: 1 }))
    assert.deepStrictEqual(r, { errors: [], warnings: ["Unknown top-level key 'extra'"] })
  })

  it("errors from every block are reported together, in block order", () => {
    const r = validateStructure({ target: "x", categories: [], exceptions: 1, moves: 2, structural_targets: 3 })
    assert.deepStrictEqual(r.errors, [
      "'target' must be a mapping",
      "'categories' must be a non-empty mapping",
      "'exceptions' must be a list when present",
      "'moves' must be a list when present",
      "'structural_targets' must be a list when present"
    ])
  })

  it("narrow structural paths (§6.3)", () => {
    for (const ok of ["src/foo/*.py", "src/foo/test_*.py", "src/foo/bar.py", "*.py", "a/b/c.d.ts"]) assert.isTrue(isNarrowStructuralPath(ok), ok)
    for (const bad of ["*", "file.*", "src/foo", "src/**/x.py", "src/foo/", "src/?.py", "src/[ab].py", "src/*/x.py", "src/a*b*.py", ".gitignore", "x."]) {
      assert.isFalse(isNarrowStructuralPath(bad), bad)
    }
  })

  it("never throws, whatever the value (property)", () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
      node: fc.oneof({ depthSize: "small" }, tie("leaf"), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(
        fc.constantFrom("target", "term", "categories", "action", "exceptions", "path", "moves", "from", "to", "structural_targets", "reason", "x"),
        tie("node"),
        { maxKeys: 4 }
      ))
    })).node
    fc.assert(fc.property(value, (raw) => {
      const r = validateStructure(raw)
      if (r.errors.length === 0) assert.isTrue(Either.isRight(decodeOccurrenceMap(raw)), "layer 1 passing implies the Schema decodes")
      validateAgainstSchema(raw)
    }), { numRuns: 500 })
  })
})

// ---------------------------------------------------------------------------------------------------
// Loading, layer 2, layer 3, backward compatibility

describe("loading and the §6.6 map scenarios", () => {
  it("A6.1 legacy: no moves → moves == [], layers 1-3 pass, no warning mentions moves; same with moves: null", () => {
    for (const text of [LEGACY_YAML, LEGACY_YAML + "moves: null\n", LEGACY_YAML + "moves: ~\nstructural_targets: null\nstatus: null\n"]) {
      const map = mapOf(text)
      assert.deepStrictEqual(map.moves, [])
      assert.deepStrictEqual(map.structural_targets, [])
      const report = validateOccurrenceMapText(text, { schema: true, missionDir: "/m" })
      assert.deepStrictEqual(report, {
        valid: true,
        errors: [],
        warnings: [],
        structural_errors: [],
        admissibility_errors: [],
        schema_errors: []
      })
      const gate = occurrenceGate({ changeMode: "bulk_edit", mapText: text, missionDir: "/m" })
      assert.deepStrictEqual(gate, { passed: true, change_mode: "bulk_edit", errors: [], warnings: [] })
    }
  })

  it("A6.2 two moves parse: second reason null; validates, gates, passes the schema", () => {
    const text = LEGACY_YAML + TWO_MOVES
    const map = mapOf(text)
    assert.deepStrictEqual(map.moves, [
      { from: ["src/legacy/auth/login.py", "src/legacy/auth/token.py"], to: "src/auth", reason: "Consolidate auth modules" },
      { from: ["docs/old.md"], to: "docs/new.md", reason: null }
    ])
    assert.isTrue(validateOccurrenceMapText(text, { schema: true, missionDir: "/m" }).valid)
    assert.isTrue(occurrenceGate({ changeMode: "bulk_edit", mapText: text, missionDir: "/m" }).passed)
  })

  it("the Schema decodes the typed map: defaults, field-path exceptions, free extra category keys", () => {
    const map = mapOf(`target: {term: shipped}
categories:
  code_symbols: {action: rename, notes: keep the alias, occurrences: [{path: a.py}]}
exceptions:
  - {path: "docs/*.md", action: manual_review, field_path: related}
  - {path: CHANGELOG.md, action: do_not_change, reason: history}
status: {accepted: true}
`)
    assert.deepStrictEqual(map.target, { term: "shipped", replacement: null, operation: null })
    assert.strictEqual(map.categories.code_symbols.action, "rename")
    assert.strictEqual(map.categories.code_symbols.notes, "keep the alias")
    assert.deepStrictEqual(map.exceptions, [
      { path: "docs/*.md", action: "manual_review", reason: null, field_path: "related" },
      { path: "CHANGELOG.md", action: "do_not_change", reason: "history", field_path: null }
    ])
    assert.deepStrictEqual(map.status, { accepted: true })
  })

  it("A6.7 a list, a string, a number, YAML errors: layer-1 errors, never a crash", () => {
    for (const text of ["- a\n- b\n", "just a string\n", "42\n"]) {
      const loaded = loadOccurrenceMap(text)
      assert.strictEqual(loaded._tag, "Invalid")
      if (loaded._tag === "Invalid") assert.deepStrictEqual(loaded.errors, [TOP_LEVEL_NOT_MAPPING])
    }
    const dup = loadOccurrenceMap("target: {term: a}\ntarget: {term: b}\n")
    assert.strictEqual(dup._tag, "Invalid")
    if (dup._tag === "Invalid") assert.match(dup.errors[0], /^Occurrence map is not valid YAML: Map keys must be unique/)
    const two = loadOccurrenceMap("a: 1\n---\nb: 2\n")
    assert.strictEqual(two._tag, "Invalid")
  })

  it("an empty file, a comment-only file or an explicit null document counts as missing", () => {
    for (const text of ["", "# nothing yet\n", "~\n", "null\n"]) assert.strictEqual(parseMapText(text)._tag, "Missing", JSON.stringify(text))
    assert.strictEqual(parseMapText(null)._tag, "Missing")
  })

  it("layer 2: placeholders, the minimum, missing standard categories in canonical order", () => {
    const two = mapOf("target: {term: '  tbd '}\ncategories:\n  logs_telemetry: {action: rename}\n  code_symbols: {action: rename}\n")
    assert.deepStrictEqual(checkAdmissibility(two), [
      "target.term '  tbd ' is a placeholder; provide a real term before execution",
      "Need at least 3 categories, got 2",
      "Occurrence map is missing required standard categories: ['import_paths', 'filesystem_paths', 'serialized_keys', " +
      "'cli_commands', 'user_facing_strings', 'tests_fixtures']. Every category must be present — use action " +
      "'do_not_change' for risk surfaces that must not be modified."
    ])
    for (const term of ["TODO", "fixme", "Xxx", "PlaceHolder"]) {
      const m = mapOf(LEGACY_YAML.replace("term: constitution", `term: ${term}`))
      assert.deepStrictEqual(checkAdmissibility(m), [`target.term '${term}' is a placeholder; provide a real term before execution`])
    }
    const extra = mapOf(LEGACY_YAML.replace("categories:\n", "categories:\n  migrations: {action: manual_review}\n"))
    assert.deepStrictEqual(checkAdmissibility(extra), [], "extra non-standard categories are allowed")
  })

  it("layer 2 runs only once layer 1 passes", () => {
    const r = validateOccurrenceMapText("target: {term: TODO}\ncategories: []\n", { schema: false, missionDir: "/m" })
    assert.deepStrictEqual(r.errors, ["'categories' must be a non-empty mapping"])
    assert.deepStrictEqual(r.admissibility_errors, [])
    assert.notProperty(r, "schema_errors")
  })

  it("layer 3: Python jsonschema's wording, `<dotted.path>: <message>`, sorted by path", () => {
    assert.deepStrictEqual(validateAgainstSchema(["a"]), ["<root>: ['a'] is not of type 'object'"])
    assert.deepStrictEqual(
      validateAgainstSchema({
        target: { term: "", operation: "move", replacement: 3 },
        categories: {},
        moves: [{ from: [], to: "" }, { from: ["a", ""], to: "b", why: 1 }],
        exceptions: [{ path: "a", action: "rename", field_path: "" }],
        structural_targets: null,
        status: "done",
        mission: "m"
      }),
      [
        "<root>: Additional properties are not allowed ('mission' was unexpected)",
        "categories: {} should be non-empty",
        "exceptions.0.field_path: '' should be non-empty",
        "moves.0.from: [] should be non-empty",
        "moves.0.to: '' should be non-empty",
        "moves.1: Additional properties are not allowed ('why' was unexpected)",
        "moves.1.from.1: '' should be non-empty",
        "status: 'done' is not of type 'object', 'null'",
        "target.operation: 'move' is not one of ['rename', 'remove', 'deprecate']",
        "target.replacement: 3 is not of type 'string', 'null'",
        "target.term: '' should be non-empty"
      ]
    )
    assert.deepStrictEqual(validateAgainstSchema({ target: { term: "x" }, categories: { a: { action: 5 } } }), [
      "categories.a.action: 5 is not of type 'string'",
      "categories.a.action: 5 is not one of ['rename', 'manual_review', 'do_not_change', 'rename_if_user_visible']"
    ])
  })

  const python = spawnSync("python3", ["-c", "import jsonschema"], { encoding: "utf8" })
  it.skipIf(python.status !== 0)("layer 3 agrees with Python jsonschema (Draft202012Validator) on the corpus and edge cases", () => {
    const docs: Array<unknown> = corpusMaps
      .map((m) => parseMapText(corpusText(m)))
      .flatMap((d) => (d._tag === "Document" ? [d.raw] : []))
    docs.push(
      ["a"],
      "x",
      { target: { term: "", operation: "move", replacement: 3, extra: "it's \"quoted\"" }, categories: {}, moves: [{ from: [], to: "" }] },
      { target: { term: "x" }, categories: { a: { action: 5 }, b: [1, true, null, 1.5] }, exceptions: [{}], status: [] },
      { categories: { a: "x" }, structural_targets: [{ path: "", reason: "" }, 7] }
    )
    const script = `
import json, sys, jsonschema
data = json.load(sys.stdin)
v = jsonschema.Draft202012Validator(data["schema"])
out = []
for inst in data["docs"]:
    errs = sorted(v.iter_errors(inst), key=lambda e: list(e.absolute_path))
    out.append([(".".join(str(p) for p in e.absolute_path) or "<root>") + ": " + e.message for e in errs])
json.dump(out, sys.stdout)
`
    const r = spawnSync("python3", ["-c", script], {
      input: JSON.stringify({ schema: OCCURRENCE_MAP_JSON_SCHEMA, docs }),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    assert.strictEqual(r.status, 0, r.stderr)
    const expected = JSON.parse(r.stdout) as Array<Array<string>>
    docs.forEach((doc, i) => assert.deepStrictEqual([...validateAgainstSchema(doc)], expected[i], `doc ${i}`))
  })
})

// ---------------------------------------------------------------------------------------------------
// The gate

describe("the implement gate (pure)", () => {
  it("not bulk edit: passes with change_mode null and never looks at the map", () => {
    for (const changeMode of [null, undefined, "standard", "BULK_EDIT"]) {
      assert.deepStrictEqual(occurrenceGate({ changeMode, mapText: "- not: a map\n", missionDir: "/m" }), {
        passed: true,
        change_mode: null,
        errors: [],
        warnings: []
      })
    }
  })

  it("bulk edit without a map (or with an empty one): the spec's message naming the mission dir", () => {
    for (const mapText of [null, "", "# todo\n"]) {
      assert.deepStrictEqual(occurrenceGate({ changeMode: "bulk_edit", mapText, missionDir: "/r/kitty-specs/m" }), {
        passed: false,
        change_mode: "bulk_edit",
        errors: [
          "Occurrence map required for bulk_edit missions. Create /r/kitty-specs/m/occurrence_map.yaml with target, " +
          "categories, and actions."
        ],
        warnings: []
      })
    }
    assert.strictEqual(missingMapMessage("/d"), occurrenceGate({ changeMode: "bulk_edit", mapText: null, missionDir: "/d" }).errors[0])
  })

  it("bulk edit: layer 1 first, then layer 2; warnings travel", () => {
    const invalid = occurrenceGate({ changeMode: "bulk_edit", mapText: "target: x\n", missionDir: "/m" })
    assert.deepStrictEqual(invalid.errors, ["'target' must be a mapping", "Missing required 'categories' section"])
    const placeholder = occurrenceGate({
      changeMode: "bulk_edit",
      mapText: LEGACY_YAML.replace("term: constitution", "term: TODO") + "owner: me\n",
      missionDir: "/m"
    })
    assert.deepStrictEqual(placeholder, {
      passed: false,
      change_mode: "bulk_edit",
      errors: ["target.term 'TODO' is a placeholder; provide a real term before execution"],
      warnings: ["Unknown top-level key 'owner'"]
    })
  })
})

// ---------------------------------------------------------------------------------------------------
// Globs: fnmatch against an independent reference, and the recursive fallback

/**
 * The reference: CPython's `fnmatch.translate` rebuilt as a translator to a JS regular expression
 * (character-class text escaped for JS syntax, where `[]` and `[^]` differ from Python's).
 */
const jsClassEscape = (s: string) => s.replace(/[\\\]\[^-]/g, "\\$&")
const referenceRegex = (pat: string): RegExp => {
  const STAR = "\u0000STAR"
  const res: Array<string> = []
  let i = 0
  const n = pat.length
  while (i < n) {
    const c = pat[i]
    i += 1
    if (c === "*") {
      if (res.length === 0 || res[res.length - 1] !== STAR) res.push(STAR)
    } else if (c === "?") {
      res.push(".")
    } else if (c === "[") {
      let j = i
      if (j < n && pat[j] === "!") j += 1
      if (j < n && pat[j] === "]") j += 1
      while (j < n && pat[j] !== "]") j += 1
      if (j >= n) {
        res.push("\\[")
      } else {
        let stuff = pat.slice(i, j)
        if (!stuff.includes("-")) {
          stuff = jsClassEscape(stuff)
        } else {
          const chunks: Array<string> = []
          let k = pat[i] === "!" ? i + 2 : i + 1
          for (;;) {
            k = pat.indexOf("-", k)
            if (k < 0 || k >= j) break
            chunks.push(pat.slice(i, k))
            i = k + 1
            k = k + 3
          }
          const chunk = pat.slice(i, j)
          if (chunk !== "") chunks.push(chunk)
          else chunks[chunks.length - 1] += "-"
          for (let m = chunks.length - 1; m > 0; m--) {
            if (chunks[m - 1][chunks[m - 1].length - 1] > chunks[m][0]) {
              chunks[m - 1] = chunks[m - 1].slice(0, -1) + chunks[m].slice(1)
              chunks.splice(m, 1)
            }
          }
          stuff = chunks.map(jsClassEscape).join("-")
        }
        i = j + 1
        if (stuff === "") res.push("(?!)")
        else if (stuff === "!") res.push(".")
        else res.push(stuff[0] === "!" ? `[^${stuff.slice(1)}]` : `[${stuff}]`)
      }
    } else {
      res.push(c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))
    }
  }
  return new RegExp(`^(?:${res.map((r) => (r === STAR ? ".*" : r)).join("")})$`, "s")
}
const referenceFnmatch = (name: string, pat: string) => referenceRegex(pat).test(name)

const globChar = fc.constantFrom("a", "b", "c", "/", ".", "*", "?", "[", "]", "!", "-", "^", "\\")
const nameChar = fc.constantFrom("a", "b", "c", "/", ".", "-", "]", "[", "!", "^", "\\", "\n")
const pattern = fc.string({ unit: globChar, maxLength: 9 })
const name = fc.string({ unit: nameChar, maxLength: 8 })
const wildcardPattern = fc.string({ unit: fc.constantFrom("a", "b", "/", ".", "*", "?"), maxLength: 6 })

describe("globs (§6.4 glob semantics)", () => {
  it.prop("fnmatch equals the CPython-translate reference", [pattern, name], ([pat, n]) => {
    assert.strictEqual(fnmatch(n, pat), referenceFnmatch(n, pat), `fnmatch(${JSON.stringify(n)}, ${JSON.stringify(pat)})`)
  }, { fastCheck: { numRuns: 3000 } })

  it.prop("patterns built from names always match them (literal characters, `?` and `*` substitution)", [
    fc.array(fc.constantFrom("a", "b", "/", "."), { minLength: 0, maxLength: 8 }),
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 })
  ], ([chars, choice]) => {
    const text = chars.join("")
    const pat = chars.map((c, i) => (choice[i] === 1 ? "?" : choice[i] === 2 ? "*" : c)).join("")
    assert.isTrue(fnmatch(text, pat), `${pat} vs ${text}`)
  })

  it("the reference itself can tell a wrong translator apart (non-vacuity)", () => {
    // a translator that keeps `*` inside one segment, the classic glob mistake, disagrees with the reference
    const segmentStar = (n: string, pat: string) =>
      new RegExp(`^${pat.replace(/[.+^${}()|\\/-]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, ".")}$`, "s").test(n)
    const found = fc.check(fc.property(wildcardPattern, name, (pat, n) => segmentStar(n, pat) === referenceFnmatch(n, pat)), {
      numRuns: 2000,
      seed: 7
    })
    assert.isTrue(found.failed, "expected a counterexample such as ('a/b', '*')")
  })

  const python = spawnSync("python3", ["-c", "import fnmatch"], { encoding: "utf8" })
  it.skipIf(python.status !== 0)("fnmatch agrees with CPython's own fnmatch.fnmatchcase on 2000 sampled pairs", () => {
    const pairs = fc.sample(fc.tuple(name, pattern), { numRuns: 2000, seed: 42 })
    const r = spawnSync(
      "python3",
      ["-c", "import json,sys,fnmatch\nprint(json.dumps([fnmatch.fnmatchcase(n, p) for n, p in json.load(sys.stdin)]))"],
      { input: JSON.stringify(pairs), encoding: "utf8" }
    )
    assert.strictEqual(r.status, 0, r.stderr)
    const expected = JSON.parse(r.stdout) as Array<boolean>
    pairs.forEach(([n, p], i) => assert.strictEqual(fnmatch(n, p), expected[i], `fnmatch(${JSON.stringify(n)}, ${JSON.stringify(p)})`))
  })

  it("A6.5: `*` crosses `/` in fnmatch; `**` has a recursive fallback", () => {
    assert.isTrue(globMatch("docs/a/b.md", "docs/*.md"))
    assert.isTrue(globMatch("src/a/b/x.py", "src/**/x.py"))
    assert.isTrue(globMatch("CHANGELOG.md", "CHANGELOG.md"))
    assert.isFalse(globMatch("changelog.md", "CHANGELOG.md"), "case-sensitive")
    assert.isTrue(globMatch("src/x1.py", "src/x[0-9].py"))
    assert.isFalse(globMatch("src/x1.py", "src/x[!0-9].py"))
    assert.isTrue(globMatch("a[b", "a[b"), "an unclosed class is a literal")
    // the fallback is an escaped regex: `[` is literal there, while fnmatch reads a class
    assert.isTrue(globMatch("src/a/[id]/x.py", "src/**/[id]/x.py"))
    assert.isFalse(fnmatch("src/a/[id]/x.py", "src/**/[id]/x.py"))
  })
})

// ---------------------------------------------------------------------------------------------------
// Move matching: directory prefix, never a sibling with the same prefix

const segment = fc.string({ unit: fc.constantFrom("a", "b", "u", "t", "h", "_", ".", "-", "1"), minLength: 1, maxLength: 6 })
  .filter((s) => s !== "." && s !== "..")
const declaredDir = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"))
const rest = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"))

describe("move matching (§6.4): exact or directory prefix", () => {
  it.prop("a literal declared dir covers itself and every path below it", [declaredDir, rest], ([d, r]) => {
    assert.isTrue(matchesDeclaredPath(d, d))
    assert.isTrue(matchesDeclaredPath(`${d}/${r}`, d))
    assert.isTrue(matchesDeclaredPath(`${d}/${r}`, ` ${d}/ `), "trimmed, trailing / stripped")
    assert.isTrue(matchesDeclaredPath(`${d}/${r}`, d.replace(/\//g, "\\")), "backslashes are separators")
  })

  it.prop("…and never a sibling that merely shares its text as a prefix", [declaredDir, segment, fc.option(rest)], ([d, tail, below]) => {
    const sibling = `${d}${tail}${below === null ? "" : `/${below}`}`
    assert.isFalse(matchesDeclaredPath(sibling, d), `${d} must not cover ${sibling}`)
  })

  it("src/auth covers src/auth/x.py, not src/authentication (A6.4)", () => {
    assert.isTrue(matchesDeclaredPath("src/auth/x.py", "src/auth"))
    assert.isTrue(matchesDeclaredPath("src/auth", "src/auth/"))
    assert.isFalse(matchesDeclaredPath("src/authentication", "src/auth"))
    assert.isFalse(matchesDeclaredPath("src/authentication/x.py", "src/auth"))
    assert.isFalse(matchesDeclaredPath("src/auth.py", "src/auth"))
    assert.isFalse(matchesDeclaredPath("anything", "  "))
  })

  it("the property can fail: a plain startsWith matcher is caught (non-vacuity)", () => {
    const naive = (p: string, d: string) => p.startsWith(d)
    const found = fc.check(
      fc.property(declaredDir, segment, (d, tail) => !naive(`${d}${tail}`, d)),
      { numRuns: 50, seed: 1 }
    )
    assert.isTrue(found.failed)
  })

  it("a declared glob uses globMatch (`*` crosses `/`)", () => {
    assert.isTrue(matchesDeclaredPath("docs/a/b/old.md", "docs/*.md"))
    assert.isTrue(matchesDeclaredPath("docs/a/old.md", "docs/**/old.md"))
    assert.isFalse(matchesDeclaredPath("docs/a/old.txt", "docs/*.md"))
  })

  it("structural targets: segment-bounded `*`, narrowness re-checked at use", () => {
    assert.isTrue(matchesStructuralTarget("src/foo/bar.py", "src/foo/*.py"))
    assert.isFalse(matchesStructuralTarget("src/foo/sub/bar.py", "src/foo/*.py"), "`*` stays in its segment")
    assert.isTrue(matchesStructuralTarget("src/foo/test_x.py", "src/foo/test_*.py"))
    assert.isTrue(matchesStructuralTarget("src/foo/bar.py", "src/foo/bar.py"))
    assert.isFalse(matchesStructuralTarget("src/foo/bar.py", "src/**/*.py"), "a broad entry never exempts, validated or not")
    assert.isFalse(matchesStructuralTarget("src/foo/bar.py", "src/foo"))
  })
})

// ---------------------------------------------------------------------------------------------------
// The diff check (pure)

const MOVES_MAP = mapOf(
  LEGACY_YAML + `moves:
  - from: [src/legacy/auth/login.py, src/legacy/auth/token.py]
    to: src/auth
    reason: Consolidate auth modules
  - {from: [config/old.yaml], to: config/new.yaml}
`
)
const OWN = ["kitty-specs/demo-01JZ0000"]

describe("the path heuristic (§6.4)", () => {
  const table: ReadonlyArray<readonly [string, string | null]> = [
    ["tests/cli/commands/x.py", "tests_fixtures"],
    ["src/test/a.py", "tests_fixtures"],
    ["pkg/fixtures/data.json", "tests_fixtures"],
    ["ui/__snapshots__/a.snap", "tests_fixtures"],
    ["conftest.py", "tests_fixtures"],
    ["src/a_test.py", "tests_fixtures"],
    ["src/test_a.py", "tests_fixtures"],
    ["web/a.test.tsx", "tests_fixtures"],
    ["src/cli/commands/run.py", "cli_commands"],
    ["pkg/commands/run.py", "cli_commands"],
    ["bin/kittyctx", "cli_commands"],
    ["README.md", "user_facing_strings"],
    ["docs/img/a.png", "user_facing_strings"],
    ["notes.rst", "user_facing_strings"],
    ["LICENSE", "user_facing_strings"],
    ["CHANGELOG", "user_facing_strings"],
    ["config/a.yaml", "serialized_keys"],
    ["pyproject.toml", "serialized_keys"],
    ["setup.cfg", "serialized_keys"],
    ["src/a.py", "code_symbols"],
    ["src/a.ts", "code_symbols"],
    ["native/a.hpp", "code_symbols"],
    ["Makefile", null],
    ["img/logo.png", null],
    ["src/testing.py", "code_symbols"],
    ["src/tests", null]
  ]
  for (const [p, c] of table) it(`${p} → ${c}`, () => assert.strictEqual(classifyPath(p), c))
})

describe("per-file precedence (§6.4) and the A6.4 scenario", () => {
  it("A6.4: a move destination is a move; a prefix sibling falls to the heuristic; do_not_change outside moves violates", () => {
    const login = assessFile("src/auth/login.py", MOVES_MAP, OWN)
    assert.deepStrictEqual(login, {
      path: "src/auth/login.py",
      category: null,
      action: "move",
      source: "move",
      violation: false,
      reason: "Declared structural move-destination: src/auth",
      field_path_pins: []
    })
    const sibling = assessFile("src/authentication/x.py", MOVES_MAP, OWN)
    assert.strictEqual(sibling.source, "path-heuristic")
    assert.strictEqual(sibling.category, "code_symbols")
    const unrelated = assessFile("config/unrelated.yaml", MOVES_MAP, OWN)
    assert.deepStrictEqual(
      [unrelated.source, unrelated.category, unrelated.action, unrelated.violation],
      ["path-heuristic", "serialized_keys", "do_not_change", true]
    )
    const renamed = checkDiffCompliance(["config/new.yaml", "config/old.yaml"], MOVES_MAP, OWN)
    assert.isTrue(renamed.passed)
    assert.deepStrictEqual(renamed.assessments.map((a) => a.reason), [
      "Declared structural move-destination: config/new.yaml",
      "Declared structural move-source: config/old.yaml"
    ])
  })

  it("the same yaml file without the move violates (the move is what allows it)", () => {
    const legacy = mapOf(LEGACY_YAML)
    assert.isFalse(checkDiffCompliance(["config/new.yaml", "config/old.yaml"], legacy, OWN).passed)
  })

  it("a whole-file exception wins over a move; do_not_change exceptions violate", () => {
    const map = mapOf(LEGACY_YAML.replace(
      "exceptions: []\n",
      "exceptions:\n  - {path: 'src/auth/*', action: do_not_change, reason: frozen}\n  - {path: 'docs/**/*.md', action: manual_review}\n"
    ) + "moves:\n  - {from: [src/legacy/auth], to: src/auth}\n")
    const frozen = assessFile("src/auth/login.py", map, OWN)
    assert.deepStrictEqual([frozen.source, frozen.violation, frozen.reason], [
      "exception",
      true,
      "Exception 'src/auth/*' marks this file do_not_change: frozen"
    ])
    const doc = checkDiffCompliance(["docs/a/b.md"], map, OWN)
    assert.deepStrictEqual([doc.assessments[0].source, doc.assessments[0].action, doc.passed], ["exception", "manual_review", true])
    assert.deepStrictEqual(doc.warnings, ["docs/a/b.md: exception requires manual_review — document justification"])
    assert.strictEqual(assessFile("src/legacy/auth/x.py", map, OWN).source, "move")
  })

  it("field-path exceptions never change a verdict; they add the pin warning", () => {
    const map = mapOf(LEGACY_YAML.replace(
      "exceptions: []\n",
      "exceptions:\n  - {path: 'docs/plans/domains/*-plan.md', field_path: related, action: manual_review}\n" +
        "  - {path: 'docs/**', field_path: owner, action: do_not_change}\n"
    ))
    const r = checkDiffCompliance(["docs/plans/domains/a-plan.md"], map, OWN)
    assert.strictEqual(r.assessments[0].source, "path-heuristic")
    assert.strictEqual(r.assessments[0].category, "user_facing_strings")
    assert.deepStrictEqual(r.assessments[0].field_path_pins, ["owner", "related"])
    assert.deepStrictEqual(r.warnings, [
      "docs/plans/domains/a-plan.md: field-path exception pins owner, related as do_not_change — verify only those fields " +
      "were left untouched"
    ])
  })

  it("structural targets: allowed with a warning, ahead of the heuristic's do_not_change", () => {
    const map = mapOf(LEGACY_YAML + "structural_targets:\n  - {path: 'config/*.yaml', reason: new loader}\n")
    const r = checkDiffCompliance(["config/loader.yaml", "config/sub/x.yaml"], map, OWN)
    assert.deepStrictEqual(r.assessments.map((a) => [a.source, a.action, a.violation]), [
      ["structural-target", "structural_edit", false],
      ["path-heuristic", "do_not_change", true]
    ])
    assert.deepStrictEqual(r.warnings, [
      "config/loader.yaml: structural-target exemption applied (Declared structural target: new loader) — do_not_change " +
      "bypass; verify this is a genuine structural edit, not a bulk-occurrence change"
    ])
  })

  it("runtime state: only the mission's own files, and only the listed ones", () => {
    const own = (p: string) => isOwnRuntimeState(p, OWN)
    for (const p of ["status.events.jsonl", "status.json", "issue-matrix.md", "acceptance-matrix.json", "notes.md", "tasks/WP01/review-cycle-1.md"]) {
      assert.isTrue(own(`${OWN[0]}/${p}`), p)
    }
    assert.isFalse(own(`${OWN[0]}/spec.md`))
    assert.isFalse(own(`${OWN[0]}/issue-matrix.json`))
    assert.isFalse(own("kitty-specs/other-01JZ0001/status.json"), "another mission's state is not exempt")
    assert.isFalse(own("kitty-specs/demo-01JZ0000x/status.json"))
    const r = checkDiffCompliance([`${OWN[0]}/status.json`, "kitty-specs/other-01JZ0001/status.json"], mapOf(LEGACY_YAML), OWN)
    assert.deepStrictEqual(r.assessments.map((a) => [a.source, a.violation]), [["runtime-state", false], ["path-heuristic", true]])
  })

  it("unclassified and absent categories violate; manual_review warns", () => {
    const map = mapOf("target: {term: x}\ncategories:\n  filesystem_paths: {action: manual_review}\n  code_symbols: {action: manual_review}\n")
    const r = checkDiffCompliance(["Makefile", "README.md", "src/a.py"], map, OWN)
    assert.deepStrictEqual(r.errors, [
      `Makefile: ${UNCLASSIFIED_REASON}`,
      "README.md: File classified as 'user_facing_strings' but that category is not present in the occurrence map"
    ])
    assert.deepStrictEqual(r.warnings, ["src/a.py: category 'code_symbols' requires manual_review — document justification"])
    assert.isFalse(r.passed)
  })
})

// ---------------------------------------------------------------------------------------------------
// Move integrity (pure parts)

describe("move reference integrity (§6.5, pure)", () => {
  it("A6.6 token rule: a moved path is found, a longer sibling name is not", () => {
    const text = "intro\nsee src/legacy/auth/login.py\nand src/legacy/authz.py\n(src/legacy/auth) `src/legacy/auth`\nmoved from src/legacy/auth.\n"
    assert.deepStrictEqual(pathTokenLines(text, "src/legacy/auth"), [2, 4, 5])
    assert.deepStrictEqual(pathTokenLines("src/legacy/auth.py", "src/legacy/auth"), [], "`.` before a character is an extension")
    assert.deepStrictEqual(pathTokenLines("xsrc/legacy/auth", "src/legacy/auth"), [])
    assert.deepStrictEqual(pathTokenLines("my-src/legacy/auth", "src/legacy/auth"), [])
    assert.deepStrictEqual(pathTokenLines("./src/legacy/auth/", "src/legacy/auth"), [1])
    assert.deepStrictEqual(pathTokenLines("src/legacy/auth_v2", "src/legacy/auth"), [])
    assert.deepStrictEqual(pathTokenLines("a src/legacy/auth.\nb", "src/legacy/auth"), [1])
  })

  it("findings: one per move, source and line; presence and destination against the head tree", () => {
    const map = mapOf(LEGACY_YAML + "moves:\n  - {from: [src/legacy/auth, 'src/old/*.py'], to: src/auth}\n  - {from: [a.md], to: b.md}\n")
    const stale = staleReferenceFindings(map, "README.md", "see src/legacy/auth/login.py and src/legacy/auth/token.py\n\nsrc/old/x.py\n")
    assert.deepStrictEqual(stale, [{
      code: "STALE_PATH_REFERENCE",
      severity: "error",
      move_index: 0,
      path: "README.md",
      line: 1,
      detail: "line 1 still references moved path 'src/legacy/auth' (moved to 'src/auth')"
    }], "glob sources are never scanned")
    const presence = presenceFindings(map, ["src/legacy/auth/login.py", "src/old/y.py", "a.md", "c.md"])
    assert.deepStrictEqual(presence.map((f) => [f.code, f.move_index, f.path]), [
      ["MOVE_SOURCE_STILL_PRESENT", 0, "src/legacy/auth"],
      ["MOVE_SOURCE_STILL_PRESENT", 0, "src/old/*.py"],
      ["MOVE_DESTINATION_MISSING", 0, "src/auth"],
      ["MOVE_SOURCE_STILL_PRESENT", 1, "a.md"],
      ["MOVE_DESTINATION_MISSING", 1, "b.md"]
    ])
    assert.deepStrictEqual(presenceFindings(map, ["src/auth/login.py", "b.md"]), [])
  })

  it("a retirement (`to: RETIRE`, the corpus's deletion convention) has no destination to find, and its references are stale", () => {
    const map = mapOf(LEGACY_YAML + "moves:\n  - {from: ['research/'], to: RETIRE, reason: stale}\n")
    assert.deepStrictEqual(presenceFindings(map, ["docs/a.md"]), [])
    assert.deepStrictEqual(presenceFindings(map, ["research/x.md"]).map((f) => f.code), ["MOVE_SOURCE_STILL_PRESENT"])
    assert.deepStrictEqual(staleReferenceFindings(map, "docs/a.md", "see research/x.md\n").map((f) => f.detail), [
      "line 1 still references retired path 'research'"
    ])
    assert.strictEqual(assessFile("RETIRE", map, OWN).source, "path-heuristic", "the sentinel is not a path")
    assert.strictEqual(assessFile("research/x.md", map, OWN).source, "move")
    const real = mapOf(corpusText("common-docs-convergence-01KZMTR9"))
    assert.strictEqual(real.moves.filter((m) => m.to === "RETIRE").length, 15)
  })

  it("text files: at most 2 MiB, no NUL in the first 8 KiB", () => {
    assert.isTrue(isScannableText(10, "hello"))
    assert.isFalse(isScannableText(10, "he\u0000llo"))
    assert.isTrue(isScannableText(9000, "a".repeat(8192) + "\u0000"), "a NUL after 8 KiB does not make it binary")
    assert.isFalse(isScannableText(2 * 1024 * 1024 + 1, "a"))
  })

  it("modes: enforce fails, warn downgrades, off drops", () => {
    const compliance: ComplianceResult = { passed: true, assessments: [], errors: [], warnings: [] }
    const finding: IntegrityFinding = {
      code: "STALE_PATH_REFERENCE",
      severity: "error",
      move_index: 0,
      path: "README.md",
      line: 3,
      detail: "line 3 still references moved path 'a' (moved to 'b')"
    }
    const line = "README.md: STALE_PATH_REFERENCE: line 3 still references moved path 'a' (moved to 'b')"
    assert.deepStrictEqual(withIntegrity(compliance, [finding], "enforce"), {
      passed: false,
      assessments: [],
      integrity: [finding],
      errors: [line],
      warnings: []
    })
    assert.deepStrictEqual(withIntegrity(compliance, [finding], "warn"), {
      passed: true,
      assessments: [],
      integrity: [{ ...finding, severity: "warning" }],
      errors: [],
      warnings: [line]
    })
    assert.deepStrictEqual(withIntegrity(compliance, [finding], "off"), { ...compliance, integrity: [] })
  })
})
