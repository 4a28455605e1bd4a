/**
 * `kittyctx occurrence-map …`: validate a bulk-edit mission's occurrence map and check a review diff
 * against it (docs/surfaces.md §6, §9). Each command resolves the mission once, then calls OccurrenceCheck.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { FileAssessment, IntegrityFinding, IntegrityMode } from "../core/occurrence/OccurrenceDiff.js"
import { INTEGRITY_MODES } from "../core/occurrence/OccurrenceDiff.js"
import { checkDiff, validateOccurrenceMap } from "../services/surfaces/OccurrenceCheck.js"
import { resolve } from "../services/context/ResolveContext.js"
import { jsonOption as json, missionOption as mission, missionRequest } from "./Options.js"
import { CliExit, handle, printJson } from "./Output.js"
const schema = Options.boolean("schema").pipe(
  Options.withDescription("Also check the strict JSON Schema (layer 3), reported as schema_errors")
)
const base = Options.text("base").pipe(
  Options.withPseudoName("ref"),
  Options.withDescription("Base ref (default: lanes.json mission_branch, else the target branch)"),
  Options.optional
)
const head = Options.text("head").pipe(
  Options.withPseudoName("ref"),
  Options.withDescription("Head ref (default: HEAD)"),
  Options.optional
)
const movesIntegrity = Options.choice("moves-integrity", INTEGRITY_MODES).pipe(
  Options.withPseudoName("mode"),
  Options.withDescription("Declared-move reference integrity: enforce (fail), warn, or off"),
  Options.withDefault<IntegrityMode>("enforce")
)

const resolution = (m: Option.Option<string>) =>
  Effect.flatMap(missionRequest(m), (req) => resolve({ ...req, action: "status" }))

const lines = (label: string, items: ReadonlyArray<string>) => items.map((s) => `${label} ${s}`)

// kittyctx occurrence-map validate --mission <handle> [--schema] [--json]
const validate = Command.make("validate", { mission, schema, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const r = yield* resolution(o.mission)
      const report = yield* validateOccurrenceMap(r.context, { schema: o.schema })
      if (o.json) {
        const { path: _path, structural_errors: _structural, ...shown } = report
        yield* printJson({ ok: true, ...shown })
      } else {
        const out = [
          ...lines("ERROR", report.structural_errors),
          ...lines("ERROR", report.admissibility_errors),
          ...lines("ERROR schema", report.schema_errors ?? []),
          ...lines("warn ", report.warnings),
          `${report.path}: ${report.valid ? "valid" : "invalid"} ` +
          `(${report.errors.length} error(s), ${report.warnings.length} warning(s))`
        ]
        yield* Console.log(out.join("\n"))
      }
      if (!report.valid) return yield* new CliExit({ code: 1 })
    })
  )).pipe(Command.withDescription("Validate the mission's occurrence_map.yaml (exit 1 when invalid)"))

const assessmentJson = (a: FileAssessment) => ({
  path: a.path,
  category: a.category,
  action: a.action,
  source: a.source,
  violation: a.violation,
  reason: a.reason,
  field_path_pins: a.field_path_pins
})

const findingLine = (f: IntegrityFinding) => {
  const where = f.line === undefined ? f.path : `${f.path}:${f.line}`
  return `${f.severity === "error" ? "ERROR" : "warn "} ${f.code} ${where}: ${f.detail}`
}

const assessmentLine = (a: FileAssessment) => {
  const tags = [a.source, a.category, a.action].filter((t) => t !== null).join(" ")
  return `${a.violation ? "VIOLATION" : "ok       "} ${a.path}  [${tags}] ${a.reason}`
}

const refLine = (r: { readonly ref: string; readonly commit: string }) => `${r.ref} (${r.commit.slice(0, 12)})`

// kittyctx occurrence-map check-diff --mission <handle> [--base <ref>] [--head <ref>]
//   [--moves-integrity enforce|warn|off] [--json]
const checkDiffCommand = Command.make("check-diff", { mission, base, head, movesIntegrity, json }, (o) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const r = yield* resolution(o.mission)
      const result = yield* checkDiff(r, {
        base: Option.getOrUndefined(o.base),
        head: Option.getOrUndefined(o.head),
        movesIntegrity: o.movesIntegrity
      })
      if (o.json) {
        yield* printJson({
          ok: true,
          passed: result.passed,
          assessments: result.assessments.map(assessmentJson),
          integrity: result.integrity,
          errors: result.errors,
          warnings: result.warnings,
          base: result.base,
          head: result.head,
          moves_integrity: result.moves_integrity
        })
      } else {
        const out = [
          `${refLine(result.base)}...${refLine(result.head)}`,
          ...result.assessments.map(assessmentLine),
          ...result.integrity.filter((f) => f.severity === "error").map(findingLine),
          ...lines("warn ", result.warnings),
          `${result.passed ? "passed" : "FAILED"}: ${result.assessments.length} file(s), ` +
          `${result.errors.length} error(s), ${result.warnings.length} warning(s)`
        ]
        yield* Console.log(out.join("\n"))
      }
      if (!result.passed) return yield* new CliExit({ code: 1 })
    })
  )).pipe(Command.withDescription("Check a diff against the occurrence map and its moves (exit 1 when not passed)"))

/** `kittyctx occurrence-map`. */
export const occurrenceMapCommand = Command.make("occurrence-map").pipe(
  Command.withDescription("Bulk-edit occurrence maps: validation and review diff compliance"),
  Command.withSubcommands([validate, checkDiffCommand])
)
