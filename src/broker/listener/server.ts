/**
 * The broker's loopback TLS listener. It binds only 127.0.0.1 or ::1, presents a certificate
 * from the local CA (reissued before it expires), runs the guard before any handler sees a
 * request or an upgrade, and answers everything it will not serve, malformed requests
 * included, with a Kubernetes Status instead of crashing or hanging.
 *
 * Timeouts cover how long a client may take to send its headers and body, never how long a
 * response may last: watches, `logs -f` and exec sessions stay open for hours.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { ExitCode, KgateError } from '../../cli/errors.js';
import { badRequest, internalError, requestEntityTooLarge, statusResponse, type StatusResponse } from '../../kube/status.js';
import type { LocalCa, ServerCertificate } from '../local-ca.js';
import { BodyTooLargeError, bodyLimit } from './body-limit.js';
import { DEFAULT_LISTENER_LIMITS, guardRequest, type GuardVerdict, type ListenerLimits } from './guard.js';
import { writeRawStatus } from '../raw-response.js';
import { sessionTokenVerifier, type SessionTokenVerifier } from './session-token.js';

/** What a handler learns about an admitted request. */
export interface RequestContext {
  /** The session token the caller presented (already verified). */
  token: string;
  /**
   * The request body, failing with {@link BodyTooLargeError} past the body limit (the listener
   * then answers 413 itself). Handlers read this, not `req`, so chunked bodies are limited too.
   */
  body(): Readable;
}

/** Serves an admitted request. A throw or rejection becomes a 500 Status (or a reset, once the response has started). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void | Promise<void>;

/** Serves an admitted upgrade (WebSocket or SPDY). `socket` is the TLS socket. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext) => void | Promise<void>;

/** Options of {@link startLoopbackListener}. */
export interface LoopbackListenerOptions {
  ca: LocalCa;
  /** The tokens of live sessions, or a function that knows them. */
  sessionTokens: Iterable<string> | SessionTokenVerifier;
  handler: RequestHandler;
  /** Without one, upgrade requests are refused with 400. */
  upgrade?: UpgradeHandler;
  /** Only loopback addresses are accepted. */
  host?: '127.0.0.1' | '::1';
  /** 0 (the default) picks a free port. */
  port?: number;
  limits?: Partial<ListenerLimits>;
  /** Time allowed for the request headers to arrive (default 30 s). */
  headersTimeoutMs?: number;
  /** Time allowed for the whole request, headers and body, to arrive (default 120 s). */
  requestTimeoutMs?: number;
  /** Receives one line per refused or failed request; never a token. */
  log?: (line: string) => void;
}

