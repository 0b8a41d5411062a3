/**
 * Service-account tokens: the TokenRequest subresource (POST …/serviceaccounts/{sa}/token) and the
 * authenticator for the JWTs it issues, following kubernetes pkg/registry/core/serviceaccount/storage
 * /token.go and pkg/serviceaccount (claims.go, jwt.go). A token stays valid only while its
 * ServiceAccount (and bound Pod or Secret) exists with the UID it was issued for.
 */
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { StatusError, type Authenticator, type HandlerContext, type KubeObject, type ObjectStore, type UserInfo } from '../types.js';
import { answeringErrors, badRequest, invalidField, requireBody, writeJson } from './respond.js';
import { DEFAULT_SA_ISSUER, SaTokenSigner, type ServiceAccountIssuerInfo } from './sa-issuer.js';

/** Options of {@link ServiceAccountTokens.create}. */
export interface ServiceAccountTokensOptions {
  store: ObjectStore;
  /** --service-account-issuer; default https://kubernetes.default.svc. */
  issuer?: string;
  /** --api-audiences; default [issuer]. */
  apiAudiences?: string[];
  /** --service-account-max-token-expiration in seconds; longer requests are cut to it. */
  maxExpirationSeconds?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** A verified token: the user plus the audiences it was accepted for. */
export interface AudienceAuthentication {
  user: UserInfo;
  audiences: string[];
}

interface BoundRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid: string };
}

const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;
const SA_KEY = { group: '', resource: 'serviceaccounts' };
const POD_KEY = { group: '', resource: 'pods' };
const SECRET_KEY = { group: '', resource: 'secrets' };
const NODE_KEY = { group: '', resource: 'nodes' };

