/**
 * The README documents what exists (issue 9, "CLI conventions"): every command of the command tree with
 * every one of its options and arguments in its own section, every error code of the closed code sets,
 * and every environment variable kittyctx reads; and nothing it lists as an error code is unknown. It
 * opens with what kittyctx is for and has an install section.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { commandTree } from "../../src/cli/Cli.js"
import type { CommandSpec } from "../../src/cli/CommandTree.js"
import { CLI_ERROR_CODES } from "../../src/cli/Output.js"
import { BACKGROUND_ERROR_CODES } from "../../src/core/background/BackgroundError.js"
import { CONFIG_ERROR_CODES } from "../../src/core/config/ConfigError.js"
import { DASHBOARD_ERROR_CODES } from "../../src/core/dashboard/DashboardError.js"
import { MERGE_ERROR_CODES } from "../../src/core/merge/MergeError.js"
import { RETROSPECT_ERROR_CODES } from "../../src/core/retrospect/RetrospectError.js"
import { SYNC_ERROR_CODES } from "../../src/core/sync/SyncError.js"
import { CONTEXT_ERROR_CODES } from "../../src/core/context/ContextError.js"
import { OCCURRENCE_ERROR_CODES } from "../../src/core/occurrence/OccurrenceMap.js"
import { GIT_ERROR_CODES, IO_ERROR_CODES } from "../../src/core/repo/RepoError.js"
import { STATUS_ERROR_CODES } from "../../src/core/status/StatusError.js"
import { SURFACE_ERROR_CODES } from "../../src/core/surfaces/SurfaceError.js"
import * as Kittyctx from "../../src/index.js"
import { SETTING_VARIABLES } from "../../src/services/ports/Settings.js"

const README = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8")

/** Every command a user runs: the leaves, and a group that takes options itself (`dashboard --status`). */
const leaves = (c: CommandSpec): Array<CommandSpec> => [
  ...(c.path.length > 0 && (c.subcommands.length === 0 || c.options.length + c.args.length > 0) ? [c] : []),
  ...c.subcommands.flatMap(leaves)
]

/** The README's section of a command: from its heading to the next heading. */
const section = (path: ReadonlyArray<string>): string | null => {
  const heading = `### \`kittyctx ${path.join(" ")}\``
  const start = README.indexOf(`${heading}\n`)
  if (start < 0) return null
  const next = README.indexOf("\n#", start + heading.length)
  return README.slice(start, next < 0 ? undefined : next)
}

const ALL_CODES = [
  ...CLI_ERROR_CODES,
  ...CONFIG_ERROR_CODES,
  ...CONTEXT_ERROR_CODES,
  ...OCCURRENCE_ERROR_CODES,
  ...GIT_ERROR_CODES,
  ...IO_ERROR_CODES,
  ...STATUS_ERROR_CODES,
  ...SURFACE_ERROR_CODES,
  ...BACKGROUND_ERROR_CODES,
  ...DASHBOARD_ERROR_CODES,
  ...MERGE_ERROR_CODES,
  ...RETROSPECT_ERROR_CODES,
  ...SYNC_ERROR_CODES,
  // and any family the library exports (a new one is covered without editing this list)
  ...Object.entries(Kittyctx as Record<string, unknown>)
    .filter(([name, v]) => /_ERROR_CODES$/.test(name) && Array.isArray(v))
    .flatMap(([, v]) => v as ReadonlyArray<string>)
]

describe("README", () => {
  it("opens with what kittyctx is for and has an install section", () => {
    assert.match(README, /^# kittyctx\n\nkittyctx is /)
    assert.match(README, /\n## Install\n[\s\S]*npm install -g kittyctx[\s\S]*Node\.js 20/)
  })

  it("documents every command, with each of its options and arguments in its section", () => {
    const commands = leaves(commandTree())
    assert.isAbove(commands.length, 15)
    for (const c of commands) {
      const text = section(c.path)
      assert.isNotNull(text, `no section for kittyctx ${c.path.join(" ")}`)
      for (const o of c.options) {
        for (const name of [o.name, ...o.aliases]) assert.include(text, `\`${name}\``, `${c.path.join(" ")} ${name}`)
        for (const v of o.choices ?? []) assert.include(text, `\`${v}\``, `${c.path.join(" ")} ${o.name} ${v}`)
      }
      for (const a of c.args) assert.include(text, `\`<${a.name}>\``, `${c.path.join(" ")} <${a.name}>`)
    }
  })

  it("has no section for a command that does not exist", () => {
    const known = new Set(leaves(commandTree()).map((c) => c.path.join(" ")))
    for (const m of README.matchAll(/^### `kittyctx ([^`]+)`$/gm)) assert.isTrue(known.has(m[1]), `stale section: ${m[1]}`)
  })

  it("documents every error code, and lists none that does not exist", () => {
    for (const code of ALL_CODES) assert.match(README, new RegExp(`\\| \`${code}\` \\|`), code)
    const known = new Set<string>(ALL_CODES)
    for (const m of README.matchAll(/^\| `([A-Z0-9_]+)` \| [a-z]+ \|/gm)) assert.isTrue(known.has(m[1]), `unknown code: ${m[1]}`)
  })

  it("documents every environment variable kittyctx reads", () => {
    for (const name of SETTING_VARIABLES) assert.include(README, `| \`${name}\` |`, name)
  })
})
