/**
 * The start-up fast path (docs/ARCHITECTURE.md, "Start-up"): the hot commands (`status show`,
 * `status emit`, `context resolve`) run straight from a strict reading of their argv, with only the
 * services they use, and without loading or building the command tree; `--version` needs nothing at all.
 * Anything the reading does not recognise exactly (help, `--option=value`, an unknown, repeated or
 * valueless option, a value that starts with `-`, a boolean followed by a word the full parser could take
 * as its value) goes to the full parser, which gives its usual answer. Each entry mirrors its command's
 * definition in `StatusCommands.ts` / `ContextCommands.ts`; `test/cli/fastpath.cli.test.ts` holds the two
 * readings together.
 */
import { Effect, Layer, Option } from "effect"
import { ACTIONS } from "../core/context/ExecutionContext.js"
import { DISPLAY_LANES } from "../core/status/Lane.js"
import { makeReadLayer, makeStatusLayer } from "../services/StatusLayer.js"
import { resolveProgram } from "./ContextPrograms.js"
import type { CliExit } from "./Output.js"
import { emitProgram, showProgram } from "./StatusPrograms.js"
import type { Cwd } from "./Invocation.js"

/** How one command reads its argv: option names to keys, and its positional arguments. */
interface ArgvSpec {
  readonly path: readonly [string, string]
  readonly text: Readonly<Record<string, string>>
  readonly booleans: Readonly<Record<string, string>>
  readonly positionals: ReadonlyArray<string>
  readonly required: ReadonlyArray<string>
  readonly choices?: Readonly<Record<string, ReadonlyArray<string>>>
}

/** What a strict reading found: text values, booleans set, positionals. */
type Parsed = { readonly text: Record<string, string>; readonly flags: Set<string>; readonly args: Record<string, string> }

// words a boolean option may take as its value in the full parser
const BOOLEAN_WORDS = new Set(["true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"])

/** Reads argv strictly against a spec; null when anything is not plainly one of its forms. */
export const readArgv = (argv: ReadonlyArray<string>, spec: ArgvSpec): Parsed | null => {
  if (argv[0] !== spec.path[0] || argv[1] !== spec.path[1]) return null
  const text: Record<string, string> = {}
  const flags = new Set<string>()
  const positionals: Array<string> = []
  for (let i = 2; i < argv.length; i++) {
    const token = argv[i]
    if (token.startsWith("-")) {
      const key = spec.text[token]
      if (key !== undefined) {
        const value = argv[i + 1]
        if (value === undefined || value.startsWith("-") || key in text) return null
        const allowed = spec.choices?.[key]
        if (allowed !== undefined && !allowed.includes(value)) return null
        text[key] = value
        i++
        continue
      }
      const flag = spec.booleans[token]
      if (flag === undefined || flags.has(flag)) return null
      const next = argv[i + 1]
      if (next !== undefined && BOOLEAN_WORDS.has(next.toLowerCase())) return null
      flags.add(flag)
      continue
    }
    positionals.push(token)
  }
  if (positionals.length !== spec.positionals.length) return null
  if (spec.required.some((k) => !(k in text))) return null
  const args: Record<string, string> = {}
  spec.positionals.forEach((name, i) => (args[name] = positionals[i]))
  return { text, flags, args }
}

const MISSION = { "--mission": "mission", "--feature": "mission" }
const opt = (p: Parsed, key: string): Option.Option<string> => Option.fromNullable(p.text[key])

/** A command the fast path runs: its reading of argv, and its program with the services it needs provided. */
interface FastCommand {
  readonly spec: ArgvSpec
  readonly run: (p: Parsed) => Effect.Effect<void, CliExit, Cwd>
}

/** Typed so that a program needing a service its layer lacks does not compile (it would die at run time). */
const fastCommand = <ROut, R extends ROut | Cwd>(c: {
  readonly spec: ArgvSpec
  readonly program: (p: Parsed) => Effect.Effect<void, CliExit, R>
  readonly layer: () => Layer.Layer<ROut>
}): FastCommand => ({ spec: c.spec, run: (p) => c.program(p).pipe(Effect.provide(c.layer())) })

const FAST: ReadonlyArray<FastCommand> = [
  fastCommand({
    // kittyctx status show --mission <handle> [--json] [--at <point>]
    spec: {
      path: ["status", "show"],
      text: { ...MISSION, "--feature-dir": "featureDir", "--at": "at" },
      booleans: { "--json": "json" },
      positionals: [],
      required: []
    },
    program: (p) =>
      showProgram({ mission: opt(p, "mission"), featureDir: opt(p, "featureDir"), at: opt(p, "at"), json: p.flags.has("json") }),
    layer: () => makeReadLayer()
  }),
  fastCommand({
    // kittyctx context resolve --mission <handle> [--action A] [--wp WP] [--cwd DIR] [--json]
    spec: {
      path: ["context", "resolve"],
      text: { ...MISSION, "--action": "action", "--wp": "wp", "--cwd": "cwd" },
      booleans: { "--json": "json" },
      positionals: [],
      required: [],
      choices: { action: ACTIONS }
    },
    program: (p) =>
      resolveProgram({
        mission: opt(p, "mission"),
        action: p.text.action ?? "status",
        wp: opt(p, "wp"),
        cwd: opt(p, "cwd"),
        json: p.flags.has("json")
      }),
    layer: () => makeReadLayer()
  }),
  fastCommand({
    // kittyctx status emit <WP> --to <lane> --actor <name> --mission <handle> [...]
    spec: {
      path: ["status", "emit"],
      text: {
        ...MISSION,
        "--feature-dir": "featureDir",
        "--to": "to",
        "--actor": "actor",
        "--reason": "reason",
        "--review-ref": "reviewRef",
        "--evidence-json": "evidenceJson",
        "--review-result-json": "reviewResultJson",
        "--execution-mode": "executionMode"
      },
      booleans: { "--json": "json", "--force": "force", "--auto-commit": "autoCommit", "--no-auto-commit": "noAutoCommit" },
      positionals: ["wp"],
      required: ["to", "actor"],
      choices: { executionMode: ["worktree", "direct_repo"], to: [...DISPLAY_LANES, "doing"] }
    },
    program: (p) =>
      emitProgram({
        wp: p.args.wp,
        to: p.text.to,
        actor: p.text.actor,
        mission: opt(p, "mission"),
        featureDir: opt(p, "featureDir"),
        force: p.flags.has("force"),
        reason: opt(p, "reason"),
        reviewRef: opt(p, "reviewRef"),
        evidenceJson: opt(p, "evidenceJson"),
        reviewResultJson: opt(p, "reviewResultJson"),
        executionMode: (p.text.executionMode ?? "worktree") as "worktree" | "direct_repo",
        autoCommit: { autoCommit: p.flags.has("autoCommit"), noAutoCommit: p.flags.has("noAutoCommit") },
        json: p.flags.has("json")
      }),
    // the sync backlog warning after the event reads the runtime root (docs/surfaces.md §8.5), which
    // the status layer's runtime files port resolves
    layer: () => makeStatusLayer()
  })
]

/** The program of a hot command, with its services provided (it needs only the `Cwd`); null: use the full parser. */
export const fastProgram = (argv: ReadonlyArray<string>): Effect.Effect<void, CliExit, Cwd> | null => {
  for (const command of FAST) {
    const parsed = readArgv(argv, command.spec)
    if (parsed !== null) return command.run(parsed)
  }
  return null
}
