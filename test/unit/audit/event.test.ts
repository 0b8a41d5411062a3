import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import { requestInfo } from '../../../src/kube/request-info.js';
import { buildAuditEvent, microTime, objectRefOf, truncateUserAgent, type AuditEventInput } from '../../../src/audit/event.js';

function infoOf(method: string, target: string) {
  const result = canonicalizeRequest(method, target);
  if (!result.ok) throw new Error(result.reason);
  return requestInfo(result.request);
}

const kgate = { principal: 'https://idp.example#alice', principalType: 'human', issuer: 'https://idp.example', decision: 'allow' } as const;

function input(over: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    auditID: '5f0c2e3a-8d3b-4b6e-9a41-0c1d2e3f4a5b',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods?limit=500',
    verb: 'list',
    user: { username: 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['127.0.0.1'],
    userAgent: 'kubectl/v1.32.4 (linux/amd64) kubernetes/abc',
    objectRef: objectRefOf(infoOf('GET', '/api/v1/namespaces/default/pods?limit=500')),
    responseStatus: { code: 200 },
    requestReceivedAt: Date.UTC(2026, 0, 1),
    stageAt: Date.UTC(2026, 0, 1) + 12.345,
    kgate,
    ...over,
  };
}

describe('buildAuditEvent', () => {
  test('is shaped like the apiserver event of docs/k8s-protocol.md §8, field for field and in Go field order', () => {
    const event = buildAuditEvent(input({ annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' } }));
    const apiserver = JSON.parse(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5f0c2e3a-8d3b-4b6e-9a41-0c1d2e3f4a5b","stage":"ResponseComplete",
      "requestURI":"/api/v1/namespaces/default/pods?limit=500","verb":"list",
      "user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["127.0.0.1"],
      "userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/abc","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},
      "responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-01-01T00:00:00.000000Z",
      "stageTimestamp":"2026-01-01T00:00:00.012345Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`);
    const { annotations, ...rest } = event;
    const { annotations: expectedAnnotations, ...expectedRest } = apiserver as typeof event;
    expect(JSON.stringify(rest)).toBe(JSON.stringify(expectedRest));
    expect(annotations).toEqual({
      ...expectedAnnotations,
      'kgate.dev/principal': 'https://idp.example#alice',
      'kgate.dev/principal-type': 'human',
      'kgate.dev/issuer': 'https://idp.example',
      'kgate.dev/decision': 'allow',
    });
  });

  test('carries every kgate fact as a kgate.dev annotation, values as strings', () => {
    const event = buildAuditEvent(input({
      kgate: { ...kgate, principalType: 'workload', grant: 'g1', cluster: 'kgate-sim', policyRule: 'no-prod-exec', decision: 'approve', approvalId: 'a1', maskedFields: 3, recordingId: 'r1' },
      annotations: { 'kgate.dev/decision': 'forged' },
    }));
    expect(event.annotations).toEqual({
      'kgate.dev/principal': 'https://idp.example#alice', 'kgate.dev/principal-type': 'workload', 'kgate.dev/issuer': 'https://idp.example',
      'kgate.dev/decision': 'approve', 'kgate.dev/grant': 'g1', 'kgate.dev/cluster': 'kgate-sim', 'kgate.dev/policy-rule': 'no-prod-exec',
      'kgate.dev/approval': 'a1', 'kgate.dev/masked-fields': '3', 'kgate.dev/recording-id': 'r1',
    });
  });

  test('a failure carries the bounded Status fields in Go order', () => {
    const event = buildAuditEvent(input({ responseStatus: { code: 403, status: 'Failure', reason: 'Forbidden', message: 'pods is forbidden' } }));
    expect(JSON.stringify(event.responseStatus)).toBe('{"metadata":{},"status":"Failure","message":"pods is forbidden","reason":"Forbidden","code":403}');
  });

  test('objectRef follows RequestInfo: core group left out, named, subresource; none for non-resource URLs', () => {
    expect(objectRefOf(infoOf('POST', '/api/v1/namespaces/prod/pods/web/exec?command=sh'))).toEqual({ resource: 'pods', namespace: 'prod', name: 'web', apiVersion: 'v1', subresource: 'exec' });
    expect(JSON.stringify(objectRefOf(infoOf('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x')))).toBe(
      '{"resource":"clusterrolebindings","name":"x","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}',
    );
    expect(objectRefOf(infoOf('GET', '/version'))).toBeUndefined();
    const nonResource = buildAuditEvent(input({ requestURI: '/version', verb: 'get', objectRef: undefined, level: 'RequestResponse', responseObject: { major: '1' } }));
    expect(nonResource).not.toHaveProperty('objectRef');
    expect(nonResource).not.toHaveProperty('responseObject');
    expect(nonResource.level).toBe('Metadata');
  });

  test('never keeps bodies of secrets, configmaps or token requests, whatever level is asked', () => {
    for (const objectRef of [{ resource: 'secrets', namespace: 'a', name: 's', apiVersion: 'v1' }, { resource: 'configmaps', apiVersion: 'v1' }, { resource: 'serviceaccounts', subresource: 'token', name: 'x', apiVersion: 'v1' }]) {
      const event = buildAuditEvent(input({ objectRef, level: 'RequestResponse', requestObject: { data: { a: 'c2VjcmV0' } }, responseObject: { data: { a: 'c2VjcmV0' } } }));
      expect(event.level).toBe('Metadata');
      expect(JSON.stringify(event)).not.toContain('c2VjcmV0');
    }
    const pods = buildAuditEvent(input({ level: 'RequestResponse', requestObject: { kind: 'Pod' }, responseObject: { kind: 'PodList' } }));
    expect(pods).toMatchObject({ level: 'RequestResponse', requestObject: { kind: 'Pod' }, responseObject: { kind: 'PodList' } });
    const request = buildAuditEvent(input({ level: 'Request', requestObject: { kind: 'Pod' }, responseObject: { kind: 'PodList' } }));
    expect(request).toHaveProperty('requestObject');
    expect(request).not.toHaveProperty('responseObject');
    expect(buildAuditEvent(input({ requestObject: { kind: 'Pod' } }))).not.toHaveProperty('requestObject');
  });

  test('MicroTime is RFC 3339 UTC with exactly six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 5, 7, 8, 9, 10, 11))).toBe('2026-06-07T08:09:10.011000Z');
    expect(microTime(Date.UTC(2026, 0, 1) + 0.001)).toBe('2026-01-01T00:00:00.000001Z');
    expect(microTime(Date.UTC(2026, 0, 1) + 999.9996)).toBe('2026-01-01T00:00:01.000000Z');
    expect(microTime(new Date('2026-01-01T00:00:00.5Z'))).toBe('2026-01-01T00:00:00.500000Z');
    expect(buildAuditEvent(input()).stageTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('User-Agent is cut at 1024 bytes plus "...TRUNCATED", never inside a character', () => {
    expect(truncateUserAgent('a'.repeat(1024))).toBe('a'.repeat(1024));
    expect(truncateUserAgent('a'.repeat(1025))).toBe(`${'a'.repeat(1024)}...TRUNCATED`);
    const cut = truncateUserAgent(`${'a'.repeat(1023)}é${'b'.repeat(10)}`);
    expect(cut).toBe(`${'a'.repeat(1023)}...TRUNCATED`);
    expect(buildAuditEvent(input({ userAgent: 'x'.repeat(5000) })).userAgent).toHaveLength(1024 + '...TRUNCATED'.length);
  });

  test('empty optional fields are left out, as Go omitempty does', () => {
    const event = buildAuditEvent(input({ sourceIPs: [], userAgent: '', user: { username: 'u', groups: [], extra: {} }, responseStatus: undefined }));
    expect(Object.keys(event)).toEqual(['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'objectRef', 'requestReceivedTimestamp', 'stageTimestamp', 'annotations']);
    expect(event.user).toEqual({ username: 'u' });
  });
});
