/**
 * `kittyctx dashboard`: start (or reuse) the project's read-only web dashboard, `--status`, `--kill`,
 * and the internal `dashboard serve` that runs the server in the foreground (docs/surfaces.md §7).
 */
import { Options, Command } from "@effect/cli"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Clock, Console, Effect, Option } from "effect"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { isToken } from "../core/background/LoopbackRules.js"
import { BackgroundErrors } from "../core/background/BackgroundError.js"
import { DashboardErrors } from "../core/dashboard/DashboardError.js"
import { resolvePath } from "../core/repo/Paths.js"
import { pickFreePort } from "../services/background/PortPicker.js"
import { discoverPrimaryRoot } from "../services/context/RootLocator.js"
import { dashboardStatus, DASHBOARD_PORTS, killDashboard, openInBrowser, startDashboard } from "../services/dashboard/Lifecycle.js"
import { dashboardServer } from "../services/dashboard/Server.js"
import { Spawner } from "../services/ports/Spawner.js"
import { VERSION } from "../core/Version.js"
import { currentDirectory, jsonOption as json } from "./Options.js"
import { handle, printJson } from "./Output.js"
import { randomBytes, randomUUID } from "../services/ports/Crypto.js"
import { formatIsoUtcMillis } from "../core/status/Ulid.js"

const port = Options.integer("port").pipe(Options.withDescription("Preferred port (else the first free one in 9237-9336)"), Options.optional)

/** Where the bundled page lives: `web/` beside the CLI bundle. */
const staticRoot = () => fileURLToPath(new URL("./web/", import.meta.url))

const opener = () => (process.platform === "darwin" ? "open" : process.platform === "win32" ? null : "xdg-open")

// kittyctx dashboard serve [--port P] [--project <root>]   (internal: the server `dashboard` starts detached)
const serve = Command.make(
  "serve",
  {
    port,
    project: Options.text("project").pipe(Options.withDescription("The project's primary root"), Options.optional)
  },
  (o) =>
    handle(
      false,
      Effect.gen(function*() {
        const cwd = yield* currentDirectory
        const location = yield* discoverPrimaryRoot(Option.match(o.project, { onNone: () => cwd, onSome: (p) => resolvePath(cwd, p) }))
        const spawner = yield* Spawner
        // started by `kittyctx dashboard`: the secret arrives on stdin; run by hand in a terminal: made here
        const secret = process.stdin.isTTY === true
          ? { token: randomBytes(16).toString("hex"), instance_id: randomUUID() }
          : yield* spawner.receiveSecret(5000)
        if (!isToken(secret.token) || typeof secret.instance_id !== "string" || secret.instance_id === "") {
          return yield* BackgroundErrors.secretInvalid("expected {\"token\": <32 hex>, \"instance_id\": <id>}")
        }
        const chosen = Option.isSome(o.port) ? o.port.value : yield* pickFreePort(DASHBOARD_PORTS, null)
        if (chosen === null) return yield* DashboardErrors.portUnavailable(DASHBOARD_PORTS.first, DASHBOARD_PORTS.last, null)
        const server = NodeHttpServer.layerServer(() => createServer(), { port: chosen, host: "127.0.0.1" })
        yield* Console.log(`kittyctx dashboard: http://127.0.0.1:${chosen} (pid ${process.pid})`)
        yield* dashboardServer({
          root: location.primaryRoot,
          port: chosen,
          token: secret.token,
          instanceId: secret.instance_id,
          version: VERSION,
          pid: process.pid,
          startedAt: formatIsoUtcMillis(yield* Clock.currentTimeMillis),
          staticRoot: staticRoot()
        }).pipe(
          Effect.provide(server),
          Effect.catchTag("ServeError", (e) => Effect.fail(DashboardErrors.bindFailed(chosen, String(e.cause ?? e.message))))
        )
        yield* Console.log("kittyctx dashboard: stopped")
      })
    )
).pipe(Command.withDescription("(internal) Run the dashboard server in the foreground"))

// kittyctx dashboard [--port P] [--open] [--json] | --status | --kill
export const dashboardCommand = Command.make(
  "dashboard",
  {
    port,
    open: Options.boolean("open").pipe(Options.withDescription("Open the page in the default browser")),
    status: Options.boolean("status").pipe(Options.withDescription("Report the recorded instance (changes nothing)")),
    kill: Options.boolean("kill").pipe(Options.withDescription("Stop the project's dashboard")),
    json
  },
  (o) =>
    handle(
      o.json,
      Effect.gen(function*() {
        const cwd = yield* currentDirectory
        if (o.status && o.kill) return yield* DashboardErrors.optionsConflict(["--status", "--kill"])
        if (o.status) {
          const status = yield* dashboardStatus(cwd)
          if (o.json) return yield* printJson({ ok: true, ...status })
          return yield* Console.log(
            status.owner === null
              ? "No dashboard is recorded for this project"
              : `${status.running ? "running" : "not running"}: ${status.url ?? ""} (pid ${status.pid ?? "?"}, ${status.owner})`
          )
        }
        if (o.kill) {
          const killed = yield* killDashboard(cwd)
          if (o.json) return yield* printJson({ ok: true, ...killed })
          return yield* Console.log(killed.stopped ? `Dashboard stopped (${killed.via ?? ""})` : "No running dashboard to stop")
        }
        const instance = yield* startDashboard({ cwd, port: Option.getOrNull(o.port), version: VERSION })
        let opened: boolean | null = null
        if (o.open) opened = yield* openInBrowser(cwd, instance.url, opener())
        if (o.json) return yield* printJson({ ok: true, ...instance, ...(opened === null ? {} : { opened }) })
        yield* Console.log(`Dashboard ${instance.started ? "started" : "already running"}: ${instance.url}`)
        if (opened === false) yield* Console.error("warning: could not open a browser; open the URL yourself")
      })
    )
).pipe(
  Command.withDescription("The project's live, read-only web dashboard on 127.0.0.1"),
  Command.withSubcommands([serve])
)
