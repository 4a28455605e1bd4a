/**
 * Setup for every test file: one turn of the event loop after each test. Most CLI tests are synchronous
 * (spawnSync of real processes), so a file of them never lets the worker's event loop reach the poll
 * phase; vitest's own RPC replies then wait until its 60 s timeout fires first ("Timeout calling
 * onTaskUpdate", an unhandled error that fails the run although every test passed).
 */
import { afterEach } from "vitest"

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)))
