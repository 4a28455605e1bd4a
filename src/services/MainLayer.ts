/**
 * The program's layer, composed in one place: the platform's command executor, kittyctx's ports over
 * it, then the status facade and the claim gates over the ports, and the background ports (loopback,
 * file watching, the detached spawn, the sink client, the runtime files) the dashboard and sync use.
 */
import { Layer } from "effect"
import * as FileWatch from "./ports/FileWatch.js"
import * as HttpSink from "./ports/HttpSink.js"
import * as Loopback from "./ports/Loopback.js"
import * as Spawner from "./ports/Spawner.js"
import { makeStatusLayer } from "./StatusLayer.js"
import type { MainLayerOptions } from "./StatusLayer.js"
import { claimGatesLayer } from "./surfaces/ImplementClaim.js"
import * as RuntimeFiles from "./sync/RuntimeFiles.js"

export { makeReadLayer, makeStatusLayer } from "./StatusLayer.js"
export type { MainLayerOptions } from "./StatusLayer.js"

/** Options of the whole program: the status layer's, and how this kittyctx was started. */
export interface ProgramLayerOptions extends MainLayerOptions {
  /** How this kittyctx was started (for the processes it spawns of itself); the binary passes its own. */
  readonly self?: Spawner.SelfCommand
}

/** The live services, with the event clock and the settings optionally substituted. */
export const makeMainLayer = (options: ProgramLayerOptions = {}) =>
  Layer.mergeAll(
    claimGatesLayer,
    Loopback.layer,
    FileWatch.layer,
    HttpSink.layer,
    RuntimeFiles.layer,
    Spawner.layer(options.self ?? { executable: process.execPath, entry: "" })
  ).pipe(Layer.provideMerge(makeStatusLayer(options)))

/** Every live service kittyctx needs. */
export const MainLayer = makeMainLayer()
