/**
 * The program's layer, composed in one place: the platform's command executor, kittyctx's ports over
 * it, then the status facade and the claim gates over the ports.
 */
import { Layer } from "effect"
import { makeStatusLayer } from "./StatusLayer.js"
import type { MainLayerOptions } from "./StatusLayer.js"
import { claimGatesLayer } from "./surfaces/ImplementClaim.js"

export { makeReadLayer, makeStatusLayer } from "./StatusLayer.js"
export type { MainLayerOptions } from "./StatusLayer.js"

/** The live services, with the event clock and the settings optionally substituted. */
export const makeMainLayer = (options: MainLayerOptions = {}) => claimGatesLayer.pipe(Layer.provideMerge(makeStatusLayer(options)))

/** Every live service kittyctx needs. */
export const MainLayer = makeMainLayer()
