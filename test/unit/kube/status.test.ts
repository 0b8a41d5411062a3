import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import { requestInfo, type RequestInfo } from '../../../src/kube/request-info.js';
import {
  badGateway, badRequest, forbidden, gatewayTimeout, goJson, goQuote, internalError, methodNotAllowed, notFound, notFoundPath,
  requestEntityTooLarge, serviceUnavailable, tooManyRequests, unauthorized,
} from '../../../src/kube/status.js';
import { forbidden as simForbidden } from '../../sim/kube/respond.js';

function info(method: string, target: string): RequestInfo {
  const result = canonicalizeRequest(method, target);
  if (!result.ok) throw new Error(result.reason);
  return requestInfo(result.request);
}

describe('Status bodies match the apiserver byte for byte', () => {
  // The literal bodies below are what kube-apiserver sends (docs/k8s-protocol.md §7; apimachinery errors.NewForbidden,
  // NewNotFound, NewUnauthorized, NewGenericServerResponse), including json.Encoder's trailing newline.
  test('forbidden in a namespace, with the broker rule message appended', () => {
    const response = forbidden(info('GET', '/api/v1/namespaces/default/pods/x'), 'u', '');
    expect(response.code).toBe(403);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(response.body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" is forbidden: User \\"u\\" cannot get resource \\"pods\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"name":"x","kind":"pods"},"code":403}\n',
    );
    const withRule = forbidden(info('GET', '/api/v1/namespaces/default/pods/x'), 'u', 'kgate rule no-prod-exec: exec in prod needs approval');
    expect(JSON.parse(withRule.body).message).toBe('pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "default": kgate rule no-prod-exec: exec in prod needs approval');
  });

  test('forbidden at the cluster scope', () => {
    expect(forbidden(info('GET', '/api/v1/namespaces'), 'system:anonymous', '').body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \\"system:anonymous\\" cannot list resource \\"namespaces\\" in API group \\"\\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403}\n',
    );
  });

  test('forbidden on a non-resource path', () => {
    expect(forbidden(info('GET', '/'), 'system:anonymous', '').body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"system:anonymous\\" cannot get path \\"/\\"","reason":"Forbidden","details":{},"code":403}\n',
    );
  });

  test('forbidden on a grouped subresource names group and subresource', () => {
    expect(forbidden(info('PATCH', '/apis/apps/v1/namespaces/d/deployments/web/scale'), 'alice', 'denied').body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" is forbidden: User \\"alice\\" cannot patch resource \\"deployments/scale\\" in API group \\"apps\\" in the namespace \\"d\\": denied","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403}\n',
    );
  });

  test('forbidden agrees with the simulated apiserver on every shape', () => {
    for (const [method, target] of [['GET', '/api/v1/namespaces/default/pods/x'], ['GET', '/api/v1/namespaces'], ['GET', '/healthz'], ['POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'], ['GET', '/api/v1/namespaces/d/pods/p/exec']] as const) {
      const i = info(method, target);
      const ours = JSON.parse(forbidden(i, 'kgate:grant-1', 'rule x').body);
      const sim = simForbidden({ ...i, user: { username: 'kgate:grant-1' }, resourceRequest: i.isResourceRequest }, 'rule x').toStatus();
      expect(ours).toEqual(sim);
    }
  });

  test('HTML-like text is sanitised like responsewriters and escaped like encoding/json', () => {
    const body = forbidden(info('GET', '/api/v1/namespaces/d/pods/x'), '<b>&', 'a<b').body;
    expect(body).toContain('User \\"\\u0026lt;b\\u0026gt;\\u0026amp;\\"');
    expect(body).toContain(': a\\u003cb"');
    expect(body).not.toMatch(/[<>&]/);
  });

  test('usernames are quoted like Go %q', () => {
    expect(goQuote('a"b\\c\nd\u0001é\u00a0')).toBe('"a\\"b\\\\c\\nd\\x01é\\u00a0"');
  });

  test('unauthorized', () => {
    expect(unauthorized().body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n');
  });

  test('not found: object and path', () => {
    expect(notFound('', 'pods', 'x').body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}\n');
    expect(notFound('apps', 'deployments', 'web').body).toContain('"message":"deployments.apps \\"web\\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"}');
    expect(notFoundPath().body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n');
  });

  test('the other errors', () => {
    expect(badRequest('the path contains ";"').body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the path contains \\";\\"","reason":"BadRequest","code":400}\n');
    expect(methodNotAllowed().body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}\n');
    expect(requestEntityTooLarge('limit is 3145728').body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}\n');
    expect(internalError('boom').body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}\n');
    expect(serviceUnavailable('the policy service is unreachable').body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the policy service is unreachable","reason":"ServiceUnavailable","code":503}\n');
    expect(badGateway('response could not be masked')).toEqual({
      code: 502, headers: { 'Content-Type': 'application/json' }, body: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"response could not be masked","code":502}\n',
    });
  });

  test('retry periods go into details and the Retry-After header', () => {
    const tooMany = tooManyRequests('too many requests, please try again later', 2);
    expect(tooMany.headers).toEqual({ 'Content-Type': 'application/json', 'Retry-After': '2' });
    expect(tooMany.body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too many requests, please try again later","reason":"TooManyRequests","details":{"retryAfterSeconds":2},"code":429}\n');
    const timeout = gatewayTimeout('request did not complete within requested timeout - context deadline exceeded');
    expect(timeout.headers['Retry-After']).toBeUndefined();
    expect(timeout.body).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within requested timeout - context deadline exceeded","reason":"Timeout","details":{},"code":504}\n');
  });

  test('goJson escapes what Go escapes', () => {
    expect(goJson({ a: '<>&\u2028\u2029"\n' })).toBe('{"a":"\\u003c\\u003e\\u0026\\u2028\\u2029\\"\\n"}\n');
  });
});
