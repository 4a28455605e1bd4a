/**
 * The program's layer, composed in one place: the platform's command executor, kittyctx's ports over
 * it, then the status facade (with the sync runtime files) and the claim gates over the ports, and the
 * background ports (loopback, file watching, the detached spawn, the sink client) the dashboard and sync use.
 */
import { Layer } from "effect"
import * as FileWatch from "./ports/FileWatch.js"
import * as HttpSink from "./ports/HttpSink.js"
import * as Launcher from "./ports/Launcher.js"
import * as Loopback from "./ports/Loopback.js"
import * as Spawner from "./ports/Spawner.js"
import { makeStatusLayer } from "./StatusLayer.js"
import type { MainLayerOptions } from "./StatusLayer.js"
import { claimGatesLayer } from "./surfaces/ImplementClaim.js"

export { makeReadLayer, makeStatusLayer } from "./StatusLayer.js"
export type { MainLayerOptions } from "./StatusLayer.js"

/** Options of the whole program: the status layer's, and how this kittyctx was started. */
export interface ProgramLayerOptions extends MainLayerOptions {
  /**
   * How this kittyctx was started (the background processes it spawns of itself and the merge drivers it
   * registers run the same build); the binary passes its own. Default: unknown (a library embedding kittyctx).
   */
  readonly launcher?: Layer.Layer<Launcher.Launcher>
}

/** The live services, with the event clock, the settings and the launcher optionally substituted. */
export const makeMainLayer = (options: ProgramLayerOptions = {}) => {
  const launcher = options.launcher ?? Launcher.layerUnknown
  return Layer.mergeAll(
    claimGatesLayer,
    Loopback.layer,
    FileWatch.layer,
    HttpSink.layer,
    Spawner.layer.pipe(Layer.provideMerge(launcher))
  ).pipe(Layer.provideMerge(makeStatusLayer(options)))
}

/** Every live service kittyctx needs. */
export const MainLayer = makeMainLayer()
