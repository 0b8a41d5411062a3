/**
 * The broker's loopback listener with the REAL kubectl and raw sockets: the session token lets
 * kubectl in, and everything a web page, a rebinding DNS name, an oversized or malformed request
 * or an unauthenticated upgrade could send is answered with a Kubernetes Status while the
 * listener keeps serving. The handler is a stand-in that answers /version and discovery only;
 * the pipeline behind it is tested elsewhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { openLocalCa, type LocalCa } from '../../../src/broker/local-ca.js';
import { startLoopbackListener, type LoopbackListener, type RequestContext } from '../../../src/broker/listener/server.js';
import { createSessionToken } from '../../../src/broker/listener/session-token.js';
import { writeSessionKubeconfig, type SessionKubeconfig } from '../../../src/broker/session-kubeconfig.js';
import { KgateError } from '../../../src/cli/errors.js';
import { kubectl } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';

const TOKEN = createSessionToken();
const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.9-kgate-test', gitCommit: 'abc', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64' };

let ca: LocalCa;
let listener: LoopbackListener;
let session: SessionKubeconfig;
const logLines: string[] = [];
const wss = new WebSocketServer({ noServer: true });

function json(res: ServerResponse, code: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function handler(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  // kubectl adds ?timeout=32s; the stand-in ignores queries.
  const path = (req.url ?? '').split('?', 1)[0];
  if (path === '/version') return json(res, 200, VERSION);
  if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }] });
  if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (path === '/echo') {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.body()) chunks.push(chunk as Buffer);
    return json(res, 200, { bytes: Buffer.concat(chunks).length });
  }
  if (path === '/slow-stream') {
    // Like a watch: the response outlives every request timeout.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let n = 0;
    const timer = setInterval(() => {
      res.write(`{"n":${n}}\n`);
      if (++n === 6) {
        clearInterval(timer);
        res.end();
      }
    }, 400);
    return;
  }
  if (path === '/hang') return;
  if (path === '/throw') throw new Error('handler bug');
  return json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 });
}

beforeAll(async () => {
  ca = await openLocalCa(scratchDir('kgate-listener-state-'));
  listener = await startLoopbackListener({
    ca,
    sessionTokens: [TOKEN],
    handler,
    upgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`echo:${String(data)}`))),
    headersTimeoutMs: 1_000,
    requestTimeoutMs: 1_000,
    log: (line) => logLines.push(line),
  });
  session = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: TOKEN, clusters: [{ name: 'local' }] });
});

afterAll(async () => {
  await session.dispose();
  await listener.close();
  wss.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string | string[]>, body?: string | Buffer | Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: listener.port, method, path, ca: ca.certificate, servername: 'localhost', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };

/** Raw bytes over TLS; resolves with everything the server sent before closing. */
function rawExchange(payload: string | Buffer, opts: { endAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: listener.port, ca: ca.certificate, servername: 'localhost' }, () => socket.write(payload));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    if (opts.endAfterMs) setTimeout(() => socket.end(), opts.endAfterMs);
  });
}

/** The Status fields to expect; a `reason` of undefined means the field is absent (StatusReasonUnknown). */
function expectedStatus(code: number, reason: string | undefined): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...(reason ? { reason } : {}) };
}

function statusOf(answer: Answer | string): { kind: string; code: number; reason?: string; message: string } {
  const body = typeof answer === 'string' ? answer.slice(answer.indexOf('\r\n\r\n') + 4) : answer.body;
  return JSON.parse(body);
}

describe('with the real kubectl', () => {
  it('kubectl version and get --raw work with the session token', async () => {
    const version = await kubectl(['version', '-o', 'json'], { kubeconfig: session.path });
    expect(version.stderr).toBe('');
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe(VERSION.gitVersion);
    const raw = await kubectl(['get', '--raw', '/version'], { kubeconfig: session.path });
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout)).toEqual(VERSION);
  });

  it('kubectl reaches discovery', async () => {
    const result = await kubectl(['api-versions'], { kubeconfig: session.path });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('v1');
  });

  it('kubectl with a wrong token is told it is unauthorized', async () => {
    const wrong = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: createSessionToken(), clusters: [{ name: 'local' }] });
    try {
      const raw = await kubectl(['get', '--raw', '/version'], { kubeconfig: wrong.path });
      expect(raw.code).not.toBe(0);
      expect(raw.stderr).toMatch(/Unauthorized/);
      const version = await kubectl(['version'], { kubeconfig: wrong.path });
      expect(version.code).not.toBe(0);
      expect(version.stderr).toMatch(/You must be logged in to the server/);
    } finally {
      await wrong.dispose();
    }
  });

  it('kubectl refuses a server certificate from another CA', async () => {
    const other = await openLocalCa(scratchDir('kgate-listener-other-'));
    const foreign = await writeSessionKubeconfig({ url: listener.url, caCertificate: other.certificate, token: TOKEN, clusters: [{ name: 'local' }] });
    try {
      const raw = await kubectl(['get', '--raw', '/version'], { kubeconfig: foreign.path });
      expect(raw.code).not.toBe(0);
      expect(raw.stderr).toMatch(/certificate signed by unknown authority/);
    } finally {
      await foreign.dispose();
    }
  });
});

