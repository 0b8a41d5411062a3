/**
 * Keeps a session's access going while its shell is open, as far as policy allows: shortly before
 * the grant ends, kgate requests the same template again (same cluster, namespaces and reason).
 * When the policy activates it at once, the broker moves onto it; when it needs approval, the
 * shell is told the command approvers run and the broker moves once they approve; when it is
 * denied, the shell is told so and the grant ends as it would have. Each attempt is one grant
 * request the policy service decides and audits like any other; nothing here widens access.
 */
import type { GrantRequestBody, GrantView, PolicyClient } from '../policy/client.js';
import { waitForGrant } from '../policy/grant-wait.js';
import { formatRemaining } from '../policy/render.js';

export interface ExtensionOptions {
  client: PolicyClient;
  /** The grant the session runs on now. */
  grant: GrantView;
  /** What to request again. */
  request: GrantRequestBody;
  /** Moves the session's broker onto `next`. */
  useGrant(next: GrantView): void;
  /** Lines for the person at the shell. */
  say(line: string): void;
  /** The session now runs on `next` (re-arm warnings, update the prompt). */
  onExtended(next: GrantView): void;
  /** A grant requested for the session, to release when it ends. */
  onRequested(grantId: string): void;
}

/** How long before expiry an extension is asked for: 2 minutes, or a quarter of a short grant. */
export function extensionLeadMs(grant: Pick<GrantView, 'ttlMs'>): number {
  return Math.min(2 * 60_000, Math.floor(grant.ttlMs / 4));
}

/** Starts extending; the returned function stops (a request in flight is still reported). */
export function keepExtending(options: ExtensionOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const extend = async (current: GrantView): Promise<void> => {
    const ends = current.expiresAt ?? Date.now();
    let next = await options.client.requestGrant(options.request);
    options.onRequested(next.id);
    if (next.state === 'pending') {
      options.say(`kgate: extending grant ${current.id} needs approval; approvers run: kgate approve ${next.approvalId ?? next.id}`);
      next = await waitForGrant(options.client, next, Math.max(0, ends - Date.now()), () => undefined);
    }
    if (stopped) return;
    if (next.state === 'active') {
      options.useGrant(next);
      options.say(`kgate: session extended onto grant ${next.id}, ${formatRemaining((next.expiresAt ?? Date.now()) - Date.now())} left`);
      options.onExtended(next);
      schedule(next);
      return;
    }
    options.say(`kgate: grant ${current.id} cannot be extended (${next.state}${next.message ? `: ${next.message}` : ''}); it ends in ${formatRemaining(ends - Date.now())}`);
  };

  const schedule = (grant: GrantView): void => {
    const at = (grant.expiresAt ?? Date.now()) - extensionLeadMs(grant);
    timer = setTimeout(() => {
      if (stopped) return;
      extend(grant).catch((error: Error) => options.say(`kgate: extending grant ${grant.id} failed (${error.message})`));
    }, Math.max(0, at - Date.now()));
    timer.unref();
  };

  schedule(options.grant);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
