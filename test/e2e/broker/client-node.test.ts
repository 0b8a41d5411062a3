/**
 * A program written against @kubernetes/client-node (fixtures/client-node-flows.ts), run as its
 * own process through the broker with only a KUBECONFIG: listing, reading and watching secrets
 * shows masked values, exec runs in staging and is refused in prod, namespace deletion is refused.
 * Each check pairs what the program saw with the broker's audit records or the admin's view, so
 * it fails if the program reached the apiserver another way. The program is started by
 * `launch`, which becomes `kgate exec -- …` once that command exists.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineAuditRecord } from '../../../src/broker/pipeline/index.js';
import { base64Marker } from '../../../src/mask/index.js';
import { NAMESPACE_RULE_MESSAGE, leaks, startSimBroker, type SimBroker } from './fixtures/sim-broker.js';

const FLOWS = join(import.meta.dirname, 'fixtures', 'client-node-flows.ts');
const WATCH_SECRET_VALUE = 'watch-pa55-value-client-node';
const MASKED = base64Marker('secret');

interface SecretView { namespace: string; name: string; data: Record<string, string> }
interface ExecView { stdout: string; stderr: string; status?: { status?: string }; error?: { code?: number; message: string } }
interface Flows {
  pods: string[];
  secrets: SecretView[];
  secret: SecretView;
  watch: { created: SecretView; events: { type: string; name: string; data: Record<string, string> }[]; ended?: string };
  log: string;
  execStaging: ExecView;
  execProd: ExecView;
  deleteNamespace: { deleted?: boolean; code?: number; message?: string };
}

let broker: SimBroker;
let home: string;
let stdout = '';
let stderr = '';
let flows: Flows;
let records: PipelineAuditRecord[];

/** How the program is started with access to the cluster: today straight at the session kubeconfig. */
function launch(command: string[], env: NodeJS.ProcessEnv): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const [file, ...args] = command;
  return { command: file!, args, env: { ...env, KUBECONFIG: broker.session.path } };
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const spec = launch(command, env);
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const secretsOf = (list: { data: Record<string, string> }[]) => list.flatMap((s) => Object.values(s.data));

beforeAll(async () => {
  broker = await startSimBroker();
  home = await mkdtemp(join(tmpdir(), 'kgate-client-node-home-'));
  const code = await run([process.execPath, '--import', 'tsx', FLOWS], { PATH: process.env.PATH ?? '', HOME: home, WATCH_SECRET_VALUE });
  if (code !== 0) throw new Error(`client-node flows exited with ${code}: ${stderr.slice(-2000)}`);
  flows = JSON.parse(stdout) as Flows;
  records = broker.audits;
}, 60_000);

afterAll(async () => {
  await broker?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

test('pods are listed through the broker', () => {
  expect(flows.pods).toEqual(expect.arrayContaining(['prod/web', 'staging/web']));
  expect(records).toContainEqual(expect.objectContaining({ statusCode: 200, info: expect.objectContaining({ verb: 'list', resource: 'pods', namespace: '' }) }));
});

test('listed and read secrets carry only the masking marker', async () => {
  expect(leaks((await broker.admin(['get', 'secrets', '-A', '-o', 'json'])).stdout)).not.toEqual([]);
  expect(flows.secrets.map((s) => `${s.namespace}/${s.name}`)).toEqual(expect.arrayContaining(['prod/db-credentials', 'staging/db-credentials']));
  expect(new Set(secretsOf(flows.secrets))).toEqual(new Set([MASKED]));
  expect(flows.secret).toEqual({ namespace: 'prod', name: 'db-credentials', data: { username: MASKED, password: MASKED } });
  expect(records).toContainEqual(expect.objectContaining({ maskedCount: 2, info: expect.objectContaining({ verb: 'get', resource: 'secrets', namespace: 'prod' }) }));
});

test('a watch on secrets sees the existing and a newly created secret, masked', async () => {
  expect(flows.watch.events).toContainEqual({ type: 'ADDED', name: 'db-credentials', data: { username: MASKED, password: MASKED } });
  expect(flows.watch.events).toContainEqual({ type: 'ADDED', name: 'watched-by-client-node', data: { token: MASKED } });
  expect(flows.watch.created.data).toEqual({ token: MASKED });
  const real = await broker.admin(['get', 'secret', 'watched-by-client-node', '-n', 'staging', '-o', 'jsonpath={.data.token}']);
  expect(Buffer.from(real.stdout, 'base64').toString()).toBe(WATCH_SECRET_VALUE);
  expect(records).toContainEqual(expect.objectContaining({ info: expect.objectContaining({ verb: 'watch', resource: 'secrets', namespace: 'staging' }) }));
});

test('a pod log is read through the broker', () => {
  expect(flows.log).toContain('staging web: GET /healthz 200');
  expect(records).toContainEqual(expect.objectContaining({ statusCode: 200, info: expect.objectContaining({ resource: 'pods', subresource: 'log', namespace: 'staging' }) }));
});

test('exec runs in staging through the exec relay', () => {
  expect(flows.execStaging.error).toBeUndefined();
  expect(flows.execStaging.stdout).toBe('hello-from-client-node\n');
  expect(flows.execStaging.status?.status).toBe('Success');
  expect(records).toContainEqual(expect.objectContaining({
    statusCode: 101,
    exec: expect.objectContaining({ namespace: 'staging', pod: 'web', command: ['echo', 'hello-from-client-node'], exitCode: 0 }),
  }));
});

test('exec in prod is refused as needing approval', () => {
  expect(flows.execProd.stdout).toBe('');
  expect(flows.execProd.error?.message).toBe('Unexpected server response: 403');
  const attempts = records.filter((r) => r.info?.subresource === 'exec' && r.info.namespace === 'prod');
  expect(attempts.length).toBeGreaterThan(0);
  for (const attempt of attempts) expect(attempt).toMatchObject({ decision: 'approve', rule: 'prod-exec-approval', statusCode: 403 });
});

test('deleting a namespace is refused with the rule and the namespace stays', async () => {
  expect(flows.deleteNamespace.code).toBe(403);
  expect(flows.deleteNamespace.message).toContain(NAMESPACE_RULE_MESSAGE);
  expect(records).toContainEqual(expect.objectContaining({ method: 'DELETE', decision: 'deny', rule: 'no-namespace-deletion', statusCode: 403 }));
  const still = await broker.admin(['get', 'namespace', 'staging', '-o', 'jsonpath={.status.phase}']);
  expect(still.stdout).toBe('Active');
});

test('nothing the program printed carries a secret value', () => {
  expect(leaks(stdout + stderr, ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word', 'app-prod', 'app-staging', WATCH_SECRET_VALUE])).toEqual([]);
});
