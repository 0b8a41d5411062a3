/**
 * Bounded writes against the real `kgate server` (the built CLI, started with small limits on its
 * command line): a recording larger than the limit, sent chunked with no Content-Length, is cut
 * off with 413 and nothing is stored; the recording that would pass a principal's byte budget gets
 * a 429 with Retry-After, as does an audit batch past the audit budget; the 11th request waiting
 * for approval and the 21st live gateway credential of a grant get a 429 too.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GrantView } from '../../../src/policy/server/api.js';
import { prepareSimCluster, SAMPLE_POLICY } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { scratchDir } from '../../support/scratch.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { apiAs, machineToken, type ApiResponse } from './support.js';

const MiB = 1024 * 1024;
const BROKER = 'kgate-sim-broker';
const LIMITS_POLICY = join(dirname(fileURLToPath(import.meta.url)), 'limits-policy.yaml');

let world: SimWorld;
let server: ServerProcess;
let ci: ReturnType<typeof apiAs>;
let mcp: ReturnType<typeof apiAs>;

type Refusal = { error?: { code: string; message: string } };

beforeAll(async () => {
  world = await startSimWorld();
  await prepareSimCluster(world);
  server = await startServerProcess(world, [SAMPLE_POLICY, LIMITS_POLICY], scratchDir('kgate-limits-'), [
    '--max-recording-size', '1Mi', '--recording-budget', '5Mi', '--audit-budget', '8Mi', '--budget-window', '1h',
    '--max-pending-requests', '10', '--max-gateway-credentials', '20',
  ]);
  ci = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
  mcp = apiAs(world, server.url, await machineToken(world, 'mcp-agent'));
}, 90_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await world?.close();
});

async function activeGrant(api: typeof ci, cluster: string, template = 'read-only'): Promise<GrantView> {
  const r = await api<GrantView>('POST', '/v1/grants', { cluster, grant: template });
  expect([r.status, r.body.state]).toEqual([201, 'active']);
  return r.body;
}

/** An exec session's ResponseStarted event, as a broker ships it before the session's recording. */
function execEvent(grant: GrantView, auditID = randomUUID()) {
  const time = new Date().toISOString();
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID, stage: 'ResponseStarted', verb: 'create',
    requestURI: '/api/v1/namespaces/staging/pods/web/exec?command=sh', user: { username: `kgate:grant-${grant.id}` },
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'staging', name: 'web', apiVersion: 'v1' },
    requestReceivedTimestamp: time, stageTimestamp: time,
    annotations: { 'kgate.dev/principal': grant.principal.id, 'kgate.dev/grant': grant.id, 'kgate.dev/cluster': grant.cluster, 'kgate.dev/decision': 'allow' },
  };
}

async function execSessions(api: typeof ci, grant: GrantView, count: number): Promise<string[]> {
  const events = Array.from({ length: count }, () => execEvent(grant));
  expect(await api('POST', '/v1/audit/events', { events })).toMatchObject({ status: 200, body: { accepted: count } });
  return events.map((e) => e.auditID);
}

/** PUTs `total` bytes as a recording with chunked transfer encoding (no Content-Length), as a liar would. */
async function putChunked(token: string, path: string, total: number): Promise<{ status: number; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', ca: world.tls.ca.cert, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-asciicast' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The service answers and closes while we still send: what counts is its answer.
    req.on('error', () => undefined);
    let sent = 0;
    let answered = false;
    req.once('response', () => (answered = true));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (sent < total && !answered && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
    setTimeout(() => reject(new Error('the service did not answer')), 30_000).unref();
  });
}

describe('recordings', () => {
  it('cuts off a chunked recording over the size limit with 413 and stores nothing', async () => {
    const grant = await activeGrant(mcp, BROKER);
    const [session] = await execSessions(mcp, grant, 1);
    const token = await machineToken(world, 'mcp-agent');
    const refused = await putChunked(token, `/v1/recordings/${session}?grant=${grant.id}`, 8 * MiB);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'body_too_large', message: 'The body is larger than the 1 MiB this endpoint accepts' } });
    expect(await mcp('GET', `/v1/recordings/${session}`)).toMatchObject({ status: 404 });
    // The same session's recording within the limit is taken: only the size was wrong.
    expect((await mcp('PUT', `/v1/recordings/${session}?grant=${grant.id}`, '{"version": 2}\n', { 'content-type': 'application/x-asciicast' })).status).toBe(201);
  });

  it('refuses the recording that would pass the principal\'s byte budget with 429 and Retry-After', async () => {
    const grant = await activeGrant(ci, BROKER);
    const sessions = await execSessions(ci, grant, 6);
    const cast = 'x'.repeat(MiB);
    for (const session of sessions.slice(0, 5)) {
      expect((await ci('PUT', `/v1/recordings/${session}?grant=${grant.id}`, cast, { 'content-type': 'application/x-asciicast' })).status).toBe(201);
    }
    const sixth = await ci<Refusal>('PUT', `/v1/recordings/${sessions[5]}?grant=${grant.id}`, cast, { 'content-type': 'application/x-asciicast' });
    expect([sixth.status, sixth.body.error?.code]).toEqual([429, 'upload_budget_exceeded']);
    expect(sixth.body.error?.message).toBe('You have sent 5 MiB of recordings in the last hour; 1 MiB more would pass your limit of 5 MiB per hour');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await ci('GET', `/v1/recordings/${sessions[5]}`)).toMatchObject({ status: 404 });
    // Sent chunked, it is cut off the same way.
    expect((await putChunked(await machineToken(world, 'ci-deployer'), `/v1/recordings/${sessions[5]}?grant=${grant.id}`, MiB)).status).toBe(429);
    // Another principal's budget is untouched.
    const other = await activeGrant(mcp, BROKER);
    const [theirs] = await execSessions(mcp, other, 1);
    expect((await mcp('PUT', `/v1/recordings/${theirs}?grant=${other.id}`, cast, { 'content-type': 'application/x-asciicast' })).status).toBe(201);
  });
});

