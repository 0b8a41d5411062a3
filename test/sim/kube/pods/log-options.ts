/**
 * PodLogOptions from the query string (api core/v1 types.go), validated like the apiserver
 * (core validation ValidatePodLogOptions; bool/int conversion rules of apimachinery).
 */
import { StatusError } from '../types.js';
import { queryBool } from './query.js';

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only records at or after this instant (from sinceSeconds or sinceTime), in ns since the epoch. */
  sinceNs?: bigint;
}

function queryInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim())) {
    throw new StatusError(400, 'BadRequest', `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  }
  return Number(raw.trim());
}

function invalid(field: string, value: unknown, detail: string): StatusError {
  const message = `PodLogOptions "" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
  return new StatusError(422, 'Invalid', message, { kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field }] });
}

function sinceTimeNs(raw: string): bigint {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(ms)) {
    throw new StatusError(400, 'BadRequest', `parsing time ${JSON.stringify(raw)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  }
  return BigInt(ms) * 1_000_000n;
}

/** Reads and validates the log options; throws StatusError 400/422 like the apiserver. */
export function parsePodLogOptions(query: URLSearchParams, nowNs: bigint): PodLogOptions {
  const tailLines = queryInt(query, 'tailLines');
  const limitBytes = queryInt(query, 'limitBytes');
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  const sinceTime = query.get('sinceTime') ?? undefined;
  if (tailLines !== undefined && tailLines < 0) throw invalid('tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) throw invalid('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw invalid('sinceSeconds', sinceSeconds, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTime) throw invalid('sinceSeconds', sinceSeconds, 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  let sinceNs: bigint | undefined;
  if (sinceSeconds !== undefined) sinceNs = nowNs - BigInt(sinceSeconds) * 1_000_000_000n;
  else if (sinceTime) sinceNs = sinceTimeNs(sinceTime);
  return {
    container: query.get('container') ?? '',
    follow: queryBool(query, 'follow'),
    previous: queryBool(query, 'previous'),
    timestamps: queryBool(query, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceNs !== undefined ? { sinceNs } : {}),
  };
}
