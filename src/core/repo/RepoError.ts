/**
 * The two failure families every layer shares: `IoError` (a file could not be read or written, or a
 * path was refused) and `GitError` (git failed, is busy rewriting a checkout, or was handed a value that
 * is not a ref name). Adapters map platform and process errors into these; no other family repeats them.
 */
import { CodedError } from "../CodedError.js"

/** The closed set of file-system codes. */
export const IO_ERROR_CODES = [
  "FILE_UNREADABLE",
  "FILE_NOT_UTF8",
  "FILE_TOO_LARGE",
  "NOT_A_REGULAR_FILE",
  "SYMLINK_REFUSED",
  "PATH_OUTSIDE_REPOSITORY",
  "WRITE_FAILED",
  "DISK_FULL",
  "READ_ONLY_FILESYSTEM",
  "CWD_UNAVAILABLE"
] as const
/** A file-system code. */
export type IoErrorCode = (typeof IO_ERROR_CODES)[number]

/** A read or write that failed, or a path refused before it was touched. */
export class IoError extends CodedError("IoError")<IoErrorCode>() {}

/** The closed set of git codes. */
export const GIT_ERROR_CODES = [
  "GIT_COMMAND_FAILED",
  "GIT_OPERATION_IN_PROGRESS",
  "INVALID_REF_NAME",
  "WORKTREE_REGISTRY_UNAVAILABLE"
] as const
/** A git code. */
export type GitErrorCode = (typeof GIT_ERROR_CODES)[number]

/** A git failure. */
export class GitError extends CodedError("GitError")<GitErrorCode>() {}

/** What a refused write was about to do, for messages. */
export type WriteVerb = "write" | "create" | "remove" | "append" | "lock"

const errnoWords: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent is not a directory",
  ELOOP: "it is a symbolic link",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the name is too long"
}

/** The errno code of what a node file call threw ("EIO" when it carries none): the one reading of it. */
export const errnoOf = (e: unknown): string =>
  typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : "EIO"

/** Plain words for an errno code (the code itself when unknown). */
export const describeErrno = (errno: string): string => errnoWords[errno] ?? errno

/** Constructors: the one place each file-system code gets its message and details. */
export const IoErrors = {
  unreadable: (path: string, errno: string) =>
    new IoError({
      code: "FILE_UNREADABLE",
      message: `Cannot read ${path}: ${describeErrno(errno)}`,
      details: { path, errno }
    }),
  notUtf8: (path: string, line: number, byteOffset: number) =>
    new IoError({
      code: "FILE_NOT_UTF8",
      message: `${path} is not valid UTF-8 (line ${line}); kittyctx never rewrites bytes it cannot read exactly`,
      details: { path, line, byte_offset: byteOffset }
    }),
  tooLarge: (path: string, size: number, limit: number) =>
    new IoError({
      code: "FILE_TOO_LARGE",
      message: `${path} is ${size} bytes, more than the ${limit} bytes kittyctx reads for this kind of file`,
      details: { path, size, limit }
    }),
  notRegular: (path: string, kind: string) =>
    new IoError({
      code: "NOT_A_REGULAR_FILE",
      message: `${path} is a ${kind}, not a regular file; kittyctx does not read it`,
      details: { path, kind }
    }),
  symlinkRefused: (path: string) =>
    new IoError({
      code: "SYMLINK_REFUSED",
      message: `${path} is a symbolic link; kittyctx does not follow links for this file`,
      details: { path }
    }),
  outside: (path: string, realPath: string, allowed: ReadonlyArray<string>, verb: WriteVerb) =>
    new IoError({
      code: "PATH_OUTSIDE_REPOSITORY",
      message: `Refusing to ${verb} ${path}: it resolves to ${realPath}, outside the repository`,
      details: { path, real_path: realPath, allowed_roots: allowed }
    }),
  cwdUnavailable: () =>
    new IoError({
      code: "CWD_UNAVAILABLE",
      message: "The current directory no longer exists; cd into a repository and run the command again",
      details: {}
    }),
  writeFailed: (path: string, errno: string, verb: WriteVerb = "write") =>
    errno === "ENOSPC" || errno === "EDQUOT"
      ? new IoError({
        code: "DISK_FULL",
        message: `Cannot ${verb} ${path}: ${describeErrno(errno)}; nothing was changed`,
        details: { path, errno }
      })
      : errno === "EROFS"
      ? new IoError({
        code: "READ_ONLY_FILESYSTEM",
        message: `Cannot ${verb} ${path}: ${describeErrno(errno)}; nothing was changed`,
        details: { path, errno }
      })
      : new IoError({
        code: "WRITE_FAILED",
        message: `Cannot ${verb} ${path}: ${describeErrno(errno)}`,
        details: { path, errno }
      })
} as const

/** Constructors for the git codes. */
export const GitErrors = {
  commandFailed: (args: ReadonlyArray<string>, exitCode: number | null, stderr: string) =>
    new GitError({
      code: "GIT_COMMAND_FAILED",
      message: `git ${args.join(" ")} failed` + (exitCode === null ? "" : ` (exit ${exitCode})`) +
        (stderr.trim() === "" ? "" : `: ${stderr.trim()}`),
      details: { args, exit_code: exitCode, stderr }
    }),
  operationInProgress: (checkout: string, marker: string, remedy: string) =>
    new GitError({
      code: "GIT_OPERATION_IN_PROGRESS",
      message: `A git operation is in progress in ${checkout} (${marker.slice(marker.lastIndexOf("/") + 1)}); ${remedy}`,
      details: { checkout, marker }
    }),
  invalidRefName: (value: string, source: string, reason: string) =>
    new GitError({
      code: "INVALID_REF_NAME",
      message: `${source} holds ${JSON.stringify(value)}, which is not a valid git branch name (${reason})`,
      details: { value, source, reason }
    }),
  registryUnavailable: (primaryRoot: string, stderr: string) =>
    new GitError({
      code: "WORKTREE_REGISTRY_UNAVAILABLE",
      message: `Cannot list the worktrees of ${primaryRoot}: ${stderr.trim()}`,
      details: { primary_root: primaryRoot, stderr }
    })
} as const
