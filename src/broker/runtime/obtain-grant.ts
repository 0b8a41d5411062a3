/**
 * The grant a wrapped command runs under: an active grant of the caller's for the same cluster,
 * template and namespaces is reused (and left alone afterwards), unless a TTL was asked and that
 * grant would outlive it; otherwise a new one is requested, waited for up to `waitMs` when it
 * needs approval, and marked as created for this run so it is released when the run ends. With a
 * TTL, which of the two happened is said on the status line, never silently.
 */
import { ExitCode, KgateError } from '../../cli/errors.js';
import type { GrantRequestBody, GrantView, PolicyClient } from '../../policy/client.js';
import { tryParseDuration } from '../../policy/duration.js';
import { waitForGrant } from '../../policy/grant-wait.js';
import { describeGrant, formatRemaining } from '../../policy/render.js';

export interface ObtainedGrant {
  grant: GrantView;
  /** Requested for this run (so the run releases it). */
  created: boolean;
}

/** A grant is handed out only while it has this long left. */
export const MIN_REMAINING_MS = 60_000;
/** How much longer than an asked TTL a reused grant may still run: the time a new request would take anyway. */
export const TTL_SLACK_MS = 5_000;

type Wanted = Pick<GrantRequestBody, 'cluster' | 'grant' | 'namespaces' | 'ttl'>;

function covers(grant: GrantView, request: Wanted): boolean {
  if (grant.cluster !== request.cluster || grant.template !== request.grant || grant.breakGlass) return false;
  return (request.namespaces ?? []).every((ns) => grant.namespaces.includes(ns));
}

/** What the caller already holds for a request: a grant to reuse, or one passed over because it outlives the asked TTL. */
export interface ReuseChoice {
  reuse?: GrantView;
  /** An active grant that covers the request but runs longer than `ttl` allows. */
  outlives?: GrantView;
}

/**
 * Picks among the caller's active grants for the same cluster, template and namespaces, with time
 * left. With a TTL, only a grant that ends within it (plus {@link TTL_SLACK_MS}) is reused: a run
 * asked to hold access for 10 s must not run on for an hour. A TTL that cannot be read reuses
 * nothing; the service refuses it with the usual message.
 */
export async function chooseReusableGrant(client: PolicyClient, request: Wanted, now = Date.now()): Promise<ReuseChoice> {
  const active = await client.listGrants({ mine: true, state: 'active', cluster: request.cluster });
  const usable = active.filter((g) => covers(g, request) && (g.expiresAt ?? 0) - now > MIN_REMAINING_MS);
  if (request.ttl === undefined) return usable[0] ? { reuse: usable[0] } : {};
  const ttlMs = tryParseDuration(request.ttl);
  const fits = usable.filter((g) => ttlMs !== undefined && (g.expiresAt ?? 0) <= now + ttlMs + TTL_SLACK_MS);
  // Of those that fit, the one with the most time left serves the run longest.
  const reuse = fits.reduce<GrantView | undefined>((best, g) => (!best || (g.expiresAt ?? 0) > (best.expiresAt ?? 0) ? g : best), undefined);
  if (reuse) return { reuse };
  return usable[0] ? { outlives: usable[0] } : {};
}

/** An active grant of the caller's for the same cluster, template and namespaces, with time left (and within `ttl` when given). */
export async function findReusableGrant(client: PolicyClient, request: Wanted): Promise<GrantView | undefined> {
  return (await chooseReusableGrant(client, request)).reuse;
}

/** A pending request of the caller's for the same cluster, template and namespaces, so asking again does not request twice. */
export async function findPendingGrant(client: PolicyClient, request: Pick<GrantRequestBody, 'cluster' | 'grant' | 'namespaces'>): Promise<GrantView | undefined> {
  const pending = await client.listGrants({ mine: true, state: 'pending', cluster: request.cluster });
  return pending.find((g) => covers(g, request));
}

export interface ObtainOptions {
  /** How long to wait for an approval; 0 does not wait. */
  waitMs: number;
  /** Progress for the person or CI log. */
  status: (line: string) => void;
  /** Sees every state of the grant as the service reports it (to show it, or to withdraw it). */
  onGrant?: (grant: GrantView) => void;
  /** Who withdraws a request nobody approved in time, for the audit trail, e.g. `kgate exec`. */
  requester: string;
}

/** An active grant for `request`, or a typed error saying why there is none. */
export async function obtainGrant(client: PolicyClient, request: GrantRequestBody, options: ObtainOptions): Promise<ObtainedGrant> {
  const { reuse, outlives } = await chooseReusableGrant(client, request);
  if (reuse) {
    // Reuse is the documented default; with --ttl the caller asked for a bound, so say what bound it got.
    if (request.ttl) options.status(`kgate: using your active grant ${reuse.id} (${reuse.template} on ${reuse.cluster}, ${formatRemaining((reuse.expiresAt ?? 0) - Date.now())} left, within --ttl ${request.ttl})`);
    return { grant: reuse, created: false };
  }
  if (outlives) options.status(`kgate: not reusing grant ${outlives.id}: it runs ${formatRemaining((outlives.expiresAt ?? 0) - Date.now())} more, longer than --ttl ${request.ttl}; requesting a new grant`);
  const withdraw = (id: string) => client.revokeGrant(id, `${options.requester} stopped waiting`).catch(() => undefined);
  let grant = await client.requestGrant(request);
  options.onGrant?.(grant);
  if (grant.state === 'pending' && options.waitMs > 0) {
    try {
      grant = await waitForGrant(client, grant, options.waitMs, options.status, options.onGrant);
    } catch (error) {
      await withdraw(grant.id);
      throw error;
    }
  }
  if (grant.state === 'active') return { grant, created: true };
  if (grant.state === 'pending') {
    await withdraw(grant.id);
    throw new KgateError(`${describeGrant(grant)}; no approval within the wait, so the request was withdrawn`, {
      code: 'KGATE_APPROVAL_PENDING',
      exit: ExitCode.ApprovalPending,
      suggestions: [`Pass --wait 10m to wait for an approver${grant.approvalId ? ` (they run: kgate approve ${grant.approvalId})` : ''}.`],
    });
  }
  throw new KgateError(describeGrant(grant), { code: 'KGATE_GRANT_DENIED', exit: ExitCode.Denied });
}
