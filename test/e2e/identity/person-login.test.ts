import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { startIdp, type SimIdp } from '../../sim/idp/provider.js';
import { approveDevice, authorize } from '../../sim/idp/person.js';
import { createSandbox, runKgate, startKgate, type Sandbox } from './kgate-cli.js';

const TTL_SECONDS = 8;
let tls: SimTls;
let idp: SimIdp;
let agent: Agent;
let box: Sandbox;

beforeAll(async () => {
  tls = await createSimTls();
  agent = new Agent({ connect: { ca: tls.ca.cert } });
  idp = await startIdp({ tls, accessTokenTtlSeconds: TTL_SECONDS });
});

afterAll(async () => {
  await Promise.all([idp?.close(), agent?.close()]);
});

beforeEach(async () => {
  box = await createSandbox(tls.ca.cert);
});

afterEach(async () => {
  await box.remove();
});

const env = (extra: Record<string, string | undefined> = {}) => box.env({ KGATE_ISSUER: idp.issuer, ...extra });

/** A $BROWSER that records the URL it was asked to open instead of opening anything. */
async function recordingBrowser(): Promise<{ command: string; opened: () => Promise<string> }> {
  const log = join(box.dir, 'opened');
  const command = join(box.dir, 'browser.sh');
  await writeFile(command, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`);
  await chmod(command, 0o755);
  return { command, opened: () => readFile(log, 'utf8').catch(() => '') };
}

async function cachedRecord(): Promise<{ accessToken: string; refreshToken: string }> {
  const dir = join(box.stateDir, 'tokens');
  const [file] = await readdir(dir);
  return JSON.parse(await readFile(join(dir, file!), 'utf8'));
}

async function deviceLogin(person: 'alice' | 'bob' | 'carol', args: string[] = [], extra: Record<string, string | undefined> = {}) {
  const cli = startKgate(['login', '--device', ...args], { env: env(extra), pty: true });
  const [, verificationUri, userCode] = await cli.waitFor(/open (https:\S+) and enter the code (\S+)/);
  await approveDevice({ verificationUri: verificationUri!, userCode: userCode!, username: person, password: idp.people[person].password, ca: tls.ca.cert });
  return cli.done;
}

async function cliConfig(): Promise<client.Configuration> {
  const fetch = ((url: string, options: object) => undiciFetch(url, { ...options, dispatcher: agent })) as unknown as client.CustomFetch;
  return client.discovery(new URL(idp.issuer), idp.cliClientId, undefined, client.None(), { [client.customFetch]: fetch });
}

describe('people', () => {
  test('device code: URL and code on the terminal, completed by the person at the IdP; --open uses $BROWSER', async () => {
    const browser = await recordingBrowser();
    const before = idp.stats();
    const run = await deviceLogin('bob', ['--open'], { BROWSER: browser.command });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Logged in as Bob Brown (${idp.people.bob.sub}), human via device, at ${idp.issuer}`);
    expect(run.stdout).toContain('Groups: dev');
    expect(await browser.opened()).toMatch(new RegExp(`^${idp.issuer}/device\\?user_code=`));
    const after = idp.stats();
    expect(after.deviceAuthorizations).toBe(before.deviceAuthorizations + 1);
    const whoami = JSON.parse((await runKgate(['whoami', '--json'], { env: env() })).stdout).result;
    expect(whoami).toMatchObject({ subject: idp.people.bob.sub, type: 'human', name: 'Bob Brown', groups: ['dev'], method: 'device' });
  });

  test('browser: auth code + PKCE on a loopback port; a forged callback is ignored; the redirect completes the login', async () => {
    const browser = await recordingBrowser();
    const cli = startKgate(['login'], { env: env({ BROWSER: browser.command }), pty: true });
    const [, printed] = await cli.waitFor(/in your browser: (https:\S+)/);
    const url = new URL(printed!);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toEqual(expect.any(String));
    const redirectUri = new URL(url.searchParams.get('redirect_uri')!);
    expect(redirectUri.hostname).toBe('127.0.0.1');
    for (let i = 0; i < 50 && !(await browser.opened()); i += 1) await new Promise((r) => setTimeout(r, 100));
    expect((await browser.opened()).trim()).toBe(printed);

    const forged = await undiciFetch(`${redirectUri.href}?code=stolen&state=guess`);
    expect(forged.status).toBe(400);
    const redirect = await authorize({ authorizationUrl: printed!, username: 'alice', password: idp.people.alice.password, ca: tls.ca.cert });
    const landing = await undiciFetch(redirect);
    expect(await landing.text()).toContain('Signed in to kgate');
    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Logged in as Alice Adams (${idp.people.alice.sub}), human via browser`);
    expect((await cachedRecord()).refreshToken).toEqual(expect.any(String));
  });

  test('browser sign-in that never completes times out with exit 4', async () => {
    const run = await runKgate(['login', '--browser', '--no-open', '--timeout', '1'], { env: env(), pty: true });
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('Sign-in was not completed within 1 s (KGATE_LOGIN_TIMEOUT)');
  });

  test('refresh rotates the refresh token once the access token nears expiry; logout revokes it at the IdP', async () => {
    expect((await deviceLogin('carol')).code).toBe(0);
    const first = await cachedRecord();
    const refreshes = idp.stats().grants.refresh_token ?? 0;
    expect((await runKgate(['whoami'], { env: env() })).code).toBe(0);
    expect(idp.stats().grants.refresh_token ?? 0).toBe(refreshes);

    await new Promise((r) => setTimeout(r, (TTL_SECONDS - 1.5) * 1000));
    const whoami = await runKgate(['whoami', '--json'], { env: env() });
    expect(whoami.code).toBe(0);
    expect(idp.stats().grants.refresh_token).toBe(refreshes + 1);
    const second = await cachedRecord();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(JSON.parse(whoami.stdout).result).toMatchObject({ subject: idp.people.carol.sub, groups: ['sre-leads'] });

    const logout = await runKgate(['logout', '--json'], { env: env() });
    expect(JSON.parse(logout.stdout).result).toMatchObject({ loggedOut: true, revocation: 'revoked', subject: idp.people.carol.sub });
    const config = await cliConfig();
    await expect(client.refreshTokenGrant(config, second.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await readdir(join(box.stateDir, 'tokens'))).toEqual([]);
    const again = await runKgate(['logout'], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Not logged in; nothing to do.');
    expect((await runKgate(['whoami'], { env: env() })).code).toBe(4);
  });

  test('a session ended at the IdP turns into "login needed" at the next refresh', async () => {
    expect((await deviceLogin('alice')).code).toBe(0);
    await client.tokenRevocation(await cliConfig(), (await cachedRecord()).refreshToken, { token_type_hint: 'refresh_token' });
    await new Promise((r) => setTimeout(r, (TTL_SECONDS - 1.5) * 1000));
    const run = await runKgate(['whoami'], { env: env() });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`Login needed: your session at ${idp.issuer} has ended (the refresh token was rejected) (KGATE_LOGIN_NEEDED)`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const refreshErrors = idp.stats().grantErrors.refresh_token;
    const again = await runKgate(['whoami'], { env: env() });
    expect(again.stderr).toContain('Login needed: not logged in');
    expect(idp.stats().grantErrors.refresh_token).toBe(refreshErrors);
  });
});

describe('nobody at the keyboard', () => {
  test('without a terminal, login fails at once with exit 4 and the exact command; no browser is opened', async () => {
    const browser = await recordingBrowser();
    const devicesBefore = idp.stats().deviceAuthorizations;
    const started = Date.now();
    const run = await runKgate(['login'], { env: env({ BROWSER: browser.command }) });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Login needed: this session is not interactive');
    expect(run.stderr).toContain(`Run in a terminal: kgate login --issuer ${idp.issuer}\n`);
    const device = await runKgate(['login', '--device', '--open'], { env: env({ BROWSER: browser.command }) });
    expect(device.code).toBe(4);
    expect(device.stderr).toContain(`Run in a terminal: kgate login --issuer ${idp.issuer} --device\n`);
    expect(await browser.opened()).toBe('');
    expect(idp.stats().deviceAuthorizations).toBe(devicesBefore);
  });

  test('a terminal does not count when CI is set or KUBERNETES_EXEC_INFO says interactive: false', async () => {
    const execInfo = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
    const before = idp.stats().deviceAuthorizations;
    for (const extra of [{ CI: 'true' }, { KUBERNETES_EXEC_INFO: execInfo }]) {
      const run = await runKgate(['login', '--device'], { env: env(extra), pty: true });
      expect(run.code).toBe(4);
      expect(run.stdout).toContain('(KGATE_LOGIN_NEEDED)');
    }
    expect(idp.stats().deviceAuthorizations).toBe(before);
  });
});
