/**
 * The whole simulated world as kgate will use it: a grant-scoped EKS token minted through the real
 * AWS SDK (AssumeRole with RoleSessionName grant-<id>, presigned GetCallerIdentity), the cluster
 * endpoint and CA from EKS DescribeCluster, then the real kubectl (newest and 1.30/1.31 where
 * installed) and @kubernetes/client-node against the simulated apiserver: 403 before a RoleBinding
 * exists, allowed after, 403 again once it is deleted. Also `npm run sim` as a process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CoreV1Api, Exec, KubeConfig, Watch, type V1Status } from '@kubernetes/client-node';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { assumeRole, eksToken, trustingHandler } from '../../support/aws.js';
import { findKubectls, kubectl, writeKubeconfig, type KubectlBinary } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';

let world: SimWorld;
let kubectls: KubectlBinary[];
const simLog: string[] = [];

beforeAll(async () => {
  world = await startSimWorld({ log: (line) => simLog.push(line) });
  kubectls = await findKubectls();
});

afterAll(async () => {
  await world?.close();
});

/** What kgate's policy service will do for grant `id`: endpoint + CA from EKS, token from STS. */
async function grantAccess(id: string): Promise<{ server: string; caData: string; token: string; kubeconfig: string }> {
  const eks = new EKSClient({ region: world.aws.region, endpoint: world.aws.eksEndpoint, credentials: world.aws.root, requestHandler: trustingHandler(world.tls.ca.cert) });
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: world.clusterName }));
  eks.destroy();
  const server = cluster!.endpoint!;
  const caData = cluster!.certificateAuthority!.data!;
  const credentials = await assumeRole(world.aws, world.tls.ca.cert, world.aws.roleArn, `grant-${id}`);
  const token = await eksToken(world.aws, credentials, world.clusterName);
  const dir = scratchDir('kgate-grant-');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, Buffer.from(caData, 'base64'));
  return { server, caData, token, kubeconfig: writeKubeconfig({ server, caFile, user: { token } }) };
}

const admin = (args: string[]) => kubectl(args, { kubeconfig: world.kubeconfig });

describe.each([0, 1])('kubectl #%i with a grant token', (index) => {
  const binary = () => kubectls[index];
  let grant: Awaited<ReturnType<typeof grantAccess>>;
  const id = `e2e${index}`;
  const as = (args: string[], input?: string) => kubectl(args, { kubeconfig: grant.kubeconfig, binary: binary()!.path, input });

  beforeAll(async () => {
    grant = await grantAccess(id);
  });

  it('is refused before a RoleBinding exists, allowed after, refused again once it is deleted', async () => {
    if (!binary()) return; // only one kubectl minor installed: the newest one ran as #0
    const before = await as(['get', 'pods', '-n', 'prod']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain(`Error from server (Forbidden): pods is forbidden: User "kgate:grant-${id}" cannot list resource "pods" in API group "" in the namespace "prod"`);

    const bind = await admin(['create', 'rolebinding', `kgate-grant-${id}`, '-n', 'prod', '--clusterrole=edit', `--user=kgate:grant-${id}`]);
    expect(bind.stderr).toBe('');
    const after = await as(['get', 'pods', '-n', 'prod']);
    expect(after.stderr).toBe('');
    expect(after.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1\/1\s+Running\s+0\s+\d+s\n$/);

    const whoami = await as(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout).toBe(`kgate:grant-${id}`);
    expect((await as(['auth', 'can-i', 'get', 'secrets', '-n', 'prod'])).stdout.trim()).toBe('yes');
    const otherNamespace = await as(['auth', 'can-i', 'get', 'pods', '-n', 'staging']);
    expect({ code: otherNamespace.code, out: otherNamespace.stdout.trim() }).toEqual({ code: 1, out: 'no' });
    expect((await as(['get', 'pods', '-n', 'staging'])).code).toBe(1);

    const exec = await as(['exec', '-i', '-n', 'prod', 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo "env=$APP_ENV" >&2; exit 7'], 'shout\n');
    expect(exec).toMatchObject({ code: 7, stdout: 'SHOUT\n' });
    expect(exec.stderr).toContain('env=prod');

    const secret = await as(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(secret.stdout, 'base64').toString()).toBe('prod-S3cr3t-pa55word');

    await admin(['delete', 'rolebinding', `kgate-grant-${id}`, '-n', 'prod']);
    const revoked = await as(['get', 'pods', '-n', 'prod']);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('(Forbidden)');
  });
});

it('the policy service identity may manage bindings and nothing more', async () => {
  const token = await eksToken(world.aws, world.aws.root, world.clusterName);
  const caFile = join(world.dir, 'ca.crt');
  const kubeconfig = writeKubeconfig({ server: world.apiServer.url, caFile, user: { token } });
  const can = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args], { kubeconfig })).stdout.trim();
  expect(await can('create', 'rolebindings', '-n', 'prod')).toBe('yes');
  expect(await can('delete', 'clusterrolebindings')).toBe('yes');
  expect(await can('create', 'serviceaccounts/token', '-n', 'kgate-system')).toBe('yes');
  expect(await can('get', 'secrets', '-n', 'prod')).toBe('no');
  expect(await can('create', 'pods/exec', '-n', 'prod')).toBe('no');
  const who = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig });
  expect(who.stdout).toBe('kgate-server');
});

