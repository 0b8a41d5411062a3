import { goBool, parseGoQuery, parseRequest } from '../../../sim/kube/request-info.js';
import { StatusError } from '../../../sim/kube/types.js';

type Row = [method: string, target: string, expected: { verb: string; ns?: string; resource?: string; sub?: string; name?: string; group?: string; resourceRequest?: boolean }];

// §1.1 worked examples and §1.3 parser differentials of docs/k8s-protocol.md.
const rows: Row[] = [
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
  ['GET', '/api/v1/proxy/namespaces/ns/pods/p', { verb: 'proxy', ns: 'ns', resource: 'pods', name: 'p' }],
  ['GET', '/api/v1/namespaces/foo', { verb: 'get', ns: 'foo', resource: 'namespaces', name: 'foo' }],
  ['PUT', '/api/v1/namespaces/foo/status', { verb: 'update', ns: 'foo', resource: 'namespaces', sub: 'status', name: 'foo' }],
  ['PUT', '/api/v1/namespaces/foo/finalize', { verb: 'update', ns: 'foo', resource: 'namespaces', sub: 'finalize', name: 'foo' }],
  ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:admin', { verb: 'get', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'system:admin' }],
  ['HEAD', '/api/v1/namespaces/default/secrets/x', { verb: 'get', ns: 'default', resource: 'secrets', name: 'x' }],
  ['GET', '/apis/apps/v1', { verb: 'get', resourceRequest: false }],
  ['GET', '/api', { verb: 'get', resourceRequest: false }],
  ['GET', '/version', { verb: 'get', resourceRequest: false }],
  ['HEAD', '/openapi/v3', { verb: 'head', resourceRequest: false }],
  // §1.3 differentials: Go decodes the path, trims slashes, keeps dot segments and backslashes.
  ['GET', '/api/v1/namespaces/default/secrets/mysecret/', { verb: 'get', ns: 'default', resource: 'secrets', name: 'mysecret' }],
  ['GET', '/api/v1/namespaces/default/secrets%2Fmysecret', { verb: 'get', ns: 'default', resource: 'secrets', name: 'mysecret' }],
  ['GET', '/api/v1/namespaces/default/%73ecrets/x', { verb: 'get', ns: 'default', resource: 'secrets', name: 'x' }],
  ['GET', '/api/v1/namespaces/default/pods/x/%2e%2e/%2e%2e/secrets', { verb: 'get', ns: 'default', resource: 'pods', sub: '..', name: 'x' }],
  ['GET', '/api\\v1\\namespaces\\default\\secrets', { verb: 'get', resourceRequest: false }],
  ['GET', '//api/v1/pods', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/namespaces//pods', { verb: 'list', ns: '', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=1;x=2', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da;b', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=false&watch=true', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=FALSE', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?watch=0', { verb: 'list', resource: 'pods' }],
  ['GET', 'https://example.test:443/api/v1/namespaces/a/pods', { verb: 'list', ns: 'a', resource: 'pods' }],
  // A name from a field selector must be a valid path segment; a bad limit resets options but watch still counts.
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3D%3Dfoo', { verb: 'list', resource: 'pods', name: 'foo' }],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dfoo', { verb: 'list', resource: 'pods' }],
  ['GET', '/api/v1/pods?limit=abc&watch=1&fieldSelector=metadata.name%3Dfoo', { verb: 'watch', resource: 'pods' }],
];

describe('RequestInfo', () => {
  test.each(rows)('%s %s', (method, target, want) => {
    const { info } = parseRequest(method, target);
    expect({
      verb: info.verb, ns: info.namespace, resource: info.resource, sub: info.subresource, name: info.name,
      group: info.apiGroup, resourceRequest: info.isResourceRequest,
    }).toEqual({ ns: '', resource: '', sub: '', name: '', group: '', resourceRequest: true, ...want });
  });

  test('the decoded path is kept as Go URL.Path', () => {
    expect(parseRequest('GET', '/api/v1/namespaces/default/secrets%2Fmysecret?x=1').info.path).toBe('/api/v1/namespaces/default/secrets/mysecret');
  });

  test('a malformed percent escape is a 400 Status', () => {
    const caught = (() => {
      try {
        parseRequest('GET', '/api/v1/namespaces/%zz/pods');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(caught).toBeInstanceOf(StatusError);
    expect(caught).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  test('a special verb without a resource is an error, as in NewRequestInfo', () => {
    expect(() => parseRequest('GET', '/api/v1/watch')).toThrow(/unable to determine kind and namespace/);
  });
});

describe('Go query semantics', () => {
  test('pairs with a semicolon and bad escapes are dropped; + is a space; order kept', () => {
    const q = parseGoQuery('a=1;b=2&c=%zz&d=x+y&e=%2B&e=2&&f');
    expect([...q.entries()]).toEqual([['d', 'x y'], ['e', '+'], ['e', '2'], ['f', '']]);
  });

  test('bools take the first value and only 0/false are false', () => {
    expect(goBool(parseGoQuery('w='), 'w')).toBe(true);
    expect(goBool(parseGoQuery('w=False&w=1'), 'w')).toBe(false);
    expect(goBool(parseGoQuery('w=no'), 'w')).toBe(true);
    expect(goBool(parseGoQuery(''), 'w')).toBeUndefined();
  });
});
