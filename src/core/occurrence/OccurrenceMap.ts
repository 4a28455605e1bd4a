/**
 * The bulk-edit occurrence map `kitty-specs/<slug>/occurrence_map.yaml` (docs/surfaces.md §6.1-§6.3): its
 * Schema, a loader that never crashes on wrong types, the three validation layers with spec-kitty's
 * exact messages (structural, admissibility, the strict JSON-Schema view) and the implement gate.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Either, Schema } from "effect"
import { parseDocument } from "yaml"
import { pyRepr, pyStr } from "../python/PyRepr.js"
import { CodedError } from "../CodedError.js"

export { pyRepr, pyStr }

/** The map's file name inside a mission dir. */
export const OCCURRENCE_MAP_FILE = "occurrence_map.yaml"

/** The four category actions. */
export const ACTIONS = ["rename", "manual_review", "do_not_change", "rename_if_user_visible"] as const
/** A category action. */
export type Action = (typeof ACTIONS)[number]

/** The three target operations. */
export const OPERATIONS = ["rename", "remove", "deprecate"] as const
/** A target operation. */
export type Operation = (typeof OPERATIONS)[number]

/** The 8 standard categories, in canonical order. */
export const STANDARD_CATEGORIES = [
  "code_symbols",
  "import_paths",
  "filesystem_paths",
  "serialized_keys",
  "cli_commands",
  "user_facing_strings",
  "tests_fixtures",
  "logs_telemetry"
] as const
/** A standard category. */
export type StandardCategory = (typeof STANDARD_CATEGORIES)[number]

/** The top-level keys layer 1 knows; any other key is a warning. */
export const KNOWN_TOP_LEVEL_KEYS: ReadonlyArray<string> = [
  "target",
  "categories",
  "exceptions",
  "moves",
  "structural_targets",
  "status"
]

/** Terms that mark an unfinished map (compared trimmed and upper-cased). */
export const PLACEHOLDER_TERMS: ReadonlyArray<string> = ["TODO", "TBD", "FIXME", "XXX", "PLACEHOLDER", ""]

/** Layer 2's minimum number of categories. */
export const MIN_ADMISSIBLE_CATEGORIES = 3

/** The `change_mode` of `meta.json` that activates the map. */
export const BULK_EDIT = "bulk_edit"

// ---------------------------------------------------------------------------------------------------
// Errors

/** The closed set of occurrence-map error codes (docs/surfaces.md §9). */
export const OCCURRENCE_ERROR_CODES = ["OCCURRENCE_MAP_INVALID", "BULK_EDIT_GATE_BLOCKED", "DIFF_COMPLIANCE_FAILED"] as const
/** An occurrence-map error code. */
export type OccurrenceErrorCode = (typeof OCCURRENCE_ERROR_CODES)[number]

/** An occurrence-map refusal: a code, a message and the details a user needs. */
export class OccurrenceError extends CodedError("OccurrenceError")<OccurrenceErrorCode>() {}

/** Constructors for every occurrence-map error. */
export const OccurrenceErrors = {
  mapInvalid: (path: string, reason: "missing" | "invalid" | "unreadable", errors: ReadonlyArray<string>) =>
    new OccurrenceError({
      code: "OCCURRENCE_MAP_INVALID",
      message: reason === "missing"
        ? `Occurrence map ${path} is missing`
        : reason === "unreadable"
        ? `Occurrence map ${path} cannot be read`
        : `Occurrence map ${path} is invalid: ${errors.join("; ")}`,
      details: { path, reason, errors }
    }),
  gateBlocked: (result: GateResult) =>
    new OccurrenceError({
      code: "BULK_EDIT_GATE_BLOCKED",
      message: `Bulk-edit occurrence classification is not ready: ${result.errors.join("; ")}`,
      details: { change_mode: result.change_mode, errors: result.errors, warnings: result.warnings }
    }),
  diffNonCompliant: (errors: ReadonlyArray<string>) =>
    new OccurrenceError({
      code: "DIFF_COMPLIANCE_FAILED",
      message: `The diff does not comply with the occurrence map: ${errors.length} problem(s)`,
      details: { errors }
    })
} as const

