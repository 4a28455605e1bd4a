/**
 * Help text from the command tree: plain text (no ANSI codes), the full command in the usage line,
 * required options marked, enumerated values listed, every option described, wrapped to the width given
 * (the terminal's, or 80 columns when stdout is not a terminal).
 */
import type { ArgSpec, CommandSpec, OptionSpec } from "./CommandTree.js"

/** The program name. */
export const PROGRAM = "kittyctx"

/** Words of `text` wrapped to `width`, every line after the first indented by `indent` spaces. */
export const wrap = (text: string, width: number, indent = 0, firstIndent = indent): Array<string> => {
  const lines: Array<string> = []
  let line = " ".repeat(firstIndent)
  let empty = true
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const pieces: Array<string> = []
    // a word longer than a whole line is cut (paths, long ids)
    let rest = word
    while (indent + rest.length > width && width - indent > 10) {
      pieces.push(rest.slice(0, width - indent))
      rest = rest.slice(width - indent)
    }
    pieces.push(rest)
    for (const piece of pieces) {
      if (!empty && line.length + 1 + piece.length > width) {
        lines.push(line)
        line = " ".repeat(indent)
        empty = true
      }
      line += (empty ? "" : " ") + piece
      empty = false
    }
  }
  if (!empty || lines.length === 0) lines.push(line)
  return lines.map((l) => l.replace(/\s+$/, ""))
}

const optionHead = (o: OptionSpec): string =>
  [o.name, ...o.aliases].join(", ") + (o.flag ? "" : ` <${o.placeholder}>`)

const sentence = (s: string): string => (s === "" ? "(no description)." : /[.!?)]$/.test(s) ? s : `${s}.`)

const optionText = (o: OptionSpec): string =>
  [
    sentence(o.description),
    o.required ? "Required." : "",
    o.choices === null ? "" : `One of: ${o.choices.join(", ")}.`
  ].filter((x) => x !== "").join(" ")

const argHead = (a: ArgSpec): string => `<${a.name}>${a.variadic ? "..." : ""}`

const argText = (a: ArgSpec): string =>
  [
    sentence(a.description),
    a.required ? "Required." : "Optional.",
    a.choices === null ? "" : `One of: ${a.choices.join(", ")}.`
  ].filter((x) => x !== "").join(" ")

/** The built-in options every command accepts. */
const BUILT_IN: ReadonlyArray<OptionSpec> = [
  {
    name: "--help",
    aliases: ["-h"],
    flag: true,
    required: false,
    placeholder: "",
    choices: null,
    integer: false,
    description: "Show this help and exit."
  }
]

const table = (rows: ReadonlyArray<readonly [string, string]>, width: number): Array<string> => {
  const col = Math.min(28, Math.max(...rows.map(([h]) => h.length + 4), 12))
  const out: Array<string> = []
  for (const [head, text] of rows) {
    const first = `  ${head}`
    if (first.length + 2 <= col) {
      const body = wrap(text, width, col, col)
      out.push(first + body[0].slice(first.length), ...body.slice(1))
    } else {
      out.push(...wrap(head, width, 4, 2))
      out.push(...wrap(text, width, col, col))
    }
  }
  return out
}

/** The usage line of a command: the full command, its arguments and required options, then `[options]`. */
export const usageLine = (c: CommandSpec): string => {
  const full = [PROGRAM, ...c.path].join(" ")
  if (c.subcommands.length > 0) return `${full} <command> [options]`
  const args = c.args.map((a) => (a.required ? argHead(a) : `[${argHead(a)}]`))
  const required = c.options.filter((o) => o.required).map((o) => `${o.name} <${o.placeholder}>`)
  const optional = c.options.some((o) => !o.required) ? ["[options]"] : []
  return [full, ...args, ...required, ...optional].join(" ")
}

/** The help text of the command at `c` for a screen `width` columns wide. */
export const renderHelp = (c: CommandSpec, width: number, version?: string): string => {
  const lines: Array<string> = []
  if (c.path.length === 0 && version !== undefined) lines.push(`${PROGRAM} ${version}`, "")
  lines.push(...wrap(`Usage: ${usageLine(c)}`, width, 7, 0), "")
  if (c.description !== "") lines.push(...wrap(c.description, width), "")
  if (c.subcommands.length > 0) {
    lines.push("Commands:")
    lines.push(...table(c.subcommands.map((s) => [s.name, s.description] as const), width), "")
  }
  if (c.args.length > 0) {
    lines.push("Arguments:")
    lines.push(...table(c.args.map((a) => [argHead(a), argText(a)] as const), width), "")
  }
  lines.push("Options:")
  lines.push(
    ...table(
      [
        ...[...c.options, ...BUILT_IN].map((o) => [optionHead(o), optionText(o)] as const),
        ...(c.path.length === 0
          ? [
            ["--version", "Print the version and exit."] as const,
            ["--completions <shell>", "Print a completion script. One of: bash, zsh, fish."] as const
          ]
          : [])
      ],
      width
    )
  )
  if (c.subcommands.length > 0) {
    lines.push("", ...wrap(`Run '${[PROGRAM, ...c.path].join(" ")} <command> --help' for a command's arguments and options.`, width))
  }
  return lines.join("\n") + "\n"
}
