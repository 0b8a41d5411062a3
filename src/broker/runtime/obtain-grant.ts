/**
 * The grant a wrapped command runs under: an active grant of the caller's for the same cluster,
 * template and namespaces is reused (and left alone afterwards); otherwise a new one is
 * requested, waited for up to `waitMs` when it needs approval, and marked as created for this
 * run so it is released when the run ends.
 */
import { ExitCode, KgateError } from '../../cli/errors.js';
import type { GrantRequestBody, GrantView, PolicyClient } from '../../policy/client.js';
import { waitForGrant } from '../../policy/grant-wait.js';
import { describeGrant } from '../../policy/render.js';

export interface ObtainedGrant {
  grant: GrantView;
  /** Requested for this run (so the run releases it). */
  created: boolean;
}

/** A grant is handed out only while it has this long left. */
export const MIN_REMAINING_MS = 60_000;

function covers(grant: GrantView, request: Pick<GrantRequestBody, 'cluster' | 'grant' | 'namespaces'>): boolean {
  if (grant.cluster !== request.cluster || grant.template !== request.grant || grant.breakGlass) return false;
  return (request.namespaces ?? []).every((ns) => grant.namespaces.includes(ns));
}

/** An active grant of the caller's for the same cluster, template and namespaces, with time left. */
export async function findReusableGrant(client: PolicyClient, request: Pick<GrantRequestBody, 'cluster' | 'grant' | 'namespaces'>): Promise<GrantView | undefined> {
  const active = await client.listGrants({ mine: true, state: 'active', cluster: request.cluster });
  return active.find((g) => covers(g, request) && (g.expiresAt ?? 0) - Date.now() > MIN_REMAINING_MS);
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
  const reusable = await findReusableGrant(client, request);
  if (reusable) return { grant: reusable, created: false };
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
