/**
 * The command tree as plain data, read once from the @effect/cli command descriptors: every command
 * path, its description, arguments and options (names, aliases, required or not, enumerated values).
 * Help, completions, usage errors with suggestions and the README check all read this one tree, so a
 * command added with @effect/cli the ordinary way is covered without further registration.
 *
 * The descriptors are @effect/cli's internal representation (pinned version); `readTree` fails loudly on
 * a shape it does not know rather than guessing.
 */
import { HelpDoc } from "@effect/cli"
import type { Command } from "@effect/cli"

/** One option of a command. */
export interface OptionSpec {
  /** `--name`. */
  readonly name: string
  /** Other spellings (`--feature`, `-h`). */
  readonly aliases: ReadonlyArray<string>
  /** A flag takes no value. */
  readonly flag: boolean
  readonly required: boolean
  /** The placeholder of its value (`lane`, `text`, `integer`). */
  readonly placeholder: string
  /** Enumerated values, or null. */
  readonly choices: ReadonlyArray<string> | null
  readonly integer: boolean
  readonly description: string
}

/** One positional argument. */
export interface ArgSpec {
  readonly name: string
  readonly required: boolean
  readonly variadic: boolean
  readonly choices: ReadonlyArray<string> | null
  readonly description: string
}

/** One command: its full path (`["status", "emit"]`), what it does, its arguments, options and subcommands. */
export interface CommandSpec {
  readonly name: string
  readonly path: ReadonlyArray<string>
  readonly description: string
  readonly args: ReadonlyArray<ArgSpec>
  readonly options: ReadonlyArray<OptionSpec>
  readonly subcommands: ReadonlyArray<CommandSpec>
}

// ---------------------------------------------------------------------------------------------
// Descriptor walking (internal shapes of @effect/cli 0.77)

interface Node {
  readonly _tag: string
  readonly [key: string]: unknown
}

const unknownShape = (what: string, node: Node): never => {
  throw new Error(`CommandTree: unknown ${what} shape ${node._tag}`)
}

/** Plain text of a HelpDoc (paragraphs joined by a space). */
const plain = (doc: unknown): string => {
  const text = HelpDoc.toAnsiText(doc as HelpDoc.HelpDoc)
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\s+/g, " ").trim()
}

const primitiveOf = (p: Node) => ({
  flag: p._tag === "Bool",
  choices: p._tag === "Choice" ? (p.alternatives as ReadonlyArray<readonly [string, unknown]>).map(([c]) => c) : null,
  integer: p._tag === "Integer",
  typeName: p._tag === "Choice" ? "choice" : p._tag === "Integer" ? "integer" : p._tag === "Path" ? "path" : "text"
})

const fullName = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`)

const collectOptions = (node: Node, required: boolean, out: Array<OptionSpec>): void => {
  switch (node._tag) {
    case "Empty":
      return
    case "Single": {
      const p = primitiveOf(node.primitiveType as Node)
      const pseudo = node.pseudoName as { readonly _tag: string; readonly value?: string }
      out.push({
        name: fullName(node.name as string),
        aliases: (node.aliases as ReadonlyArray<string>).map(fullName),
        flag: p.flag,
        required: required && !p.flag,
        placeholder: pseudo._tag === "Some" && pseudo.value !== undefined ? pseudo.value : p.typeName,
        choices: p.choices,
        integer: p.integer,
        description: plain(node.description)
      })
      return
    }
    case "Map":
      return collectOptions(node.options as Node, required, out)
    case "Both":
      collectOptions(node.left as Node, required, out)
      return collectOptions(node.right as Node, required, out)
    case "OrElse":
      collectOptions(node.left as Node, false, out)
      return collectOptions(node.right as Node, false, out)
    case "WithDefault":
    case "WithFallback":
      return collectOptions(node.options as Node, false, out)
    case "Variadic":
    case "KeyValueMap":
      return collectOptions(node.argumentOption as Node, required, out)
    default:
      return unknownShape("options", node)
  }
}

const collectArgs = (node: Node, required: boolean, variadic: boolean, out: Array<ArgSpec>): void => {
  switch (node._tag) {
    case "Empty":
      return
    case "Single": {
      const p = primitiveOf(node.primitiveType as Node)
      out.push({
        name: (node.name as string).replace(/^<|>$/g, ""),
        required,
        variadic,
        choices: p.choices,
        description: plain(node.description)
      })
      return
    }
    case "Map":
      return collectArgs(node.args as Node, required, variadic, out)
    case "Both":
      collectArgs(node.left as Node, required, variadic, out)
      return collectArgs(node.right as Node, required, variadic, out)
    case "WithDefault":
    case "WithFallbackConfig":
      return collectArgs(node.args as Node, false, variadic, out)
    case "Variadic": {
      const min = node.min as { readonly _tag: string; readonly value?: number }
      return collectArgs(node.args as Node, required && min._tag === "Some" && (min.value ?? 0) > 0, true, out)
    }
    default:
      return unknownShape("args", node)
  }
}

const walk = (node: Node, parentPath: ReadonlyArray<string>): CommandSpec => {
  switch (node._tag) {
    case "Standard": {
      const options: Array<OptionSpec> = []
      const args: Array<ArgSpec> = []
      collectOptions(node.options as Node, true, options)
      collectArgs(node.args as Node, true, false, args)
      const name = node.name as string
      return {
        name,
        path: [...parentPath, name].slice(1),
        description: plain(node.description),
        args,
        options,
        subcommands: []
      }
    }
    case "Map":
      return walk(node.command as Node, parentPath)
    case "Subcommands": {
      const parent = walk(node.parent as Node, parentPath)
      const here = [...parentPath, parent.name]
      return { ...parent, subcommands: (node.children as ReadonlyArray<Node>).map((c) => walk(c, here)) }
    }
    default:
      return unknownShape("command", node)
  }
}

/** The tree of a root command (paths exclude the program name). */
export const readTree = <Name extends string, R, E, A>(root: Command.Command<Name, R, E, A>): CommandSpec =>
  walk((root as unknown as { readonly descriptor: Node }).descriptor, [])

/** Every command of the tree, depth first (the root first). */
export const allCommands = (tree: CommandSpec): ReadonlyArray<CommandSpec> => [
  tree,
  ...tree.subcommands.flatMap(allCommands)
]

/** The command at `path`, or null. */
export const commandAt = (tree: CommandSpec, path: ReadonlyArray<string>): CommandSpec | null => {
  let node: CommandSpec = tree
  for (const name of path) {
    const next = node.subcommands.find((c) => c.name === name)
    if (next === undefined) return null
    node = next
  }
  return node
}
