/**
 * `resolveContext`, the only function that resolves a `MissionExecutionContext` (docs/execution-context.md
 * §4): it reads each input at most once (primary meta.json, lanes.json, refs with at most one git
 * subprocess, the coordination worktree's pointer files) and hands the facts to the pure fragment
 * functions in `core/ExecutionContext`. Every command, projection and status target maps over it.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { Effect, Either, Option } from "effect"
import { parseProjectConfig } from "../../core/config/ProjectConfig.js"
import type { ProjectConfig } from "../../core/config/ProjectConfig.js"
import type { ContextError } from "../../core/context/ContextError.js"
import { ContextErrors } from "../../core/context/ContextError.js"
import {
  autoPickWp,
  branchExistsIn,
  branchRefOf,
  checkInvariants,
  classifyCheckoutIn,
  coordWorktreeOf,
  deriveIdentity,
  featureDirOf,
  isWpAction,
  normalizeWpId,
  parseAction,
  statusSurfaceOf,
  targetBranchNeedsRefs,
  targetBranchOf,
  workPackageRefOf
} from "../../core/context/ExecutionContext.js"
import type { Action, CommitTarget, CoordProbe, MissionExecutionContext, RefFacts } from "../../core/context/ExecutionContext.js"
import { checkHandle, handleNeedsIds, resolveHandleIn } from "../../core/context/MissionHandle.js"
import type { HandleCandidate } from "../../core/context/MissionHandle.js"
import { ABSENT_META_IDENTITY, commitKindOf, decodeLanesManifest, decodeMissionMeta, topologyOf } from "../../core/context/MissionMeta.js"
import type { LanesManifest, MissionMeta } from "../../core/context/MissionMeta.js"
import {
  coordMissionDir,
  LANES_FILE,
  lockPathOf,
  META_FILE,
  missionDir,
  missionFile,
  missionOfBranch,
  missionsRoot,
  projectConfigFile,
  TASKS_DIR
} from "../../core/repo/Naming.js"
import { joinPath } from "../../core/repo/Paths.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { foldTransitions } from "../../core/status/StatusFold.js"
import { parseFrontmatter, wpFileCandidates } from "../../core/status/WorkPackageFile.js"
import type { FileLock, LockError } from "../ports/FileLock.js"
import type { Git } from "../ports/Git.js"
import { GitReader } from "../ports/Git.js"
import { headOf, parseGitPointer, walkUpDotGit } from "../ports/GitFiles.js"
import { RepoFs } from "../ports/RepoFs.js"
import type { RepoWrite } from "../ports/RepoWrite.js"
import { repositoryScope } from "../ports/RepoWrite.js"
import type { Settings } from "../ports/Settings.js"
import { StatusReader } from "../status/StatusReader.js"
import type { StatusTarget } from "../status/StatusReader.js"
import { ensureCoordWorktreeUndoable } from "./CoordWorkspace.js"
import type { CoordPlan } from "./CoordWorkspace.js"
import { discoverPrimaryRoot } from "./RootLocator.js"
import type { RepoLocation } from "./RootLocator.js"

/** What a caller asks: the directory it runs in, the mission handle, the action, and a WP for WP actions. */
export interface ContextRequest {
  readonly cwd: string
  /** The handle; when absent, the mission of the worktree `cwd` is in, or the only mission (docs/execution-context.md §7.4). */
  readonly mission?: string | undefined
  readonly action?: string | undefined
  readonly wp_id?: string | undefined
  /** A second selector that must name the same mission (`--mission` given beside `--feature-dir`). */
  readonly missionCheck?: { readonly handle: string; readonly featureDir: string } | undefined
}

/** Where a value came from, for `context explain`. */
export interface Provenance {
  readonly field: string
  readonly value: unknown
  readonly source: string
  readonly rejected?: ReadonlyArray<{ readonly candidate: string; readonly why: string }>
}

/**
 * A resolved context with what it was resolved from: the repository location, the mission's decoded
 * `meta.json` (read once, here; nothing downstream reads it again), the decoded `lanes.json` when the
 * resolution read it, the status target, and the provenance of every value.
 */
