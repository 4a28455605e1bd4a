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

/** True for a `.worktrees` entry name that is a coordination worktree. */
export const isCoordWorktreeName = (name: string): boolean => name.endsWith("-coord")

/** The trailing `lane-[a-z]` of a lane worktree name, if any. */
export const laneIdOfWorktreeName = (name: string): string | null => /-(lane-[a-z])$/.exec(name)?.[1] ?? null

/** What a lock protects: a mission's status (spec-kitty's lock), or a worktree path being created. */
export type LockKey =
  | { readonly _tag: "Status"; readonly slug: string }
  | { readonly _tag: "Worktree"; readonly path: string }

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
 * The one place lock paths are composed: spec-kitty's status lock
 * `<git-common-dir>/spec-kitty-locks/<slug>.status.lock` (the same file spec-kitty locks, so the two tools
 * exclude each other), and kittyctx's own `<git-common-dir>/kittyctx-locks/<name>.lock`.
 */
export const lockPathOf = (commonDir: string, key: LockKey): string => {
  switch (key._tag) {
    case "Status":
      return joinPath(statusLockDir(commonDir), `${key.slug}.status.lock`)
    case "Worktree":
      return joinPath(commonDir, "kittyctx-locks", `worktree-${fnv1a64(key.path)}.lock`)
  }
}

/**
 * The fold checkpoint of one event log (status-model §7.7), outside the work tree:
 * `<git-common-dir>/kittyctx/fold/<slug>-<hash of the log's path>.checkpoint` (a mission's log in the primary
 * checkout and in its coordination worktree are two logs).
 */
export const foldCheckpointPath = (commonDir: string, slug: string, logPath: string): string =>
  joinPath(commonDir, "kittyctx", "fold", `${slug}-${fnv1a64(logPath)}.checkpoint`)

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

/** `refs/heads/<branch>`. */
export const headsRef = (branch: string): string => `refs/heads/${branch}`
