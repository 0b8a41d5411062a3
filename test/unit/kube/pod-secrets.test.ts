import { secretsUsedBy, secretValues } from '../../../src/kube/pod-secrets.js';

const b64 = (v: string) => Buffer.from(v).toString('base64');

describe('secretsUsedBy', () => {
  it('finds env, envFrom, secret and projected volumes across every kind of container', () => {
    const pod = {
      spec: {
        containers: [{
          name: 'app',
          env: [
            { name: 'PLAIN', value: 'x' },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'API_', secretRef: { name: 'api' } }],
        }],
        initContainers: [{ name: 'init', env: [{ name: 'U', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } }] }],
        ephemeralContainers: [{ name: 'debugger', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'debug', key: 'token' } } }] }],
        volumes: [
          { name: 'tls', secret: { secretName: 'tls', items: [{ key: 'tls.key', path: 'key.pem' }] } },
          { name: 'all', secret: { secretName: 'whole' } },
          { name: 'cfg', configMap: { name: 'cm' } },
          { name: 'scratch', emptyDir: {} },
          { name: 'mixed', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { secret: { name: 'proj', items: [{ key: 'a', path: 'a' }] } }, { secret: { name: 'proj-all' } }] } },
        ],
      },
    };
    expect(secretsUsedBy(pod)).toEqual([
      { name: 'db', keys: ['password', 'user'] },
      { name: 'api' },
      { name: 'debug', keys: ['token'] },
      { name: 'tls', keys: ['tls.key'] },
      { name: 'whole' },
      { name: 'proj', keys: ['a'] },
      { name: 'proj-all' },
    ]);
  });

  it('lets a use of every key win over a use of some', () => {
    const pod = { spec: { containers: [{ env: [{ valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], envFrom: [{ secretRef: { name: 's' } }] }], volumes: [{ secret: { secretName: 's', items: [{ key: 'j' }] } }] } };
    expect(secretsUsedBy(pod)).toEqual([{ name: 's' }]);
  });

  it.each([[undefined], [null], ['pod'], [{}], [{ spec: { containers: 'x', volumes: [null, 3, { secret: {} }] } }], [{ spec: { containers: [{ env: [{ valueFrom: { secretKeyRef: { name: '', key: 'k' } } }] }] } }]])(
    'reads nothing from a malformed pod %j',
    (pod) => expect(secretsUsedBy(pod)).toEqual([]),
  );
});

describe('secretValues', () => {
  const secret = { data: { password: b64('pa55'), user: b64('app'), bin: Buffer.from([0, 255, 1]).toString('base64') }, stringData: { extra: 'plain' } };

  it('decodes every key, or the keys asked for', () => {
    expect(secretValues(secret).map((v) => v.toString('latin1'))).toEqual(['pa55', 'app', '\u0000\u00ff\u0001', 'plain']);
    expect(secretValues(secret, { keys: ['password'] }).map(String)).toEqual(['pa55']);
    expect(secretValues(secret, { keys: [] })).toEqual([]);
  });

  it('reads nothing from what is not a Secret', () => {
    expect(secretValues(undefined)).toEqual([]);
    expect(secretValues({ data: 'x' })).toEqual([]);
    expect(secretValues({ data: { n: 3 } })).toEqual([]);
  });
});
