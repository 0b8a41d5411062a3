/**
 * The cold path of a gateway context's credential plugin, cache-first like kubelogin: under a
 * lock per context, the cache is read again (another kubectl may have filled it meanwhile); on a
 * miss the caller is logged in without prompting, an active grant of the template is reused (a
 * pending request of it is waited on rather than requested twice, else one is requested), and a
 * `context` gateway credential is minted and cached. Twenty kubectl processes starting at once
 * thus cause one login, one grant request and one credential.
 *
 * Only a person can sign in or wait for an approval: without one (kubectl says so) a needed
 * login or a pending grant fails at once with what to run.
 */
import { ExitCode, KgateError } from '../../cli/errors.js';
import { withRefreshLock } from '../../identity/refresh-lock.js';
import { PolicyApiError, type GrantRequestBody, type GrantView, type PolicyClient } from '../../policy/client.js';
import { waitForGrant } from '../../policy/grant-wait.js';
import { describeGrant } from '../../policy/render.js';
import { findPendingGrant, findReusableGrant } from '../runtime/obtain-grant.js';
import { writeCachedCredential } from './credential-cache.js';
import { contextKeyDigest, isFresh, markServed, readCachedCredential, wasServed, type CachedGatewayCredential, type ContextKey } from './credential-file.js';

const MAX_WAIT_MS = 15 * 60_000;

/** What {@link contextCredential} needs; identity and network come in as functions. */
export interface ContextCredentialOptions {
  key: ContextKey;
  stateDir: string;
  /** The kubectl process running the plugin. */
  parent: number;
  /** kubectl says a person is at the terminal. */
  interactive: boolean;
  /** Logs in without prompting (cached token, workload token, client credentials), or fails with KGATE_LOGIN_NEEDED. */
  ensureLogin(): Promise<void>;
  /** Signs a person in (browser or device flow); only called when interactive. */
  loginInteractively(): Promise<void>;
  /** The policy service client of the current login (the same one each call). */
  client(): Promise<PolicyClient>;
  /** Lines for the person, on stderr. */
  status(line: string): void;
}

type Attempt = { credential: CachedGatewayCredential } | { pending: GrantView };

/** A gateway credential for the context: cached when a fresh one is there, else a new one. */
export async function contextCredential(options: ContextCredentialOptions): Promise<CachedGatewayCredential> {
  const { key, interactive } = options;
  const deadline = Date.now() + MAX_WAIT_MS;
  let loggedIn = false;
  for (;;) {
    let outcome: Attempt;
    try {
      outcome = await withRefreshLock(options.stateDir, `gateway-${contextKeyDigest(key)}`, () => attempt(options));
    } catch (error) {
      if ((error as { code?: string }).code === 'KGATE_LOGIN_NEEDED' && interactive && !loggedIn) {
        await options.loginInteractively();
        loggedIn = true;
        continue;
      }
      throw error;
    }
    if ('credential' in outcome) return outcome.credential;
    const grant = outcome.pending;
    const message = `grant ${grant.id} (${key.template} on ${key.cluster}) waits for approval${grant.approvalId ? `; approvers run: kgate approve ${grant.approvalId}` : ''}`;
    if (!interactive) {
      throw new KgateError(`${message}; not waiting because kubectl runs non-interactively`, {
        code: 'KGATE_APPROVAL_PENDING', exit: ExitCode.ApprovalPending, suggestions: ['Run the command again once an approver has approved.'],
      });
    }
    // Waited on outside the lock: other kubectl processes see the same pending grant meanwhile.
    const decided = await waitForGrant(await options.client(), grant, Math.max(0, deadline - Date.now()), options.status);
    if (decided.state === 'pending') throw new KgateError(`${message}; gave up waiting`, { code: 'KGATE_APPROVAL_PENDING', exit: ExitCode.ApprovalPending });
    if (decided.state !== 'active') throw new KgateError(describeGrant(decided), { code: 'KGATE_GRANT_DENIED', exit: ExitCode.Denied });
  }
}

async function attempt(options: ContextCredentialOptions): Promise<Attempt> {
  const { key, stateDir, parent } = options;
  const cached = readCachedCredential(stateDir, key);
  // One this kubectl was already handed is not handed again: the gateway refused it.
  if (cached && isFresh(cached, Date.now()) && !wasServed(stateDir, cached.id, parent)) {
    markServed(stateDir, cached.id, parent);
    return { credential: cached };
  }
  await options.ensureLogin();
  const client = await options.client();
  const request: GrantRequestBody = { cluster: key.cluster, grant: key.template, ...(key.namespaces.length ? { namespaces: [...key.namespaces] } : {}) };
  const grant = (await findReusableGrant(client, request)) ?? (await findPendingGrant(client, request)) ?? (await client.requestGrant(request));
  if (grant.state === 'pending') return { pending: grant };
  if (grant.state !== 'active') throw new KgateError(describeGrant(grant), { code: 'KGATE_GRANT_DENIED', exit: ExitCode.Denied });
  const view = await client.gatewayCredential(grant.id, 'context').catch((error: unknown) => {
    if (error instanceof PolicyApiError && error.apiCode === 'broker_mode') {
      throw new KgateError(`Cluster ${key.cluster} is now reached through the local broker, not the gateway`, {
        code: 'KGATE_CONTEXT_STALE', exit: ExitCode.Usage,
        suggestions: [`Write the context again: kgate kubeconfig add --cluster ${key.cluster} --grant ${key.template}`],
      });
    }
    throw error;
  });
  const credential: CachedGatewayCredential = { id: view.id, token: view.token, grant: view.grant, cluster: view.cluster, expiresAt: view.expiresAt };
  await writeCachedCredential(stateDir, key, credential);
  markServed(stateDir, credential.id, parent);
  return { credential };
}
