/**
 * The command line read against the command tree before @effect/cli parses it (docs/surfaces.md §9.1):
 * help, version and completions are answered here; an unknown command or option, a missing value,
 * argument or required option, or a value outside an option's enumerated values is a usage error with
 * the nearest spellings at the right level (exit 2, the JSON envelope under `--json`). Enumerated values
 * match case-insensitively and are passed on in their canonical spelling.
 */
import { nearest } from "../core/Nearest.js"
import type { CommandSpec, OptionSpec } from "./CommandTree.js"
import { PROGRAM, usageLine } from "./Help.js"

/** The shells a completion script is generated for. */
export const SHELLS = ["bash", "zsh", "fish"] as const
/** A supported shell. */
export type Shell = (typeof SHELLS)[number]

/** A usage error: what is wrong with the command line, and where (exit 2). */
export interface UsageProblem {
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}

/** What the front decided. */
export type FrontDecision =
  | { readonly _tag: "Help"; readonly command: CommandSpec }
  | { readonly _tag: "Version" }
  | { readonly _tag: "Completions"; readonly shell: Shell }
  | { readonly _tag: "Usage"; readonly problem: UsageProblem; readonly json: boolean }
  | { readonly _tag: "Run"; readonly args: ReadonlyArray<string>; readonly command: CommandSpec; readonly json: boolean }

const isHelp = (a: string) => a === "--help" || a === "-h"

const full = (c: CommandSpec) => [PROGRAM, ...c.path].join(" ")

const problem = (c: CommandSpec, message: string, details: Record<string, unknown> = {}): UsageProblem => ({
  message: `${message}\nUsage: ${usageLine(c)}\nRun '${full(c)} --help' for help.`,
  details: { command: full(c), usage: usageLine(c), ...details }
})

const didYouMean = (suggestions: ReadonlyArray<string>) =>
  suggestions.length === 0 ? "" : ` Did you mean ${suggestions.join(" or ")}?`

const findOption = (c: CommandSpec, name: string): OptionSpec | undefined =>
  c.options.find((o) => o.name === name || o.aliases.includes(name))

const canonicalChoice = (choices: ReadonlyArray<string>, value: string): string | undefined => {
  const v = value.trim().toLowerCase()
  return choices.find((c) => c.toLowerCase() === v)
}

/** A command with subcommands that also runs by itself: it has options or arguments of its own. */
const runsItself = (c: CommandSpec): boolean => c.path.length > 0 && (c.options.length > 0 || c.args.length > 0)

