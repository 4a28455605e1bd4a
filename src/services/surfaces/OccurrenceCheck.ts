/**
 * The occurrence-map surfaces over a resolved context (docs/surfaces.md §6): the implement gate
 * `ensureOccurrenceClassificationReady`, `validateOccurrenceMap` and the review `checkDiff` with its move
 * reference integrity. Files are read through `RepoFs`, git through the `Git` port (read mode, against
 * the primary root); every decision is a pure function of `core/OccurrenceMap` and `core/OccurrenceDiff`.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { Effect, Either } from "effect"
import { readDirFor } from "../../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../../core/context/ExecutionContext.js"
import { decodeLanesManifest } from "../../core/context/MissionMeta.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { coordMissionDir, LANES_FILE, missionDir, missionFile } from "../../core/repo/Naming.js"
import { commitId, optionValues } from "../../core/repo/RefName.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import {
  checkDiffCompliance,
  hasLiteralSources,
  isScannableText,
  isUnderAny,
  literalSources,
  MAX_SCANNED_BYTES,
  presenceFindings,
  staleReferenceFindings,
  withIntegrity
} from "../../core/occurrence/OccurrenceDiff.js"
import type { DiffCheckResult, IntegrityFinding, IntegrityMode } from "../../core/occurrence/OccurrenceDiff.js"
import {
  isBulkEdit,
  loadOccurrenceMap,
  missingMapMessage,
  OCCURRENCE_MAP_FILE,
  occurrenceGate,
  OccurrenceErrors,
  validateOccurrenceMapText
} from "../../core/occurrence/OccurrenceMap.js"
import type { GateResult, OccurrenceError, OccurrenceMap, ValidationReport } from "../../core/occurrence/OccurrenceMap.js"
import type { Resolution } from "../context/ResolveContext.js"
import { GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"

/** `<feature_dir>/occurrence_map.yaml`: the map is a placement-checkout mission file. */
export const occurrenceMapPath = (ctx: MissionExecutionContext): string =>
  missionFile(ctx.feature_dir, OCCURRENCE_MAP_FILE)

const readMapText = (ctx: MissionExecutionContext): Effect.Effect<string | null, OccurrenceError, RepoFs> =>
  Effect.flatMap(RepoFs, (fs) =>
    fs.readText(occurrenceMapPath(ctx)).pipe(
      Effect.mapError((e) => OccurrenceErrors.mapInvalid(occurrenceMapPath(ctx), "unreadable", [e.message]))
    ))

/**
 * The implement gate (§6.3): not bulk edit (the `change_mode` of the decoded meta.json) → pass;
 * otherwise the map must exist and pass layers 1 and 2. An unreadable map is a failed gate, not an exception.
 */
export const ensureOccurrenceClassificationReady = (r: Resolution): Effect.Effect<GateResult, never, RepoFs> =>
  Effect.gen(function*() {
    const ctx = r.context
    const changeMode = r.meta?.change_mode ?? null
    if (!isBulkEdit(changeMode)) return occurrenceGate({ changeMode, mapText: null, missionDir: ctx.feature_dir })
    const text = yield* Effect.either(readMapText(ctx))
    if (Either.isLeft(text)) {
      return { passed: false, change_mode: changeMode, errors: [text.left.message], warnings: [] }
    }
    return occurrenceGate({ changeMode, mapText: text.right, missionDir: ctx.feature_dir })
  }).pipe(Effect.withSpan("kittyctx.ensureOccurrenceClassificationReady"))

/** `occurrence-map validate`: layers 1-2, and 3 with `schema`, on the mission's map. */
export const validateOccurrenceMap = (
  ctx: MissionExecutionContext,
  options: { readonly schema: boolean }
): Effect.Effect<ValidationReport & { readonly path: string }, OccurrenceError, RepoFs> =>
  Effect.map(readMapText(ctx), (text) => ({
    path: occurrenceMapPath(ctx),
    ...validateOccurrenceMapText(text, { schema: options.schema, missionDir: ctx.feature_dir })
  }))

