/**
 * The pod runtime against real clients over real sockets: @kubernetes/client-node's Exec and Log,
 * raw `ws` clients for the older and base64 protocols, and the real kubectl.
 *
 * The REST core of the simulated apiserver is written separately, so this file carries a tiny
 * HTTPS router and an in-memory ObjectStore that honour the same contracts (test/sim/kube/types.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Exec, KubeConfig, Log, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { createPodRuntime, type PodRuntime } from '../../sim/kube/pods/index.js';
import { StatusError, type KubeObject, type ObjectStore, type RequestInfo, type ResourceKey, type StoreEvent } from '../../sim/kube/types.js';
import { findKubectls, kubectl, writeKubeconfig } from '../../support/kubectl.js';

/** Minimal in-memory store with the contract's semantics (uid, resourceVersion, 404/409, events). */
class MemoryStore implements ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Map<string, Set<(event: StoreEvent) => void>>();
  private rv = 0;
  private key = (k: ResourceKey, ns: string, name: string) => `${k.group}/${k.resource}/${ns}/${name}`;
  private emit(k: ResourceKey, event: StoreEvent): void {
    for (const l of this.listeners.get(`${k.group}/${k.resource}`) ?? []) l(event);
  }
  get(k: ResourceKey, ns: string, name: string) {
    const o = this.objects.get(this.key(k, ns, name));
    return o && structuredClone(o);
  }
  list(k: ResourceKey, ns: string) {
    const prefix = `${k.group}/${k.resource}/${ns ? `${ns}/` : ''}`;
    return { items: [...this.objects.entries()].filter(([key]) => key.startsWith(prefix)).map(([, o]) => structuredClone(o)), resourceVersion: String(this.rv) };
  }
  create(k: ResourceKey, object: KubeObject) {
    const id = this.key(k, object.metadata.namespace ?? '', object.metadata.name);
    if (this.objects.has(id)) throw new StatusError(409, 'AlreadyExists', `${k.resource} "${object.metadata.name}" already exists`);
    const stored = structuredClone(object);
    stored.metadata = { ...stored.metadata, uid: crypto.randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    this.objects.set(id, stored);
    this.emit(k, { type: 'ADDED', object: structuredClone(stored), resourceVersion: this.rv });
    return structuredClone(stored);
  }
  update(k: ResourceKey, object: KubeObject) {
    const id = this.key(k, object.metadata.namespace ?? '', object.metadata.name);
    const old = this.objects.get(id);
    if (!old) throw new StatusError(404, 'NotFound', `${k.resource} "${object.metadata.name}" not found`);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== old.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'conflict');
    const stored = structuredClone(object);
    stored.metadata = { ...stored.metadata, uid: old.metadata.uid, resourceVersion: String(++this.rv) };
    this.objects.set(id, stored);
    this.emit(k, { type: 'MODIFIED', object: structuredClone(stored), resourceVersion: this.rv });
    return structuredClone(stored);
  }
  delete(k: ResourceKey, ns: string, name: string) {
    const id = this.key(k, ns, name);
    const old = this.objects.get(id);
    if (!old) throw new StatusError(404, 'NotFound', `${k.resource} "${name}" not found`);
    this.objects.delete(id);
    this.emit(k, { type: 'DELETED', object: old, resourceVersion: ++this.rv });
    return old;
  }
  subscribe(k: ResourceKey, listener: (event: StoreEvent) => void) {
    const id = `${k.group}/${k.resource}`;
    if (!this.listeners.has(id)) this.listeners.set(id, new Set());
    this.listeners.get(id)!.add(listener);
    return () => void this.listeners.get(id)!.delete(listener);
  }
  currentResourceVersion() {
    return this.rv;
  }
}

const PODS = { group: '', resource: 'pods' };
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/([^/]+))?$/;

function requestInfo(req: IncomingMessage): { info: RequestInfo; query: URLSearchParams } | undefined {
  const url = new URL(req.url ?? '/', 'https://sim');
  const match = POD_PATH.exec(url.pathname);
  if (!match) return undefined;
  const [, namespace, name, subresource = ''] = match;
  const info: RequestInfo = { isResourceRequest: true, path: url.pathname, verb: req.method === 'POST' ? 'create' : 'get', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: namespace!, resource: 'pods', subresource, name: name!, parts: ['pods', name!, subresource].filter(Boolean) };
  return { info, query: url.searchParams };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list'], shortNames: ['po'] },
      ...['exec', 'attach', 'portforward'].map((s) => ({ name: `pods/${s}`, singularName: '', namespaced: true, kind: s === 'portforward' ? 'PodPortForwardOptions' : `Pod${s[0]!.toUpperCase()}${s.slice(1)}Options`, verbs: ['create', 'get'] })),
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    ],
  },
};