function notFound(resource: string, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${resource} ${JSON.stringify(name)} not found`, { name, kind: resource });
}

/** RFC 3339 seconds, as metav1.Time marshals. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Issues and verifies the sim's service-account tokens. */
export class ServiceAccountTokens implements Authenticator {
  readonly apiAudiences: string[];
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly signer: SaTokenSigner,
    private readonly options: ServiceAccountTokensOptions,
  ) {
    this.apiAudiences = options.apiAudiences ?? [signer.issuer];
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
  }

  /** Creates the issuer with a fresh signing key. */
  static async create(options: ServiceAccountTokensOptions): Promise<ServiceAccountTokens> {
    return new ServiceAccountTokens(await SaTokenSigner.create(options.issuer ?? DEFAULT_SA_ISSUER), options);
  }

  /** Issuer URL, JWKS and discovery document. */
  serviceAccountIssuer(): ServiceAccountIssuerInfo {
    return this.signer.info();
  }

  /** The TokenRequest handler (HandlerContext → 201 TokenRequest, or a Status). */
  readonly handleTokenRequest = answeringErrors((ctx) => this.tokenRequest(ctx), (line) => this.log(line));

  /**
   * Issues a token directly (what the handler does after decoding), for tests and for the lead's
   * own wiring. Throws StatusError like the handler would answer.
   */
  async issue(namespace: string, name: string, spec: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundRef } = {}): Promise<{ token: string; expirationTimestamp: string; audiences: string[]; expirationSeconds: number }> {
    const sa = this.options.store.get(SA_KEY, namespace, name);
    if (!sa) throw notFound('serviceaccounts', name);
    const bound = spec.boundObjectRef ? this.boundObject(namespace, name, spec.boundObjectRef) : undefined;
    const audiences = spec.audiences?.length ? spec.audiences : this.apiAudiences;
    let expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (this.options.maxExpirationSeconds && expirationSeconds > this.options.maxExpirationSeconds) expirationSeconds = this.options.maxExpirationSeconds;
    const now = Math.floor(this.now() / 1000);
    const claim: KubernetesClaim = { namespace, serviceaccount: { name, uid: sa.metadata.uid ?? '' }, ...bound };
    const token = await this.signer.sign({
      aud: audiences,
      exp: now + expirationSeconds,
      iat: now,
      nbf: now,
      jti: randomUUID(),
      sub: `system:serviceaccount:${namespace}:${name}`,
      'kubernetes.io': claim,
    });
    return { token, expirationTimestamp: rfc3339((now + expirationSeconds) * 1000), audiences, expirationSeconds };
  }

  private async tokenRequest(ctx: HandlerContext): Promise<void> {
    const { namespace, name } = ctx.info;
    const body = requireBody(ctx, 'TokenRequest');
    const metadata = (body.metadata ?? {}) as { name?: string; namespace?: string };
    if (metadata.name && metadata.name !== name) {
      throw invalidField('TokenRequest', 'authentication.k8s.io', name, 'metadata.name', metadata.name, 'must match the service account name if specified');
    }
    if (metadata.namespace && metadata.namespace !== namespace) {
      throw invalidField('TokenRequest', 'authentication.k8s.io', name, 'metadata.namespace', metadata.namespace, 'must match the service account namespace if specified');
    }
    const spec = (body.spec ?? {}) as { audiences?: string[]; expirationSeconds?: number | string; boundObjectRef?: BoundRef | null };
    const expirationSeconds = this.validExpiration(name, spec.expirationSeconds);
    const issued = await this.issue(namespace, name, {
      ...(spec.audiences ? { audiences: spec.audiences } : {}),
      expirationSeconds,
      ...(spec.boundObjectRef ? { boundObjectRef: spec.boundObjectRef } : {}),
    });
    writeJson(ctx.res, 201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { ...body.metadata, name, namespace, creationTimestamp: rfc3339(this.now()) },
      spec: {
        audiences: issued.audiences,
        expirationSeconds: issued.expirationSeconds,
        boundObjectRef: spec.boundObjectRef ?? null,
      },
      status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
    });
  }

  private validExpiration(name: string, requested: number | string | undefined): number {
    if (requested === undefined || requested === null) return DEFAULT_EXPIRATION_SECONDS;
    const seconds = Number(requested);
    if (!Number.isInteger(seconds)) throw badRequest('spec.expirationSeconds must be an integer');
    if (seconds < MIN_EXPIRATION_SECONDS) {
      throw invalidField('TokenRequest', 'authentication.k8s.io', name, 'spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes');
    }
    if (seconds > MAX_EXPIRATION_SECONDS) {
      throw invalidField('TokenRequest', 'authentication.k8s.io', name, 'spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds');
    }
    return seconds;
  }

  /** Resolves a boundObjectRef into the claim part; 404/400/409 as the real TokenREST answers. */
  private boundObject(namespace: string, saName: string, ref: BoundRef): Partial<KubernetesClaim> {
    const refName = ref.name ?? '';
    const group = (ref.apiVersion ?? 'v1').includes('/') ? ref.apiVersion!.split('/')[0] : '';
    let object: KubeObject | undefined;
    let part: 'pod' | 'secret' | 'node';
    if (group === '' && ref.kind === 'Pod') {
      object = this.options.store.get(POD_KEY, namespace, refName);
      if (!object) throw notFound('pods', refName);
      const podSa = (object.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default';
      if (podSa !== saName) throw badRequest(`cannot bind token for serviceaccount ${JSON.stringify(saName)} to pod running with different serviceaccount name.`);
      part = 'pod';
    } else if (group === '' && ref.kind === 'Secret') {
      object = this.options.store.get(SECRET_KEY, namespace, refName);
      if (!object) throw notFound('secrets', refName);
      part = 'secret';
    } else if (group === '' && ref.kind === 'Node') {
      object = this.options.store.get(NODE_KEY, '', refName);
      if (!object) throw notFound('nodes', refName);
      part = 'node';
    } else {
      throw badRequest(`cannot bind token for serviceaccount ${JSON.stringify(saName)} to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
    }
    const uid = object.metadata.uid ?? '';
    if (ref.uid && ref.uid !== uid) {
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${ref.kind} ${JSON.stringify(refName)}: the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`, { name: refName, kind: ref.kind ?? '' });
    }
    return { [part]: { name: refName, uid } };
  }

  /** Authenticates a token for the API audiences. */
  async authenticate(token: string): Promise<UserInfo | null> {
    return (await this.authenticateFor(token, this.apiAudiences))?.user ?? null;
  }

  /**
   * Authenticates a token for the given audiences (TokenReview spec.audiences): signature, issuer,
   * exp/nbf, an audience in common, and the ServiceAccount (and bound object) still existing with
   * the UIDs in the token. Returns null for tokens of other issuers and for invalid ones.
   */
  async authenticateFor(token: string, audiences: readonly string[]): Promise<AudienceAuthentication | null> {
    if (!this.isOurs(token)) return null;
    let payload: JWTPayload;
    try {
      payload = await this.signer.verify(token, this.now());
    } catch (e) {
      this.log(`sa-token: refused: ${(e as Error).message}`);
      return null;
    }
    const tokenAudiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    const accepted = audiences.filter((a) => tokenAudiences.includes(a));
    if (accepted.length === 0) {
      this.log(`sa-token: refused: token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(audiences)}`);
      return null;
    }
    const claim = payload['kubernetes.io'] as KubernetesClaim | undefined;
    const problem = claim ? this.staleReference(claim) : 'token has no kubernetes.io claim';
    if (problem) {
      this.log(`sa-token: refused: ${problem}`);
      return null;
    }
    return { user: this.userFor(claim!, payload), audiences: accepted };
  }

  private isOurs(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    try {
      return (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown }).iss === this.signer.issuer;
    } catch {
      return false;
    }
  }

  /** Why the objects a token names no longer back it, or undefined when they still do. */
  private staleReference(claim: KubernetesClaim): string | undefined {
    const store = this.options.store;
    const sa = store.get(SA_KEY, claim.namespace, claim.serviceaccount?.name ?? '');
    if (!sa) return `service account ${claim.namespace}/${claim.serviceaccount?.name} has been deleted`;
    if (sa.metadata.uid !== claim.serviceaccount.uid) return `service account UID (${sa.metadata.uid}) does not match claim (${claim.serviceaccount.uid})`;
    if (sa.metadata.deletionTimestamp) return `service account ${claim.namespace}/${claim.serviceaccount.name} is being deleted`;
    const bound: [string, { group: string; resource: string }, string, { name: string; uid: string } | undefined][] = [
      ['pod', POD_KEY, claim.namespace, claim.pod],
      ['secret', SECRET_KEY, claim.namespace, claim.secret],
      ['node', NODE_KEY, '', claim.node],
    ];
    for (const [what, key, ns, ref] of bound) {
      if (!ref) continue;
      const object = store.get(key, ns, ref.name);
      if (!object) return `${what} ${ref.name} has been deleted`;
      if (object.metadata.uid !== ref.uid) return `${what} UID (${object.metadata.uid}) does not match claim (${ref.uid})`;
      if (object.metadata.deletionTimestamp && Date.parse(object.metadata.deletionTimestamp) <= this.now()) return `${what} ${ref.name} is being deleted`;
    }
    return undefined;
  }

  private userFor(claim: KubernetesClaim, payload: JWTPayload): UserInfo {
    const extra: Record<string, string[]> = {};
    if (payload.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
    if (claim.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [claim.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [claim.pod.uid];
    }
    if (claim.node) {
      extra['authentication.kubernetes.io/node-name'] = [claim.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [claim.node.uid];
    }
    return {
      username: `system:serviceaccount:${claim.namespace}:${claim.serviceaccount.name}`,
      uid: claim.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${claim.namespace}`, 'system:authenticated'],
      ...(Object.keys(extra).length ? { extra } : {}),
    };
  }
}