// ---------------------------------------------------------------------------------------------------
// Python-compatible rendering of values inside messages


/** A Python list literal of sorted strings, as spec-kitty prints allowed values. */
export const pyList = (items: ReadonlyArray<string>): string => pyRepr([...items])

// ---------------------------------------------------------------------------------------------------
// YAML

/** The outcome of reading the map's text: absent (no file, or a YAML `null` document), unparsable, or a value. */
export type MapDocument =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unparsable"; readonly error: string }
  | { readonly _tag: "Document"; readonly raw: unknown }

/** Parses the map's text with the `yaml` package (YAML 1.2 core schema, merge keys, unique keys). */
export const parseMapText = (text: string | null): MapDocument => {
  if (text === null) return { _tag: "Missing" }
  let doc
  try {
    doc = parseDocument(text, { merge: true })
  } catch (e) {
    return { _tag: "Unparsable", error: String((e as Error).message ?? e) }
  }
  if (doc.errors.length > 0) {
    return { _tag: "Unparsable", error: doc.errors[0].message.split("\n")[0].replace(/:$/, "") }
  }
  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: 1000 })
  } catch (e) {
    return { _tag: "Unparsable", error: String((e as Error).message ?? e) }
  }
  return raw === null || raw === undefined ? { _tag: "Missing" } : { _tag: "Document", raw }
}

/** The layer-1 error of a map whose YAML does not parse. */
export const unparsableMessage = (error: string): string => `Occurrence map is not valid YAML: ${error}`

// ---------------------------------------------------------------------------------------------------
// The decoded map (effect/Schema)

const TextOrNull = Schema.transform(Schema.Unknown, Schema.NullOr(Schema.String), {
  strict: true,
  decode: (u) => (typeof u === "string" ? u : null),
  encode: (s) => s
})
const optionalText = Schema.optionalWith(TextOrNull, { default: () => null })

const FreeFormOrNull = Schema.transform(
  Schema.Unknown,
  Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  {
    strict: true,
    decode: (u) => (isMapping(u) ? u : null),
    encode: (m) => m
  }
)

/** An action literal. */
export const ActionSchema = Schema.Literal(...ACTIONS)

/** `target`: the literal being changed. */
export const TargetSchema = Schema.Struct({
  term: Schema.String,
  replacement: optionalText,
  operation: Schema.optionalWith(Schema.NullOr(Schema.Literal(...OPERATIONS)), { default: () => null })
})

/** One category: an action plus free extra keys (`notes`, `occurrences`, …). */
export const CategoryEntrySchema = Schema.Struct(
  { action: ActionSchema },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/** One exception: whole-file, or field-scoped when `field_path` is set. */
export const ExceptionEntrySchema = Schema.Struct({
  path: Schema.String,
  action: ActionSchema,
  reason: optionalText,
  field_path: optionalText
})

/** One structural move: several sources to one destination. */
export const MoveEntrySchema = Schema.Struct({
  from: Schema.Array(Schema.String),
  to: Schema.String,
  reason: optionalText
})

/** One structural-target exemption: a narrow path and its justification. */
export const StructuralTargetSchema = Schema.Struct({
  path: Schema.String,
  reason: Schema.String
})

/** The decoded map; every optional block is absent-or-null tolerant (`moves: null` ≡ absent ≡ `[]`). */
export const OccurrenceMapSchema = Schema.Struct({
  target: TargetSchema,
  categories: Schema.Record({ key: Schema.String, value: CategoryEntrySchema }),
  exceptions: Schema.optionalWith(Schema.Array(ExceptionEntrySchema), { nullable: true, default: () => [] }),
  moves: Schema.optionalWith(Schema.Array(MoveEntrySchema), { nullable: true, default: () => [] }),
  structural_targets: Schema.optionalWith(Schema.Array(StructuralTargetSchema), { nullable: true, default: () => [] }),
  status: Schema.optionalWith(FreeFormOrNull, { default: () => null })
})

/** A decoded occurrence map. */
export type OccurrenceMap = Schema.Schema.Type<typeof OccurrenceMapSchema>
/** A decoded exception entry. */
export type ExceptionEntry = Schema.Schema.Type<typeof ExceptionEntrySchema>
/** A decoded move entry. */
export type MoveEntry = Schema.Schema.Type<typeof MoveEntrySchema>
/** A decoded structural target. */
export type StructuralTarget = Schema.Schema.Type<typeof StructuralTargetSchema>

// ---------------------------------------------------------------------------------------------------
// Layer 1: structural

/** True for a YAML mapping (a plain object, not a list). */
export const isMapping = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const has = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)
const get = (o: Record<string, unknown>, k: string): unknown => (has(o, k) ? o[k] : undefined)
const isNone = (u: unknown): boolean => u === null || u === undefined
const isBlank = (u: unknown): boolean => typeof u !== "string" || u.trim() === ""
const isAction = (u: unknown): boolean => typeof u === "string" && (ACTIONS as ReadonlyArray<string>).includes(u)

