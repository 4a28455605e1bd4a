/**
 * The one check of a control request to a kittyctx background server (the dashboard's and the sync
 * daemon's shutdown, the daemon's wake; docs/surfaces.md §0.5): a loopback `Origin`, a small body, and the
 * instance's token in it, compared in constant time. Each server renders the refusal in its own headers.
 */
import type { HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"
import { isAllowedOrigin, judgeShutdown } from "../../core/background/LoopbackRules.js"

/** Why a control request is refused: the HTTP status and the error word of the body. */
export interface ControlRefusal {
  readonly status: 400 | 403
  readonly error: "invalid_origin" | "invalid_payload" | "invalid_token"
}

/** The largest control body read. */
const MAX_CONTROL_BODY = 4096

/** `null` when the request may act; otherwise why not. Never fails (an unreadable body is a bad payload). */
export const refuseControlRequest = (
  request: HttpServerRequest.HttpServerRequest,
  port: number,
  token: string
): Effect.Effect<ControlRefusal | null> =>
  Effect.gen(function*() {
    if (!isAllowedOrigin(request.headers.origin, port)) return { status: 403, error: "invalid_origin" } as const
    const length = Number(request.headers["content-length"] ?? "0")
    if (!Number.isFinite(length) || length > MAX_CONTROL_BODY) return { status: 400, error: "invalid_payload" } as const
    const text = yield* request.text.pipe(Effect.orElseSucceed(() => ""))
    const verdict = judgeShutdown(text, token)
    if (verdict === "invalid_payload") return { status: 400, error: "invalid_payload" } as const
    if (verdict === "invalid_token") return { status: 403, error: "invalid_token" } as const
    return null
  })
