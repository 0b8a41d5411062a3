/**
 * The kgate gateway: the request pipeline hosted by the policy service, so the cluster credential
 * never leaves it. Callers reach a cluster under `/gateway/clusters/<name>/…` with a gateway
 * credential (a bearer the API server never accepts), bound to one principal, one grant and one
 * cluster. Each credential gets its own session (pipeline, audit chain); a session whose grant or
 * credential ends is closed at once, streams included, and its chain gets an end marker.
 *
 * The local broker hosts the very same pipeline behind its loopback listener; the two differ only
 * in how a caller authenticates, where the token comes from and where audit goes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClusterAdapter } from '../../cluster/adapter.js';
import { badRequest, internalError, serviceUnavailable, statusResponse, unauthorized, type StatusResponse } from '../../kube/status.js';
import type { GatewayCredentialRecord, PolicyStore } from '../../policy/store/types.js';
import type { Grant, Policy } from '../../policy/types.js';
import { principalId } from '../../policy/types.js';
import { grantEndReason } from '../../policy/render.js';
import { DEFAULT_LISTENER_LIMITS, guardRemoteRequest, type ListenerLimits } from '../listener/guard.js';
import { onRequest, onUpgrade } from '../listener/server.js';
import { writeRawStatus } from '../raw-response.js';
import { gatewayTokenDigest, looksLikeGatewayToken } from './gateway-token.js';
import type { ApprovalDesk } from './holds.js';
import { openGatewaySession, type GatewaySession } from './session.js';

export interface GatewayOptions {
  policy: Policy;
  store: PolicyStore;
  adapterFor(cluster: string): ClusterAdapter;
  desk: ApprovalDesk;
  /** Where a recording the store cannot take is kept. */
  stateDir: string;
  log: (line: string) => void;
  now: () => number;
  limits?: Partial<ListenerLimits>;
  /** How often open sessions are checked against the store (other replicas' revocations); default 2 s. */
  recheckMs?: number;
  /** An unused session is closed after this long; default 10 min. */
  idleMs?: number;
}

export interface Gateway {
  /** Whether a request target is the gateway's. */
  owns(url: string | undefined): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The grant ended (revoked, expired): its sessions close now. */
  grantEnded(grantId: string, reason: string): void;
  /** The credential ended (revoked): its session closes now. */
  credentialEnded(credentialId: string, reason: string): void;
  /** Closes every session (streams end, chains get end markers). */
  close(reason?: string): Promise<void>;
}

const PREFIX = '/gateway/';
const ABSOLUTE_GATEWAY = /^[a-z][a-z0-9+.-]*:\/\/[^/]*\/gateway\//i;
const ROUTE = /^\/gateway\/clusters\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\/.*)?$/;

/** The cluster and the path under it, or undefined for a target the gateway does not serve. */
export function gatewayRoute(url: string): { cluster: string; rest: string } | undefined {
  const match = ROUTE.exec(url);
  if (!match) return undefined;
  return { cluster: match[1]!, rest: match[3] ?? '/' };
}

type Admission = { ok: true; credential: GatewayCredentialRecord; grant: Grant } | { ok: false; refusal: StatusResponse; why: string };

