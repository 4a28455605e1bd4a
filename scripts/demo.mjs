// npm run demo: builds a small spec-kitty repository in a temp directory (git init, one mission with
// three work packages, a lane worktree) and runs the main kittyctx commands on it.
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"

const CLI = resolve("dist/kittyctx.mjs")
const root = join(realpathSync(mkdtempSync(join(tmpdir(), "kittyctx-demo-"))), "shop")
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dirname(root) }
for (const k of Object.keys(env)) if (k.startsWith("GIT_DIR") || k === "GIT_WORK_TREE") delete env[k]

const git = (...args) => execFileSync("git", ["-C", root, ...args], { env, encoding: "utf8" }).trim()
const write = (rel, text) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text)
}
const run = (title, args, cwd = root) => {
  console.log(`\n\x1b[1m$ kittyctx ${args.join(" ")}\x1b[0m${cwd === root ? "" : `   (from ${cwd.slice(root.length + 1)})`}`)
  if (title) console.log(`# ${title}`)
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8" })
  process.stdout.write(r.stdout)
  process.stdout.write(r.stderr)
  console.log(`(exit ${r.status})`)
  return r
}

const slug = "checkout-flow-01KDEM0A"
const id = "01KDEM0A5XHXMNQW0NV81MK1MT"
const dir = `kitty-specs/${slug}`
mkdirSync(root, { recursive: true })
git("init", "-q", "-b", "main")
git("config", "user.email", "demo@example.com")
git("config", "user.name", "Demo")
write(".kittify/config.yaml", "project: shop\n")
write(".gitignore", ".worktrees/\n.kittify/derived/\n")
write(`${dir}/meta.json`, JSON.stringify({
  mission_id: id, mission_slug: slug, slug, mission_number: 7, mission_type: "software-dev",
  target_branch: "main", topology: "lanes", friendly_name: "Checkout flow"
}, null, 2) + "\n")
write(`${dir}/lanes.json`, JSON.stringify({
  version: 1, mission_slug: slug, mission_id: id, mission_branch: `kitty/mission-${slug}`, target_branch: "main",
  lanes: [{ lane_id: "lane-a", wp_ids: ["WP01", "WP02"] }, { lane_id: "lane-b", wp_ids: ["WP03"] }]
}, null, 2) + "\n")
const seed = (wp, i) =>
  `{"actor": "finalize-tasks", "at": "2026-11-01T09:00:0${i}.000000+00:00", "event_id": "01KDEM0B00000000000000000${i}", ` +
  `"evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "genesis", "mission_id": "${id}", ` +
  `"mission_slug": "${slug}", "policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, ` +
  `"review_result": null, "to_lane": "planned", "wp_id": "${wp}"}`
write(`${dir}/status.events.jsonl`, ["WP01", "WP02", "WP03"].map(seed).join("\n") + "\n")
for (const wp of ["WP01", "WP02", "WP03"]) write(`${dir}/tasks/${wp}-work.md`, `---\nwork_package_id: ${wp}\nsubtasks: []\n---\n# ${wp}\n`)
write(`${dir}/spec.md`, "# Checkout flow\n\nCustomers pay in one step.\n")
write(`${dir}/plan.md`, "# Plan\n\nThree work packages in two lanes.\n")
write(`${dir}/tasks.md`, "# Tasks\n\n- [ ] T001 cart summary (WP01)\n- [ ] T002 payment form (WP02)\n- [ ] T003 receipts (WP03)\n")
git("add", "-A")
git("commit", "-q", "-m", "Mission checkout-flow planned")
git("worktree", "add", "-q", "-b", `kitty/mission-${slug}-lane-a`, `.worktrees/${slug}-lane-a`)
const lane = join(root, ".worktrees", `${slug}-lane-a`)

console.log(`Demo repository: ${root}`)
console.log(`One mission (${slug}) with three work packages, and a lane worktree with its own (soon stale) copy.`)

run("Where does this mission's state live? Any handle form works (here the mid8).", ["context", "resolve", "--mission", "01KDEM0A"])
run("The board, folded from status.events.jsonl", ["status", "show", "--mission", slug])
const claim = run("A claim (JSON output: the event exactly as written to the log)", ["status", "emit", "WP01", "--to", "claimed", "--actor", "alice", "--mission", slug, "--json"])
const claimId = JSON.parse(claim.stdout).event.event_id
run("Work starts; emitted from inside the lane worktree, it still lands on the canonical log", ["status", "emit", "WP01", "--to", "doing", "--actor", "alice", "--mission", slug], lane)
run("An illegal move is refused with spec-kitty's own message, and nothing is written", ["status", "emit", "WP02", "--to", "done", "--actor", "bob", "--mission", slug, "--json"])
run("The same board from the lane worktree: its stale copy is never read", ["status", "show", "--mission", "checkout-flow"], lane)
run("Time travel: the board as it was right after the claim", ["status", "show", "--mission", slug, "--at", claimId])
run("Integrity checks", ["status", "validate", "--mission", slug])
run("status.json (byte-compatible with spec-kitty's) was kept current by every emit", ["status", "materialize", "--mission", slug, "--json"])
run("Why each value is what it is", ["context", "explain", "--mission", slug, "--action", "implement", "--wp", "WP03"])
run("Unknown handles are never guessed", ["context", "resolve", "--mission", "checkout", "--json"])

const analysis = join(dirname(root), "analysis.md")
writeFileSync(analysis, [
  "---", "schema: analysis-findings/v1", "findings:",
  "  - {id: A1, severity: low, category: wording, summary: \"WP03 title could be clearer\"}",
  "counts: {critical: 0, high: 0, medium: 0, low: 1, info: 0}", "---", "", "Spec, plan and tasks agree.", ""
].join("\n"))
run("Recording the analysis refuses on a dirty tree (the status files changed above) and writes nothing",
  ["mission", "record-analysis", "--mission", slug, "--input-file", analysis, "--agent", "claude", "--json"])
git("add", "-A")
git("commit", "-q", "-m", "status updates")
run("The placement ref is main, a protected branch: refused unless the operator allows it",
  ["mission", "record-analysis", "--mission", slug, "--input-file", analysis, "--agent", "claude", "--json"])
env.KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS = "1"
run("With KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS=1 the report is written and committed on main",
  ["mission", "record-analysis", "--mission", slug, "--input-file", analysis, "--agent", "claude"])
run("Freshness: the same answer from the lane worktree", ["mission", "analysis-status", "--mission", slug, "--json"], lane)
run("The claim: analysis gate, lane worktree per lanes.json (reused here), planned -> claimed with the sidecar",
  ["implement", "WP02", "--mission", slug, "--agent", "bob", "--json"])
delete env.KITTYCTX_ALLOW_PROTECTED_BRANCH_COMMITS

console.log(`\nThe lane copy of the log is untouched: ${readFileSync(join(lane, dir, "status.events.jsonl"), "utf8").split("\n").filter(Boolean).length} lines there, ` +
  `${readFileSync(join(root, dir, "status.events.jsonl"), "utf8").split("\n").filter(Boolean).length} in the canonical log.`)
if (process.env.KITTYCTX_DEMO_KEEP !== "1") rmSync(dirname(root), { recursive: true, force: true })
else console.log(`Kept ${root}`)
