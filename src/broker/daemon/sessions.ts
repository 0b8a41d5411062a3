/**
 * The daemon's grants and cluster sessions, keyed by cluster, template and namespaces. A
 * credential request is answered from an active session when there is one; otherwise the daemon
 * logs in without prompting, reuses or requests a grant, and opens a cluster session with a
 * fresh session token. Concurrent requests for the same key share one attempt, so twenty kubectl
 * processes starting at once cause one login and one grant. A pending grant is remembered and
 * checked again on the next request. A grant that expires or is revoked ends its session's streams
 * (the session watches it), closes the session and invalidates its token.
 */
import { createHash } from 'node:crypto';
import { toErrorBody } from '../../cli/errors.js';
import type { IdentityContext } from '../../identity/context.js';
import { ensureLogin } from '../../identity/ensure-login.js';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import type { AuditSpool } from '../../audit/spool.js';
import { createSessionToken } from '../listener/session-token.js';
import { openClusterSession, type ClusterSession } from '../runtime/cluster-session.js';
import { findReusableGrant, MIN_REMAINING_MS } from '../runtime/obtain-grant.js';
import type { BrokerStatus, CredentialRequest, CredentialResponse } from './protocol.js';

interface Entry {
  key: string;
  cluster: string;
  template: string;
  grant: GrantView;
  /** Requested by the daemon (so released when it stops). */
  created: boolean;
  session?: ClusterSession;
  token?: string;
}

export interface SessionRegistryOptions {
  client: PolicyClient;
  identity: IdentityContext;
  stateDir: string;
  spool: AuditSpool;
  /** Ships the spool now; see ClusterSessionOptions.shipAudit. */
  shipAudit?: (timeoutMs: number) => Promise<unknown>;
  log: (line: string) => void;
}

