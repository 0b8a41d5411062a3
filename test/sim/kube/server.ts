/**
 * The simulated kube-apiserver: HTTPS, bearer authentication, authorization of every request
 * from its RequestInfo, then discovery/version/health/OpenAPI or the REST storage, the
 * plugged-in review APIs, pod logs and exec/attach/portforward upgrades.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SimTls } from '../tls.js';
import { decodeObjectBody, mediaTypeOf, readBody } from './body.js';
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { openApiDocument, openApiIndex } from './openapi.js';
import { parseRequest, type ParsedRequest } from './request-info.js';
import { findResourceType, type ResourceType } from './resources.js';
import { badRequest, forbidden, methodNotAllowed, negotiate, notFoundPath, writeBody, writeObject, writeStatus } from './respond.js';
import { serveStoredResource, type RestRequest } from './rest.js';
import { notFound } from './store.js';
import { StatusError, type Attributes, type Authenticator, type Authorizer, type HandlerContext, type ObjectStore, type RequestInfo, type UpgradeContext, type UserInfo } from './types.js';

export interface KubeApiServerOptions {
  tls: SimTls;
  store: ObjectStore;
  /** Bearer token → UserInfo, or null (→ 401 Unauthorized). */
  authenticator: Authenticator;
  /** Asked for every request, including non-resource paths. */
  authorizer: Authorizer;
  handlers?: {
    /**
     * Create-only resources answered by a function, keyed "group/resource"
     * (e.g. "authorization.k8s.io/selfsubjectaccessreviews"), and subresources keyed
     * "group/resource/subresource" (e.g. "/serviceaccounts/token").
     */
    virtual?: Record<string, (ctx: HandlerContext) => Promise<void>>;
    podLog?: (ctx: HandlerContext) => Promise<void>;
    /** pods/exec|attach|portforward upgrade requests (WebSocket GET or SPDY POST). */
    upgrade?: (ctx: UpgradeContext) => void;
  };
  /** Reported by /version; default 1.32. */
  version?: { major: string; minor: string; gitVersion: string };
  log?: (line: string) => void;
  /** Clock for ages and timestamps. */
  now?: () => Date;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default 30 s). */
  watchBookmarkIntervalMs?: number;
}

export interface KubeApiServer {
  url: string;
  close(): Promise<void>;
}

const DEFAULT_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };
const HEALTH_PATHS = /^\/(healthz|livez|readyz)(\/[a-z-]+)?$/;
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const HTTP_REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

const UNAUTHORIZED = () => new StatusError(401, 'Unauthorized', 'Unauthorized');

/** The user behind the request's bearer token; adds system:authenticated like the apiserver's group adder. */
async function authenticate(req: IncomingMessage, authenticator: Authenticator, log: (line: string) => void): Promise<UserInfo> {
  const match = /^bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  if (!match) throw UNAUTHORIZED();
  let user: UserInfo | null;
  try {
    user = await authenticator.authenticate(match[1]!);
  } catch (e) {
    log(`authenticator error: ${(e as Error).message}`);
    user = null;
  }
  if (!user) throw UNAUTHORIZED();
  const groups = user.groups ?? [];
  return groups.includes('system:authenticated') ? user : { ...user, groups: [...groups, 'system:authenticated'] };
}

function attributesOf(user: UserInfo, info: RequestInfo, verb = info.verb): Attributes {
  return {
    user, verb, resourceRequest: info.isResourceRequest, apiGroup: info.apiGroup, apiVersion: info.apiVersion,
    resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name, path: info.path,
  };
}

function authorize(authorizer: Authorizer, attributes: Attributes): void {
  const decision = authorizer.authorize(attributes);
  if (!decision.allowed) throw forbidden(attributes, decision.reason);
}

