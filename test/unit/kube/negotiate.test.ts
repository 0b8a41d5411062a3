import { hopHeadersToStrip, isUpgradeRequest, sanitizeRequestHeaders } from '../../../src/kube/headers.js';
import { classifyContentType, isWatchRequest, rewriteAccept } from '../../../src/kube/negotiate.js';
import { negotiate, isMetaTarget } from '../../sim/kube/respond.js';

describe('rewriteAccept', () => {
  test.each([
    // kubectl human-readable get (docs/k8s-protocol.md §2.3): Table clauses keep as/v/g.
    [
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    ],
    // client-go discovery (§2.1), including the v2beta1 clause of client-go 0.30 and the profile variant.
    [
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    ],
    [
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer,application/json',
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer,application/json',
    ],
    // client-go ≥ 0.32 typed clients (§3): protobuf first.
    ['application/vnd.kubernetes.protobuf,application/json', 'application/json'],
    ['application/vnd.kubernetes.protobuf, */*', 'application/json,*/*'],
    // client-go default.
    ['application/json, */*', 'application/json,*/*'],
    // Watch: stream=watch stays on JSON only.
    ['application/vnd.kubernetes.protobuf;stream=watch,application/json;stream=watch', 'application/json;stream=watch'],
    ['application/json;stream=bogus', 'application/json'],
    // A protobuf Table request keeps its conversion target as JSON.
    ['application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'],
    ['application/yaml', 'application/json'],
    ['application/cbor;q=0.9, application/json', 'application/json;q=0.9,application/json'],
    ['text/html,application/xhtml+xml', 'application/json'],
    ['', 'application/json'],
    ['   ,  ,', 'application/json'],
    ['garbage;;;,,=', 'application/json'],
  ])('%j → %j', (accept, rewritten) => {
    expect(rewriteAccept(accept)).toBe(rewritten);
  });

  test('a missing header becomes application/json', () => {
    expect(rewriteAccept(undefined)).toBe('application/json');
  });

  test('the apiserver negotiates JSON with the same conversion target after rewriting', () => {
    const tableOk = (t: { kind: string; group: string; version: string }) => isMetaTarget(t as never, ['Table']);
    for (const accept of ['application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'application/yaml,*/*']) {
      const before = negotiate(accept, tableOk);
      const after = negotiate(rewriteAccept(accept), tableOk);
      expect(after.format).toBe('json');
      expect(after.target).toEqual(before.target);
    }
  });
});

describe('classifyContentType', () => {
  test.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/yaml', 'yaml'],
    ['application/vnd.kubernetes.protobuf', 'protobuf'],
    ['Application/Vnd.Kubernetes.Protobuf', 'protobuf'],
    ['application/cbor', 'cbor'],
    ['application/merge-patch+json', 'merge-patch'],
    ['application/strategic-merge-patch+json', 'strategic-merge-patch'],
    ['application/json-patch+json', 'json-patch'],
    ['application/apply-patch+yaml', 'apply-patch+yaml'],
    ['application/apply-patch+cbor', 'apply-patch+cbor'],
    ['text/plain', 'other'],
    ['', 'none'],
  ])('%j → %s', (contentType, kind) => {
    expect(classifyContentType(contentType)).toBe(kind);
  });

  test('absent', () => {
    expect(classifyContentType(undefined)).toBe('none');
  });
});

test('isWatchRequest', () => {
  expect(isWatchRequest({ verb: 'watch' })).toBe(true);
  expect(isWatchRequest({ verb: 'list' })).toBe(false);
});

describe('request header hygiene', () => {
  const kubectl = {
    host: '127.0.0.1:6443',
    'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd',
    accept: 'application/vnd.kubernetes.protobuf,application/json',
    'accept-encoding': 'gzip',
    authorization: 'Bearer session-token',
    'impersonate-user': 'admin',
    'impersonate-group': ['system:masters', 'devs'],
    'impersonate-uid': '1',
    'impersonate-extra-scopes': 'x',
    'x-remote-user': 'admin',
    'x-remote-group': 'system:masters',
    'audit-id': 'client-chosen',
    'proxy-authorization': 'Basic x',
    'content-type': 'application/json',
    'content-length': '12',
    'transfer-encoding': 'chunked',
    'kubectl-command': 'kubectl get',
    'kubectl-session': 'abc',
    cookie: 'a=b',
    origin: 'https://evil.example',
    'x-forwarded-for': '1.2.3.4',
    te: 'trailers',
    'keep-alive': 'timeout=5',
  };

  test('identity, hop-by-hop and compression headers are dropped; Accept is rewritten', () => {
    expect(sanitizeRequestHeaders(kubectl)).toEqual({
      'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd',
      accept: 'application/json',
      'content-type': 'application/json',
      'kubectl-command': 'kubectl get',
      'kubectl-session': 'abc',
    });
  });

  test('header names are matched case-insensitively', () => {
    expect(sanitizeRequestHeaders({ Authorization: 'Bearer x', 'Impersonate-User': 'admin', 'User-Agent': 'ua' })).toEqual({ 'user-agent': 'ua', accept: 'application/json' });
  });

  test('a header named in Connection is dropped even when otherwise kept', () => {
    expect(sanitizeRequestHeaders({ connection: 'keep-alive, Kubectl-Session', 'kubectl-session': 's', 'user-agent': 'ua' })).toEqual({ 'user-agent': 'ua', accept: 'application/json' });
  });

  test('upgrade headers pass only on an upgrade request', () => {
    const websocket = {
      connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', 'sec-websocket-version': '13', 'sec-websocket-protocol': 'v5.channel.k8s.io', authorization: 'Bearer x',
    };
    expect(isUpgradeRequest(websocket)).toBe(true);
    expect(sanitizeRequestHeaders(websocket)).toEqual({
      connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', 'sec-websocket-version': '13', 'sec-websocket-protocol': 'v5.channel.k8s.io', accept: 'application/json',
    });
    const spdy = { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': ['v5.channel.k8s.io', 'v4.channel.k8s.io'] };
    expect(sanitizeRequestHeaders(spdy)).toMatchObject({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': ['v5.channel.k8s.io', 'v4.channel.k8s.io'] });
    const notUpgrade = { upgrade: 'websocket', 'sec-websocket-key': 'k', 'x-stream-protocol-version': 'v5.channel.k8s.io' };
    expect(isUpgradeRequest(notUpgrade)).toBe(false);
    expect(sanitizeRequestHeaders(notUpgrade)).toEqual({ accept: 'application/json' });
  });

  test('hopHeadersToStrip lists RFC 9110 hop-by-hop headers and those named in Connection', () => {
    expect(hopHeadersToStrip()).toEqual(expect.arrayContaining(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']));
    expect(hopHeadersToStrip('close, X-Custom')).toEqual(expect.arrayContaining(['close', 'x-custom', 'connection']));
  });
});
