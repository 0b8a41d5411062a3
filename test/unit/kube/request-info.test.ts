import { canonicalizeRequest, type CanonicalRequest } from '../../../src/kube/canonical.js';
import { authzAttributes, execCommand, isConnect, isPrivileged, mayCreate, privilegeReasons } from '../../../src/kube/classify.js';
import { requestInfo, type RequestInfo } from '../../../src/kube/request-info.js';

function canonical(method: string, target: string): CanonicalRequest {
  const result = canonicalizeRequest(method, target);
  if (!result.ok) throw new Error(`${method} ${target} refused: ${result.reason}`);
  return result.request;
}

function info(method: string, target: string, isUpgrade = false): RequestInfo {
  return requestInfo(canonical(method, target), { isUpgrade });
}

type Expected = { verb: string; ns?: string; resource?: string; sub?: string; name?: string; group?: string; resourceRequest?: boolean };

// docs/k8s-protocol.md §1.1 worked examples, with the values the Go resolver produces.
const rows: [string, string, Expected][] = [
  ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', ns: 'default', resource: 'pods' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=1', { verb: 'watch', ns: 'default', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=true&fieldSelector=metadata.name%3Dfoo', { verb: 'watch', resource: 'pods', name: 'foo' }],
  ['GET', '/api/v1/watch/namespaces/default/pods/foo', { verb: 'watch', ns: 'default', resource: 'pods', name: 'foo' }],
  ['GET', '/api/v1/namespaces/default/pods/foo?watch=true', { verb: 'get', ns: 'default', resource: 'pods', name: 'foo' }],
  ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection', ns: 'default', resource: 'pods' }],
  ['POST', '/api/v1/namespaces/default/pods', { verb: 'create', ns: 'default', resource: 'pods' }],
  ['POST', '/api/v1/namespaces/default/pods/foo/exec?command=sh', { verb: 'create', ns: 'default', resource: 'pods', sub: 'exec', name: 'foo' }],
  ['GET', '/api/v1/namespaces/default/pods/foo/exec?command=sh', { verb: 'get', ns: 'default', resource: 'pods', sub: 'exec', name: 'foo' }],
  ['GET', '/api/v1/namespaces/default/pods/foo/log?follow=true', { verb: 'get', ns: 'default', resource: 'pods', sub: 'log', name: 'foo' }],
  ['PATCH', '/api/v1/namespaces/default/pods/foo/ephemeralcontainers', { verb: 'patch', ns: 'default', resource: 'pods', sub: 'ephemeralcontainers', name: 'foo' }],
  ['POST', '/api/v1/namespaces/default/serviceaccounts/sa/token', { verb: 'create', ns: 'default', resource: 'serviceaccounts', sub: 'token', name: 'sa' }],
  ['GET', '/api/v1/nodes/n1/proxy/metrics', { verb: 'get', resource: 'nodes', sub: 'proxy', name: 'n1' }],
  ['GET', '/api/v1/namespaces/ns/services/https:svc:443/proxy/x', { verb: 'get', ns: 'ns', resource: 'services', sub: 'proxy', name: 'https:svc:443' }],
  ['GET', '/apis/apps/v1', { verb: 'get', resourceRequest: false }],
  ['GET', '/api', { verb: 'get', resourceRequest: false }],
  ['GET', '/version', { verb: 'get', resourceRequest: false }],
  ['GET', '/openapi/v3', { verb: 'get', resourceRequest: false }],
  ['HEAD', '/api/v1/namespaces/default/secrets/x', { verb: 'get', ns: 'default', resource: 'secrets', name: 'x' }],
  ['HEAD', '/openapi/v3', { verb: 'head', resourceRequest: false }],
  ['GET', '/api/v1/namespaces/foo', { verb: 'get', ns: 'foo', resource: 'namespaces', name: 'foo' }],
  ['PUT', '/api/v1/namespaces/foo/status', { verb: 'update', ns: 'foo', resource: 'namespaces', sub: 'status', name: 'foo' }],
  ['PUT', '/api/v1/namespaces/foo/finalize', { verb: 'update', ns: 'foo', resource: 'namespaces', sub: 'finalize', name: 'foo' }],
  ['DELETE', '/api/v1/namespaces/foo', { verb: 'delete', ns: 'foo', resource: 'namespaces', name: 'foo' }],
  ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces' }],
  ['OPTIONS', '/api/v1/namespaces/d/pods', { verb: '', ns: 'd', resource: 'pods' }],
  ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:admin', { verb: 'get', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'system:admin' }],
  // §1.3: Go's bool rule, first value wins, and the fieldSelector name only when ListOptions decode.
  ['GET', '/api/v1/pods?watch=', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=FALSE', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=0', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=yes', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3D%3Dfoo', { verb: 'list', resource: 'pods', name: 'foo' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dfoo', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?limit=abc&watch=1&fieldSelector=metadata.name%3Dfoo', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?limit=99999999999999999999&fieldSelector=metadata.name%3Dfoo', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?labelSelector=app+in+()&fieldSelector=metadata.name%3Dfoo', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?labelSelector=app+in+(a,b),!tier,env!%3Dprod&fieldSelector=metadata.name%3Dfoo', { verb: 'list', resource: 'pods', name: 'foo' }],
  // fields.ParseSelector sorts the terms, so the first metadata.name after sorting wins.
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Db,metadata.name%3Da', { verb: 'list', resource: 'pods', name: 'a' }],
  ['GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.name%3Dx', { verb: 'list', resource: 'pods', name: 'x' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%5C,b', { verb: 'list', resource: 'pods', name: 'a,b' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%3Db', { verb: 'list', resource: 'pods' }],
];

describe('requestInfo', () => {
  test.each(rows)('%s %s', (method, target, want) => {
    const got = info(method, target);
    expect({
      verb: got.verb, ns: got.namespace, resource: got.resource, sub: got.subresource, name: got.name, group: got.apiGroup, resourceRequest: got.isResourceRequest,
    }).toEqual({ ns: '', resource: '', sub: '', name: '', group: '', resourceRequest: true, ...want });
  });

  test('selectors are copied for list, watch and deletecollection only (1.31 AuthorizeWithSelectors)', () => {
    expect(info('GET', '/api/v1/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1')).toMatchObject({ verb: 'list', labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1' });
    expect(info('DELETE', '/api/v1/namespaces/d/pods?labelSelector=app%3Dweb')).toMatchObject({ verb: 'deletecollection', labelSelector: 'app=web' });
    expect(info('GET', '/api/v1/namespaces/d/pods/x?labelSelector=app%3Dweb')).toMatchObject({ verb: 'get', labelSelector: '' });
    expect(info('GET', '/api/v1/watch/namespaces/d/pods?labelSelector=app%3Dweb')).toMatchObject({ verb: 'watch', verbViaPathPrefix: true, labelSelector: '' });
  });

  test('the path, prefix, version and parts are reported', () => {
    expect(info('GET', '/apis/apps/v1/namespaces/d/deployments/web/scale')).toMatchObject({
      path: '/apis/apps/v1/namespaces/d/deployments/web/scale', apiPrefix: 'apis', apiGroup: 'apps', apiVersion: 'v1', parts: ['deployments', 'web', 'scale'],
    });
    expect(info('GET', '/api/v1/nodes/n1/proxy/stats/summary').parts).toEqual(['nodes', 'n1', 'proxy', 'stats', 'summary']);
  });

  test('an upgrade is recorded without changing the verb (Go authorizes a WebSocket exec as get)', () => {
    expect(info('GET', '/api/v1/namespaces/d/pods/p/exec?command=sh', true)).toMatchObject({ verb: 'get', isUpgrade: true });
  });
});

describe('classification', () => {
  test('exec, attach and portforward are connects with any method; WebSocket GET and SPDY POST alike', () => {
    for (const sub of ['exec', 'attach', 'portforward']) {
      expect(isConnect(info('GET', `/api/v1/namespaces/d/pods/p/${sub}`, true))).toBe(true);
      expect(isConnect(info('POST', `/api/v1/namespaces/d/pods/p/${sub}`, true))).toBe(true);
    }
    expect(isConnect(info('GET', '/api/v1/namespaces/d/pods/p/log'))).toBe(false);
    expect(isConnect(info('GET', '/api/v1/namespaces/d/pods/p/proxy/x'))).toBe(false);
    expect(isConnect(info('POST', '/apis/example.com/v1/namespaces/d/pods/p/exec'))).toBe(false);
  });

  test.each([
    ['GET', '/api/v1/nodes/n1/proxy/metrics', ['nodes-proxy']],
    ['PATCH', '/api/v1/namespaces/d/pods/p/ephemeralcontainers', ['pods-ephemeralcontainers']],
    ['POST', '/api/v1/namespaces/d/serviceaccounts/sa/token', ['serviceaccounts-token']],
    ['POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', ['rbac-escalation']],
    ['PUT', '/apis/rbac.authorization.k8s.io/v1/namespaces/d/roles/r', ['rbac-escalation']],
    ['PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval', ['csr-approval']],
    ['DELETE', '/api/v1/namespaces/d/configmaps', ['deletecollection']],
    ['GET', '/api/v1/secrets?watch=1', ['secrets']],
    ['DELETE', '/api/v1/namespaces/d/secrets', ['deletecollection', 'secrets']],
  ])('%s %s is privileged: %j', (method, target, reasons) => {
    const i = info(method, target);
    expect(privilegeReasons(i)).toEqual(reasons);
    expect(isPrivileged(i)).toBe(true);
  });

  test.each([
    ['GET', '/api/v1/namespaces/d/pods'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'],
    ['GET', '/api/v1/namespaces/d/configmaps/c'],
    ['GET', '/version'],
  ])('%s %s is not privileged', (method, target) => {
    expect(isPrivileged(info(method, target))).toBe(false);
  });

  test('server-side apply and PUT may create; other patches may not', () => {
    const patch = info('PATCH', '/api/v1/namespaces/d/configmaps/c');
    expect(mayCreate(patch, 'application/apply-patch+yaml')).toBe(true);
    expect(mayCreate(patch, 'application/apply-patch+cbor')).toBe(true);
    expect(mayCreate(patch, 'application/strategic-merge-patch+json')).toBe(false);
    expect(mayCreate(patch, 'application/merge-patch+json')).toBe(false);
    expect(mayCreate(patch, 'application/json-patch+json')).toBe(false);
    expect(mayCreate(info('PUT', '/api/v1/namespaces/d/configmaps/c'), 'application/json')).toBe(true);
    expect(mayCreate(info('POST', '/api/v1/namespaces/d/configmaps'), 'application/vnd.kubernetes.protobuf')).toBe(true);
    expect(mayCreate(info('GET', '/api/v1/namespaces/d/configmaps/c'), undefined)).toBe(false);
  });

  test('execCommand returns every command value in order', () => {
    expect(execCommand(canonical('POST', '/api/v1/namespaces/d/pods/p/exec?command=sh&stdin=true&command=-c&command=echo+hi'))).toEqual(['sh', '-c', 'echo hi']);
    expect(execCommand(canonical('POST', '/api/v1/namespaces/d/pods/p/attach?stdin=true'))).toEqual([]);
  });

  test('authzAttributes has the SubjectAccessReview shape', () => {
    expect(authzAttributes(info('GET', '/api/v1/namespaces/d/pods?labelSelector=app%3Dweb'))).toEqual({
      resourceAttributes: { namespace: 'd', verb: 'list', group: '', version: 'v1', resource: 'pods', subresource: '', name: '', labelSelector: { rawSelector: 'app=web' } },
    });
    expect(authzAttributes(info('POST', '/apis/apps/v1/namespaces/d/deployments/web/scale'))).toEqual({
      resourceAttributes: { namespace: 'd', verb: 'create', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale', name: 'web' },
    });
    expect(authzAttributes(info('GET', '/healthz'))).toEqual({ nonResourceAttributes: { path: '/healthz', verb: 'get' } });
  });
});
