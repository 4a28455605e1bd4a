/**
 * What every command body needs from its invocation, without the command-line parser: the directory it
 * runs from and the resolver request of `--mission` / `--feature-dir` (shared by the parsed commands and
 * the start-up fast path, so neither pulls in the other).
 */
import { Context, Effect, Option } from "effect"
import { basenamePath, resolvePath } from "../core/repo/Paths.js"

/** The directory the command runs from (the process CWD in the binary; fixed in tests). */
export class Cwd extends Context.Tag("kittyctx/Cwd")<Cwd, string>() {}

/** The resolver request of `--mission` / `--feature-dir` from the command's directory. */
export const missionRequest = (
  mission: Option.Option<string>,
  featureDir: Option.Option<string> = Option.none()
): Effect.Effect<{ readonly cwd: string; readonly mission: string | undefined }, never, Cwd> =>
  Effect.map(Cwd, (cwd) =>
    Option.match(featureDir, {
      onNone: () => ({ cwd, mission: Option.getOrUndefined(mission) }),
      onSome: (d) => {
        const abs = resolvePath(cwd, d)
        return { cwd: abs, mission: basenamePath(abs) }
      }
    }))
