/**
 * The EKS token authenticator: verifies `k8s-aws-v1.` tokens by calling the (simulated) STS like
 * aws-iam-authenticator does, then maps the AWS identity through EKS access entries to a UserInfo
 * shaped like the one EKS hands the apiserver.
 */
import { createHash } from 'node:crypto';
import type { Authenticator, UserInfo } from '../types.js';
import { findAccessEntry, mapIdentity, type AccessEntry } from './access-entries.js';
import { EksTokenError, parseEksToken } from './eks-token-format.js';
import { fetchCallerIdentity, identityFrom, parseCallerIdentity, type AwsIdentity } from './sts-caller-identity.js';

export type { AccessEntry } from './access-entries.js';

/** Options of {@link EksTokenAuthenticator}. */
export interface EksTokenAuthenticatorOptions {
  /** Cluster name the client signed into `x-k8s-aws-id`. */
  clusterId: string;
  /** Base URL of the STS the tokens are presigned for, e.g. https://127.0.0.1:PORT. Its host:port is the allowed STS host. */
  stsEndpoint: string;
  /** PEM CA to trust when calling STS. */
  ca?: string;
  /** Access entries; the array is read on every request, so pushing to it takes effect at once. */
  accessEntries?: AccessEntry[];
  /** Clock, epoch ms. */
  now?: () => number;
  /** How long a successful STS verification is reused (never past the token's expiry). Default 2 min, like the apiserver's webhook token cache. */
  cacheTtlMs?: number;
  log?: (line: string) => void;
}

interface CachedIdentity {
  identity: AwsIdentity;
  until: number;
}

const DEFAULT_CACHE_TTL_MS = 120_000;
const MAX_CACHE_ENTRIES = 1000;

/** UserInfo as EKS builds it for a mapped identity (uid and extra as aws-iam-authenticator sets them). */
export function eksUserInfo(identity: AwsIdentity, mapped: { username: string; groups: string[] }): UserInfo {
  return {
    username: mapped.username,
    uid: `aws-iam-authenticator:${identity.accountId}:${identity.userId}`,
    groups: [...mapped.groups, 'system:authenticated'],
    extra: {
      accessKeyId: [identity.accessKeyId],
      arn: [identity.arn],
      canonicalArn: [identity.canonicalArn],
      principalId: [identity.userId],
      sessionName: [identity.sessionName],
      'sigs.k8s.io/aws-iam-authenticator/principalId': [identity.userId],
    },
  };
}

/**
 * Authenticates EKS bearer tokens. Returns null (→ 401) for tokens that are not EKS tokens, fail the
 * format checks, are refused by STS, or whose principal has no access entry.
 */
export class EksTokenAuthenticator implements Authenticator {
  readonly accessEntries: AccessEntry[];
  private readonly stsHost: string;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly cacheTtlMs: number;
  private readonly cache = new Map<string, CachedIdentity>();

  constructor(private readonly options: EksTokenAuthenticatorOptions) {
    this.accessEntries = options.accessEntries ?? [];
    this.stsHost = new URL(options.stsEndpoint).host;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  }

  /** Adds (or replaces, by principal ARN) an access entry. */
  addAccessEntry(entry: AccessEntry): void {
    this.removeAccessEntry(entry.principalArn);
    this.accessEntries.push(entry);
  }

  /** Removes the access entry for a principal ARN; returns whether one existed. */
  removeAccessEntry(principalArn: string): boolean {
    const index = this.accessEntries.findIndex((e) => e.principalArn === principalArn);
    if (index >= 0) this.accessEntries.splice(index, 1);
    return index >= 0;
  }

  async authenticate(token: string): Promise<UserInfo | null> {
    if (!token.startsWith('k8s-aws-v1.')) return null;
    let identity: AwsIdentity;
    try {
      identity = await this.verify(token);
    } catch (e) {
      this.log(`eks-token: refused: ${(e as Error).message}`);
      return null;
    }
    const entry = findAccessEntry(this.accessEntries, identity);
    if (!entry) {
      this.log(`eks-token: no access entry for ${identity.canonicalArn}`);
      return null;
    }
    return eksUserInfo(identity, mapIdentity(entry, identity));
  }

  /**
   * Verifies a token (format checks, then STS) and returns the AWS identity, from the cache when a
   * recent verification of the same token is still valid.
   * @throws EksTokenError
   */
  async verify(token: string): Promise<AwsIdentity> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.until >= now) return cached.identity;
    this.cache.delete(key);
    const presigned = parseEksToken(token, [this.stsHost], now);
    const { body, contentType } = await fetchCallerIdentity(presigned.url, this.options.clusterId, this.options.ca);
    const identity = identityFrom(parseCallerIdentity(body, contentType), presigned.accessKeyId);
    this.remember(key, identity, Math.min(now + this.cacheTtlMs, presigned.expiresAt));
    return identity;
  }

  private remember(key: string, identity: AwsIdentity, until: number): void {
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      const now = this.now();
      for (const [k, v] of this.cache) if (v.until < now) this.cache.delete(k);
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
    }
    this.cache.set(key, { identity, until });
  }
}

export { EksTokenError };
