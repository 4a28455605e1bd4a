/**
 * The CLI edge: result and error rendering (stdout carries results only; errors go to stderr, or
 * into the `--json` envelope on stdout) and the exit-code contract (0 ok, 1 refusal, 2 usage, 70 defect).
 */
import { Cause, Console, Data, Effect, Exit } from "effect"

/** A domain failure as every kittyctx error carries it. */
export interface CodedError {
  readonly code: string
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}

/** Ends a command with an exit code after its output was rendered. */
export class CliExit extends Data.TaggedError("CliExit")<{ readonly code: number }> {}

/** The codes the command line itself reports (beside the error families of the library). */
export const CLI_ERROR_CODES = ["USAGE_ERROR", "INTERNAL_DEFECT"] as const

/** A malformed command line found by a command's own checks (exit 2, like a parser error). */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}> {
  readonly code = "USAGE_ERROR"
}

/** Exit code of a malformed command line. */
export const USAGE_EXIT = 2

/** Renders a usage problem (the JSON envelope on stdout, or the message on stderr) and exits 2. */
export const usageFailure = (
  message: string,
  details: Readonly<Record<string, unknown>>,
  json: boolean
): Effect.Effect<never, CliExit> =>
  (json
    ? printJson(errorEnvelope({ code: "USAGE_ERROR", message, details }))
    : Console.error(`error[USAGE_ERROR]: ${message}`)).pipe(Effect.zipRight(Effect.fail(new CliExit({ code: USAGE_EXIT }))))

/** True for any tagged domain error with a code and a message. */
export const isCodedError = (e: unknown): e is CodedError =>
  typeof e === "object" && e !== null && typeof (e as CodedError).code === "string" &&
  typeof (e as CodedError).message === "string" && typeof (e as CodedError).details === "object"

/** Writes text to stdout exactly (no extra newline when it already ends with one). */
export const printRaw = (text: string): Effect.Effect<void> =>
  Console.log(text.endsWith("\n") ? text.slice(0, -1) : text)

/** Prints one JSON object on stdout. */
export const printJson = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value))

/** The JSON error envelope of a failure. */
export const errorEnvelope = (e: CodedError) => ({ ok: false, error: { code: e.code, message: e.message, ...e.details } })

const detailLines = (details: Readonly<Record<string, unknown>>): Array<string> =>
  Object.entries(details).map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)

/** Renders a failure (JSON envelope on stdout, or `error[CODE]: message` on stderr) and exits 1. */
export const fail = (e: CodedError, json: boolean, exitCode = 1): Effect.Effect<never, CliExit> =>
  (json
    ? printJson(errorEnvelope(e))
    : Console.error([`error[${e.code}]: ${e.message}`, ...detailLines(e.details)].join("\n"))).pipe(
      Effect.zipRight(Effect.fail(new CliExit({ code: exitCode })))
    )

/** The exit code of a defect: kittyctx hit a bug (never a user's input). */
export const DEFECT_EXIT = 70

/**
 * Runs a command body in the output mode its own `--json` option chose: coded domain errors are
 * rendered and become exit 1; anything else is a defect, rendered as `INTERNAL_DEFECT` (exit 70).
 */
export const handle = <A, E, R>(json: boolean, body: Effect.Effect<A, E, R>): Effect.Effect<A, CliExit, R> =>
  body.pipe(
    Effect.catchAllCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some") {
        const e: unknown = failure.value
        if (e instanceof CliExit) return Effect.fail(e)
        if (e instanceof UsageError) return usageFailure(e.message, e.details, json)
        if (isCodedError(e)) return fail(e, json)
      }
      if (Cause.isInterruptedOnly(cause)) return Effect.fail(new CliExit({ code: 130 }))
      return fail(
        {
          code: "INTERNAL_DEFECT",
          message: "kittyctx hit an unexpected error; this is a bug",
          details: { cause: Cause.pretty(cause) }
        },
        json,
        DEFECT_EXIT
      )
    })
  )

// @effect/cli's ValidationError type id, tested here rather than imported: the start-up bundle renders
// outcomes through this module and must not load the parser (docs/ARCHITECTURE.md, "Start-up")
const VALIDATION_ERROR = Symbol.for("@effect/cli/ValidationError")

/** True for a usage error of the command-line parser. */
export const isUsageError = (e: unknown): boolean => typeof e === "object" && e !== null && VALIDATION_ERROR in e

/** The process exit code of a command's outcome: 0 ok, the code of a rendered refusal, 2 usage, 70 a defect. */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    if (e instanceof CliExit) return e.code
    if (isUsageError(e)) return 2
  }
  return DEFECT_EXIT
}