export interface Resolution {
  readonly context: MissionExecutionContext
  readonly location: RepoLocation
  /** The primary `meta.json`, decoded; null for a legacy mission without one. */
  readonly meta: MissionMeta | null
  /** The `lanes.json` of the placement mission dir, when the resolution needed it (WP actions). */
  readonly lanes: LanesManifest | null
  readonly statusTarget: StatusTarget
  readonly provenance: ReadonlyArray<Provenance>
  /** `.kittify/config.yaml` of the primary root, read once (a malformed file fails only the commands that use it). */
  readonly projectConfig: ProjectConfig
  /** The refs, when the resolution read them (`null`: not needed). */
  readonly refs: RefFacts | null
  /**
   * Removes what this resolution materialised (a coordination worktree it created), for a writer whose
   * command then wrote nothing; `Effect.void` when it created nothing. Never fails.
   */
  readonly undoMaterialisation: Effect.Effect<void>
}

/** The services a read-only resolution reads through. */
export type ResolveRequirements = RepoFs | GitReader | Settings | StatusReader

/** Everything a resolution can fail with. */
export type ResolveError = ContextError | GitError | IoError

/** The services `resolveForWrite` adds: it may create the coordination worktree under its lock. */
export type ResolveForWriteRequirements = ResolveRequirements | Git | FileLock | RepoWrite

/** How long a reader waits for a coordination worktree that another process is creating (40 x 50 ms). */
const CREATION_WAIT_STEPS = 40
const CREATION_WAIT_STEP_MS = 50

/**
 * The mission a request without a handle means (docs/execution-context.md §7.4): the one whose lane or
 * coordination branch the linked worktree holding `cwd` has checked out, else the only mission; null
 * when neither decides.
 */
const impliedMission = (
  cwd: string,
  names: ReadonlyArray<string>
): Effect.Effect<{ readonly name: string; readonly source: string } | null, IoError, RepoFs> =>
  Effect.gen(function*() {
    const linked = yield* walkUpDotGit(cwd, (_dir, dotGit) => Effect.succeed(Option.some(dotGit)))
    if (Option.isSome(linked) && linked.value._tag === "LinkedWorktree") {
      const head = yield* headOf(linked.value.worktreeRoot)
      if (head?._tag === "Ref" && head.ref.startsWith("refs/heads/")) {
        const branch = head.ref.slice("refs/heads/".length)
        const found = missionOfBranch(branch, names)
        if (found.length === 1) return { name: found[0], source: `the branch ${branch} of the worktree ${linked.value.worktreeRoot}` }
      }
    }
    return names.length === 1 ? { name: names[0], source: "the only mission in the repository" } : null
  })

