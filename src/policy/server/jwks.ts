import { rootCertificates } from 'node:tls';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { IssuerConfig } from '../types.js';

type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

const FETCH_TIMEOUT_MS = 10_000;

/** A fetch that trusts the system roots plus `caBundle` (PEM), for discovery and JWKS. */
export function trustingFetch(caBundle?: string): { fetch: FetchLike; close(): Promise<void> } {
  const agent = new Agent({
    connect: { ca: caBundle ? [...rootCertificates, caBundle] : undefined, timeout: FETCH_TIMEOUT_MS },
    headersTimeout: FETCH_TIMEOUT_MS,
    bodyTimeout: FETCH_TIMEOUT_MS,
  });
  const fetch = ((url: string, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as FetchLike;
  return { fetch, close: () => agent.close() };
}

/**
 * The key set of each trusted issuer, found through OIDC discovery (or the configured jwksUri) on
 * first use and cached by jose, which refetches on an unknown `kid` (key rotation).
 */
export class IssuerKeys {
  private readonly sets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(private readonly fetch: FetchLike) {}

  /** The key resolver for `issuer`; a failed discovery is retried on the next call. */
  forIssuer(issuer: IssuerConfig): Promise<JWTVerifyGetKey> {
    let set = this.sets.get(issuer.issuer);
    if (!set) {
      set = this.discover(issuer);
      set.catch(() => this.sets.delete(issuer.issuer));
      this.sets.set(issuer.issuer, set);
    }
    return set;
  }

  private async discover(issuer: IssuerConfig): Promise<JWTVerifyGetKey> {
    const jwksUri = issuer.jwksUri ?? (await this.jwksUriOf(issuer.issuer));
    return createRemoteJWKSet(new URL(jwksUri), { [customFetch]: this.fetch as never, timeoutDuration: FETCH_TIMEOUT_MS });
  }

  private async jwksUriOf(issuer: string): Promise<string> {
    const response = await this.fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(`discovery for ${issuer} answered HTTP ${response.status}`);
    const doc = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (doc.issuer !== issuer) throw new Error(`discovery for ${issuer} names a different issuer (${String(doc.issuer)})`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery for ${issuer} has no jwks_uri`);
    return doc.jwks_uri;
  }
}
