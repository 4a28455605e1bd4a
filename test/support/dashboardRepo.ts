/**
 * A repository for dashboard tests and the bench: corpus missions (their meta.json and event log, with
 * a WP prompt file written for every WP of the log), a coordination mission with a lane worktree, all
 * committed on `main`. Everything is built from the repository's own corpus in a temp directory.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { CORPUS_DIR } from "./corpus.js"
import { commitAll, git, makeRepo, missionFiles, writeFiles } from "./repo.js"

/** The coordination mission of the fixture. */
export const COORD = {
  slug: "coord-board-01JZC0DB",
  id: "01JZC0DB000000000000000000",
  branch: "kitty/mission-coord-board-01JZC0DB",
  wps: ["WP01", "WP02", "WP03"]
} as const

/** The WP ids of an event log, in order of first appearance. */
export const wpIdsOfLog = (log: string): Array<string> => {
  const ids = new Set<string>()
  for (const m of log.matchAll(/"wp_id": "(WP\d+)"/g)) ids.add(m[1])
  return [...ids]
}

/** A prompt file for a WP. */
export const promptFile = (wp: string, title: string, body = "Implement it.\n"): string =>
  `---\nwork_package_id: ${wp}\ntitle: ${title}\nsubtasks:\n  - T${wp.slice(2)}1\n  - T${wp.slice(2)}2\n---\n\n` +
  `# Work Package Prompt: ${wp} – ${title}\n\n${body}`

/** Copies corpus missions into `root/kitty-specs` with a prompt file per WP of their logs. */
export const addCorpusMissions = (root: string, names: ReadonlyArray<string>, rename: (name: string, i: number) => string = (n) => n) =>
  names.forEach((name, i) => {
    const target = path.join(root, "kitty-specs", rename(name, i))
    fs.mkdirSync(path.join(target, "tasks"), { recursive: true })
    for (const f of ["meta.json", "status.events.jsonl", "status.json"]) {
      const src = path.join(CORPUS_DIR, name, f)
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(target, f))
    }
    const log = fs.existsSync(path.join(target, "status.events.jsonl")) ? fs.readFileSync(path.join(target, "status.events.jsonl"), "utf8") : ""
    for (const wp of wpIdsOfLog(log)) fs.writeFileSync(path.join(target, "tasks", `${wp}-work.md`), promptFile(wp, `${name.slice(0, 24)} ${wp}`))
  })

/** Corpus missions that resolve without a coordination branch and have an event log. */
export const BOARD_MISSIONS = [
  "050-state-model-cleanup-foundations",
  "069-planning-pipeline-integrity",
  "backward-transition-cli-emit-01KRV8GC"
] as const

/** The fixture: corpus missions, a coordination mission with a lane worktree; returns the paths. */
export const buildDashboardRepo = (extra: Readonly<Record<string, string>> = {}) => {
  const root = makeRepo()
  addCorpusMissions(root, BOARD_MISSIONS)
  const coordFiles = missionFiles(COORD.slug, COORD.id, COORD.wps, {
    topology: "lanes_with_coord",
    coordination_branch: COORD.branch,
    friendly_name: "Coordination board",
    created_at: "2026-01-02T00:00:00+00:00"
  })
  for (const wp of COORD.wps) {
    delete coordFiles[`kitty-specs/${COORD.slug}/tasks/${wp}-work.md`]
    coordFiles[`kitty-specs/${COORD.slug}/tasks/${wp}-work.md`] = promptFile(wp, `Coordinated ${wp}`)
  }
  writeFiles(root, {
    ...coordFiles,
    [`kitty-specs/${COORD.slug}/lanes.json`]: JSON.stringify({
      version: 1,
      mission_branch: COORD.branch,
      lanes: [{ lane_id: "lane-a", wp_ids: ["WP01"] }, { lane_id: "lane-b", wp_ids: ["WP02", "WP03"] }]
    }),
    [`kitty-specs/${COORD.slug}/plan.md`]: "# Plan\n\nShip it.\n",
    ...extra
  })
  commitAll(root, "missions")
  git(root, ["branch", COORD.branch])
  const lane = path.join(root, ".worktrees", `${COORD.slug}-lane-a`)
  git(root, ["worktree", "add", "-q", "-b", `${COORD.branch}-lane-a`, lane, "main"])
  return { root, lane, coordRoot: path.join(root, ".worktrees", `${COORD.slug}-coord`) }
}
