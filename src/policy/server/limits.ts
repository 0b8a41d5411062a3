/**
 * How much one caller may make the policy service store or keep open. Every authenticated
 * principal can write (grant requests, audit batches, recordings, gateway credentials); these
 * bounds keep one of them from filling the disk, the memory or the approvers' queue.
 */
import { ApiError } from './errors.js';

/** The service's write limits; see docs/server.md. */
export interface ServiceLimits {
  /** Largest recording, in bytes, counted as it streams in (a Content-Length is not trusted). */
  maxRecordingBytes: number;
  /** Requests one principal may have waiting on approvers at once: grant requests and held API requests. */
  maxPendingRequests: number;
  /** Gateway credentials one grant may have unrevoked and unexpired at once. */
  maxGatewayCredentialsPerGrant: number;
  /** Audit batch bytes one principal may send per window. */
  auditBytesPerWindow: number;
  /** Recording bytes one principal may store per window. */
  recordingBytesPerWindow: number;
  /** The sliding window of the two byte budgets, in ms. */
  windowMs: number;
}

/** Largest audit batch body (1000 events of a few KiB each); the audit budget must hold one. */
export const AUDIT_BODY_LIMIT = 8 * 1024 * 1024;

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ServiceLimits> = Object.freeze({
  maxRecordingBytes: 64 * MiB,
  maxPendingRequests: 10,
  maxGatewayCredentialsPerGrant: 20,
  auditBytesPerWindow: 256 * MiB,
  recordingBytesPerWindow: 256 * MiB,
  windowMs: 3_600_000,
});

/** A limit that cannot work, named by its field. */
export class LimitsError extends Error {
  override name = 'LimitsError';
  constructor(readonly field: keyof ServiceLimits, message: string) {
    super(message);
  }
}

/**
 * The defaults with `given` over them, checked: whole numbers of at least 1, a window of at
 * least a minute, and budgets that hold at least one largest body (else it could never be sent).
 * @throws LimitsError naming the first field that cannot work.
 */
export function resolveLimits(given: Partial<ServiceLimits> = {}): ServiceLimits {
  const limits: ServiceLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given) as [keyof ServiceLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new LimitsError(key, `${key} must be a whole number of at least 1, got ${value}`);
    limits[key] = value;
  }
  if (limits.maxPendingRequests > 1000) throw new LimitsError('maxPendingRequests', 'maxPendingRequests must be at most 1000');
  if (limits.windowMs < 60_000) throw new LimitsError('windowMs', 'the budget window must be at least a minute');
  if (limits.recordingBytesPerWindow < limits.maxRecordingBytes) {
    throw new LimitsError('recordingBytesPerWindow', `the recording budget (${limits.recordingBytesPerWindow} bytes) must hold at least one largest recording (${limits.maxRecordingBytes} bytes)`);
  }
  if (limits.auditBytesPerWindow < AUDIT_BODY_LIMIT) {
    throw new LimitsError('auditBytesPerWindow', `the audit budget (${limits.auditBytesPerWindow} bytes) must hold at least one largest batch (${AUDIT_BODY_LIMIT} bytes)`);
  }
  return limits;
}

const SIZE = /^(\d{1,15})(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const SIZE_UNIT: Record<string, number> = { Ki: 1024, Mi: MiB, Gi: 1024 * MiB, Ti: 1024 * 1024 * MiB, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/**
 * A byte size as Kubernetes quantities write it: `65536`, `64Mi`, `1Gi`, `500M`. Undefined when
 * malformed or beyond a safe integer.
 */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (match[2] ? SIZE_UNIT[match[2]]! : 1);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `n` bytes the way people read them: `64 MiB`, `1.5 GiB`, `512 bytes`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 * MiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}

/**
 * A 429: the caller is over a limit. With `retryAfterMs`, `Retry-After` says (in whole seconds,
 * rounded up) when the same request would fit again; without it, nothing the clock does helps.
 */
export function tooManyRequests(message: string, code: string, retryAfterMs?: number): ApiError {
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new ApiError(429, code, message, headers);
}