/** Reads `args` (the words after the program name) against `tree`. */
export const readCommandLine = (tree: CommandSpec, args: ReadonlyArray<string>): FrontDecision => {
  const helpAsked = args.some(isHelp)
  let node = tree
  let i = 0
  // 1. the command path
  while (node.subcommands.length > 0 && i < args.length) {
    const a = args[i]
    if (a.startsWith("-")) {
      if (isHelp(a)) {
        i++
        continue
      }
      if (node === tree && a === "--version") return { _tag: "Version" }
      if (node === tree && (a === "--completions" || a.startsWith("--completions="))) {
        const shell = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[i + 1]
        if (shell !== undefined && (SHELLS as ReadonlyArray<string>).includes(shell)) return { _tag: "Completions", shell: shell as Shell }
        return {
          _tag: "Usage",
          problem: problem(tree, `--completions needs a shell: ${SHELLS.join(", ")}.`, { valid_values: SHELLS }),
          json: false
        }
      }
      // a command that runs by itself and also has subcommands (`dashboard`, `dashboard serve`): its options
      if (runsItself(node)) break
      return {
        _tag: "Usage",
        problem: problem(
          node,
          `${full(node)} needs a command before ${a}; commands: ${node.subcommands.map((s) => s.name).join(", ")}.`,
          { commands: node.subcommands.map((s) => s.name) }
        ),
        json: args.includes("--json")
      }
    }
    const child = node.subcommands.find((s) => s.name === a)
    if (child === undefined) {
      const names = node.subcommands.map((s) => s.name)
      const suggestions = nearest(a, names, { limit: 3 })
      return {
        _tag: "Usage",
        problem: problem(node, `Unknown command '${a}' for '${full(node)}'.${didYouMean(suggestions)}`, {
          unknown: a,
          suggestions,
          commands: names
        }),
        json: args.includes("--json")
      }
    }
    node = child
    i++
  }
  if (helpAsked) return { _tag: "Help", command: node }
  if (node.subcommands.length > 0 && !runsItself(node)) {
    if (node === tree && args.length === 0) return { _tag: "Help", command: tree }
    return {
      _tag: "Usage",
      problem: problem(node, `${full(node)} needs a command: ${node.subcommands.map((s) => s.name).join(", ")}.`, {
        commands: node.subcommands.map((s) => s.name)
      }),
      json: args.includes("--json")
    }
  }

  // 2. the leaf's options and arguments
  const json = node.options.some((o) => o.name === "--json") && args.slice(i).includes("--json")
  const usage = (message: string, details: Record<string, unknown> = {}): FrontDecision => ({
    _tag: "Usage",
    problem: problem(node, message, details),
    json
  })
  const out = args.slice(0, i) as Array<string>
  const positional: Array<string> = []
  const seen = new Set<string>()
  for (let k = i; k < args.length; k++) {
    const t = args[k]
    if (t === "--") {
      positional.push(...args.slice(k + 1))
      out.push(...args.slice(k))
      break
    }
    if (!t.startsWith("-") || t === "-") {
      positional.push(t)
      out.push(t)
      continue
    }
    const eq = t.indexOf("=")
    const name = t.startsWith("--") && eq > 0 ? t.slice(0, eq) : t
    const inline = t.startsWith("--") && eq > 0 ? t.slice(eq + 1) : undefined
    const opt = findOption(node, name)
    if (opt === undefined) {
      const names = node.options.flatMap((o) => [o.name, ...o.aliases]).filter((n) => n.startsWith("--"))
      const suggestions = nearest(name.replace(/^-+/, ""), names.map((n) => n.slice(2)), { limit: 3 }).map((n) => `--${n}`)
      return usage(`Unknown option ${name} for '${full(node)}'.${didYouMean(suggestions)}`, {
        unknown: name,
        suggestions,
        options: node.options.map((o) => o.name)
      })
    }
    seen.add(opt.name)
    if (opt.flag) {
      if (inline !== undefined && !["true", "false"].includes(inline.toLowerCase())) {
        return usage(`${opt.name} is a flag and takes no value (got '${inline}').`, { option: opt.name })
      }
      out.push(t)
      continue
    }
    let value = inline
    if (value === undefined) {
      const next = args[k + 1]
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        return usage(`${opt.name} needs a value <${opt.placeholder}>` +
          (opt.choices === null ? "." : `: one of ${opt.choices.join(", ")}.`), {
          option: opt.name,
          ...(opt.choices === null ? {} : { valid_values: opt.choices })
        })
      }
      value = next
      k++
    }
    if (opt.choices !== null) {
      const canonical = canonicalChoice(opt.choices, value)
      if (canonical === undefined) {
        const suggestions = nearest(value, opt.choices, { limit: 3 })
        return usage(
          `Invalid value '${value}' for ${opt.name}${opt.description === "" ? "" : ` (${opt.description})`}: ` +
            `expected one of ${opt.choices.join(", ")}.${didYouMean(suggestions)}`,
          { option: opt.name, value, valid_values: opt.choices, suggestions }
        )
      }
      value = canonical
    }
    if (opt.integer && !/^-?\d+$/.test(value.trim())) {
      return usage(`${opt.name} needs a whole number (got '${value}').`, { option: opt.name, value })
    }
    out.push(opt.name, value)
  }
  const missing = node.options.filter((o) => o.required && !seen.has(o.name))
  if (missing.length > 0) {
    return usage(
      `Missing required option${missing.length > 1 ? "s" : ""} ${missing.map((o) => `${o.name} <${o.placeholder}>`).join(", ")}` +
        ` for '${full(node)}'.`,
      {
        missing: missing.map((o) => o.name),
        ...(missing.some((o) => o.choices !== null)
          ? { valid_values: Object.fromEntries(missing.filter((o) => o.choices !== null).map((o) => [o.name, o.choices])) }
          : {})
      }
    )
  }
  const required = node.args.filter((a) => a.required)
  if (positional.length < required.length) {
    const absent = required.slice(positional.length)
    return usage(`Missing argument ${absent.map((a) => `<${a.name}>`).join(" ")} for '${full(node)}'.`, {
      missing: absent.map((a) => a.name)
    })
  }
  if (!node.args.some((a) => a.variadic) && positional.length > node.args.length) {
    const extra = positional.slice(node.args.length)
    return usage(`Unexpected argument${extra.length > 1 ? "s" : ""} ${extra.map((x) => `'${x}'`).join(" ")} for '${full(node)}'.`, {
      unexpected: extra
    })
  }
  for (let k = 0; k < node.args.length && k < positional.length; k++) {
    const spec = node.args[k]
    if (spec.choices !== null && canonicalChoice(spec.choices, positional[k]) === undefined) {
      return usage(`Invalid value '${positional[k]}' for <${spec.name}>: expected one of ${spec.choices.join(", ")}.`, {
        argument: spec.name,
        valid_values: spec.choices
      })
    }
  }
  const canonicalArgs = out.map((a) => {
    const spec = node.args.find((s) => s.choices !== null && canonicalChoice(s.choices, a) !== undefined)
    return spec !== undefined && positional.includes(a) ? canonicalChoice(spec.choices!, a)! : a
  })
  return { _tag: "Run", args: canonicalArgs, command: node, json }
}
