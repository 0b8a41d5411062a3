/**
 * `kgate session` in a real terminal: the built CLI runs in a tmux pane (its own tmux server on a
 * private socket) and the test types into it with send-keys and reads the screen with
 * capture-pane, as a person would. The `ci-deployer` machine logs in with client credentials
 * from the sim's env; the sample policy gives it `operate` at once and `deploy` only after an SRE
 * lead (carol) approves. Checked on the screen, on the real kubectl's output in the session's
 * shell, and on the grants and audit trail the policy service holds.
 */
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GrantView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectlBinary } from '../../support/kubectl.js';
import { KGATE_BIN, runKgate, simCliEnv } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, until } from '../policy/support.js';

const run = promisify(execFile);
const SOCKET = `kgate-session-test-${process.pid}`;
const SECRETS = ['staging-S3cr3t-pa55word', 'app-staging', 'prod-S3cr3t-pa55word'];

let world: SimWorld;
let server: SimPolicyServer;
let sandbox: string;
let kubectlPath: string;
let carol: ReturnType<typeof apiAs>;
let owner: ReturnType<typeof apiAs>;
let paneCount = 0;

function env(): Record<string, string> {
  const all = simCliEnv(sandbox, { ...world.env, ...server.env }, { TERM: 'xterm-256color', SHELL: '/bin/bash' });
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

const tmux = async (...args: string[]): Promise<string> => (await run('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { env: env() })).stdout;

/** One terminal: a bash without rc files in a 160×40 tmux pane, prompt `outer$ `. */
async function terminal() {
  const name = `t${++paneCount}`;
  const script = join(sandbox, `${name}.sh`);
  await writeFile(script, `export PS1='outer$ '\nexec /bin/bash --norc --noprofile -i\n`);
  await tmux('new-session', '-d', '-x', '160', '-y', '40', '-s', name, `/bin/bash ${script}`);
  const screen = () => tmux('capture-pane', '-p', '-t', name);
  const history = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name);
  const self = {
    keys: (...keys: string[]) => tmux('send-keys', '-t', name, ...keys),
    type: (text: string) => tmux('send-keys', '-t', name, '-l', text),
    line: async (text: string) => { await self.type(text); await self.keys('Enter'); },
    screen,
    history,
    /** The first match of `pattern` in the pane's whole history, once it shows. */
    async waitFor(pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
      let match: RegExpMatchArray | null = null;
      await until(async () => (match = (await history()).match(pattern)) !== null, ms, `${pattern} on the screen`).catch(async (error: Error) => {
        throw new Error(`${error.message}; the screen shows:\n${await screen()}`);
      });
      return match!;
    },
  };
  await self.waitFor(/outer\$ /);
  return self;
}

const kgateSession = (flags = '') => `${process.execPath} ${KGATE_BIN} session ${flags}`.trim();
const grant = async (id: string) => (await owner<GrantView>('GET', `/v1/grants/${id}`)).body;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  sandbox = await mkdtemp(join(tmpdir(), 'kgate-session-'));
  kubectlPath = (await kubectlBinary()).path;
  carol = apiAs(world, server.url, await personToken(world, 'carol'));
  owner = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
}, 60_000);

afterEach(async () => {
  await tmux('kill-server').catch(() => undefined);
});

