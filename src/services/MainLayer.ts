/**
 * The program's layer, composed in one place: platform services, then kittyctx's ports over them.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Layer } from "effect"
import * as EventIds from "./ports/EventIds.js"
import * as FileLock from "./ports/FileLock.js"
import * as Git from "./ports/Git.js"
import * as MissionStatus from "./status/MissionStatus.js"
import * as RepoFs from "./ports/RepoFs.js"
import * as RootLocator from "./context/RootLocator.js"

const base = Layer.mergeAll(
  RepoFs.layer,
  Git.layer,
  FileLock.layer,
  EventIds.layer,
  RootLocator.kittyEnvLayer
).pipe(Layer.provideMerge(NodeContext.layer))

/** Every live service kittyctx needs. */
export const MainLayer = MissionStatus.layer.pipe(Layer.provideMerge(base))