export interface SessionRegistry {
  credential(request: CredentialRequest): Promise<CredentialResponse>;
  /** The cluster session a presented session token belongs to. */
  byToken(token: string): { cluster: string; session: ClusterSession } | undefined;
  verify(token: string): boolean;
  status(): BrokerStatus['sessions'];
  /** Closes every session and releases the grants the daemon requested. */
  close(): Promise<void>;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

function keyOf(request: CredentialRequest): string {
  return JSON.stringify([request.cluster, request.grant, [...(request.namespaces ?? [])].sort()]);
}

/** Creates the registry. */
export function createSessionRegistry(options: SessionRegistryOptions): SessionRegistry {
  const { client, log } = options;
  const entries = new Map<string, Entry>();
  const tokens = new Map<string, Entry>();
  const attempts = new Map<string, Promise<CredentialResponse>>();

  const granted = (entry: Entry): CredentialResponse => ({ ok: true, state: 'active', token: entry.token!, expiresAt: entry.grant.expiresAt!, grantId: entry.grant.id });
  const pending = (entry: Entry): CredentialResponse => ({
    ok: true, state: 'pending', grantId: entry.grant.id, ...(entry.grant.approvalId ? { approvalId: entry.grant.approvalId } : {}),
    message: `grant ${entry.grant.id} (${entry.template} on ${entry.cluster}) waits for approval${entry.grant.approvalId ? `; approvers run: kgate approve ${entry.grant.approvalId}` : ''}`,
  });
  const live = (entry: Entry | undefined): entry is Entry & { token: string } =>
    entry?.token !== undefined && (entry.grant.expiresAt ?? 0) - Date.now() > MIN_REMAINING_MS;

  async function drop(entry: Entry, why: string): Promise<void> {
    if (entries.get(entry.key) === entry) entries.delete(entry.key);
    if (entry.token) tokens.delete(digest(entry.token));
    log(`session for ${entry.template} on ${entry.cluster} closed (${why})`);
    await entry.session?.close().catch(() => undefined);
  }

  async function activate(entry: Entry): Promise<CredentialResponse> {
    entry.session = await openClusterSession({
      client, grant: entry.grant, stateDir: options.stateDir, spool: options.spool, ...(options.shipAudit ? { shipAudit: options.shipAudit } : {}), log, status: log,
      onGrantEnded: (why) => void drop(entry, why),
    });
    entry.token = createSessionToken();
    tokens.set(digest(entry.token), entry);
    log(`session for ${entry.template} on ${entry.cluster} open on grant ${entry.grant.id}`);
    return granted(entry);
  }

  async function obtain(request: CredentialRequest, key: string): Promise<CredentialResponse> {
    await ensureLogin(options.identity);
    const known = entries.get(key);
    // Not awaited: the old session's streams run on until its grant ends, and a new credential must not wait for them.
    if (known?.token) void drop(known, 'its grant is about to expire');
    if (known && !known.token) {
      known.grant = await client.getGrant(known.grant.id);
      if (known.grant.state === 'pending') return pending(known);
      if (known.grant.state === 'active') return activate(known);
      entries.delete(key);
      return { ok: false, code: 'KGATE_GRANT_DENIED', message: `grant ${known.grant.id} is ${known.grant.state}${known.grant.message ? `: ${known.grant.message}` : ''}`, exit: 3, suggestions: [] };
    }
    const reusable = await findReusableGrant(client, request);
    const grant = reusable ?? (await client.requestGrant({ cluster: request.cluster, grant: request.grant, ...(request.namespaces?.length ? { namespaces: request.namespaces } : {}) }));
    const entry: Entry = { key, cluster: request.cluster, template: request.grant, grant, created: !reusable };
    if (grant.state === 'active') {
      entries.set(key, entry);
      return activate(entry);
    }
    if (grant.state === 'pending') {
      entries.set(key, entry);
      return pending(entry);
    }
    return { ok: false, code: 'KGATE_GRANT_DENIED', message: `grant request for ${request.grant} on ${request.cluster} was ${grant.state}${grant.message ? `: ${grant.message}` : ''}`, exit: 3, suggestions: [] };
  }

  return {
    async credential(request) {
      if (typeof request.cluster !== 'string' || typeof request.grant !== 'string' || !request.cluster || !request.grant) {
        return { ok: false, code: 'KGATE_USAGE', message: 'credential needs a cluster and a grant template', exit: 2, suggestions: [] };
      }
      const key = keyOf(request);
      const entry = entries.get(key);
      if (live(entry)) return granted(entry);
      if (request.warmOnly) return { ok: true, state: 'cold' };
      let attempt = attempts.get(key);
      if (!attempt) {
        attempt = obtain(request, key).catch((error: unknown) => {
          const body = toErrorBody(error);
          log(`credential for ${request.grant} on ${request.cluster} failed (${body.code})`);
          return { ok: false as const, code: body.code, message: body.message, exit: body.exitCode, suggestions: body.suggestions };
        }).finally(() => attempts.delete(key));
        attempts.set(key, attempt);
      }
      return attempt;
    },
    byToken(token) {
      const entry = tokens.get(digest(token));
      return entry?.session ? { cluster: entry.cluster, session: entry.session } : undefined;
    },
    verify: (token) => tokens.has(digest(token)),
    status: () => [...entries.values()].map((e) => ({
      cluster: e.cluster, template: e.template, grantId: e.grant.id, state: e.token ? 'active' as const : 'pending' as const,
      ...(e.grant.expiresAt ? { expiresAt: e.grant.expiresAt } : {}), ...(e.session ? { session: e.session.session } : {}),
    })),
    async close() {
      for (const entry of [...entries.values()]) {
        entry.session?.pipeline.terminate('the kgate broker stopped');
        await drop(entry, 'the broker stops');
        if (entry.created) await client.revokeGrant(entry.grant.id, 'kgate broker stopped').catch((error: Error) => log(`could not release grant ${entry.grant.id} (${error.message})`));
      }
    },
  };
}
