/**
 * The dashboard's HTTP surface as pure rules (docs/surfaces.md §7.1, §7.3, §7.4): the route table,
 * the static-path check, the headers every response carries, and server-sent event frames.
 */
import { isArtifactName, isMissionKey, isWpId } from "./Board.js"
import type { ArtifactName } from "./Board.js"

/** Where a request goes. */
export type Route =
  | { readonly _tag: "Index" }
  | { readonly _tag: "Static"; readonly rel: string }
  | { readonly _tag: "Health" }
  | { readonly _tag: "Missions" }
  | { readonly _tag: "Kanban"; readonly key: string }
  | { readonly _tag: "MissionEvents"; readonly key: string }
  | { readonly _tag: "WorkPackage"; readonly key: string; readonly wp: string }
  | { readonly _tag: "Artifact"; readonly key: string; readonly name: ArtifactName }
  | { readonly _tag: "Events" }
  | { readonly _tag: "Shutdown" }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "MethodNotAllowed"; readonly allow: string }

const decodeOnce = (segment: string): string | null => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

/** §7.3: a static path decoded once; `..`/`.` segments, `\`, NUL, an absolute or empty path are refused (null). */
export const staticRelPath = (encoded: string): string | null => {
  const rel = decodeOnce(encoded)
  if (rel === null || rel === "" || rel.startsWith("/") || rel.includes("\\") || rel.includes("\u0000")) return null
  const segments = rel.split("/")
  if (segments.some((s) => s === "" || s === "." || s === "..")) return null
  return rel
}

const only = (method: string, allowed: string, route: Route): Route =>
  method === allowed ? route : { _tag: "MethodNotAllowed", allow: allowed }

/** The route of a method and a URL path (without the query). */
export const routeOf = (method: string, pathname: string): Route => {
  if (pathname === "/" || pathname === "/index.html") return only(method, "GET", { _tag: "Index" })
  if (pathname.startsWith("/static/")) {
    const rel = staticRelPath(pathname.slice("/static/".length))
    return rel === null ? { _tag: "NotFound" } : only(method, "GET", { _tag: "Static", rel })
  }
  if (pathname === "/api/health") return only(method, "GET", { _tag: "Health" })
  if (pathname === "/api/missions") return only(method, "GET", { _tag: "Missions" })
  if (pathname === "/api/events") return only(method, "GET", { _tag: "Events" })
  if (pathname === "/api/shutdown") return only(method, "POST", { _tag: "Shutdown" })
  const parts = pathname.split("/")
  // ["", "api", "missions", key, kind, arg?]
  if (parts.length >= 5 && parts[1] === "api" && parts[2] === "missions") {
    const key = decodeOnce(parts[3])
    if (key === null || !isMissionKey(key)) return { _tag: "NotFound" }
    if (parts.length === 5 && parts[4] === "kanban") return only(method, "GET", { _tag: "Kanban", key })
    if (parts.length === 5 && parts[4] === "events") return only(method, "GET", { _tag: "MissionEvents", key })
    if (parts.length === 6 && parts[4] === "wp" && isWpId(parts[5])) return only(method, "GET", { _tag: "WorkPackage", key, wp: parts[5] })
    if (parts.length === 6 && parts[4] === "artifact" && isArtifactName(parts[5])) {
      return only(method, "GET", { _tag: "Artifact", key, name: parts[5] })
    }
  }
  return { _tag: "NotFound" }
}

/** §7.3: the Content-Security-Policy of every response (no 'unsafe-inline'). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'"

/** §7.3: headers on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

/** Content types of the bundled assets. */
export const contentTypeOf = (name: string): string => {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase()
  switch (ext) {
    case "html":
      return "text/html; charset=utf-8"
    case "js":
      return "text/javascript; charset=utf-8"
    case "css":
      return "text/css; charset=utf-8"
    case "svg":
      return "image/svg+xml"
    case "png":
      return "image/png"
    case "json":
      return "application/json"
    default:
      return "application/octet-stream"
  }
}

/** §7.4: one `changed` event. */
export const changedFrame = (seq: number, missions: ReadonlyArray<string>): string =>
  `event: changed\ndata: ${JSON.stringify({ seq, missions })}\n\n`

/** §7.4: the heartbeat comment. */
export const HEARTBEAT_FRAME = ": heartbeat\n\n"

/** At most this many concurrent event streams (§7.4); more are refused with 503. */
export const MAX_EVENT_STREAMS = 32