/** The full resolution (docs/execution-context.md §4 steps 1-10); `hook` runs before the coordination probe. */
const resolveWith = <E2, R2>(
  req: ContextRequest,
  beforeCoordProbe: ((plan: CoordPlan) => Effect.Effect<Effect.Effect<void>, E2, R2>) | null
): Effect.Effect<Resolution, ResolveError | E2, ResolveRequirements | R2> =>
  Effect.suspend(() => {
    // what the hook created, taken away again if the resolution fails after it
    let undo: Effect.Effect<void> = Effect.void
    return Effect.gen(function*() {
      const fs = yield* RepoFs
      const git = yield* GitReader
      const provenance: Array<Provenance> = []
      const note = (p: Provenance) => provenance.push(p)

      // 1. action
      const action: Action = yield* parseAction(req.action ?? "status")

      // 2. root
      const location = yield* discoverPrimaryRoot(req.cwd)
      const primaryRoot = location.primaryRoot
      const currentCwd = (yield* fs.realpath(req.cwd)) ?? req.cwd
      note({ field: "workspace.primary_root", value: primaryRoot, source: `root discovery from ${currentCwd}` })

      // 3. handle
      const specs = missionsRoot(primaryRoot)
      const entries = (yield* fs.entries(specs)) ?? []
      const names = entries.filter((e) => e.kind === "Directory" && !e.name.startsWith(".")).map((e) => e.name)
      if (names.length === 0) return yield* ContextErrors.unresolved(req.mission ?? null, [], { reason: "no_missions" })
      let given = req.mission
      if (given === undefined || given === "") {
        const implied = yield* impliedMission(currentCwd, names)
        if (implied !== null) {
          given = implied.name
          note({ field: "identity.mission_slug", value: implied.name, source: `no --mission given: ${implied.source}` })
        }
      }
      const handle = yield* checkHandle(given, names)
      const metaTexts = new Map<string, string | null>()
      const readMetaText = (name: string) =>
        Effect.gen(function*() {
          if (metaTexts.has(name)) return metaTexts.get(name)!
          const text = yield* fs.readText(missionFile(missionDir(primaryRoot, name), META_FILE), { noFollow: true })
          metaTexts.set(name, text)
          return text
        })
      let withIds: Array<HandleCandidate> | null = null
      const candidatesFor = (h: string) =>
        Effect.gen(function*() {
          if (!handleNeedsIds(h)) return names.map((name): HandleCandidate => ({ name, missionId: null }))
          if (withIds === null) {
            // another mission's unreadable or invalid meta.json makes it no candidate; it does not fail this resolution
            const texts = yield* Effect.forEach(names, (name) => Effect.either(readMetaText(name)), { concurrency: 16 })
            withIds = names.map((name, i) => {
              const text = texts[i]
              const decoded = Either.isRight(text) ? decodeMissionMeta(name, text.right) : null
              return { name, missionId: decoded !== null && Either.isRight(decoded) ? decoded.right?.mission_id ?? null : null }
            })
          }
          return withIds
        })
      const resolved = yield* resolveHandleIn(handle, yield* candidatesFor(handle))
      if (req.missionCheck !== undefined) {
        const checked = yield* checkHandle(req.missionCheck.handle, names)
        const other = yield* resolveHandleIn(checked, yield* candidatesFor(checked))
        if (other.slug !== resolved.slug) {
          return yield* ContextErrors.selectorConflict(req.missionCheck.featureDir, resolved.slug, checked, other.slug)
        }
      }
      const slug = resolved.slug
      const primaryDir = missionDir(primaryRoot, slug)
      note({ field: "identity.mission_slug", value: slug, source: `handle ${JSON.stringify(handle)} matched at level ${resolved.level}` })

      // 4. meta.json (primary only, once)
      const metaPath = missionFile(primaryDir, META_FILE)
      const meta: MissionMeta | null = yield* decodeMissionMeta(metaPath, yield* readMetaText(slug))

      // 5. identity, topology, kind, target branch, branch ref
      const identity = deriveIdentity(meta?.mission_id, slug)
      note({
        field: "identity.mission_id",
        value: identity.mission_id,
        source: meta?.mission_id === undefined ? "legacy sentinel (no mission_id in meta.json)" : metaPath
      })
      const lanesKind = yield* fs.kind(missionFile(primaryDir, LANES_FILE))
      const topology = topologyOf(meta, lanesKind === "File")
      const kind = commitKindOf(meta, topology.value)
      note({
        field: "topology",
        value: topology.value,
        source: topology.source === "stored" ? `${metaPath} topology` : "derived from coordination_branch and whether lanes.json exists"
      })
      let refFacts: RefFacts | null = null
      const refs = () =>
        Effect.gen(function*() {
          if (refFacts === null) refFacts = yield* git.refs(primaryRoot)
          return refFacts
        })
      const target = targetBranchOf(meta, targetBranchNeedsRefs(meta) ? yield* refs() : null)
      note({ field: "branch_ref.target_branch", value: target.branch, source: target.source })
      const branchRef = branchRefOf(kind, meta, target.branch)
      note({
        field: "branch_ref.destination_ref",
        value: branchRef.destination_ref,
        source: kind === "coordination"
          ? "meta.json coordination_branch (topology routes through coordination)"
          : kind === "flattened"
          ? "target branch (flattened or single_branch)"
          : "target branch",
        ...(kind !== "coordination" && typeof meta?.coordination_branch === "string" && meta.coordination_branch !== ""
          ? { rejected: [{ candidate: meta.coordination_branch, why: `topology ${topology.value} does not route through coordination` }] }
          : {})
      })

      // 6. workspace
      const coordRoot = yield* coordWorktreeOf(primaryRoot, identity, kind)
      // a writer materialises the coordination worktree here, under its lock, so the probe below never
      // sees a worktree another process is still creating
      if (coordRoot !== null && beforeCoordProbe !== null && branchRef.coordination_branch !== null) {
        undo = yield* beforeCoordProbe({
          primaryRoot,
          commonDir: location.commonDir,
          path: coordRoot,
          branch: branchRef.coordination_branch,
          primaryDir
        })
      }

      // 7. status surface
      let probe: CoordProbe | null = null
      if (coordRoot !== null) {
        // a worktree that `git worktree add` is still creating (HEAD the null id, no index yet) is waited for
        // briefly and otherwise read as not materialised: never as a branch mismatch or a missing dir
        const probeRoot = Effect.gen(function*() {
          const rootKind = yield* fs.kind(coordRoot)
          if (rootKind === null) return null
          const pointer = rootKind === "Directory"
            ? yield* parseGitPointer(joinPath(coordRoot, ".git")).pipe(Effect.orElseSucceed(() => null))
            : null
          const isWorktree = pointer !== null && pointer._tag === "LinkedWorktree" && pointer.commonDir === location.commonDir
          const head = isWorktree ? yield* headOf(coordRoot) : null
          const coordDirKind = yield* fs.kind(coordMissionDir(coordRoot, identity.mission_slug, identity.mid8))
          // git writes the null id into HEAD first, then the branch, then checks the files out and writes the index
          const creating = isWorktree && pointer._tag === "LinkedWorktree" &&
            ((head?._tag === "Detached" && /^0+$/.test(head.sha)) ||
              (coordDirKind === null && (yield* fs.kind(joinPath(pointer.gitdir, "index"))) === null))
          return {
            creating,
            probe: { rootExists: true, isWorktreeOfRepo: isWorktree, head, coordDirExists: coordDirKind === "Directory", branchExists: null }
          }
        })
        let seen = yield* probeRoot
        for (let i = 0; seen?.creating === true && i < CREATION_WAIT_STEPS; i++) {
          yield* Effect.sleep(CREATION_WAIT_STEP_MS)
          seen = yield* probeRoot
        }
        if (seen !== null && !seen.creating) {
          probe = seen.probe
        } else {
          const facts = yield* refs()
          probe = {
            rootExists: false,
            isWorktreeOfRepo: false,
            head: null,
            coordDirExists: false,
            branchExists: branchExistsIn(facts.refs, branchRef.coordination_branch!)
          }
        }
      }
      const surface = yield* statusSurfaceOf(primaryRoot, identity, branchRef, coordRoot, probe)
      note({
        field: "status_surface.status_read_dir",
        value: surface.status_read_dir,
        source: surface.coord_state === "MATERIALIZED"
          ? "coordination worktree on the coordination branch (MATERIALIZED)"
          : surface.coord_state === "UNMATERIALIZED"
          ? "primary mission dir: coordination worktree not created yet, branch exists (UNMATERIALIZED)"
          : "primary mission dir (no coordination)",
        rejected: [{ candidate: "lane worktree copies under .worktrees/", why: "status is never read from a lane worktree's copy" }]
      })

      // 8. placement, prompt source
      const featureDir = featureDirOf(primaryRoot, identity, surface)
      const placementRef: CommitTarget = branchRef.destination_ref
      const promptDir = joinPath(featureDir, TASKS_DIR)
      note({ field: "prompt_source.prompt_source_dir", value: promptDir, source: "the tasks/ folder of the mission dir in the placement checkout" })

      const statusTarget = statusTargetFrom(location, primaryRoot, slug, meta, surface.status_write_dir, promptDir)

      // 9. work package
      let lanes: LanesManifest | null = null
      let workPackage = null
      let executionWorkspace: string | null = null
      if (isWpAction(action)) {
        const taskEntries = ((yield* fs.entries(promptDir)) ?? [])
          .filter((e) => e.kind === "File")
          .map((e) => e.name)
        let wpId: string
        if (req.wp_id !== undefined && req.wp_id !== "") {
          wpId = yield* normalizeWpId(req.wp_id, action)
        } else {
          const status = yield* StatusReader
          const stream = yield* status.stream(statusTarget).pipe(
            Effect.mapError((e) =>
              ContextErrors.canonicalStatusUnreadable(
                String(e.details.path ?? surface.status_read_dir),
                Number(e.details.line ?? 0),
                `Cannot auto-pick a work package: ${e.message}`
              )
            )
          )
          const lanes = foldTransitions(stream.transitions).states
          const wpIds = [...new Set(taskEntries.map((n) => /^(WP\d{2,})/.exec(n)?.[1]).filter((x): x is string => x !== undefined))]
          const laneOf = (wp: string) => {
            const lane = lanes.get(wp)?.lane
            return lane === undefined || lane === "genesis" || lane === "uninitialized" ? "planned" : lane
          }
          wpId = yield* autoPickWp(action, wpIds, laneOf)
          note({ field: "work_package.wp_id", value: wpId, source: `auto-picked by lane from ${surface.status_read_dir}` })
        }
        const files = wpFileCandidates(taskEntries, wpId)
        if (files.length !== 1) {
          return yield* ContextErrors.workPackageUnresolved(
            action,
            wpId,
            files.length === 0 ? `no ${wpId} file in ${promptDir}` : "several files match",
            files
          )
        }
        const wpFile = joinPath(promptDir, files[0])
        const wpText = (yield* fs.readText(wpFile)) ?? ""
        const front = parseFrontmatter(wpText)
        const executionMode = Either.isRight(front) && typeof front.right.execution_mode === "string"
          ? front.right.execution_mode
          : null
        let laneIdOfWp: string | null = null
        if (executionMode !== "planning_artifact") {
          const lanesPath = missionFile(featureDir, LANES_FILE)
          const manifest = yield* decodeLanesManifest(lanesPath, yield* fs.readText(lanesPath, { noFollow: true }))
          lanes = manifest
          laneIdOfWp = manifest.lanes.find((l) => l.wp_ids.includes(wpId))?.lane_id ?? null
        }
        const wp = yield* workPackageRefOf({
          action,
          primaryRoot,
          slug,
          targetBranch: target.branch,
          wpId,
          wpFile,
          executionMode,
          laneIdOfWp
        })
        workPackage = wp.ref
        executionWorkspace = wp.workspace
        note({ field: "workspace.execution_workspace", value: executionWorkspace, source: "the lane lanes.json assigns to the work package" })
      }

      // 10. assemble
      const context = yield* checkInvariants({
        action,
        topology,
        identity,
        branch_ref: branchRef,
        workspace: {
          primary_root: primaryRoot,
          current_cwd: currentCwd,
          coord_worktree: coordRoot,
          execution_workspace: executionWorkspace,
          allowed_command_cwd: executionWorkspace ?? primaryRoot
        },
        status_surface: surface,
        artifact_placement: { placement_ref: placementRef },
        prompt_source: { prompt_source_dir: promptDir },
        work_package: workPackage,
        feature_dir: featureDir
      })
      const configPath = projectConfigFile(primaryRoot)
      const projectConfig = parseProjectConfig(configPath, yield* fs.readText(configPath, { maxBytes: 1024 * 1024 }))
      return {
        context,
        location,
        meta,
        lanes,
        statusTarget,
        provenance,
        projectConfig,
        refs: refFacts,
        undoMaterialisation: undo
      }
    }).pipe(Effect.tapError(() => undo))
  }).pipe(Effect.withSpan("kittyctx.resolveContext"))

