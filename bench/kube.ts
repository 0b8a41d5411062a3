/**
 * Micro-benchmarks of the pure Kubernetes protocol library (src/kube): how much of the broker's
 * per-request budget (≤ 1 ms added median latency) canonicalisation and classification use.
 * Run: node --import tsx bench/kube.ts
 */
import { readFileSync } from 'node:fs';
import { canonicalizeRequest } from '../src/kube/canonical.js';
import { sanitizeRequestHeaders } from '../src/kube/headers.js';
import { rewriteAccept } from '../src/kube/negotiate.js';
import { decodeProtobufBody } from '../src/kube/protobuf.js';
import { requestInfo } from '../src/kube/request-info.js';
import { WatchEventSplitter } from '../src/kube/watch.js';

interface Row {
  name: string;
  value: string;
  unit: string;
}

function opsPerSecond(fn: () => void, minMs = 400): number {
  for (let i = 0; i < 2000; i++) fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 1000; i++) fn();
    ops += 1000;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

function canonicalAndInfo(method: string, target: string): () => void {
  return () => {
    const c = canonicalizeRequest(method, target);
    if (!c.ok) throw new Error(c.reason);
    requestInfo(c.request);
  };
}

const rows: Row[] = [];
const targets: [string, string, string][] = [
  ['list pods (kubectl get)', 'GET', '/api/v1/namespaces/default/pods?limit=500'],
  ['watch one object', 'GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb&resourceVersion=0&watch=true'],
  ['exec with command', 'POST', '/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=echo+hi&container=app&stdin=true&stdout=true&tty=true'],
  ['grouped get', 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregate-to-admin'],
  ['discovery', 'GET', '/apis?timeout=32s'],
];
for (const [name, method, target] of targets) {
  rows.push({ name: `canonicalize+requestInfo: ${name}`, value: Math.round(opsPerSecond(canonicalAndInfo(method, target))).toLocaleString('en-US'), unit: 'ops/s' });
}

const refused = () => canonicalizeRequest('GET', '/api/v1/namespaces/default/pods/x/%2e%2e/%2e%2e/secrets');
rows.push({ name: 'canonicalize: refused §1.3 target', value: Math.round(opsPerSecond(refused)).toLocaleString('en-US'), unit: 'ops/s' });

const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
rows.push({ name: 'rewriteAccept: kubectl Table Accept', value: Math.round(opsPerSecond(() => rewriteAccept(tableAccept))).toLocaleString('en-US'), unit: 'ops/s' });

const headers = { 'user-agent': 'kubectl/v1.32.4', accept: 'application/vnd.kubernetes.protobuf,application/json', authorization: 'Bearer x', 'impersonate-user': 'a', 'accept-encoding': 'gzip', 'content-type': 'application/json' };
rows.push({ name: 'sanitizeRequestHeaders: kubectl request', value: Math.round(opsPerSecond(() => sanitizeRequestHeaders(headers))).toLocaleString('en-US'), unit: 'ops/s' });

const fixture = JSON.parse(readFileSync(new URL('../test/unit/sim/kube/fixtures/protobuf-bodies.json', import.meta.url), 'utf8')) as { cases: { id: string; protobuf: string }[] };
const ssar = new Uint8Array(Buffer.from(fixture.cases.find((c) => c.id === 'can-i-resource')!.protobuf, 'base64'));
rows.push({ name: 'decodeProtobufBody: kubectl 1.32 SSAR', value: Math.round(opsPerSecond(() => decodeProtobufBody(ssar))).toLocaleString('en-US'), unit: 'ops/s' });

const event = JSON.stringify({ type: 'MODIFIED', object: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db', namespace: 'default', annotations: { a: 'x'.repeat(300) } }, data: { password: 'czNjcjN0'.repeat(50) } } }) + '\n';
const watchStream = Buffer.from(event.repeat(Math.ceil((64 * 1024 * 1024) / event.length)));
const chunkSize = 64 * 1024;
const start = performance.now();
const splitter = new WatchEventSplitter();
let count = 0;
for (let at = 0; at < watchStream.length; at += chunkSize) {
  const result = splitter.push(watchStream.subarray(at, at + chunkSize));
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  count += result.events.length;
}
const seconds = (performance.now() - start) / 1000;
rows.push({ name: `WatchEventSplitter: ${count.toLocaleString('en-US')} events, 64 KiB chunks`, value: (watchStream.length / 1024 / 1024 / seconds).toFixed(0), unit: 'MiB/s' });

const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${'benchmark'.padEnd(width)}  ${'result'.padStart(12)}  unit`);
for (const row of rows) console.log(`${row.name.padEnd(width)}  ${row.value.padStart(12)}  ${row.unit}`);
