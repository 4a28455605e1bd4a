/**
 * Installing, removing and checking kittyctx's merge drivers (docs/surfaces.md §5.2): the git config
 * of the event-log union (`merge.kittyctx-event-log`, the running launcher by absolute path) and of the
 * derived snapshot (`merge.kittyctx-derived`, keeps ours), and the attribute lines that route the
 * mission files to them: `$GIT_COMMON_DIR/info/attributes` by default (per clone), the tracked
 * `.gitattributes` on request. The check asks git itself (`check-attr`) which driver each mission file
 * gets, and fails when that driver is not registered (git would silently merge the file as text) or its
 * launcher no longer exists.
 */
import { Effect } from "effect"
import type { ConfigError } from "../../core/config/ConfigError.js"
import type { ContextError } from "../../core/context/ContextError.js"
import {
  BUILTIN_MERGE_VALUES,
  driverEntries,
  launcherWords,
  mergeRoutingLines,
  parseCheckAttrZ,
  parseConfigZ,
  withLines,
  withoutLines
} from "../../core/merge/DriverConfig.js"
import type { DriverEntry } from "../../core/merge/DriverConfig.js"
import { mergeError } from "../../core/merge/MergeError.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import {
  DERIVED_DRIVER,
  EVENT_LOG_DRIVER,
  gitattributesPath,
  infoAttributesPath,
  mergeAttributeLines,
  mergeAttributeProbes,
  MISSIONS_DIR,
  SPEC_KITTY_EVENT_LOG_DRIVER
} from "../../core/repo/Naming.js"
import { dirnamePath, isAbsolutePath } from "../../core/repo/Paths.js"
import { GitErrors } from "../../core/repo/RepoError.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { discoverPrimaryRoot } from "../context/RootLocator.js"
import type { RepoLocation } from "../context/RootLocator.js"
import { Git, GitReader } from "../ports/Git.js"
import { Launcher } from "../ports/Launcher.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite, repositoryScope } from "../ports/RepoWrite.js"
import type { Settings } from "../ports/Settings.js"

/** Everything installing or checking can fail with. */
export type DriverInstallError = MergeError | ContextError | GitError | IoError | ConfigError

/** What `--install` did. */
export interface InstallOutcome {
  readonly config: ReadonlyArray<DriverEntry>
  readonly attributes_file: string
  readonly added_lines: ReadonlyArray<string>
}

/** What `--uninstall` did. */
export interface UninstallOutcome {
  readonly removed_config: ReadonlyArray<string>
  readonly attributes_file: string
  readonly removed_lines: ReadonlyArray<string>
}

/** How one mission file is merged, as git reports it. */
export interface DriverRoute {
  readonly path: string
  /** The `merge` attribute's value (`unspecified` when no line routes the file). */
  readonly driver: string
  readonly registered: boolean
  readonly command: string | null
  /** Whether every launcher word of the command (absolute paths) exists; null for bare names. */
  readonly launcher_exists: boolean | null
}

/** The `--check` report. */
export interface DriverCheck {
  readonly installed: boolean
  readonly driver_command: string | null
  readonly driver_resolves: boolean
  readonly attributes_file: string | null
  readonly lines: ReadonlyArray<string>
  readonly routes: ReadonlyArray<DriverRoute>
  readonly problems: ReadonlyArray<string>
}

type Requirements = Git | GitReader | RepoFs | RepoWrite | Settings

/** Sets the drivers' git config where it differs (idempotent: one read, writes only for what changed). */
const writeConfig = (root: string, entries: ReadonlyArray<DriverEntry>): Effect.Effect<void, GitError, Git> =>
  Effect.gen(function*() {
    const git = yield* Git
    const listed = yield* git.run(["config", "--local", "-z", "--get-regexp", "^merge\\."], { cwd: root, mode: "write" })
    const current = listed.exitCode === 0 ? parseConfigZ(listed.stdout) : new Map<string, string>()
    for (const e of entries) {
      for (const [field, value] of [["name", e.name], ["driver", e.driver]] as const) {
        const key = `merge.${e.key}.${field}`
        if (current.get(key) === value) continue
        yield* git.checked(["config", "--local", "--replace-all", "--end-of-options", key, value], { cwd: root, mode: "write" })
      }
    }
  })

