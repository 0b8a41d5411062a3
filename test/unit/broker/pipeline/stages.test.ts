import { canonicalStage } from '../../../../src/broker/pipeline/canonicalize.js';
import { classifyRequest, hasRequestBody, unreadableBodyRefusal } from '../../../../src/broker/pipeline/classify.js';
import { decideGuardrails, guardrailRefusal, requestAttributes } from '../../../../src/broker/pipeline/decide.js';
import { planMasking, streamsImmediately } from '../../../../src/broker/pipeline/mask-plan.js';
import { responseHeaders } from '../../../../src/broker/pipeline/respond.js';
import { upstreamHeaders } from '../../../../src/broker/pipeline/rewrite.js';
import { parseAccessReview, refusedReview } from '../../../../src/broker/pipeline/access-review.js';
import { createTokenSource } from '../../../../src/broker/pipeline/token.js';
import type { GuardrailRule, MaskingConfig, Principal } from '../../../../src/policy/types.js';

const masking: MaskingConfig = { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [], exemptGroups: [] };
const principal: Principal = { issuer: 'i', subject: 's', name: 'alice', type: 'human', groups: [], claims: {} };
const rules: GuardrailRule[] = [
  { name: 'no-ns-delete', match: { verbs: ['delete'], resources: ['namespaces'] }, effect: 'deny', message: 'use change management' },
  { name: 'prod-exec', match: { resources: ['pods/exec'], namespaces: ['prod'] }, effect: 'approve', message: 'needs a second person' },
];

function classified(method: string, url: string, headers = {}) {
  const c = canonicalStage(method, url);
  if (!c.ok) throw new Error(c.reason);
  return classifyRequest(c.request, headers);
}

describe('canonicalStage', () => {
  test('forwards only the canonical URL', () => {
    const c = canonicalStage('GET', '/api/v1/namespaces/default/pods?limit=500');
    expect(c.ok && c.request.url).toBe('/api/v1/namespaces/default/pods?limit=500');
  });
  test.each(['/api/v1/namespaces/default/pods/x/%2e%2e/%2e%2e/secrets', '/api/v1/namespaces/default/pods/../secrets', 'http://evil/api', '/api/v1//secrets'])('refuses %s with a 400 Status', (url) => {
    const c = canonicalStage('GET', url);
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.refusal.code).toBe(400);
      expect(JSON.parse(c.refusal.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    }
  });
});

describe('classifyRequest', () => {
  test('routes pod connects, access reviews and the rest', () => {
    expect(classified('GET', '/api/v1/namespaces/prod/pods/web/exec?command=sh&stdout=true').route).toBe('connect');
    expect(classified('GET', '/api/v1/namespaces/prod/pods/web/exec?command=ls&command=-l').command).toEqual(['ls', '-l']);
    expect(classified('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').route).toBe('self-subject-access-review');
    expect(classified('GET', '/api/v1/secrets').route).toBe('forward');
  });
  test('refuses compressed request bodies and detects bodies', () => {
    expect(unreadableBodyRefusal({ 'content-encoding': 'gzip' })?.code).toBe(415);
    expect(unreadableBodyRefusal({})).toBeUndefined();
    expect(hasRequestBody({ 'content-length': '0' })).toBe(false);
    expect(hasRequestBody({ 'content-length': '12' })).toBe(true);
    expect(hasRequestBody({ 'transfer-encoding': 'chunked' })).toBe(true);
  });
});

describe('guardrails', () => {
  const decide = (method: string, url: string) => {
    const c = classified(method, url);
    return { c, decision: decideGuardrails(rules, masking, principal, 'sim', requestAttributes(c.info, c.command)) };
  };
  test('deny becomes a Forbidden naming the rule', () => {
    const { c, decision } = decide('DELETE', '/api/v1/namespaces/staging');
    const refusal = guardrailRefusal(c.info, 'alice', decision)!;
    expect(refusal.code).toBe(403);
    expect(JSON.parse(refusal.body).message).toBe('namespaces "staging" is forbidden: User "alice" cannot delete resource "namespaces" in API group "" in the namespace "staging": no-ns-delete: use change management');
  });
  test('approve is refused and says approval is not available yet', () => {
    const { c, decision } = decide('GET', '/api/v1/namespaces/prod/pods/web/exec?command=sh');
    expect(decision.effect).toBe('approve');
    const message = JSON.parse(guardrailRefusal(c.info, 'alice', decision)!.body).message as string;
    expect(message).toContain('prod-exec: needs a second person');
    expect(message).toContain('this broker has no approval service to ask, so it is refused');
  });
  test('allow passes', () => {
    const { c, decision } = decide('GET', '/api/v1/namespaces/staging/pods/web/exec?command=sh');
    expect(guardrailRefusal(c.info, 'alice', decision)).toBeUndefined();
  });
});

