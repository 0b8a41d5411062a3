/**
 * Start-up recovery, so a crash never leaves access behind: expire what ran out while the
 * service was down, settle grants whose activation was interrupted, then have every cluster
 * adapter delete labelled bindings (and per-grant ServiceAccounts) of grants that are not active.
 */
import type { Grant } from '../types.js';
import type { ServiceContext } from './context.js';
import type { ExpiryLoop } from './expiry.js';
import type { GrantLifecycle } from './grant-lifecycle.js';

export async function recoverOnStart(ctx: ServiceContext, lifecycle: GrantLifecycle, expiry: ExpiryLoop): Promise<void> {
  await expiry.sweep();
  for (const grant of await pendingGrants(ctx)) await settleInterrupted(ctx, lifecycle, grant);
  // Every active grant is kept, whichever policy entry it was made under: two entries may name one
  // physical cluster (say, a gateway and a broker entry), and grant ids are unique across them.
  const keep = new Set((await ctx.store.activeGrants()).map((g) => g.id));
  for (const cluster of ctx.policy.clusters) {
    try {
      const { removed } = await ctx.adapterFor(cluster.name).reconcile(keep);
      if (removed.length) ctx.log.warn({ cluster: cluster.name, removed }, 'reconcile removed access left behind by grants that are not active');
      else ctx.log.info({ cluster: cluster.name, active: keep.size }, 'reconcile found nothing left behind');
    } catch (error) {
      // The sweep retries removals of known grants; an unreachable cluster must not stop the service.
      ctx.log.error({ cluster: cluster.name, err: (error as Error).message }, 'reconcile failed; will not retry until the next start');
    }
  }
}

async function pendingGrants(ctx: ServiceContext): Promise<Grant[]> {
  const all: Grant[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.listGrants({ state: ['pending'], limit: 1000, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** A pending grant with an approved approval is activated; one with no open approval was mid-activation. */
async function settleInterrupted(ctx: ServiceContext, lifecycle: GrantLifecycle, grant: Grant): Promise<void> {
  const approvals = await ctx.store.listApprovals({ grant: grant.id });
  if (approvals.some((a) => a.state === 'pending')) return;
  if (approvals.some((a) => a.state === 'approved')) {
    await lifecycle.activate(grant).catch((error: unknown) => ctx.log.error({ grant: grant.id, err: (error as Error).message }, 'could not activate an approved grant after restart'));
    return;
  }
  await lifecycle.settleUnapproved(grant.id, 'denied', 'The service stopped while activating this grant; request it again');
  ctx.log.warn({ grant: grant.id }, 'ended a grant whose activation was interrupted');
}
