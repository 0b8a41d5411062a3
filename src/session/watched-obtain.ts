/**
 * `obtainGrant` (reuse an active grant, else request one and wait for its approval) as the
 * session's interface needs it: every state the service reports for the grant is passed to
 * `onGrant` while it happens, and `cancel` withdraws a request that is still waiting — which also
 * ends the wait, since the long-poll returns on the grant's change.
 */
import type { ObtainedGrant } from '../broker/runtime/obtain-grant.js';
import { obtainGrant } from '../broker/runtime/obtain-grant.js';
import type { GrantRequestBody, GrantView, PolicyClient } from '../policy/client.js';

export interface WatchedObtain {
  done: Promise<ObtainedGrant>;
  /** Withdraws the request if it is still pending. */
  cancel(): Promise<void>;
}

/** Starts obtaining a grant for `request`, waiting up to `waitMs` for approval. */
export function watchedObtain(client: PolicyClient, request: GrantRequestBody, waitMs: number, events: { onGrant(grant: GrantView): void; onStatus(line: string): void }): WatchedObtain {
  let latest: GrantView | undefined;
  const onGrant = (grant: GrantView) => {
    latest = grant;
    events.onGrant(grant);
  };
  return {
    done: obtainGrant(client, request, { waitMs, status: events.onStatus, onGrant, requester: 'kgate session' }),
    async cancel() {
      if (latest?.state === 'pending') await client.revokeGrant(latest.id, 'kgate session cancelled').catch(() => undefined);
    },
  };
}
