/**
 * A kubectl context for a gateway cluster, as an engineer's kubectl uses it: `kgate kubeconfig
 * add` (the built CLI) writes a context naming the kgate gateway at the sim policy service, whose
 * user runs bin/credential.js; the real kubectl then goes through it. Checked: nothing in the
 * context, nor the cached credential, is accepted by the cluster's API server; Secrets are masked
 * and guardrails apply; a prod exec held for approval is refused at once naming the approval, and
 * once carol approves the same command proceeds while another is held again; a credential the
 * gateway refuses is replaced, not served again; twenty kubectl processes at once make one grant
 * request; logout removes the cached credentials.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary, type KubectlResult } from '../../support/kubectl.js';
import { runKgate, simCliEnv } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, simFetch } from '../policy/support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SECRETS = ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word'];

let world: SimWorld;
let server: SimPolicyServer;
let sandbox: string;
let kubeconfig: string;
let kubectlPath: string;
let carol: ReturnType<typeof apiAs>;
let machine: ReturnType<typeof apiAs>;

interface Cached { id: string; token: string; grant: string; cluster: string; expiresAt: number }
interface Grant { id: string; template: string; state: string }

const env = () => simCliEnv(sandbox, { ...world.env, ...server.env }, { KUBECONFIG: undefined });
const kgate = (args: string[]) => runKgate(args, { env: env(), timeoutMs: 60_000 });
const cacheDir = () => join(sandbox, 'state', 'gateway-credentials');

let cacheDirs = 0;
function kc(args: string[], context = 'operate'): Promise<KubectlResult> {
  const cache = join(sandbox, `kubecache-${cacheDirs++}`);
  const defined = Object.fromEntries(Object.entries(env()).filter(([, v]) => v !== undefined));
  return kubectl(['--context', context, ...args], { kubeconfig, binary: kubectlPath, env: { ...defined, KUBECACHEDIR: cache }, timeoutMs: 90_000 });
}

async function cachedCredentials(): Promise<Cached[]> {
  const names = (await readdir(cacheDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(cacheDir(), n), 'utf8')) as Cached));
}

const grants = async (query: string) => ((await machine('GET', `/v1/grants?mine=true&${query}`)).body as { items: Grant[] }).items;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  sandbox = await mkdtemp(join(tmpdir(), 'kgate-ctx-gw-'));
  kubeconfig = join(sandbox, 'kubeconfig');
  kubectlPath = (await kubectlBinary()).path;
  carol = apiAs(world, server.url, await personToken(world, 'carol'));
  machine = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

test('kgate kubeconfig add writes a gateway context: the gateway URL, the service CA, the plugin, no credential', async () => {
  for (const grant of ['operate', 'read-only']) {
    const r = await kgate(['kubeconfig', 'add', '--kubeconfig', kubeconfig, '--cluster', server.env.KGATE_CLUSTER, '--grant', grant, '--context', grant]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`the kgate gateway at ${server.url}/gateway/clusters/${server.env.KGATE_CLUSTER}`);
  }
  expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
  const view = JSON.parse((await kubectl(['config', 'view', '--raw', '-o', 'json'], { kubeconfig, binary: kubectlPath })).stdout) as {
    clusters: { name: string; cluster: Record<string, string> }[];
    users: { name: string; user: Record<string, unknown> & { exec: { args: string[]; interactiveMode: string; apiVersion: string } } }[];
  };
  expect(view.clusters).toEqual([{
    name: `kgate-${server.env.KGATE_CLUSTER}`,
    cluster: { server: `${server.url}/gateway/clusters/${server.env.KGATE_CLUSTER}`, 'certificate-authority-data': Buffer.from(await readFile(world.env.KGATE_CA_FILE!, 'utf8')).toString('base64') },
  }]);
  const operate = view.users.find((u) => u.name.endsWith('-operate'))!;
  expect(Object.keys(operate.user)).toEqual(['exec']);
  expect(operate.user.exec).toMatchObject({
    apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'IfAvailable',
    args: [join(ROOT, 'bin', 'credential.js'), '--cluster', server.env.KGATE_CLUSTER, '--grant', 'operate', '--gateway', '--server', server.url],
  });
  expect(JSON.stringify(view)).not.toContain('kgate-gw.');
});

test('twenty kubectl processes started at once make one grant request and one credential', async () => {
  const runs = await Promise.all(Array.from({ length: 20 }, () => kc(['get', 'ns', 'staging', '-o', 'name'], 'read-only')));
  for (const run of runs) expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: 'namespace/staging\n', stderr: '' });
  const requested = (await grants(`cluster=${server.env.KGATE_CLUSTER}`)).filter((g) => g.template === 'read-only');
  expect(requested).toHaveLength(1);
  const cached = await cachedCredentials();
  expect(cached.map((c) => c.grant)).toEqual([requested[0]!.id]);
}, 180_000);

test('through the context Secrets are masked and guardrails apply', async () => {
  const secrets = await kc(['get', 'secrets', '-A', '-o', 'yaml']);
  expect(secrets.code).toBe(0);
  expect(secrets.stdout).toContain('name: db-credentials');
  for (const s of SECRETS) {
    expect(secrets.stdout).not.toContain(s);
    expect(secrets.stdout).not.toContain(Buffer.from(s).toString('base64'));
  }
  const refused = await kc(['delete', 'namespace', 'staging']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('Deleting namespaces is not allowed through kgate; ask the platform team.');
  expect((await kubectl(['get', 'ns', 'staging', '-o', 'name'], { kubeconfig: world.kubeconfig })).stdout).toBe('namespace/staging\n');
}, 120_000);

test('a held prod exec is refused at once naming the approval; once carol approves the same command proceeds, another is held again', async () => {
  const command = ['exec', '-n', 'prod', 'web', '--', 'sh', '-c', 'echo held-exec-ran'];
  const held = await kc(command);
  expect(held.code).not.toBe(0);
  expect(held.stderr).toContain('Error from server (Forbidden)');
  expect(held.stderr).toContain('prod-exec-needs-approval');
  const approval = /kgate approve ([a-z2-7]+)/.exec(held.stderr)?.[1];
  expect(approval).toBeDefined();
  expect((await carol('POST', `/v1/approvals/${approval}/approve`, {})).status).toBe(200);

  const again = await kc(command);
  expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'held-exec-ran\n' });

  const other = await kc(['exec', '-n', 'prod', 'web', '--', 'sh', '-c', 'echo another']);
  expect(other.code).not.toBe(0);
  const second = /kgate approve ([a-z2-7]+)/.exec(other.stderr)?.[1];
  expect(second).toBeDefined();
  expect(second).not.toBe(approval);
  expect(other.stdout).not.toContain('another');
}, 120_000);

test('the cached credential is 0600 and the cluster\'s API server refuses it', async () => {
  const files = (await readdir(cacheDir())).filter((n) => n.endsWith('.json'));
  expect(files.length).toBeGreaterThan(0);
  expect((await stat(cacheDir())).mode & 0o777).toBe(0o700);
  const { fetch, close } = simFetch(world);
  try {
    for (const file of files) {
      expect((await stat(join(cacheDir(), file))).mode & 0o777).toBe(0o600);
      const { token } = JSON.parse(await readFile(join(cacheDir(), file), 'utf8')) as Cached;
      expect(token.startsWith('kgate-gw.')).toBe(true);
      const direct = await fetch(`${world.env.SIM_API_SERVER}/api/v1/namespaces`, { headers: { authorization: `Bearer ${token}` } });
      expect([401, 403]).toContain(direct.status);
    }
  } finally {
    await close();
  }
});

test('a revoked cached credential is replaced by the next kubectl, not served again', async () => {
  const operate = (await grants('state=active')).find((g) => g.template === 'operate');
  const before = (await cachedCredentials()).find((c) => c.grant === operate?.id);
  expect(before).toBeDefined();
  expect((await machine('POST', `/v1/gateway-credentials/${before!.id}/revoke`, {})).status).toBe(200);
  const outcomes: number[] = [];
  for (let i = 0; i < 2; i++) outcomes.push((await kc(['get', 'ns', 'staging', '-o', 'name'])).code ?? -1);
  expect(outcomes[1]).toBe(0);
  const after = (await cachedCredentials()).find((c) => c.grant === before!.grant);
  expect(after?.id).not.toBe(before!.id);
}, 120_000);

test('kgate logout removes the cached gateway credentials', async () => {
  expect((await cachedCredentials()).length).toBeGreaterThan(0);
  const r = await kgate(['logout']);
  expect(r.code).toBe(0);
  await expect(stat(cacheDir())).rejects.toThrow();
});
