/**
 * POSIX path arithmetic as pure string functions, so the core can compose and compare paths without
 * importing the platform.
 */

/** True for an absolute POSIX path. */
export const isAbsolutePath = (p: string): boolean => p.startsWith("/")

/** Normalises `.` and `..` segments and duplicate separators; no trailing separator (except root). */
export const normalizePath = (p: string): string => {
  const absolute = isAbsolutePath(p)
  const out: Array<string> = []
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop()
      else if (!absolute) out.push("..")
      continue
    }
    out.push(seg)
  }
  const body = out.join("/")
  return absolute ? "/" + body : body === "" ? "." : body
}

/** Joins segments and normalises the result. */
export const joinPath = (...parts: ReadonlyArray<string>): string => normalizePath(parts.filter((x) => x !== "").join("/"))

/** Resolves `p` against the absolute directory `base` (an absolute `p` stays itself). */
export const resolvePath = (base: string, p: string): string => (isAbsolutePath(p) ? normalizePath(p) : joinPath(base, p))

/** The parent directory (the root's parent is the root). */
export const dirnamePath = (p: string): string => {
  const n = normalizePath(p)
  const i = n.lastIndexOf("/")
  if (i <= 0) return isAbsolutePath(n) ? "/" : "."
  return n.slice(0, i)
}

/** The last segment. */
export const basenamePath = (p: string): string => {
  const n = normalizePath(p)
  return n.slice(n.lastIndexOf("/") + 1)
}

/** True when `child` is `parent` or lies below it (both normalised absolute paths). */
export const isWithin = (parent: string, child: string): boolean =>
  child === parent || child.startsWith(parent === "/" ? "/" : parent + "/")

/** `child` relative to `parent` (POSIX, no leading `./`); `child` must lie within `parent`. */
export const relativeWithin = (parent: string, child: string): string =>
  child === parent ? "" : child.slice(parent === "/" ? 1 : parent.length + 1)
