/**
 * The undo journal of a write surface (docs/surfaces.md §0.7): a surface that writes several files and
 * then commits records each step, so that a failure after the first write (a refused commit, a hook, a
 * full disk) returns the repository to where it was: HEAD back to where it started (the work tree kept),
 * the paths it staged unstaged, every file it wrote back to its previous bytes, every directory it
 * created removed.
 */
import { Effect } from "effect"
import { dirnamePath } from "../../core/repo/Paths.js"
import { commitId } from "../../core/repo/RefName.js"
import type { GitError, IoError } from "../../core/repo/RepoError.js"
import { Git, GitReader } from "../ports/Git.js"
import { RepoFs } from "../ports/RepoFs.js"
import { RepoWrite } from "../ports/RepoWrite.js"
import type { WriteScope } from "../ports/RepoWrite.js"

/** A journal over one checkout. */
export interface UndoJournal {
  /** Writes `data` to `path` (creating parents), remembering how to undo it. */
  readonly write: (path: string, data: string | Uint8Array) => Effect.Effect<void, IoError>
  /** Paths (checkout-relative) the surface is about to stage; undo unstages them. */
  readonly staging: (paths: ReadonlyArray<string>) => Effect.Effect<void>
  /** Puts everything back; never fails (what cannot be undone is left as it is). */
  readonly undo: Effect.Effect<void>
}

/** Starts a journal in `checkout`, recording its HEAD now. */
export const makeUndoJournal = (
  scope: WriteScope,
  checkout: string
): Effect.Effect<UndoJournal, GitError, Git | GitReader | RepoFs | RepoWrite> =>
  Effect.gen(function*() {
    const git = yield* Git
    const reader = yield* GitReader
    const fs = yield* RepoFs
    const write = yield* RepoWrite
    const head = yield* reader.read(["rev-parse", "--verify", "-q", "HEAD"], checkout)
    const startHead = head.exitCode === 0 ? head.stdout.trim() : null
    const steps: Array<Effect.Effect<void, unknown>> = []
    const staged = new Set<string>()

    const firstMissingAncestor = (dir: string): Effect.Effect<string | null, IoError> =>
      Effect.gen(function*() {
        let missing: string | null = null
        for (let d = dir; d !== dirnamePath(d); d = dirnamePath(d)) {
          if ((yield* fs.kind(d)) !== null) break
          missing = d
        }
        return missing
      })

    return {
      write: (path, data) =>
        Effect.gen(function*() {
          const previous = yield* fs.readBytes(path, { noFollow: true })
          const created = yield* firstMissingAncestor(dirnamePath(path))
          steps.push(
            created !== null
              ? write.remove(scope, created)
              : previous === null
              ? write.remove(scope, path)
              : write.writeFile(scope, path, previous)
          )
          if (created !== null) yield* write.makeDirectory(scope, dirnamePath(path))
          yield* write.writeFile(scope, path, data)
        }),
      staging: (paths) => Effect.sync(() => paths.forEach((p) => staged.add(p))),
      undo: Effect.gen(function*() {
        if (startHead !== null) {
          const now = yield* reader.read(["rev-parse", "--verify", "-q", "HEAD"], checkout)
          if (now.exitCode === 0 && now.stdout.trim() !== startHead) {
            yield* git.run(["reset", "-q", "--soft", commitId(startHead), "--"], { cwd: checkout, mode: "write" })
          }
        }
        if (staged.size > 0) yield* git.run(["reset", "-q", "--", ...staged], { cwd: checkout, mode: "write" })
        for (const step of [...steps].reverse()) yield* Effect.ignore(step)
      }).pipe(Effect.ignore)
    }
  })
