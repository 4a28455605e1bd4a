/**
 * The entry of the start-up bundle (`dist/fast.cjs`, docs/ARCHITECTURE.md "Start-up"): the hot
 * commands with only the services they use, and without the command-line parser. The launcher loads it
 * for `status show`, `status emit` and `context resolve`; when argv is not plainly one of their forms,
 * `started` stays false and the launcher loads the full command tree instead.
 */
import { runEntry } from "./Entry.js"
import { fastProgram } from "./FastPath.js"

const program = fastProgram(process.argv.slice(2))

/** True when this bundle runs the command (the launcher must not load the full one). */
export const started = program !== null

if (program !== null) runEntry(program, { exitWhenDone: true })
