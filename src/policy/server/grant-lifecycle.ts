/**
 * State changes of a grant that touch the cluster. The order is what keeps access honest:
 * access is created BEFORE a grant is marked active (a failure leaves it denied, never active
 * without a binding) and removed BEFORE a grant is marked revoked or expired (a failure leaves
 * it active, so the next sweep tries again and credentials still end at expiresAt).
 */
import { grantEndReason } from '../render.js';
import type { Grant, Principal } from '../types.js';
import { principalId } from '../types.js';
import { grantKey } from './change-feed.js';
import type { ServiceContext } from './context.js';
import { ApiError, conflict } from './errors.js';
import { mapError } from './error-mapping.js';

export class GrantLifecycle {
  /** Called with each newly active grant so the expiry timer can move closer. */
  onActivated: (grant: Grant) => void = () => undefined;

  constructor(private readonly ctx: ServiceContext) {}

  /** Creates access for a pending grant and marks it active; on failure marks it denied and throws. */
  async activate(grant: Grant): Promise<Grant> {
    const { store, log, now } = this.ctx;
    const activatedAt = now();
    // The adapter sees the grant as it will be once active: bindings carry its expiry.
    const timed: Grant = { ...grant, state: 'active', activatedAt, expiresAt: activatedAt + grant.ttlMs };
    const adapter = this.ctx.adapterFor(grant.cluster);
    try {
      await adapter.ensureAccess(timed);
    } catch (error) {
      const api = mapError(error);
      log.error({ grant: grant.id, cluster: grant.cluster, err: (error as Error).message }, 'could not create access for a grant');
      await adapter.revokeAccess(grant).catch(() => undefined);
      const message = `Access could not be set up in cluster ${grant.cluster}: ${api.status === 500 ? 'internal error' : api.message}`;
      await store.transitionGrant(grant.id, ['pending'], { state: 'denied', message, endedAt: now() });
      this.ctx.feed.notify(grantKey(grant.id));
      throw new ApiError(api.status >= 500 ? 502 : api.status, 'activation_failed', message);
    }
    const active = await store.transitionGrant(grant.id, ['pending'], { state: 'active', activatedAt, expiresAt: timed.expiresAt });
    if (!active) {
      // Revoked (or expired) while access was being created: take it away again.
      await adapter.revokeAccess(grant).catch((error: unknown) => log.error({ grant: grant.id, err: (error as Error).message }, 'could not remove access of a grant that ended during activation'));
      throw conflict(`Grant ${grant.id} ended while it was being activated`, 'grant_ended');
    }
    log.info({ grant: active.id, cluster: active.cluster, principal: principalId(active.principal), role: active.clusterRole, namespaces: active.namespaces, expiresAt: new Date(active.expiresAt!).toISOString() }, 'grant active');
    await this.ctx.audit.record({ verb: 'activate', resource: 'grants', name: active.id, actor: { system: 'kgate-server' }, cluster: active.cluster, grant: active.id, decision: 'active', breakGlass: active.breakGlass });
    this.ctx.feed.notify(grantKey(active.id));
    this.onActivated(active);
    return active;
  }

  /** Removes access and marks the grant revoked; a pending grant is simply ended. */
  async revoke(grant: Grant, by: Principal, reason?: string): Promise<Grant> {
    const { store, log, now } = this.ctx;
    if (grant.state !== 'active' && grant.state !== 'pending') throw conflict(`Grant ${grant.id} is already ${grant.state}`, 'grant_ended');
    if (grant.state === 'active') await this.ctx.adapterFor(grant.cluster).revokeAccess(grant).catch((error: unknown) => {
      throw mapError(error);
    });
    const message = reason ? `Revoked by ${by.name}: ${reason}` : `Revoked by ${by.name}`;
    const revoked = await store.transitionGrant(grant.id, ['active', 'pending'], { state: 'revoked', endedAt: now(), endedBy: principalId(by), message });
    if (!revoked) throw conflict(`Grant ${grant.id} ended meanwhile`, 'grant_ended');
    log.info({ grant: grant.id, cluster: grant.cluster, by: principalId(by) }, 'grant revoked');
    await this.endGatewayAccess(grant.id, grantEndReason(revoked));
    await this.ctx.audit.record({ verb: 'revoke', resource: 'grants', name: grant.id, actor: by, cluster: grant.cluster, grant: grant.id, decision: 'revoked', reason });
    this.ctx.feed.notify(grantKey(grant.id));
    return revoked;
  }

  /** Removes access of an active grant past its expiry and marks it expired; false when it must be retried. */
  async expire(grant: Grant): Promise<boolean> {
    const { store, log, now } = this.ctx;
    try {
      await this.ctx.adapterFor(grant.cluster).revokeAccess(grant);
    } catch (error) {
      log.error({ grant: grant.id, cluster: grant.cluster, err: (error as Error).message }, 'could not remove access of an expired grant; will retry');
      return false;
    }
    const expired = await store.transitionGrant(grant.id, ['active'], { state: 'expired', endedAt: now(), message: 'The grant reached its expiry' });
    if (expired) {
      log.info({ grant: grant.id, cluster: grant.cluster }, 'grant expired');
      await this.endGatewayAccess(grant.id, grantEndReason(expired));
      await this.ctx.audit.record({ verb: 'expire', resource: 'grants', name: grant.id, actor: { system: 'kgate-server' }, cluster: grant.cluster, grant: grant.id, decision: 'expired' });
      this.ctx.feed.notify(grantKey(grant.id));
    }
    return true;
  }

  /** Revokes the grant's gateway credentials and has the gateway close what is still open on it. */
  private async endGatewayAccess(grantId: string, reason: string): Promise<void> {
    await this.ctx.store.revokeGatewayCredentials({ grantId }, this.ctx.now(), reason)
      .catch((error: unknown) => this.ctx.log.error({ grant: grantId, err: (error as Error).message }, 'could not revoke gateway credentials of an ended grant (the gateway refuses them anyway)'));
    this.ctx.gatewayEvents.grantEnded(grantId, reason);
  }

  /** Ends a pending grant whose approval was denied or expired. */
  async settleUnapproved(grantId: string, state: 'denied' | 'expired', message: string, endedBy?: string): Promise<void> {
    const ended = await this.ctx.store.transitionGrant(grantId, ['pending'], { state, message, endedAt: this.ctx.now(), ...(endedBy ? { endedBy } : {}) });
    if (ended) this.ctx.feed.notify(grantKey(grantId));
  }
}
