import { createHash, generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { startIdp, type SimIdp } from '../../sim/idp/provider.js';
import { startGhaIssuer, type GhaIssuer } from '../../sim/idp/github-actions.js';
import { createSandbox, runKgate, type KgateRun, type Sandbox } from './kgate-cli.js';

let tls: SimTls;
let idp: SimIdp;
let gha: GhaIssuer;
let agent: Agent;
let box: Sandbox;

beforeAll(async () => {
  tls = await createSimTls();
  agent = new Agent({ connect: { ca: tls.ca.cert } });
  [idp, gha] = await Promise.all([startIdp({ tls }), startGhaIssuer({ tls })]);
});

afterAll(async () => {
  await Promise.all([idp?.close(), gha?.close(), agent?.close()]);
});

beforeEach(async () => {
  box = await createSandbox(tls.ca.cert);
});

afterEach(async () => {
  await box.remove();
});

const fingerprint = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/** Asserts the one-line error contract: exit code, code in the message line, no stack trace. */
function expectError(run: KgateRun, exit: number, code: string): void {
  expect(run.code).toBe(exit);
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('Error: '));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`(${code})`);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

async function ghaToken(issuer = gha, audience = 'kgate'): Promise<string> {
  const response = await undiciFetch(`${issuer.requestUrl}&audience=${audience}`, {
    headers: { authorization: `bearer ${issuer.requestToken}` }, dispatcher: agent,
  });
  return ((await response.json()) as { value: string }).value;
}

async function cachedTokens(): Promise<string[]> {
  const dir = join(box.stateDir, 'tokens');
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.map(async (f) => (JSON.parse(await readFile(join(dir, f), 'utf8')) as { accessToken: string }).accessToken));
}

function machineEnv(extra: Record<string, string | undefined> = {}) {
  return box.env({ KGATE_ISSUER: idp.issuer, KGATE_CLIENT_ID: 'ci-deployer', ...extra });
}

describe('client credentials', () => {
  test('a secret file is detected without a method flag; whoami shows the machine and never the token', async () => {
    const secretFile = join(box.dir, 'secret');
    await writeFile(secretFile, `${idp.machines['ci-deployer'].clientSecret}\n`, { mode: 0o600 });
    const before = idp.stats().grants.client_credentials ?? 0;
    const login = await runKgate(['login'], { env: machineEnv({ KGATE_CLIENT_SECRET_FILE: secretFile }) });
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('Logged in as ci-deployer, workload via client-credentials');
    expect(idp.stats().grants.client_credentials).toBe(before + 1);

    const whoami = await runKgate(['whoami', '--json'], { env: machineEnv() });
    expect(whoami.code).toBe(0);
    const { result } = JSON.parse(whoami.stdout) as { result: Record<string, unknown> };
    const [token] = await cachedTokens();
    expect(result).toMatchObject({ issuer: idp.issuer, subject: 'ci-deployer', type: 'workload', groups: ['ci'], tokenFingerprint: fingerprint(token!), storage: 'file' });
    expect(whoami.stdout + login.stdout).not.toContain(token!);
    expect(whoami.stdout).not.toContain(token!.split('.')[2]!);
    // The cached token was used: no second grant.
    expect(idp.stats().grants.client_credentials).toBe(before + 1);
    const mode = (await import('node:fs/promises')).stat(join(box.stateDir, 'tokens', (await readdir(join(box.stateDir, 'tokens')))[0]!));
    expect((await mode).mode & 0o777).toBe(0o600);
  });

  test('a secret on the command line works but warns; a wrong secret is one clear line', async () => {
    const ok = await runKgate(['login', '--client-credentials', '--client-secret', idp.machines['ci-deployer'].clientSecret], { env: machineEnv() });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^kgate: warning: --client-secret is visible in the process list/);
    const bad = await runKgate(['login', '--client-credentials'], { env: machineEnv({ KGATE_CLIENT_SECRET: 'not-the-secret' }) });
    expectError(bad, 1, 'KGATE_CLIENT_REJECTED');
  });
});

