/**
 * Exec throughput: a command in a sim pod writes 100 MB to stdout, read straight from the
 * simulated apiserver, through the broker's exec relay (which decodes every frame and runs the
 * policy's text detectors over it) and through the same relay in the gateway of `kgate server`
 * (reached with a gateway credential, recording the session into the policy store). Two readers: a
 * WebSocket client in this process (v5.channel.k8s.io) and the real `kubectl exec` piped into
 * `wc -c`. Two kinds of output: random base64 (dense, high-entropy text) and repetitive log lines.
 * Every stream is read {@link ROUNDS} times, direct, through the broker and through the gateway in
 * turn, so background load hits them alike; prints the median MB/s, each relay's share of direct
 * throughput against the target (≥ 80 %), what the relay masked, and how far the RSS of this
 * process (which holds the sim, the broker, kgate server and the WebSocket reader) rose.
 *
 * Run: node --import tsx bench/exec.ts
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { PolicyStore } from '../src/policy/store/types.js';
import { startSimPolicyServer } from '../test/sim/policy-server.js';
import { kubectlBinary } from '../test/support/kubectl.js';
import { reachGateway } from './gateway-credential.js';
import { formatTable, startBenchCluster, watchPeakRss, type BenchCluster, type Endpoint } from './support.js';

const BYTES = 100 * 1024 * 1024;
/** Each stream is read this many times per path, alternating between direct, the broker and the gateway. */
const ROUNDS = 3;
/** The broker and the gateway must relay at least this share of the direct throughput. */
const TARGET_SHARE = 0.8;
const MB = 1024 * 1024;
const NAMESPACE = 'staging';
const POD = 'web';
const OUTPUTS = [
  { name: 'random base64', script: `base64 /dev/urandom | head -c ${BYTES}` },
  { name: 'log lines', script: `yes '2025-03-01T10:00:00Z INFO request 4711 GET /api/v1/items/4711 200 12ms user=alice' | head -c ${BYTES}` },
];

type Output = (typeof OUTPUTS)[number];

/** Where an exec stream is read, and for a relay how to learn what it masked in one session. */
interface ExecPath {
  endpoint: Endpoint;
  /** Called before a run; what it returns resolves, after the run, to what the relay masked in that run's exec session. */
  watchMasking?: () => () => Promise<number>;
}

interface Stream {
  bytes: number;
  seconds: number;
  status: string;
}

interface Run {
  reader: string;
  output: string;
  endpoint: string;
  stream: Stream;
  startRssMb: number;
  peakRssMb: number;
  masked: number | undefined;
}

/** The runs of one stream on one path: the median run, and the highest RSS rise of them all. */
interface Row extends Run {
  runs: number;
  peakRiseMb: number;
}

/** Reads one exec session with a v5.channel.k8s.io WebSocket client, counting stdout bytes. */
function readWithWebSocket(endpoint: Endpoint, script: string): Promise<Stream> {
  const query = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', script], ['stdout', 'true'], ['stderr', 'true']]);
  const url = `${endpoint.url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/api/v1/namespaces/${NAMESPACE}/pods/${POD}/exec?${query}`;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: endpoint.ca, headers: { authorization: `Bearer ${endpoint.token}` }, perMessageDeflate: false });
    let bytes = 0;
    let status = '';
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) bytes += data.length - 1;
      else if (data[0] === 3) status += data.subarray(1).toString();
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${endpoint.name}: exec upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('close', () => resolve({ bytes, seconds: (performance.now() - start) / 1000, status }));
  });
}