describe('audit', () => {
  it('refuses an audit batch past the principal\'s audit budget with 429 and Retry-After', async () => {
    const grant = await activeGrant(mcp, BROKER);
    const padding = 'p'.repeat(900);
    const batch = () => Array.from({ length: 1000 }, () => ({ ...execEvent(grant), annotations: { ...execEvent(grant).annotations, 'kgate.dev/note': padding } }));
    let refused: ApiResponse<Refusal> | undefined;
    for (let i = 0; i < 12 && !refused; i += 1) {
      const r = await mcp<Refusal>('POST', '/v1/audit/events', { events: batch() });
      if (r.status !== 200) refused = r;
    }
    expect([refused?.status, refused?.body.error?.code]).toEqual([429, 'upload_budget_exceeded']);
    expect(refused?.body.error?.message).toMatch(/^You have sent [\d.]+ MiB of audit events in the last hour; .+ more would pass your limit of 8 MiB per hour$/);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 60_000);
});

describe('requests waiting for approval', () => {
  it('refuses the 11th pending request of a principal, grant or held API request alike, until one ends', async () => {
    const pending: GrantView[] = [];
    for (let i = 0; i < 10; i += 1) {
      const r = await ci<GrantView>('POST', '/v1/grants', { cluster: BROKER, grant: 'held', reason: `pile ${i}` });
      expect([r.status, r.body.state]).toEqual([201, 'pending']);
      pending.push(r.body);
    }
    const eleventh = await ci<Refusal>('POST', '/v1/grants', { cluster: BROKER, grant: 'held' });
    expect([eleventh.status, eleventh.body.error?.code]).toEqual([429, 'too_many_pending']);
    expect(eleventh.body.error?.message).toContain('You already have 10 requests waiting for approval, the most one principal may have (10)');
    const held = await ci<Refusal>('POST', '/v1/approvals', {
      cluster: BROKER, rule: 'prod-exec-needs-approval',
      request: { method: 'POST', url: '/api/v1/namespaces/prod/pods/web/exec?command=sh&container=web&stdin=true' },
    });
    expect([held.status, held.body.error?.code]).toEqual([429, 'too_many_pending']);
    // A request the gateway holds for a kubectl context (which cannot wait) is refused the same
    // way, as a Status kubectl prints, and audited.
    const viaGateway = await activeGrant(ci, world.clusterName);
    const context = await ci<{ token: string; path: string }>('POST', `/v1/grants/${viaGateway.id}/gateway-credentials`, { purpose: 'context' });
    const deletion = await apiAs(world, server.url, context.body.token)<{ kind: string; code: number; message: string }>('DELETE', `${context.body.path}/api/v1/namespaces/staging/configmaps/app-config`);
    expect(deletion.body).toMatchObject({ kind: 'Status', code: deletion.status });
    expect(deletion.status).toBe(403);
    expect(deletion.body.message).toContain('held-configmap-deletes: this request needs approval, and none could be opened: You already have 10 requests waiting for approval');
    let audited: { items: { verb: string; annotations: Record<string, string> }[] } | undefined;
    for (let i = 0; i < 50 && !audited?.items.length; i += 1) {
      audited = (await ci<typeof audited & object>('GET', `/v1/audit/events?grant=${viaGateway.id}&verb=delete`)).body;
      if (!audited.items.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(audited?.items.map((e) => e.annotations['kgate.dev/decision'])).toEqual(['approve']);
    await ci('POST', `/v1/grants/${viaGateway.id}/revoke`, {});
    // Someone else is not held back.
    expect((await mcp<GrantView>('POST', '/v1/grants', { cluster: BROKER, grant: 'read-only' })).status).toBe(201);
    // Withdrawing one makes room for one.
    expect((await ci('POST', `/v1/grants/${pending[0]!.id}/revoke`, {})).status).toBe(200);
    expect((await ci<GrantView>('POST', '/v1/grants', { cluster: BROKER, grant: 'held' })).body.state).toBe('pending');
    expect((await ci('POST', '/v1/grants', { cluster: BROKER, grant: 'held' })).status).toBe(429);
    const mine = await ci<{ items: GrantView[] }>('GET', '/v1/grants?mine=true&state=pending');
    for (const g of mine.body.items) await ci('POST', `/v1/grants/${g.id}/revoke`, {});
  });
});

describe('gateway credentials', () => {
  it('refuses the 21st live gateway credential of a grant with 429 and Retry-After, until one is revoked', async () => {
    const grant = await activeGrant(ci, world.clusterName);
    const issued: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const r = await ci<{ id: string }>('POST', `/v1/grants/${grant.id}/gateway-credentials`, { purpose: 'context' });
      expect(r.status).toBe(201);
      issued.push(r.body.id);
    }
    const refused = await ci<Refusal>('POST', `/v1/grants/${grant.id}/gateway-credentials`, { purpose: 'run' });
    expect([refused.status, refused.body.error?.code]).toEqual([429, 'too_many_gateway_credentials']);
    expect(refused.body.error?.message).toContain(`Grant ${grant.id} already has 20 active gateway credentials`);
    // The first of them expires in 15 minutes.
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect((await ci('POST', `/v1/gateway-credentials/${issued[0]}/revoke`, {})).status).toBe(200);
    expect((await ci('POST', `/v1/grants/${grant.id}/gateway-credentials`, { purpose: 'run' })).status).toBe(201);
    await ci('POST', `/v1/grants/${grant.id}/revoke`, {});
  });
});
