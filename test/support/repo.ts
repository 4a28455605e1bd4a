/**
 * Real git repositories in temp directories for tests, and the built CLI run as a real process.
 * Every helper takes explicit paths; nothing changes the process CWD.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The built CLI launcher (`npm run build` makes it; `npm test` builds first). */
export const CLI = fileURLToPath(new URL("../../dist/kittyctx.cjs", import.meta.url))

/** An environment isolated from the user's git config and from inherited git location variables. */
export const isolatedEnv = (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith("GIT_") || k === "SPECIFY_REPO_ROOT") delete env[k]
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
    ...extra
  }
}

/** A temp directory (realpathed); remove it with `removeTemp`. */
export const makeTemp = (prefix = "kittyctx-"): string => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))

/** Removes a temp directory. */
export const removeTemp = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true })

/** Runs git in `cwd` (throws with stderr on failure) and returns trimmed stdout. */
export const git = (cwd: string, args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv): string =>
  execFileSync("git", ["-C", cwd, ...args], {
    env: env ?? isolatedEnv(path.dirname(cwd)),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"]
  }).trim()

/** The `.kittify/config.yaml` of a test repository. */
export interface RepoConfig {
  /**
   * `auto_commit` (default `false`: status writes stay uncommitted, so tests that are not about commits
   * can target `main`; kittyctx's own default is on, tested where commits matter).
   */
  readonly autoCommit?: boolean | null
  /** `protection.protected_branches`; absent: spec-kitty's defaults. */
  readonly protectedBranches?: ReadonlyArray<string>
}

/** The text of a test repository's `.kittify/config.yaml`. */
export const configYaml = (config: RepoConfig = {}): string =>
  "project: test\n" +
  (config.autoCommit === null ? "" : `auto_commit: ${config.autoCommit ?? false}\n`) +
  (config.protectedBranches === undefined
    ? ""
    : `protection:\n  protected_branches: [${config.protectedBranches.join(", ")}]\n`)

/** A fresh repository: `git init -b main`, identity, no signing, `.kittify/config.yaml`, one commit. */
export const makeRepo = (root?: string, config: RepoConfig = {}): string => {
  const dir = root ?? path.join(makeTemp(), "repo")
  fs.mkdirSync(path.join(dir, ".kittify"), { recursive: true })
  fs.writeFileSync(path.join(dir, ".kittify", "config.yaml"), configYaml(config))
  fs.writeFileSync(path.join(dir, ".gitignore"), ".worktrees/\n.kittify/derived/\n.kittify/workspaces/\n")
  git(dir, ["init", "-q", "-b", "main"])
  git(dir, ["config", "user.email", "test@example.com"])
  git(dir, ["config", "user.name", "Test"])
  git(dir, ["config", "commit.gpgsign", "false"])
  git(dir, ["add", "-A"])
  git(dir, ["commit", "-q", "-m", "init"])
  return dir
}

/** Writes files relative to `root` (creating directories). */
export const writeFiles = (root: string, files: Readonly<Record<string, string>>): void => {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, text)
  }
}

/** Stages everything and commits. */
export const commitAll = (root: string, message: string): void => {
  git(root, ["add", "-A"])
  git(root, ["commit", "-q", "--allow-empty", "-m", message])
}

/** The result of one CLI process. */
export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built CLI as a real process in `cwd`. */
export const runCli = (cwd: string, args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv): CliRun => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: env ?? isolatedEnv(path.dirname(cwd)),
    encoding: "utf8"
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs the built CLI asynchronously (for concurrency tests). */
export const runCliAsync = (cwd: string, args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv): Promise<CliRun> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: env ?? isolatedEnv(path.dirname(cwd)) })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** A genesis → planned bootstrap row for a WP, in spec-kitty's exact line format. */
export const bootstrapLine = (slug: string, missionId: string, wp: string, eventId: string, at: string): string =>
  `{"actor": "finalize-tasks", "at": "${at}", "event_id": "${eventId}", "evidence": null, "execution_mode": "worktree", ` +
  `"force": false, "from_lane": "genesis", "mission_id": "${missionId}", "mission_slug": "${slug}", ` +
  `"policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, "review_result": null, ` +
  `"to_lane": "planned", "wp_id": "${wp}"}`

/** A WP prompt file with frontmatter. */
export const wpFile = (wp: string, opts: { subtasks?: ReadonlyArray<string>; executionMode?: string } = {}): string =>
  `---\nwork_package_id: ${wp}\ntitle: ${wp} work\n` +
  (opts.subtasks === undefined ? "" : `subtasks:\n${opts.subtasks.map((s) => `  - ${s}`).join("\n")}\n`) +
  (opts.executionMode === undefined ? "" : `execution_mode: ${opts.executionMode}\n`) +
  `---\n\n# ${wp}\n`

/** Files of a mission with `wps` WPs bootstrapped to `planned` (fixed ids and times). */
export const missionFiles = (
  slug: string,
  missionId: string,
  wps: ReadonlyArray<string>,
  meta: Record<string, unknown> = {}
): Record<string, string> => {
  const files: Record<string, string> = {}
  const dir = `kitty-specs/${slug}`
  files[`${dir}/meta.json`] = JSON.stringify(
    { mission_id: missionId, mission_slug: slug, slug, mission_type: "software-dev", target_branch: "main", ...meta },
    null,
    2
  ) + "\n"
  files[`${dir}/status.events.jsonl`] = wps
    .map((wp, i) =>
      bootstrapLine(slug, missionId, wp, `01JZ000000000000000000${String(i).padStart(4, "0")}`, `2026-01-01T00:00:0${i}.000000+00:00`)
    )
    .join("\n") + "\n"
  for (const wp of wps) files[`${dir}/tasks/${wp}-work.md`] = wpFile(wp, { subtasks: [] })
  files[`${dir}/spec.md`] = `# ${slug}\n`
  return files
}
