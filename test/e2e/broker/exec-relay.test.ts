/**
 * The exec relay between real clients and the simulated apiserver: the real kubectl 1.32 and
 * @kubernetes/client-node connect to a small HTTPS front whose upgrade handler is relayExec (the
 * broker's listener and pipeline are tested elsewhere); plain requests, such as kubectl's pod GET
 * before exec, are passed through with the admin token.
 */
import { spawn } from 'node:child_process';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { PassThrough, Readable } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { relayExec, refuseUnrecordableStream, RecentRefusals, type ExecSessionSummary } from '../../../src/broker/exec/index.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../src/mask/index.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary, writeKubeconfig } from '../../support/kubectl.js';

interface Recorded {
  output: { channel: number; data: string }[];
  input: string[];
  resizes: [number, number][];
  exits: { exitCode: number; message: string }[];
}
interface Session { summary?: ExecSessionSummary; recorded: Recorded; ending: AbortController }

const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB_TOKEN = `ghp_${'Zx9Qw3Er'.repeat(4)}a1b2`;
const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)\/(exec|attach|portforward)(?:\?|$)/;

let world: SimWorld;
let front: Server;
let frontUrl: string;
let kubeconfig: string;
const sessions: Session[] = [];
const relayLog: string[] = [];
const refusals = new RecentRefusals();