/** The mission's map, decoded; missing or structurally invalid is `OCCURRENCE_MAP_INVALID`. */
export const loadMissionMap = (ctx: MissionExecutionContext): Effect.Effect<OccurrenceMap, OccurrenceError, RepoFs> =>
  Effect.flatMap(readMapText(ctx), (text) => {
    const path = occurrenceMapPath(ctx)
    const loaded = loadOccurrenceMap(text)
    switch (loaded._tag) {
      case "Missing":
        return Effect.fail(OccurrenceErrors.mapInvalid(path, "missing", [missingMapMessage(ctx.feature_dir)]))
      case "Invalid":
        return Effect.fail(OccurrenceErrors.mapInvalid(path, "invalid", loaded.errors))
      case "Loaded":
        return Effect.succeed(loaded.map)
    }
  })

/** One side of the compared range: the ref as given and the commit it resolved to. */
export interface ResolvedRef {
  readonly ref: string
  readonly commit: string
}

/** `checkDiff` options: refs default per §6.4; integrity defaults to `enforce`. */
export interface CheckDiffOptions {
  readonly base?: string | undefined
  readonly head?: string | undefined
  readonly movesIntegrity?: IntegrityMode | undefined
}

/** The check-diff answer: the §6.4 result plus the refs compared and the integrity mode. */
export interface CheckDiffOutcome extends DiffCheckResult {
  readonly base: ResolvedRef
  readonly head: ResolvedRef
  readonly moves_integrity: IntegrityMode
}

/** Repo-relative dirs of the mission's own files: `kitty-specs/<slug>`, and the coordination copy's name. */
export const ownMissionDirs = (ctx: MissionExecutionContext): ReadonlyArray<string> => {
  const slug = ctx.identity.mission_slug
  const dirs = [missionDir("", slug)]
  if (ctx.branch_ref.destination_ref.kind === "coordination") dirs.push(coordMissionDir("", slug, ctx.identity.mid8))
  return [...new Set(dirs)]
}

const git = (ctx: MissionExecutionContext, args: ReadonlyArray<string>) =>
  Effect.flatMap(GitReader, (g) => g.readChecked(args, ctx.workspace.primary_root)).pipe(
    Effect.map((r) => r.stdout)
  )

