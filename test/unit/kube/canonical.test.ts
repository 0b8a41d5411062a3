import { canonicalizeRequest, type CanonicalRequest } from '../../../src/kube/canonical.js';
import { requestInfo, type RequestInfo } from '../../../src/kube/request-info.js';
// The simulated apiserver's resolver implements Go's URL and RequestInfo semantics on the server
// side; it is the oracle for what the apiserver would see.
import { parseRequest } from '../../sim/kube/request-info.js';

function accept(method: string, target: string): CanonicalRequest {
  const result = canonicalizeRequest(method, target);
  if (!result.ok) throw new Error(`${method} ${target} refused: ${result.reason}`);
  return result.request;
}

function refusal(method: string, target: string): string {
  const result = canonicalizeRequest(method, target);
  if (result.ok) throw new Error(`${method} ${target} accepted as ${result.request.url}`);
  return result.reason;
}

type Attributes = Pick<RequestInfo, 'isResourceRequest' | 'verb' | 'apiGroup' | 'apiVersion' | 'namespace' | 'resource' | 'subresource' | 'name'>;
function attributes(info: Attributes): Attributes {
  const { isResourceRequest, verb, apiGroup, apiVersion, namespace, resource, subresource, name } = info;
  return { isResourceRequest, verb, apiGroup, apiVersion, namespace, resource, subresource, name };
}

describe('canonicalizeRequest accepts and re-serialises', () => {
  test.each([
    ['GET', '/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods'],
    ['GET', '/api/v1/namespaces/default/secrets/mysecret/', '/api/v1/namespaces/default/secrets/mysecret'],
    ['GET', '/apis/apps/v1/', '/apis/apps/v1'],
    ['GET', '/', '/'],
    ['GET', '/version?timeout=32s', '/version?timeout=32s'],
    ['GET', '/openapi/v3/apis/apps/v1?hash=ABC123', '/openapi/v3/apis/apps/v1?hash=ABC123'],
    ['GET', '/.well-known/openid-configuration', '/.well-known/openid-configuration'],
    ['GET', '/api/v1/pods?watch', '/api/v1/pods?watch='],
    ['GET', '/api/v1/pods?watch=true&&limit=500', '/api/v1/pods?watch=true&limit=500'],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Dfoo', '/api/v1/pods?fieldSelector=metadata.name%3Dfoo'],
    ['GET', '/api/v1/pods?labelSelector=app+in+(a,b)', '/api/v1/pods?labelSelector=app%20in%20(a,b)'],
    ['GET', '/api/v1/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb', '/api/v1/pods?labelSelector=app%3Dweb,tier!%3Ddb'],
    ['POST', '/api/v1/namespaces/d/pods/p/exec?command=sh&command=-c&command=echo+a%0Aecho+b&stdin=true', '/api/v1/namespaces/d/pods/p/exec?command=sh&command=-c&command=echo%20a%0Aecho%20b&stdin=true'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:admin', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:admin'],
    ['GET', '/api/v1/namespaces/ns/services/https:svc:443/proxy/x', '/api/v1/namespaces/ns/services/https:svc:443/proxy/x'],
    // Proxy paths: escapes allowed after `proxy`, decoded `/` becomes a real separator (as Go sees it), trailing slash kept.
    ['GET', '/api/v1/namespaces/ns/pods/web:8080/proxy/a%20b/c%2Fd/', '/api/v1/namespaces/ns/pods/web:8080/proxy/a%20b/c/d/'],
    ['GET', '/api/v1/nodes/n1/proxy/', '/api/v1/nodes/n1/proxy/'],
    ['OPTIONS', '/api', '/api'],
  ])('%s %s → %s', (method, target, url) => {
    expect(accept(method, target).url).toBe(url);
  });

  test('the query keeps every value of list keys in order and decodes + as space', () => {
    const c = accept('GET', '/api/v1/namespaces/d/pods/p/exec?command=ls&command=-l&command=a+b&container=c');
    expect(c.query.get('command')).toEqual(['ls', '-l', 'a b']);
    expect(c.query.get('container')).toEqual(['c']);
    expect(c.queryPairs).toEqual([['command', 'ls'], ['command', '-l'], ['command', 'a b'], ['container', 'c']]);
  });

  test('segments are decoded', () => {
    expect(accept('GET', '/api/v1/namespaces/n/pods/p/proxy/%C3%A9t%C3%A9').segments).toEqual(['api', 'v1', 'namespaces', 'n', 'pods', 'p', 'proxy', 'été']);
  });
});

