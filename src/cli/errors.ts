/**
 * The one exit-code table for every kgate command. A wrapped command's own exit code
 * (`kgate exec -- …`) passes through unchanged and is not part of this table.
 */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** Any error without a more specific code below. */
  Error: 1,
  /** Bad flags, arguments or configuration. */
  Usage: 2,
  /** Refused by policy. */
  Denied: 3,
  /** No usable identity token and no way to get one without a person. */
  LoginNeeded: 4,
  /** A grant or request is waiting for approval, or the wait timed out. */
  ApprovalPending: 5,
  /** A service kgate depends on (IdP, policy service, cluster) did not answer. */
  Unavailable: 6,
  /** `kgate exec`: the command to wrap does not exist (as a shell reports it). */
  CommandNotFound: 127,
  /** Interrupted (Ctrl-C) while waiting; what kgate had asked for was withdrawn. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface KgateErrorOptions {
  /** Stable, greppable identifier, e.g. `KGATE_LOGIN_NEEDED`. */
  code: string;
  exit?: ExitCode;
  /** What the user can do next; each entry is one line. */
  suggestions?: readonly string[];
  cause?: unknown;
}

/**
 * An error a user can act on: a stable code, a one-line message and suggestions.
 * Never put a token or secret value in the message.
 */
export class KgateError extends Error {
  readonly code: string;
  readonly exit: ExitCode;
  readonly suggestions: readonly string[];

  constructor(message: string, options: KgateErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KgateError';
    this.code = options.code;
    this.exit = options.exit ?? ExitCode.Error;
    this.suggestions = options.suggestions ?? [];
  }
}

export function usageError(message: string, suggestions: readonly string[] = []): KgateError {
  return new KgateError(message, { code: 'KGATE_USAGE', exit: ExitCode.Usage, suggestions });
}

/** The JSON shape of an error in the `--json` envelope. */
export interface ErrorBody {
  code: string;
  message: string;
  exitCode: number;
  suggestions: readonly string[];
}

/**
 * Maps anything thrown to a short, stable error body. Unknown errors keep their message's
 * first line only, so a stack trace or a multi-line dump never reaches the user.
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof KgateError) {
    return { code: error.code, message: error.message, exitCode: error.exit, suggestions: error.suggestions };
  }
  const oclifExit = (error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n', 1)[0] ?? 'unknown error';
  if (oclifExit === 2 || isOclifParseError(error)) {
    return { code: 'KGATE_USAGE', message: firstLine, exitCode: ExitCode.Usage, suggestions: ['See --help for usage.'] };
  }
  return { code: 'KGATE_INTERNAL', message: firstLine, exitCode: typeof oclifExit === 'number' ? oclifExit : ExitCode.Error, suggestions: [] };
}

function isOclifParseError(error: unknown): boolean {
  const name = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? '';
  return /(Parse|Flag|Arg|RequiredArg|UnexpectedArgs|NonExistentFlags|FailedFlagValidation)Error$/.test(name);
}
