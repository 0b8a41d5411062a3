/**
 * The kubectl credential plugin's warm paths against `node -e 0` on the same machine, timed side
 * by side as whole processes, the way kubectl runs it on every invocation: a broker context (the
 * daemon holding an active grant, one round trip on its socket) and a gateway context (a cached
 * gateway credential read from its file); `aws eks get-token` too when the AWS CLI is here.
 * Targets: median ≤ 1.5 × `node -e 0` (broker), ≤ 1.25 × (gateway).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimPolicyServer } from '../test/sim/policy-server.js';
import { startSimWorld } from '../test/sim/world.js';
import { formatTable, percentile } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 40;
const TARGET_RATIO = 1.5;
const GATEWAY_TARGET_RATIO = 1.25;

const world = await startSimWorld();
const server = await startSimPolicyServer(world);
const sandbox = await mkdtemp(join(tmpdir(), 'kgate-bench-cred-'));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: sandbox,
  ...world.env,
  ...server.env,
  KGATE_STATE_DIR: join(sandbox, 'state'),
  KGATE_CONFIG_DIR: join(sandbox, 'config'),
  KGATE_TOKEN_STORAGE: 'file',
  KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } }),
};
const plugin = [process.execPath, join(ROOT, 'bin/credential.js'), '--cluster', server.env.KGATE_BROKER_CLUSTER, '--grant', 'operate'];
const gatewayPlugin = [process.execPath, join(ROOT, 'bin/credential.js'), '--cluster', server.env.KGATE_CLUSTER, '--grant', 'operate', '--gateway', '--server', server.url];
// Each kubectl is a new process; here every run has the same parent, so its "already handed to this kubectl" markers go between runs.
const newKubectl = () => rm(join(sandbox, 'state', 'gateway-credentials', 'served'), { recursive: true, force: true });

// Asynchronous on purpose: the sim's IdP and policy service live in this process and must keep answering.
function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ ms: number; stdout: string }> {
  const start = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => child.on('close', (code) => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (code === 0) resolve({ ms, stdout });
    else reject(new Error(`${argv.join(' ')} failed: ${stderr}`));
  }));
}
const time = async (argv: string[], extraEnv?: NodeJS.ProcessEnv) => {
  if (argv === gatewayPlugin) await newKubectl();
  return (await run(argv, extraEnv)).ms;
};

try {
  const cold = await time(plugin);
  if (!(await run(plugin)).stdout.includes('"kind":"ExecCredential"')) throw new Error('the plugin did not answer with an ExecCredential');
  const gatewayCold = await time(gatewayPlugin);
  await newKubectl();
  if (!(await run(gatewayPlugin)).stdout.includes('"kind":"ExecCredential"')) throw new Error('the gateway plugin did not answer with an ExecCredential');
  const awsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
  const awsEnv = { AWS_ACCESS_KEY_ID: 'AKIABENCHEXAMPLE0000', AWS_SECRET_ACCESS_KEY: 'bench/secret/key/example/0000000000000000', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  const subjects: { name: string; argv: string[]; env?: NodeJS.ProcessEnv }[] = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'kgate credential (warm path)', argv: plugin },
    { name: 'kgate credential, gateway context (warm path)', argv: gatewayPlugin },
    { name: 'kgate --version (oclif, for scale)', argv: [process.execPath, join(ROOT, 'bin/run.js'), '--version'] },
    ...(awsCli ? [{ name: 'aws eks get-token', argv: ['aws', 'eks', 'get-token', '--cluster-name', world.clusterName], env: awsEnv }] : []),
  ];
  const samples = new Map(subjects.map((s) => [s.name, [] as number[]]));
  for (const s of subjects) await time(s.argv, s.env);
  // Interleaved, so background load falls on every subject alike.
  for (let i = 0; i < RUNS; i++) for (const s of subjects) samples.get(s.name)!.push(await time(s.argv, s.env));
  const median = (name: string) => percentile([...samples.get(name)!].sort((a, b) => a - b), 0.5);
  const base = median('node -e 0');
  const rows = subjects.map((s) => {
    const sorted = [...samples.get(s.name)!].sort((a, b) => a - b);
    return [s.name, percentile(sorted, 0.5).toFixed(1), percentile(sorted, 0.9).toFixed(1), (percentile(sorted, 0.5) / base).toFixed(2)];
  });
  process.stdout.write(`${RUNS} interleaved runs each, whole processes; the daemon already holds an active grant, the gateway context's credential is cached. First (cold) calls: broker context (starting the daemon, login and grant) ${cold.toFixed(0)} ms; gateway context (grant reused, credential minted) ${gatewayCold.toFixed(0)} ms\n\n`);
  process.stdout.write(formatTable(['command', 'median ms', 'p90 ms', '× node -e 0'], rows) + '\n\n');
  const ratio = median('kgate credential (warm path)') / base;
  process.stdout.write(`credential plugin median ${ratio.toFixed(2)} × node -e 0 (target ≤ ${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'ok' : 'MISSED'}\n`);
  const gatewayRatio = median('kgate credential, gateway context (warm path)') / base;
  process.stdout.write(`gateway context plugin median ${gatewayRatio.toFixed(2)} × node -e 0 (target ≤ ${GATEWAY_TARGET_RATIO}): ${gatewayRatio <= GATEWAY_TARGET_RATIO ? 'ok' : 'MISSED'}\n`);
  if (!awsCli) process.stdout.write('aws CLI not installed: aws eks get-token not timed\n');
} finally {
  await run([process.execPath, join(ROOT, 'bin/run.js'), 'broker', 'stop']).catch(() => undefined);
  await server.close();
  await world.close();
  await rm(sandbox, { recursive: true, force: true });
}
