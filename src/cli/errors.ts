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
 * first line only, so a stack trace or a multi-line dump never reaches the user. Usage errors of
 * the flag parser keep their whole subject (the missing flag or argument), on one line, and suggest
 * `usage`.
 */
export function toErrorBody(error: unknown, usage = 'See --help for usage.'): ErrorBody {
  if (error instanceof KgateError) {
    return { code: error.code, message: error.message, exitCode: error.exit, suggestions: error.suggestions };
  }
  const oclifExit = (error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit;
  const message = error instanceof Error ? error.message : String(error);
  // A flag's own parse function failed; oclif rewrites its message to `Parsing --flag \n\t<why>…`.
  const flagParse = /^Parsing (--[\w-]+) \n\t([^\n]*)/.exec(message);
  if (flagParse) return { code: 'KGATE_USAGE', message: `${flagParse[1]}: ${flagParse[2]}`, exitCode: ExitCode.Usage, suggestions: [usage] };
  if (oclifExit === 2 || isOclifParseError(error)) {
    return { code: 'KGATE_USAGE', message: parseErrorMessage(error, message), exitCode: ExitCode.Usage, suggestions: [usage] };
  }
  const firstLine = message.split('\n', 1)[0] ?? 'unknown error';
  return { code: 'KGATE_INTERNAL', message: firstLine, exitCode: typeof oclifExit === 'number' ? oclifExit : ExitCode.Error, suggestions: [] };
}

/** How an error reads on stderr: `Error: message (CODE)`, then one `→ suggestion` line each. */
export function errorLines(body: ErrorBody): string[] {
  return [`Error: ${body.message}${body.code === 'KGATE_INTERNAL' ? '' : ` (${body.code})`}`, ...body.suggestions.map((s) => `  → ${s}`)];
}

function isOclifParseError(error: unknown): boolean {
  const name = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? '';
  return /(Parse|Flag|Arg|RequiredArg|UnexpectedArgs|NonExistentFlags|FailedFlagValidation|ViolatedFlagConstraint)Error$/.test(name);
}

/** The colour codes oclif puts around parts of its messages. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * One line that names what is wrong, from a parse error of oclif. Its messages are multi-line: a
 * header ("The following error occurred:"), the reasons, a list of arguments, a footer ("See more
 * help with --help"); taking the first line alone left only the header. Missing arguments are named
 * as the usage line writes them (`ID`), missing flags as they are typed (`--grant`).
 */
export function parseErrorMessage(error: unknown, message: string): string {
  const missingArgs = (error as { args?: unknown } | undefined)?.args;
  if (error instanceof Error && error.constructor.name === 'RequiredArgsError' && Array.isArray(missingArgs)) {
    const names = missingArgs.map((a: { name?: unknown }) => String(a.name ?? '').toUpperCase()).filter(Boolean);
    if (names.length > 0) return `Missing required argument${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
  }
  const lines = message
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with --help$/.test(line) && !/^The following errors? occurred:$/.test(line));
  const missingFlags = lines.flatMap((line) => /^Missing required flag ([\w-]+)$/.exec(line)?.[1] ?? []).map((name) => `--${name}`);
  const rest = lines.filter((line) => !/^Missing required flag /.test(line));
  if (missingFlags.length > 0) rest.unshift(`Missing required flag${missingFlags.length === 1 ? '' : 's'} ${missingFlags.join(', ')}`);
  return rest.join('; ') || 'Invalid command line';
}