let tls: SimTls;
let server: Server;
let store: MemoryStore;
let runtime: PodRuntime;
let baseUrl: string;
let workDir: string;
const simLog: string[] = [];
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0]!;
  if (DISCOVERY[path]) return sendJson(res, 200, DISCOVERY[path]);
  const parsed = requestInfo(req);
  if (!parsed) return sendJson(res, 404, new StatusError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
  const { info, query } = parsed;
  try {
    if (info.subresource === 'log') {
      await runtime.handleLog({ req, res, info, query, user: { username: 'tester', groups: [] }, body: undefined, store });
      return;
    }
    const pod = store.get(PODS, info.namespace, info.name);
    if (!pod) throw new StatusError(404, 'NotFound', `pods "${info.name}" not found`, { name: info.name, kind: 'pods' });
    sendJson(res, 200, pod);
  } catch (error) {
    if (!(error instanceof StatusError)) throw error;
    sendJson(res, error.code, error.toStatus());
  }
}

beforeAll(async () => {
  tls = await createSimTls();
  workDir = tempDir('kgate-pods-');
  store = new MemoryStore();
  runtime = createPodRuntime({ store, workDir, log: (line) => simLog.push(line) });
  server = createServer({ cert: tls.server.cert, key: tls.server.key }, (req, res) => void route(req, res));
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const parsed = requestInfo(req)!;
    runtime.handleUpgrade({ req, socket, head, ...parsed, user: { username: 'tester', groups: [] }, store });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The idle pod most exec tests run in.
  await runPod('shell', [{ name: 'app', image: 'alpine', env: [{ name: 'GREETING', value: 'from the spec' }] }]);
});

afterAll(async () => {
  await runtime.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

type Container = { name: string; image?: string; command?: string[]; args?: string[]; env?: Record<string, unknown>[]; envFrom?: Record<string, unknown>[]; volumeMounts?: Record<string, unknown>[]; stdin?: boolean };

async function runPod(name: string, containers: Container[], restartPolicy = 'Always', volumes?: Record<string, unknown>[]): Promise<KubeObject> {
  store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers, restartPolicy, ...(volumes ? { volumes } : {}) } });
  return waitForPod(name, (p) => p.status?.phase === 'Running');
}

async function waitForPod(name: string, predicate: (pod: KubeObject & { status?: { phase?: string } }) => boolean, timeoutMs = 5_000): Promise<KubeObject & { status?: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = store.get(PODS, 'default', name) as (KubeObject & { status?: { phase?: string } }) | undefined;
    if (pod && predicate(pod)) return pod;
    if (Date.now() > deadline) throw new Error(`pod ${name} never matched: ${JSON.stringify(pod?.status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: baseUrl, caData: Buffer.from(tls.ca.cert).toString('base64') }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'u' }],
    currentContext: 'sim',
  });
  return kc;
}

function collect(stream: PassThrough): { text: () => string } {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { text: () => Buffer.concat(chunks).toString() };
}

async function clientExec(pod: string, command: string[], stdin: Readable | null = null, tty = false): Promise<{ stdout: string; stderr: string; status: V1Status }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kubeConfig()).exec('default', pod, 'app', command, stdout, stderr, stdin, tty, resolve).then((ws) => ws.on('close', () => undefined), reject);
  });
  return { stdout: out.text(), stderr: err.text(), status };
}

interface RawResult { protocol: string; frames: (Buffer | string)[]; closeCode: number }

function rawExec(path: string, protocols: string[], send: (ws: WebSocket) => void = () => undefined): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace('https', 'wss')}${path}`, protocols, { ca: tls.ca.cert, headers: { Authorization: 'Bearer t' } });
    const frames: (Buffer | string)[] = [];
    ws.on('open', () => send(ws));
    ws.on('message', (data: Buffer, isBinary) => frames.push(isBinary ? data : data.toString()));
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(body), { statusCode: res.statusCode })));
    });
    ws.on('error', reject);
  });
}

