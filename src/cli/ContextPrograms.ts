/**
 * The body of `context resolve`, apart from its command-line definition in `ContextCommands.ts`, so the
 * start-up fast path runs it without building the command tree; and the helpers the context commands share.
 */
import { Console, Effect, Option } from "effect"
import { contextToJson } from "../core/context/ExecutionContext.js"
import type { MissionExecutionContext } from "../core/context/ExecutionContext.js"
import { resolvePath } from "../core/repo/Paths.js"
import { resolve } from "../services/context/ResolveContext.js"
import { currentDirectory } from "./Invocation.js"
import { handle, printJson } from "./Output.js"

/** The options every context command takes. */
export interface ContextOptions {
  readonly mission: Option.Option<string>
  readonly action: string
  readonly wp: Option.Option<string>
  readonly cwd: Option.Option<string>
}

export const request = (o: ContextOptions) =>
  Effect.map(currentDirectory, (cwd) => ({
    cwd: Option.match(o.cwd, { onNone: () => cwd, onSome: (d) => resolvePath(cwd, d) }),
    mission: Option.getOrUndefined(o.mission),
    action: o.action,
    wp_id: Option.getOrUndefined(o.wp)
  }))

export const table = (ctx: MissionExecutionContext): string => {
  const rows: Array<[string, unknown]> = [
    ["mission", ctx.identity.mission_slug],
    ["mission_id", ctx.identity.mission_id],
    ["action", ctx.action],
    ["topology", `${ctx.topology.value} (${ctx.topology.source})`],
    ["target_branch", ctx.branch_ref.target_branch],
    ["coordination_branch", ctx.branch_ref.coordination_branch],
    ["destination", `${ctx.branch_ref.destination_ref.ref} (${ctx.branch_ref.destination_ref.kind})`],
    ["primary_root", ctx.workspace.primary_root],
    ["coord_worktree", ctx.workspace.coord_worktree],
    ["status dir", `${ctx.status_surface.status_read_dir} (${ctx.status_surface.coord_state})`],
    ["feature_dir", ctx.feature_dir],
    ["prompts", ctx.prompt_source.prompt_source_dir],
    ["execution_workspace", ctx.workspace.execution_workspace],
    ["work_package", ctx.work_package === null ? null : `${ctx.work_package.wp_id} ${ctx.work_package.lane_id}`]
  ]
  return rows.map(([k, v]) => `${k.padEnd(21)}${v === null ? "-" : String(v)}`).join("\n")
}

/** `context resolve`: the resolved context, as a table or one JSON object. */
export const resolveProgram = (o: ContextOptions & { readonly json: boolean }) =>
  handle(
    o.json,
    Effect.gen(function*() {
      const r = yield* resolve(yield* request(o))
      yield* o.json ? printJson({ ok: true, context: contextToJson(r.context) }) : Console.log(table(r.context))
    })
  )
