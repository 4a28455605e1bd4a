/**
 * The naming grammar (docs/execution-context.md §2.2, R-NAME-1): the only module that composes mission
 * directories, branches, worktree paths, the mission's file names and lock paths.
 */
import { joinPath } from "./Paths.js"

/** `kitty-specs`, the missions directory of a checkout. */
export const MISSIONS_DIR = "kitty-specs"
/** `.worktrees`, where lane and coordination worktrees live. */
export const WORKTREES_DIR = ".worktrees"
/** `.kittify`, the project marker. */
export const KITTIFY_DIR = ".kittify"
/** Mission file names. */
export const META_FILE = "meta.json"
export const LANES_FILE = "lanes.json"
export const EVENTS_FILE = "status.events.jsonl"
export const SNAPSHOT_FILE = "status.json"
export const TASKS_DIR = "tasks"

const CROCKFORD_CLASS = "[0-9A-HJKMNP-TV-Z]"
const ULID_RE = new RegExp(`^${CROCKFORD_CLASS}{26}$`)
const MID8_RE = new RegExp(`^${CROCKFORD_CLASS}{8}$`)
const MID8_SUFFIX_RE = new RegExp(`-(${CROCKFORD_CLASS}{8})$`)
const NUMBER_PREFIX_RE = /^\d{3}-/

/** A 26-character Crockford ULID. */
export const isUlid = (s: string): boolean => ULID_RE.test(s)
/** An 8-character Crockford mid8. */
export const isMid8 = (s: string): boolean => MID8_RE.test(s)

/** The dir name without a leading `NNN-`. */
export const stripNumberPrefix = (dir: string): string => dir.replace(NUMBER_PREFIX_RE, "")

/** The trailing `-<mid8>` of a dir name (after the `NNN-` strip), if any. */
export const mid8SuffixOf = (dir: string): string | null => MID8_SUFFIX_RE.exec(stripNumberPrefix(dir))?.[1] ?? null

/** `slug` if it already ends with `-<mid8>`, else `slug-<mid8>` (never doubled). */
export const suffixed = (slug: string, mid8: string): string => (slug.endsWith(`-${mid8}`) ? slug : `${slug}-${mid8}`)

/** `<root>/kitty-specs`. */
export const missionsRoot = (root: string): string => joinPath(root, MISSIONS_DIR)
/** `<root>/kitty-specs/<slug>`. */
export const missionDir = (root: string, slug: string): string => joinPath(root, MISSIONS_DIR, slug)
/** `<root>/.worktrees`. */
export const worktreesRoot = (root: string): string => joinPath(root, WORKTREES_DIR)
/** `<root>/.kittify`. */
export const kittifyDir = (root: string): string => joinPath(root, KITTIFY_DIR)

/** `<root>/.kittify/.dashboard`: the dashboard's lifecycle file (the name spec-kitty uses). */
export const dashboardFile = (root: string): string => joinPath(root, KITTIFY_DIR, ".dashboard")
/** `<git-common-dir>/kittyctx-dashboard.log`: the dashboard server's output (in the git dir, so never an untracked file). */
export const dashboardLog = (commonDir: string): string => joinPath(commonDir, "kittyctx-dashboard.log")

/** A file of a mission directory. */
export const missionFile = (dir: string, name: string): string => joinPath(dir, name)

/** `kitty/mission-<human>-<mid8>` (the `NNN-` prefix stripped); legacy dirs keep their whole name. */
export const missionBranch = (dir: string): string =>
  mid8SuffixOf(dir) === null ? `kitty/mission-${dir}` : `kitty/mission-${stripNumberPrefix(dir)}`

/** `kitty/mission-<mission-dir>-<lane_id>`. */
export const laneBranch = (dir: string, laneId: string): string => `kitty/mission-${dir}-${laneId}`

/** `<root>/.worktrees/<mission-dir>-<lane_id>`. */
export const laneWorktree = (root: string, dir: string, laneId: string): string =>
  joinPath(root, WORKTREES_DIR, `${dir}-${laneId}`)

