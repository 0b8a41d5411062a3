/**
 * The latency the broker adds to a small GET: the same request (one pod, as `kubectl get pod -o
 * json` asks for it) sent straight to the simulated apiserver, through the kgate broker, through
 * the gateway of `kgate server` (with a gateway credential) and through a real `kubectl proxy`,
 * over keep-alive connections at 1 and 50 concurrent clients. Prints median, p99 and req/s per
 * path, then the broker's added median against both, next to the targets (added median ≤ 1 ms;
 * no slower than `kubectl proxy`), and the gateway's added median next to the broker's.
 *
 * As in reality, every server runs in its own process (bench/cluster-processes.ts): the sim, the
 * plain broker, the broker with the audit spool, `kgate server` and `kubectl proxy`; this process
 * only generates the load. The paths are measured in turn, so only one server path is busy at a time.
 *
 * Run: node --import tsx bench/broker.ts
 */
import { availableParallelism } from 'node:os';
import { Pool } from 'undici';
import { startProcessCluster } from './cluster-processes.js';
import { formatTable, percentile, type Endpoint } from './support.js';

const PATH = '/api/v1/namespaces/staging/pods/web';
const TARGET_ADDED_MS = 1;
/** Each endpoint's requests are sent in this many slices, alternating between endpoints. */
const ROUNDS = 5;
const RUNS = [
  { concurrency: 1, warmup: 300, requests: 3000 },
  { concurrency: 50, warmup: 1000, requests: 6000 },
];

interface Latency {
  endpoint: string;
  concurrency: number;
  median: number;
  p99: number;
  perSecond: number;
  /** Size of the last response body. */
  bytes: number;
}

/** Sends `count` GETs over `concurrency` keep-alive connections; returns each one's milliseconds and the body size. */
async function timeRequests(pool: Pool, endpoint: Endpoint, concurrency: number, count: number): Promise<{ samples: number[]; bytes: number }> {
  // The gateway serves a cluster under a path of its own (/gateway/clusters/<name>).
  const path = `${new URL(endpoint.url).pathname.replace(/\/$/, '')}${PATH}`;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'kubectl/v1.32.4 (linux/amd64) kgate-bench' };
  if (endpoint.token) headers.authorization = `Bearer ${endpoint.token}`;
  const samples: number[] = [];
  let bytes = 0;
  let next = 0;
  const client = async () => {
    while (next < count) {
      next += 1;
      const start = performance.now();
      const { statusCode, body } = await pool.request({ path, method: 'GET', headers });
      const text = await body.text();
      samples.push(performance.now() - start);
      bytes = Buffer.byteLength(text);
      if (statusCode !== 200 || !text.includes('"kind":"Pod"')) throw new Error(`${endpoint.name}: GET ${path} answered ${statusCode}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { samples, bytes };
}

/** Measures every endpoint at one concurrency, interleaved in rounds so background load hits all of them alike. */
async function measure(endpoints: readonly Endpoint[], run: (typeof RUNS)[number]): Promise<Latency[]> {
  const pools = endpoints.map((e) => new Pool(new URL(e.url).origin, { connections: run.concurrency, pipelining: 1, ...(e.ca ? { connect: { ca: e.ca } } : {}) }));
  const samples: number[][] = endpoints.map(() => []);
  const seconds = endpoints.map(() => 0);
  const bytes = endpoints.map(() => 0);
  try {
    for (const [i, endpoint] of endpoints.entries()) await timeRequests(pools[i]!, endpoint, run.concurrency, run.warmup);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, endpoint] of endpoints.entries()) {
        const start = performance.now();
        const result = await timeRequests(pools[i]!, endpoint, run.concurrency, run.requests / ROUNDS);
        seconds[i]! += (performance.now() - start) / 1000;
        samples[i]!.push(...result.samples);
        bytes[i] = result.bytes;
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
  return endpoints.map((endpoint, i) => {
    const sorted = samples[i]!.sort((a, b) => a - b);
    return { endpoint: endpoint.name, concurrency: run.concurrency, median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), perSecond: sorted.length / seconds[i]!, bytes: bytes[i]! };
  });
}

function verdict(ok: boolean): string {
  return ok ? 'ok' : 'MISSED';
}

/** The results table, then one verdict line per target and concurrency. */
function report(results: readonly Latency[]): string {
  const ms = (value: number) => value.toFixed(3);
  const table = formatTable(
    ['path', 'clients', 'median ms', 'p99 ms', 'req/s'],
    results.map((r) => [r.endpoint, String(r.concurrency), ms(r.median), ms(r.p99), Math.round(r.perSecond).toLocaleString('en-US')]),
  );
  const lines = [
    `GET ${PATH} (${results[0]?.bytes ?? 0} bytes of Pod JSON), keep-alive, interleaved in ${ROUNDS} rounds, ${RUNS.map((r) => `${r.requests} requests at ${r.concurrency}`).join(', ')} client(s)`,
    '',
    table,
    '',
  ];
  for (const { concurrency } of RUNS) {
    const at = (name: string) => results.find((r) => r.concurrency === concurrency && r.endpoint === name)!;
    const [direct, broker, proxy] = [at('direct to the sim'), at('kgate broker'), at('kubectl proxy')];
    const added = broker.median - direct.median;
    const versusProxy = broker.median - proxy.median;
    lines.push(
      `${String(concurrency).padStart(2)} client(s): broker adds ${ms(added)} ms median over direct (target ≤ ${TARGET_ADDED_MS} ms): ${verdict(added <= TARGET_ADDED_MS)}`,
      `${String(concurrency).padStart(2)} client(s): broker median ${ms(broker.median)} ms vs kubectl proxy ${ms(proxy.median)} ms (${versusProxy >= 0 ? '+' : ''}${ms(versusProxy)} ms; p99 ${ms(broker.p99)} vs ${ms(proxy.p99)}; target: no slower): ${verdict(versusProxy <= 0)}`,
      `${String(concurrency).padStart(2)} client(s): with the durable audit spool (each event fsynced before its response completes) the broker adds ${ms(at('kgate broker + audit spool').median - direct.median)} ms median over direct`,
      `${String(concurrency).padStart(2)} client(s): the kgate server gateway adds ${ms(at('kgate gateway').median - direct.median)} ms median over direct (the broker ${ms(added)} ms; p99 ${ms(at('kgate gateway').p99)} vs the broker's ${ms(broker.p99)})`,
    );
  }
  lines.push(
    '',
    'Each server runs in its own process: the sim, the broker, the broker with the audit spool, kgate server and kubectl proxy;',
    'this process only generates the load, and the paths take turns. At 50 clients a proxied path keeps three processes',
    `busy (this load generator, the proxy and the sim) on this machine's ${availableParallelism()} core(s), alike for every proxied path.`,
    'The gateway commits each audit event to the policy store (SQLite) before the response completes, as the spooled broker',
    'does to its spool, and reaches the sim as the grant\'s EKS identity (RBAC checked) where the others use the admin token.',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cluster = await startProcessCluster();
  try {
    const endpoints: Endpoint[] = [cluster.direct, cluster.broker, cluster.spooled, cluster.gateway, cluster.proxy];
    const results: Latency[] = [];
    for (const run of RUNS) results.push(...(await measure(endpoints, run)));
    console.log(report(results));
  } finally {
    await cluster.close();
  }
}

await main();
