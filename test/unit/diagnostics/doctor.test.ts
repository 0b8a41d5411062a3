import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDirectory, checkNode, runDoctor, type DoctorDeps } from '../../../src/diagnostics/doctor.js';

describe('checkNode', () => {
  it.each([
    ['v22.13.0', 'ok'],
    ['v22.12.9', 'fail'],
    ['v20.20.2', 'fail'],
    ['v23.0.0', 'ok'],
    ['v24.21.0', 'ok'],
  ])('%s is %s', (nodeVersion, status) => {
    expect(checkNode({ nodeVersion }).status).toBe(status);
  });
});

describe('runDoctor', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kgate-doctor-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  const deps = (over: Partial<DoctorDeps>): DoctorDeps => ({
    env: {},
    nodeVersion: 'v24.0.0',
    paths: { config: join(dir, 'config'), state: join(dir, 'state'), cache: join(dir, 'cache') },
    run: async () => JSON.stringify({ clientVersion: { gitVersion: 'v1.32.4' } }),
    probeKeyring: async () => undefined,
    policyEndpoint: async () => undefined,
    get: async () => 200,
    ...over,
  });

  it('reports each fact with a fix when it is not ok', async () => {
    const results = await runDoctor(deps({
      run: async () => { throw new Error('ENOENT'); },
      probeKeyring: async () => { throw new Error('no Secret Service'); },
    }));
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName.kubectl).toMatchObject({ status: 'warn' });
    expect(byName.kubectl?.fix).toContain('KGATE_KUBECTL');
    expect(byName.keyring).toMatchObject({ status: 'warn' });
    expect(byName.keyring?.detail).toContain('no Secret Service');
    expect(byName['policy service']).toMatchObject({ status: 'warn' });
  });

  it('reports the kubectl version and a reachable keyring', async () => {
    const results = await runDoctor(deps({}));
    expect(results.find((r) => r.name === 'kubectl')).toMatchObject({ status: 'ok', detail: 'kubectl v1.32.4' });
    expect(results.find((r) => r.name === 'keyring')?.status).toBe('ok');
  });

  const policyCheck = async (over: Partial<DoctorDeps>) => (await runDoctor(deps({ policyEndpoint: async () => ({ server: 'https://kgate.example/' }), ...over }))).find((r) => r.name === 'policy service');
  const fetchFailed = (cause: Error & { code?: string }) => Object.assign(new TypeError('fetch failed'), { cause });

  it('fails the policy service check when it does not answer, naming why', async () => {
    const refused = await policyCheck({ get: async () => { throw fetchFailed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })); } });
    expect(refused).toMatchObject({ status: 'fail', detail: 'https://kgate.example unreachable: connection refused (ECONNREFUSED)' });
    const unknownHost = await policyCheck({ get: async () => { throw fetchFailed(Object.assign(new Error('getaddrinfo ENOTFOUND kgate.example'), { code: 'ENOTFOUND' })); } });
    expect(unknownHost?.detail).toBe('https://kgate.example unreachable: host name not found (ENOTFOUND)');
  });

  it('names a certificate the policy service check does not trust, and says which CA to set', async () => {
    const untrusted = fetchFailed(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }));
    const withoutCa = await policyCheck({ get: async () => { throw untrusted; } });
    expect(withoutCa).toMatchObject({ status: 'fail', detail: 'https://kgate.example: TLS certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN)' });
    expect(withoutCa?.fix).toContain('KGATE_SERVER_CA_FILE');
    const withCa = await policyCheck({ policyEndpoint: async () => ({ server: 'https://kgate.example', ca: 'PEM' }), get: async () => { throw untrusted; } });
    expect(withCa?.fix).toContain('does not vouch for this certificate');
  });

  it('hands the health check the CA the policy client would trust', async () => {
    const asked: [string, string | undefined][] = [];
    const check = await policyCheck({ policyEndpoint: async () => ({ server: 'https://kgate.example/base/', ca: 'PEM' }), get: async (url, ca) => { asked.push([url, ca]); return 200; } });
    expect(asked).toEqual([['https://kgate.example/base/healthz', 'PEM']]);
    expect(check?.status).toBe('ok');
  });

  it('fails the policy service check when its settings cannot be used', async () => {
    const { usageError } = await import('../../../src/cli/errors.js');
    const check = await policyCheck({ policyEndpoint: async () => { throw usageError('Cannot read the CA file /nope (ENOENT)'); } });
    expect(check).toMatchObject({ status: 'fail', detail: 'Cannot read the CA file /nope (ENOENT)' });
  });

  it('fails a plain http policy service on another machine without sending anything there', async () => {
    const { policyEndpoint } = await import('../../../src/policy/client-context.js');
    const fetched: string[] = [];
    const get = async (url: string) => {
      fetched.push(url);
      return 200;
    };
    const check = async (env: NodeJS.ProcessEnv) => (await runDoctor(deps({ env, policyEndpoint: () => policyEndpoint({}, env), get }))).find((r) => r.name === 'policy service');
    const refused = await check({ KGATE_SERVER: 'http://10.0.0.1:8080', KGATE_CONFIG_DIR: dir });
    expect(refused).toMatchObject({ status: 'fail', detail: expect.stringContaining('Refusing plain http to the policy service at 10.0.0.1:8080'), fix: expect.stringContaining('KGATE_INSECURE_HTTP_SERVER=1') });
    expect(fetched).toEqual([]);
    const allowed = await check({ KGATE_SERVER: 'http://10.0.0.1:8080', KGATE_INSECURE_HTTP_SERVER: '1', KGATE_CONFIG_DIR: dir });
    expect(allowed).toMatchObject({ status: 'ok' });
    expect(fetched).toEqual(['http://10.0.0.1:8080/healthz']);
  });

  it('warns about a state directory readable by others', async () => {
    const state = join(dir, 'open');
    await import('node:fs/promises').then((fs) => fs.mkdir(state));
    await chmod(state, 0o755);
    expect((await checkDirectory('state directory', state, true)).status).toBe('warn');
    await chmod(state, 0o700);
    expect((await checkDirectory('state directory', state, true)).status).toBe('ok');
  });
});