/**
 * The non-cone sparse-checkout patterns of a coordination mission's lane worktree (docs/surfaces.md §2.2): everything
 * but the mission's status files, whose only copy is the status surface. One pair per mission dir name.
 */
export const laneSparsePatterns = (missionDirNames: ReadonlyArray<string>): ReadonlyArray<string> => [
  "/*",
  ...[...new Set(missionDirNames)].flatMap((name) => [
    `!${MISSIONS_DIR}/${name}/${EVENTS_FILE}`,
    `!${MISSIONS_DIR}/${name}/${SNAPSHOT_FILE}`
  ])
]

/** `<root>/.worktrees/suffixed(slug, mid8)-coord`. */
export const coordWorktree = (root: string, slug: string, mid8: string): string =>
  joinPath(root, WORKTREES_DIR, `${suffixed(slug, mid8)}-coord`)

/** `<coord worktree>/kitty-specs/suffixed(slug, mid8)`. */
export const coordMissionDir = (coordRoot: string, slug: string, mid8: string): string =>
  joinPath(coordRoot, MISSIONS_DIR, suffixed(slug, mid8))

/** `<coord worktree>/kitty-specs/<name>` for a coordination worktree named `<name>-coord`. */
export const coordMissionDirOfWorktree = (coordRoot: string, worktreeName: string): string =>
  joinPath(coordRoot, MISSIONS_DIR, worktreeName.replace(/-coord$/, ""))

/** True when `coordName` is `suffixed(primaryDir, mid8)` for some mid8 (the coordination copy of that mission dir). */
export const isCoordNameOf = (primaryDir: string, coordName: string): boolean =>
  coordName === primaryDir || (coordName.startsWith(`${primaryDir}-`) && isMid8(coordName.slice(primaryDir.length + 1)))

/** True for a `.worktrees` entry name that is a coordination worktree. */
export const isCoordWorktreeName = (name: string): boolean => name.endsWith("-coord")

/** The trailing `lane-[a-z]` of a lane worktree name, if any. */
export const laneIdOfWorktreeName = (name: string): string | null => /-(lane-[a-z])$/.exec(name)?.[1] ?? null

/**
 * What a lock protects: a mission's status (spec-kitty's lock), a worktree path being created, merging,
 * or, under the runtime root, a forwarding scope's delivery or daemon spawn (docs/surfaces.md §8.1).
 */
export type LockKey =
  | { readonly _tag: "Status"; readonly slug: string }
  | { readonly _tag: "Worktree"; readonly path: string }
  | { readonly _tag: "Merge" }
  | { readonly _tag: "SyncDelivery"; readonly scopeId: string }
  | { readonly _tag: "SyncSpawn"; readonly scopeId: string }

/** FNV-1a, 64 bits, over UTF-16 units: a short stable key for a path (lock names only). */
const fnv1a64 = (text: string): string => {
  let h = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i))
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h.toString(16).padStart(16, "0")
}

/** The directory of spec-kitty's status locks, `<git-common-dir>/spec-kitty-locks`. */
export const statusLockDir = (commonDir: string): string => joinPath(commonDir, "spec-kitty-locks")

/**
 * Which writer last took a worktree (created it or found it in place) under its lock:
 * `<git-common-dir>/kittyctx-locks/worktree-<hash of its path>.user`, beside that lock. A writer takes
 * back a coordination worktree it created only while this still names it.
 */
export const worktreeTakerPath = (commonDir: string, path: string): string =>
  joinPath(commonDir, "kittyctx-locks", `worktree-${fnv1a64(path)}.user`)

/**
 * The one place lock paths are composed: spec-kitty's status lock
 * `<git-common-dir>/spec-kitty-locks/<slug>.status.lock` (the same file spec-kitty locks, so the two tools
 * exclude each other), kittyctx's own `<git-common-dir>/kittyctx-locks/<name>.lock`, and the forwarding
 * locks `<runtime root>/sync/<scope>/{delivery,spawn}.lock` (for those, `base` is the runtime root).
 */
