// npm run demo: builds a small spec-kitty repository in a temp directory (git init, one mission with
// three work packages, a lane worktree) and walks the daily loop on it: where the state lives, the
// analysis, a claim, subtasks, review, the refusals a user meets, and a clean tree after every step.
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"

const CLI = resolve("dist/kittyctx.cjs")
const root = join(realpathSync(mkdtempSync(join(tmpdir(), "kittyctx-demo-"))), "shop")
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dirname(root) }
for (const k of Object.keys(env)) if (k.startsWith("GIT_DIR") || k === "GIT_WORK_TREE") delete env[k]

const git = (...args) => execFileSync("git", ["-C", root, ...args], { env, encoding: "utf8" }).trim()
const write = (rel, text) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text)
}
const run = (title, args, cwd = root, extraEnv = {}) => {
  const prefix = Object.entries(extraEnv).map(([k, v]) => `${k}=${v} `).join("")
  console.log(`\n\x1b[1m$ ${prefix}kittyctx ${args.join(" ")}\x1b[0m${cwd === root ? "" : `   (from ${cwd.slice(root.length + 1)})`}`)
  if (title) console.log(`# ${title}`)
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...env, ...extraEnv }, encoding: "utf8" })
  process.stdout.write(r.stdout)
  process.stdout.write(r.stderr)
  console.log(`(exit ${r.status})`)
  return r
}

const slug = "checkout-flow-01KDEM0A"
const id = "01KDEM0A5XHXMNQW0NV81MK1MT"
const dir = `kitty-specs/${slug}`
mkdirSync(root, { recursive: true })
git("init", "-q", "-b", "develop")
git("config", "user.email", "demo@example.com")
git("config", "user.name", "Demo")
write(".kittify/config.yaml", "project: shop\n")
write(".gitignore", ".worktrees/\n.kittify/derived/\n.kittify/workspaces/\n")
write(`${dir}/meta.json`, JSON.stringify({
  mission_id: id, mission_slug: slug, slug, mission_number: 7, mission_type: "software-dev",
  target_branch: "develop", topology: "lanes", friendly_name: "Checkout flow"
}, null, 2) + "\n")
write(`${dir}/lanes.json`, JSON.stringify({
  version: 1, mission_slug: slug, mission_id: id, mission_branch: `kitty/mission-${slug}`, target_branch: "develop",
  lanes: [{ lane_id: "lane-a", wp_ids: ["WP01", "WP02"] }, { lane_id: "lane-b", wp_ids: ["WP03"] }]
}, null, 2) + "\n")
const seed = (wp, i) =>
  `{"actor": "finalize-tasks", "at": "2026-11-01T09:00:0${i}.000000+00:00", "event_id": "01KDEM0B00000000000000000${i}", ` +
  `"evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "genesis", "mission_id": "${id}", ` +
  `"mission_slug": "${slug}", "policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, ` +
  `"review_result": null, "to_lane": "planned", "wp_id": "${wp}"}`
write(`${dir}/status.events.jsonl`, ["WP01", "WP02", "WP03"].map(seed).join("\n") + "\n")
const titles = { WP01: "Cart summary", WP02: "Payment form", WP03: "Receipts" }
const subtasks = { WP01: ["T001", "T002"], WP02: ["T003"], WP03: ["T004"] }
for (const wp of ["WP01", "WP02", "WP03"]) {
  write(`${dir}/tasks/${wp}-work.md`, `---\nwork_package_id: ${wp}\ntitle: ${titles[wp]}\nsubtasks: [${subtasks[wp].join(", ")}]\n---\n# ${wp} ${titles[wp]}\n`)
}
write(`${dir}/spec.md`, "# Checkout flow\n\nCustomers pay in one step.\n")
write(`${dir}/plan.md`, "# Plan\n\nThree work packages in two lanes.\n")
write(`${dir}/tasks.md`, "# Tasks\n\n- [ ] T001 cart totals (WP01)\n- [ ] T002 cart layout (WP01)\n- [ ] T003 payment form (WP02)\n- [ ] T004 receipts (WP03)\n")
git("add", "-A")
git("commit", "-q", "-m", "Mission checkout-flow planned")
git("branch", "main")
git("branch", `kitty/mission-${slug}`)
git("worktree", "add", "-q", "-b", `kitty/mission-${slug}-lane-a`, `.worktrees/${slug}-lane-a`, `kitty/mission-${slug}`)
const lane = join(root, ".worktrees", `${slug}-lane-a`)