afterAll(async () => {
  await server?.close();
  await world?.close();
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

test('pick operate and give a reason in the interface, then kubectl in the marked shell, secrets masked, and exit releases the grant', async () => {
  const t = await terminal();
  await t.line(kgateSession());
  await t.waitFor(/❯ read-only — view in all namespaces, 1h \(no approval\)/);
  expect(await t.screen()).toContain('deploy — edit in apps, 1h (approval by sre-leads)');
  await t.keys('Down');
  await t.waitFor(/❯ operate — edit in all namespaces/);
  await t.keys('Enter');
  await t.waitFor(/Reason for operate on kgate-sim \(optional, Enter to skip\)/);
  await t.type('checking the staging rollout');
  await t.keys('Enter');
  await t.waitFor(/✔ Grant \S+ is active: ClusterRole edit in all namespaces of kgate-sim/);
  await t.waitFor(/\(kgate:kgate-sim\/operate (1h00m|59m)\) /);

  await t.line('echo "session=$KGATE_SESSION"');
  const [, id] = await t.waitFor(/session=([a-z0-9]+)/);
  expect(await grant(id!)).toMatchObject({ state: 'active', template: 'operate', reason: 'checking the staging rollout', principal: { subject: 'ci-deployer' } });

  await t.line(`${kubectlPath} get pods -n staging; echo "pods-exit=$?"`);
  await t.waitFor(/pods-exit=0/);
  expect(await t.history()).toMatch(/^web\s+1\/1\s+Running/m);
  await t.line(`${kubectlPath} get secrets -n staging -o yaml; echo "secrets-exit=$?"`);
  await t.waitFor(/secrets-exit=0/);
  const shown = await t.history();
  expect(shown).toContain('name: db-credentials');
  expect(SECRETS.flatMap((s) => [s, Buffer.from(s).toString('base64')]).filter((s) => shown.includes(s))).toEqual([]);

  await t.line('exit');
  await t.waitFor(new RegExp(`kgate: session on kgate-sim/operate ended after \\S+; grant ${id} released; audit trail shipped\\.`));
  await t.line('echo "kgate-exit=$?"');
  await t.waitFor(/kgate-exit=0/);
  expect(await grant(id!)).toMatchObject({ state: 'revoked' });
  const audit = await carol<{ items: { objectRef?: { resource?: string; namespace?: string } }[] }>('GET', `/v1/audit/events?grant=${id}&resource=pods&namespace=staging`);
  expect(audit.body.items.length).toBeGreaterThan(0);
}, 90_000);

test('a grant that needs approval shows the wait live and proceeds when carol approves', async () => {
  const t = await terminal();
  await t.line(kgateSession('--grant deploy'));
  await t.waitFor(/Reason for deploy on kgate-sim \(optional, Enter to skip\)/);
  await t.line('release 1.4');
  const [, approval, id] = await t.waitFor(/Waiting for approval (\S+) of grant (\S+) \(/);
  await t.waitFor(new RegExp(`Approvers run: kgate approve ${approval}`));
  expect(await t.screen()).toContain('needs 1 approval from sre-leads');
  expect(await grant(id!)).toMatchObject({ state: 'pending', reason: 'release 1.4' });

  expect((await carol('POST', `/v1/approvals/${approval}/approve`, { reason: 'go ahead' })).status).toBe(200);
  await t.waitFor(/\(kgate:kgate-sim\/deploy (1h00m|59m)\) /);
  await t.line(`echo "apps=$(${kubectlPath} auth can-i create deployments -n apps) staging=$(${kubectlPath} auth can-i create deployments -n staging)"`);
  await t.waitFor(/apps=yes staging=no/);
  await t.line('exit 3');
  await t.waitFor(new RegExp(`grant ${id} released`));
  await t.line('echo "kgate-exit=$?"');
  await t.waitFor(/kgate-exit=3/);
  expect(await grant(id!)).toMatchObject({ state: 'revoked' });
}, 90_000);

test('Esc while waiting for approval withdraws the request', async () => {
  const t = await terminal();
  await t.line(kgateSession('--cluster kgate-sim --grant deploy --reason "not needed after all"'));
  const [, , id] = await t.waitFor(/Waiting for approval (\S+) of grant (\S+) \(/);
  await t.keys('Escape');
  await t.waitFor(/Error: Session cancelled; no grant is held for it/);
  await t.line('echo "kgate-exit=$?"');
  await t.waitFor(/kgate-exit=1/);
  expect(await grant(id!)).toMatchObject({ state: 'revoked' });
}, 60_000);

test('a grant ending soon is announced in the shell before it ends', async () => {
  const t = await terminal();
  await t.line(kgateSession('--grant operate --reason "short one" --ttl 65s'));
  const [, id] = await t.waitFor(/✔ Grant (\S+) is active/);
  await t.waitFor(/\(kgate:kgate-sim\/operate (1m|<1m)\) /);
  await t.waitFor(new RegExp(`kgate: grant ${id} ends in 1m 00s`), 20_000);
  await t.line('exit');
  await t.waitFor(new RegExp(`grant ${id} released`));
}, 60_000);

test('where policy allows, the session moves onto a fresh grant before its grant ends and keeps working after it expired', async () => {
  const t = await terminal();
  await t.line(kgateSession('--grant operate --reason "long look" --ttl 40s'));
  const [, first] = await t.waitFor(/✔ Grant (\S+) is active/);
  // Extensions are asked for a quarter of a short grant's lifetime before it ends: here after ~30 s.
  const [, next] = await t.waitFor(/kgate: session extended onto grant (\S+), \d+s left/, 45_000);
  expect(next).not.toBe(first);
  expect(await grant(next!)).toMatchObject({ state: 'active', template: 'operate', reason: 'long look' });
  await until(async () => (await grant(first!)).state === 'expired', 30_000, 'the first grant to expire');
  await t.line(`${kubectlPath} get pods -n staging -o name; echo "after-expiry=$?"`);
  await t.waitFor(/after-expiry=0/, 20_000);
  expect(await t.history()).toContain('pod/web');
  await t.line('exit');
  await t.waitFor(new RegExp(`grant ${first} \\(and 1 extension grant\\) `));
  expect(await grant(next!)).toMatchObject({ state: 'revoked' });
  const audit = await carol<{ items: unknown[] }>('GET', `/v1/audit/events?grant=${next}&resource=pods&namespace=staging`);
  expect(audit.body.items.length).toBeGreaterThan(0);
}, 120_000);

test('without a terminal it refuses with exit 2 and points to kgate exec', async () => {
  const r = await runKgate(['session', '--grant', 'operate'], { env: env(), input: '' });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('kgate session needs a terminal; use kgate exec -- COMMAND in scripts');
  expect((await owner<{ items: GrantView[] }>('GET', '/v1/grants?state=active&mine=true')).body.items).toEqual([]);
});
