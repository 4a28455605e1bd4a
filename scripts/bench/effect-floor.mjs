// The floor the stack sets for any command's start-up (bench section 10): the least an Effect program
// like the hot commands does, bundled, minified and started with a V8 code cache exactly as the kittyctx
// launcher starts its bundles: NodeRuntime.runMain, an Effect.gen, a Schema decode of a meta.json-like
// record read from a file, and one line of JSON on stdout through effect's Console. Built into the bench's
// temp dir on each run; its ratio to a bare node start is what kittyctx's own commands cannot go below.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"

const Meta = Schema.Struct({
  mission_id: Schema.String,
  mission_slug: Schema.optional(Schema.String),
  target_branch: Schema.optional(Schema.String),
  created_at: Schema.optional(Schema.String)
})

NodeRuntime.runMain(
  Effect.gen(function*() {
    const meta = yield* Schema.decodeUnknown(Meta)(JSON.parse(readFileSync(process.argv[2], "utf8")))
    yield* Console.log(JSON.stringify({ mission: meta.mission_id, target: meta.target_branch ?? null }))
  })
)
