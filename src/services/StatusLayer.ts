/**
 * The layers of the status commands, apart from `MainLayer` (which adds the claim gates of `implement`), so
 * a start-up bundle of the hot commands loads only what they use (docs/ARCHITECTURE.md, "Start-up").
 */
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import * as EventIds from "./ports/EventIds.js"
import * as FileLock from "./ports/FileLock.js"
import * as Git from "./ports/Git.js"
import * as Processes from "./ports/Processes.js"
import * as RepoFs from "./ports/RepoFs.js"
import * as RepoWrite from "./ports/RepoWrite.js"
import * as Settings from "./ports/Settings.js"
import * as MissionStatus from "./status/MissionStatus.js"
import * as StatusReader from "./status/StatusReader.js"
import * as RuntimeFiles from "./sync/RuntimeFiles.js"

/** What an embedder (or a test) may substitute: the event clock and the settings. */
export interface MainLayerOptions {
  readonly eventIds?: Layer.Layer<EventIds.EventIds>
  readonly settings?: Layer.Layer<Settings.Settings>
}

/**
 * A substitutable port: the option's layer when given (built in the layer's scope), else its live
 * service.
 */
const portOf = <I, S>(
  tag: Context.Tag<I, S>,
  option: Layer.Layer<I> | undefined,
  live: () => S
): Effect.Effect<Context.Context<I>, never, Scope.Scope> =>
  option === undefined ? Effect.succeed(Context.make(tag, live())) : Layer.build(option)

/** Adds the service `make` builds from the services already in `context`. */
const extend = <A, I, S>(
  context: Context.Context<A>,
  tag: Context.Tag<I, S>,
  make: Effect.Effect<S, never, NoInfer<A>>
): Effect.Effect<Context.Context<A | I>> => Effect.map(Effect.provide(make, context), (service) => Context.add(context, tag, service))

/**
 * The live services of the status facade, the resolver and the sync runtime files, writers included (no
 * claim gates). Built in one step, each service from the ones before it: effect builds a graph of layers
 * node by node (a memo entry, a scope and finalizers per layer, a fiber per merged one); as a graph, the
 * four services of `status show` took about 1,500 fiber steps, most of the command's on a small mission.
 */
export const makeStatusLayer = (options: MainLayerOptions = {}) =>
  Layer.scopedContext(Effect.gen(function*() {
    const ports = Context.make(RepoFs.RepoFs, RepoFs.live).pipe(
      Context.add(Git.Git, Git.live),
      Context.add(Git.GitReader, Git.makeReaderLive()),
      Context.add(Processes.Processes, Processes.live),
      Context.merge(yield* portOf(EventIds.EventIds, options.eventIds, EventIds.makeLive)),
      Context.merge(yield* portOf(Settings.Settings, options.settings, Settings.makeLive))
    )
    const writes = yield* extend(ports, RepoWrite.RepoWrite, RepoWrite.make)
    const locks = yield* extend(writes, FileLock.FileLock, FileLock.make)
    const reader = yield* extend(locks, StatusReader.StatusReader, StatusReader.make)
    const runtime = yield* extend(reader, RuntimeFiles.RuntimeFiles, RuntimeFiles.make)
    return yield* extend(runtime, MissionStatus.MissionStatus, MissionStatus.make)
  }))

/**
 * The live services of a read-only command (the resolver, `status show`): no writer, no lock, no process
 * table, so a reader neither loads nor initialises them.
 */
export const makeReadLayer = (options: Pick<MainLayerOptions, "settings"> = {}) =>
  Layer.scopedContext(Effect.gen(function*() {
    const ports = Context.make(RepoFs.RepoFs, RepoFs.live).pipe(
      Context.add(Git.GitReader, Git.makeReaderLive()),
      Context.merge(yield* portOf(Settings.Settings, options.settings, Settings.makeLive))
    )
    return yield* extend(ports, StatusReader.StatusReader, StatusReader.make)
  }))