const verifyCommit = (ctx: MissionExecutionContext, ref: string) =>
  Effect.map(
    git(ctx, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`]),
    (out): ResolvedRef => ({ ref, commit: out.trim() })
  )

/** §6.4 defaults: base = lanes.json `mission_branch` else the target branch. */
const defaultBase = (r: Resolution): Effect.Effect<string, ContextError | IoError, RepoFs> =>
  Effect.gen(function*() {
    const ctx = r.context
    let manifest = r.lanes
    if (manifest === null) {
      const path = missionFile(readDirFor(ctx, "LANE_STATE"), LANES_FILE)
      const text = yield* (yield* RepoFs).readText(path)
      if (text === null) return ctx.branch_ref.target_branch
      manifest = yield* decodeLanesManifest(path, text)
    }
    const branch = manifest.mission_branch
    return typeof branch === "string" && branch !== "" ? branch : ctx.branch_ref.target_branch
  })

/** §6.4 defaults: head = the review workspace's branch (the WP's lane) else `HEAD` of the primary checkout. */
const defaultHead = (ctx: MissionExecutionContext): string => ctx.work_package?.lane_branch ?? "HEAD"

const splitNul = (out: string): ReadonlyArray<string> => out.split("\u0000").filter((s) => s !== "")

/** One blob of the head tree. */
interface TreeBlob {
  readonly path: string
  readonly object: string
  readonly size: number
}

/** Parses `git ls-tree -r -l -z` output; only blobs (submodule commits and others are not files). */
const parseTree = (out: string): ReadonlyArray<TreeBlob> => {
  const blobs: Array<TreeBlob> = []
  for (const entry of splitNul(out)) {
    const tab = entry.indexOf("\t")
    const [, type, object, size] = entry.slice(0, tab).split(/ +/)
    if (type === "blob") blobs.push({ path: entry.slice(tab + 1), object, size: Number(size) })
  }
  return blobs
}

const PATHSPEC_CHUNK = 400

/**
 * The changed files whose head blob contains any literal move source at all: one `git grep -l -F` per
 * chunk of literal pathspecs, so only those blobs are read and checked with the exact token rule.
 */
const filesMentioning = (
  ctx: MissionExecutionContext,
  head: string,
  paths: ReadonlyArray<string>,
  map: OccurrenceMap
): Effect.Effect<ReadonlySet<string>, GitError, GitReader> =>
  Effect.gen(function*() {
    const found = new Set<string>()
    const sources = [...new Set(map.moves.flatMap(literalSources))]
    for (let i = 0; i < paths.length; i += PATHSPEC_CHUNK) {
      const chunk = paths.slice(i, i + PATHSPEC_CHUNK)
      const args = ["--literal-pathspecs", "grep", "-l", "-z", "-F", ...optionValues("-e", sources), commitId(head), "--", ...chunk]
      const r = yield* Effect.flatMap(GitReader, (g) => g.read(args, ctx.workspace.primary_root))
      if (r.exitCode === 1 && r.stderr === "") continue
      if (r.exitCode !== 0) return yield* GitErrors.commandFailed(args, r.exitCode, r.stderr)
      for (const hit of splitNul(r.stdout)) found.add(hit.slice(hit.indexOf(":") + 1))
    }
    return found
  })

const integrityFindings = (
  ctx: MissionExecutionContext,
  map: OccurrenceMap,
  head: string,
  changed: ReadonlyArray<string>,
  ownDirs: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<IntegrityFinding>, GitError, GitReader> =>
  Effect.gen(function*() {
    if (map.moves.length === 0) return []
    const tree = parseTree(yield* git(ctx, ["ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", head]))
    const presence = presenceFindings(map, tree.map((b) => b.path))
    if (!hasLiteralSources(map)) return presence
    const byPath = new Map(tree.map((b) => [b.path, b]))
    const eligible = changed
      .filter((p) => !isUnderAny(p, ownDirs))
      .map((p) => byPath.get(p))
      .filter((b): b is TreeBlob => b !== undefined && b.size <= MAX_SCANNED_BYTES)
    const candidates = yield* filesMentioning(ctx, head, eligible.map((b) => b.path), map)
    const scanned = eligible.filter((b) => candidates.has(b.path))
    const stale = yield* Effect.forEach(
      scanned,
      (blob) =>
        Effect.map(git(ctx, ["cat-file", "blob", "--end-of-options", blob.object]), (text) =>
          isScannableText(blob.size, text) ? staleReferenceFindings(map, blob.path, text) : []),
      { concurrency: 8 }
    )
    return [...presence, ...stale.flat()]
  })

/**
 * `occurrence-map check-diff` (§6.4, §6.5): both refs verified as commits (any git failure fails closed),
 * `git diff --name-only --no-renames <base>...<head>` assessed file by file, then the declared moves checked
 * against the head tree (never the working tree).
 */
export const checkDiff = (
  r: Resolution,
  options: CheckDiffOptions = {}
): Effect.Effect<CheckDiffOutcome, ContextError | GitError | IoError | OccurrenceError, RepoFs | GitReader> =>
  Effect.gen(function*() {
    const ctx = r.context
    const map = yield* loadMissionMap(ctx)
    const mode = options.movesIntegrity ?? "enforce"
    const base = yield* verifyCommit(ctx, options.base ?? (yield* defaultBase(r)))
    const head = yield* verifyCommit(ctx, options.head ?? defaultHead(ctx))
    const changed = splitNul(
      yield* git(ctx, ["diff", "--name-only", "--no-renames", "-z", "--end-of-options", `${base.commit}...${head.commit}`, "--"])
    )
    const ownDirs = ownMissionDirs(ctx)
    const compliance = checkDiffCompliance(changed, map, ownDirs)
    const findings = mode === "off" ? [] : yield* integrityFindings(ctx, map, head.commit, changed, ownDirs)
    return { ...withIntegrity(compliance, findings, mode), base, head, moves_integrity: mode }
  }).pipe(Effect.withSpan("kittyctx.occurrenceCheckDiff"))