const SORTED_ACTIONS = pyList([...ACTIONS].sort())
const SORTED_OPERATIONS = pyList([...OPERATIONS].sort())

/** The structural error of a document that is not a mapping. */
export const TOP_LEVEL_NOT_MAPPING = "Occurrence map must be a mapping at the top level"

/**
 * A structural-target path narrow enough to exempt: no `**`, no trailing `/`, no `?` or `[`, a basename
 * with a fixed extension, and at most one `*`, only in the basename stem.
 */
export const isNarrowStructuralPath = (raw: string): boolean => {
  const p = raw.trim()
  if (p === "" || p.includes("**") || p.endsWith("/") || p.includes("?") || p.includes("[")) return false
  const slash = p.lastIndexOf("/")
  const dir = p.slice(0, slash + 1)
  const base = p.slice(slash + 1)
  if (dir.includes("*")) return false
  const dot = base.lastIndexOf(".")
  if (dot <= 0 || dot === base.length - 1) return false
  const stem = base.slice(0, dot)
  const ext = base.slice(dot + 1)
  if (ext.includes("*")) return false
  return (stem.match(/\*/g) ?? []).length <= 1
}

const validateTarget = (target: unknown): Array<string> => {
  if (target === undefined) return ["Missing required 'target' section"]
  if (!isMapping(target)) return ["'target' must be a mapping"]
  const errors: Array<string> = []
  const term = get(target, "term")
  if (isNone(term)) errors.push("Missing required 'target.term'")
  else if (isBlank(term)) errors.push("'target.term' must be a non-empty string")
  const operation = get(target, "operation")
  const known = typeof operation === "string" && (OPERATIONS as ReadonlyArray<string>).includes(operation)
  if (!isNone(operation) && !known) {
    errors.push(`Invalid target.operation '${pyStr(operation)}'; must be one of ${SORTED_OPERATIONS}`)
  }
  return errors
}

const validateCategories = (cats: unknown): Array<string> => {
  if (cats === undefined) return ["Missing required 'categories' section"]
  if (!isMapping(cats) || Object.keys(cats).length === 0) return ["'categories' must be a non-empty mapping"]
  const errors: Array<string> = []
  for (const [name, value] of Object.entries(cats)) {
    if (!isMapping(value)) {
      errors.push(`Category '${name}' must be a mapping`)
      continue
    }
    const action = get(value, "action")
    if (isNone(action)) errors.push(`Category '${name}' missing required 'action' key`)
    else if (!isAction(action)) {
      errors.push(`Category '${name}' has invalid action '${pyStr(action)}'; must be one of ${SORTED_ACTIONS}`)
    }
  }
  return errors
}

const validateList = (
  raw: unknown,
  block: string,
  entry: (index: number, value: unknown) => Array<string>
): Array<string> => {
  if (isNone(raw)) return []
  if (!Array.isArray(raw)) return [`'${block}' must be a list when present`]
  return raw.flatMap((value, index) => entry(index, value))
}

