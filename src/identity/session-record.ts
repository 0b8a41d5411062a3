/** How an identity was obtained; it decides how a fresh token is obtained later. */
export type LoginMethod = 'browser' | 'device' | 'client-credentials' | 'token-file' | 'token-env' | 'github-actions';

export const LOGIN_METHODS: readonly LoginMethod[] = ['browser', 'device', 'client-credentials', 'token-file', 'token-env', 'github-actions'];

/** People sign in with a browser or a device code; everything else is a machine. */
export function principalTypeOf(method: LoginMethod): 'human' | 'workload' {
  return method === 'browser' || method === 'device' ? 'human' : 'workload';
}

/** One cached login, as kept in the keyring or the token file. */
export interface SessionRecord {
  version: 1;
  method: LoginMethod;
  /** The `iss` of the identity's tokens. */
  issuer: string;
  clientId: string;
  audience: string;
  subject: string;
  name?: string;
  groups: string[];
  /** The bearer for the policy service; absent for token-file / token-env, which are re-read at each use. */
  accessToken?: string;
  refreshToken?: string;
  /** Expiry of accessToken, seconds since the epoch. */
  expiresAt?: number;
  tokenFile?: string;
  tokenEnv?: string;
}

/** A cache entry that is not a session record kgate wrote. */
export class CorruptEntryError extends Error {
  override readonly name = 'CorruptEntryError';
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);

/** Parses a stored entry, throwing {@link CorruptEntryError} for anything that is not a complete record. */
export function parseSessionRecord(text: string): SessionRecord {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CorruptEntryError('is not JSON');
  }
  if (!value || typeof value !== 'object' || value.version !== 1) throw new CorruptEntryError('has an unknown format');
  const valid = (LOGIN_METHODS as readonly unknown[]).includes(value.method)
    && isString(value.issuer) && isString(value.clientId) && isString(value.audience) && isString(value.subject)
    && Array.isArray(value.groups) && value.groups.every((g) => typeof g === 'string')
    && optional(value.name, isString) && optional(value.accessToken, isString) && optional(value.refreshToken, isString)
    && optional(value.expiresAt, Number.isFinite) && optional(value.tokenFile, isString) && optional(value.tokenEnv, isString);
  if (!valid) throw new CorruptEntryError('is missing fields or has fields of the wrong type');
  const record = value as unknown as SessionRecord;
  const hasSource = record.accessToken || record.tokenFile || record.tokenEnv;
  if (!hasSource) throw new CorruptEntryError('holds no token and no token source');
  return record;
}
