/**
 * The sink port (docs/surfaces.md §8.5): one HTTP POST to the configured sink, bounded by a timeout.
 * A transport failure (refused connection, reset, timeout) is a value, never an error, so the caller
 * decides between retrying and giving up. Redirects are not followed (a POST must not silently become a
 * GET elsewhere). The live layer is Node's `fetch`; the memory layer answers from a function.
 */
import { Context, Effect, Layer } from "effect"
import type { SinkReply } from "../../core/sync/Backoff.js"

/** One request to the sink. */
export interface SinkRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly timeoutMs: number
}

/** The sink port. */
export class HttpSink extends Context.Tag("kittyctx/HttpSink")<HttpSink, {
  /** POSTs `body`; the reply, or how the transport failed. Never fails. */
  readonly post: (request: SinkRequest) => Effect.Effect<SinkReply>
}>() {}

const describe = (e: unknown): string => {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e)
}

/** The live layer: Node's `fetch` (keep-alive connections are reused across requests). */
export const layer: Layer.Layer<HttpSink> = Layer.succeed(
  HttpSink,
  HttpSink.of({
    post: (request) =>
      Effect.async<SinkReply>((resume, interrupted) => {
        const controller = new AbortController()
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          controller.abort()
        }, request.timeoutMs)
        const done = (reply: SinkReply) => {
          clearTimeout(timer)
          resume(Effect.succeed(reply))
        }
        fetch(request.url, {
          method: "POST",
          headers: request.headers,
          body: request.body,
          redirect: "manual",
          signal: controller.signal
        })
          .then(async (res) => {
            const body = await res.text()
            done({ _tag: "Response", status: res.status, retryAfter: res.headers.get("retry-after"), body })
          })
          .catch((e: unknown) => {
            if (interrupted.aborted) return
            done(
              timedOut
                ? { _tag: "Failed", reason: "timeout", detail: `no answer within ${request.timeoutMs} ms` }
                : { _tag: "Failed", reason: "network", detail: describe(e) }
            )
          })
        return Effect.sync(() => {
          clearTimeout(timer)
          controller.abort()
        })
      })
  })
)

/** A memory sink: `answer` replies to each request (and may record it). */
export const layerMemory = (answer: (request: SinkRequest) => SinkReply): Layer.Layer<HttpSink> =>
  Layer.succeed(HttpSink, HttpSink.of({ post: (request) => Effect.sync(() => answer(request)) }))