export function createGateway(options: GatewayOptions): Gateway {
  const limits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  const { store, log, now } = options;
  const sessions = new Map<string, Promise<GatewaySession>>();
  const rulesFor = (cluster: string) => () => options.policy.rules.filter((r) => !r.match.clusters?.length || r.match.clusters.includes(cluster));

  async function admit(token: string, cluster: string): Promise<Admission> {
    const refuse = (why: string): Admission => ({ ok: false, refusal: unauthorized(`Unauthorized: ${why}`), why });
    if (!looksLikeGatewayToken(token)) return refuse('not a kgate gateway credential (get one with kgate exec, or a context from kgate kubeconfig add)');
    const credential = await store.gatewayCredentialByToken(gatewayTokenDigest(token));
    if (!credential) return refuse('unknown gateway credential');
    if (credential.revokedAt !== undefined) return refuse(`the gateway credential was revoked (${credential.revokedReason ?? 'revoked'})`);
    if (credential.expiresAt <= now()) return refuse('the gateway credential has expired; kubectl gets a new one through its exec plugin');
    if (credential.cluster !== cluster) return refuse(`the gateway credential is for cluster ${credential.cluster}, not ${cluster}`);
    const grant = await store.getGrant(credential.grantId);
    if (!grant || grant.state !== 'active' || (grant.expiresAt ?? 0) <= now()) return refuse(`grant ${credential.grantId} is ${grant?.state === 'active' ? 'expired' : grant?.state ?? 'gone'}`);
    if (principalId(grant.principal) !== credential.principal) return refuse('the gateway credential does not belong to the grant\'s owner');
    return { ok: true, credential, grant };
  }

  function sessionFor(credential: GatewayCredentialRecord, grant: Grant): Promise<GatewaySession> {
    let session = sessions.get(credential.id);
    if (!session) {
      session = openGatewaySession(credential, grant, {
        store, adapter: options.adapterFor(grant.cluster), desk: options.desk, rules: rulesFor(grant.cluster), masking: options.policy.masking,
        stateDir: options.stateDir, log: (line) => log(`gateway ${grant.cluster}: ${line}`), now,
      });
      sessions.set(credential.id, session);
      // A session that could not open is forgotten, so the next request tries again.
      session.catch(() => sessions.delete(credential.id));
    }
    return session;
  }

  async function endWhere(match: (s: GatewaySession) => boolean, reason: string): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const [id, pending] of sessions) {
      const session = await pending.catch(() => undefined);
      if (!session || !match(session)) continue;
      sessions.delete(id);
      log(`gateway: session ${session.id} of grant ${session.grant.id} ended (${reason})`);
      ending.push(session.end(reason));
    }
    await Promise.all(ending);
  }

  /** Sessions whose credential or grant ended elsewhere (another replica, a clock) or that sat idle. */
  async function recheck(): Promise<void> {
    for (const pending of [...sessions.values()]) {
      const session = await pending.catch(() => undefined);
      if (!session) continue;
      const credential = await store.getGatewayCredential(session.credential.id);
      const grant = await store.getGrant(session.grant.id);
      const t = now();
      let reason: string | undefined;
      if (!credential || credential.revokedAt !== undefined) reason = `the gateway credential was revoked (${credential?.revokedReason ?? 'gone'})`;
      // An expired credential opens nothing new; streams it opened run on until their grant ends.
      else if (credential.expiresAt <= t && session.active === 0) reason = 'the gateway credential expired';
      else if (!grant) reason = `grant ${session.grant.id} is gone`;
      else if (grant.state !== 'active' || (grant.expiresAt ?? 0) <= t) reason = grantEndReason(grant.state === 'active' ? { ...grant, state: 'expired' } : grant);
      else if (session.active === 0 && t - session.lastUsed > (options.idleMs ?? 10 * 60_000)) reason = 'idle';
      if (reason) await endWhere((s) => s === session, reason);
    }
  }
  let rechecking = false;
  const timer = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    recheck().catch((error: unknown) => log(`gateway: re-check failed (${(error as Error).message})`)).finally(() => (rechecking = false));
  }, options.recheckMs ?? 2000);
  timer.unref();

  /** Admits the caller, then runs `serve` with its session; answers refusals with `refuse`. */
  async function withSession(req: IncomingMessage, token: string, refuse: (status: StatusResponse) => void, serve: (session: GatewaySession) => void): Promise<void> {
    const url = req.url ?? '';
    if (!url.startsWith('/')) return refuse(badRequest('the request target must be a path (origin form), not an absolute URL'));
    const route = gatewayRoute(url);
    if (!route) return refuse(statusResponse(404, 'NotFound', 'the kgate gateway serves clusters under /gateway/clusters/<name>/'));
    const admission = await admit(token, route.cluster);
    if (!admission.ok) {
      log(`gateway: refused ${req.method} for ${route.cluster} (${admission.why})`);
      return refuse(admission.refusal);
    }
    let session: GatewaySession;
    try {
      session = await sessionFor(admission.credential, admission.grant);
    } catch (error) {
      log(`gateway: no cluster credential for grant ${admission.grant.id} (${(error as Error).message})`);
      return refuse(serviceUnavailable(`kgate could not get a credential for cluster ${route.cluster}; try again shortly`));
    }
    req.url = route.rest;
    session.active += 1;
    session.lastUsed = now();
    serve(session);
  }

  const done = (session: GatewaySession) => () => {
    session.active -= 1;
    session.lastUsed = now();
  };

  return {
    // Absolute-form targets naming the gateway come here too, to be refused as the pipeline would.
    owns: (url) => (url ?? '').startsWith(PREFIX) || ABSOLUTE_GATEWAY.test(url ?? ''),
    handle(req, res) {
      const verdict = guardRemoteRequest({ rawHeaders: req.rawHeaders }, limits);
      if (!verdict.allowed) return onRequest(req, res, verdict, () => undefined, limits, log);
      const refuse = (status: StatusResponse) => onRequest(req, res, { allowed: false, refusal: status }, () => undefined, limits, log);
      withSession(req, verdict.token, refuse, (session) => {
        res.once('close', done(session));
        onRequest(req, res, verdict, (r, s, ctx) => session.pipeline.handle(r, s, ctx), limits, log);
      }).catch((error: unknown) => {
        log(`gateway: request failed (${(error as Error).message})`);
        refuse(internalError('the kgate gateway could not serve this request'));
      });
    },
    upgrade(req, socket, head) {
      socket.on('error', () => undefined);
      const verdict = guardRemoteRequest({ rawHeaders: req.rawHeaders }, limits);
      if (!verdict.allowed) return writeRawStatus(socket, verdict.refusal);
      withSession(req, verdict.token, (status) => writeRawStatus(socket, status), (session) => {
        socket.once('close', done(session));
        onUpgrade(req, socket, head, verdict, (r, s, h, ctx) => session.pipeline.upgrade(r, s, h, ctx), log);
      }).catch((error: unknown) => {
        log(`gateway: upgrade failed (${(error as Error).message})`);
        socket.destroy();
      });
    },
    grantEnded: (grantId, reason) => void endWhere((s) => s.grant.id === grantId, reason),
    credentialEnded: (credentialId, reason) => void endWhere((s) => s.credential.id === credentialId, reason),
    async close(reason = 'the kgate server is shutting down') {
      clearInterval(timer);
      await endWhere(() => true, reason);
    },
  };
}
