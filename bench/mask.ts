/**
 * Masking throughput and memory: a SecretList and a watch stream of Secrets (and a pod log for
 * the text masker), generated chunk by chunk in memory so the input itself does not sit in the
 * heap, masked by the streaming maskers. Prints MB/s and peak RSS / heap growth at 10 MB and 50 MB
 * next to the targets (≥ 100 MB/s; memory that does not grow with size). Also the per-request cost
 * of masking one small Pod through `maskJsonBody`, the object path every `kubectl get pod` takes.
 * The known-value rows mask a pod log that echoes the pod's Secret values: the detectors alone
 * (the baseline, what a pod stream cost before), the known-value masker alone, and both chained as
 * the pipeline runs them; an adversarial table times near-misses of long and overlapping values.
 *
 * Run: node --import tsx bench/mask.ts   (add --expose-gc for steadier memory baselines)
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { defaultMasking } from '../src/policy/schema/index.js';
import { compileKnownValues, createKnownValueMasker, createListStreamMasker, createMasker, createPodOutputMasker, createTextStreamMasker, createWatchStreamMasker, maskJsonBody, maskText } from '../src/mask/index.js';
import type { KnownValueSet } from '../src/mask/index.js';
import type { ChunkMasker, Masker } from '../src/mask/index.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
const TARGET_MBPS = 100;

/** One Secret as the apiserver lists it; about 1.3 KB, some with a last-applied annotation. */
function secretJson(i: number, withKind: boolean): string {
  const value = (n: number) => Buffer.from(`value-${i}-${n}-`.padEnd(90, 'x')).toString('base64');
  const annotations =
    i % 10 === 0
      ? { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${i}`, namespace: 'prod' }, stringData: { password: `p-${i}` } }) + '\n' }
      : { 'example.com/owner': 'team-a' };
  return JSON.stringify({
    ...(withKind ? { kind: 'Secret', apiVersion: 'v1' } : {}),
    metadata: {
      name: `secret-${i}`,
      namespace: `ns-${i % 50}`,
      uid: `6f1c2a9e-${(i % 65536).toString(16).padStart(4, '0')}-4b7d-8c3e-1a2b3c4d5e6f`,
      resourceVersion: String(100000 + i),
      creationTimestamp: '2025-03-01T10:00:00Z',
      labels: { app: `app-${i % 20}`, tier: 'backend' },
      annotations,
    },
    data: { username: value(1), password: value(2), 'tls.key': value(3) },
    type: 'Opaque',
  });
}

/** One Pod as `kubectl get pod -o json` returns it (about 1.7 KB): many ordinary strings, no secret. */
function podJson(): string {
  return JSON.stringify({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: 'web-7d4b9c8f6d-x2x9q',
      namespace: 'staging',
      uid: '4f6e2b1a-9c3d-4e8f-a1b2-c3d4e5f60718',
      resourceVersion: '482913',
      creationTimestamp: '2025-03-01T10:00:00Z',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6d' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c8f6d', uid: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example/web:1.0',
          command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "staging web: GET /healthz 200 seq=$i"; sleep 2; done'],
          env: [
            { name: 'APP_ENV', value: 'staging' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
          ],
          volumeMounts: [{ name: 'kube-api-access-7xk2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: 'Running',
      conditions: ['Ready', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: '2025-03-01T10:00:02Z' })),
      hostIP: '10.0.1.23',
      podIP: '10.0.1.187',
      containerStatuses: [
        {
          name: 'web',
          state: { running: { startedAt: '2025-03-01T10:00:01Z' } },
          ready: true,
          restartCount: 0,
          image: 'registry.example/web:1.0',
          containerID: 'containerd://5c3e1a9f7b2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f',
          started: true,
        },
      ],
    },
  });
}

/** Microseconds per `maskJsonBody` of `body` (bytes in, string out, as the broker calls it). */
function perObjectMicros(masker: Masker, body: Uint8Array): number {
  const rounds = 2000;
  for (let i = 0; i < rounds; i++) maskJsonBody(masker, body);
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) maskJsonBody(masker, body);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / rounds);
  }
  return best;
}

/** Yields `total` bytes of a SecretList in CHUNK-sized pieces. */
function* secretListChunks(total: number): Generator<Uint8Array> {
  let pending = '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"100000"},"items":[';
  let produced = 0;
  for (let i = 0; produced + pending.length < total; i++) {
    pending += (i === 0 ? '' : ',') + secretJson(i, false);
    if (pending.length >= CHUNK) {
      produced += pending.length;
      yield Buffer.from(pending);
      pending = '';
    }
  }
  yield Buffer.from(`${pending}]}`);
}

/** Yields `total` bytes of newline-delimited watch events. */
function* watchChunks(total: number): Generator<Uint8Array> {
  let pending = '';
  let produced = 0;
  const types = ['ADDED', 'MODIFIED', 'DELETED'];
  for (let i = 0; produced < total; i++) {
    pending += `{"type":"${types[i % 3]}","object":${secretJson(i, true)}}\n`;
    if (pending.length >= CHUNK) {
      produced += pending.length;
      yield Buffer.from(pending);
      pending = '';
    }
  }
  if (pending) yield Buffer.from(pending);
}

/** Yields `total` bytes of application log lines, one in 50 with a secret. */
function* logChunks(total: number): Generator<Uint8Array> {
  let pending = '';
  let produced = 0;
  for (let i = 0; produced < total; i++) {
    pending +=
      i % 50 === 0
        ? `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z DEBUG connecting with password=s3cr3t-${i} to db-${i % 7}\n`
        : `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z INFO request ${i} GET /api/v1/items/${i} 200 ${i % 97}ms\n`;
    if (pending.length >= CHUNK) {
      produced += pending.length;
      yield Buffer.from(pending);
      pending = '';
    }
  }
  if (pending) yield Buffer.from(pending);
}

/** The Secret values of a busy pod: passwords, tokens, a DSN and a key, 12 to 64 bytes. */
function podSecretValues(): string[] {
  const values: string[] = [];
  for (let i = 0; i < 16; i++) values.push(`${['pw', 'tok', 'dsn', 'key'][i % 4]}-${i}-${'Zq8vLm3XwR7p'.repeat(1 + (i % 5))}`);
  return values;
}

/** Yields `total` bytes of log lines, one in 50 echoing a Secret value (raw or base64). */
function* echoingLogChunks(total: number, values: readonly string[]): Generator<Uint8Array> {
  let pending = '';
  let produced = 0;
  for (let i = 0; produced < total; i++) {
    const value = values[i % values.length]!;
    pending +=
      i % 50 === 0
        ? `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z DEBUG connecting with ${i % 100 === 0 ? Buffer.from(value).toString('base64') : value} to db-${i % 7}\n`
        : `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z INFO request ${i} GET /api/v1/items/${i} 200 ${i % 97}ms\n`;
    if (pending.length >= CHUNK) {
      produced += pending.length;
      yield Buffer.from(pending);
      pending = '';
    }
  }
  if (pending) yield Buffer.from(pending);
}

interface Measurement {
  name: string;
  sizeMb: number;
  mbPerSec: number;
  masked: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
  /** Heap still held after a forced GC, with the masker alive: what the masker really keeps. */
  retainedMb: number | undefined;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Masks the generated input, sampling memory every 16 chunks; only the masker's time counts. */
function measure(name: string, sizeMb: number, chunks: Iterable<Uint8Array>, masker: ChunkMasker): Measurement {
  collectGarbage();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let inBytes = 0;
  let n = 0;
  let elapsed = 0n;
  for (const chunk of chunks) {
    inBytes += chunk.length;
    const start = process.hrtime.bigint();
    masker.write(chunk);
    elapsed += process.hrtime.bigint() - start;
    if (++n % 16 === 0) {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }
  }
  const start = process.hrtime.bigint();
  masker.end();
  const seconds = Number(elapsed + process.hrtime.bigint() - start) / 1e9;
  const canCollect = typeof (globalThis as { gc?: unknown }).gc === 'function';
  collectGarbage();
  const retainedMb = canCollect ? (process.memoryUsage().heapUsed - base.heapUsed) / MB : undefined;
  return {
    retainedMb,
    name,
    sizeMb,
    mbPerSec: inBytes / MB / seconds,
    masked: masker.maskedCount,
    rssGrowthMb: (peakRss - base.rss) / MB,
    heapGrowthMb: (peakHeap - base.heapUsed) / MB,
  };
}

function scenarios(masker: Masker): Array<{ name: string; run: (mb: number) => Measurement }> {
  const values = podSecretValues();
  const known = compileKnownValues(values)!;
  const echoing = (name: string, make: () => ChunkMasker) => ({ name, run: (mb: number) => measure(name, mb, echoingLogChunks(mb * MB, values), make()) });
  return [
    { name: 'SecretList (stream-json)', run: (mb) => measure('SecretList (stream-json)', mb, secretListChunks(mb * MB), createListStreamMasker(masker)) },
    { name: 'watch stream (stream-watch)', run: (mb) => measure('watch stream (stream-watch)', mb, watchChunks(mb * MB), createWatchStreamMasker(masker)) },
    { name: 'pod log (text-stream)', run: (mb) => measure('pod log (text-stream)', mb, logChunks(mb * MB), createTextStreamMasker(masker.detectors)) },
    echoing('echoing log: detectors (base)', () => createTextStreamMasker(masker.detectors)),
    echoing('echoing log: known values', () => createKnownValueMasker(known)),
    echoing('echoing log: known + detectors', () => createPodOutputMasker(masker.detectors, known)),
  ];
}

/** Runs every scenario at 10 MB and 50 MB and returns the rows of the table. */
export function runMaskBench(): Measurement[] {
  const masker = createMasker(defaultMasking());
  const rows: Measurement[] = [];
  for (const scenario of scenarios(masker)) {
    scenario.run(5);
    for (const mb of [10, 50]) rows.push(scenario.run(mb));
  }
  return rows;
}

/** The table: one row per scenario and size, with the targets and a verdict. */
export function formatMaskBench(rows: readonly Measurement[]): string {
  const lines = [
    `${'scenario'.padEnd(30)} ${'size'.padStart(6)} ${'MB/s'.padStart(8)} ${'target'.padStart(8)} ${'masked'.padStart(9)} ${'peak RSS +MB'.padStart(13)} ${'peak heap +MB'.padStart(14)} ${'kept +MB'.padStart(9)}`,
  ];
  for (const r of rows) {
    const verdict = r.mbPerSec >= TARGET_MBPS ? 'ok' : 'BELOW';
    lines.push(
      `${r.name.padEnd(30)} ${`${r.sizeMb} MB`.padStart(6)} ${r.mbPerSec.toFixed(1).padStart(8)} ${`≥${TARGET_MBPS}`.padStart(8)} ${String(r.masked).padStart(9)} ${r.rssGrowthMb.toFixed(1).padStart(13)} ${r.heapGrowthMb.toFixed(1).padStart(14)} ${(r.retainedMb === undefined ? 'n/a' : r.retainedMb.toFixed(1)).padStart(9)}  ${verdict}`,
    );
  }
  const byName = new Map<string, Measurement[]>();
  for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  lines.push('', 'memory vs size (target: no growth from 10 MB to 50 MB; peak heap includes not-yet-collected garbage,', '"kept" is what survives a forced GC — run with --expose-gc to see it):');
  for (const [name, [small, large]] of byName) {
    if (!small || !large) continue;
    lines.push(`  ${name.padEnd(30)} heap +${small.heapGrowthMb.toFixed(1)} MB at 10 MB, +${large.heapGrowthMb.toFixed(1)} MB at 50 MB; RSS +${small.rssGrowthMb.toFixed(1)} / +${large.rssGrowthMb.toFixed(1)} MB`);
  }
  return lines.join('\n');
}

const ADVERSARIAL_TARGET_MBPS = 50;
const ADVERSARIAL_MB = 3;
/** Each input is masked this many times, whole and streamed; the best run counts, as background load only slows runs down. */
const ADVERSARIAL_RUNS = 3;

/** Random base64 in lines of `width` characters (no line breaks for 0): dense, high-entropy text. */
function randomBase64(bytes: number, width: number): string {
  const text = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');
  if (width === 0) return text.slice(0, bytes);
  let lines = '';
  for (let i = 0; lines.length < bytes; i += width) lines += `${text.slice(i, i + width)}\n`;
  return lines.slice(0, bytes);
}

/** Ordinary output, measured in the same run as the adversarial inputs, for comparison. */
const BASELINE: Array<[string, () => string]> = [
  ['pod log lines', () => Buffer.concat([...logChunks(ADVERSARIAL_MB * MB)]).toString('latin1')],
  ['random base64, 76-column lines', () => randomBase64(ADVERSARIAL_MB * MB, 76)],
];

/**
 * Inputs built to make detectors slow (issue 11, item 9): backtracking patterns, look-aheads that
 * rescan, and anchors that come to nothing or match back to back. Each is repeated to 3 MB.
 */
const ADVERSARIAL: Array<[string, () => string]> = [
  ['PEM headers, no body', () => '-----BEGIN PRIVATE KEY-----.'],
  ['PEM headers with base64 runs', () => '-----BEGIN PRIVATE KEY-----AAAA\n'],
  ['PEM headers, bogus END lines', () => '-----BEGIN PRIVATE KEY-----x-----END X-----'],
  ['PEM BEGIN prefixes', () => '-----BEGIN '],
  ['dashes', () => '-'],
  ['dash runs', () => '------ -----BEGI '],
  ['JWT look-alikes', () => 'eyJhbGciOiJIUzI1NiJ9.'],
  ['JWT header without dots', () => `ey${'A'.repeat(3000)} `],
  ['JWT starts after dots', () => '.ey'],
  ['password= repeated', () => 'password='],
  ['password assignments, escapes', () => 'password="\\a\\a\\a\\a'],
  ['password assignments, chained', () => 'password=password='],
  ['unclosed quoted values', () => `password="${'x'.repeat(1100)}\n`],
  ['quotes back to back', () => "password='"],
  ['token words', () => 'token token= '],
  ['keys far from separators', () => `token${'_'.repeat(45)}=`],
  ['one long run', () => 'A'],
  ['1 MB runs of base64', () => `${randomBase64(MB, 0)} `],
  ['one long line of words', () => 'GET /api/v1/items 200 user=alice '],
  ['GitHub prefixes', () => 'ghp_'],
  ['AWS key prefixes', () => ' AKIA'],
];

