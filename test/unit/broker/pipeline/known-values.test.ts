/**
 * Stage 5a against a real node:http server standing in for the apiserver's pod and Secret reads:
 * which requests read anything, with which credential, and how each answer of the apiserver turns
 * into values to mask or a refusal. The full path (real kubectl, the sim, both access modes) is in
 * test/e2e/broker/kgate-exec.suite.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalStage } from '../../../../src/broker/pipeline/canonicalize.js';
import { classifyRequest } from '../../../../src/broker/pipeline/classify.js';
import { createForwarder, type Forwarder } from '../../../../src/broker/pipeline/forward.js';
import { createKnownValuesSource, type KnownValuesLookup } from '../../../../src/broker/pipeline/known-values.js';
import { createTokenSource } from '../../../../src/broker/pipeline/token.js';
import { maskKnownValues, maskMarker } from '../../../../src/mask/index.js';

const b64 = (v: string) => Buffer.from(v).toString('base64');
const MARKER = maskMarker('secret');

let server: Server;
let forwarder: Forwarder;
const seen: { url: string; authorization: string | undefined; auditId: string | undefined }[] = [];
/** What the fake apiserver answers, by path. */
let answers: Record<string, { status: number; body: unknown }> = {};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, auditId: req.headers['audit-id'] as string | undefined });
    const answer = answers[req.url ?? ''] ?? { status: 404, body: { kind: 'Status', code: 404 } };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tokens = createTokenSource(async () => ({ token: 'grant-token', expiresAt: Date.now() + 3_600_000 }), Date.now);
  forwarder = createForwarder(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '', tokens);
});

afterAll(async () => {
  await forwarder.close();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  answers = {
    '/api/v1/namespaces/prod/pods/web': {
      status: 200,
      body: { kind: 'Pod', spec: { containers: [{ name: 'web', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }], volumes: [{ name: 'v', secret: { secretName: 'gone' } }] } },
    },
    '/api/v1/namespaces/prod/secrets/db': { status: 200, body: { kind: 'Secret', data: { password: b64('prod-S3cr3t-pa55word'), user: b64('app-prod') } } },
  };
});

function info(method: string, url: string) {
  const canonical = canonicalStage(method, url);
  if (!canonical.ok) throw new Error(canonical.reason);
  return classifyRequest(canonical.request, {}).info;
}

async function lookup(method: string, url: string, enabled = true): Promise<KnownValuesLookup> {
  return createKnownValuesSource(forwarder, enabled).forRequest(info(method, url), 'audit-7', new AbortController().signal);
}

describe('known values of a pod stream', () => {
  test.each([
    ['GET', '/api/v1/namespaces/prod/pods/web/log?follow=true'],
    ['GET', '/api/v1/namespaces/prod/pods/web/exec?command=printenv&stdout=true'],
    ['POST', '/api/v1/namespaces/prod/pods/web/attach?stdout=true'],
  ])('%s %s reads the pod and its Secrets with the gate\'s token and masks the keys it uses', async (method, url) => {
    const result = await lookup(method, url);
    expect(result.ok).toBe(true);
    if (!result.ok || !result.known) throw new Error('no values');
    expect(maskKnownValues('P=prod-S3cr3t-pa55word user=app-prod', result.known).toString()).toBe(`P=${MARKER} user=app-prod`);
    // A Secret that no longer exists has no value to mask; it does not refuse the stream.
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/prod/pods/web', '/api/v1/namespaces/prod/secrets/db', '/api/v1/namespaces/prod/secrets/gone']);
    expect(seen.every((s) => s.authorization === 'Bearer grant-token' && s.auditId === 'audit-7')).toBe(true);
    expect(result.secrets).toBe(1);
  });

  test.each([
    ['GET', '/api/v1/namespaces/prod/pods/web'],
    ['GET', '/api/v1/namespaces/prod/pods/web/portforward?ports=80'],
    ['GET', '/api/v1/namespaces/prod/secrets/db'],
    ['GET', '/api/v1/namespaces/prod/services/web/proxy/'],
  ])('%s %s needs no values and reads nothing', async (method, url) => {
    expect(await lookup(method, url)).toEqual({ ok: true, secrets: 0 });
    expect(seen).toEqual([]);
  });

  test('reads nothing when Secret masking is off for the caller', async () => {
    expect(await lookup('GET', '/api/v1/namespaces/prod/pods/web/log', false)).toEqual({ ok: true, secrets: 0 });
    expect(seen).toEqual([]);
  });

  test('a pod without Secrets needs only the pod read', async () => {
    answers['/api/v1/namespaces/prod/pods/web'] = { status: 200, body: { kind: 'Pod', spec: { containers: [{ name: 'web' }] } } };
    expect(await lookup('GET', '/api/v1/namespaces/prod/pods/web/log')).toEqual({ ok: true, secrets: 0 });
    expect(seen).toHaveLength(1);
  });

  test('a Secret the grant may not read refuses the stream with a 403 naming it', async () => {
    answers['/api/v1/namespaces/prod/secrets/db'] = { status: 403, body: { kind: 'Status', code: 403 } };
    const result = await lookup('GET', '/api/v1/namespaces/prod/pods/web/log');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.code).toBe(403);
    const status = JSON.parse(result.refusal.body) as { reason: string; message: string };
    expect(status.reason).toBe('Forbidden');
    expect(status.message).toContain('may not read Secret "db"');
  });

  test.each([
    [{ status: 404, body: {} }, 404, 'NotFound', 'pods "web" not found'],
    [{ status: 403, body: {} }, 403, 'Forbidden', 'which this grant may not get'],
    [{ status: 500, body: {} }, 502, '', 'could not read the pod'],
    [{ status: 200, body: '{"kind":"Pod",' }, 502, '', 'could not read the pod'],
  ])('a pod read answered %j refuses with %i', async (answer, code, reason, message) => {
    answers['/api/v1/namespaces/prod/pods/web'] = answer;
    const result = await lookup('GET', '/api/v1/namespaces/prod/pods/web/log');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.code).toBe(code);
    const status = JSON.parse(result.refusal.body) as { reason?: string; message: string };
    expect(status.reason ?? '').toBe(reason);
    expect(status.message).toContain(message);
    expect(result.refusal.body).not.toContain('grant-token');
  });

  test('a Secret read that fails otherwise refuses with 502, quoting no value', async () => {
    answers['/api/v1/namespaces/prod/secrets/db'] = { status: 500, body: { message: 'prod-S3cr3t-pa55word' } };
    const result = await lookup('GET', '/api/v1/namespaces/prod/pods/web/exec?command=env&stdout=true');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.code).toBe(502);
    expect(result.refusal.body + result.reason).not.toContain('pa55word');
  });

  test('Secrets too large to mask refuse the stream', async () => {
    answers['/api/v1/namespaces/prod/secrets/db'] = { status: 200, body: { kind: 'Secret', data: { password: b64('x'.repeat(300 * 1024)) } } };
    const result = await lookup('GET', '/api/v1/namespaces/prod/pods/web/log');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.refusal.code).toBe(502);
  });
});