/** Checks a resource path against the routes the apiserver would have registered for its type. */
function resolveRoute(info: RequestInfo): ResourceType {
  const type = findResourceType(info.apiGroup, info.apiVersion, info.resource);
  if (!type || info.verb === 'proxy' || info.parts.length > 3) throw notFoundPath();
  const isNamespaceObject = type.group === '' && type.resource === 'namespaces';
  if (!isNamespaceObject) {
    if (type.namespaced && info.parts.length >= 2 && !info.namespace) throw notFoundPath();
    if (!type.namespaced && info.namespace) throw notFoundPath();
    if (/\/namespaces\/\//.test(info.path)) throw notFoundPath();
  }
  if (info.subresource && !type.subresources.some((s) => s.name === info.subresource)) throw notFoundPath();
  if (info.parts.some((p) => p === '')) throw notFoundPath();
  return type;
}

/** Builds and starts the apiserver on 127.0.0.1 with an ephemeral port. */
export async function startKubeApiServer(opts: KubeApiServerOptions): Promise<KubeApiServer> {
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => new Date());
  const version = opts.version ?? DEFAULT_VERSION;
  const closers = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const upgraded = new Set<Duplex>();
  let serverAddress = '';

  const track = (end: () => void) => {
    closers.add(end);
    return () => closers.delete(end);
  };
  const defer = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  };

  function discovery(req: IncomingMessage, res: ServerResponse, prefix: 'api' | 'apis'): void {
    const negotiated = negotiate(req.headers.accept, (t) => t.kind === 'APIGroupDiscoveryList' && t.group === 'apidiscovery.k8s.io' && t.version === 'v2');
    if (negotiated.target) {
      res.setHeader('Vary', 'Accept');
      writeObject(req, res, 200, aggregatedDiscovery(prefix), negotiated, AGGREGATED_CONTENT_TYPE);
    } else writeObject(req, res, 200, prefix === 'api' ? apiVersions(serverAddress) : apiGroupList(), negotiated);
  }

  function serveNonResource(req: IncomingMessage, res: ServerResponse, path: string): void {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    const trimmed = path.replace(/\/+$/, '') || '/';
    const segments = trimmed.split('/').slice(1);
    if (trimmed === '/api' || trimmed === '/apis') return discovery(req, res, trimmed === '/api' ? 'api' : 'apis');
    if (segments[0] === 'api' && segments.length === 2) return writeDocument(req, res, apiResourceList('', segments[1]!));
    if (segments[0] === 'apis' && segments.length === 2) return writeDocument(req, res, apiGroupDocument(segments[1]!));
    if (segments[0] === 'apis' && segments.length === 3) return writeDocument(req, res, apiResourceList(segments[1]!, segments[2]!));
    if (path === '/version') return writeObject(req, res, 200, versionInfo(version));
    if (HEALTH_PATHS.test(path)) return writeBody(req, res, 200, 'text/plain; charset=utf-8', Buffer.from('ok'));
    if (path === '/openapi/v3') return writeObject(req, res, 200, openApiIndex(version.gitVersion));
    const openapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (openapi) return writeDocument(req, res, openApiDocument(openapi[2] ?? '', openapi[1] ?? openapi[3]!, version.gitVersion));
    log(`no route for non-resource path ${path}`);
    throw notFoundPath();
  }

  function writeDocument(req: IncomingMessage, res: ServerResponse, doc: Record<string, unknown> | undefined): void {
    if (!doc) throw notFoundPath();
    writeObject(req, res, 200, doc, negotiate(req.headers.accept));
  }

  async function serveVirtual(ctx: HandlerContext, type: ResourceType): Promise<void> {
    if (ctx.info.parts.length >= 2) throw notFoundPath();
    if (ctx.req.method !== 'POST') throw methodNotAllowed();
    if (type.namespaced && !ctx.info.namespace) throw notFoundPath();
    const handler = opts.handlers?.virtual?.[`${type.group}/${type.resource}`];
    if (!handler) {
      log(`no handler for ${type.group}/${type.resource}`);
      throw notFoundPath();
    }
    await handler({ ...ctx, body: await readRequestObject(ctx.req) });
  }

  async function readRequestObject(req: IncomingMessage) {
    return (await decodeObjectBody(await readBody(req), mediaTypeOf(req), log)) as HandlerContext['body'];
  }

  async function serveConnectLike(ctx: HandlerContext, type: ResourceType): Promise<void> {
    const { info, req } = ctx;
    const method = req.method ?? 'GET';
    const parent = ctx.store.get({ group: type.group, resource: type.resource }, info.namespace, info.name);
    if (info.subresource === 'log') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      if (!parent) throw notFound({ group: '', resource: 'pods' }, info.name);
      if (!opts.handlers?.podLog) {
        log('pods/log requested but no podLog handler is plugged in');
        throw notFoundPath();
      }
      return opts.handlers.podLog(ctx);
    }
    if (info.subresource === 'token') {
      if (method !== 'POST') throw methodNotAllowed();
      if (!parent) throw notFound({ group: '', resource: 'serviceaccounts' }, info.name);
      const handler = opts.handlers?.virtual?.['/serviceaccounts/token'];
      if (!handler) {
        log('serviceaccounts/token requested but no handler is plugged in');
        throw notFoundPath();
      }
      return handler({ ...ctx, body: await readRequestObject(req) });
    }
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
    throw badRequest('Upgrade request required');
  }

  async function serveResource(req: IncomingMessage, res: ServerResponse, parsed: ParsedRequest, user: UserInfo): Promise<void> {
    const { info, query } = parsed;
    const type = resolveRoute(info);
    const ctx: HandlerContext = { req, res, info, user, query, body: undefined, store: opts.store };
    if (type.virtual) return serveVirtual(ctx, type);
    if (['log', 'token', ...CONNECT_SUBRESOURCES].includes(info.subresource)) return serveConnectLike(ctx, type);
    const rest: RestRequest = {
      req, res, info, query, user, store: opts.store, type, namespace: type.namespaced ? info.namespace : '', now, log,
      bookmarkIntervalMs: opts.watchBookmarkIntervalMs ?? 30_000, track, defer,
      authorize: (verb) => authorize(opts.authorizer, attributesOf(user, info, verb)),
    };
    return serveStoredResource(rest);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Audit-Id', auditIdOf(req));
    res.setHeader('Cache-Control', 'no-cache, private');
    try {
      const parsed = parseRequest(req.method ?? 'GET', req.url ?? '/');
      const user = await authenticate(req, opts.authenticator, log);
      authorize(opts.authorizer, attributesOf(user, parsed.info));
      if (parsed.info.isResourceRequest) await serveResource(req, res, parsed, user);
      else serveNonResource(req, res, parsed.info.path);
    } catch (e) {
      if (!(e instanceof StatusError)) log(`internal error on ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      writeStatus(req, res, e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    }
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const parsed = parseRequest(req.method ?? 'GET', req.url ?? '/');
      const user = await authenticate(req, opts.authenticator, log);
      const { info, query } = parsed;
      authorize(opts.authorizer, attributesOf(user, info));
      if (!info.isResourceRequest || !CONNECT_SUBRESOURCES.has(info.subresource)) {
        log(`upgrade request for ${info.path} is not served`);
        throw badRequest(`upgrade is only supported for pods/exec, pods/attach and pods/portforward`);
      }
      const type = resolveRoute(info);
      if (!opts.store.get({ group: type.group, resource: type.resource }, info.namespace, info.name)) throw notFound({ group: '', resource: 'pods' }, info.name);
      if (!opts.handlers?.upgrade) {
        log(`pods/${info.subresource} upgrade requested but no upgrade handler is plugged in`);
        throw notFoundPath();
      }
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      opts.handlers.upgrade({ req, socket, head, info, user, query, store: opts.store });
    } catch (e) {
      if (!(e instanceof StatusError)) log(`internal error on upgrade ${req.url}: ${(e as Error).stack ?? String(e)}`);
      writeStatusOnSocket(socket, req, e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    }
  }

  const server = createServer({ key: opts.tls.server.key, cert: opts.tls.server.cert }, (req, res) => void handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(req, socket, head));
  server.on('clientError', (err, socket) => {
    log(`client error: ${err.message}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `127.0.0.1:${port}`;

  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      for (const end of [...closers]) end();
      for (const timer of timers) clearTimeout(timer);
      for (const socket of upgraded) socket.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The apiserver echoes a client's Audit-ID, else makes one. */
function auditIdOf(req: IncomingMessage): string {
  const given = req.headers['audit-id'];
  return typeof given === 'string' && given.trim() ? given.trim() : randomUUID();
}

function versionInfo(v: { major: string; minor: string; gitVersion: string }): Record<string, string> {
  return {
    major: v.major, minor: v.minor, gitVersion: v.gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64',
  };
}

function writeStatusOnSocket(socket: Duplex, req: IncomingMessage, error: StatusError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(error.toStatus()) + '\n';
  socket.end(
    `HTTP/1.1 ${error.code} ${HTTP_REASONS[error.code] ?? 'Error'}\r\nContent-Type: application/json\r\nAudit-Id: ${auditIdOf(req)}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