describe('planMasking', () => {
  const ok = { method: 'GET', statusCode: 200, contentType: 'application/json' };
  test.each([
    ['watch', ok, 'watch'],
    ['list', ok, 'list'],
    ['get', ok, 'object'],
    ['watch', { ...ok, statusCode: 410 }, 'object'],
    ['get', { ...ok, contentType: 'text/plain; charset=utf-8' }, 'text'],
    ['get', { ...ok, contentEncoding: 'gzip' }, 'refuse'],
    ['get', { ...ok, contentType: 'application/vnd.kubernetes.protobuf' }, 'refuse'],
    ['get', { ...ok, method: 'HEAD' }, 'none'],
    ['delete', { ...ok, statusCode: 204 }, 'none'],
  ] as const)('%s %j → %s', (verb, shape, kind) => {
    expect(planMasking({ verb }, shape).kind).toBe(kind);
  });
  test('only watches and text stream before the first byte', () => {
    expect(streamsImmediately({ kind: 'watch' })).toBe(true);
    expect(streamsImmediately({ kind: 'list' })).toBe(false);
  });
});

describe('headers', () => {
  test('upstream headers drop identity and add the grant credential', () => {
    const h = upstreamHeaders({ authorization: 'Bearer session', 'impersonate-user': 'root', 'accept-encoding': 'gzip', accept: 'application/vnd.kubernetes.protobuf', 'content-length': '5' }, 'grant', 'audit-1');
    expect(h).toEqual({ accept: 'application/json', authorization: 'Bearer grant', 'audit-id': 'audit-1', 'content-length': '5' });
  });
  test('response headers: safe ones, no stale length, masking warning', () => {
    const h = responseHeaders({ 'content-type': 'application/json', 'content-length': '10', 'set-cookie': 'x', 'audit-id': 'theirs' }, { auditId: 'ours', unchanged: false, maskedCount: 2 });
    expect(h).toEqual({ 'content-type': 'application/json', 'audit-id': 'ours', warning: ['299 - "kgate masked 2 secret values in this response"'] });
    expect(responseHeaders({ 'content-length': '10' }, { auditId: 'a', unchanged: true })['content-length']).toBe('10');
  });
});

describe('access reviews', () => {
  test('reads JSON reviews and answers refusals apiserver-shaped', () => {
    const body = Buffer.from(JSON.stringify({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { resourceAttributes: { verb: 'delete', resource: 'namespaces' } } }));
    const parsed = parseAccessReview(body, 'application/json');
    expect(parsed.ok && parsed.attributes).toEqual({ verb: 'delete', apiGroup: '', resource: 'namespaces', subresource: '', namespace: '', name: '' });
    if (parsed.ok) expect(refusedReview(parsed.review, 'authorization.k8s.io/v1', 'r: m')).toMatchObject({ status: { allowed: false, denied: true, reason: 'r: m' } });
  });
  test('refuses unreadable reviews', () => {
    expect(parseAccessReview(Buffer.from('{'), 'application/json').ok).toBe(false);
    expect(parseAccessReview(Buffer.from('{"spec":{}}'), 'application/json').ok).toBe(false);
    expect(parseAccessReview(Buffer.from([0x6b, 0x38, 0x73, 0, 1]), 'application/vnd.kubernetes.protobuf').ok).toBe(false);
  });
});

describe('token source', () => {
  test('reuses a token until near expiry and refreshes once for concurrent callers', async () => {
    let t = 0;
    let calls = 0;
    const source = createTokenSource(async () => ({ token: `t${++calls}`, expiresAt: t + 60_000 }), () => t);
    expect(await source.current()).toBe('t1');
    expect(await source.current()).toBe('t1');
    t = 40_000;
    expect(await source.current()).toBe('t2');
    const [a, b] = await Promise.all([source.refresh(), source.refresh()]);
    expect([a, b]).toEqual(['t3', 't3']);
  });
});
