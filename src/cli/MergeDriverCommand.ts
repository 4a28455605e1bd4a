/**
 * `kittyctx merge-driver-event-log`: git's merge driver for event logs (`<base> <ours> <theirs>`, git's
 * `%O %A %B`), and its installation (`--install`, `--uninstall`, `--check`). The launcher starts a
 * lean entry (driverBin.ts) for the plain three-path form that git runs; both run `runEventLogDriver`.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { checkDrivers, installDrivers, requireDrivers, uninstallDrivers } from "../services/merge/DriverInstall.js"
import { runEventLogDriver } from "../services/merge/EventLogDriver.js"
import { currentDirectory, jsonOption } from "./Options.js"
import { handle, printJson } from "./Output.js"

const usage = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

// kittyctx merge-driver-event-log <base> <ours> <theirs> [--output <path>]
// kittyctx merge-driver-event-log --install [--gitattributes] | --uninstall [--gitattributes] | --check [--json]
export const mergeDriverCommand = Command.make(
  "merge-driver-event-log",
  {
    files: Args.text({ name: "BASE OURS THEIRS" }).pipe(
      Args.withDescription("git's %O %A %B: the base, ours (written with the union) and theirs"),
      Args.repeated
    ),
    output: Options.text("output").pipe(Options.withDescription("Write the union here instead of OURS"), Options.optional),
    install: Options.boolean("install").pipe(Options.withDescription("Register the drivers and add the attribute lines")),
    uninstall: Options.boolean("uninstall").pipe(Options.withDescription("Remove the drivers' config and attribute lines")),
    check: Options.boolean("check").pipe(Options.withDescription("Report how git merges mission files; exit 1 unless it works")),
    gitattributes: Options.boolean("gitattributes").pipe(
      Options.withDescription("Use the tracked .gitattributes instead of the clone's info/attributes")
    ),
    json: jsonOption
  },
  (o) =>
    Effect.gen(function*() {
      const modes = [o.install, o.uninstall, o.check].filter((x) => x).length
      if (modes > 1) return yield* usage("--install, --uninstall and --check are mutually exclusive")
      if (modes === 1 && o.files.length > 0) return yield* usage("BASE OURS THEIRS cannot be combined with a mode flag")
      if (modes === 0 && o.files.length !== 3) {
        return yield* usage(`expected BASE OURS THEIRS (git's %O %A %B), got ${o.files.length} path(s)`)
      }
      if (o.gitattributes && !(o.install || o.uninstall)) return yield* usage("--gitattributes goes with --install or --uninstall")
      if (o.install) {
        const out = yield* handle(o.json, Effect.flatMap(currentDirectory, (cwd) => installDrivers(cwd, o.gitattributes)))
        if (o.json) return yield* printJson({ ok: true, ...out })
        return yield* Console.log(
          [
            ...out.config.map((e) => `git config merge.${e.key}.driver = ${e.driver}`),
            out.added_lines.length === 0
              ? `${out.attributes_file}: already routes the mission files`
              : `${out.attributes_file}: added ${out.added_lines.join("; ")}`
          ].join("\n")
        )
      }
      if (o.uninstall) {
        const out = yield* handle(o.json, Effect.flatMap(currentDirectory, (cwd) => uninstallDrivers(cwd, o.gitattributes)))
        if (o.json) return yield* printJson({ ok: true, ...out })
        return yield* Console.log(
          `removed ${out.removed_config.length} config section(s) and ${out.removed_lines.length} line(s) of ${out.attributes_file}`
        )
      }
      if (o.check) {
        const out = yield* handle(o.json, Effect.flatMap(currentDirectory, (cwd) => Effect.flatMap(checkDrivers(cwd), requireDrivers)))
        if (o.json) return yield* printJson({ ok: true, ...out })
        return yield* Console.log(
          [`installed: ${out.driver_command}`, ...out.routes.map((r) => `  ${r.path}: merge=${r.driver}`)].join("\n")
        )
      }
      const [base, ours, theirs] = o.files
      yield* handle(
        o.json,
        Effect.flatMap(currentDirectory, (cwd) =>
          runEventLogDriver({ cwd, base, ours, theirs, output: Option.getOrUndefined(o.output) }))
      )
    })
).pipe(Command.withDescription("git merge driver for status.events.jsonl: the union of base, ours and theirs"))
