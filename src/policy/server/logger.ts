import { pino, type Logger } from 'pino';

/** Paths pino replaces with `[redacted]`: bearer headers and anything that looks like a token field. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'accessToken',
  'access_token',
  'idToken',
  'refreshToken',
  'clientSecret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.authorization',
  '*.clientSecret',
  'credential.token',
];

/**
 * The service's structured logger (JSON lines to `destination`, default stdout). Redaction is the
 * safety net; call sites already log names and ids, never token values.
 */
export function createServerLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { name: 'kgate-server', level: opts.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    opts.destination ?? process.stdout,
  );
}

/** The subset of a logger the service uses, so tests and the cluster adapters can pass their own. */
export type ServiceLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
