import { describe, expect, it } from '@jest/globals';
import { simAuthenticator } from '../../../../sim/kube/auth/authenticators.js';
import { defaultRbacObjects } from '../../../../sim/kube/auth/defaults.js';
import { RBAC_KEYS, RbacAuthorizer } from '../../../../sim/kube/auth/rbac.js';
import { reviewHandlers } from '../../../../sim/kube/auth/reviews.js';
import { ServiceAccountTokens } from '../../../../sim/kube/auth/service-account-tokens.js';
import { MemoryStore } from '../../../../sim/kube/store.js';
import type { UserInfo } from '../../../../sim/kube/types.js';
import { fakeContext } from './fake-context.js';

const alice: UserInfo = { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { arn: ['arn:x'] } };

async function setup() {
  const store = new MemoryStore();
  for (const o of defaultRbacObjects()) store.create(o.kind === 'ClusterRole' ? RBAC_KEYS.clusterRoles : RBAC_KEYS.clusterRoleBindings, o);
  store.create(RBAC_KEYS.roleBindings, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'alice-view', namespace: 'team' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });
  store.create({ group: '', resource: 'serviceaccounts' }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: 'team' } });
  const serviceAccountTokens = await ServiceAccountTokens.create({ store });
  const authenticator = simAuthenticator({ adminToken: 'admin-secret', serviceAccounts: serviceAccountTokens });
  const handlers = reviewHandlers({ authorizer: new RbacAuthorizer(store), authenticator, serviceAccountTokens });
  const call = async (key: string, body: unknown, user: UserInfo = alice) => {
    const group = key.split('/')[0]!;
    const { ctx, recorded } = fakeContext({ store, user, body, info: { apiGroup: group, apiVersion: 'v1', resource: key.split('/')[1]! } });
    await handlers[key]!(ctx);
    return recorded();
  };
  return { call, handlers, serviceAccountTokens };
}

describe('review handlers', () => {
  it('are keyed group/resource[/subresource]', async () => {
    const { handlers } = await setup();
    expect(Object.keys(handlers).sort()).toEqual([
      '/serviceaccounts/token',
      'authentication.k8s.io/selfsubjectreviews',
      'authentication.k8s.io/tokenreviews',
      'authorization.k8s.io/selfsubjectaccessreviews',
      'authorization.k8s.io/selfsubjectrulesreviews',
    ]);
  });

  it('SelfSubjectAccessReview evaluates resource and non-resource attributes for the caller', async () => {
    const { call } = await setup();
    const allowed = await call('authorization.k8s.io/selfsubjectaccessreviews', { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } } });
    expect(allowed.code).toBe(201);
    expect(allowed.body).toMatchObject({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } },
      status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view/team" of ClusterRole "view" to User "alice"' },
    });
    const denied = await call('authorization.k8s.io/selfsubjectaccessreviews', { spec: { resourceAttributes: { namespace: 'team', verb: 'create', resource: 'pods', subresource: 'exec', name: 'p' } } });
    expect(denied.body.status).toEqual({ allowed: false });
    const url = await call('authorization.k8s.io/selfsubjectaccessreviews', { spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } });
    expect((url.body.status as { allowed: boolean }).allowed).toBe(true);
  });

  it('SelfSubjectAccessReview validates its spec', async () => {
    const { call } = await setup();
    const neither = await call('authorization.k8s.io/selfsubjectaccessreviews', { spec: {} });
    expect(neither.code).toBe(422);
    expect(neither.body.message).toMatch(/exactly one of nonResourceAttributes or resourceAttributes must be specified/);
    const both = await call('authorization.k8s.io/selfsubjectaccessreviews', { spec: { resourceAttributes: {}, nonResourceAttributes: {} } });
    expect(both.code).toBe(422);
    const missing = await call('authorization.k8s.io/selfsubjectaccessreviews', undefined);
    expect(missing.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('SelfSubjectRulesReview lists the caller\'s rules in a namespace and needs one', async () => {
    const { call } = await setup();
    const review = await call('authorization.k8s.io/selfsubjectrulesreviews', { spec: { namespace: 'team' } });
    expect(review.code).toBe(201);
    const status = review.body.status as { resourceRules: { resources: string[] }[]; nonResourceRules: unknown[]; incomplete: boolean };
    expect(status.incomplete).toBe(false);
    expect(status.resourceRules.some((r) => r.resources.includes('pods'))).toBe(true);
    expect(status.nonResourceRules.length).toBeGreaterThan(0);
    const noNamespace = await call('authorization.k8s.io/selfsubjectrulesreviews', { spec: {} });
    expect(noNamespace.body).toMatchObject({ code: 400, message: 'no namespace on request' });
  });

  it('SelfSubjectReview returns the caller', async () => {
    const { call } = await setup();
    const review = await call('authentication.k8s.io/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(review.code).toBe(201);
    expect(review.body).toMatchObject({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', status: { userInfo: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { arn: ['arn:x'] } } } });
  });

  it('TokenReview authenticates through the whole chain, with audiences', async () => {
    const { call, serviceAccountTokens } = await setup();
    const admin = await call('authentication.k8s.io/tokenreviews', { spec: { token: 'admin-secret' } });
    expect(admin.body.status).toMatchObject({ authenticated: true, user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } });
    const { token } = await serviceAccountTokens.issue('team', 'bot', { audiences: ['vault'] });
    const forVault = await call('authentication.k8s.io/tokenreviews', { spec: { token, audiences: ['vault'] } });
    expect(forVault.body.status).toMatchObject({ authenticated: true, audiences: ['vault'], user: { username: 'system:serviceaccount:team:bot' } });
    const forApi = await call('authentication.k8s.io/tokenreviews', { spec: { token } });
    expect(forApi.body.status).toEqual({ user: {} });
    const adminForVault = await call('authentication.k8s.io/tokenreviews', { spec: { token: 'admin-secret', audiences: ['vault'] } });
    expect(adminForVault.body.status).toEqual({ user: {} });
    const empty = await call('authentication.k8s.io/tokenreviews', { spec: {} });
    expect(empty.body).toMatchObject({ code: 400, message: 'token is required for TokenReview in authentication.k8s.io' });
  });
});