describe('canonicalizeRequest refuses the §1.3 differentials', () => {
  test.each([
    // Each of these reads differently in Go and in a JavaScript URL parser.
    ['GET', '/api/v1/namespaces/default/secrets%2Fmysecret', /percent-encoding/],
    ['GET', '/api/v1/namespaces/default/%73ecrets/x', /percent-encoding/],
    ['GET', '/api/v1/namespaces/default/pods/x/%2e%2e/%2e%2e/secrets', /"\." or "\.\."/],
    ['GET', '/api/v1/namespaces/default/pods/x/../../secrets', /"\." or "\.\."/],
    ['GET', '/api/v1/namespaces/./pods', /"\." or "\.\."/],
    ['GET', '/api\\v1\\namespaces\\default\\secrets', /"\\"/],
    ['GET', '//api/v1/pods', /starts with "\/\/"/],
    ['GET', '/api/v1/namespaces//pods', /empty segment/],
    ['GET', '/api/v1/pods//', /empty segment/],
    ['GET', '/api/v1/pods?watch=1;x=2', /";"/],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Da;b', /";"/],
    ['GET', '/api/v1/pods;x=1', /";"/],
    ['GET', '/api/v1/pods?watch=false&watch=true', /"watch" is given more than once/],
    ['GET', '/api/v1/pods?labelSelector=a&labelSelector=b', /"labelSelector" is given more than once/],
    ['GET', '/api/v1/pods?fieldSelector=a%3Db&fieldSelector=c%3Dd', /more than once/],
    ['POST', '/api/v1/namespaces/d/pods/p/exec?command=ls&container=a&container=b', /"container" is given more than once/],
    ['GET', 'http://host/api/v1/pods', /origin-form/],
    ['GET', 'https://example.test:443/api/v1/namespaces/a/pods', /origin-form/],
    ['OPTIONS', '*', /asterisk-form/],
    ['get', '/api/v1/pods', /method "get"/],
    ['CONNECT', '/api/v1/pods', /method/],
    ['TRACE', '/api/v1/pods', /method/],
    ['GET', '/api/v1/pods#frag', /"#"/],
    ['GET', '/api/v1/pods?x=%zz', /malformed percent-escape/],
    ['GET', '/api/v1/pods/%zz', /percent-encoding|malformed/],
    ['GET', '/api/v1/pods?x=%00', /NUL/],
    ['GET', '/api/v1/namespaces/n/pods/p/proxy/a%00b', /control character/],
    ['GET', '/api/v1/namespaces/n/pods/p/proxy/%2e%2e/x', /"\." or "\.\."/],
    ['GET', '/api/v1/nodes/n1/proxy/metrics/../run', /"\." or "\.\."/],
    ['GET', '/api/v1/nodes/n1/proxy/metrics%2F..%2Frun', /"\." or "\.\."/],
    ['GET', '/api/v1/nodes/n1/proxy/a%2F%2Fb', /empty segment/],
    ['GET', '/api/v1/pods\u0000', /control character/],
    ['GET', '/api/v1/pods\t', /control character/],
    ['GET', '/api/v1/pods é', /space/],
    ['GET', '/api/v1/podsé', /non-ASCII/],
    ['GET', '/api/v1/namespaces/Default/pods', /invalid namespace/],
    ['GET', '/api/v1/namespaces/a_b/pods', /invalid namespace/],
    ['GET', '/apis/Apps/v1/deployments', /invalid API group/],
    ['GET', '/apis/apps/V1/deployments', /invalid API version/],
    ['GET', '/api/v1/Pods', /invalid resource/],
    ['GET', '/api/v1/namespaces/d/pods/a$b', /invalid name/],
    ['GET', '/api/v1/namespaces/d/pods/x/Exec', /invalid subresource/],
    ['GET', '/api/v1/namespaces/d/pods/x/exec/more', /continues after the subresource/],
    ['GET', '/api/v1/proxy/namespaces/ns/pods/p', /legacy \/proxy\//],
    ['GET', '/api/v1/watch/namespaces/d/pods/x/status', /does not take a subresource/],
    ['GET', '/api/v1/watch', /prefix without a resource/],
    ['GET', '/api/v1/foo{bar}', /must be percent-encoded/],
  ])('%s %j', (method, target, reason) => {
    expect(refusal(method, target)).toMatch(reason);
  });

  test('over-long targets are refused, and the limit can be set', () => {
    const long = '/api/v1/pods?labelSelector=' + 'a'.repeat(20_000);
    expect(refusal('GET', long)).toMatch(/longer than 16384/);
    expect(canonicalizeRequest('GET', '/api/v1/pods?x=' + 'a'.repeat(100), { maxUrlLength: 50 })).toEqual({ ok: false, reason: 'the request target is longer than 50 characters' });
  });
});

describe('what the policy sees is what the apiserver sees', () => {
  // §1.1 worked examples: canonical RequestInfo equals the Go resolver on the ORIGINAL target.
  test.each([
    ['GET', '/api/v1/namespaces/default/pods'],
    ['GET', '/api/v1/namespaces/default/pods?watch=1'],
    ['GET', '/api/v1/pods?watch=true&fieldSelector=metadata.name%3Dfoo'],
    ['GET', '/api/v1/watch/namespaces/default/pods/foo'],
    ['GET', '/api/v1/namespaces/default/pods/foo?watch=true'],
    ['DELETE', '/api/v1/namespaces/default/pods'],
    ['POST', '/api/v1/namespaces/default/pods'],
    ['POST', '/api/v1/namespaces/default/pods/foo/exec?command=sh'],
    ['GET', '/api/v1/namespaces/default/pods/foo/exec?command=sh'],
    ['GET', '/api/v1/namespaces/default/pods/foo/log?follow=true'],
    ['PATCH', '/api/v1/namespaces/default/pods/foo/ephemeralcontainers'],
    ['POST', '/api/v1/namespaces/default/serviceaccounts/sa/token'],
    ['GET', '/api/v1/nodes/n1/proxy/metrics'],
    ['GET', '/api/v1/namespaces/ns/services/https:svc:443/proxy/x'],
    ['GET', '/apis/apps/v1'],
    ['GET', '/api'],
    ['GET', '/version'],
    ['GET', '/openapi/v3'],
    ['HEAD', '/api/v1/namespaces/default/secrets/x'],
    ['HEAD', '/openapi/v3'],
    ['GET', '/api/v1/namespaces/foo'],
    ['PUT', '/api/v1/namespaces/foo/status'],
    ['PUT', '/api/v1/namespaces/foo/finalize'],
    ['GET', '/api/v1/namespaces/default/secrets/mysecret/'],
    ['GET', '/api/v1/pods?watch='],
    ['GET', '/api/v1/pods?watch'],
    ['GET', '/api/v1/pods?watch=FALSE'],
    ['GET', '/api/v1/pods?watch=0'],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3D%3Dfoo'],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dfoo'],
    ['GET', '/api/v1/pods?limit=abc&watch=1&fieldSelector=metadata.name%3Dfoo'],
  ])('%s %s', (method, target) => {
    const c = accept(method, target);
    const ours = requestInfo(c);
    expect(attributes(ours)).toEqual(attributes(parseRequest(method, target).info));
    expect(attributes(ours)).toEqual(attributes(parseRequest(method, c.url).info));
  });
});

