import { describe, expect, it } from '@jest/globals';
import { decodeJwt, createLocalJWKSet, jwtVerify } from 'jose';
import { ServiceAccountTokens } from '../../../../sim/kube/auth/service-account-tokens.js';
import { MemoryStore } from '../../../../sim/kube/store.js';
import type { KubeObject } from '../../../../sim/kube/types.js';
import { fakeContext } from './fake-context.js';

const SA_KEY = { group: '', resource: 'serviceaccounts' };
const POD_KEY = { group: '', resource: 'pods' };
const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

function serviceAccount(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

async function setup(now: { t: number } = { t: Date.UTC(2026, 0, 1) }) {
  const store = new MemoryStore();
  const sa = store.create(SA_KEY, serviceAccount('ci', 'deployer'));
  const tokens = await ServiceAccountTokens.create({ store, now: () => now.t, maxExpirationSeconds: 86400 });
  return { store, sa, tokens, now };
}

async function tokenRequest(tokens: ServiceAccountTokens, store: MemoryStore, name: string, body: unknown) {
  const { ctx, recorded } = fakeContext({ store, user: admin, body, info: { apiPrefix: 'api', namespace: 'ci', resource: 'serviceaccounts', subresource: 'token', name } });
  await tokens.handleTokenRequest(ctx);
  return recorded();
}

describe('TokenRequest', () => {
  it('issues a JWT for the ServiceAccount with the real claims and answers 201', async () => {
    const { store, sa, tokens, now } = await setup();
    const { code, body } = await tokenRequest(tokens, store, 'deployer', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 1200 } });
    expect(code).toBe(201);
    const status = body.status as { token: string; expirationTimestamp: string };
    expect(body).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: 'deployer', namespace: 'ci' }, spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 1200 } });
    expect(status.expirationTimestamp).toBe(new Date(now.t + 1200_000).toISOString().replace('.000Z', 'Z'));
    const claims = decodeJwt(status.token);
    expect(claims).toMatchObject({
      iss: 'https://kubernetes.default.svc',
      sub: 'system:serviceaccount:ci:deployer',
      aud: ['https://kubernetes.default.svc'],
      iat: now.t / 1000,
      nbf: now.t / 1000,
      exp: now.t / 1000 + 1200,
      'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'deployer', uid: sa.metadata.uid } },
    });
    const jwks = createLocalJWKSet(tokens.serviceAccountIssuer().jwks);
    await expect(jwtVerify(status.token, jwks, { currentDate: new Date(now.t) })).resolves.toBeDefined();
  });

  const failures: [string, string, unknown, number, string, RegExp][] = [
    ['unknown ServiceAccount', 'nobody', { spec: {} }, 404, 'NotFound', /serviceaccounts "nobody" not found/],
    ['too short expiration', 'deployer', { spec: { expirationSeconds: 599 } }, 422, 'Invalid', /spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/],
    ['missing body', 'deployer', undefined, 400, 'BadRequest', /TokenRequest/],
    ['wrong kind', 'deployer', { kind: 'Pod', spec: {} }, 400, 'BadRequest', /"Pod" is not TokenRequest/],
    ['name mismatch', 'deployer', { metadata: { name: 'other' }, spec: {} }, 422, 'Invalid', /metadata.name/],
    ['unknown bound pod', 'deployer', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } } }, 404, 'NotFound', /pods "p" not found/],
    ['unsupported bound kind', 'deployer', { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'c' } } }, 400, 'BadRequest', /cannot bind token/],
  ];
  it.each(failures)('answers %s with a Status', async (_name, saName, body, code, reason, message) => {
    const { store, tokens } = await setup();
    const answer = await tokenRequest(tokens, store, saName, body);
    expect(answer.code).toBe(code);
    expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', code, reason });
    expect(answer.body.message).toMatch(message);
  });

  it('caps the expiration at the configured maximum and defaults to one hour', async () => {
    const { store, tokens, now } = await setup();
    const long = await tokenRequest(tokens, store, 'deployer', { spec: { expirationSeconds: 10 * 86400 } });
    expect(decodeJwt((long.body.status as { token: string }).token).exp).toBe(now.t / 1000 + 86400);
    const plain = await tokenRequest(tokens, store, 'deployer', { spec: {} });
    expect(decodeJwt((plain.body.status as { token: string }).token).exp).toBe(now.t / 1000 + 3600);
  });
});

describe('service-account token authentication', () => {
  it('authenticates as the ServiceAccount with its uid and groups', async () => {
    const { sa, tokens } = await setup();
    const { token } = await tokens.issue('ci', 'deployer');
    const user = await tokens.authenticate(token);
    expect(user).toMatchObject({
      username: 'system:serviceaccount:ci:deployer',
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
    });
    expect(user?.extra?.['authentication.kubernetes.io/credential-id']?.[0]).toMatch(/^JTI=/);
  });

  it('stops accepting a token the moment its ServiceAccount is deleted, and after it is recreated', async () => {
    const { store, tokens } = await setup();
    const { token } = await tokens.issue('ci', 'deployer');
    expect(await tokens.authenticate(token)).not.toBeNull();
    store.delete(SA_KEY, 'ci', 'deployer');
    expect(await tokens.authenticate(token)).toBeNull();
    store.create(SA_KEY, serviceAccount('ci', 'deployer'));
    expect(await tokens.authenticate(token)).toBeNull();
    const fresh = await tokens.issue('ci', 'deployer');
    expect(await tokens.authenticate(fresh.token)).not.toBeNull();
  });

  it('binds a token to a pod: invalid once the pod is gone', async () => {
    const { store, tokens } = await setup();
    const pod = store.create(POD_KEY, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'runner', namespace: 'ci' }, spec: { serviceAccountName: 'deployer', nodeName: 'node-1' } });
    const { token } = await tokens.issue('ci', 'deployer', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'runner', uid: pod.metadata.uid! } });
    const user = await tokens.authenticate(token);
    expect(user?.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['runner']);
    store.delete(POD_KEY, 'ci', 'runner');
    expect(await tokens.authenticate(token)).toBeNull();
  });

  it('refuses expired tokens, other audiences, foreign issuers and tampered signatures', async () => {
    const { store, tokens, now } = await setup();
    const { token } = await tokens.issue('ci', 'deployer', { expirationSeconds: 600 });
    const vault = await tokens.issue('ci', 'deployer', { audiences: ['vault'] });
    expect(await tokens.authenticate(vault.token)).toBeNull();
    expect(await tokens.authenticateFor(vault.token, ['vault', 'other'])).toMatchObject({ audiences: ['vault'] });
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
    expect(await tokens.authenticate(forged)).toBeNull();
    expect(await tokens.authenticate(`${h}.${p}.${s.slice(0, -4)}AAAA`)).toBeNull();
    const other = await ServiceAccountTokens.create({ store, issuer: 'https://other.example', now: () => now.t });
    expect(await tokens.authenticate((await other.issue('ci', 'deployer')).token)).toBeNull();
    now.t += 661_000;
    expect(await tokens.authenticate(token)).toBeNull();
  });
});
