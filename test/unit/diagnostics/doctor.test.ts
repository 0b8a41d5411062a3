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
    fetch: globalThis.fetch,
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

  it('fails the policy service check when it does not answer', async () => {
    const results = await runDoctor(deps({ env: { KGATE_SERVER: 'http://127.0.0.1:9' } }));
    expect(results.find((r) => r.name === 'policy service')?.status).toBe('fail');
  });

  it('fails a plain http policy service on another machine without sending anything there', async () => {
    const fetched: string[] = [];
    const fetch = (async (url: URL) => {
      fetched.push(String(url));
      return new Response('ok');
    }) as typeof globalThis.fetch;
    const refused = (await runDoctor(deps({ env: { KGATE_SERVER: 'http://10.0.0.1:8080' }, fetch }))).find((r) => r.name === 'policy service');
    expect(refused).toMatchObject({ status: 'fail', detail: expect.stringContaining('Refusing plain http to the policy service at 10.0.0.1:8080'), fix: expect.stringContaining('KGATE_INSECURE_HTTP_SERVER=1') });
    expect(fetched).toEqual([]);
    const allowed = (await runDoctor(deps({ env: { KGATE_SERVER: 'http://10.0.0.1:8080', KGATE_INSECURE_HTTP_SERVER: '1' }, fetch }))).find((r) => r.name === 'policy service');
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
