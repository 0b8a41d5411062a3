/**
 * Gateway credentials: what a caller's machine holds for a gateway cluster instead of a cluster
 * credential. Bound to one principal, one grant and one cluster; only the kgate gateway accepts
 * them; they end with the grant, at their own expiry, or when revoked (a `kgate exec` run revokes
 * its own when it ends).
 *
 * - `POST /v1/grants/:id/gateway-credentials {purpose}` — the grant's owner, while it is active.
 * - `POST /v1/gateway-credentials/:id/revoke` — the owner.
 */
import { createGatewayToken } from '../../broker/gateway/gateway-token.js';
import type { GatewayCredentialRecord } from '../store/types.js';
import type { Grant, Principal } from '../types.js';
import { principalId } from '../types.js';
import { isOwner } from './access.js';
import type { GatewayCredentialView } from './api.js';
import { readJsonBody } from './body.js';
import type { ServiceContext } from './context.js';
import { conflict, forbidden, notFound } from './errors.js';
import { ID_PATTERN, newId } from './grant-ids.js';
import { enumOf, object, optional, parseBody } from './input-schema.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';

/** A kubectl context's credential lives this long (its exec plugin fetches the next one). */
export const CONTEXT_CREDENTIAL_TTL_MS = 15 * 60_000;

const issueSchema = object({ purpose: optional(enumOf(['run', 'context'] as const)) });

/** The path under the service's URL where the gateway serves `cluster`. */
export function gatewayPath(cluster: string): string {
  return `/gateway/clusters/${cluster}`;
}

/** The cluster's access mode; gateway unless the policy says broker. */
export function accessOf(ctx: ServiceContext, cluster: string): 'gateway' | 'broker' {
  return ctx.policy.clusters.find((c) => c.name === cluster)?.access ?? 'gateway';
}

export class GatewayCredentialRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** POST /v1/grants/:id/gateway-credentials */
  async issue(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const body = parseBody(issueSchema, await readJsonBody(rc.req));
    const grant = await this.activeGrantOf(rc.params.id!, who);
    if (accessOf(this.ctx, grant.cluster) !== 'gateway') {
      throw conflict(`Cluster ${grant.cluster} uses access: broker; its grants are used through the local broker, not the gateway`, 'broker_mode');
    }
    const purpose = body.purpose ?? 'run';
    // Each live credential is a way into the gateway; a grant gets only so many at once.
    const { record, token } = await this.ctx.admission.gatewayCredential(grant, async () => {
      const now = this.ctx.now();
      const expiresAt = purpose === 'context' ? Math.min(grant.expiresAt!, now + CONTEXT_CREDENTIAL_TTL_MS) : grant.expiresAt!;
      const { token, sha256 } = createGatewayToken();
      const record: GatewayCredentialRecord = {
        id: newId(), tokenSha256: sha256, grantId: grant.id, cluster: grant.cluster, principal: principalId(who), purpose, createdAt: now, expiresAt,
      };
      await this.ctx.store.createGatewayCredential(record);
      return { record, token };
    });
    const { expiresAt } = record;
    this.ctx.log.info({ credential: record.id, grant: grant.id, principal: record.principal, purpose, expiresAt: new Date(expiresAt).toISOString() }, 'gateway credential issued');
    const view: GatewayCredentialView = { id: record.id, token, grant: grant.id, cluster: grant.cluster, purpose, expiresAt, path: gatewayPath(grant.cluster) };
    sendJson(rc.res, 201, view);
  }

  /** POST /v1/gateway-credentials/:id/revoke */
  async revoke(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    parseBody(object({}), await readJsonBody(rc.req));
    const id = rc.params.id!;
    const credential = ID_PATTERN.test(id) ? await this.ctx.store.getGatewayCredential(id) : undefined;
    if (!credential) throw notFound(`No gateway credential ${JSON.stringify(id)}`);
    if (credential.principal !== principalId(who)) throw forbidden(`Gateway credential ${id} is not yours`);
    const revoked = await this.ctx.store.revokeGatewayCredentials({ id }, this.ctx.now(), `revoked by ${who.name}`);
    for (const r of revoked) this.ctx.gatewayEvents.credentialEnded(r.id, `the gateway credential was revoked by ${who.name}`);
    sendJson(rc.res, 200, { id, revoked: true });
  }

  private async activeGrantOf(id: string, who: Principal): Promise<Grant> {
    const grant = ID_PATTERN.test(id) ? await this.ctx.store.getGrant(id) : undefined;
    if (!grant) throw notFound(`No grant ${JSON.stringify(id)}`);
    if (!isOwner(grant, who)) throw forbidden(`Only the owner of grant ${grant.id} may use it`);
    if (grant.state !== 'active' || (grant.expiresAt ?? 0) <= this.ctx.now()) {
      throw conflict(`Grant ${grant.id} is ${grant.state === 'active' ? 'expired' : grant.state}; gateway credentials exist only while it is active`, 'grant_not_active');
    }
    return grant;
  }
}
