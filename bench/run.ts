/**
 * `npm run bench`: every benchmark of the project, each printing its own table with the numbers
 * measured on this machine next to the targets. Benchmarks are scripts, never timed tests.
 * Each runs in its own Node process so one's garbage does not colour the next one's memory figures.
 * Arguments select benchmarks by file name: `npm run bench -- credential`.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES: { title: string; file: string; flags?: string[] }[] = [
  { title: 'Kubernetes wire protocol (src/kube): per-request work on the broker hot path', file: 'kube.ts' },
  { title: 'Masking (src/mask): throughput and memory against the size of the body', file: 'mask.ts', flags: ['--expose-gc'] },
  { title: 'Broker (src/broker): added latency of a small GET against the sim direct and kubectl proxy', file: 'broker.ts' },
  { title: 'Broker exec relay (src/broker/exec): throughput of a 100 MB stdout stream', file: 'exec.ts' },
  { title: 'kubectl credential plugin (bin/credential.js): warm paths (broker and gateway contexts) against node -e 0', file: 'credential.ts' },
];

// `npm run bench -- credential broker`: only the benchmarks whose file names contain one of the words.
const only = process.argv.slice(2);
const selected = BENCHES.filter((b) => only.length === 0 || only.some((word) => b.file.includes(word)));
if (selected.length === 0) {
  process.stderr.write(`No benchmark matches ${only.join(', ')}; there are: ${BENCHES.map((b) => b.file.replace(/\.ts$/, '')).join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`kgate benchmarks — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`);
let failed = 0;
for (const bench of selected) {
  process.stdout.write(`\n## ${bench.title}\n\n`);
  const file = fileURLToPath(new URL(bench.file, import.meta.url));
  const result = spawnSync(process.execPath, [...(bench.flags ?? []), '--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