/** A running listener. */
export interface LoopbackListener {
  /** e.g. `https://127.0.0.1:43125` or `https://[::1]:43125`. */
  url: string;
  host: '127.0.0.1' | '::1';
  port: number;
  /** Stops accepting, ends every open connection (watches and exec sessions included) and resolves when all are gone. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1']);
// Room for the request line (long label selectors) on top of the header fields the guard counts.
const REQUEST_LINE_ALLOWANCE = 8 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts the listener. Throws `KGATE_LISTENER_NOT_LOOPBACK` for any host other than 127.0.0.1
 * or ::1, before opening a socket.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const host = checkHost(options.host ?? '127.0.0.1');
  const limits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  const verify = typeof options.sessionTokens === 'function' ? options.sessionTokens : sessionTokenVerifier(options.sessionTokens);
  const log = options.log ?? (() => undefined);
  const certificate = await options.ca.serverCertificate();
  const headersTimeout = options.headersTimeoutMs ?? 30_000;
  const server = createServer({
    ...tlsOptions(certificate),
    maxHeaderSize: limits.maxHeaderBytes + REQUEST_LINE_ALLOWANCE,
    headersTimeout,
    requestTimeout: Math.max(options.requestTimeoutMs ?? 120_000, headersTimeout),
    // Node checks both timeouts only this often; a tenth of the header timeout keeps them close to exact.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, headersTimeout / 10)),
    // The guard answers a missing Host with a Status; Node's own answer would have no body.
    requireHostHeader: false,
  });
  // Node drops header fields past maxHeadersCount; one more than the limit lets the guard see the excess.
  server.maxHeadersCount = limits.maxHeaderCount + 1;
  server.timeout = 0;
  const sockets = trackConnections(server);
  const admit = (req: IncomingMessage): GuardVerdict => guardRequest(
    { method: req.method ?? '', rawHeaders: req.rawHeaders, remoteAddress: req.socket.remoteAddress, localPort: req.socket.localPort ?? 0 },
    verify,
    limits,
  );
  server.on('request', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, admit(req), options.handler, limits, log));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(req, socket, head, admit(req), options.upgrade, log));
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    log(`refused CONNECT ${req.url ?? ''}`);
    writeRawStatus(socket, statusResponse(405, 'MethodNotAllowed', 'the kgate broker is not a forward proxy', {}));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => onClientError(error, socket, log));
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => log(`TLS handshake failed (${error.code ?? error.message})`));
  const port = await listen(server, host, options.port ?? 0);
  const renewal = scheduleRenewal(server, options.ca, certificate, log);
  return {
    url: `https://${host === '::1' ? '[::1]' : host}:${port}`,
    host,
    port,
    close: () => closeServer(server, sockets, renewal),
  };
}

function checkHost(host: string): '127.0.0.1' | '::1' {
  if (LOOPBACK_HOSTS.has(host)) return host as '127.0.0.1' | '::1';
  throw new KgateError(`The broker listens only on a loopback address (127.0.0.1 or ::1), not ${JSON.stringify(host)}`, {
    code: 'KGATE_LISTENER_NOT_LOOPBACK', exit: ExitCode.Usage,
    suggestions: ['Use 127.0.0.1 or ::1: the broker holds cluster access for this machine only.'],
  });
}

function tlsOptions(certificate: ServerCertificate) {
  return { key: certificate.key, cert: certificate.cert, minVersion: 'TLSv1.2' as const, ALPNProtocols: ['http/1.1'] };
}

function trackConnections(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new KgateError(`Cannot listen on ${host}:${port} (${error.code ?? error.message})`, {
      code: 'KGATE_LISTENER_BIND', exit: ExitCode.Error, cause: error,
      suggestions: host === '::1' ? ['IPv6 may be disabled on this machine; use 127.0.0.1.'] : ['Choose another port, or 0 for a free one.'],
    }));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function scheduleRenewal(server: Server, ca: LocalCa, current: ServerCertificate, log: (line: string) => void): { timer?: NodeJS.Timeout } {
  const handle: { timer?: NodeJS.Timeout } = {};
  const arm = (certificate: ServerCertificate, delayMs: number) => {
    handle.timer = setTimeout(() => {
      ca.serverCertificate().then(
        (next) => {
          server.setSecureContext(tlsOptions(next));
          arm(next, Math.max(0, next.renewAt.getTime() - Date.now()));
        },
        (error: Error) => {
          log(`could not renew the listener certificate (${error.message}); retrying in a minute`);
          arm(certificate, 60_000);
        },
      );
    }, Math.min(delayMs, MAX_TIMER_MS));
    handle.timer.unref();
  };
  arm(current, Math.max(0, current.renewAt.getTime() - Date.now()));
  return handle;
}

function closeServer(server: Server, sockets: Set<Socket>, renewal: { timer?: NodeJS.Timeout }): Promise<void> {
  clearTimeout(renewal.timer);
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

function sendStatus(res: ServerResponse, status: StatusResponse, close: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (close) res.setHeader('Connection', 'close');
  res.writeHead(status.code, { ...status.headers, 'Content-Length': Buffer.byteLength(status.body) });
  res.end(status.body);
}

/** Runs `handler` for a request the guard admitted, or answers the guard's refusal; shared with the gateway. */
export function onRequest(req: IncomingMessage, res: ServerResponse, verdict: GuardVerdict, handler: RequestHandler, limits: ListenerLimits, log: (line: string) => void): void {
  if (!verdict.allowed) {
    log(`refused ${req.method} (${verdict.refusal.code})`);
    // The unread body of a refused request is not worth draining: close the connection instead.
    sendStatus(res, verdict.refusal, true);
    return;
  }
  const ctx: RequestContext = { token: verdict.token, body: lazyBody(req, res, limits, log) };
  Promise.resolve()
    .then(() => handler(req, res, ctx))
    .catch((error: Error) => {
      log(`handler failed for ${req.method} (${error.message.split('\n', 1)[0]})`);
      sendStatus(res, internalError('the kgate broker could not serve this request'), true);
    });
}

function lazyBody(req: IncomingMessage, res: ServerResponse, limits: ListenerLimits, log: (line: string) => void): () => Readable {
  let body: Readable | undefined;
  return () => {
    if (body) return body;
    const limited = bodyLimit(limits.maxBodyBytes);
    req.on('error', (error) => limited.destroy(error));
    limited.on('error', (error) => {
      if (!(error instanceof BodyTooLargeError)) return;
      req.unpipe(limited);
      log(`refused ${req.method} (413 body over ${limits.maxBodyBytes} bytes)`);
      sendStatus(res, requestEntityTooLarge(`limit is ${limits.maxBodyBytes}`), true);
      req.resume();
    });
    body = req.pipe(limited);
    return body;
  };
}

/** Runs `upgrade` for an upgrade the guard admitted, or answers the refusal on the raw socket; shared with the gateway. */
export function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, verdict: GuardVerdict, upgrade: UpgradeHandler | undefined, log: (line: string) => void): void {
  if (!verdict.allowed) {
    log(`refused upgrade ${req.method} (${verdict.refusal.code})`);
    writeRawStatus(socket, verdict.refusal);
    return;
  }
  if (!upgrade) {
    writeRawStatus(socket, badRequest('this endpoint does not support protocol upgrades'));
    return;
  }
  const ctx: RequestContext = { token: verdict.token, body: () => req };
  socket.on('error', () => undefined);
  Promise.resolve()
    .then(() => upgrade(req, socket, head, ctx))
    .catch((error: Error) => {
      log(`upgrade handler failed for ${req.method} (${error.message.split('\n', 1)[0]})`);
      socket.destroy();
    });
}

/** Answers a request Node could not parse with a Status (or a reset mid-response); shared with the gateway. */
export function onClientError(error: NodeJS.ErrnoException, socket: Duplex, log: (line: string) => void): void {
  log(`malformed request (${error.code ?? error.message})`);
  // A response already under way on this connection cannot be followed by another one.
  const busy = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (error.code === 'ECONNRESET' || busy || !socket.writable) {
    socket.destroy();
    return;
  }
  writeRawStatus(socket, clientErrorStatus(error.code));
}

function clientErrorStatus(code: string | undefined): StatusResponse {
  if (code === 'HPE_HEADER_OVERFLOW') return statusResponse(431, '', 'request header fields too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return statusResponse(408, '', 'the request headers or body arrived too slowly');
  return badRequest(`malformed HTTP request (${code ?? 'parse error'})`);
}
