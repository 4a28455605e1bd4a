/** Plain HTTP on loopback for tests (any Host header, any method), and a running in-process dashboard. */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Exit, Fiber, Layer } from "effect"
import * as http from "node:http"
import * as net from "node:net"
import { makeMainLayer } from "../../src/services/MainLayer.js"
import { dashboardServer } from "../../src/services/dashboard/Server.js"
import type { DashboardConfig } from "../../src/services/dashboard/Server.js"

/** One response. */
export interface Reply {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request to 127.0.0.1:`port` (default Host `127.0.0.1:<port>`). */
export const request = (
  port: number,
  path: string,
  options: { method?: string; host?: string; body?: string; headers?: Record<string, string> } = {}
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        agent: false,
        setHost: false,
        headers: { Host: options.host ?? `127.0.0.1:${port}`, ...(options.headers ?? {}) }
      },
      (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (c) => (body += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      }
    )
    req.on("error", reject)
    req.end(options.body)
  })

/** A port nothing listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** An event stream reader: collects `changed` events. */
export const openEvents = (port: number) => {
  const events: Array<{ seq: number; missions: Array<string> }> = []
  let buffer = ""
  let req: http.ClientRequest | null = null
  const ready = new Promise<number>((resolve, reject) => {
    req = http.get({ host: "127.0.0.1", port, path: "/api/events", agent: false }, (res) => {
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        buffer += chunk
        let i: number
        while ((i = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          const data = /^data: (.*)$/m.exec(frame)
          if (/^event: changed$/m.test(frame) && data !== null) events.push(JSON.parse(data[1]))
        }
      })
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
  })
  return { events, ready, close: () => req?.destroy() }
}

/** The test token. */
export const TOKEN = "0123456789abcdef0123456789abcdef"

/** A dashboard server running in this process on a free port; `stop` shuts it down with the token. */
export const startDashboardInProcess = async (root: string, staticRoot: string) => {
  const port = await freePort()
  const config: DashboardConfig = {
    root,
    port,
    token: TOKEN,
    instanceId: "test-instance",
    version: "test",
    pid: process.pid,
    startedAt: "2026-01-01T00:00:00.000Z",
    staticRoot
  }
  const layer = Layer.mergeAll(makeMainLayer(), NodeHttpServer.layerServer(() => http.createServer(), { port, host: "127.0.0.1" }))
  const fiber = Effect.runFork(dashboardServer(config).pipe(Effect.provide(layer)))
  for (let i = 0; i < 200; i++) {
    const ok = await request(port, "/api/health").then((r) => r.status === 200, () => false)
    if (ok) break
    await new Promise((r) => setTimeout(r, 25))
  }
  return {
    port,
    config,
    stop: async () => {
      await request(port, "/api/shutdown", { method: "POST", body: JSON.stringify({ token: TOKEN }) }).catch(() => null)
      const exit = await Effect.runPromise(Fiber.await(fiber))
      return Exit.isSuccess(exit)
    }
  }
}