describe('workload tokens', () => {
  test('GitHub Actions is detected from its environment and asked for the kgate audience', async () => {
    const env = box.env({ ACTIONS_ID_TOKEN_REQUEST_URL: gha.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: gha.requestToken });
    const login = await runKgate(['login', '--json'], { env });
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout).result).toMatchObject({ issuer: gha.issuer, subject: 'repo:acme/deploy:ref:refs/heads/main', type: 'workload', method: 'github-actions' });
    const [token] = await cachedTokens();
    expect(JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString())).toMatchObject({ aud: 'kgate' });
    const whoami = await runKgate(['whoami'], { env });
    expect(whoami.stdout).toContain('Subject:  repo:acme/deploy:ref:refs/heads/main');
  });

  test('--token-file is re-read at every use, so a rotated token is picked up', async () => {
    const file = join(box.dir, 'token');
    const first = await ghaToken();
    await writeFile(file, first);
    const login = await runKgate(['login', '--token-file', file], { env: box.env() });
    expect(login.code).toBe(0);
    expect(await cachedTokens()).toEqual([undefined]);
    const before = JSON.parse((await runKgate(['whoami', '--json'], { env: box.env() })).stdout).result;
    expect(before.tokenFingerprint).toBe(fingerprint(first));
    const second = await ghaToken();
    expect(second).not.toBe(first);
    await writeFile(file, second);
    const after = JSON.parse((await runKgate(['whoami', '--json'], { env: box.env() })).stdout).result;
    expect(after.tokenFingerprint).toBe(fingerprint(second));
  });

  test('--token-env reads the variable at each use', async () => {
    const token = await ghaToken();
    const login = await runKgate(['login', '--token-env', 'PLATFORM_TOKEN'], { env: box.env({ PLATFORM_TOKEN: token }) });
    expect(login.code).toBe(0);
    const missing = await runKgate(['whoami'], { env: box.env() });
    expectError(missing, 2, 'KGATE_USAGE');
    expect(missing.stderr).toContain('PLATFORM_TOKEN is not set');
  });

  test('a token for another audience, an expired, a tampered or a malformed token: one line, exit 4, nothing cached', async () => {
    const file = join(box.dir, 'token');
    await writeFile(file, await ghaToken(gha, 'sts.amazonaws.com'));
    const other = await runKgate(['login', '--token-file', file], { env: box.env() });
    expectError(other, 4, 'KGATE_TOKEN_INVALID');
    expect(other.stderr).toContain('is for audience "sts.amazonaws.com", not "kgate"');

    const stale = await startGhaIssuer({ tls, tokenLifetimeSeconds: -600 });
    try {
      await writeFile(file, await ghaToken(stale));
    } finally {
      await stale.close();
    }
    const expired = await runKgate(['login', '--token-file', file], { env: box.env() });
    expectError(expired, 4, 'KGATE_TOKEN_INVALID');
    expect(expired.stderr).toMatch(/expired at \d{4}-/);

    const [header, payload, signature] = (await ghaToken()).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'repo:acme/deploy:environment:production' })).toString('base64url');
    await writeFile(file, `${header}.${forged}.${signature}`);
    const tampered = await runKgate(['login', '--token-file', file], { env: box.env() });
    expectError(tampered, 4, 'KGATE_TOKEN_INVALID');
    expect(tampered.stderr).toContain(`does not verify against ${gha.issuer}'s keys`);

    await writeFile(file, 'not-a-jwt');
    expectError(await runKgate(['login', '--token-file', file], { env: box.env() }), 4, 'KGATE_TOKEN_INVALID');
    expect(await cachedTokens()).toEqual([]);
  });

  test('clock skew: small differences are tolerated, large ones are reported', async () => {
    const file = join(box.dir, 'token');
    await writeFile(file, await ghaToken());
    expect((await runKgate(['login', '--token-file', file], { env: box.env() })).code).toBe(0);
    // whoami re-reads the file and checks time locally; these tokens are signed by a test key
    // because only their timestamps matter here (the signature is checked at login).
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    const mint = (iat: number, exp: number) => new SignJWT({ sub: gha.claims.sub }).setProtectedHeader({ alg: 'ES256' })
      .setIssuer(gha.issuer).setAudience('kgate').setIssuedAt(iat).setNotBefore(iat).setExpirationTime(exp).sign(privateKey);
    const whoamiWith = async (token: string) => {
      await writeFile(file, token);
      return runKgate(['whoami'], { env: box.env() });
    };
    expect((await whoamiWith(await mint(now + 90, now + 600))).code).toBe(0);
    expect((await whoamiWith(await mint(now - 600, now - 60))).code).toBe(0);
    const ahead = await whoamiWith(await mint(now + 900, now + 1500));
    expectError(ahead, 4, 'KGATE_TOKEN_INVALID');
    expect(ahead.stderr).toContain('Check this machine\'s clock');
    expectError(await whoamiWith(await mint(now - 900, now - 300)), 4, 'KGATE_TOKEN_INVALID');
  });
});