const validateException = (i: number, entry: unknown): Array<string> => {
  const label = `exceptions[${i}]`
  if (!isMapping(entry)) return [`${label} must be a mapping with 'path' and 'action'`]
  const errors: Array<string> = []
  const path = get(entry, "path")
  if (isNone(path)) errors.push(`${label} missing required 'path' key`)
  else if (isBlank(path)) errors.push(`${label}.path must be a non-empty string`)
  const action = get(entry, "action")
  if (isNone(action)) errors.push(`${label} missing required 'action' key`)
  else if (!isAction(action)) {
    errors.push(`${label} has invalid action '${pyStr(action)}'; must be one of ${SORTED_ACTIONS}`)
  }
  const fieldPath = get(entry, "field_path")
  if (!isNone(fieldPath) && isBlank(fieldPath)) {
    errors.push(`${label}.field_path must be a non-empty string when present`)
  }
  return errors
}

const validateMove = (i: number, entry: unknown): Array<string> => {
  const label = `moves[${i}]`
  if (!isMapping(entry)) return [`${label} must be a mapping with 'from' and 'to'`]
  const errors: Array<string> = []
  const from = get(entry, "from")
  if (isNone(from)) errors.push(`${label} missing required 'from' key`)
  else if (!Array.isArray(from) || from.length === 0) errors.push(`${label}.from must be a non-empty list of paths`)
  else if (from.some(isBlank)) errors.push(`${label}.from entries must be non-empty strings`)
  const to = get(entry, "to")
  if (isNone(to)) errors.push(`${label} missing required 'to' key`)
  else if (isBlank(to)) errors.push(`${label}.to must be a non-empty string`)
  return errors
}

const validateStructuralTarget = (i: number, entry: unknown): Array<string> => {
  const label = `structural_targets[${i}]`
  if (!isMapping(entry)) return [`${label} must be a mapping with 'path' and 'reason'`]
  const errors: Array<string> = []
  const path = get(entry, "path")
  if (isNone(path)) errors.push(`${label} missing required 'path' key`)
  else if (isBlank(path)) errors.push(`${label}.path must be a non-empty string`)
  else if (!isNarrowStructuralPath(path as string)) {
    errors.push(
      `${label}.path '${path as string}' is too broad for a structural-target exemption: ` +
        "use a concrete file or a single-directory glob with a fixed extension"
    )
  }
  const reason = get(entry, "reason")
  if (isNone(reason)) errors.push(`${label} missing required 'reason' key`)
  else if (isBlank(reason)) errors.push(`${label}.reason must be a non-empty string`)
  return errors
}

/** Errors and warnings of one validation layer. */
export interface LayerReport {
  readonly errors: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/** Layer 1 (§6.3): the structural checks every gate runs, on the raw YAML value; never throws. */
export const validateStructure = (raw: unknown): LayerReport => {
  if (!isMapping(raw)) return { errors: [TOP_LEVEL_NOT_MAPPING], warnings: [] }
  const errors = [
    ...validateTarget(get(raw, "target")),
    ...validateCategories(get(raw, "categories")),
    ...validateList(get(raw, "exceptions"), "exceptions", validateException),
    ...validateList(get(raw, "moves"), "moves", validateMove),
    ...validateList(get(raw, "structural_targets"), "structural_targets", validateStructuralTarget)
  ]
  const warnings = Object.keys(raw)
    .filter((k) => !KNOWN_TOP_LEVEL_KEYS.includes(k))
    .map((k) => `Unknown top-level key '${k}'`)
  return { errors, warnings }
}

/** Decodes a raw value that passed layer 1 into the typed map (the error is a defect message). */
export const decodeOccurrenceMap = (raw: unknown): Either.Either<OccurrenceMap, string> =>
  Schema.decodeUnknownEither(OccurrenceMapSchema)(raw).pipe(Either.mapLeft((e) => e.message))

// ---------------------------------------------------------------------------------------------------
// Layer 2: admissibility

/** Layer 2 (§6.3): a real term, at least 3 categories, every standard category present. */
export const checkAdmissibility = (map: OccurrenceMap): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (PLACEHOLDER_TERMS.includes(map.target.term.trim().toUpperCase())) {
    errors.push(`target.term '${map.target.term}' is a placeholder; provide a real term before execution`)
  }
  const names = Object.keys(map.categories)
  if (names.length < MIN_ADMISSIBLE_CATEGORIES) {
    errors.push(`Need at least ${MIN_ADMISSIBLE_CATEGORIES} categories, got ${names.length}`)
  }
  const missing = STANDARD_CATEGORIES.filter((c) => !names.includes(c))
  if (missing.length > 0) {
    errors.push(
      `Occurrence map is missing required standard categories: ${pyList(missing)}. Every category must be ` +
        "present — use action 'do_not_change' for risk surfaces that must not be modified."
    )
  }
  return errors
}