export const lockPathOf = (base: string, key: LockKey): string => {
  switch (key._tag) {
    case "Status":
      return joinPath(statusLockDir(base), `${key.slug}.status.lock`)
    case "Worktree":
      return joinPath(base, "kittyctx-locks", `worktree-${fnv1a64(key.path)}.lock`)
    case "Merge":
      return joinPath(base, "kittyctx-locks", "merge.lock")
    case "SyncDelivery":
      return joinPath(syncScopeDir(base, key.scopeId), "delivery.lock")
    case "SyncSpawn":
      return joinPath(syncScopeDir(base, key.scopeId), "spawn.lock")
  }
}

/**
 * The fold checkpoint of one event log (status-model §7.7), outside the work tree:
 * `<git-common-dir>/kittyctx/fold/<slug>-<hash of the log's path>.checkpoint` (a mission's log in the primary
 * checkout and in its coordination worktree are two logs).
 */
export const foldCheckpointPath = (commonDir: string, slug: string, logPath: string): string =>
  joinPath(commonDir, "kittyctx", "fold", `${slug}-${fnv1a64(logPath)}.checkpoint`)

/**
 * The id filter a fold checkpoint refers to, beside it and named by its content's digest
 * (`<checkpoint>.ids-<digest>`): written once, never rewritten in place.
 */
export const foldIdsPath = (checkpointPath: string, digest: string): string => `${checkpointPath}.ids-${digest}`

/** The id filters of a checkpoint (`foldIdsPath`'s names): the digest of a file name, or null. */
export const foldIdsDigestOf = (checkpointPath: string, name: string): string | null => {
  const base = checkpointPath.slice(checkpointPath.lastIndexOf("/") + 1)
  const m = /^(.*)\.ids-([0-9a-f]{16})$/.exec(name)
  return m !== null && m[1] === base ? m[2] : null
}
// ---------------------------------------------------------------------------------------------
// The runtime root (docs/surfaces.md §8.1): `$KITTYCTX_HOME`, else `~/.kittyctx`.

/** The runtime root's name under the home directory. */
export const RUNTIME_HOME_DIR = ".kittyctx"

/** `<runtime root>/sync`: forwarding's configuration and registered projects. */
export const syncRoot = (runtimeRoot: string): string => joinPath(runtimeRoot, "sync")
/** `<runtime root>/sync/config.json`. */
export const syncConfigFile = (runtimeRoot: string): string => joinPath(syncRoot(runtimeRoot), "config.json")
/** `<runtime root>/sync/projects.json`. */
export const syncProjectsFile = (runtimeRoot: string): string => joinPath(syncRoot(runtimeRoot), "projects.json")
/** `<runtime root>/sync/<scope>`: one sink scope's cursors, state, dead letters and daemon files. */
export const syncScopeDir = (runtimeRoot: string, scopeId: string): string => joinPath(syncRoot(runtimeRoot), scopeId)

/** The files of a scope directory. */
export const SYNC_SCOPE_FILES = {
  owner: "owner.json",
  state: "state.json",
  deadLetters: "dead-letter.jsonl",
  daemonLog: "daemon.log"
} as const

/** A file of a scope directory. */
export const syncScopeFile = (runtimeRoot: string, scopeId: string, file: keyof typeof SYNC_SCOPE_FILES): string =>
  joinPath(syncScopeDir(runtimeRoot, scopeId), SYNC_SCOPE_FILES[file])

/** `<runtime root>/sync/<scope>/cursors/<key hash>.json`: one log's cursor head. */
export const syncCursorFile = (runtimeRoot: string, scopeId: string, keyHash: string): string =>
  joinPath(syncScopeDir(runtimeRoot, scopeId), "cursors", `${keyHash}.json`)

/** `<runtime root>/sync/<scope>/cursors/<key hash>.seen.json`: a version-1 cursor's ids (read once, to upgrade it). */
export const syncSeenFile = (runtimeRoot: string, scopeId: string, keyHash: string): string =>
  joinPath(syncScopeDir(runtimeRoot, scopeId), "cursors", `${keyHash}.seen.json`)

