import { fingerprint } from './jwt.js';
import { principalTypeOf, type LoginMethod, type SessionRecord } from './session-record.js';

/** Who kgate acts as: what `kgate whoami` and `kgate login` show. Holds no token. */
export interface Identity {
  issuer: string;
  subject: string;
  type: 'human' | 'workload';
  method: LoginMethod;
  name?: string;
  groups: string[];
  /** ISO time the current token expires, when known. */
  expiresAt?: string;
  /** `sha256:` + 12 hex digits of the current token, to tell tokens apart without showing them. */
  tokenFingerprint?: string;
  /** Where the login is kept. */
  storage: 'keyring' | 'file' | 'none';
}

/** The identity of a record whose current token is `token`. */
export function identityOf(record: SessionRecord, token: string | undefined, storage: Identity['storage']): Identity {
  return {
    issuer: record.issuer,
    subject: record.subject,
    type: principalTypeOf(record.method),
    method: record.method,
    name: record.name,
    groups: record.groups,
    expiresAt: record.expiresAt === undefined ? undefined : new Date(record.expiresAt * 1000).toISOString(),
    tokenFingerprint: token === undefined ? undefined : fingerprint(token),
    storage,
  };
}

/** One line describing an identity for people. */
export function describeIdentity(p: Identity): string {
  const who = p.name && p.name !== p.subject ? `${p.name} (${p.subject})` : p.subject;
  return `${who}, ${p.type} via ${p.method}, at ${p.issuer}`;
}
