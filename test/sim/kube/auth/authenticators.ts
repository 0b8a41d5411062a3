/**
 * The sim apiserver's bearer-token authentication chain: the static admin token of SIM_KUBECONFIG,
 * then EKS tokens, then service-account tokens; the first that recognises a token wins. Audiences
 * follow the apiserver: audience-agnostic authenticators (static, EKS webhook) answer only for the
 * API audiences (apiserver authenticator.WrapAudienceAgnosticToken).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Authenticator, UserInfo } from '../types.js';
import type { AudienceAuthentication } from './service-account-tokens.js';

/** An authenticator that also checks audiences (TokenReview spec.audiences). */
export interface AudienceAuthenticator extends Authenticator {
  authenticateFor(token: string, audiences: readonly string[]): Promise<AudienceAuthentication | null>;
}

/** The identity SIM_KUBECONFIG's static token stands for, as kubeadm's admin.conf user. */
export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Accepts exactly one token (compared in constant time) as one user. */
export function staticTokenAuthenticator(token: string, user: UserInfo = ADMIN_USER): Authenticator {
  const expected = digest(token);
  return {
    async authenticate(candidate: string): Promise<UserInfo | null> {
      return timingSafeEqual(digest(candidate), expected) ? structuredClone(user) : null;
    },
  };
}

function isAudienceAware(a: Authenticator): a is AudienceAuthenticator {
  return typeof (a as Partial<AudienceAuthenticator>).authenticateFor === 'function';
}

/** First non-null answer of a list of authenticators. */
export class UnionAuthenticator implements AudienceAuthenticator {
  constructor(
    private readonly authenticators: readonly Authenticator[],
    /** --api-audiences of the apiserver. */
    readonly apiAudiences: readonly string[] = ['https://kubernetes.default.svc'],
  ) {}

  async authenticate(token: string): Promise<UserInfo | null> {
    return (await this.authenticateFor(token, []))?.user ?? null;
  }

  /**
   * Authenticates for `audiences` (empty: the API audiences). Audience-agnostic authenticators only
   * answer when the audiences share one with the API audiences.
   */
  async authenticateFor(token: string, audiences: readonly string[]): Promise<AudienceAuthentication | null> {
    if (!token) return null;
    const wanted = audiences.length ? audiences : this.apiAudiences;
    const implicit = wanted.filter((a) => this.apiAudiences.includes(a));
    for (const authenticator of this.authenticators) {
      if (isAudienceAware(authenticator)) {
        const result = await authenticator.authenticateFor(token, wanted);
        if (result) return result;
        continue;
      }
      if (implicit.length === 0) continue;
      const user = await authenticator.authenticate(token);
      if (user) return { user, audiences: implicit };
    }
    return null;
  }
}

/** Parts of the sim's authentication chain. */
export interface SimAuthenticatorOptions {
  /** The bearer token written into SIM_KUBECONFIG. */
  adminToken: string;
  eks?: Authenticator;
  serviceAccounts?: Authenticator;
  apiAudiences?: readonly string[];
}

/** Static admin token, then EKS, then service-account tokens. */
export function simAuthenticator(options: SimAuthenticatorOptions): UnionAuthenticator {
  const chain: Authenticator[] = [staticTokenAuthenticator(options.adminToken)];
  if (options.eks) chain.push(options.eks);
  if (options.serviceAccounts) chain.push(options.serviceAccounts);
  return new UnionAuthenticator(chain, options.apiAudiences);
}
