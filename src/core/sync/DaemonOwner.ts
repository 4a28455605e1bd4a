/**
 * The daemon's owner record (docs/surfaces.md §8.1): who the one daemon of a scope is (process identity,
 * control port and token, build, runtime root), written once by the daemon right after it binds its port,
 * removed at exit only if it still names that daemon. A record that cannot be decoded blocks reuse
 * (`DAEMON_OWNER_RECORD_UNREADABLE`); it is never treated as absent.
 */
import { Either } from "effect"
import type { ProcessIdentity } from "../process/ProcessIdentity.js"
import { isJsonObject } from "../python/PyJson.js"

/** The record's schema tag. */
export const OWNER_SCHEMA = "kittyctx.daemon-owner/v1"

/** The control protocol's version (health, wake, shutdown). */
export const PROTOCOL_VERSION = 1

/** The first and last loopback ports a daemon binds (docs/surfaces.md §8.2). */
export const DAEMON_PORT_RANGE = { first: 9400, last: 9449 } as const

/** The owner record. */
export interface OwnerRecord {
  readonly pid: number
  readonly pid_started_at: string
  readonly port: number
  /** The control token: stored raw only here; every other exposure is redacted. */
  readonly token: string
  readonly instance_id: string
  readonly protocol_version: number
  readonly kittyctx_version: string
  /** Canonical runtime executable and kittyctx entry (symlinks resolved). */
  readonly executable_path: string
  readonly entry_path: string
  readonly runtime_root: string
  readonly scope_id: string
  /** The sink, without credentials. */
  readonly sink_url: string
  readonly auth_principal: string | null
  /** ISO-8601 UTC. */
  readonly started_at: string
}

const TOKEN = /^[0-9a-f]{32}$/

/** Decodes an owner record; the problem otherwise. */
export const decodeOwner = (value: unknown): Either.Either<OwnerRecord, string> => {
  if (!isJsonObject(value)) return Either.left("not a JSON object")
  if (value.schema !== OWNER_SCHEMA) return Either.left(`schema is not ${OWNER_SCHEMA}`)
  const str = (k: string) => typeof value[k] === "string" && value[k] !== ""
  const int = (k: string) => typeof value[k] === "number" && Number.isSafeInteger(value[k]) && (value[k] as number) > 0
  for (const k of ["pid", "port", "protocol_version"]) if (!int(k)) return Either.left(`${k} is not a positive whole number`)
  for (
    const k of [
      "pid_started_at",
      "instance_id",
      "kittyctx_version",
      "executable_path",
      "entry_path",
      "runtime_root",
      "scope_id",
      "sink_url",
      "started_at"
    ]
  ) {
    if (!str(k)) return Either.left(`${k} is missing or empty`)
  }
  if (typeof value.token !== "string" || !TOKEN.test(value.token)) return Either.left("token is not 32 hex digits")
  if (!/^\d+(?:\.\d+)?$/.test(value.pid_started_at as string)) return Either.left("pid_started_at is not epoch seconds")
  if (value.auth_principal !== null && value.auth_principal !== undefined && typeof value.auth_principal !== "string") {
    return Either.left("auth_principal is not a string or null")
  }
  return Either.right({
    pid: value.pid as number,
    pid_started_at: value.pid_started_at as string,
    port: value.port as number,
    token: value.token,
    instance_id: value.instance_id as string,
    protocol_version: value.protocol_version as number,
    kittyctx_version: value.kittyctx_version as string,
    executable_path: value.executable_path as string,
    entry_path: value.entry_path as string,
    runtime_root: value.runtime_root as string,
    scope_id: value.scope_id as string,
    sink_url: value.sink_url as string,
    auth_principal: (value.auth_principal as string | null | undefined) ?? null,
    started_at: value.started_at as string
  })
}

/** The record's file text. */
export const encodeOwner = (record: OwnerRecord): string => JSON.stringify({ schema: OWNER_SCHEMA, ...record }, null, 2) + "\n"

/** The record as shown to people and in `--json` output: the token redacted. */
export const redactedOwner = (record: OwnerRecord) => ({ ...record, token: "<redacted>" })

/** The daemon's process identity. */
export const ownerIdentity = (record: OwnerRecord): ProcessIdentity => ({ pid: record.pid, started_at: record.pid_started_at })