const statusTargetFrom = (
  location: RepoLocation,
  primaryRoot: string,
  slug: string,
  meta: MissionMeta | null,
  statusDir: string,
  promptDir: string
): StatusTarget => {
  const scope = repositoryScope(primaryRoot, location.commonDir)
  return {
    gitCommonDir: location.commonDir,
    missionSlug: slug,
    missionId: meta?.mission_id ?? null,
    identity: meta?.identity ?? ABSENT_META_IDENTITY,
    statusDir,
    tasksDir: promptDir,
    lock: { path: lockPathOf(location.commonDir, { _tag: "Status", slug }), scope },
    scope,
    workspaceRoot: primaryRoot
  }
}

/** The full resolution for readers: never writes, never creates anything. */
export const resolve = (req: ContextRequest): Effect.Effect<Resolution, ResolveError, ResolveRequirements> =>
  resolveWith(req, null)

/**
 * The resolution for writers: the same program, which first materialises the coordination worktree
 * under its lock, so the surface probe never sees a worktree another process is still creating.
 */
export const resolveForWrite = (
  req: ContextRequest
): Effect.Effect<Resolution, ResolveError | LockError, ResolveForWriteRequirements> => resolveWith(req, ensureCoordWorktreeUndoable)

/** The one resolver (R-RES-1). */
export const resolveContext = (req: ContextRequest): Effect.Effect<MissionExecutionContext, ResolveError, ResolveRequirements> =>
  Effect.map(resolve(req), (r) => r.context)