interface AdversarialRow {
  name: string;
  baseline: boolean;
  textMbps: number;
  streamMbps: number;
}

/** Seconds `run` takes, best of {@link ADVERSARIAL_RUNS}. */
function bestSeconds(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < ADVERSARIAL_RUNS; i++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

/** MB/s of `maskText` over each input, and of the text-stream masker in CHUNK pieces; the baselines first. */
export function runAdversarialBench(sizeMb = ADVERSARIAL_MB): AdversarialRow[] {
  const detectors = createMasker(defaultMasking()).detectors;
  const inputs = [...BASELINE.map(([name, make]) => ({ name, baseline: true, text: make() })), ...ADVERSARIAL.map(([name, make]) => ({ name, baseline: false, text: make() }))];
  return inputs.map(({ name, baseline, text: unit }) => {
    const text = baseline ? unit : unit.repeat(Math.ceil((sizeMb * MB) / unit.length)).slice(0, sizeMb * MB);
    const bytes = Buffer.from(text, 'latin1');
    const textSeconds = bestSeconds(() => maskText(text, detectors));
    const streamSeconds = bestSeconds(() => {
      const stream = createTextStreamMasker(detectors);
      for (let i = 0; i < bytes.length; i += CHUNK) stream.write(bytes.subarray(i, i + CHUNK));
      stream.end();
    });
    return { name, baseline, textMbps: bytes.length / MB / textSeconds, streamMbps: bytes.length / MB / streamSeconds };
  });
}

/** The adversarial table: both paths against the linear-time target, under the baselines measured in the same run. */
export function formatAdversarialBench(rows: readonly AdversarialRow[]): string {
  const lines = [`${`input (${ADVERSARIAL_MB} MB)`.padEnd(32)} ${'maskText MB/s'.padStart(14)} ${'stream MB/s'.padStart(12)} ${'target'.padStart(7)}`];
  for (const r of rows) {
    const verdict = r.baseline ? 'baseline' : Math.min(r.textMbps, r.streamMbps) >= ADVERSARIAL_TARGET_MBPS ? 'ok' : 'BELOW';
    const target = r.baseline ? '' : `≥${ADVERSARIAL_TARGET_MBPS}`;
    lines.push(`${r.name.padEnd(32)} ${r.textMbps.toFixed(1).padStart(14)} ${r.streamMbps.toFixed(1).padStart(12)} ${target.padStart(7)}  ${verdict}`);
  }
  lines.push('', `Best of ${ADVERSARIAL_RUNS} runs each; the stream is written in ${CHUNK / 1024} KiB chunks, as the exec relay batches output.`);
  return lines.join('\n');
}

/** Inputs that keep almost matching known values: a backtracking matcher would rescan them. */
function knownValueAdversarial(): Array<[string, KnownValueSet, string]> {
  const long = compileKnownValues([`${'A'.repeat(4096)}B`])!;
  const overlapping = compileKnownValues(Array.from({ length: 64 }, (_, i) => `${'ab'.repeat(4 + i)}c`))!;
  const many = compileKnownValues(Array.from({ length: 2000 }, (_, i) => `secret-${i.toString(36).padStart(4, '0')}-${'x'.repeat(i % 40)}`))!;
  return [
    ['long run vs a 4 KiB value', long, 'A'],
    ['ababab… vs 64 overlapping', overlapping, 'ab'],
    ['2000 values, near-miss text', many, 'secret-00zz-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy '],
  ];
}

/** MB/s of the known-value masker (alone) over each adversarial input, in CHUNK pieces. */
export function runKnownValueAdversarialBench(sizeMb = 3): Array<{ name: string; mbps: number; forms: number }> {
  return knownValueAdversarial().map(([name, known, unit]) => {
    const bytes = Buffer.from(unit.repeat(Math.ceil((sizeMb * MB) / unit.length)), 'latin1');
    const masker = createKnownValueMasker(known);
    const start = process.hrtime.bigint();
    for (let i = 0; i < bytes.length; i += CHUNK) masker.write(bytes.subarray(i, i + CHUNK));
    masker.end();
    return { name, forms: known.formCount, mbps: bytes.length / MB / (Number(process.hrtime.bigint() - start) / 1e9) };
  });
}

/** The known-value adversarial table against the linear-time target. */
export function formatKnownValueAdversarialBench(rows: ReadonlyArray<{ name: string; mbps: number; forms: number }>): string {
  const lines = [`${'known values, adversarial (3 MB)'.padEnd(32)} ${'forms'.padStart(7)} ${'MB/s'.padStart(8)} ${'target'.padStart(7)}`];
  for (const r of rows) lines.push(`${r.name.padEnd(32)} ${String(r.forms).padStart(7)} ${r.mbps.toFixed(1).padStart(8)} ${`≥${ADVERSARIAL_TARGET_MBPS}`.padStart(7)}  ${r.mbps >= ADVERSARIAL_TARGET_MBPS ? 'ok' : 'BELOW'}`);
  return lines.join('\n');
}

/** The per-request line: one Pod through the object path. */
export function formatPodCost(): string {
  const body = Buffer.from(podJson());
  const micros = perObjectMicros(createMasker(defaultMasking()), body);
  return `per request: maskJsonBody of one ${body.length}-byte Pod: ${micros.toFixed(1)} µs (best of 5 × 2000)`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatMaskBench(runMaskBench()));
  console.log(`\n${formatPodCost()}`);
  console.log(`\n${formatAdversarialBench(runAdversarialBench())}`);
  console.log(`\n${formatKnownValueAdversarialBench(runKnownValueAdversarialBench())}`);
}