/** Adds the attribute lines missing from `file`; returns the lines added. */
const addLines = (location: RepoLocation, file: string): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const scope = repositoryScope(location.primaryRoot, location.commonDir)
    const next = withLines(yield* fs.readText(file), mergeAttributeLines())
    if (next.added.length === 0) return []
    yield* write.makeDirectory(scope, dirnamePath(file))
    yield* write.writeFile(scope, file, next.text)
    return next.added
  })

/** Removes the given attribute lines from `file` (the file goes when nothing else remains); returns those removed. */
export const removeAttributeLines = (
  location: RepoLocation,
  file: string,
  lines: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, IoError, RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const scope = repositoryScope(location.primaryRoot, location.commonDir)
    const next = withoutLines(yield* fs.readText(file), lines)
    if (next.removed.length === 0) return []
    if (next.text === null) yield* write.remove(scope, file)
    else yield* write.writeFile(scope, file, next.text)
    return next.removed
  })

/** The launcher, which must be known to be registered as a driver. */
const knownLauncher = Effect.flatMap(Launcher, (l) =>
  l.script === ""
    ? Effect.fail(
      mergeError("MERGE_DRIVER_NOT_INSTALLED", "kittyctx does not know its own launcher here, so it cannot register a merge driver", {})
    )
    : Effect.succeed(l))

/** The attribute file of a request: the clone's `info/attributes`, or the tracked `.gitattributes`. */
const attributesFileOf = (location: RepoLocation, gitattributes: boolean) =>
  gitattributes ? gitattributesPath(location.primaryRoot) : infoAttributesPath(location.commonDir)

/**
 * Registers both drivers with this launcher and adds the attribute lines to the clone's
 * `info/attributes` (absent ones only); returns the lines it added, which the caller removes when done.
 * The merge executor calls this before it merges (docs/surfaces.md §5.4).
 */
export const ensureDriversFor = (
  location: RepoLocation
): Effect.Effect<ReadonlyArray<string>, MergeError | GitError | IoError, Git | RepoFs | RepoWrite | Launcher> =>
  Effect.gen(function*() {
    const launcher = yield* knownLauncher
    yield* writeConfig(location.primaryRoot, driverEntries(launcher.node, launcher.script))
    return yield* addLines(location, infoAttributesPath(location.commonDir))
  })

/** `merge-driver-event-log --install [--gitattributes]`. */
export const installDrivers = (
  cwd: string,
  gitattributes: boolean
): Effect.Effect<InstallOutcome, DriverInstallError, Requirements | Launcher> =>
  Effect.gen(function*() {
    const location = yield* discoverPrimaryRoot(cwd)
    const launcher = yield* knownLauncher
    const entries = driverEntries(launcher.node, launcher.script)
    yield* writeConfig(location.primaryRoot, entries)
    const file = attributesFileOf(location, gitattributes)
    const added = yield* addLines(location, file)
    return { config: entries, attributes_file: file, added_lines: added }
  })

/** `merge-driver-event-log --uninstall [--gitattributes]`: the config sections and kittyctx's attribute lines. */
export const uninstallDrivers = (
  cwd: string,
  gitattributes: boolean
): Effect.Effect<UninstallOutcome, DriverInstallError, Requirements> =>
  Effect.gen(function*() {
    const git = yield* Git
    const location = yield* discoverPrimaryRoot(cwd)
    const removedConfig: Array<string> = []
    for (const key of [EVENT_LOG_DRIVER, DERIVED_DRIVER]) {
      const section = `merge.${key}`
      const args = ["config", "--local", "--remove-section", "--end-of-options", section]
      const r = yield* git.run(args, { cwd: location.primaryRoot, mode: "write" })
      if (r.exitCode === 0) removedConfig.push(section)
      else if (!/no such section/i.test(r.stderr)) return yield* GitErrors.commandFailed(args, r.exitCode, r.stderr)
    }
    const file = attributesFileOf(location, gitattributes)
    const removed = yield* removeAttributeLines(location, file, mergeAttributeLines())
    return { removed_config: removedConfig, attributes_file: file, removed_lines: removed }
  })

