/**
 * Setup for every test file: one turn of the event loop after each test. Most CLI tests are synchronous
 * (spawnSync of real processes), so a file of them never lets the worker's event loop reach the poll
 * phase; vitest's own RPC replies then wait until its 60 s timeout fires first ("Timeout calling
 * onTaskUpdate", an unhandled error that fails the run although every test passed).
 */
import { afterEach, beforeEach } from "vitest"

// vitest sends its task updates as RPC calls with a 60 s timeout and never yields between tests (the
// runner goes from one synchronous test to the next through microtasks); a turn before each test covers
// a long beforeAll, a turn after each covers the test itself
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
beforeEach(turn)
afterEach(turn)
