import { describe, expect, it } from '@jest/globals';
import { defaultRbacObjects } from '../../../../sim/kube/auth/defaults.js';
import { RBAC_KEYS, RbacAuthorizer } from '../../../../sim/kube/auth/rbac.js';
import { ruleAllows, type PolicyRule } from '../../../../sim/kube/auth/rbac-rules.js';
import { MemoryStore } from '../../../../sim/kube/store.js';
import type { Attributes, KubeObject, UserInfo } from '../../../../sim/kube/types.js';

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };

function res(verb: string, resource: string, extra: Partial<Attributes> = {}): Attributes {
  return { user: alice, verb, resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource, subresource: '', namespace: 'ns1', name: '', path: '', ...extra };
}

function url(verb: string, path: string, user: UserInfo = alice): Attributes {
  return { user, verb, resourceRequest: false, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path };
}

describe('ruleAllows', () => {
  const cases: [string, PolicyRule, Attributes, boolean][] = [
    ['exact verb/group/resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods'), true],
    ['other verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), false],
    ['verb *', { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, res('deletecollection', 'pods'), true],
    ['other group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, res('get', 'pods'), false],
    ['group *', { verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }, res('get', 'deployments', { apiGroup: 'apps' }), true],
    ['resource * covers subresources', { verbs: ['create'], apiGroups: [''], resources: ['*'] }, res('create', 'pods', { subresource: 'exec', name: 'p' }), true],
    ['plain resource does not cover its subresource', { verbs: ['create'], apiGroups: [''], resources: ['pods'] }, res('create', 'pods', { subresource: 'exec', name: 'p' }), false],
    ['resource/subresource', { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }, res('create', 'pods', { subresource: 'exec', name: 'p' }), true],
    ['*/subresource', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, res('get', 'pods', { subresource: 'log', name: 'p' }), true],
    ['*/subresource needs that subresource', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, res('get', 'pods', { name: 'p' }), false],
    ['resourceNames match the name', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('get', 'secrets', { name: 'a' }), true],
    ['resourceNames other name', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('get', 'secrets', { name: 'b' }), false],
    ['resourceNames never allow create without a name', { verbs: ['create'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('create', 'secrets'), false],
    ['resourceNames never allow an unnamed list', { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('list', 'secrets'), false],
    ['resourceNames allow a list narrowed to the name', { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, res('list', 'secrets', { name: 'a' }), true],
    ['nonResourceURL exact', { verbs: ['get'], nonResourceURLs: ['/version'] }, url('get', '/version'), true],
    ['nonResourceURL prefix *', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis/apps/v1'), true],
    ['nonResourceURL prefix is not a glob for the bare path', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis'), false],
    ['nonResourceURL *', { verbs: ['*'], nonResourceURLs: ['*'] }, url('post', '/anything'), true],
    ['resource rule does not match a URL', { verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, url('get', '/version'), false],
    ['URL rule does not match a resource', { verbs: ['get'], nonResourceURLs: ['*'] }, res('get', 'pods'), false],
  ];
  it.each(cases)('%s', (_name, rule, attributes, allowed) => {
    expect(ruleAllows(attributes, rule)).toBe(allowed);
  });
});

function storeWithDefaults(): MemoryStore {
  const store = new MemoryStore();
  for (const object of defaultRbacObjects()) {
    store.create(object.kind === 'ClusterRole' ? RBAC_KEYS.clusterRoles : RBAC_KEYS.clusterRoleBindings, object);
  }
  return store;
}

function roleBinding(namespace: string, name: string, roleRef: { kind: string; name: string }, subjects: Record<string, string>[]): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects };
}

describe('RbacAuthorizer over the store', () => {
  it('denies with an empty reason when nothing applies, and allows once a RoleBinding exists', () => {
    const store = storeWithDefaults();
    const rbac = new RbacAuthorizer(store);
    expect(rbac.authorize(res('list', 'pods'))).toEqual({ allowed: false, reason: '' });
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns1', 'alice-edit', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }]));
    expect(rbac.authorize(res('list', 'pods'))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "alice-edit/ns1" of ClusterRole "edit" to User "alice"',
    });
    expect(rbac.authorize(res('list', 'pods', { namespace: 'ns2' })).allowed).toBe(false);
    store.delete(RBAC_KEYS.roleBindings, 'ns1', 'alice-edit');
    expect(rbac.authorize(res('list', 'pods')).allowed).toBe(false);
  });

  it('resolves the aggregated edit and view roles, including the exec/attach/portforward verbs', () => {
    const store = storeWithDefaults();
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns1', 'devs-edit', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'Group', name: 'devs' }]));
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns2', 'devs-view', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'Group', name: 'devs' }]));
    const rbac = new RbacAuthorizer(store);
    const cases: [Attributes, boolean][] = [
      [res('create', 'pods', { subresource: 'exec', name: 'p' }), true],
      [res('get', 'pods', { subresource: 'exec', name: 'p' }), true],
      [res('create', 'pods', { subresource: 'portforward', name: 'p' }), true],
      [res('get', 'pods', { subresource: 'log', name: 'p' }), true],
      [res('get', 'secrets', { name: 's' }), true],
      [res('create', 'serviceaccounts', { subresource: 'token', name: 'sa' }), true],
      [res('create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io' }), false],
      [res('get', 'pods', { namespace: 'ns2', name: 'p' }), true],
      [res('get', 'pods', { namespace: 'ns2', subresource: 'log', name: 'p' }), true],
      [res('create', 'pods', { namespace: 'ns2', subresource: 'exec', name: 'p' }), false],
      [res('get', 'pods', { namespace: 'ns2', subresource: 'exec', name: 'p' }), false],
      [res('get', 'secrets', { namespace: 'ns2', name: 's' }), false],
    ];
    for (const [attributes, allowed] of cases) {
      expect([attributes.namespace, attributes.verb, attributes.resource, attributes.subresource, rbac.authorize(attributes).allowed]).toEqual([
        attributes.namespace, attributes.verb, attributes.resource, attributes.subresource, allowed,
      ]);
    }
    expect(rbac.authorize(res('get', 'pods', { namespace: 'ns2', name: 'p' })).reason).toBe('RBAC: allowed by RoleBinding "devs-view/ns2" of ClusterRole "view" to Group "devs"');
  });

  it('matches ServiceAccount subjects, defaulting their namespace to the binding namespace', () => {
    const store = storeWithDefaults();
    store.create(RBAC_KEYS.roles, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader', namespace: 'ns1' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }] });
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns1', 'bot', { kind: 'Role', name: 'cm-reader' }, [{ kind: 'ServiceAccount', name: 'bot' }]));
    const rbac = new RbacAuthorizer(store);
    const bot: UserInfo = { username: 'system:serviceaccount:ns1:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'] };
    const other: UserInfo = { username: 'system:serviceaccount:ns2:bot', groups: ['system:authenticated'] };
    expect(rbac.authorize(res('get', 'configmaps', { user: bot, name: 'c' }))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "bot/ns1" of Role "cm-reader" to ServiceAccount "bot/ns1"',
    });
    expect(rbac.authorize(res('get', 'configmaps', { user: other, name: 'c' })).allowed).toBe(false);
  });

  it('gives discovery and self reviews to every authenticated user, everything to system:masters', () => {
    const rbac = new RbacAuthorizer(storeWithDefaults());
    expect(rbac.authorize(url('get', '/apis/apps/v1'))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    });
    expect(rbac.authorize(url('get', '/version')).allowed).toBe(true);
    expect(rbac.authorize(url('get', '/metrics')).allowed).toBe(false);
    expect(rbac.authorize(res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' })).allowed).toBe(true);
    expect(rbac.authorize(res('create', 'selfsubjectreviews', { apiGroup: 'authentication.k8s.io', namespace: '' })).allowed).toBe(true);
    expect(rbac.authorize(res('create', 'tokenreviews', { apiGroup: 'authentication.k8s.io', namespace: '' })).allowed).toBe(false);
    const admin: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
    expect(rbac.authorize(res('delete', 'nodes', { user: admin, namespace: '', name: 'n' }))).toEqual({ allowed: true, reason: '' });
  });

  it('reports a binding to a missing role as the denial reason and SSRR evaluation error', () => {
    const store = storeWithDefaults();
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns1', 'dangling', { kind: 'ClusterRole', name: 'gone' }, [{ kind: 'User', name: 'alice' }]));
    const rbac = new RbacAuthorizer(store);
    expect(rbac.authorize(res('get', 'pods', { name: 'p' }))).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' });
    expect(rbac.rulesFor(alice, 'ns1').evaluationError).toBe('clusterrole.rbac.authorization.k8s.io "gone" not found');
  });

  it('lists the rules that apply for SelfSubjectRulesReview', () => {
    const store = storeWithDefaults();
    store.create(RBAC_KEYS.roleBindings, roleBinding('ns1', 'alice-view', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'User', name: 'alice' }]));
    const rbac = new RbacAuthorizer(store);
    const inNs1 = rbac.rulesFor(alice, 'ns1');
    const inNs2 = rbac.rulesFor(alice, 'ns2');
    expect(inNs1.incomplete).toBe(false);
    expect(inNs1.resourceRules).toContainEqual({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['namespaces'] });
    expect(inNs1.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(inNs2.resourceRules.some((r) => r.resources.includes('pods'))).toBe(false);
    expect(inNs1.nonResourceRules).toContainEqual(expect.objectContaining({ nonResourceURLs: expect.arrayContaining(['/api', '/version']) }));
  });
});

describe('defaultRbacObjects', () => {
  it('labels and annotates every object like the bootstrap policy', () => {
    for (const object of defaultRbacObjects()) {
      expect(object.metadata.labels?.['kubernetes.io/bootstrapping']).toBe('rbac-defaults');
      expect(object.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    }
  });
});
