/**
 * JSON nested 10 000 deep, from the apiserver, through the broker's whole request path (loopback
 * listener, pipeline, masking): whatever part of the engine gives up — the walk, or
 * JSON.stringify's stack — the request is refused as a masking failure with a 502 Status (or a
 * reset once a stream has started) and an audit record saying so; never the listener's 500 for
 * an exception, and never a request that reached the API server without a record. The apiserver
 * here is a stub on loopback TLS: no cluster stores objects nested this deep.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { startLoopbackListener, type LoopbackListener } from '../../../src/broker/listener/server.js';
import { openLocalCa } from '../../../src/broker/local-ca.js';
import { createPipeline, type Pipeline, type PipelineAuditRecord } from '../../../src/broker/pipeline/index.js';
import { DETECTOR_NAMES } from '../../../src/mask/index.js';
import { createSimTls } from '../../sim/tls.js';
import { scratchDir } from '../../support/scratch.js';

const DEPTH = 10_000;
const SECRET = 'deep-S3cret-value';
const SESSION = 'session-token-for-deep-json';
const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const secretObject = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"deep","namespace":"default"},"data":{"password":"${Buffer.from(SECRET).toString('base64')}"},"x":${deep}}`;
const configMap = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deep","namespace":"default"},"data":{"password":"password=${SECRET}"},"x":${deep}}`;

/** What the stub apiserver answers, by path and query. */
const BODIES: Record<string, string> = {
  '/api/v1/namespaces/default/secrets/deep': secretObject,
  '/api/v1/namespaces/default/configmaps/deep': configMap,
  '/api/v1/namespaces/default/configmaps': `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[${configMap}]}`,
  '/api/v1/namespaces/default/secrets': `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[${secretObject}]}`,
  '/api/v1/namespaces/default/configmaps?watch=true': `{"type":"ADDED","object":${configMap}}\n`,
};

let upstream: Server;
let listener: LoopbackListener;
let pipeline: Pipeline;
let agent: Agent;
let forwarded = 0;
const audits: PipelineAuditRecord[] = [];

beforeAll(async () => {
  const tls = await createSimTls('deep-json-apiserver');
  upstream = createServer({ cert: tls.server.cert, key: tls.server.key }, (req, res) => {
    forwarded += 1;
    const body = BODIES[req.url ?? ''];
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":404}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const ca = await openLocalCa(scratchDir('kgate-deep-json-'));
  pipeline = createPipeline({
    upstream: { url: `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`, ca: tls.ca.cert, token: async () => ({ token: 'upstream-token', expiresAt: Date.now() + 3_600_000 }) },
    principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
    cluster: 'sim',
    rules: () => [],
    masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [...DETECTOR_NAMES], exemptGroups: [] },
    onAudit: (record) => audits.push(record),
    log: () => undefined,
  });
  listener = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: pipeline.handle, upgrade: pipeline.upgrade });
  agent = new Agent({ connect: { ca: ca.certificate } });
}, 30_000);

afterAll(async () => {
  await agent?.close();
  await listener?.close();
  await pipeline?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** GETs `path` through the broker; a stream reset after its headers still yields what arrived. */
async function get(path: string): Promise<{ status: number; text: string; reset: boolean }> {
  const response = await fetch(`${listener.url}${path}`, { dispatcher: agent, headers: { authorization: `Bearer ${SESSION}`, accept: 'application/json' } });
  let text = '';
  let reset = false;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch {
    reset = true;
  }
  return { status: response.status, text, reset };
}

test.each([
  ['a Secret', '/api/v1/namespaces/default/secrets/deep'],
  ['a ConfigMap', '/api/v1/namespaces/default/configmaps/deep'],
])('%s nested 10 000 deep is refused with a 502 Status and audited as a masking failure', async (_, path) => {
  const before = forwarded;
  audits.length = 0;
  const { status, text } = await get(path);
  expect(forwarded).toBe(before + 1);
  expect(status).toBe(502);
  expect(JSON.parse(text)).toMatchObject({ kind: 'Status', code: 502, message: expect.stringContaining('kgate could not mask the apiserver\'s response, so it was withheld: MASK_') });
  expect(leaks(text)).toBe(false);
  await until(() => audits.length > 0);
  expect(audits).toEqual([expect.objectContaining({ outcome: 'mask-error', statusCode: 502, canonicalUrl: path, error: expect.stringMatching(/^MASK_(TOO_DEEP|INTERNAL|TOO_LARGE): /) })]);
});

// Lists and watches stream: the headers may have gone out before the deep item arrives, and
// then the stream is cut (what the client got so far holds nothing it may not see).
test.each([
  ['a ConfigMap list', '/api/v1/namespaces/default/configmaps'],
  ['a Secret list', '/api/v1/namespaces/default/secrets'],
  ['a ConfigMap watch', '/api/v1/namespaces/default/configmaps?watch=true'],
])('%s with an item nested 10 000 deep is cut off and audited as a masking failure', async (_, path) => {
  const before = forwarded;
  audits.length = 0;
  const { status, text, reset } = await get(path);
  expect(forwarded).toBe(before + 1);
  if (status === 502) expect(JSON.parse(text)).toMatchObject({ kind: 'Status', code: 502 });
  else expect([status, reset]).toEqual([200, true]);
  expect(leaks(text)).toBe(false);
  await until(() => audits.length > 0);
  expect(audits).toEqual([expect.objectContaining({ outcome: 'mask-error', canonicalUrl: path, error: expect.stringMatching(/^MASK_(TOO_DEEP|INTERNAL|TOO_LARGE): /) })]);
});

function leaks(text: string): boolean {
  return text.includes(SECRET) || text.includes(Buffer.from(SECRET).toString('base64'));
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('no audit record');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
