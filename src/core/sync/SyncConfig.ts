/**
 * The forwarding configuration kept under the runtime root (docs/surfaces.md §8.1): the sink, the name
 * of the environment variable holding its bearer token, the daemon's idle retirement, the warning
 * threshold and the delivery knobs. Values are checked when read and when set; a malformed value is
 * `CONFIG_INVALID` naming the value and what is accepted, never a silent default.
 */
import { Either } from "effect"
import { configInvalid } from "../config/ConfigError.js"
import type { ConfigError } from "../config/ConfigError.js"
import { isJsonObject } from "../python/PyJson.js"

/** The `schema` of `config.json`. */
export const CONFIG_SCHEMA = "kittyctx.sync-config/v1"

/** How delivery retries and batches. */
export interface DeliverySettings {
  /** One request's timeout. */
  readonly request_timeout_ms: number
  /** The first backoff ceiling; doubles per failed attempt. */
  readonly backoff_base_ms: number
  /** The largest backoff ceiling. */
  readonly backoff_cap_ms: number
  /** Attempts per batch before `sync push` gives up (the daemon retries on its next round). */
  readonly max_attempts: number
  /** At most this many events per request. */
  readonly batch_max_events: number
  /** At most this many body bytes per request (a single larger event goes alone). */
  readonly batch_max_bytes: number
}

/** The whole configuration. */
export interface SyncConfig {
  /** The sink: an http(s) URL without credentials, and the variable holding the bearer token. */
  readonly sink: { readonly url: string; readonly token_env: string | null } | null
  /** Events older than this with no live daemon make status-writing commands print a warning. */
  readonly warn_after_seconds: number
  /** A daemon with no new event and no authenticated request for this long retires. */
  readonly idle_retire_seconds: number
  readonly delivery: DeliverySettings
}

/** The defaults (docs/surfaces.md §8.5). */
export const DEFAULT_DELIVERY: DeliverySettings = {
  request_timeout_ms: 10_000,
  backoff_base_ms: 500,
  backoff_cap_ms: 60_000,
  max_attempts: 6,
  batch_max_events: 100,
  batch_max_bytes: 256 * 1024
}

/** An empty configuration: no sink. */
export const EMPTY_CONFIG: SyncConfig = {
  sink: null,
  warn_after_seconds: 900,
  idle_retire_seconds: 900,
  delivery: DEFAULT_DELIVERY
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** A sink URL: absolute http(s), no user info (credentials belong in the token variable). */
export const checkSinkUrl = (raw: string): Either.Either<string, ConfigError> => {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return Either.left(configInvalid("sink", raw, "an absolute http:// or https:// URL"))
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(configInvalid("sink", raw, "an absolute http:// or https:// URL"))
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(configInvalid("sink", "<redacted>", "a URL without user:password (put the token in --token-env)"))
  }
  if (url.hash !== "") return Either.left(configInvalid("sink", raw, "a URL without a #fragment"))
  return Either.right(text)
}

/** An environment variable name for the token. */
export const checkTokenEnv = (raw: string): Either.Either<string, ConfigError> =>
  ENV_NAME.test(raw) ? Either.right(raw) : Either.left(configInvalid("token_env", raw, "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"))

const wholeIn = (setting: string, v: unknown, min: number, max: number): Either.Either<number, ConfigError> =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max
    ? Either.right(v)
    : Either.left(configInvalid(setting, v, `a whole number from ${min} to ${max}`))

/** Checks one numeric setting by name (shared by the decoder and `sync config`). */
export const checkNumber = (setting: NumericSetting, v: unknown): Either.Either<number, ConfigError> => {
  const [min, max] = NUMERIC_RANGES[setting]
  return wholeIn(setting, v, min, max)
}

