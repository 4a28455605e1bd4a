/**
 * The program's layer, composed in one place: the platform's command executor, kittyctx's ports over
 * it, then the status facade and the claim gates over the ports.
 */
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Layer } from "effect"
import * as EventIds from "./ports/EventIds.js"
import * as FileLock from "./ports/FileLock.js"
import * as Git from "./ports/Git.js"
import * as Launcher from "./ports/Launcher.js"
import * as Processes from "./ports/Processes.js"
import * as RepoFs from "./ports/RepoFs.js"
import * as RepoWrite from "./ports/RepoWrite.js"
import * as Settings from "./ports/Settings.js"
import * as MissionStatus from "./status/MissionStatus.js"
import * as StatusReader from "./status/StatusReader.js"
import { claimGatesLayer } from "./surfaces/ImplementClaim.js"

const platform = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))

/** What an embedder (or a test) may substitute: the event clock and the settings. */
export interface MainLayerOptions {
  readonly eventIds?: Layer.Layer<EventIds.EventIds>
  readonly settings?: Layer.Layer<Settings.Settings>
  /** The launcher merge drivers are registered with (default: this process's). */
  readonly launcher?: Layer.Layer<Launcher.Launcher>
}

/** The live services, with the event clock and the settings optionally substituted. */
export const makeMainLayer = (options: MainLayerOptions = {}) => {
  const base = Layer.mergeAll(
    RepoFs.layer,
    Git.layer.pipe(Layer.provide(platform)),
    Git.readerLayer.pipe(Layer.provide(platform)),
    options.eventIds ?? EventIds.layer,
    Processes.layer,
    options.settings ?? Settings.layer,
    options.launcher ?? Launcher.layerUnknown
  )
  const writes = RepoWrite.layer.pipe(Layer.provideMerge(base))
  const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
  const reader = StatusReader.layer.pipe(Layer.provideMerge(locks))
  return Layer.mergeAll(MissionStatus.layer, claimGatesLayer).pipe(Layer.provideMerge(reader))
}

/** Every live service kittyctx needs. */
export const MainLayer = makeMainLayer()
