/**
 * `npm run bench`: every benchmark of the project, each printing its own table with the numbers
 * measured on this machine next to the targets. Benchmarks are scripts, never timed tests.
 * Each runs in its own Node process so one's garbage does not colour the next one's memory figures.
 *
 * `npm run bench -- exec mask` runs only the named sections, in the order given here.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES: { name: string; title: string; file: string; flags?: string[] }[] = [
  { name: 'kube', title: 'Kubernetes wire protocol (src/kube): per-request work on the broker hot path', file: 'kube.ts' },
  { name: 'mask', title: 'Masking (src/mask): throughput and memory against the size of the body', file: 'mask.ts', flags: ['--expose-gc'] },
  { name: 'broker', title: 'Broker (src/broker): added latency of a small GET against the sim direct and kubectl proxy', file: 'broker.ts' },
  { name: 'exec', title: 'Broker exec relay (src/broker/exec): throughput of a 100 MB stdout stream', file: 'exec.ts' },
  { name: 'credential', title: 'kubectl credential plugin (bin/credential.js): warm paths (broker and gateway contexts) against node -e 0', file: 'credential.ts' },
];

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !BENCHES.some((bench) => bench.name === name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHES.map((b) => b.name).join(', ')} (none: all)\n`);
  process.exit(2);
}
const selected = asked.length === 0 ? BENCHES : BENCHES.filter((bench) => asked.includes(bench.name));

process.stdout.write(`kgate benchmarks — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`);
let failed = 0;
for (const bench of selected) {
  process.stdout.write(`\n## ${bench.title}\n\n`);
  const file = fileURLToPath(new URL(bench.file, import.meta.url));
  const result = spawnSync(process.execPath, [...(bench.flags ?? []), '--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