// ---------------------------------------------------------------------------------------------------
// Layer 3: the strict JSON-Schema view

/** The JSON Schema (Draft 2020-12) kittyctx ships for `occurrence_map.yaml`; only `validate --schema` runs it. */
export const OCCURRENCE_MAP_JSON_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://kittyctx.dev/schemas/occurrence-map.schema.json",
  title: "OccurrenceMap",
  type: "object",
  additionalProperties: false,
  required: ["target", "categories"],
  properties: {
    target: {
      type: "object",
      additionalProperties: false,
      required: ["term"],
      properties: {
        term: { type: "string", minLength: 1 },
        replacement: { type: ["string", "null"] },
        operation: { $ref: "#/$defs/operation" }
      }
    },
    categories: {
      type: "object",
      minProperties: 1,
      additionalProperties: { $ref: "#/$defs/category_entry" }
    },
    exceptions: { type: ["array", "null"], items: { $ref: "#/$defs/exception_entry" } },
    moves: { type: ["array", "null"], items: { $ref: "#/$defs/move_entry" } },
    structural_targets: { type: ["array", "null"], items: { $ref: "#/$defs/structural_target_entry" } },
    status: { type: ["object", "null"], additionalProperties: true }
  },
  $defs: {
    action: { type: "string", enum: [...ACTIONS] },
    operation: { type: "string", enum: [...OPERATIONS] },
    category_entry: {
      type: "object",
      additionalProperties: true,
      required: ["action"],
      properties: { action: { $ref: "#/$defs/action" } }
    },
    exception_entry: {
      type: "object",
      additionalProperties: false,
      required: ["path", "action"],
      properties: {
        path: { type: "string", minLength: 1 },
        action: { $ref: "#/$defs/action" },
        reason: { type: "string" },
        field_path: { type: "string", minLength: 1 }
      }
    },
    move_entry: {
      type: "object",
      additionalProperties: false,
      required: ["from", "to"],
      properties: {
        from: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
        to: { type: "string", minLength: 1 },
        reason: { type: "string" }
      }
    },
    structural_target_entry: {
      type: "object",
      additionalProperties: false,
      required: ["path", "reason"],
      properties: {
        path: { type: "string", minLength: 1 },
        reason: { type: "string", minLength: 1 }
      }
    }
  }
} as const

type JsonSchema = { readonly [k: string]: unknown }

const typeOf = (u: unknown): string =>
  u === null || u === undefined
    ? "null"
    : Array.isArray(u)
    ? "array"
    : typeof u === "string"
    ? "string"
    : typeof u === "boolean"
    ? "boolean"
    : typeof u === "number"
    ? (Number.isInteger(u) ? "integer" : "number")
    : "object"

const isType = (u: unknown, t: string): boolean => {
  const actual = typeOf(u)
  return actual === t || (t === "number" && actual === "integer")
}

