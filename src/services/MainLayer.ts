/**
 * The program's layer, composed in one place: the platform's command executor, kittyctx's ports over
 * it, then the status facade and the claim gates over the ports.
 */
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Layer } from "effect"
import * as EventIds from "./ports/EventIds.js"
import * as FileLock from "./ports/FileLock.js"
import * as FileWatch from "./ports/FileWatch.js"
import * as HttpSink from "./ports/HttpSink.js"
import * as Loopback from "./ports/Loopback.js"
import * as Git from "./ports/Git.js"
import * as Processes from "./ports/Processes.js"
import * as RepoFs from "./ports/RepoFs.js"
import * as RepoWrite from "./ports/RepoWrite.js"
import * as Settings from "./ports/Settings.js"
import * as Spawner from "./ports/Spawner.js"
import * as MissionStatus from "./status/MissionStatus.js"
import * as StatusReader from "./status/StatusReader.js"
import { claimGatesLayer } from "./surfaces/ImplementClaim.js"
import * as RuntimeFiles from "./sync/RuntimeFiles.js"

const platform = NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))

/** What an embedder (or a test) may substitute: the event clock and the settings. */
export interface MainLayerOptions {
  readonly eventIds?: Layer.Layer<EventIds.EventIds>
  readonly settings?: Layer.Layer<Settings.Settings>
}

/** The live services, with the event clock and the settings optionally substituted. */
export const makeMainLayer = (options: MainLayerOptions = {}) => {
  const base = Layer.mergeAll(
    RepoFs.layer,
    Git.layer.pipe(Layer.provide(platform)),
    Git.readerLayer.pipe(Layer.provide(platform)),
    options.eventIds ?? EventIds.layer,
    Processes.layer,
    HttpSink.layer,
    Loopback.layer,
    FileWatch.layer,
    options.settings ?? Settings.layer
  )
  const writes = RepoWrite.layer.pipe(Layer.provideMerge(base))
  const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
  const reader = StatusReader.layer.pipe(Layer.provideMerge(locks))
  return Layer.mergeAll(MissionStatus.layer, claimGatesLayer, RuntimeFiles.layer, Spawner.layer).pipe(Layer.provideMerge(reader))
}

/** Every live service kittyctx needs. */
export const MainLayer = makeMainLayer()
