/**
 * HTTP and TCP on 127.0.0.1 only, for kittyctx's own control servers (docs/surfaces.md §0.5, §7.5,
 * §8.3): one bounded request (a `Host` header naming the loopback port, a timeout, a response size
 * limit), a connect probe (is anything listening?) and a bind probe (could we listen?). Nothing here
 * reaches another host: the address is fixed. Transport failures are answers (`null`, `false`), never
 * errors: a caller decides what an absent server means.
 */
import { Context, Effect, Layer } from "effect"
import * as http from "node:http"
import * as net from "node:net"

/** The one address every loopback call uses. */
export const LOOPBACK = "127.0.0.1"

/** One request to a loopback port. */
export interface LoopbackRequest {
  readonly port: number
  readonly method: "GET" | "POST"
  readonly path: string
  /** JSON text for a POST. */
  readonly body?: string
  /** Default `127.0.0.1:<port>`. */
  readonly host?: string
  readonly timeoutMs: number
}

/** A response (body as text, at most 1 MiB). */
export interface LoopbackResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: string
}

/** The largest response body read. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** The loopback port. */
export class Loopback extends Context.Tag("kittyctx/Loopback")<Loopback, {
  /** The response, or `null` when nothing answered in time (refused, reset, timeout, too large). */
  readonly request: (request: LoopbackRequest) => Effect.Effect<LoopbackResponse | null>
  /** True when a TCP connection to the port is accepted within the timeout. */
  readonly isListening: (port: number, timeoutMs: number) => Effect.Effect<boolean>
  /** True when this process could bind the port on 127.0.0.1 now (the socket is closed again). */
  readonly canBind: (port: number) => Effect.Effect<boolean>
}>() {}

// ---------------------------------------------------------------------------------------------
// Live

const requestNow = (r: LoopbackRequest): Promise<LoopbackResponse | null> =>
  new Promise((resolve) => {
    let settled = false
    const finish = (v: LoopbackResponse | null) => {
      if (!settled) {
        settled = true
        resolve(v)
      }
    }
    const headers: Record<string, string> = { Host: r.host ?? `${LOOPBACK}:${r.port}`, Accept: "application/json" }
    if (r.body !== undefined) {
      headers["Content-Type"] = "application/json"
      headers["Content-Length"] = String(Buffer.byteLength(r.body))
    }
    const req = http.request(
      { host: LOOPBACK, port: r.port, method: r.method, path: r.path, headers, agent: false, timeout: r.timeoutMs },
      (res) => {
        const chunks: Array<Buffer> = []
        let size = 0
        res.on("data", (c: Buffer) => {
          size += c.length
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy()
            finish(null)
          } else chunks.push(c)
        })
        res.on("end", () =>
          finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", () => finish(null))
      }
    )
    const timer = setTimeout(() => {
      req.destroy()
      finish(null)
    }, r.timeoutMs)
    req.on("close", () => clearTimeout(timer))
    req.on("timeout", () => {
      req.destroy()
      finish(null)
    })
    req.on("error", () => finish(null))
    req.end(r.body)
  })

const connectNow = (port: number, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port })
    const done = (v: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(v)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const bindNow = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => server.close(() => resolve(true)))
  })

/** The live layer over `node:http` and `node:net`. */
export const layer: Layer.Layer<Loopback> = Layer.succeed(
  Loopback,
  Loopback.of({
    request: (r) => Effect.promise(() => requestNow(r)),
    isListening: (port, timeoutMs) => Effect.promise(() => connectNow(port, timeoutMs)),
    canBind: (port) => Effect.promise(() => bindNow(port))
  })
)

// ---------------------------------------------------------------------------------------------
// Memory

/** A fake loopback: ports mapped to handlers; `busy` ports accept connections but answer nothing. */
export interface LoopbackTable {
  readonly servers: Map<number, (request: LoopbackRequest) => LoopbackResponse | null>
  readonly busy: Set<number>
  readonly requests: Array<LoopbackRequest>
}

/** A `Loopback` over a fake table of servers. */
export const layerMemory = (table: LoopbackTable): Layer.Layer<Loopback> =>
  Layer.succeed(
    Loopback,
    Loopback.of({
      request: (r) =>
        Effect.sync(() => {
          table.requests.push(r)
          return table.servers.get(r.port)?.(r) ?? null
        }),
      isListening: (port) => Effect.sync(() => table.servers.has(port) || table.busy.has(port)),
      canBind: (port) => Effect.sync(() => !table.servers.has(port) && !table.busy.has(port))
    })
  )
