/**
 * The layers of the status commands, apart from `MainLayer` (which adds the claim gates of `implement`), so
 * a start-up bundle of the hot commands loads only what they use (docs/ARCHITECTURE.md, "Start-up").
 */
import { Layer } from "effect"
import * as EventIds from "./ports/EventIds.js"
import * as FileLock from "./ports/FileLock.js"
import * as Git from "./ports/Git.js"
import * as Processes from "./ports/Processes.js"
import * as RepoFs from "./ports/RepoFs.js"
import * as RepoWrite from "./ports/RepoWrite.js"
import * as Settings from "./ports/Settings.js"
import * as MissionStatus from "./status/MissionStatus.js"
import * as StatusReader from "./status/StatusReader.js"

/** What an embedder (or a test) may substitute: the event clock and the settings. */
export interface MainLayerOptions {
  readonly eventIds?: Layer.Layer<EventIds.EventIds>
  readonly settings?: Layer.Layer<Settings.Settings>
}

/** The live services of the status facade and the resolver, writers included (no claim gates). */
export const makeStatusLayer = (options: MainLayerOptions = {}) => {
  const base = Layer.mergeAll(
    RepoFs.layer,
    Git.layer,
    Git.readerLayer,
    options.eventIds ?? EventIds.layer,
    Processes.layer,
    options.settings ?? Settings.layer
  )
  const writes = RepoWrite.layer.pipe(Layer.provideMerge(base))
  const locks = FileLock.layer.pipe(Layer.provideMerge(writes))
  const reader = StatusReader.layer.pipe(Layer.provideMerge(locks))
  return MissionStatus.layer.pipe(Layer.provideMerge(reader))
}

/**
 * The live services of a read-only command (the resolver, `status show`): no writer, no lock, no process
 * table, so a reader neither loads nor initialises them.
 */
export const makeReadLayer = (options: Pick<MainLayerOptions, "settings"> = {}) =>
  StatusReader.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(RepoFs.layer, Git.readerLayer, options.settings ?? Settings.layer)
    )
  )