function httpGet(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${baseUrl}${path}`, { method, ca: tls.ca.cert, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pod lifecycle', () => {
  it('marks a new pod Running with container statuses, and Failed with the exit code when it ends', async () => {
    const running = await runPod('lifecycle', [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 1; exit 2'] }], 'Never');
    const status = running.status as { podIP: string; startTime: string; conditions: { type: string; status: string }[]; containerStatuses: Record<string, unknown>[] };
    expect(status.podIP).toBe('127.0.0.1');
    expect(status.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0, image: 'docker.io/library/busybox:latest', state: { running: {} } });
    expect(status.containerStatuses[0]!.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const failed = await waitForPod('lifecycle', (p) => p.status?.phase === 'Failed');
    expect((failed.status as { containerStatuses: unknown[] }).containerStatuses[0]).toMatchObject({ ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } });
  });

  it('restarts under restartPolicy Always and keeps the previous log', async () => {
    await runPod('restarts', [{ name: 'app', command: ['sh', '-c', 'echo run; sleep 0.2; exit 1'] }]);
    const restarted = await waitForPod('restarts', (p) => ((p.status as { containerStatuses?: { restartCount: number }[] } | undefined)?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect((restarted.status as { containerStatuses: unknown[] }).containerStatuses[0]).toMatchObject({ lastState: { terminated: { exitCode: 1 } } });
    const previous = await httpGet('/api/v1/namespaces/default/pods/restarts/log?previous=true');
    expect(previous).toMatchObject({ status: 200, body: 'run\n' });
  });

  it('kills the processes of a deleted pod', async () => {
    // `$$` is Kubernetes' escape for `$`, so the shell sees `$$` (its pid).
    await runPod('doomed', [{ name: 'app', command: ['sh', '-c', 'echo $$$$ > pid; exec sleep 300'] }]);
    let pid = NaN;
    for (let i = 0; i < 50 && !(pid > 0); i++) pid = Number((await clientExec('doomed', ['sh', '-c', 'cat pid 2>/dev/null'])).stdout.trim() || NaN);
    expect(() => process.kill(pid, 0)).not.toThrow();
    store.delete(PODS, 'default', 'doomed');
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('finishes a graceful deletion like the kubelet: stop the containers, then remove the object', async () => {
    const pod = await runPod('graceful', [{ name: 'app', command: ['sleep', '300'] }]);
    store.update(PODS, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString() } });
    await until(() => store.get(PODS, 'default', 'graceful') === undefined);
  });
});

describe('exec with @kubernetes/client-node', () => {

  it('returns stdout, stderr and the exit code in the status', async () => {
    const result = await clientExec('shell', ['sh', '-c', 'echo "$GREETING"; echo oops >&2; exit 3']);
    expect(result.stdout).toBe('from the spec\n');
    expect(result.stderr).toBe('oops\n');
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(result.status.message).toBe('command terminated with non-zero exit code: error executing command [sh -c echo "$GREETING"; echo oops >&2; exit 3], exit code 3');
  });

  it('feeds stdin and half-closes it with the v5 close frame', async () => {
    const result = await clientExec('shell', ['sh', '-c', 'tr a-z A-Z; echo done'], Readable.from([Buffer.from('hello stdin\n')]));
    expect(result.stdout).toBe('HELLO STDIN\ndone\n');
    expect(result.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('runs in the container directory', async () => {
    const result = await clientExec('shell', ['pwd']);
    expect(result.stdout.trim()).toBe(join(workDir, `default_shell_${(store.get(PODS, 'default', 'shell')!.metadata.uid)}`, 'app'));
  });

  it('reports a missing command as containerd does', async () => {
    const result = await clientExec('shell', ['no-such-command-xyz']);
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(result.status.message).toContain('exec: "no-such-command-xyz": executable file not found in $PATH');
  });
});

describe('Secrets in a container, as the kubelet resolves them', () => {
  const SECRETS: ResourceKey = { group: '', resource: 'secrets' };
  const b64 = (v: string) => Buffer.from(v).toString('base64');

  beforeAll(async () => {
    store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, data: { password: b64('pa55-from-secret'), user: b64('app-user') } });
    store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', namespace: 'default' }, data: { token: b64('api-token-value') } });
    await runPod('consumer', [{
      name: 'app',
      command: ['sh', '-c', 'echo "started with $DB_PASSWORD"; exec sleep 300'],
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
      envFrom: [{ prefix: 'API_', secretRef: { name: 'api' } }],
      volumeMounts: [{ name: 'creds', mountPath: '/etc/db', readOnly: true }, { name: 'bundle', mountPath: '/var/run/bundle' }],
    }], 'Always', [
      { name: 'creds', secret: { secretName: 'db', items: [{ key: 'password', path: 'password' }] } },
      { name: 'bundle', projected: { sources: [{ secret: { name: 'api' } }, { secret: { name: 'absent', optional: true } }] } },
    ]);
  });

  it('resolves valueFrom.secretKeyRef and envFrom.secretRef into the exec environment', async () => {
    expect((await clientExec('consumer', ['printenv', 'DB_PASSWORD'])).stdout).toBe('pa55-from-secret\n');
    expect((await clientExec('consumer', ['env'])).stdout).toContain('API_token=api-token-value\n');
  });

  it('prints the value the main process echoed in the log', async () => {
    await until(async () => (await httpGet('/api/v1/namespaces/default/pods/consumer/log')).body === 'started with pa55-from-secret\n');
  });

  it('mounts secret and projected volumes with the atomic writer layout, below the working directory', async () => {
    expect((await clientExec('consumer', ['cat', 'etc/db/password'])).stdout).toBe('pa55-from-secret');
    expect((await clientExec('consumer', ['cat', 'var/run/bundle/token'])).stdout).toBe('api-token-value');
    const listing = await clientExec('consumer', ['sh', '-c', 'ls -A etc/db/; readlink etc/db/password; readlink etc/db/..data; stat -L -c %a etc/db/password']);
    const [payload, data, file, link, target, mode] = listing.stdout.split('\n');
    expect([data, file, link, mode]).toEqual(['..data', 'password', '..data/password', '644']);
    expect(payload).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    expect(target).toBe(payload);
    expect((await clientExec('consumer', ['ls', 'etc/db'])).stdout).toBe('password\n');
  });

  it('keeps a pod whose required Secret is missing in ContainerCreating', async () => {
    store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unmountable', namespace: 'default' }, spec: {
      containers: [{ name: 'app', command: ['sleep', '300'], volumeMounts: [{ name: 'v', mountPath: '/etc/x' }] }],
      volumes: [{ name: 'v', secret: { secretName: 'nowhere' } }],
    } });
    await until(() => simLog.some((line) => line.includes('MountVolume.SetUp failed for pod default/unmountable: secret "nowhere" not found')));
    const pod = await waitForPod('unmountable', (p) => (p.status as { containerStatuses?: unknown[] } | undefined)?.containerStatuses !== undefined);
    expect(pod.status).toMatchObject({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] });
  });
});

describe('raw WebSocket protocols', () => {
  const execPath = (cmd: string[], extra = 'stdout=true&stderr=true') => `/api/v1/namespaces/default/pods/shell/exec?${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&${extra}`;

  it('v4 binary: readiness frame, output, JSON status, close 1000', async () => {
    const result = await rawExec(execPath(['sh', '-c', 'printf hi; exit 4']), ['v4.channel.k8s.io', 'channel.k8s.io']);
    expect(result.protocol).toBe('v4.channel.k8s.io');
    expect(result.frames[0]).toEqual(Buffer.from([1]));
    expect(Buffer.concat(result.frames.slice(1, -1) as Buffer[]).subarray(1).toString()).toBe('hi');
    const status = result.frames.at(-1) as Buffer;
    expect(status[0]).toBe(3);
    expect(JSON.parse(status.subarray(1).toString())).toMatchObject({ reason: 'NonZeroExitCode', details: { causes: [{ message: '4' }] } });
    expect(result.closeCode).toBe(1000);
  });

  it('v4 base64: text frames both ways', async () => {
    const result = await rawExec(execPath(['cat'], 'stdin=true&stdout=true'), ['v4.base64.channel.k8s.io'], (ws) => {
      ws.send(`0${Buffer.from('over base64').toString('base64')}`);
      setTimeout(() => ws.close(), 200);
    });
    expect(result.protocol).toBe('v4.base64.channel.k8s.io');
    expect(result.frames[0]).toBe('1');
    expect(result.frames).toContain(`1${Buffer.from('over base64').toString('base64')}`);
  });

  it('pre-v4: no status text on success', async () => {
    const result = await rawExec(execPath(['true']), ['channel.k8s.io']);
    expect(result.frames).toEqual([Buffer.from([1])]);
    expect(result.closeCode).toBe(1000);
  });

  it('v5: [255, 0] ends stdin', async () => {
    const result = await rawExec(execPath(['wc', '-c'], 'stdin=true&stdout=true'), ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('12345')]));
      ws.send(Buffer.from([255, 0]));
    });
    const output = result.frames.filter((f) => (f as Buffer)[0] === 1).map((f) => (f as Buffer).subarray(1).toString()).join('');
    expect(output.trim()).toBe('5');
    expect((result.frames.at(-1) as Buffer).subarray(1).toString()).toBe('{"metadata":{},"status":"Success"}');
  });

  it('gives a tty a real pty and honours resize', async () => {
    const waitForResize = 'tty; stty size; i=0; while [ "$(stty size)" != "50 132" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; stty size';
    const result = await rawExec(execPath(['sh', '-c', waitForResize], 'stdout=true&tty=true'), ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":100,"Height":30}\n')]));
      ws.on('message', (data: Buffer) => {
        if (data.includes('30 100')) ws.send(Buffer.from([4, ...Buffer.from('{"Width":132,"Height":50}\n')]));
      });
    });
    const output = result.frames.filter((f) => (f as Buffer)[0] === 1).map((f) => (f as Buffer).subarray(1).toString()).join('');
    expect(output).toMatch(/^\/dev\/pts\/\d+\r\n30 100\r\n50 132\r\n$/);
  });

  it('refuses bad requests like the apiserver and kubelet', async () => {
    await expect(rawExec(execPath(['true'], 'stdout=false'), ['v5.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('you must specify at least 1 of stdin, stdout, stderr') });
    await expect(rawExec(execPath(['true']), ['v3.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 403 });
    await expect(rawExec('/api/v1/namespaces/default/pods/ghost/exec?command=true&stdout=true', ['v5.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 404, message: expect.stringContaining('pods \\"ghost\\" not found') });
    await expect(rawExec('/api/v1/namespaces/default/pods/shell/exec?stdout=true', ['v5.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 400 });
  });

  it('answers SPDY and port-forward upgrades with a Status, not a hang', async () => {
    const spdy = await httpGet(execPath(['true']), { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v5.channel.k8s.io' }, 'POST');
    expect(spdy.status).toBe(400);
    expect(JSON.parse(spdy.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message: expect.stringContaining('WebSocket only') });
    expect(simLog).toContainEqual(expect.stringMatching(/^pods: answered POST exec upgrade \(SPDY\/3\.1\) with 400/));
    // `ws` rejects this subprotocol name client-side, so the handshake is written by hand like client-go does.
    const portForward = await httpGet('/api/v1/namespaces/default/pods/shell/portforward', {
      Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
    });
    expect(portForward.status).toBe(400);
    expect(JSON.parse(portForward.body)).toMatchObject({ kind: 'Status', message: 'the simulated kube-apiserver serves port forwarding only over the WebSocket channel protocol, not SPDY' });
  });
});

describe('attach', () => {
  it('connects to the main process stdio and reports Success when it ends', async () => {
    await runPod('interactive', [{ name: 'app', command: ['sh', '-c', 'read line; echo "got $line"; echo bye >&2'], stdin: true }], 'Never');
    const result = await rawExec('/api/v1/namespaces/default/pods/interactive/attach?stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('hello\n')]));
    });
    const channel = (n: number) => result.frames.filter((f) => (f as Buffer)[0] === n).map((f) => (f as Buffer).subarray(1).toString()).join('');
    expect(channel(1)).toBe('got hello\n');
    expect(channel(2)).toBe('bye\n');
    expect(channel(3)).toBe('{"metadata":{},"status":"Success"}');
    expect(result.closeCode).toBe(1000);
  });
});

describe('logs', () => {
  it('follows with @kubernetes/client-node until the container exits', async () => {
    await runPod('chatty', [{ name: 'app', command: ['sh', '-c', 'echo one; sleep 1; echo two'] }], 'Never');
    const out = new PassThrough();
    const text = collect(out);
    const ended = new Promise((resolve) => out.on('end', resolve));
    await new Log(kubeConfig()).log('default', 'chatty', 'app', out, { follow: true });
    await until(() => text.text() !== '');
    expect(text.text()).toBe('one\n');
    expect(store.get(PODS, 'default', 'chatty')!.status).toMatchObject({ phase: 'Running' });
    await ended;
    expect(text.text()).toBe('one\ntwo\n');
  });

  it('serves timestamps, tailLines and limitBytes', async () => {
    await runPod('lines', [{ name: 'app', command: ['sh', '-c', 'printf "a\\nb\\nc\\n"; exec sleep 300'] }]);
    await until(async () => (await httpGet('/api/v1/namespaces/default/pods/lines/log')).body === 'a\nb\nc\n');
    const tail = await httpGet('/api/v1/namespaces/default/pods/lines/log?tailLines=2&timestamps=true');
    expect(tail.type).toBe('text/plain');
    expect(tail.body).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z b\n\S+ c\n$/);
    expect((await httpGet('/api/v1/namespaces/default/pods/lines/log?limitBytes=3')).body).toBe('a\nb');
  });

  it('answers errors like the apiserver', async () => {
    store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pair', namespace: 'default' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } });
    const missing = await httpGet('/api/v1/namespaces/default/pods/nope/log');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });
    const ambiguous = await httpGet('/api/v1/namespaces/default/pods/pair/log');
    expect(JSON.parse(ambiguous.body)).toMatchObject({ code: 400, message: 'a container name must be specified for pod pair, choose one of: [a b]' });
    const invalid = await httpGet('/api/v1/namespaces/default/pods/pair/log?container=x');
    expect(JSON.parse(invalid.body)).toMatchObject({ code: 400, message: 'container x is not valid for pod pair' });
  });
});

describe('real kubectl', () => {
  let kubeconfig: string;
  beforeAll(async () => {
    const dir = tempDir('kgate-pods-ca-');
    writeFileSync(join(dir, 'ca.crt'), tls.ca.cert);
    kubeconfig = writeKubeconfig({ server: baseUrl, caFile: join(dir, 'ca.crt'), user: { token: 'test-token' }, namespace: 'default' });
    await runPod('kube', [{ name: 'app' }]);
  });

  it('kubectl exec -i passes stdin, output and the exit code through', async () => {
    const result = await kubectl(['exec', '-i', 'kube', '--', 'sh', '-c', 'cat; echo bad >&2; exit 7'], { kubeconfig, input: 'piped in\n' });
    expect(result.stdout).toBe('piped in\n');
    expect(result.stderr).toContain('bad\n');
    expect(result.code).toBe(7);
  });

  it('kubectl shows the apiserver error after its WebSocket→SPDY fallback', async () => {
    const result = await kubectl(['exec', 'kube', '-c', 'nope', '--', 'true'], { kubeconfig });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('container nope is not valid for pod kube');
  });

  it('older kubectl (1.30/1.31) execs over WebSocket too', async () => {
    const older = (await findKubectls()).slice(1);
    for (const binary of older) {
      const result = await kubectl(['exec', 'kube', '--', 'sh', '-c', 'echo "$HOSTNAME"'], { kubeconfig, binary: binary.path });
      expect(result).toMatchObject({ code: 0, stdout: 'kube\n' });
    }
  });

  it('kubectl exec -it gets a real terminal of the client terminal size', async () => {
    // kubectl only allocates a tty when its own stdin is a terminal, so it runs inside `script` too.
    const binary = (await findKubectls())[0]!.path;
    const cacheDir = tempDir('kgate-kubecache-');
    const inner = `stty rows 33 cols 111; exec ${binary} exec -it kube -- sh -c 'tty; stty size; exit 5'`;
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qfec', inner, '/dev/null'], { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('close', (code) => (clearTimeout(timer), resolve({ code, out })));
    });
    expect(result.out).toMatch(/\/dev\/pts\/\d+\r\n33 111\r\n/);
    expect(result.code).toBe(5);
  });

  it('kubectl attach -i talks to the main process', async () => {
    await runPod('attachable', [{ name: 'app', command: ['sh', '-c', 'read line; echo "attached: $line"'], stdin: true }], 'Never');
    const result = await kubectl(['attach', '-i', 'attachable'], { kubeconfig, input: 'hi there\n' });
    expect(result.stdout).toContain('attached: hi there\n');
    expect(result.code).toBe(0);
  });

  it('kubectl logs -f streams until the container exits', async () => {
    await runPod('kube-logs', [{ name: 'app', command: ['sh', '-c', 'echo started; sleep 1; echo later'] }], 'Never');
    const result = await kubectl(['logs', '-f', 'kube-logs'], { kubeconfig, timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, stdout: 'started\nlater\n' });
  });
});