describe('raw requests', () => {
  it.each<[string, string, Record<string, string>, string | undefined, number, string | undefined]>([
    ['no token', 'GET', {}, undefined, 401, 'Unauthorized'],
    ['an Origin header', 'GET', { ...auth, Origin: 'https://evil.example' }, undefined, 403, 'Forbidden'],
    ['Sec-Fetch-Site cross-site', 'GET', { ...auth, 'Sec-Fetch-Site': 'cross-site' }, undefined, 403, 'Forbidden'],
    ['a rebinding Host', 'GET', { ...auth, Host: 'attacker.example:80' }, undefined, 421, undefined],
    ['a form post', 'POST', { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=b', 415, 'UnsupportedMediaType'],
    ['a text/plain post', 'POST', { ...auth, 'Content-Type': 'text/plain' }, '{}', 415, 'UnsupportedMediaType'],
    ['too many headers', 'GET', { ...auth, ...Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, 'v'])) }, undefined, 431, undefined],
  ])('refuses %s with a Status', async (_name, method, headers, body, code, reason) => {
    const answer = await send(method, '/version', headers, body);
    expect(answer.status).toBe(code);
    expect(answer.headers['content-type']).toBe('application/json');
    const status = statusOf(answer);
    expect(status).toMatchObject(expectedStatus(code, reason));
    expect(status.reason).toBe(reason);
    expect(answer.headers.connection).toBe('close');
  });

  it('refuses a body announced over the limit before reading it', async () => {
    const answer = await send('POST', '/echo', { ...auth, 'Content-Type': 'application/json', 'Content-Length': String(4 * 1024 * 1024) }, undefined).catch((e: Error) => e);
    // The client may see the answer or a reset while it still writes; the answer comes first.
    if (answer instanceof Error) throw answer;
    expect(answer.status).toBe(413);
    expect(statusOf(answer).reason).toBe('RequestEntityTooLarge');
  });

  it('limits chunked bodies too, and passes bodies under the limit', async () => {
    const small = await send('POST', '/echo', { ...auth, 'Content-Type': 'application/json' }, [Buffer.alloc(1000, 0x20)]);
    expect(JSON.parse(small.body)).toEqual({ bytes: 1000 });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const big = await send('POST', '/echo', { ...auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, [chunk, chunk, chunk, chunk]);
    expect(big.status).toBe(413);
    expect(statusOf(big)).toMatchObject({ reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
  });

  it('answers headers larger than the parser allows with 431 and a Status', async () => {
    const answer = await rawExchange(`GET /version HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\nAuthorization: Bearer ${TOKEN}\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(statusOf(answer)).toMatchObject({ kind: 'Status', code: 431 });
  });

  it('answers a malformed request line with 400 and keeps serving', async () => {
    const answer = await rawExchange('GARBAGE\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(statusOf(answer)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    const bad = await rawExchange(`GET /version HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`);
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    const ok = await send('GET', '/version', auth);
    expect(ok.status).toBe(200);
  });

  it('answers a request without Host with a Status', async () => {
    const answer = await rawExchange(`GET /version HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(statusOf(answer).message).toMatch(/Host/);
  });

  it('times out a client that is slow to send its headers, with 408', async () => {
    const answer = await rawExchange(`GET /version HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(statusOf(answer)).toMatchObject({ kind: 'Status', code: 408 });
  });

  it('lets a long-running response outlive the request timeouts', async () => {
    const answer = await send('GET', '/slow-stream', auth);
    expect(answer.status).toBe(200);
    expect(answer.body.trim().split('\n')).toHaveLength(6);
  });

  it('turns a handler failure into a 500 Status', async () => {
    const answer = await send('GET', '/throw', auth);
    expect(answer.status).toBe(500);
    expect(statusOf(answer)).toMatchObject({ reason: 'InternalError' });
    expect(logLines.some((l) => l.includes('handler failed'))).toBe(true);
  });

  it('is not a forward proxy', async () => {
    const answer = await rawExchange(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(statusOf(answer)).toMatchObject({ reason: 'MethodNotAllowed' });
  });

  it('never logs the token', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });
});

describe('upgrades', () => {
  function upgrade(headers: Record<string, string>): Promise<{ opened: true; echo: string } | { opened: false; status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${listener.port}/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true`, ['v5.channel.k8s.io'], { ca: ca.certificate, headers });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (data) => {
        ws.close();
        resolve({ opened: true, echo: String(data) });
      });
      ws.on('error', (error) => reject(error));
    });
  }

  it.each<[string, Record<string, string>, number, string | undefined]>([
    ['without the token', {}, 401, 'Unauthorized'],
    ['with a wrong token', { Authorization: 'Bearer wrong' }, 401, 'Unauthorized'],
    ['from a web page', { ...auth, Origin: 'https://evil.example' }, 403, 'Forbidden'],
    ['to a rebinding Host', { ...auth, Host: 'attacker.example' }, 421, undefined],
  ])('refuses a WebSocket upgrade %s on the raw socket with a Status', async (_name, headers, code, reason) => {
    const result = await upgrade(headers);
    expect(result.opened).toBe(false);
    if (result.opened) return;
    expect(result.status).toBe(code);
    const status = JSON.parse(result.body);
    expect(status).toMatchObject(expectedStatus(code, reason));
    expect(status.reason).toBe(reason);
  });

  it('hands an authenticated upgrade to the upgrade handler', async () => {
    expect(await upgrade(auth)).toEqual({ opened: true, echo: 'echo:hi' });
  });
});

describe('binding and lifecycle', () => {
  it.each(['0.0.0.0', '::', 'localhost', '192.168.1.10', ''])('refuses to listen on %j', async (host) => {
    const error = await startLoopbackListener({ ca, sessionTokens: [TOKEN], handler, host: host as '127.0.0.1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KgateError);
    expect((error as KgateError).code).toBe('KGATE_LISTENER_NOT_LOOPBACK');
  });

  it('serves on ::1 with the same certificate and guard', async () => {
    const v6 = await startLoopbackListener({ ca, sessionTokens: (t) => t === TOKEN, handler, host: '::1' }).catch((e: KgateError) => e);
    if (v6 instanceof KgateError) {
      expect(v6.code).toBe('KGATE_LISTENER_BIND');
      return;
    }
    const config = await writeSessionKubeconfig({ url: v6.url, caCertificate: ca.certificate, token: TOKEN, clusters: [{ name: 'v6' }] });
    try {
      expect(v6.url).toBe(`https://[::1]:${v6.port}`);
      const raw = await kubectl(['get', '--raw', '/version'], { kubeconfig: config.path });
      expect(raw.code).toBe(0);
      expect(JSON.parse(raw.stdout).gitVersion).toBe(VERSION.gitVersion);
    } finally {
      await config.dispose();
      await v6.close();
    }
  });

  it('presents a fresh server certificate once the old one nears its end', async () => {
    const shortLived = await openLocalCa(scratchDir('kgate-listener-renew-'), { serverLifetimeMs: 2_000 });
    const own = await startLoopbackListener({ ca: shortLived, sessionTokens: [TOKEN], handler });
    const presented = () => new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: own.port, ca: shortLived.certificate, servername: 'localhost' }, () => {
        resolve(socket.getPeerX509Certificate()!.fingerprint256);
        socket.end();
      });
      socket.on('error', reject);
    });
    try {
      const first = await presented();
      await new Promise((r) => setTimeout(r, 1_700));
      const second = await presented();
      expect(second).not.toBe(first);
    } finally {
      await own.close();
    }
  });

  it('close() ends open long-lived connections', async () => {
    const own = await startLoopbackListener({ ca, sessionTokens: [TOKEN], handler });
    const hanging = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: own.port, path: '/hang', ca: ca.certificate, headers: auth, agent: false }, () => undefined);
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await own.close();
    expect(await hanging).toBe('ECONNRESET');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