/** `<runtime root>/sync/<scope>/cursors/<key hash>.seen.jsonl`: the ids delivered from that log, one per line, appended. */
export const syncSeenLinesFile = (runtimeRoot: string, scopeId: string, keyHash: string): string =>
  joinPath(syncScopeDir(runtimeRoot, scopeId), "cursors", `${keyHash}.seen.jsonl`)

/** `<runtime root>/sync/<scope>/cursors/<key hash>.seen.filter`: a filter of those ids ("certainly not" or "perhaps"). */
export const syncSeenFilterFile = (runtimeRoot: string, scopeId: string, keyHash: string): string =>
  joinPath(syncScopeDir(runtimeRoot, scopeId), "cursors", `${keyHash}.seen.filter`)

/** `<root>/.kittify/derived/<slug>`: gitignored derived views of a mission. */
export const derivedDir = (root: string, slug: string): string => joinPath(root, KITTIFY_DIR, "derived", slug)

/** The project configuration file, repo-relative. */
export const PROJECT_CONFIG_REL = `${KITTIFY_DIR}/config.yaml`

/** `<root>/.kittify/config.yaml`. */
export const projectConfigFile = (root: string): string => joinPath(root, PROJECT_CONFIG_REL)

/** `<root>/.kittify/workspaces/<mission-dir>-<lane_id>.json`: spec-kitty's record of a lane workspace (gitignored). */
export const workspaceRecordFile = (root: string, dir: string, laneId: string): string =>
  joinPath(root, KITTIFY_DIR, "workspaces", `${dir}-${laneId}.json`)

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A repo-relative pattern: the file `name` of any mission dir of the primary checkout. */
export const anyMissionFile = (name: string): RegExp => new RegExp(`^${MISSIONS_DIR}/[^/]+/${escapeRegex(name)}$`)

/** A repo-relative pattern: anything under `.kittify/<sub>/` (`files`: only JSON files directly in it). */
export const kittifySubtree = (sub: string, files?: "json"): RegExp =>
  new RegExp(`^${escapeRegex(KITTIFY_DIR)}/${escapeRegex(sub)}/` + (files === "json" ? "[^/]+\\.json$" : ""))

/** The mission dir name a lane or mission branch names (`kitty/mission-<dir>-lane-x`, `kitty/mission-<human-mid8>`). */
export const missionOfBranch = (branch: string, dirs: ReadonlyArray<string>): ReadonlyArray<string> => {
  const prefix = "kitty/mission-"
  if (!branch.startsWith(prefix)) return []
  const rest = branch.slice(prefix.length)
  const lane = /^(.+)-lane-(?:[a-z]|planning)$/.exec(rest)
  const found = dirs.filter((d) =>
    (lane !== null && lane[1] === d) || rest === d || (mid8SuffixOf(d) !== null && rest === stripNumberPrefix(d))
  )
  return [...new Set(found)]
}

/** A regex matching exactly one of the given file names (relative paths). */
export const exactNames = (...names: ReadonlyArray<string>): RegExp =>
  new RegExp(names.map((n) => `^${escapeRegex(n)}$`).join("|"))

/** git's index lock of a checkout's git dir (a crashed git leaves it behind). */
export const gitIndexLock = (gitdir: string): string => joinPath(gitdir, "index.lock")

/** `refs/heads/<branch>`. */
export const headsRef = (branch: string): string => `refs/heads/${branch}`

// ---------------------------------------------------------------------------------------------
// Merging (docs/surfaces.md §5)

/** The decisions ledger, merged by the event-log driver too. */
export const DECISIONS_FILE = "decisions.events.jsonl"
/** The retrospective record of a mission (docs/surfaces.md §4.1). */
export const RETROSPECTIVE_FILE = "retrospective.yaml"

