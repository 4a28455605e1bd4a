/**
 * The shape every kittyctx failure shares: a code from its family's closed set, a plain message, and
 * the data a user needs. Each family is one tagged class built here; the CLI renders any of them.
 */
import { Data } from "effect"

/** The fields of a coded failure. */
export interface CodedFields<Code extends string> {
  readonly code: Code
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}

/** The base class of an error family: `class IoError extends CodedError("IoError")<IoErrorCode>() {}`. */
export const CodedError = <Tag extends string>(tag: Tag) => <Code extends string>() =>
  Data.TaggedError(tag)<CodedFields<Code>>
