/**
 * The git merge driver for event logs (docs/surfaces.md §5.2, docs/status-model.md §13): git runs it
 * with `%O %A %B` (base, ours, theirs); the union is written into `%A` atomically. The three paths
 * must share one parent directory (git's temp files do; anything else is refused as a possible path
 * injection, as spec-kitty refuses it). On any failure `%A` is left untouched, so git records a conflict.
 */
import { Effect } from "effect"
import { mergeThreeWay } from "../../core/merge/LogMerge.js"
import { mergeError } from "../../core/merge/MergeError.js"
import type { MergeError } from "../../core/merge/MergeError.js"
import { dirnamePath, resolvePath } from "../../core/repo/Paths.js"
import type { IoError } from "../../core/repo/RepoError.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"

/** One driver run: the directory git runs it in, and the three (possibly relative) paths. */
export interface DriverRequest {
  readonly cwd: string
  readonly base: string
  readonly ours: string
  readonly theirs: string
  /** Where to write the union instead of `ours`. */
  readonly output?: string | undefined
}

/** What the driver wrote. */
export interface DriverOutcome {
  readonly path: string
  readonly bytes: number
}

/** The largest input read (git hands the driver whole files). */
const MAX_INPUT_BYTES = 500 * 1024 * 1024

/** Runs the event-log driver: shared-parent check, read the three inputs, unite, write `%A` (or `output`). */
export const runEventLogDriver = (req: DriverRequest): Effect.Effect<DriverOutcome, MergeError | IoError, RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const given = [req.base, req.ours, req.theirs].map((p) => resolvePath(req.cwd, p))
    const resolved: Array<string> = []
    for (const p of given) resolved.push((yield* fs.realpath(p)) ?? p)
    const parents = new Set(resolved.map(dirnamePath))
    if (parents.size !== 1) {
      return yield* mergeError(
        "MERGE_DRIVER_PATHS_REFUSED",
        `refusing merge-driver invocation: %O/%A/%B do not share a parent directory (${JSON.stringify(resolved)}); ` +
          "refused as a possible path-injection attempt",
        { paths: resolved }
      )
    }
    const texts: Array<string> = []
    for (const p of resolved) texts.push((yield* fs.readText(p, { maxBytes: MAX_INPUT_BYTES })) ?? "")
    const merged = yield* mergeThreeWay(
      { source: resolved[0], text: texts[0] },
      { source: resolved[1], text: texts[1] },
      { source: resolved[2], text: texts[2] }
    )
    const target = req.output === undefined ? resolved[1] : resolvePath(req.cwd, req.output)
    // %A already holding the union (a log merged with itself) is left as it is
    if (req.output !== undefined || merged !== texts[1]) yield* write.writeFile({ roots: [dirnamePath(target)] }, target, merged)
    return { path: target, bytes: Buffer.byteLength(merged) }
  })
