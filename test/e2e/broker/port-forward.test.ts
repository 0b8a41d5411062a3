/**
 * pods/portforward through the broker's pipeline to the simulated apiserver, whose pod forwards
 * to a real TCP server on loopback: @kubernetes/client-node's PortForward and a raw channel-protocol
 * client get their bytes through and back; a deny rule, an undeclared port and a protocol the relay
 * cannot frame are refused with a Status; the real kubectl (SPDY tunnel, then SPDY) is refused
 * with kgate's message and exits instead of hanging; audit records carry ports and byte counts.
 */
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { startLoopbackListener, type LoopbackListener } from '../../../src/broker/listener/server.js';
import { openLocalCa } from '../../../src/broker/local-ca.js';
import { createPipeline, type Pipeline, type PipelineAuditRecord } from '../../../src/broker/pipeline/index.js';
import type { HeldRequest } from '../../../src/broker/pipeline/types.js';
import { writeSessionKubeconfig, type SessionKubeconfig } from '../../../src/broker/session-kubeconfig.js';
import type { GuardrailRule } from '../../../src/policy/types.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl } from '../../support/kubectl.js';

const SESSION = 'session-token-for-port-forward-test';
const POD = 'forward-target';
const HELD_POD = 'held-target';
const rules: GuardrailRule[] = [
  { name: 'no-prod-port-forward', match: { resources: ['pods/portforward'], namespaces: ['prod'] }, effect: 'deny', message: 'port-forward into prod goes through the bastion' },
  { name: 'held-port-forward', match: { resources: ['pods/portforward'], names: [HELD_POD] }, effect: 'approve', message: 'forwarding to this pod needs a second person' },
];

let world: SimWorld;
let stateDir: string;
let caCertificate: string;
let listener: LoopbackListener;
let pipeline: Pipeline;
let session: SessionKubeconfig;
const audits: PipelineAuditRecord[] = [];
const held: HeldRequest[] = [];
/** Two loopback servers the pod declares: one upper-cases what it gets, one reverses it. */
const servers: Server[] = [];
let upperPort: number;
let reversePort: number;

function startServer(transform: (data: Buffer) => Buffer): Promise<number> {
  const server = createServer((socket) => socket.on('data', (data: Buffer) => socket.write(transform(data))).on('error', () => undefined));
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const endedAudit = (since: number) => until(() => audits.slice(since).find((a) => a.info?.subresource === 'portforward'), 'the port-forward audit record');

function forwardUrl(namespace: string, pod: string, ports: number[]): string {
  return `${listener.url.replace(/^https/, 'wss')}/api/v1/namespaces/${namespace}/pods/${pod}/portforward?${ports.map((p) => `ports=${p}`).join('&')}`;
}

type Opened = { ok: true; ws: WebSocket } | { ok: false; status: number; body: { message?: string; code?: number } };

/** A channel-protocol client speaking to the broker as client-go's would, with the session token. */
function openForward(url: string, protocols: string[]): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { ca: caCertificate, headers: { Authorization: `Bearer ${SESSION}` } });
    ws.once('open', () => resolve({ ok: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ ok: false, status: res.statusCode!, body: JSON.parse(body) as { message?: string } }));
    });
    ws.once('error', reject);
  });
}

/** Raw messages by channel as the client received them (port prefixes included). */
function collect(ws: WebSocket): Map<number, Buffer> {
  const byChannel = new Map<number, Buffer>();
  ws.on('message', (data: Buffer) => byChannel.set(data[0]!, Buffer.concat([byChannel.get(data[0]!) ?? Buffer.alloc(0), data.subarray(1)])));
  return byChannel;
}

const portBytes = (port: number) => Buffer.from([port & 0xff, port >> 8]);
const bin = (channel: number, text: string) => Buffer.concat([Buffer.of(channel), Buffer.from(text)]);

beforeAll(async () => {
  world = await startSimWorld();
  upperPort = await startServer((data) => Buffer.from(data.toString().toUpperCase()));
  reversePort = await startServer((data) => Buffer.from([...data].reverse()));
  stateDir = await mkdtemp(join(tmpdir(), 'kgate-port-forward-'));
  const ca = await openLocalCa(stateDir);
  caCertificate = ca.certificate;
  pipeline = createPipeline({
    upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
    principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
    cluster: 'sim',
    rules: () => rules,
    masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [], exemptGroups: [] },
    onAudit: (record) => audits.push(record),
    holdForApproval: async (request) => {
      held.push(request);
      return { approved: true, approvalId: `approval-${held.length}` };
    },
    log: () => undefined,
  });
  listener = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: pipeline.handle, upgrade: pipeline.upgrade });
  session = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: SESSION, clusters: [{ name: 'sim' }] });
  for (const name of [POD, HELD_POD]) {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'staging' },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1', command: ['sleep', '600'], ports: [{ containerPort: upperPort }, { containerPort: reversePort }] }] },
    };
    expect((await kubectl(['apply', '-f', '-'], { kubeconfig: world.kubeconfig, input: JSON.stringify(pod) })).code).toBe(0);
    await until(() => ((world.store.get({ group: '', resource: 'pods' }, 'staging', name) as { status?: { phase?: string } } | undefined)?.status?.phase === 'Running' ? true : undefined), `pod ${name} to run`);
  }
}, 60_000);