/** The numeric settings and their accepted ranges. */
export const NUMERIC_RANGES = {
  warn_after_seconds: [1, 31_536_000],
  idle_retire_seconds: [1, 31_536_000],
  request_timeout_ms: [50, 600_000],
  backoff_base_ms: [1, 600_000],
  backoff_cap_ms: [1, 3_600_000],
  max_attempts: [1, 100],
  batch_max_events: [1, 10_000],
  batch_max_bytes: [1024, 64 * 1024 * 1024]
} as const
/** A numeric setting's name. */
export type NumericSetting = keyof typeof NUMERIC_RANGES

/** Decodes `config.json` (already parsed); absent fields take their defaults. */
export const decodeConfig = (value: unknown): Either.Either<SyncConfig, ConfigError> =>
  Either.gen(function*() {
    if (!isJsonObject(value)) return yield* Either.left(configInvalid("config.json", value, "a JSON object"))
    let sink: SyncConfig["sink"] = null
    if (value.sink !== undefined && value.sink !== null) {
      if (!isJsonObject(value.sink) || typeof value.sink.url !== "string") {
        return yield* Either.left(configInvalid("sink", value.sink, "{\"url\": \"http(s)://...\", \"token_env\": name or null}"))
      }
      const url = yield* checkSinkUrl(value.sink.url)
      const tokenEnv = value.sink.token_env === undefined || value.sink.token_env === null
        ? null
        : typeof value.sink.token_env === "string"
        ? yield* checkTokenEnv(value.sink.token_env)
        : yield* Either.left(configInvalid("token_env", value.sink.token_env, "an environment variable name or null"))
      sink = { url, token_env: tokenEnv }
    }
    const num = (setting: NumericSetting, raw: unknown, fallback: number) =>
      raw === undefined ? Either.right(fallback) : checkNumber(setting, raw)
    const d = value.delivery === undefined ? {} : value.delivery
    if (!isJsonObject(d)) return yield* Either.left(configInvalid("delivery", d, "a JSON object"))
    const delivery: DeliverySettings = {
      request_timeout_ms: yield* num("request_timeout_ms", d.request_timeout_ms, DEFAULT_DELIVERY.request_timeout_ms),
      backoff_base_ms: yield* num("backoff_base_ms", d.backoff_base_ms, DEFAULT_DELIVERY.backoff_base_ms),
      backoff_cap_ms: yield* num("backoff_cap_ms", d.backoff_cap_ms, DEFAULT_DELIVERY.backoff_cap_ms),
      max_attempts: yield* num("max_attempts", d.max_attempts, DEFAULT_DELIVERY.max_attempts),
      batch_max_events: yield* num("batch_max_events", d.batch_max_events, DEFAULT_DELIVERY.batch_max_events),
      batch_max_bytes: yield* num("batch_max_bytes", d.batch_max_bytes, DEFAULT_DELIVERY.batch_max_bytes)
    }
    return {
      sink,
      warn_after_seconds: yield* num("warn_after_seconds", value.warn_after_seconds, EMPTY_CONFIG.warn_after_seconds),
      idle_retire_seconds: yield* num("idle_retire_seconds", value.idle_retire_seconds, EMPTY_CONFIG.idle_retire_seconds),
      delivery
    }
  })

/** The file's JSON (with its schema tag). */
export const encodeConfig = (config: SyncConfig): string =>
  JSON.stringify({ schema: CONFIG_SCHEMA, ...config }, null, 2) + "\n"

/** The scope's input (docs/surfaces.md §8.1): the trimmed, lower-cased sink URL and principal, NUL-joined. */
export const scopeInput = (sinkUrl: string, principal: string | null = null): string =>
  `${sinkUrl.trim().toLowerCase()}\u0000${(principal ?? "").trim().toLowerCase()}`

/** The sink URL as shown to people: no query string (it may carry a key). */
export const displaySink = (url: string): string => {
  try {
    const u = new URL(url)
    return u.search === "" ? url : `${u.origin}${u.pathname}?<redacted>`
  } catch {
    return "<invalid>"
  }
}
