import { decideRequest, resourceMatches, type RequestAttributes } from '../../../src/policy/evaluate-request.js';
import { parsePolicy } from '../../../src/policy/schema/index.js';
import type { Principal } from '../../../src/policy/types.js';
import { IDP, machine, person } from './fixtures.js';

const POLICY = `apiVersion: kgate.dev/v1alpha1
kind: Policy
metadata: { name: rules }
spec:
  clusters:
    - { name: dev, type: kubernetes, kubeconfig: /k/dev }
    - { name: prod, type: kubernetes, kubeconfig: /k/prod }
  identity:
    issuers: [{ issuer: "${IDP}", audience: kgate }]
  rules:
    - name: agents-read-only
      match: { verbs: [create, update, patch, delete, deletecollection], principals: [{ clientIds: [mcp-agent] }] }
      effect: deny
      message: agents only read
    - name: sre-may-exec
      match: { resources: ["*/exec"], principals: [{ groups: [sre] }], clusters: [dev] }
      effect: allow
    - name: no-shells-in-prod
      match: { resources: [pods/exec], namespaces: ["prod*"], commands: ["sh*", "bash*", "*/sh *"] }
      effect: deny
      message: no shells in prod
    - name: hold-exec
      match: { resources: [pods/exec, pods/attach], namespaces: ["prod*"] }
      effect: approve
      message: needs a lead
      approval: { groups: [leads] }
    - name: protect-kube-system
      match: { verbs: ["*"], apiGroups: ["", apps], resources: ["*"], namespaces: [kube-system], names: ["coredns*"] }
      effect: deny
      message: hands off
    - name: no-crd-changes
      match: { verbs: [delete], apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions] }
      effect: deny
      message: CRDs are managed by the platform
    - name: log-readers
      match: { resources: [pods/*], verbs: [get] }
      effect: allow
`;

const parsed = parsePolicy([{ file: 'rules.yaml', text: POLICY }]);
const policy = parsed.policy!;
const bob = person('bob', ['dev']);
const alice = person('alice', ['sre']);
const agent = machine('mcp-agent', ['agents']);

function req(attrs: Partial<RequestAttributes>): RequestAttributes {
  return { verb: 'get', apiGroup: '', resource: 'pods', subresource: '', namespace: 'default', name: '', ...attrs };
}

describe('decideRequest', () => {
  it('starts from a valid policy', () => {
    expect(parsed.issues).toEqual([]);
  });

  it.each<[string, Principal, string, RequestAttributes, { effect: string; rule?: string }]>([
    ['no rule matches: allow', bob, 'dev', req({ verb: 'list' }), { effect: 'allow' }],
    ['principal match by client id', agent, 'dev', req({ verb: 'delete', name: 'web-0' }), { effect: 'deny', rule: 'agents-read-only' }],
    ['the agent may still read', agent, 'dev', req({ verb: 'watch' }), { effect: 'allow' }],
    ['an earlier allow wins over later holds', alice, 'dev', req({ verb: 'create', subresource: 'exec', namespace: 'prod' }), { effect: 'allow', rule: 'sre-may-exec' }],
    ['the allow is limited to its cluster', alice, 'prod', req({ verb: 'create', subresource: 'exec', namespace: 'prod', command: ['ls'] }), { effect: 'approve', rule: 'hold-exec' }],
    ['command globs', bob, 'prod', req({ verb: 'create', subresource: 'exec', namespace: 'prod-eu', command: ['bash', '-il'] }), { effect: 'deny', rule: 'no-shells-in-prod' }],
    ['command globs over the joined command', bob, 'prod', req({ verb: 'create', subresource: 'exec', namespace: 'prod', command: ['/bin/sh', '-c', 'id'] }), { effect: 'deny', rule: 'no-shells-in-prod' }],
    ['a command rule does not match requests without a command', bob, 'prod', req({ verb: 'get', subresource: 'attach', namespace: 'prod' }), { effect: 'approve', rule: 'hold-exec' }],
    ['namespace globs', bob, 'prod', req({ verb: 'create', subresource: 'exec', namespace: 'staging', command: ['sh'] }), { effect: 'allow' }],
    ['names globs and core group', bob, 'dev', req({ verb: 'patch', resource: 'configmaps', namespace: 'kube-system', name: 'coredns' }), { effect: 'deny', rule: 'protect-kube-system' }],
    ['apps group', bob, 'dev', req({ verb: 'delete', apiGroup: 'apps', resource: 'deployments', namespace: 'kube-system', name: 'coredns' }), { effect: 'deny', rule: 'protect-kube-system' }],
    ['other groups are not matched', bob, 'dev', req({ verb: 'delete', apiGroup: 'batch', resource: 'jobs', namespace: 'kube-system', name: 'coredns-x' }), { effect: 'allow' }],
    ['other names are not matched', bob, 'dev', req({ verb: 'delete', resource: 'configmaps', namespace: 'kube-system', name: 'kube-proxy' }), { effect: 'allow' }],
    ['cluster-scoped resource with a group', bob, 'dev', req({ verb: 'delete', apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', namespace: '', name: 'x.example.com' }), { effect: 'deny', rule: 'no-crd-changes' }],
    ['resource/* matches subresources only', bob, 'dev', req({ verb: 'get', subresource: 'log', namespace: 'prod' }), { effect: 'allow', rule: 'log-readers' }],
  ])('%s', (_name, principal, cluster, request, expected) => {
    const decision = decideRequest(policy, principal, cluster, request);
    expect(decision).toMatchObject(expected);
    if (!expected.rule) expect(decision).toEqual({ effect: 'allow' });
  });

  it('carries message and approval for approve, message for deny', () => {
    expect(decideRequest(policy, bob, 'prod', req({ verb: 'create', subresource: 'exec', namespace: 'prod', command: ['ls'] }))).toEqual({
      effect: 'approve',
      rule: 'hold-exec',
      message: 'needs a lead',
      approval: { groups: ['leads'], count: 1, expiresAfterMs: 3_600_000 },
    });
    expect(decideRequest(policy, agent, 'dev', req({ verb: 'create' }))).toEqual({ effect: 'deny', rule: 'agents-read-only', message: 'agents only read' });
  });
});

describe('resourceMatches (RBAC-style)', () => {
  it.each([
    ['*', 'pods', '', true],
    ['*', 'pods', 'exec', true],
    ['pods', 'pods', '', true],
    ['pods', 'pods', 'exec', false],
    ['pods/exec', 'pods', 'exec', true],
    ['pods/exec', 'pods', 'attach', false],
    ['pods/exec', 'pods', '', false],
    ['*/exec', 'pods', 'exec', true],
    ['*/exec', 'nodes', 'proxy', false],
    ['pods/*', 'pods', 'log', true],
    ['pods/*', 'pods', '', false],
    ['deployments/scale', 'deployments', 'scale', true],
  ])('%s vs %s/%s: %s', (pattern, resource, subresource, expected) => {
    expect(resourceMatches(pattern, resource, subresource)).toBe(expected);
  });
});
