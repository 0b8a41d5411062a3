/**
 * The per-user broker daemon behind kubectl contexts, as an engineer's kubectl uses it: contexts
 * written by `kgate kubeconfig add` name the daemon's remembered port and run bin/credential.js
 * as the exec plugin.
 * The first kubectl starts the daemon, which logs in (client credentials, no prompt) and gets a
 * grant; later ones reuse both. Checked: twenty kubectl processes at once make one daemon, one
 * login and one grant; stale control files and a killed daemon recover; a template that needs
 * approval makes a non-interactive kubectl fail fast with the approval id and works once carol
 * approves; stopping the daemon releases its grant; a restart ships what the spool still holds.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAuditEvent } from '../../../src/audit/event.js';
import { openSpool } from '../../../src/audit/spool.js';
import { brokerLayout } from '../../../src/broker/daemon/layout.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary, type KubectlResult } from '../../support/kubectl.js';
import { runKgate, simCliEnv } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, until } from '../policy/support.js';

const SECRET = 'prod-S3cr3t-pa55word';

let world: SimWorld;
let server: SimPolicyServer;
let sandbox: string;
let stateDir: string;
let kubeconfig: string;
let kubectlPath: string;
let carol: ReturnType<typeof apiAs>;
let machine: ReturnType<typeof apiAs>;
let loginsBefore: number;

function env(): Record<string, string | undefined> {
  return simCliEnv(sandbox, { ...world.env, ...server.env }, { KGATE_BROKER_IDLE: '5m' });
}

/** A kubeconfig with one context per template, written by `kgate kubeconfig add` itself. */
async function writeKubeconfig(): Promise<string> {
  const file = join(sandbox, 'kubeconfig');
  for (const [grant, extra] of [['operate', []], ['deploy', ['--namespace', 'apps']]] as const) {
    const added = await kgate(['kubeconfig', 'add', '--kubeconfig', file, '--cluster', server.env.KGATE_BROKER_CLUSTER, '--grant', grant, '--context', grant, ...extra]);
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
  }
  return file;
}

let cacheDirs = 0;
async function kc(args: string[], context = 'operate'): Promise<KubectlResult> {
  const cache = join(sandbox, `cache-${cacheDirs++}`);
  return kubectl(['--context', context, ...args], { kubeconfig, binary: kubectlPath, env: { ...env(), KUBECACHEDIR: cache } as NodeJS.ProcessEnv, timeoutMs: 60_000 });
}

const kgate = (args: string[]) => runKgate(args, { env: env(), timeoutMs: 60_000 });
const grantsOf = async (state: string) => ((await machine('GET', `/v1/grants?mine=true&state=${state}`)).body as { items: { id: string; template: string; principal: { name: string } }[] }).items;
const daemonPid = async () => Number((await readFile(brokerLayout(stateDir).pidFile, 'utf8')).trim());
const daemonStarts = async () => ((await readFile(brokerLayout(stateDir).log, 'utf8')).match(/ serving https:/g) ?? []).length;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  sandbox = await mkdtemp(join(tmpdir(), 'kgate-daemon-'));
  stateDir = join(sandbox, 'state');
  kubectlPath = (await kubectlBinary()).path;
  carol = apiAs(world, server.url, await personToken(world, 'carol'));
  machine = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
  loginsBefore = world.idp.stats().grants.client_credentials ?? 0;
  kubeconfig = await writeKubeconfig();
}, 60_000);

afterAll(async () => {
  await kgate(['broker', 'stop']).catch(() => undefined);
  await server?.close();
  await world?.close();
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

test('twenty kubectl processes started at once make one broker, one login and one grant', async () => {
  // kubeconfig add logged in to ask how the cluster is reached; the daemon reuses that login.
  const logins = loginsBefore;
  const runs = await Promise.all(Array.from({ length: 20 }, () => kc(['get', 'pods', '-n', 'staging', '-o', 'name'])));
  for (const run of runs) expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: 'pod/web\n', stderr: '' });
  expect(await daemonStarts()).toBe(1);
  expect((world.idp.stats().grants.client_credentials ?? 0) - logins).toBe(1);
  expect((await grantsOf('active')).filter((g) => g.template === 'operate')).toHaveLength(1);
}, 120_000);