// A seeded generator of hostile request targets: the same cases on every run.
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GROUPS = ['apps', 'rbac.authorization.k8s.io', 'certificates.k8s.io', 'Apps', 'a..b'];
const NAMESPACES = ['default', 'kube-system', 'x', '', 'Default', '-x', 'ns_1'];
const RESOURCES = ['pods', 'secrets', 'nodes', 'namespaces', 'serviceaccounts', 'deployments', 'clusterroles', 'Pods', 'status'];
const NAMES = ['x', 'foo', 'n1', 'system:admin', 'https:svc:443', 'web-1', 'a.b', 'status', 'finalize', 'proxy', 'watch'];
const SUBRESOURCES = ['status', 'exec', 'log', 'proxy', 'token', 'finalize', 'ephemeralcontainers', 'approval'];
const TAIL = ['metrics', 'a%20b', 'c%2Fd', '%2e%2e', '..', '', 'x%3By', '%C3%A9', 'run', 'p%2F..', '%zz'];
const HOSTILE = ['', '.', '..', '%2e', '%2E%2e', '%2F', '%73ecrets', 'a;b', ';', '%', '%zz', 'a%20b', 'p%2Fq', '+', 'a{b}'];
const NON_RESOURCE = ['/', '/api', '/apis', '/api/v1', '/apis/apps', '/apis/apps/v1', '/version', '/openapi/v3', '/healthz', '/.well-known/openid-configuration'];
const QUERY = [
  'watch=1', 'watch=', 'watch', 'watch=false', 'watch=0', 'watch=FALSE', 'watch=yes', 'fieldSelector=metadata.name%3Dfoo',
  'fieldSelector=metadata.name%3D%3Dbar', 'fieldSelector=metadata.name%3Da%2Fb', 'fieldSelector=metadata.name%3Da;b', 'fieldSelector=a%3Db%3Dc',
  'fieldSelector=metadata.name%21%3Dx', 'labelSelector=app%3Dx', 'labelSelector=app+in+(a,b)', 'labelSelector=!x', 'labelSelector=%3D%3D',
  'limit=abc', 'limit=500', 'timeoutSeconds=32', 'timeoutSeconds=x', 'a=1;b=2', 'command=ls', 'command=-l', 'x=%zz', '+=+', '', 'container=c',
  'dryRun=All', 'x=%00', 'q=%2B%26%3D', 'k', 'resourceVersion=0',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'get'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function apiSegments(random: () => number): string[] {
  const segments = random() < 0.5 ? ['api', 'v1'] : ['apis', pick(random, GROUPS), random() < 0.9 ? 'v1' : 'V1'];
  if (random() < 0.15) segments.push(random() < 0.8 ? 'watch' : 'proxy');
  if (random() < 0.6) segments.push('namespaces', pick(random, NAMESPACES));
  if (random() < 0.9) segments.push(pick(random, RESOURCES));
  if (random() < 0.6) segments.push(pick(random, NAMES));
  if (random() < 0.4) segments.push(pick(random, SUBRESOURCES));
  while (random() < 0.3) segments.push(pick(random, TAIL));
  return segments;
}

function mutate(random: () => number, segments: string[]): string[] {
  const out = [...segments];
  if (out.length > 0 && random() < 0.3) out[Math.floor(random() * out.length)] = pick(random, HOSTILE);
  if (out.length > 0 && random() < 0.1) {
    const i = Math.floor(random() * out.length);
    const segment = out[i]!;
    // Percent-encode one character of a segment, the classic %73ecrets trick.
    const j = Math.floor(random() * segment.length);
    if (segment.length > 0) out[i] = segment.slice(0, j) + '%' + segment.charCodeAt(j).toString(16).padStart(2, '0') + segment.slice(j + 1);
  }
  return out;
}

function randomTarget(random: () => number): [string, string] {
  let path: string;
  if (random() < 0.15) path = pick(random, NON_RESOURCE);
  else path = mutate(random, apiSegments(random)).map((s) => (random() < 0.03 ? '/' : '') + '/' + s).join('');
  if (random() < 0.15) path += random() < 0.2 ? '//' : '/';
  const pairs = Array.from({ length: random() < 0.4 ? 0 : 1 + Math.floor(random() * 3) }, () => pick(random, QUERY));
  const target = pairs.length > 0 || random() < 0.05 ? `${path}?${pairs.join('&')}` : path;
  return [pick(random, METHODS), target];
}

describe('properties over generated targets', () => {
  const random = generator(20261126);
  const cases = Array.from({ length: 6000 }, () => randomTarget(random));
  const accepted = cases.filter(([m, t]) => canonicalizeRequest(m, t).ok);

  test('a meaningful share of the generated targets is accepted and refused', () => {
    expect(accepted.length).toBeGreaterThan(1200);
    expect(cases.length - accepted.length).toBeGreaterThan(1200);
    const resourceRequests = accepted.map(([m, t]) => requestInfo(accept(m, t))).filter((i) => i.isResourceRequest);
    expect(resourceRequests.length).toBeGreaterThan(500);
    for (const verb of ['list', 'watch', 'get', 'create', 'deletecollection', 'delete', 'patch', 'update']) {
      expect({ verb, present: resourceRequests.some((i) => i.verb === verb) }).toEqual({ verb, present: true });
    }
    expect(resourceRequests.some((i) => i.subresource === 'proxy' && i.parts.length > 3)).toBe(true);
    expect(resourceRequests.some((i) => i.verb === 'list' && i.name !== '')).toBe(true);
  });

  test('canonicalisation is idempotent', () => {
    for (const [method, target] of accepted) {
      const first = accept(method, target);
      expect({ target, again: canonicalizeRequest(method, first.url) }).toEqual({ target, again: { ok: true, request: first } });
    }
  });

  test('RequestInfo equals the Go resolver on the canonical URL and on the original target', () => {
    for (const [method, target] of accepted) {
      const c = accept(method, target);
      const ours = requestInfo(c);
      const onCanonical = parseRequest(method, c.url).info;
      expect({ target, info: { ...attributes(ours), path: ours.path, parts: ours.parts } }).toEqual({ target, info: { ...attributes(onCanonical), path: onCanonical.path, parts: onCanonical.parts } });
      expect({ target, info: attributes(ours) }).toEqual({ target, info: attributes(parseRequest(method, target).info) });
    }
  });

  test('the canonical query reads the same under Go query parsing', () => {
    for (const [method, target] of accepted) {
      const c = accept(method, target);
      const goQuery = parseRequest(method, c.url).query;
      expect([...goQuery.entries()]).toEqual(c.queryPairs.map(([k, v]) => [k, v]));
    }
  });
});