const exists = (path: string) => Effect.map(Effect.flatMap(RepoFs, (fs) => fs.kind(path)), (k) => k !== null)

/** `merge-driver-event-log --check`: how git routes each mission file, and whether that works. */
export const checkDrivers = (
  cwd: string
): Effect.Effect<DriverCheck, DriverInstallError, Requirements> =>
  Effect.gen(function*() {
    const git = yield* Git
    const fs = yield* RepoFs
    const location = yield* discoverPrimaryRoot(cwd)
    const root = location.primaryRoot
    const listed = yield* git.run(["config", "-z", "--get-regexp", "^merge\\."], { cwd: root, mode: "read" })
    const config = listed.exitCode === 0 ? parseConfigZ(listed.stdout) : new Map<string, string>()
    const probes = mergeAttributeProbes()
    const reader = yield* GitReader
    const attrs = parseCheckAttrZ(
      (yield* reader.readChecked(["check-attr", "-z", "merge", "--", ...probes.map((p) => p.path)], root)).stdout
    )

    const problems: Array<string> = []
    const routes: Array<DriverRoute> = []
    for (const probe of probes) {
      const driver = attrs.get(probe.path) ?? "unspecified"
      if (BUILTIN_MERGE_VALUES.has(driver)) {
        problems.push(`${probe.path}: no merge driver is routed to it; git merges it as text`)
        routes.push({ path: probe.path, driver, registered: false, command: null, launcher_exists: null })
        continue
      }
      const command = config.get(`merge.${driver}.driver`) ?? null
      if (command === null) {
        problems.push(
          `${probe.path}: the attributes name merge driver '${driver}', which is not registered in git config; ` +
            "git silently merges the file as text"
        )
        routes.push({ path: probe.path, driver, registered: false, command: null, launcher_exists: null })
        continue
      }
      const words = launcherWords(command).filter(isAbsolutePath)
      let launcherExists: boolean | null = null
      if (words.length > 0) {
        launcherExists = true
        for (const w of words) {
          if (!(yield* exists(w))) {
            launcherExists = false
            problems.push(`${probe.path}: merge driver '${driver}' runs ${w}, which no longer exists`)
          }
        }
      }
      const union = probe.driver === EVENT_LOG_DRIVER
      if (union && driver !== EVENT_LOG_DRIVER && driver !== SPEC_KITTY_EVENT_LOG_DRIVER) {
        problems.push(`${probe.path}: routed to merge driver '${driver}', which is not an event-log union`)
      }
      routes.push({ path: probe.path, driver, registered: true, command, launcher_exists: launcherExists })
    }

    const info = infoAttributesPath(location.commonDir)
    const tracked = gitattributesPath(root)
    const infoLines = mergeRoutingLines(yield* fs.readText(info), `${MISSIONS_DIR}/`)
    const trackedLines = mergeRoutingLines(yield* fs.readText(tracked), `${MISSIONS_DIR}/`)
    const ours = new Set(mergeAttributeLines())
    const attributesFile = infoLines.some((l) => ours.has(l)) ? info : trackedLines.some((l) => ours.has(l)) ? tracked : null
    const driverCommand = config.get(`merge.${EVENT_LOG_DRIVER}.driver`) ?? null
    const ourWords = driverCommand === null ? [] : launcherWords(driverCommand).filter(isAbsolutePath)
    let resolves = driverCommand !== null
    for (const w of ourWords) if (!(yield* exists(w))) resolves = false
    return {
      installed: problems.length === 0,
      driver_command: driverCommand,
      driver_resolves: resolves,
      attributes_file: attributesFile,
      lines: [...infoLines, ...trackedLines],
      routes,
      problems
    }
  })

/** The check as a failure when the drivers do not work (`MERGE_DRIVER_NOT_INSTALLED`, the report in the details). */
export const requireDrivers = (check: DriverCheck): Effect.Effect<DriverCheck, MergeError> =>
  check.installed
    ? Effect.succeed(check)
    : Effect.fail(
      mergeError("MERGE_DRIVER_NOT_INSTALLED", `The event-log merge drivers are not working: ${check.problems.join("; ")}`, {
        ...check
      })
    )
