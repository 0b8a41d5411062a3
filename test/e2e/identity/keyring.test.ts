import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { startIdp, type SimIdp } from '../../sim/idp/provider.js';
import { approveDevice } from '../../sim/idp/person.js';
import { createSandbox, runKgate, startKgate, type Sandbox } from './kgate-cli.js';
import { missingSecretServiceTools, startSecretService, type SecretService } from './secret-service.js';

const TTL_SECONDS = 8;
const missing = missingSecretServiceTools();
// CI must prove the keyring path; a developer machine without gnome-keyring may skip it.
const mustRun = Boolean(process.env.CI) || missing.length === 0;
if (!mustRun) console.warn(`keyring tests skipped: ${missing.join(', ')} not installed and CI is unset (.ci/run installs them)`);

let tls: SimTls;
let idp: SimIdp;
let box: Sandbox;

beforeAll(async () => {
  tls = await createSimTls();
  idp = await startIdp({ tls, accessTokenTtlSeconds: TTL_SECONDS });
});

afterAll(async () => {
  await idp?.close();
});

beforeEach(async () => {
  box = await createSandbox(tls.ca.cert);
});

afterEach(async () => {
  await box.remove();
});

async function files(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

(mustRun ? describe : describe.skip)('OS keyring through a real Secret Service (gnome-keyring on a private D-Bus)', () => {
  let secrets: SecretService;
  let home: string;

  beforeAll(async () => {
    if (missing.length) throw new Error(`CI is set but ${missing.join(', ')} is missing: install gnome-keyring, libsecret-tools and dbus-daemon`);
    home = await mkdtemp(join(tmpdir(), 'kgate-keyring-'));
    secrets = await startSecretService(home);
  });

  afterAll(async () => {
    await secrets?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const env = () => box.env({ KGATE_ISSUER: idp.issuer, KGATE_TOKEN_STORAGE: undefined, DBUS_SESSION_BUS_ADDRESS: secrets.busAddress });

  async function deviceLogin(): Promise<void> {
    const cli = startKgate(['login', '--device'], { env: env(), pty: true });
    const [, verificationUri, userCode] = await cli.waitFor(/open (https:\S+) and enter the code (\S+)/);
    await approveDevice({ verificationUri: verificationUri!, userCode: userCode!, username: 'alice', password: idp.people.alice.password, ca: tls.ca.cert });
    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kept in the keyring store');
    expect(run.stdout).not.toContain('warning');
  }

  test('tokens live in the keyring (split into parts), survive a refresh, and logout removes every item', async () => {
    await deviceLogin();
    const accounts = secrets.accounts('kgate');
    const main = accounts.filter((a) => /^id-[0-9a-f]{40}$/.test(a));
    expect(main).toHaveLength(1);
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    expect(await files(join(box.stateDir, 'tokens'))).toEqual([]);
    expect(await readFile(join(box.stateDir, 'identities.json'), 'utf8')).toContain('"storage": "keyring"');

    const first = JSON.parse((await runKgate(['whoami', '--json'], { env: env() })).stdout).result;
    expect(first).toMatchObject({ subject: idp.people.alice.sub, storage: 'keyring', groups: ['sre'] });
    const refreshes = idp.stats().grants.refresh_token ?? 0;
    await new Promise((r) => setTimeout(r, (TTL_SECONDS - 1.5) * 1000));
    const second = JSON.parse((await runKgate(['whoami', '--json'], { env: env() })).stdout).result;
    expect(idp.stats().grants.refresh_token).toBe(refreshes + 1);
    expect(second.tokenFingerprint).not.toBe(first.tokenFingerprint);
    // The rewrite replaced the parts rather than adding to them.
    expect(secrets.accounts('kgate')).toHaveLength(accounts.length);

    const logout = await runKgate(['logout', '--json'], { env: env() });
    expect(JSON.parse(logout.stdout).result).toMatchObject({ loggedOut: true, revocation: 'revoked' });
    expect(secrets.accounts('kgate')).toEqual([]);
  });

  test('a damaged keyring entry is reported once, removed, and treated as absent', async () => {
    await deviceLogin();
    const part = secrets.accounts('kgate').find((a) => /\.\d+$/.test(a))!;
    expect(secrets.secretTool(['store', '--label=tampered', 'service', 'kgate', 'username', part], 'garbage').status).toBe(0);
    const run = await runKgate(['whoami'], { env: env() });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('the cached login in the keyring store has parts that do not match its digest; it was removed (KGATE_LOGIN_NEEDED)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(secrets.accounts('kgate').filter((a) => !/\.\d+$/.test(a))).toEqual([]);
  });
});

describe('without a reachable keyring', () => {
  const noBus = () => box.env({
    KGATE_ISSUER: idp.issuer, KGATE_CLIENT_ID: 'mcp-agent', KGATE_CLIENT_SECRET: idp.machines['mcp-agent'].clientSecret,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(box.dir, 'no-bus')}`,
  });

  test('--token-storage keyring fails with one line and stores nothing', async () => {
    const run = await runKgate(['login', '--token-storage', 'keyring'], { env: noBus() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: Cannot use the token store: the OS keyring refused access: .* \(KGATE_TOKEN_STORE\)\n/);
    expect(run.stderr).toContain('--token-storage file');
    expect(await files(box.stateDir)).toEqual([]);
  });

  test('the default falls back to a 0600 file with a one-line warning', async () => {
    const run = await runKgate(['login'], { env: { ...noBus(), KGATE_TOKEN_STORAGE: undefined } });
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^kgate: warning: the OS keyring refused access: .*; keeping tokens in a 0600 file under /);
    expect(await files(join(box.stateDir, 'tokens'))).toHaveLength(1);
    const whoami = await runKgate(['whoami', '--json'], { env: noBus() });
    expect(JSON.parse(whoami.stdout).result).toMatchObject({ subject: 'mcp-agent', storage: 'file', groups: ['agents'] });
  });
});