/** kittyctx's merge drivers: the event-log union and the derived snapshot (kept as ours, regenerated). */
export const EVENT_LOG_DRIVER = "kittyctx-event-log"
export const DERIVED_DRIVER = "kittyctx-derived"
/** spec-kitty's own name for its event-log driver. */
export const SPEC_KITTY_EVENT_LOG_DRIVER = "spec-kitty-event-log"

/** A path pattern of every mission's `name` file, as attribute files write it. */
const missionFilePattern = (name: string): string => `${MISSIONS_DIR}/**/${name}`

/** The attribute lines that route the mission files to kittyctx's drivers. */
export const mergeAttributeLines = (): ReadonlyArray<string> => [
  `${missionFilePattern(EVENTS_FILE)} merge=${EVENT_LOG_DRIVER}`,
  `${missionFilePattern(DECISIONS_FILE)} merge=${EVENT_LOG_DRIVER}`,
  `${missionFilePattern(SNAPSHOT_FILE)} merge=${DERIVED_DRIVER}`
]

/** Probe paths (repo-relative) and the driver each must be routed to, for `git check-attr`. */
export const mergeAttributeProbes = (): ReadonlyArray<{ readonly path: string; readonly driver: string }> => [
  { path: `${MISSIONS_DIR}/probe/${EVENTS_FILE}`, driver: EVENT_LOG_DRIVER },
  { path: `${MISSIONS_DIR}/probe/${DECISIONS_FILE}`, driver: EVENT_LOG_DRIVER },
  { path: `${MISSIONS_DIR}/probe/${SNAPSHOT_FILE}`, driver: DERIVED_DRIVER }
]

/** A git pathspec of every mission's meta.json one level below the missions dir. */
export const metaPathspec = (): string => `:(glob)${MISSIONS_DIR}/*/${META_FILE}`

/** The attribute lines shipped beside the launcher (`dist/merge.gitattributes`), for the merge's dry run. */
export const mergeAttributesFileBeside = (launcherDir: string): string => joinPath(launcherDir, "merge.gitattributes")

/** `<git-common-dir>/info/attributes` (per clone, untracked). */
export const infoAttributesPath = (commonDir: string): string => joinPath(commonDir, "info", "attributes")
/** `<root>/.gitattributes` (tracked). */
export const gitattributesPath = (root: string): string => joinPath(root, ".gitattributes")

/** `<git-common-dir>/kittyctx/merge`: kittyctx's merge state, shared by every worktree, never tracked. */
export const mergeStateRoot = (commonDir: string): string => joinPath(commonDir, "kittyctx", "merge")
/** The state directory of one mission's merge (keyed by mission id, or by slug for legacy missions). */
export const mergeStateDir = (commonDir: string, key: string): string => joinPath(mergeStateRoot(commonDir), key)
/** The state file of one mission's merge. */
export const mergeStateFile = (commonDir: string, key: string): string => joinPath(mergeStateDir(commonDir, key), "state.json")
/** The merge's temporary detached worktree, inside the git dir (never in a user's checkout). */
export const mergeWorkspace = (commonDir: string, key: string): string =>
  joinPath(mergeStateDir(commonDir, key), "workspace")

/** spec-kitty's merge runtime directory, `<root>/.kittify/runtime/merge` (its states and its global lock). */
export const specKittyMergeRuntime = (root: string): string => joinPath(root, KITTIFY_DIR, "runtime", "merge")
/** spec-kitty's global merge lock inside its runtime directory. */
export const SPEC_KITTY_GLOBAL_MERGE = "__global_merge__"
/** spec-kitty's legacy single merge-state file. */
export const specKittyLegacyMergeState = (root: string): string => joinPath(root, KITTIFY_DIR, "merge-state.json")

/** spec-kitty's `.kittify/config.yaml`. */
export const kittifyConfig = (root: string): string => joinPath(root, KITTIFY_DIR, "config.yaml")

/** The legacy retrospective location `<root>/.kittify/missions/<mission_id>/retrospective.yaml` (read only). */
export const legacyRetrospective = (root: string, missionId: string): string =>
  joinPath(root, KITTIFY_DIR, "missions", missionId, RETROSPECTIVE_FILE)