/** R-RES-2: the placement projection. */
export const resolvePlacement = (req: ContextRequest) =>
  Effect.map(resolveContext({ ...req, action: "status" }), (c) => c.artifact_placement.placement_ref)

/** R-RES-2: the status-surface projection. */
export const resolveStatusSurface = (req: ContextRequest) =>
  Effect.map(resolveContext({ ...req, action: "status" }), (c) => c.status_surface)

/** The status facade's target for a mission. */
export const resolveStatusTarget = (req: ContextRequest) => Effect.map(resolve({ ...req, action: "status" }), (r) => r.statusTarget)

/** §6: which kind of checkout `cwd` is in (informational: diagnostics and guards, never a location source). */
export const classifyCheckout = (cwd: string) =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const git = yield* GitReader
    const location = yield* discoverPrimaryRoot(cwd)
    const real = (yield* fs.realpath(cwd)) ?? cwd
    const registry = yield* git.worktreeList(location.primaryRoot)
    const entries = yield* Effect.forEach(registry, (e) =>
      Effect.map(fs.realpath(e.path).pipe(Effect.orElseSucceed(() => null)), (p) => ({
        path: p ?? e.path,
        prunable: e.prunable
      })))
    return classifyCheckoutIn(location.primaryRoot, real, entries)
  })
