/**
 * New event ids and timestamps: the clock and the randomness behind them, as a service so tests can
 * fix them. Timestamps have microsecond resolution and strictly increase within one process.
 */
import { Context, Effect, Layer } from "effect"
import { randomBytes } from "./Crypto.js"
import { encodeUlid, formatPyIsoUtc } from "../../core/status/Ulid.js"

/** A fresh id and time for one row. */
export interface Stamp {
  readonly eventId: string
  readonly at: string
}

/** The id/clock port. */
export class EventIds extends Context.Tag("kittyctx/EventIds")<EventIds, {
  readonly next: Effect.Effect<Stamp>
}>() {}

/** The live service: wall clock with microseconds (monotonic per process) and crypto randomness. */
export const makeLive = () => {
  let last = 0n
  const origin = BigInt(Math.round(performance.timeOrigin * 1000))
  return EventIds.of({
    next: Effect.sync(() => {
      let micros = origin + BigInt(Math.round(performance.now() * 1000))
      if (micros <= last) micros = last + 1n
      last = micros
      return { eventId: encodeUlid(Number(micros / 1000n), randomBytes(10)), at: formatPyIsoUtc(micros) }
    })
  })
}

/** Its layer. */
export const layer: Layer.Layer<EventIds> = Layer.sync(EventIds, makeLive)

/** A deterministic layer: ids and times from a counter, starting at `startMicros`. */
export const layerFixed = (startMicros: bigint): Layer.Layer<EventIds> =>
  Layer.sync(EventIds, () => {
    let n = 0n
    return EventIds.of({
      next: Effect.sync(() => {
        const micros = startMicros + n
        const seed = new Uint8Array(10)
        let k = n
        for (let i = 9; i >= 0; i--) {
          seed[i] = Number(k & 0xffn)
          k >>= 8n
        }
        n++
        return { eventId: encodeUlid(Number(micros / 1000n), seed), at: formatPyIsoUtc(micros) }
      })
    })
  })