const resolveRef = (root: JsonSchema, ref: string): JsonSchema => {
  const parts = ref.replace(/^#\//, "").split("/")
  let node: unknown = root
  for (const p of parts) node = (node as JsonSchema)[p]
  return node as JsonSchema
}

const tooShort = (instance: unknown, min: number, word: string): string =>
  min === 1 ? `${pyRepr(instance)} should be non-empty` : `${pyRepr(instance)} ${word}`

const schemaErrors = (
  root: JsonSchema,
  schema: JsonSchema,
  instance: unknown,
  path: ReadonlyArray<string | number>,
  out: Array<{ readonly path: ReadonlyArray<string | number>; readonly message: string }>
): void => {
  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case "$ref":
        schemaErrors(root, resolveRef(root, value as string), instance, path, out)
        break
      case "type": {
        const types = Array.isArray(value) ? (value as ReadonlyArray<string>) : [value as string]
        if (!types.some((t) => isType(instance, t))) {
          out.push({ path, message: `${pyRepr(instance)} is not of type ${types.map((t) => pyRepr(t)).join(", ")}` })
        }
        break
      }
      case "enum": {
        const allowed = value as ReadonlyArray<unknown>
        if (!allowed.some((a) => a === instance)) {
          out.push({ path, message: `${pyRepr(instance)} is not one of ${pyRepr(allowed)}` })
        }
        break
      }
      case "required":
        if (isMapping(instance)) {
          for (const k of value as ReadonlyArray<string>) {
            if (!has(instance, k)) out.push({ path, message: `${pyRepr(k)} is a required property` })
          }
        }
        break
      case "minLength":
        if (typeof instance === "string" && [...instance].length < (value as number)) {
          out.push({ path, message: tooShort(instance, value as number, "is too short") })
        }
        break
      case "minItems":
        if (Array.isArray(instance) && instance.length < (value as number)) {
          out.push({ path, message: tooShort(instance, value as number, "is too short") })
        }
        break
      case "minProperties":
        if (isMapping(instance) && Object.keys(instance).length < (value as number)) {
          out.push({ path, message: tooShort(instance, value as number, "does not have enough properties") })
        }
        break
      case "properties":
        if (isMapping(instance)) {
          for (const [k, sub] of Object.entries(value as Record<string, JsonSchema>)) {
            if (has(instance, k)) schemaErrors(root, sub, instance[k], [...path, k], out)
          }
        }
        break
      case "additionalProperties":
        if (isMapping(instance)) {
          const declared = (schema.properties ?? {}) as Record<string, unknown>
          const extras = Object.keys(instance).filter((k) => !has(declared, k))
          if (value === false) {
            if (extras.length > 0) {
              const sorted = [...extras].sort()
              out.push({
                path,
                message: `Additional properties are not allowed (${sorted.map((k) => pyRepr(k)).join(", ")} ${
                  sorted.length === 1 ? "was" : "were"
                } unexpected)`
              })
            }
          } else if (typeof value === "object" && value !== null) {
            for (const k of extras) schemaErrors(root, value as JsonSchema, instance[k], [...path, k], out)
          }
        }
        break
      case "items":
        if (Array.isArray(instance)) {
          instance.forEach((item, i) => schemaErrors(root, value as JsonSchema, item, [...path, i], out))
        }
        break
      default:
        break
    }
  }
}

const comparePaths = (a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue
    if (typeof a[i] === "number" && typeof b[i] === "number") return (a[i] as number) - (b[i] as number)
    return String(a[i]) < String(b[i]) ? -1 : 1
  }
  return a.length - b.length
}

/**
 * Layer 3 (§6.3): the raw value against `OCCURRENCE_MAP_JSON_SCHEMA`, as `<dotted.path>: <message>` lines
 * in Python jsonschema's wording, sorted by path. Covers exactly the keywords the shipped schema uses.
 */
export const validateAgainstSchema = (raw: unknown): ReadonlyArray<string> => {
  const out: Array<{ readonly path: ReadonlyArray<string | number>; readonly message: string }> = []
  const root = OCCURRENCE_MAP_JSON_SCHEMA as unknown as JsonSchema
  schemaErrors(root, root, raw, [], out)
  return out
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => comparePaths(a.path, b.path) || a.i - b.i)
    .map((e) => `${e.path.length === 0 ? "<root>" : e.path.join(".")}: ${e.message}`)
}

// ---------------------------------------------------------------------------------------------------
// Loading and the validation report

/** The loaded map: missing, invalid (layer-1 errors), or decoded. */
export type LoadedMap =
  | { readonly _tag: "Missing" }
  | {
    readonly _tag: "Invalid"
    readonly raw: unknown
    readonly errors: ReadonlyArray<string>
    readonly warnings: ReadonlyArray<string>
  }
  | {
    readonly _tag: "Loaded"
    readonly raw: unknown
    readonly map: OccurrenceMap
    readonly warnings: ReadonlyArray<string>
  }