it('kubectl logs -f streams a running pod until interrupted', async () => {
  const cacheDir = scratchDir('kgate-kubecache-');
  const child = spawn(kubectls[0]!.path, ['logs', '-f', '-n', 'staging', 'web'], { env: { ...process.env, KUBECONFIG: world.kubeconfig, KUBECACHEDIR: cacheDir } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const lines = () => out.split('\n').filter((l) => l.startsWith('staging web: GET /healthz 200 seq='));
  // First the backlog arrives; the pod writes a line every two seconds, so a follow must then
  // deliver lines that did not exist when it started.
  await until(() => lines().length > 0, 10_000);
  const backlog = lines().length;
  await until(() => lines().length >= backlog + 2, 10_000);
  child.kill('SIGINT');
  const seqs = lines().map((l) => Number(l.split('seq=')[1]));
  expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
});

describe('@kubernetes/client-node with a grant token', () => {
  let kc: KubeConfig;

  beforeAll(async () => {
    const grant = await grantAccess('client-node');
    await admin(['create', 'rolebinding', 'kgate-grant-client-node', '-n', 'staging', '--clusterrole=edit', '--user=kgate:grant-client-node']);
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'sim', server: grant.server, caData: grant.caData, skipTLSVerify: false }],
      users: [{ name: 'grant', token: grant.token }],
      contexts: [{ name: 'sim', cluster: 'sim', user: 'grant' }],
      currentContext: 'sim',
    });
  });

  it('lists, watches and execs', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'staging' });
    expect(pods.items.map((p) => [p.metadata?.name, p.status?.phase])).toEqual([['web', 'Running']]);

    const events: string[] = [];
    const watch = await new Watch(kc).watch('/api/v1/namespaces/staging/configmaps', { resourceVersion: pods.metadata?.resourceVersion }, (type, obj: { metadata: { name: string } }) => events.push(`${type} ${obj.metadata.name}`), () => undefined);
    await admin(['create', 'configmap', 'watched', '-n', 'staging', '--from-literal=a=b']);
    await until(() => events.includes('ADDED watched'), 5000);
    watch.abort();

    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec('staging', 'web', 'web', ['sh', '-c', 'cat; exit 2'], stdout, null, Readable.from([Buffer.from('via client-node\n')]), false, resolve).catch(reject);
    });
    expect(out).toBe('via client-node\n');
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });

    await expect(core.listNamespacedPod({ namespace: 'prod' })).rejects.toMatchObject({ code: 403 });
  });
});

it('npm run sim writes the env file and serves until Ctrl-C', async () => {
  const dir = scratchDir('kgate-sim-env-');
  const envFile = join(dir, 'env');
  // Its own process group, so SIGINT reaches npm and the sim together, as Ctrl-C in a terminal does.
  const child = spawn('npm', ['run', 'sim', '--silent', '--', '--env-file', envFile, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await until(() => (out.includes('ready') ? true : undefined), 30_000);
  const env = Object.fromEntries(readFileSync(envFile, 'utf8').trim().split('\n').map((line) => {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    expect(match).not.toBeNull();
    return [match![1]!, match![2]!.replace(/^'(.*)'$/, '$1')];
  }));
  for (const name of ['KGATE_ISSUER', 'KGATE_CLIENT_ID', 'KGATE_CLIENT_SECRET', 'SIM_CI_DEPLOYER_CLIENT_ID', 'SIM_CI_DEPLOYER_CLIENT_SECRET', 'SIM_MCP_AGENT_CLIENT_ID', 'SIM_MCP_AGENT_CLIENT_SECRET', 'SIM_API_SERVER', 'SIM_CA_FILE', 'SIM_KUBECONFIG', 'SIM_CLUSTER_NAME', 'SIM_ROLE_ARN', 'SIM_STS_ENDPOINT', 'SIM_EKS_ENDPOINT', 'AWS_REGION', 'SIM_AWS_ACCESS_KEY_ID', 'SIM_AWS_SECRET_ACCESS_KEY', 'SIM_GHA_TOKEN_REQUEST_URL', 'SIM_GHA_TOKEN_REQUEST_TOKEN', 'KGATE_SERVER', 'KGATE_CLUSTER', 'KGATE_CA_FILE']) {
    expect(env[name]).toBeTruthy();
  }
  expect(out.split('\n').filter((l) => l.includes('https://127.0.0.1:'))).toHaveLength(6);
  const nodes = await kubectl(['get', 'ns', '-o', 'name'], { kubeconfig: env.SIM_KUBECONFIG! });
  expect(nodes.stdout).toContain('namespace/prod');
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  await until(async () => (await fetch(`${env.SIM_API_SERVER}/version`).then(() => false, () => true)) || undefined, 10_000);
}, 60_000);

it('the sim process exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await until(() => (out.includes('ready') ? true : undefined), 30_000);
  const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  child.kill('SIGTERM');
  expect(await code).toBe(0);
}, 60_000);

async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > ms) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
