/**
 * Waiting for a pending grant's decision: long-polls the service in slices of at most 30 s and
 * reports progress through `status`, so a person or a CI log sees why nothing happens yet.
 */
import type { GrantView, PolicyClient } from './client.js';
import { describeGrant } from './render.js';

/** The grant once it left `pending`, or still pending when `waitMs` ran out. */
export async function waitForGrant(client: PolicyClient, first: GrantView, waitMs: number, status: (line: string) => void, onGrant?: (grant: GrantView) => void): Promise<GrantView> {
  const deadline = Date.now() + waitMs;
  let grant = first;
  status(describeGrant(grant));
  if (grant.approvalId) status(`Approvers run: kgate approve ${grant.approvalId}`);
  while (grant.state === 'pending' && Date.now() < deadline) {
    const seconds = Math.max(1, Math.min(30, Math.ceil((deadline - Date.now()) / 1000)));
    grant = await client.getGrant(grant.id, { revision: grant.revision, seconds });
    onGrant?.(grant);
    if (grant.state === 'pending') status(`Still waiting for approval (${Math.max(0, Math.round((deadline - Date.now()) / 1000))}s left)…`);
  }
  return grant;
}