/** Parses and structurally validates the map's text (`null` = no file); a wrong type is an error, never a crash. */
export const loadOccurrenceMap = (text: string | null): LoadedMap => loadDocument(parseMapText(text))

const loadDocument = (doc: MapDocument): LoadedMap => {
  if (doc._tag === "Missing") return { _tag: "Missing" }
  if (doc._tag === "Unparsable") {
    return { _tag: "Invalid", raw: undefined, errors: [unparsableMessage(doc.error)], warnings: [] }
  }
  const layer1 = validateStructure(doc.raw)
  if (layer1.errors.length > 0) {
    return { _tag: "Invalid", raw: doc.raw, errors: layer1.errors, warnings: layer1.warnings }
  }
  const decoded = decodeOccurrenceMap(doc.raw)
  if (Either.isLeft(decoded)) {
    const errors = [`Occurrence map does not decode: ${decoded.left}`]
    return { _tag: "Invalid", raw: doc.raw, errors, warnings: layer1.warnings }
  }
  return { _tag: "Loaded", raw: doc.raw, map: decoded.right, warnings: layer1.warnings }
}

/** The gate's message for a bulk-edit mission without a map. */
export const missingMapMessage = (missionDir: string): string =>
  `Occurrence map required for bulk_edit missions. Create ${missionDir}/${OCCURRENCE_MAP_FILE} with target, ` +
  "categories, and actions."

/** The `occurrence-map validate` result: `errors` holds every error, each layer's errors also apart. */
export interface ValidationReport {
  readonly valid: boolean
  readonly errors: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
  readonly structural_errors: ReadonlyArray<string>
  readonly admissibility_errors: ReadonlyArray<string>
  readonly schema_errors?: ReadonlyArray<string>
}

/** Runs layers 1 and 2 (and 3 with `schema`) on the map's text; a missing map is one error. */
export const validateOccurrenceMapText = (
  text: string | null,
  options: { readonly schema: boolean; readonly missionDir: string }
): ValidationReport => {
  const doc = parseMapText(text)
  const loaded = loadDocument(doc)
  const structural = loaded._tag === "Missing"
    ? [missingMapMessage(options.missionDir)]
    : loaded._tag === "Invalid"
    ? loaded.errors
    : []
  const warnings = loaded._tag === "Missing" ? [] : loaded.warnings
  const admissibility = loaded._tag === "Loaded" ? checkAdmissibility(loaded.map) : []
  const schema = options.schema && doc._tag === "Document" ? validateAgainstSchema(doc.raw) : []
  const errors = [...structural, ...admissibility, ...schema]
  return {
    valid: errors.length === 0,
    errors,
    warnings,
    structural_errors: structural,
    admissibility_errors: admissibility,
    ...(options.schema ? { schema_errors: schema } : {})
  }
}

// ---------------------------------------------------------------------------------------------------
// The implement gate

/** The gate's answer (§6.3 "Gate"). */
export interface GateResult {
  readonly passed: boolean
  readonly change_mode: string | null
  readonly errors: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/** True when `meta.json`'s `change_mode` activates the occurrence map. */
export const isBulkEdit = (changeMode: unknown): boolean => changeMode === BULK_EDIT

/**
 * The pure implement gate: not bulk edit → pass (`change_mode: null`); map missing → the spec's message;
 * then layer 1, then layer 2. `mapText` is not looked at unless the mission is bulk edit.
 */
export const occurrenceGate = (input: {
  readonly changeMode: unknown
  readonly mapText: string | null
  readonly missionDir: string
}): GateResult => {
  if (!isBulkEdit(input.changeMode)) return { passed: true, change_mode: null, errors: [], warnings: [] }
  const loaded = loadOccurrenceMap(input.mapText)
  if (loaded._tag === "Missing") {
    return { passed: false, change_mode: BULK_EDIT, errors: [missingMapMessage(input.missionDir)], warnings: [] }
  }
  if (loaded._tag === "Invalid") {
    return { passed: false, change_mode: BULK_EDIT, errors: loaded.errors, warnings: loaded.warnings }
  }
  const errors = checkAdmissibility(loaded.map)
  return { passed: errors.length === 0, change_mode: BULK_EDIT, errors, warnings: loaded.warnings }
}