function passThrough(req: IncomingMessage, res: ServerResponse): void {
  const headers = { ...req.headers, authorization: `Bearer ${world.adminToken}`, host: new URL(world.apiServer.url).host };
  const upstream = httpsRequest(`${world.apiServer.url}${req.url}`, { method: req.method, headers, ca: world.tls.ca.cert }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = req.url ?? '/';
  const match = STREAM_PATH.exec(url);
  if (!match) return void socket.destroy();
  const log = (line: string) => relayLog.push(line);
  if (refuseUnrecordableStream({ req, socket, canonicalUrl: url, subresource: match[3]!, pod: match[2]!, refusals, log })) return;
  const session: Session = { recorded: { output: [], input: [], resizes: [], exits: [] }, ending: new AbortController() };
  sessions.push(session);
  const recorded = session.recorded;
  void relayExec({
    req, socket, head, canonicalUrl: url,
    upstream: { url: world.apiServer.url, token: world.adminToken, ca: world.tls.ca.cert },
    detectors: compileDetectors(DETECTOR_NAMES),
    recorder: {
      output: (data, channel) => recorded.output.push({ channel, data: data.toString() }),
      input: (data) => recorded.input.push(data.toString()),
      resize: (w, h) => recorded.resizes.push([w, h]),
      exit: (exit) => recorded.exits.push(exit),
    },
    recordStdin: true,
    refusals,
    log,
    ending: session.ending.signal,
    onEnd: (summary) => (session.summary = summary),
  });
}

async function ended(session: Session | undefined): Promise<ExecSessionSummary> {
  const deadline = Date.now() + 5_000;
  while (!session?.summary) {
    if (Date.now() > deadline) throw new Error('the relayed session never ended');
    await new Promise((r) => setTimeout(r, 20));
  }
  return session.summary;
}

const recordedText = (s: Session, channel: number) => s.recorded.output.filter((o) => o.channel === channel).map((o) => o.data).join('');

beforeAll(async () => {
  world = await startSimWorld();
  front = createServer({ cert: world.tls.server.cert, key: world.tls.server.key }, passThrough);
  front.on('upgrade', onUpgrade);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  kubeconfig = writeKubeconfig({ server: frontUrl, caFile: world.caFile, user: { token: 'any-broker-session-token' }, namespace: 'staging' });
});

afterAll(async () => {
  front?.closeAllConnections();
  await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
  await world?.close();
});

describe('kubectl exec through the relay', () => {
  it('passes stdin through and the exit code back (exit 7 → 7), and records both', async () => {
    const before = sessions.length;
    const result = await kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z; exit 7'], { kubeconfig, input: 'hello relay\n' });
    expect(result).toMatchObject({ code: 7, stdout: 'HELLO RELAY\n' });
    const session = sessions[before]!;
    const summary = await ended(session);
    expect(summary).toMatchObject({ subresource: 'exec', namespace: 'staging', pod: 'web', protocol: 'v5.channel.k8s.io', command: ['sh', '-c', 'tr a-z A-Z; exit 7'], container: 'web', stdin: true, tty: false, exitCode: 7, bytesIn: 12, bytesOut: 12, closeCode: 1000, maskedCount: 0 });
    expect(summary.error).toBeUndefined();
    expect(summary.endedAt.getTime()).toBeGreaterThanOrEqual(summary.startedAt.getTime());
    expect(session.recorded.input.join('')).toBe('hello relay\n');
    expect(recordedText(session, 1)).toBe('HELLO RELAY\n');
    expect(session.recorded.exits).toEqual([{ exitCode: 7, message: expect.stringContaining('exit code 7') }]);
  });

  it('masks secrets in output, also when one is split across two writes with a pause between', async () => {
    const before = sessions.length;
    const script = `echo ${AWS_KEY}; echo ${GITHUB_TOKEN}; printf 'split: ${GITHUB_TOKEN.slice(0, 12)}'; sleep 0.3; echo '${GITHUB_TOKEN.slice(12)} end'`;
    const result = await kubectl(['exec', 'web', '--', 'sh', '-c', script], { kubeconfig });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('***MASKED:aws-access-key-id***\n***MASKED:github-token***\nsplit: ***MASKED:github-token*** end\n');
    const session = sessions[before]!;
    const summary = await ended(session);
    expect(summary).toMatchObject({ exitCode: 0, maskedCount: 3 });
    const recorded = recordedText(session, 1);
    expect(recorded).toBe(result.stdout);
    expect(recorded).not.toContain(AWS_KEY);
    expect(recorded).not.toContain(GITHUB_TOKEN.slice(4, 16));
  });

  it('relays and masks the stderr channel separately', async () => {
    const before = sessions.length;
    const result = await kubectl(['exec', 'web', '--', 'sh', '-c', `echo to-stdout; echo "leaked ${AWS_KEY}" >&2`], { kubeconfig });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('to-stdout\n');
    expect(result.stderr).toContain('leaked ***MASKED:aws-access-key-id***');
    expect(result.stderr).not.toContain(AWS_KEY);
    const session = sessions[before]!;
    await ended(session);
    expect(recordedText(session, 2)).toBe('leaked ***MASKED:aws-access-key-id***\n');
  });

  it('gives kubectl -t a terminal under script(1), with resize recorded and output masked', async () => {
    const before = sessions.length;
    const binary = (await kubectlBinary()).path;
    const command = `${binary} exec -it web -- sh -c 'tty; echo ${GITHUB_TOKEN}; exit 3'`;
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, KUBECONFIG: kubeconfig, TERM: 'xterm', COLUMNS: '100', LINES: '30' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => (clearTimeout(timer), resolve({ code, out })));
    });
    expect(result.out).toMatch(/\/dev\/pts\/\d+/);
    expect(result.out).toContain('***MASKED:github-token***');
    expect(result.out).not.toContain(GITHUB_TOKEN);
    expect(result.code).toBe(3);
    const session = sessions[before]!;
    const summary = await ended(session);
    expect(summary).toMatchObject({ tty: true, stdin: true, exitCode: 3 });
    expect(session.recorded.resizes.length).toBeGreaterThan(0);
    expect(recordedText(session, 1)).toContain('***MASKED:github-token***');
  });

  it('shows the apiserver error for a command that does not exist', async () => {
    const result = await kubectl(['exec', 'web', '--', 'no-such-command'], { kubeconfig });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
    expect((await ended(sessions.at(-1))).exitCode).toBe(1);
  });

  it('shows the apiserver refusal for a missing pod and a wrong container, also after the SPDY fallback', async () => {
    const missing = await kubectl(['exec', 'nope', '--', 'true'], { kubeconfig });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
    const wrongContainer = await kubectl(['exec', 'web', '-c', 'nope', '--', 'true'], { kubeconfig });
    expect(wrongContainer.code).toBe(1);
    expect(wrongContainer.stderr).toContain('Error from server (BadRequest): container nope is not valid for pod web');
    const summary = await ended(sessions.at(-1));
    expect(summary).toMatchObject({ refusedWith: 400, exitCode: null, closeCode: null });
  });

  it('refuses SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) with a clear message instead of hanging', async () => {
    const before = sessions.length;
    const started = Date.now();
    const result = await kubectl(['exec', 'web', '--', 'echo', 'never'], { kubeconfig, env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Error from server (Forbidden): kgate serves pods/exec over WebSocket only');
    expect(result.stderr).toContain('KUBECTL_REMOTE_COMMAND_WEBSOCKETS');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sessions.length).toBe(before);
    expect(relayLog).toContainEqual(expect.stringMatching(/refused SPDY pods\/exec upgrade for web with 403/));
  });

  it('refuses port-forward, over the WebSocket tunnel too', async () => {
    const result = await kubectl(['port-forward', 'web', '18080:80'], { kubeconfig, timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kgate relays pods/portforward only over the WebSocket channel protocol');
    expect(relayLog).toContainEqual(expect.stringMatching(/refused WebSocket pods\/portforward upgrade for web with 403/));
    expect(relayLog).toContainEqual(expect.stringMatching(/refused SPDY pods\/portforward upgrade for web with 403/));
  });
});

describe('other clients through the relay', () => {
  function kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'front', server: frontUrl, caData: Buffer.from(world.tls.ca.cert).toString('base64') }],
      users: [{ name: 'u', token: 'any' }],
      contexts: [{ name: 'front', cluster: 'front', user: 'u' }],
      currentContext: 'front',
    });
    return kc;
  }

  it('@kubernetes/client-node Exec: stdin, masked output and the status', async () => {
    const before = sessions.length;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d));
    stderr.on('data', (d: Buffer) => (err += d));
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kubeConfig()).exec('staging', 'web', 'web', ['sh', '-c', `cat; echo ${GITHUB_TOKEN} >&2; exit 2`], stdout, stderr, Readable.from([Buffer.from('from node\n')]), false, resolve).catch(reject);
    });
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '2' }] } });
    await new Promise((r) => setImmediate(r));
    expect(out).toBe('from node\n');
    expect(err).toBe('***MASKED:github-token***\n');
    const summary = await ended(sessions[before]);
    expect(summary).toMatchObject({ protocol: 'v5.channel.k8s.io', exitCode: 2, maskedCount: 1, bytesIn: 10 });
  });

  function rawSession(path: string, protocols: string[], send: (ws: WebSocket) => void = () => undefined): Promise<{ protocol: string; frames: (Buffer | string)[]; closeCode: number }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${frontUrl.replace('https', 'wss')}${path}`, protocols, { ca: world.tls.ca.cert });
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

  it('v4 base64: text frames, readiness frame kept, output masked', async () => {
    const result = await rawSession(`/api/v1/namespaces/staging/pods/web/exec?command=sh&command=-c&command=${encodeURIComponent(`echo ${AWS_KEY}`)}&stdout=true`, ['v4.base64.channel.k8s.io']);
    expect(result.protocol).toBe('v4.base64.channel.k8s.io');
    expect(result.frames[0]).toBe('1');
    const output = result.frames.slice(1).filter((f) => typeof f === 'string' && f.startsWith('1')).map((f) => Buffer.from((f as string).slice(1), 'base64').toString()).join('');
    expect(output).toBe('***MASKED:aws-access-key-id***\n');
    expect(result.frames.at(-1)).toBe(`3${Buffer.from('{"metadata":{},"status":"Success"}').toString('base64')}`);
    expect(result.closeCode).toBe(1000);
  });

  it('ends the apiserver side when the client drops, and streams a large output intact', async () => {
    const before = sessions.length;
    const big = await rawSession('/api/v1/namespaces/staging/pods/web/exec?command=sh&command=-c&command=head%20-c%208000000%20%2Fdev%2Fzero&stdout=true', ['v5.channel.k8s.io']);
    const bytes = big.frames.filter((f) => (f as Buffer)[0] === 1).reduce((n, f) => n + (f as Buffer).length - 1, 0);
    expect(bytes).toBe(8_000_000);
    expect((await ended(sessions[before])).bytesOut).toBe(8_000_000);
    const dropped = await rawSession('/api/v1/namespaces/staging/pods/web/exec?command=sleep&command=30&stdout=true', ['v5.channel.k8s.io'], (ws) => setTimeout(() => ws.terminate(), 100));
    expect(dropped.closeCode).toBe(1006);
    const summary = await ended(sessions[before + 1]);
    expect(summary).toMatchObject({ exitCode: null });
    expect(summary.endedAt.getTime() - summary.startedAt.getTime()).toBeLessThan(5_000);
  });

  it.each([
    ['v5.channel.k8s.io', ['v5.channel.k8s.io']],
    ['v4.base64.channel.k8s.io', ['v4.base64.channel.k8s.io']],
    ['channel.k8s.io (none offered)', []],
  ])('%s: a session kgate ends gets the reason on the error channel last, then a normal close', async (_name, protocols) => {
    const before = sessions.length;
    const message = 'kgate: grant g-relay expired; stream closed';
    const decode = (f: Buffer | string): { channel: number; text: string } =>
      typeof f === 'string' ? { channel: Number(f[0]), text: Buffer.from(f.slice(1), 'base64').toString() } : { channel: f[0]!, text: f.subarray(1).toString() };
    const result = await rawSession('/api/v1/namespaces/staging/pods/web/exec?command=sh&command=-c&command=echo%20ready%3B%20sleep%2030&stdout=true', protocols, (ws) => {
      ws.on('message', (data: Buffer, isBinary) => {
        if (decode(isBinary ? data : data.toString()).text.includes('ready')) sessions[before]!.ending.abort('grant g-relay expired');
      });
    });
    expect(result.closeCode).toBe(1000);
    const frames = result.frames.map(decode);
    expect(frames.filter((f) => f.channel === 1).map((f) => f.text).join('')).toBe('ready\n');
    const last = frames.at(-1)!;
    expect(last.channel).toBe(3);
    if (protocols.length === 0) expect(last.text).toBe(message);
    else expect(JSON.parse(last.text)).toMatchObject({ status: 'Failure', reason: 'Forbidden', message });
    // The command was stopped with the session, long before its sleep ran out.
    const summary = await ended(sessions[before]);
    expect(summary).toMatchObject({ exitCode: null, closeCode: 1000 });
  });

  it('passes the apiserver refusal (status and Status body) to the raw socket', async () => {
    await expect(rawSession('/api/v1/namespaces/staging/pods/ghost/exec?command=true&stdout=true', ['v5.channel.k8s.io'])).rejects.toMatchObject({
      statusCode: 404,
      message: expect.stringContaining('"message":"pods \\"ghost\\" not found"'),
    });
    await expect(rawSession('/api/v1/namespaces/staging/pods/web/exec?command=true&stdout=true', ['v3.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 403 });
  });
});
