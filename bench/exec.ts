/**
 * Exec throughput: a command in a sim pod writes 100 MB to stdout, read straight from the
 * simulated apiserver, through the broker's exec relay (which decodes every frame and runs the
 * policy's text detectors over it) and through the same relay in the gateway of `kgate server`
 * (reached with a gateway credential, recording the session into the policy store). Two readers: a
 * WebSocket client in this process (v5.channel.k8s.io) and the real `kubectl exec` piped into
 * `wc -c`. Two kinds of output: random base64 (dense, high-entropy text) and repetitive log lines.
 *
 * As in reality, every server runs in its own process (bench/cluster-processes.ts): the sim, the
 * broker and `kgate server`; this process only reads. Every stream is read {@link ROUNDS} times,
 * direct, through the broker and through the gateway in turn, so background load hits them alike;
 * prints the median MB/s and each relay's share of direct throughput against the target (≥ 80 %),
 * and what each process spent in CPU per MB (from /proc): the relay's, the sim's (the apiserver
 * side), the command's (base64 or yes, run by the sim) and this reader's. On a machine with fewer
 * free cores than busy processes the share follows those costs, whatever the wall clock says.
 * The outputs hold no secret, so every path must deliver exactly the bytes the command wrote.
 *
 * Run: node --import tsx bench/exec.ts
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { kubectlBinary } from '../test/support/kubectl.js';
import { startProcessCluster } from './cluster-processes.js';
import { cpuTime, ownCpuSeconds } from './cpu.js';
import { formatTable, type Endpoint } from './support.js';

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

interface Stream {
  bytes: number;
  seconds: number;
  status: string;
}

/** CPU seconds spent during one run, where known. */
interface RunCpu {
  relay?: number;
  sim?: number;
  command?: number;
  reader?: number;
}

interface Run {
  reader: string;
  output: string;
  endpoint: string;
  stream: Stream;
  cpu: RunCpu;
}

/** The runs of one stream on one path, summarised by the median run. */
interface Row extends Run {
  runs: number;
  direct: boolean;
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

async function measure(reader: (typeof READERS)[number], output: Output, endpoint: Endpoint, simPid: number | undefined): Promise<Run> {
  const relayPid = endpoint.pid === simPid ? undefined : endpoint.pid;
  const before = { relay: relayPid ? cpuTime(relayPid) : undefined, sim: simPid ? cpuTime(simPid) : undefined, reader: ownCpuSeconds() };
  const stream = await reader.read(endpoint, output.script);
  const after = { relay: relayPid ? cpuTime(relayPid) : undefined, sim: simPid ? cpuTime(simPid) : undefined, reader: ownCpuSeconds() };
  if (!stream.status.includes('Success') || stream.bytes !== BYTES) throw new Error(`${reader.name} via ${endpoint.name}: got ${stream.bytes} bytes of ${BYTES} (${stream.status.slice(0, 300)})`);
  const cpu: RunCpu = {};
  if (before.relay && after.relay) cpu.relay = after.relay.own - before.relay.own;
  if (before.sim && after.sim) {
    cpu.sim = after.sim.own - before.sim.own;
    // The command exits with the stream, so its CPU has reached the sim's children's total by now (or nearly: it is reaped a moment later).
    cpu.command = after.sim.children - before.sim.children;
  }
  // kubectl reads in a process of its own; only the WebSocket reader is this process.
  if (reader.name === 'WebSocket client') cpu.reader = after.reader - before.reader;
  return { reader: reader.name, output: output.name, endpoint: endpoint.name, stream, cpu };
}

/** One row per reader, output and path: the run with the median time. */
function summarise(runs: readonly Run[], direct: string): Row[] {
  const rows: Row[] = [];
  for (const run of runs) {
    if (rows.some((r) => r.reader === run.reader && r.output === run.output && r.endpoint === run.endpoint)) continue;
    const same = runs.filter((r) => r.reader === run.reader && r.output === run.output && r.endpoint === run.endpoint);
    const median = [...same].sort((a, b) => a.stream.seconds - b.stream.seconds)[Math.floor((same.length - 1) / 2)]!;
    rows.push({ ...median, runs: same.length, direct: run.endpoint === direct });
  }
  return rows;
}

/** Milliseconds of CPU per MB of `key`, the median over the runs of `row`'s stream and path. */
function cpuPerMb(runs: readonly Run[], row: Row, key: keyof RunCpu): string {
  const values = runs
    .filter((r) => r.reader === row.reader && r.output === row.output && r.endpoint === row.endpoint)
    .map((r) => r.cpu[key])
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  if (values.length === 0) return '';
  return ((values[Math.floor((values.length - 1) / 2)]! * 1000) / (BYTES / MB)).toFixed(1);
}

function report(rows: readonly Row[], runs: readonly Run[]): string {
  const mbps = (row: Row) => row.stream.bytes / MB / row.stream.seconds;
  const directOf = (row: Row) => rows.find((r) => r.reader === row.reader && r.output === row.output && r.direct)!;
  const table = formatTable(
    ['reader', 'output', 'path', 'MB', 'runs', 'median s', 'MB/s', 'vs direct', 'CPU ms/MB: relay', 'sim', 'command', 'reader'],
    rows.map((row) => [
      row.reader,
      row.output,
      row.endpoint,
      (row.stream.bytes / MB).toFixed(1),
      String(row.runs),
      row.stream.seconds.toFixed(2),
      mbps(row).toFixed(1),
      row.direct ? '' : `${((mbps(row) / mbps(directOf(row))) * 100).toFixed(0)}%`,
      cpuPerMb(runs, row, 'relay'),
      cpuPerMb(runs, row, 'sim'),
      cpuPerMb(runs, row, 'command'),
      cpuPerMb(runs, row, 'reader'),
    ]),
  );
  const lines = [
    `exec -n ${NAMESPACE} ${POD} -- sh -c '<100 MB on stdout>', direct, through the broker and through the kgate server gateway in turn, ${ROUNDS} rounds; each row is the median run`,
    '',
    table,
    '',
  ];
  for (const row of rows.filter((r) => !r.direct)) {
    const direct = directOf(row);
    const share = mbps(row) / mbps(direct);
    lines.push(`${row.reader}, ${row.output}: ${row.endpoint} relays ${mbps(row).toFixed(1)} MB/s against ${mbps(direct).toFixed(1)} MB/s direct, ${(share * 100).toFixed(0)}% (target ≥ ${TARGET_SHARE * 100}%): ${share >= TARGET_SHARE ? 'ok' : 'MISSED'}`);
  }
  lines.push(
    '',
    'Each server runs in its own process: the sim (which also runs the command), the broker and kgate server; this process',
    `only reads (kubectl exec is a process of its own). A relayed stream keeps one more process busy than a direct one on this`,
    `machine's ${availableParallelism()} core(s). The gateway also records the session into the policy store as it goes.`,
    'CPU ms/MB is the median run\'s CPU time per MB of output in each process (from /proc; blank where unknown): a relay meets',
    'the target on a machine without idle cores only if its CPU per MB is at most a quarter of what the direct path costs in all.',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cluster = await startProcessCluster();
  try {
    const endpoints = [cluster.direct, cluster.broker, cluster.gateway];
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const reader of READERS) {
        for (const output of OUTPUTS) {
          for (const endpoint of endpoints) runs.push(await measure(reader, output, endpoint, cluster.direct.pid));
        }
      }
    }
    console.log(report(summarise(runs, cluster.direct.name), runs));
  } finally {
    await cluster.close();
  }
}

await main();