afterAll(async () => {
  await session?.dispose();
  await listener?.close();
  await pipeline?.close();
  await world?.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test('client-node PortForward round-trips bytes through the broker, and the audit has ports and byte counts', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(session.path);
  const output = new PassThrough();
  const input = new PassThrough();
  let received = '';
  output.on('data', (d: Buffer) => (received += d.toString()));
  const since = audits.length;
  const ws = (await new PortForward(kc).portForward('staging', POD, [upperPort], output, null, input)) as unknown as WebSocket;
  input.write('hello through kgate\n');
  await until(() => (received === 'HELLO THROUGH KGATE\n' ? true : undefined), 'the echoed bytes');
  input.write('again');
  await until(() => (received.endsWith('AGAIN') ? true : undefined), 'the second echo');
  input.end();
  await new Promise((r) => (ws.readyState === ws.CLOSED ? r(undefined) : ws.once('close', r)));
  const record = await endedAudit(since);
  expect(record).toMatchObject({ decision: 'allow', outcome: 'forwarded', statusCode: 101, maskedCount: 0, canonicalUrl: `/api/v1/namespaces/staging/pods/${POD}/portforward?ports=${upperPort}` });
  expect(record.info).toMatchObject({ verb: 'get', resource: 'pods', subresource: 'portforward', namespace: 'staging', name: POD });
  expect(record.portForward).toMatchObject({ namespace: 'staging', pod: POD, ports: [upperPort], protocol: 'v4.channel.k8s.io', bytesIn: 25, bytesOut: 25, masked: false, portErrors: [] });
  expect(record.exec).toBeUndefined();
});

test('two ports map to channel pairs 0/1 and 2/3, each first message carrying its port', async () => {
  const opened = await openForward(forwardUrl('staging', POD, [upperPort, reversePort]), ['v4.channel.k8s.io']);
  if (!opened.ok) throw new Error(`refused with ${opened.status}: ${opened.body.message}`);
  const { ws } = opened;
  expect(ws.protocol).toBe('v4.channel.k8s.io');
  const byChannel = collect(ws);
  const since = audits.length;
  ws.send(bin(0, 'abc'));
  ws.send(bin(2, 'xyz'));
  ws.send(bin(1, 'a client may not write an error channel'));
  await until(() => (byChannel.get(0)?.length === 5 && byChannel.get(2)?.length === 5 ? true : undefined), 'both echoes');
  expect(byChannel.get(0)).toEqual(Buffer.concat([portBytes(upperPort), Buffer.from('ABC')]));
  expect(byChannel.get(1)).toEqual(portBytes(upperPort));
  expect(byChannel.get(2)).toEqual(Buffer.concat([portBytes(reversePort), Buffer.from('zyx')]));
  expect(byChannel.get(3)).toEqual(portBytes(reversePort));
  ws.close();
  const record = await endedAudit(since);
  expect(record.portForward).toMatchObject({ ports: [upperPort, reversePort], bytesIn: 6, bytesOut: 6, masked: false });
});

test('a port-forward open when its grant ends: each port\'s error channel says why, then a normal close, audited', async () => {
  const opened = await openForward(forwardUrl('staging', POD, [upperPort, reversePort]), ['v4.channel.k8s.io']);
  if (!opened.ok) throw new Error(`refused with ${opened.status}: ${opened.body.message}`);
  const { ws } = opened;
  const byChannel = collect(ws);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const since = audits.length;
  ws.send(bin(0, 'abc'));
  await until(() => (byChannel.get(0)?.length === 5 ? true : undefined), 'the echo');
  pipeline.terminate('grant g-forward expired');
  expect(await closed).toBe(1000);
  const message = Buffer.from('kgate: grant g-forward expired; stream closed');
  expect(byChannel.get(1)).toEqual(Buffer.concat([portBytes(upperPort), message]));
  expect(byChannel.get(3)).toEqual(Buffer.concat([portBytes(reversePort), message]));
  const record = await endedAudit(since);
  expect(record).toMatchObject({ outcome: 'forwarded', statusCode: 101, error: 'ended by kgate: grant g-forward expired' });
  expect(record.portForward).toMatchObject({ ports: [upperPort, reversePort], bytesIn: 3, bytesOut: 3 });
});

test('a deny rule on pods/portforward refuses with 403 and the rule message, and the relay never runs', async () => {
  const since = audits.length;
  const refused = await openForward(forwardUrl('prod', 'web', [80]), ['v4.channel.k8s.io']);
  expect(refused).toMatchObject({ ok: false, status: 403, body: { code: 403, message: expect.stringContaining('no-prod-port-forward: port-forward into prod goes through the bastion') } });
  const record = await endedAudit(since);
  expect(record).toMatchObject({ decision: 'deny', rule: 'no-prod-port-forward', outcome: 'denied', statusCode: 403 });
  expect(record.portForward).toBeUndefined();
});

test('an approve rule holds the port-forward; once approved it is relayed and the approval is audited', async () => {
  const since = audits.length;
  const opened = await openForward(forwardUrl('staging', HELD_POD, [upperPort]), ['v4.channel.k8s.io']);
  if (!opened.ok) throw new Error(`refused with ${opened.status}: ${opened.body.message}`);
  expect(held.at(-1)).toMatchObject({ rule: 'held-port-forward', info: { subresource: 'portforward', name: HELD_POD } });
  const byChannel = collect(opened.ws);
  opened.ws.send(bin(0, 'ok'));
  await until(() => (byChannel.get(0)?.length === 4 ? true : undefined), 'the echo');
  expect(byChannel.get(0)!.subarray(2).toString()).toBe('OK');
  opened.ws.close();
  const record = await endedAudit(since);
  expect(record).toMatchObject({ decision: 'approve', rule: 'held-port-forward', approvalId: `approval-${held.length}`, outcome: 'forwarded', statusCode: 101 });
  expect(record.portForward).toMatchObject({ pod: HELD_POD, bytesIn: 2, bytesOut: 2 });
});

test('a port the pod does not declare is refused with the apiserver\'s Status', async () => {
  const undeclared = await startServer((data) => data);
  const since = audits.length;
  const refused = await openForward(forwardUrl('staging', POD, [undeclared]), ['v4.channel.k8s.io']);
  expect(refused).toMatchObject({ ok: false, status: 400, body: { message: expect.stringContaining(`does not declare containerPort ${undeclared}`) } });
  const record = await endedAudit(since);
  expect(record).toMatchObject({ outcome: 'upstream-error', statusCode: 400 });
  expect(record.portForward).toMatchObject({ ports: [undeclared], refusedWith: 400, bytesIn: 0, bytesOut: 0 });
});

test('a WebSocket without a port-forward channel protocol is refused, naming the protocols kgate relays', async () => {
  const refused = await openForward(forwardUrl('staging', POD, [upperPort]), ['v5.channel.k8s.io']);
  expect(refused).toMatchObject({ ok: false, status: 403, body: { message: expect.stringContaining('only over the WebSocket channel protocol (v4.channel.k8s.io, v4.base64.channel.k8s.io)') } });
});

test('a port-forward that would be refused anyway is not held for approval first', async () => {
  const holds = held.length;
  const refused = await openForward(forwardUrl('staging', HELD_POD, [upperPort]), ['v5.channel.k8s.io']);
  expect(refused).toMatchObject({ ok: false, status: 403 });
  expect(held.length).toBe(holds);
});

test('SPDY port-forward is refused with a Status naming what kubectl users should expect', async () => {
  const url = new URL(forwardUrl('staging', POD, [upperPort]).replace(/^wss/, 'https'));
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', ca: caCertificate, headers: { Authorization: `Bearer ${SESSION}`, Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('upgrade', () => reject(new Error('SPDY port-forward was upgraded')));
    req.on('error', reject);
    req.end();
  });
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', message: expect.stringMatching(/asked for SPDY; kubectl port-forward speaks only SPDY .* does not work through kgate/) });
});

test.each([
  ['the WebSocket tunnel with SPDY fallback (default)', {}, ['GET', 'POST']],
  ['SPDY only', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, ['POST']],
])('kubectl port-forward over %s exits with kgate\'s refusal instead of hanging', async (_how, env, attempts) => {
  const since = audits.length;
  const r = await kubectl(['port-forward', '-n', 'staging', `pod/${POD}`, `0:${upperPort}`], { kubeconfig: session.path, env, timeoutMs: 20_000 });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error upgrading connection');
  expect(r.stderr).toContain('kgate relays pods/portforward only over the WebSocket channel protocol');
  expect(r.stderr).toContain('kubectl port-forward speaks only SPDY');
  const refusals = audits.slice(since).filter((a) => a.info?.subresource === 'portforward');
  expect(refusals.map((a) => a.method)).toEqual(attempts);
  expect(refusals.every((a) => a.outcome === 'refused' && a.statusCode === 403 && a.portForward === undefined)).toBe(true);
}, 30_000);
