/**
 * A CloudEvents sink on loopback for tests: a real HTTP server that records every request, keeps the
 * events de-duplicated on their id (the first arrival's order is the delivery order), and answers each
 * request as a script says (status, `Retry-After`, a hang until the client gives up, ...).
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** How the sink answers one request. */
export type SinkAction =
  | { readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly hang: true }

/** One request as received. */
export interface ReceivedRequest {
  readonly n: number
  readonly headers: http.IncomingHttpHeaders
  readonly ids: ReadonlyArray<string>
  readonly events: ReadonlyArray<Record<string, unknown>>
  /** The raw request body. */
  readonly body: string
  /** `performance.now()` when the request had arrived. */
  readonly at: number
  readonly answered: number | "hang"
}

/** A running test sink. */
export interface TestSink {
  readonly url: string
  readonly requests: Array<ReceivedRequest>
  /** Accepted events by id (first arrival kept). */
  readonly delivered: Map<string, Record<string, unknown>>
  /** Ids in the order they were first accepted. */
  readonly order: Array<string>
  /** Resolves when a request number `n` (1-based) has arrived. */
  readonly requestArrived: (n: number) => Promise<ReceivedRequest>
  readonly close: () => Promise<void>
}

/**
 * Starts a sink. `script(n, ids)` answers request `n` (1-based); default 200. An accepted request (2xx)
 * adds its events; `onRequest` runs before the answer is sent (e.g. to SIGKILL the client mid-delivery).
 */
export const startSink = async (
  script: (n: number, ids: ReadonlyArray<string>) => SinkAction = () => ({ status: 200 }),
  onRequest?: (request: ReceivedRequest) => void
): Promise<TestSink> => {
  const requests: Array<ReceivedRequest> = []
  const delivered = new Map<string, Record<string, unknown>>()
  const order: Array<string> = []
  const waiters: Array<{ n: number; resolve: (r: ReceivedRequest) => void }> = []
  const hanging = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const n = requests.length + 1
      const body = Buffer.concat(chunks).toString("utf8")
      let events: Array<Record<string, unknown>> = []
      try {
        events = JSON.parse(body) as Array<Record<string, unknown>>
      } catch {
        events = []
      }
      const ids = events.map((e) => String(e.id))
      const action = script(n, ids)
      const record: ReceivedRequest = {
        n,
        headers: req.headers,
        ids,
        events,
        body,
        at: performance.now(),
        answered: "hang" in action ? "hang" : action.status
      }
      requests.push(record)
      if (!("hang" in action) && action.status >= 200 && action.status < 300) {
        events.forEach((e, i) => {
          if (!delivered.has(ids[i])) {
            delivered.set(ids[i], e)
            order.push(ids[i])
          }
        })
      }
      onRequest?.(record)
      for (const w of waiters.filter((w) => w.n === n)) w.resolve(record)
      if ("hang" in action) {
        hanging.add(res)
        return
      }
      res.writeHead(action.status, {
        "content-type": "application/json",
        ...(action.retryAfter === undefined ? {} : { "retry-after": action.retryAfter })
      })
      res.end(action.body ?? "{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    delivered,
    order,
    requestArrived: (n) => {
      const done = requests.find((r) => r.n === n)
      return done !== undefined ? Promise.resolve(done) : new Promise((resolve) => waiters.push({ n, resolve }))
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/**
 * The ids a sync cursor's seen-id lines hold (docs/surfaces.md §8.5: one JSON string per line, appended
 * before the head is written); an unterminated last line (an append a SIGKILL cut) is not an id yet.
 */
export const seenIdsOf = (file: string): Array<string> => {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").slice(0, -1).map((l) => JSON.parse(l) as string)
}