const porcelain = () => {
  const out = git("status", "--porcelain")
  console.log(out === "" ? "# git status: clean" : `# git status:\n${out}`)
}

console.log(`Demo repository: ${root} (on develop, the mission's target; main is protected by default)`)
console.log(`One mission (${slug}) with three work packages in two lanes, and a lane worktree with its own (soon stale) copy.`)

run("Where does this mission's state live? Any handle form works (here the mid8).", ["context", "resolve", "--mission", "01KDEM0A"])
run("Every mission, newest first", ["mission", "list"])
run("The board, folded from status.events.jsonl", ["status", "show", "--mission", slug])

const analysis = join(dirname(root), "analysis.md")
writeFileSync(analysis, [
  "---", "schema: analysis-findings/v1", "findings:",
  "  - {id: A1, severity: low, category: wording, summary: \"WP03 title could be clearer\"}",
  "counts: {critical: 0, high: 0, medium: 0, low: 1, info: 0}", "---", "", "Spec, plan and tasks agree.", ""
].join("\n"))
run("The analysis report: written in the placement checkout and committed on develop",
  ["mission", "record-analysis", "--mission", slug, "--input-file", analysis, "--agent", "claude"])
run("Freshness: the same answer from the lane worktree", ["mission", "analysis-status", "--mission", slug, "--json"], lane)
const claim = run("The claim: analysis gate, the lane worktree per lanes.json (reused here), the status rows, committed",
  ["implement", "WP01", "--mission", slug, "--agent", "alice", "--json"])
porcelain()
run("Subtasks done, from the lane worktree (its branch names the mission: no --mission needed)",
  ["tasks", "mark-status", "T001", "T002", "--status", "done"], lane)
writeFileSync(join(lane, "cart.js"), "export const total = (items) => items.reduce((n, i) => n + i.price, 0)\n")
execFileSync("git", ["-C", lane, "add", "cart.js"], { env })
execFileSync("git", ["-C", lane, "commit", "-q", "-m", "WP01: cart totals"], { env })
run("Ready for review: the guard sees the completed subtasks and the implementation commit", ["status", "emit", "WP01", "--to", "for_review", "--actor", "alice"], lane)
run("Review", ["status", "emit", "WP01", "--to", "in_review", "--actor", "carol", "--mission", slug])
run("An illegal move is refused with spec-kitty's own message, and nothing is written", ["status", "emit", "WP02", "--to", "done", "--actor", "bob", "--mission", slug, "--json"])
run("A protected destination is refused before anything is written (here develop, protected for this one command)",
  ["status", "emit", "WP01", "--to", "approved", "--actor", "carol", "--mission", slug, "--json"], root, { KITTYCTX_PROTECTED_BRANCHES: "develop" })
run("Approved, with the structured review outcome", ["status", "emit", "WP01", "--to", "approved", "--actor", "carol", "--mission", slug,
  "--review-result-json", JSON.stringify({ reviewer: "carol", verdict: "approved", reference: "review-1" })])
porcelain()
run("The same board from the lane worktree: its stale copy is never read", ["status", "show", "--mission", "checkout-flow"], lane)
const claimEvent = JSON.parse(claim.stdout).event_id
if (typeof claimEvent === "string") run("Time travel: the board as it was right after the claim", ["status", "show", "--mission", slug, "--at", claimEvent])
run("Integrity checks", ["status", "validate", "--mission", slug])
run("Why each value is what it is", ["context", "explain", "--mission", slug, "--action", "implement", "--wp", "WP03"])
run("Unknown handles are never guessed; the nearest are suggested", ["context", "resolve", "--mission", "checkout", "--json"])
console.log(`\n${git("log", "--oneline", "develop")}`)

console.log(`\nThe lane copy of the log is untouched: ${readFileSync(join(lane, dir, "status.events.jsonl"), "utf8").split("\n").filter(Boolean).length} lines there, ` +
  `${readFileSync(join(root, dir, "status.events.jsonl"), "utf8").split("\n").filter(Boolean).length} in the canonical log.`)
if (process.env.KITTYCTX_DEMO_KEEP !== "1") rmSync(dirname(root), { recursive: true, force: true })
else console.log(`Kept ${root}`)
