/**
 * The running kittyctx launcher: the Node executable and the script it runs. A merge driver kittyctx
 * registers names them by absolute path, so git runs this same build (docs/surfaces.md §0.4, §5.2).
 */
import { Context, Layer } from "effect"

/** The launcher of this process. */
export class Launcher extends Context.Tag("kittyctx/Launcher")<Launcher, {
  /** The Node executable. */
  readonly node: string
  /** The launcher script (`dist/kittyctx.cjs`), absolute. */
  readonly script: string
}>() {}

/**
 * No known launcher (a library embedding kittyctx): installing a merge driver is refused until one is
 * given. The binary provides its own (bin.ts).
 */
export const layerUnknown: Layer.Layer<Launcher> = Layer.sync(Launcher, () => Launcher.of({ node: process.execPath, script: "" }))

/** A fixed launcher (the binary's own, or a test that runs kittyctx in-process names the built script). */
export const layerFixed = (node: string, script: string): Layer.Layer<Launcher> => Layer.succeed(Launcher, Launcher.of({ node, script }))
