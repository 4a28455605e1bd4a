/**
 * Configuration a user supplies, checked before use: environment variables and the project's
 * `.kittify/config.yaml`. A malformed value is an error naming the value and what is accepted; it never
 * silently means a default.
 */
import { Either } from "effect"
import { CodedError } from "../CodedError.js"

/** The closed set of configuration codes. */
export const CONFIG_ERROR_CODES = ["CONFIG_INVALID"] as const
/** A configuration code. */
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number]

/** A configuration value that cannot be used. */
export class ConfigError extends CodedError("ConfigError")<ConfigErrorCode>() {}

/** `CONFIG_INVALID` for one setting. */
export const configInvalid = (setting: string, value: unknown, expected: string) =>
  new ConfigError({
    code: "CONFIG_INVALID",
    message: `${setting} is ${JSON.stringify(value)}; expected ${expected}`,
    details: { setting, value, expected }
  })

/** The largest lock wait accepted (one day); larger values are refused rather than meaning "forever". */
export const MAX_LOCK_TIMEOUT_MS = 86_400_000

/** `KITTYCTX_LOCK_TIMEOUT_MS`: absent means 30 s; otherwise a whole number of milliseconds, 0 to one day. */
export const parseLockTimeout = (raw: string | undefined): Either.Either<number, ConfigError> => {
  if (raw === undefined || raw === "") return Either.right(30_000)
  const trimmed = raw.trim()
  if (!/^\d{1,9}$/.test(trimmed) || Number(trimmed) > MAX_LOCK_TIMEOUT_MS) {
    return Either.left(
      configInvalid("KITTYCTX_LOCK_TIMEOUT_MS", raw, `a whole number of milliseconds from 0 to ${MAX_LOCK_TIMEOUT_MS}`)
    )
  }
  return Either.right(Number(trimmed))
}

/** `KITTYCTX_COMMIT_TIMEOUT_MS`: absent means 60 s; otherwise a whole number of milliseconds, 1 to one day. */
export const parseCommitTimeout = (raw: string | undefined): Either.Either<number, ConfigError> => {
  if (raw === undefined || raw === "") return Either.right(60_000)
  const trimmed = raw.trim()
  if (!/^\d{1,9}$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > MAX_LOCK_TIMEOUT_MS) {
    return Either.left(
      configInvalid("KITTYCTX_COMMIT_TIMEOUT_MS", raw, `a whole number of milliseconds from 1 to ${MAX_LOCK_TIMEOUT_MS}`)
    )
  }
  return Either.right(Number(trimmed))
}

/** An on/off override variable: `1`, `true`, `yes` (any case) turn it on; absent or empty is off. */
export const parseSwitch = (name: string, raw: string | undefined): Either.Either<boolean, ConfigError> => {
  if (raw === undefined || raw.trim() === "") return Either.right(false)
  const v = raw.trim().toLowerCase()
  if (v === "1" || v === "true" || v === "yes") return Either.right(true)
  if (v === "0" || v === "false" || v === "no") return Either.right(false)
  return Either.left(configInvalid(name, raw, "1, true, yes, 0, false or no"))
}
