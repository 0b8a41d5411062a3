/**
 * `startPolicyServer`: the policy service on node:http (or node:https with a cert and key). It
 * recovers first (expire, settle, reconcile every cluster), then serves the v1 API and runs the
 * expiry loop until closed.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGateway } from '../../broker/gateway/gateway.js';
import { onClientError } from '../../broker/listener/server.js';
import { writeRawStatus } from '../../broker/raw-response.js';
import type { ClusterAdapter } from '../../cluster/adapter.js';
import { statusResponse } from '../../kube/status.js';
import { Admission } from './admission.js';
import { approvalDesk } from './approval-desk.js';
import type { PolicyStore } from '../store/types.js';
import type { ClusterConfig, Policy } from '../types.js';
import { createAuthenticator } from './authenticate.js';
import { ChangeFeed } from './change-feed.js';
import { GatewayEvents } from './gateway-events.js';
import { adapterRegistry, type ServiceContext } from './context.js';
import { mapError } from './error-mapping.js';
import { ExpiryLoop, SWEEP_INTERVAL_MS } from './expiry.js';
import { GrantLifecycle } from './grant-lifecycle.js';
import { IssuerKeys, trustingFetch } from './jwks.js';
import { createServerLogger, type ServiceLogger } from './logger.js';
import { resolveLimits, type ServiceLimits } from './limits.js';
import { recoverOnStart } from './reconcile.js';
import { sendError } from './respond.js';
import { ServiceAudit } from './service-audit.js';
import { buildRouter } from './routes.js';
import type { Router } from './router.js';

export interface PolicyServerOptions {
  policy: Policy;
  store: PolicyStore;
  /** Adapters by cluster name, or a factory called once per policy cluster on first use. */
  clusters: Map<string, ClusterAdapter> | ((config: ClusterConfig) => ClusterAdapter);
  listen: { host: string; port: number };
  /** PEM cert and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** Extra CA (PEM) trusted when fetching issuers' discovery documents and JWKS. */
  caBundle?: string;
  now?: () => number;
  logger?: ServiceLogger;
  /** Period of the expiry safety-net sweep; default 5 s. */
  sweepIntervalMs?: number;
  /** Where the gateway keeps a recording the store could not take; default a directory under the OS temp dir. */
  stateDir?: string;
  /** How often the gateway re-checks open sessions against the store; default 2 s. */
  gatewayRecheckMs?: number;
  /** Write limits over the defaults (see limits.ts); checked at start. */
  limits?: Partial<ServiceLimits>;
}

export interface PolicyServer {
  /** `http(s)://host:port` the service listens on. */
  url: string;
  close(): Promise<void>;
}

/** Starts the policy service; resolves once start-up recovery is done and the port listens. */
export async function startPolicyServer(opts: PolicyServerOptions): Promise<PolicyServer> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createServerLogger();
  const limits = resolveLimits(opts.limits);
  const jwksFetch = trustingFetch(await issuerCaBundle(opts));
  const adapters = adapterRegistry(opts.policy, opts.clusters);
  const feed = new ChangeFeed();
  const ctx: ServiceContext = {
    policy: opts.policy,
    store: opts.store,
    feed,
    log,
    audit: new ServiceAudit(opts.store, log, now),
    authenticate: createAuthenticator(opts.policy.issuers, new IssuerKeys(jwksFetch.fetch), now),
    now,
    admission: new Admission(limits, opts.store, now),
    gatewayEvents: new GatewayEvents(),
    adapterFor: adapters.adapterFor,
  };
  const lifecycle = new GrantLifecycle(ctx);
  const expiry = new ExpiryLoop(ctx, lifecycle, opts.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
  lifecycle.onActivated = (grant) => expiry.scheduleAt(grant.expiresAt!);
  await recoverOnStart(ctx, lifecycle, expiry);
  expiry.start();

  const scheduleAt = (at: number) => expiry.scheduleAt(at);
  const router = buildRouter(ctx, lifecycle, scheduleAt);
  const gateway = createGateway({
    policy: opts.policy, store: opts.store, adapterFor: adapters.adapterFor, desk: approvalDesk(ctx, scheduleAt),
    stateDir: opts.stateDir ?? join(tmpdir(), 'kgate-gateway'), now,
    log: (line) => log.info({ component: 'gateway' }, line),
    ...(opts.gatewayRecheckMs ? { recheckMs: opts.gatewayRecheckMs } : {}),
  });
  const unsubscribe = ctx.gatewayEvents.subscribe(gateway);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (gateway.owns(req.url)) gateway.handle(req, res);
    else void handle(router, log, req, res);
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (gateway.owns(req.url)) gateway.upgrade(req, socket, head);
    else writeRawStatus(socket, statusResponse(400, 'BadRequest', 'only the kgate gateway (/gateway/clusters/<name>/) serves protocol upgrades'));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => onClientError(error, socket, () => undefined));
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => (closing ??= (async () => {
      await expiry.stop();
      unsubscribe();
      // Streams through the gateway end now, each audited, every chain closed with its end marker.
      await gateway.close();
      server.closeIdleConnections();
      // Long-polls end with the server; clients retry against the next instance.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await adapters.close();
      await jwksFetch.close();
    })()),
  };
}

async function handle(router: Router, log: ServiceLogger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://kgate.invalid');
  } catch {
    url = new URL('http://kgate.invalid/');
  }
  try {
    const { handler, params } = router.match(req.method ?? 'GET', url.pathname);
    await handler({ req, res, params, query: url.searchParams, signal: controller.signal });
  } catch (error) {
    const api = mapError(error);
    if (api.status >= 500) log.error({ method: req.method, path: url.pathname, code: api.code, err: (error as Error)?.message }, 'request failed');
    sendError(res, api);
  } finally {
    log.debug({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started }, 'request');
  }
}

/** The CA bundle for issuers: the given one plus every issuer's own caFile. */
async function issuerCaBundle(opts: PolicyServerOptions): Promise<string | undefined> {
  const parts = opts.caBundle ? [opts.caBundle] : [];
  for (const issuer of opts.policy.issuers) if (issuer.caFile) parts.push(await readFile(issuer.caFile, 'utf8'));
  return parts.length ? parts.join('\n') : undefined;
}
