/**
 * The runtime records (docs/surfaces.md §8.1): configuration, projects, cursors, state and the owner
 * record decode what they encode and refuse what they cannot trust; the sync codes are a closed set
 * disjoint from every other family's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { CONFIG_ERROR_CODES } from "../../../src/core/config/ConfigError.js"
import { CONTEXT_ERROR_CODES } from "../../../src/core/context/ContextError.js"
import { GIT_ERROR_CODES, IO_ERROR_CODES } from "../../../src/core/repo/RepoError.js"
import { STATUS_ERROR_CODES } from "../../../src/core/status/StatusError.js"
import { OCCURRENCE_ERROR_CODES } from "../../../src/core/occurrence/OccurrenceMap.js"
import { SURFACE_ERROR_CODES } from "../../../src/core/surfaces/SurfaceError.js"
import { decodeOwner, encodeOwner, redactedOwner } from "../../../src/core/sync/DaemonOwner.js"
import type { OwnerRecord } from "../../../src/core/sync/DaemonOwner.js"
import { checkSinkUrl, decodeConfig, displaySink, EMPTY_CONFIG, encodeConfig, scopeInput } from "../../../src/core/sync/SyncConfig.js"
import { SYNC_ERROR_CODES } from "../../../src/core/sync/SyncError.js"
import {
  decodeCursorHead,
  decodeProjects,
  decodeSeen,
  decodeSeenLines,
  decodeState,
  encodeCursorHead,
  encodeProjects,
  encodeSeenLines,
  encodeState,
  SEEN_SCHEMA
} from "../../../src/core/sync/SyncRecords.js"

describe("configuration", () => {
  it("round-trips; absent fields take defaults; malformed values are CONFIG_INVALID naming the setting", () => {
    const config = { ...EMPTY_CONFIG, sink: { url: "https://sink.example/ce", token_env: "TOKEN" }, warn_after_seconds: 60 }
    assert.deepStrictEqual(decodeConfig(JSON.parse(encodeConfig(config))), Either.right(config))
    assert.deepStrictEqual(decodeConfig({}), Either.right(EMPTY_CONFIG))
    for (const bad of [{ warn_after_seconds: 0 }, { delivery: { max_attempts: 1.5 } }, { sink: { url: "mailto:x" } }, { sink: "x" }, []]) {
      const r = decodeConfig(bad)
      assert.isTrue(Either.isLeft(r) && r.left.code === "CONFIG_INVALID", JSON.stringify(bad))
    }
    const creds = checkSinkUrl("https://u:p@host/x")
    assert.isTrue(Either.isLeft(creds) && !JSON.stringify(creds.left).includes("u:p"), "credentials are never echoed")
  })

  it("the scope input lower-cases and trims; a query string is not shown", () => {
    assert.strictEqual(scopeInput(" HTTPS://Sink.example/X "), "https://sink.example/x\u0000")
    assert.strictEqual(displaySink("https://s.example/ce?key=secret"), "https://s.example/ce?<redacted>")
  })
})

describe("records", () => {
  it("projects, cursors and state round-trip; untrustworthy ones are described, not guessed", () => {
    const projects = { projects: [{ root: "/b", registered_at: "t" }, { root: "/a", registered_at: "t" }] }
    const decoded = decodeProjects(JSON.parse(encodeProjects(projects)))
    assert.deepStrictEqual(Either.map(decoded, (l) => l.projects.map((p) => p.root)), Either.right(["/a", "/b"]))
    assert.isTrue(Either.isLeft(decodeProjects({ projects: [{ root: "relative", registered_at: "t" }] })))
    const key = { project_root: "/a", mission: "legacy:x" }
    const written = {
      path: "/a/log",
      offset: 10,
      block_bytes: 4,
      blocks: ["a", "b", "c"].map((c) => c.repeat(64)),
      file: { dev: 1, ino: 42 },
      signature: null,
      seen_count: 2,
      seen_bytes: 8
    }
    const head = {
      path: "/a/log",
      offset: 10,
      prefix: { _tag: "Blocks" as const, block_bytes: 4, blocks: written.blocks },
      file: { dev: 1, ino: 42 },
      signature: null,
      seen_count: 2,
      seen_bytes: 8
    }
    assert.deepStrictEqual(decodeCursorHead(JSON.parse(encodeCursorHead(key, written))), Either.right({ key, head }))
    const signed = { ...written, signature: { size: 10, mtime_ns: "1767225600123456789", ino: 42 } }
    assert.deepStrictEqual(
      decodeCursorHead(JSON.parse(encodeCursorHead(key, signed))),
      Either.right({ key, head: { ...head, signature: signed.signature } })
    )
    for (
      const bad of [
        { offset: -1 },
        { blocks: ["xyz"] },
        { blocks: [] },
        { block_bytes: 0 },
        { file: null },
        { seen_bytes: -1 },
        { seen_count: 1.5 },
        { signature: { size: 10, mtime_ns: 5, ino: 1 } },
        { schema: "kittyctx.sync-cursor/v9" }
      ]
    ) {
      assert.isTrue(Either.isLeft(decodeCursorHead({ ...JSON.parse(encodeCursorHead(key, written)), ...bad })), JSON.stringify(bad))
    }
    // a version-1 cursor (one prefix hash, a JSON seen file) is still read
    const v1 = { schema: "kittyctx.sync-cursor/v1", key, path: "/a/log", offset: 10, prefix_sha256: "a".repeat(64), signature: null, seen_count: 2 }
    assert.deepStrictEqual(
      decodeCursorHead(v1),
      Either.right({ key, head: { path: "/a/log", offset: 10, prefix: { _tag: "Sha256" as const, sha256: "a".repeat(64) }, file: null, signature: null, seen_count: 2, seen_bytes: null } })
    )
    assert.isTrue(Either.isLeft(decodeCursorHead({ ...v1, prefix_sha256: "xyz" })))
    // version-1 seen ids: at least as many as the head counted (they are written first), never fewer
    assert.deepStrictEqual(decodeSeen({ schema: SEEN_SCHEMA, ids: ["1", "2", "3"] }, 2), Either.right(["1", "2", "3"]))
    assert.isTrue(Either.isLeft(decodeSeen({ schema: SEEN_SCHEMA, ids: ["1"] }, 2)))
    assert.isTrue(Either.isLeft(decodeSeen({ schema: "x", ids: [] }, 0)))
    // seen-id lines: exactly the count the head names, each a JSON string (any id, a newline in one included)
    const ids = ["1", "a\nb", "\"q\""]
    assert.deepStrictEqual(decodeSeenLines(encodeSeenLines(ids), 3), Either.right(ids))
    assert.deepStrictEqual(decodeSeenLines("", 0), Either.right([]))
    assert.isTrue(Either.isLeft(decodeSeenLines(encodeSeenLines(ids), 2)))
    assert.isTrue(Either.isLeft(decodeSeenLines("\"1\"\n\"2", 2)), "a torn last line")
    assert.isTrue(Either.isLeft(decodeSeenLines("1\n", 1)), "not a JSON string")
    const state = {
      projects: { "/a": { last_success_at: null, last_attempt_at: "t", consecutive_failures: 2, last_error: "e", next_attempt_at: null } }
    }
    assert.deepStrictEqual(decodeState(JSON.parse(encodeState(state))), Either.right(state))
    assert.isTrue(Either.isLeft(decodeState({ projects: { "/a": { consecutive_failures: -1 } } })))
  })

  it("the owner record round-trips, refuses a bad token or identity, and is shown only redacted", () => {
    const owner: OwnerRecord = {
      pid: 4242,
      pid_started_at: "1785321332.13",
      port: 9400,
      token: "0123456789abcdef0123456789abcdef",
      instance_id: "6f1c2d3e-0000-4000-8000-000000000000",
      protocol_version: 1,
      kittyctx_version: "0.1.0",
      executable_path: "/usr/bin/node",
      entry_path: "/opt/kittyctx/dist/kittyctx.cjs",
      runtime_root: "/home/u/.kittyctx",
      scope_id: "0123456789abcdef",
      sink_url: "https://sink.example/ce",
      auth_principal: null,
      started_at: "2026-01-01T00:00:00.000Z"
    }
    assert.deepStrictEqual(decodeOwner(JSON.parse(encodeOwner(owner))), Either.right(owner))
    for (const bad of [{ token: "short" }, { pid: 0 }, { pid_started_at: "yesterday" }, { schema: "other" }]) {
      assert.isTrue(Either.isLeft(decodeOwner({ ...JSON.parse(encodeOwner(owner)), ...bad })), JSON.stringify(bad))
    }
    assert.notInclude(JSON.stringify(redactedOwner(owner)), owner.token)
  })
})

describe("error codes", () => {
  it("the sync codes are a closed set disjoint from every other family's", () => {
    const others = [
      ...CONFIG_ERROR_CODES,
      ...CONTEXT_ERROR_CODES,
      ...GIT_ERROR_CODES,
      ...IO_ERROR_CODES,
      ...STATUS_ERROR_CODES,
      ...SURFACE_ERROR_CODES,
      ...OCCURRENCE_ERROR_CODES
    ] as ReadonlyArray<string>
    assert.deepStrictEqual(SYNC_ERROR_CODES.filter((c) => others.includes(c)), [])
    assert.strictEqual(new Set(SYNC_ERROR_CODES).size, SYNC_ERROR_CODES.length)
  })
})