/** Runs the real `kubectl exec` against `endpoint`'s kubeconfig with stdout piped into `wc -c`. */
async function readWithKubectl(endpoint: Endpoint, script: string): Promise<Stream> {
  const binary = (await kubectlBinary()).path;
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-bench-kubecache-'));
  try {
    return await new Promise<Stream>((resolve, reject) => {
      const start = performance.now();
      const child = spawn('sh', ['-c', '"$@" | wc -c', 'sh', binary, 'exec', '-n', NAMESPACE, POD, '--', 'sh', '-c', script], {
        env: { ...process.env, KUBECONFIG: endpoint.kubeconfig, KUBECACHEDIR: cacheDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('error', reject);
      child.once('close', () => resolve({ bytes: Number(out.trim()), seconds: (performance.now() - start) / 1000, status: err.trim() === '' ? 'Success' : err.trim() }));
    });
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const READERS = [
  { name: 'WebSocket client', read: readWithWebSocket },
  { name: 'kubectl exec', read: readWithKubectl },
];

async function measure(reader: (typeof READERS)[number], output: Output, path: ExecPath): Promise<Run> {
  const { endpoint } = path;
  const maskedInRun = path.watchMasking?.();
  const startRssMb = process.memoryUsage.rss() / MB;
  const stopRss = watchPeakRss();
  const stream = await reader.read(endpoint, output.script);
  const peakRssMb = stopRss() / MB;
  const masked = await maskedInRun?.();
  if (!stream.status.includes('Success') || (stream.bytes !== BYTES && !masked)) throw new Error(`${reader.name} via ${endpoint.name}: got ${stream.bytes} bytes of ${BYTES} (${stream.status.slice(0, 300)})`);
  return { reader: reader.name, output: output.name, endpoint: endpoint.name, stream, startRssMb, peakRssMb, masked };
}

/** The broker in this process audits into memory: its exec session's record is there once the stream has closed. */
function brokerPath(cluster: BenchCluster): ExecPath {
  return {
    endpoint: cluster.broker,
    watchMasking: () => {
      const before = cluster.audits.length;
      return async () => cluster.audits.slice(before).find((a) => a.exec)?.maskedCount ?? 0;
    },
  };
}

/** The gateway audits into the policy store; its exec session's event may land just after the client saw the stream close. */
function gatewayPath(endpoint: Endpoint, store: PolicyStore): ExecPath {
  const counted = new Set<string>();
  const execEvent = async () => {
    const page = await store.queryAuditEvents({ limit: 1000 });
    for (const record of page.items) {
      const event = record.event as { stage?: string; objectRef?: { subresource?: string }; annotations?: Record<string, string> };
      if (counted.has(record.id) || event.stage !== 'ResponseComplete' || event.objectRef?.subresource !== 'exec') continue;
      counted.add(record.id);
      return Number(event.annotations?.['kgate.dev/masked-fields'] ?? 0);
    }
    return undefined;
  };
  return {
    endpoint,
    watchMasking: () => async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const masked = await execEvent();
        if (masked !== undefined) return masked;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${endpoint.name}: the exec session's audit event never reached the policy store`);
    },
  };
}

/** One row per reader, output and path: the run with the median time. */
function summarise(runs: readonly Run[]): Row[] {
  const rows: Row[] = [];
  for (const run of runs) {
    if (rows.some((r) => r.reader === run.reader && r.output === run.output && r.endpoint === run.endpoint)) continue;
    const same = runs.filter((r) => r.reader === run.reader && r.output === run.output && r.endpoint === run.endpoint);
    const median = [...same].sort((a, b) => a.stream.seconds - b.stream.seconds)[Math.floor((same.length - 1) / 2)]!;
    rows.push({ ...median, startRssMb: run.startRssMb, runs: same.length, peakRiseMb: Math.max(...same.map((r) => r.peakRssMb - r.startRssMb)) });
  }
  return rows;
}

function report(rows: readonly Row[]): string {
  const mbps = (row: Row) => row.stream.bytes / MB / row.stream.seconds;
  const table = formatTable(
    ['reader', 'output', 'path', 'MB', 'runs', 'median s', 'MB/s', 'vs direct', 'masked', 'RSS MB', 'peak +MB'],
    rows.map((row) => {
      const direct = rows.find((r) => r.reader === row.reader && r.output === row.output && r.masked === undefined)!;
      return [
        row.reader,
        row.output,
        row.endpoint,
        (row.stream.bytes / MB).toFixed(1),
        String(row.runs),
        row.stream.seconds.toFixed(2),
        mbps(row).toFixed(1),
        row === direct ? '' : `${((mbps(row) / mbps(direct)) * 100).toFixed(0)}%`,
        row.masked === undefined ? '' : String(row.masked),
        row.startRssMb.toFixed(0),
        row.peakRiseMb.toFixed(0),
      ];
    }),
  );
  const lines = [
    `exec -n ${NAMESPACE} ${POD} -- sh -c '<100 MB on stdout>', direct, through the broker and through the kgate server gateway in turn, ${ROUNDS} rounds; each row is the median run; RSS is this process (sim + broker + kgate server + WebSocket reader) at its first run, and the most it rose during one`,
    '',
    table,
    '',
  ];
  for (const row of rows.filter((r) => r.masked !== undefined)) {
    const direct = rows.find((r) => r.reader === row.reader && r.output === row.output && r.masked === undefined)!;
    const share = mbps(row) / mbps(direct);
    lines.push(`${row.reader}, ${row.output}: ${row.endpoint} relays ${mbps(row).toFixed(1)} MB/s against ${mbps(direct).toFixed(1)} MB/s direct, ${(share * 100).toFixed(0)}% (target ≥ ${TARGET_SHARE * 100}%): ${share >= TARGET_SHARE ? 'ok' : 'MISSED'}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cluster = await startBenchCluster();
  const closers: (() => Promise<unknown>)[] = [cluster.close];
  try {
    const { world } = cluster;
    const server = await startSimPolicyServer(world);
    closers.push(server.close);
    const gateway = await reachGateway({ server: server.url, cluster: server.env.KGATE_CLUSTER, ca: world.tls.ca.cert, caFile: world.caFile, env: world.env });
    closers.push(gateway.close);
    const paths: ExecPath[] = [{ endpoint: cluster.direct }, brokerPath(cluster), gatewayPath(gateway.endpoint, server.store)];
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const reader of READERS) {
        for (const output of OUTPUTS) {
          for (const path of paths) runs.push(await measure(reader, output, path));
        }
      }
    }
    console.log(report(summarise(runs)));
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

await main();
