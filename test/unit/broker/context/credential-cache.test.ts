/**
 * A gateway context's credential cache and the plugin's warm path over it, on a real temporary
 * state directory: a fresh credential is answered from the file, an expiring one is not, and the
 * same kubectl process is never handed the same credential twice (it asks again only after the
 * gateway refused it).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCachedCredentials, writeCachedCredential } from '../../../../src/broker/context/credential-cache.js';
import { contextCacheDir, readCachedCredential, wasServed, type CachedGatewayCredential, type ContextKey } from '../../../../src/broker/context/credential-file.js';
import { gatewayWarmCredential } from '../../../../src/broker/context/gateway-warm.js';

const KEY: ContextKey = { server: 'https://kgate.example', cluster: 'prod', template: 'operate', namespaces: ['apps'] };
const ARGS = ['--cluster', 'prod', '--grant', 'operate', '--namespace', 'apps', '--gateway', '--server', 'https://kgate.example'];
const INFO = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } });

let stateDir: string;
const env = () => ({ KGATE_STATE_DIR: stateDir, KUBERNETES_EXEC_INFO: INFO });
const credential = (minutes: number, id = 'credone'): CachedGatewayCredential => ({ id, token: `kgate-gw.${id}`, grant: 'grantone', cluster: 'prod', expiresAt: Date.now() + minutes * 60_000 });

function warm(parent: number, argv = ARGS): string | undefined {
  let out: string | undefined;
  const answered = gatewayWarmCredential(argv, env(), false, (text) => (out = text), parent);
  return answered ? out : undefined;
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'kgate-ctx-cache-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('the gateway context warm path', () => {
  it('answers from a fresh cached credential in the apiVersion asked, expiring a minute early', async () => {
    const cached = credential(10);
    await writeCachedCredential(stateDir, KEY, cached);
    const answer = JSON.parse(warm(100)!) as { apiVersion: string; status: { token: string; expirationTimestamp: string } };
    expect(answer.apiVersion).toBe('client.authentication.k8s.io/v1beta1');
    expect(answer.status.token).toBe(cached.token);
    expect(Math.abs(Date.parse(answer.status.expirationTimestamp) - (cached.expiresAt - 60_000))).toBeLessThan(1500);
  });

  it('keeps the file 0600 in a 0700 directory', async () => {
    await writeCachedCredential(stateDir, KEY, credential(10));
    const dir = contextCacheDir(stateDir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const [file] = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    expect((await stat(join(dir, file!))).mode & 0o777).toBe(0o600);
  });

  it('leaves a credential with a minute or less left, a missing one and another context\'s to the cold path', async () => {
    expect(warm(100)).toBeUndefined();
    await writeCachedCredential(stateDir, KEY, credential(1));
    expect(warm(100)).toBeUndefined();
    await writeCachedCredential(stateDir, { ...KEY, namespaces: [] }, credential(10));
    expect(warm(100)).toBeUndefined();
    expect(warm(100, ARGS.filter((a) => a !== '--gateway'))).toBeUndefined();
  });

  it('hands a credential to each kubectl process once: asking again means the gateway refused it', async () => {
    await writeCachedCredential(stateDir, KEY, credential(10));
    expect(warm(100)).toBeDefined();
    expect(warm(101)).toBeDefined();
    expect(warm(100)).toBeUndefined();
    expect(wasServed(stateDir, 'credone', 100)).toBe(true);
    // A new credential (the cold path's) is served to that process again, and the old markers go.
    await writeCachedCredential(stateDir, KEY, credential(10, 'credtwo'));
    expect(warm(100)).toBeDefined();
    expect(wasServed(stateDir, 'credone', 100)).toBe(false);
  });

  it('ignores a malformed cache file, and logout\'s removal returns what was cached', async () => {
    await writeCachedCredential(stateDir, KEY, credential(10));
    expect(readCachedCredential(stateDir, { ...KEY, cluster: 'other' })).toBeUndefined();
    expect((await removeCachedCredentials(stateDir)).map((c) => c.id)).toEqual(['credone']);
    expect(warm(100)).toBeUndefined();
    await expect(stat(contextCacheDir(stateDir))).rejects.toThrow();
  });
});