describe('bad issuers and caches', () => {
  test('an unreachable issuer, a wrong issuer and an untrusted certificate each give one line', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as { port: number }).port;
        server.close(() => resolve(p));
      });
    });
    const secret = idp.machines['ci-deployer'].clientSecret;
    const unreachable = await runKgate(['login', '--client-credentials'], { env: machineEnv({ KGATE_ISSUER: `https://127.0.0.1:${port}`, KGATE_CLIENT_SECRET: secret }) });
    expectError(unreachable, 6, 'KGATE_IDP_UNAVAILABLE');
    expect(unreachable.stderr).toContain(`Cannot reach the issuer https://127.0.0.1:${port} (ECONNREFUSED)`);

    const wrong = await runKgate(['login', '--client-credentials'], { env: machineEnv({ KGATE_ISSUER: `${idp.issuer}/tenant`, KGATE_CLIENT_SECRET: secret }) });
    expectError(wrong, 2, 'KGATE_ISSUER_INVALID');

    const untrusted = await runKgate(['login', '--client-credentials'], { env: machineEnv({ KGATE_CA_FILE: undefined, KGATE_CLIENT_SECRET: secret }) });
    expectError(untrusted, 6, 'KGATE_TLS');
    expect(untrusted.stderr).toContain('--ca-file');

    const plain = await runKgate(['login', '--client-credentials'], { env: machineEnv({ KGATE_ISSUER: 'http://127.0.0.1:1', KGATE_CLIENT_SECRET: secret }) });
    expectError(plain, 2, 'KGATE_USAGE');
  });

  test('a corrupted cache entry is reported once, removed, and a new login works', async () => {
    const env = machineEnv({ KGATE_CLIENT_SECRET: idp.machines['ci-deployer'].clientSecret });
    expect((await runKgate(['login'], { env })).code).toBe(0);
    const dir = join(box.stateDir, 'tokens');
    const [entry] = await readdir(dir);
    await writeFile(join(dir, entry!), '{"version":1,"method":"device","iss');
    const corrupt = await runKgate(['whoami'], { env: machineEnv() });
    expectError(corrupt, 4, 'KGATE_LOGIN_NEEDED');
    expect(corrupt.stderr).toContain('the cached login in the file store is not JSON; it was removed');
    const absent = await runKgate(['whoami'], { env: machineEnv() });
    expectError(absent, 4, 'KGATE_LOGIN_NEEDED');
    expect(absent.stderr).toContain('not logged in');
    expect((await runKgate(['login'], { env })).code).toBe(0);
    expect((await runKgate(['whoami'], { env: machineEnv() })).code).toBe(0);
  });

  test('a config file gives settings; a bad one is a precise usage error', async () => {
    const configDir = join(box.dir, 'config');
    await (await import('node:fs/promises')).mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.yaml'), `issuer: ${idp.issuer}\nclientId: ci-deployer\n`);
    const login = await runKgate(['login'], { env: box.env({ KGATE_CLIENT_SECRET: idp.machines['ci-deployer'].clientSecret }) });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`at ${idp.issuer}`);
    await writeFile(join(configDir, 'config.yaml'), 'issuer: [1, 2]\n');
    const bad = await runKgate(['whoami'], { env: box.env() });
    expectError(bad, 2, 'KGATE_USAGE');
    expect(bad.stderr).toContain('config.yaml: issuer must be a non-empty string');
  });
});