test('later invocations reuse the grant, masking and guardrails apply', async () => {
  const [grant] = (await grantsOf('active')).filter((g) => g.template === 'operate');
  const secrets = await kc(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'yaml']);
  expect(secrets.code).toBe(0);
  expect(secrets.stdout).not.toContain(Buffer.from(SECRET).toString('base64'));
  expect(secrets.stderr).toMatch(/Warning: kgate masked 2 secret values/);
  const refused = await kc(['delete', 'namespace', 'staging']);
  expect(refused.stderr).toContain('no-namespace-deletion');
  for (let i = 0; i < 3; i++) expect((await kc(['get', 'ns', 'prod', '-o', 'name'])).stdout).toBe('namespace/prod\n');
  expect((await grantsOf('active')).filter((g) => g.template === 'operate').map((g) => g.id)).toEqual([grant!.id]);
  const status = await kgate(['broker', 'status']);
  expect(status.stdout).toContain(`Session: operate on ${server.env.KGATE_BROKER_CLUSTER}, grant ${grant!.id}, active`);
  const overall = await kgate(['status']);
  expect(overall.code).toBe(0);
  expect(overall.stdout).toMatch(/^Login: ci-deployer, workload via client-credentials/m);
  expect(overall.stdout).toMatch(/^Broker: running, pid \d+, serving https:\/\/127\.0\.0\.1:\d+/m);
  expect(overall.stdout).toMatch(new RegExp(`^Grant ${grant!.id}: operate on ${server.env.KGATE_BROKER_CLUSTER} \\[\\*\\], active, (\\d+m \\d+s|\\d+h \\d+m) left$`, 'm'));
});

test('a template that needs approval fails fast without a person, then works once carol approves', async () => {
  const held = await kc(['get', 'pods'], 'deploy');
  expect(held.code).not.toBe(0);
  const approval = /kgate approve (\S+)/.exec(held.stderr)?.[1];
  expect(approval).toBeDefined();
  expect(held.stderr).toContain('waits for approval');
  expect((await carol('POST', `/v1/approvals/${approval}/approve`, {})).status).toBe(200);
  const after = await kc(['auth', 'can-i', 'create', 'deployments'], 'deploy');
  expect(after.stdout.trim()).toBe('yes');
}, 60_000);

test('stopping the broker releases the grants it requested', async () => {
  const before = (await grantsOf('active')).map((g) => g.id);
  expect(before.length).toBeGreaterThanOrEqual(2);
  const stop = await kgate(['broker', 'stop']);
  expect(stop.stdout).toContain('Broker stopped.');
  await until(async () => (await grantsOf('active')).length === 0, 10_000, 'grants released');
  const revoked = (await grantsOf('revoked')).map((g) => g.id);
  for (const id of before) expect(revoked).toContain(id);
});

test('a stale socket and pid file are replaced, and a killed broker is restarted by the next kubectl', async () => {
  await kgate(['broker', 'stop']);
  const layout = brokerLayout(stateDir);
  await mkdir(layout.dir, { recursive: true });
  await rm(layout.socket, { force: true });
  await writeFile(layout.socket, 'not a socket');
  await writeFile(layout.pidFile, '999999\n');
  expect((await kc(['get', 'ns', 'staging', '-o', 'name'])).stdout).toBe('namespace/staging\n');
  const pid = await daemonPid();
  expect(pid).not.toBe(999999);
  process.kill(pid, 'SIGKILL');
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 5000, 'the broker to die');
  const again = await kc(['get', 'ns', 'staging', '-o', 'name']);
  expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'namespace/staging\n' });
  expect(await daemonPid()).not.toBe(pid);
}, 60_000);

test('a restarted broker ships what the spool still holds', async () => {
  await kgate(['broker', 'stop']);
  const spool = openSpool(join(stateDir, 'audit', 'spool.db'), { maxBytes: 1 << 20, maxEvents: 100 });
  const auditID = `left-behind-${Date.now()}`;
  await spool.append(buildAuditEvent({
    auditID, stage: 'ResponseComplete', requestURI: '/api/v1/namespaces', verb: 'list', user: { username: 'ci-deployer' },
    requestReceivedAt: Date.now(), stageAt: Date.now(),
    // The service takes events only of the caller's own grants on broker-mode clusters.
    kgate: { principal: `${world.idp.issuer}#ci-deployer`, principalType: 'workload', issuer: world.idp.issuer, decision: 'allow', grant: (await grantsOf('revoked'))[0]!.id, cluster: server.env.KGATE_BROKER_CLUSTER },
  }));
  await spool.close();
  expect((await kgate(['broker', 'start'])).stdout).toContain('Broker started');
  await until(async () => {
    const page = await carol('GET', '/v1/audit/events?verb=list&limit=1000');
    return (page.body as { items: { auditID: string }[] }).items.some((e) => e.auditID === auditID);
  }, 15_000, 'the left-behind event at the service');
});
