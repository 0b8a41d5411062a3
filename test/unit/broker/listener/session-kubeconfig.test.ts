import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sessionKubeconfigDocument, writeSessionKubeconfig } from '../../../../src/broker/session-kubeconfig.js';
import { scratchDir } from '../../../support/scratch.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const base = { url: 'https://127.0.0.1:4443', caCertificate: CA, token: 'tok' };

describe('writeSessionKubeconfig', () => {
  it('writes a 0600 file in a fresh 0700 directory and removes both on dispose', async () => {
    const root = scratchDir('kgate-kc-');
    const config = await writeSessionKubeconfig({ ...base, clusters: [{ name: 'prod', namespace: 'apps' }], tempRoot: root });
    expect(dirname(dirname(config.path))).toBe(root);
    expect(statSync(config.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(config.path)).mode & 0o777).toBe(0o700);
    const doc = JSON.parse(readFileSync(config.path, 'utf8'));
    expect(doc).toEqual(sessionKubeconfigDocument({ ...base, clusters: [{ name: 'prod', namespace: 'apps' }] }));
    await config.dispose();
    expect(existsSync(dirname(config.path))).toBe(false);
    await config.dispose();
  });

  it('gives every write its own directory', async () => {
    const [a, b] = await Promise.all([writeSessionKubeconfig({ ...base, clusters: [{ name: 'x' }] }), writeSessionKubeconfig({ ...base, clusters: [{ name: 'x' }] })]);
    expect(dirname(a.path)).not.toBe(dirname(b.path));
    await Promise.all([a.dispose(), b.dispose()]);
  });
});

describe('sessionKubeconfigDocument', () => {
  it('points each cluster at the listener (with its prefix), trusts the local CA and carries only the session token', () => {
    const doc = sessionKubeconfigDocument({ ...base, url: 'https://[::1]:9/', clusters: [{ name: 'prod', pathPrefix: '/clusters/prod/', namespace: 'apps' }, { name: 'dev', pathPrefix: 'clusters/dev' }], currentContext: 'dev' });
    expect(doc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'prod', cluster: { server: 'https://[::1]:9/clusters/prod', 'certificate-authority-data': Buffer.from(CA).toString('base64') } },
        { name: 'dev', cluster: { server: 'https://[::1]:9/clusters/dev', 'certificate-authority-data': Buffer.from(CA).toString('base64') } },
      ],
      users: [{ name: 'kgate-session', user: { token: 'tok' } }],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'kgate-session', namespace: 'apps' } },
        { name: 'dev', context: { cluster: 'dev', user: 'kgate-session' } },
      ],
      'current-context': 'dev',
      preferences: {},
    });
  });

  it('defaults the current context to the first cluster and rejects an unknown one', () => {
    expect(sessionKubeconfigDocument({ ...base, clusters: [{ name: 'a' }, { name: 'b' }] })['current-context']).toBe('a');
    expect(() => sessionKubeconfigDocument({ ...base, clusters: [{ name: 'a' }], currentContext: 'zz' })).toThrow(/not one of the clusters/);
    expect(() => sessionKubeconfigDocument({ ...base, clusters: [] })).toThrow(/at least one cluster/);
  });
});
