/**
 * Read-only access to the spec-kitty mission corpus kept in the repository (test/fixtures/spec-kitty).
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

/** Absolute path of the corpus directory. */
export const CORPUS_DIR = fileURLToPath(new URL("../fixtures/spec-kitty/missions/", import.meta.url))

/** The missions whose committed status.json is stale (docs/status-model.md §15). */
export const STALE_SNAPSHOTS: ReadonlySet<string> = new Set([
  "rc3-lane-allocation-single-seam-01M0GGX8",
  "expected-artifacts-manifest-repair-01KZY498",
  "deliver-loaded-doctrine-01M0DSQM",
  "rc3-mission-type-backfill-01M0GGNS",
  "single-authority-resolution-parity-01M0CEBQ",
  "kind-complete-cascade-orphan-wiring-01M0FQCD",
  "operating-procedures-validate-triage-01M0DR8F",
  "project-tier-drg-node-emission-01M0DM94",
  "symbolkey-source-module-01M0B0SF"
])

/** One corpus mission's files (null when absent). */
export interface CorpusMission {
  readonly name: string
  readonly dir: string
  readonly log: string | null
  readonly statusJson: string | null
  readonly metaText: string | null
}

const readOrNull = (p: string): string | null => (fs.existsSync(p) ? fs.readFileSync(p, "utf8") : null)

/** Every corpus mission, sorted by name. */
export const corpusMissions = (): ReadonlyArray<CorpusMission> =>
  fs.readdirSync(CORPUS_DIR).sort().map((name) => {
    const dir = CORPUS_DIR + name
    return {
      name,
      dir,
      log: readOrNull(`${dir}/status.events.jsonl`),
      statusJson: readOrNull(`${dir}/status.json`),
      metaText: readOrNull(`${dir}/meta.json`)
    }
  })
