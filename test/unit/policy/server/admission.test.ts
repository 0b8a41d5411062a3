/**
 * Admission against the service's limits, on the real SQLite store (in memory) and a real
 * node:http server: bodies counted as they stream (chunked, no Content-Length) and refused at the
 * first byte over; budgets charged as bytes arrive and given back when nothing is kept; pending
 * requests and gateway credentials counted one at a time, so concurrent callers cannot overshoot.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Admission } from '../../../../src/policy/server/admission.js';
import type { ApiError } from '../../../../src/policy/server/errors.js';
import { resolveLimits, type ServiceLimits } from '../../../../src/policy/server/limits.js';
import { sendError, sendJson } from '../../../../src/policy/server/respond.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import { principalId } from '../../../../src/policy/types.js';
import { T0, approval, grant, person } from '../store/fixtures.js';

const MiB = 1024 * 1024;
const bob = person('bob', ['dev']);

let store: PolicyStore;
let now = T0;
beforeEach(() => {
  store = openSqliteStore(':memory:');
  now = T0;
});
afterEach(async () => {
  await store.close();
});

const admission = (limits: Partial<ServiceLimits> = {}) => new Admission(resolveLimits(limits), store, () => now);

interface Upload {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes the server had read from the connection when it answered. */
  read: number;
}

/** Serves one upload through `read`, sending `total` bytes in 64 KiB chunks, chunked unless `contentLength` is given. */
async function upload(read: (req: IncomingMessage) => Promise<{ data: Buffer }>, total: number, contentLength?: number): Promise<Upload> {
  let seen = 0;
  const server: Server = createServer((req, res) => {
    const { socket } = req;
    res.once('finish', () => (seen = socket.bytesRead));
    read(req).then(({ data }) => sendJson(res, 201, { size: data.length }), (error: unknown) => sendError(res, error as ApiError));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<Upload>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/', headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, read: seen }));
      });
      // The server may close while we still send: what counts is the answer it gave.
      req.on('error', () => undefined);
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (sent < total && !req.destroyed) {
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          if (!req.write(part)) return void req.once('drain', pump);
        }
        if (sent >= total) req.end();
      };
      req.once('response', () => {
        sent = total;
      });
      pump();
      setTimeout(() => reject(new Error('no answer')), 20_000).unref();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('recording uploads', () => {
  test('a chunked body over the size limit is refused at the first byte over, not read to its end, and costs no budget', async () => {
    const a = admission({ maxRecordingBytes: MiB, recordingBytesPerWindow: 4 * MiB });
    const got = await upload((req) => a.readRecording(req, bob), 16 * MiB);
    expect(got.status).toBe(413);
    expect(JSON.parse(got.body)).toEqual({ error: { code: 'body_too_large', message: 'The body is larger than the 1 MiB this endpoint accepts' } });
    expect(got.read).toBeLessThan(2 * MiB);
    expect(a.recordingBytes.used(principalId(bob))).toBe(0);
  });

  test('a declared Content-Length over the limit is refused before reading', async () => {
    const a = admission({ maxRecordingBytes: MiB, recordingBytesPerWindow: 4 * MiB });
    const got = await upload((req) => a.readRecording(req, bob), 2 * MiB, 2 * MiB);
    expect(got.status).toBe(413);
    expect(got.read).toBeLessThan(MiB);
  });

  test('within the limit it is read whole and charged to the uploader', async () => {
    const a = admission({ maxRecordingBytes: MiB, recordingBytesPerWindow: 4 * MiB });
    expect(await upload((req) => a.readRecording(req, bob), MiB)).toMatchObject({ status: 201, body: JSON.stringify({ size: MiB }) });
    expect(a.recordingBytes.used(principalId(bob))).toBe(MiB);
  });

  test('past the budget a 429 says when there is room again; chunked or declared', async () => {
    const a = admission({ maxRecordingBytes: MiB, recordingBytesPerWindow: 3 * MiB, windowMs: 3_600_000 });
    for (let i = 0; i < 3; i += 1) expect((await upload((req) => a.readRecording(req, bob), MiB)).status).toBe(201);
    now = T0 + 20 * 60_000;
    const chunked = await upload((req) => a.readRecording(req, bob), MiB);
    expect(chunked.status).toBe(429);
    expect(chunked.headers['retry-after']).toBe(String(40 * 60));
    expect(JSON.parse(chunked.body).error).toEqual({
      code: 'upload_budget_exceeded',
      message: expect.stringMatching(/^You have sent 3 MiB of recordings in the last hour; .+ more would pass your limit of 3 MiB per hour$/),
    });
    const declared = await upload((req) => a.readRecording(req, bob), MiB, MiB);
    expect([declared.status, declared.headers['retry-after']]).toEqual([429, String(40 * 60)]);
    expect(declared.read).toBeLessThan(MiB);
    // Someone else's budget is their own.
    expect((await upload((req) => a.readRecording(req, person('carol')), MiB)).status).toBe(201);
    // An hour after the first uploads they no longer count.
    now = T0 + 3_600_000;
    expect((await upload((req) => a.readRecording(req, bob), MiB)).status).toBe(201);
  });

  test('concurrent uploads of one principal share the budget', async () => {
    const a = admission({ maxRecordingBytes: 2 * MiB, recordingBytesPerWindow: 3 * MiB });
    const results = await Promise.all(Array.from({ length: 6 }, () => upload((req) => a.readRecording(req, bob), 2 * MiB)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 429, 429, 429, 429, 429]);
    expect(a.recordingBytes.used(principalId(bob))).toBe(2 * MiB);
  });
});

describe('pending requests', () => {
  const open = (a: Admission, id: string) => a.pendingRequest(bob, () => store.createApproval(approval(id, { requester: bob })));

  test('at most the limit per principal, even when all arrive at once', async () => {
    const a = admission({ maxPendingRequests: 10 });
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => open(a, `a${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ApiError);
    expect(refused).toHaveLength(5);
    for (const error of refused) {
      expect(error).toMatchObject({ status: 429, code: 'too_many_pending', message: expect.stringContaining('already have 10 requests waiting for approval') });
      expect(error.headers).not.toHaveProperty('retry-after');
    }
    // Others are not held back by bob's queue.
    await expect(a.pendingRequest(person('dave'), () => store.createApproval(approval('d1', { requester: person('dave') })))).resolves.toBeDefined();
  });

  test('decided and expired requests make room', async () => {
    const a = admission({ maxPendingRequests: 2 });
    await open(a, 'a1');
    await open(a, 'a2');
    await expect(open(a, 'a3')).rejects.toMatchObject({ status: 429 });
    await store.addVote('a1', { approver: person('carol', ['sre-leads']), decision: 'deny', at: T0 + 1, reason: 'no' }, { requiredCount: 1, now: T0 + 1 });
    await expect(open(a, 'a3')).resolves.toMatchObject({ id: 'a3' });
    now = T0 + 600_000;
    await expect(open(a, 'a4')).resolves.toMatchObject({ id: 'a4' });
  });

  test('pending grants count too, and a revoked one makes room at once', async () => {
    const a = admission({ maxPendingRequests: 2 });
    const request = (id: string) => a.pendingRequest(bob, () => store.createGrant(grant(id, { state: 'pending', principal: bob, activatedAt: undefined, expiresAt: undefined })));
    await request('g1');
    await open(a, 'a1');
    await expect(request('g2')).rejects.toMatchObject({ status: 429, message: expect.stringContaining('already have 2 requests') });
    await expect(open(a, 'a2')).rejects.toMatchObject({ status: 429 });
    await store.transitionGrant('g1', ['pending'], { state: 'revoked', endedAt: T0 + 1 });
    await expect(request('g2')).resolves.toMatchObject({ id: 'g2' });
  });

  test('a failed open leaves no lock behind', async () => {
    const a = admission({ maxPendingRequests: 1 });
    await expect(a.pendingRequest(bob, () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    await expect(open(a, 'a1')).resolves.toMatchObject({ id: 'a1' });
  });
});

describe('gateway credentials', () => {
  test('at most the limit per grant; Retry-After is when the first expires; revoked and expired ones make room', async () => {
    const g = await store.createGrant(grant('g1'));
    const a = admission({ maxGatewayCredentialsPerGrant: 3 });
    const issue = (id: string, expiresAt: number) => a.gatewayCredential(g, () => store.createGatewayCredential({
      id, tokenSha256: `sha-${id}`, grantId: g.id, cluster: 'sim', principal: 'x', purpose: 'context', createdAt: now, expiresAt,
    }));
    const results = await Promise.allSettled([issue('c1', T0 + 60_000), issue('c2', T0 + 120_000), issue('c3', T0 + 900_000), issue('c4', T0 + 900_000), issue('c5', T0 + 900_000)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ status: 429, code: 'too_many_gateway_credentials', headers: { 'retry-after': '60' } });
    await store.revokeGatewayCredentials({ id: 'c3' }, T0 + 1, 'done');
    await expect(issue('c6', T0 + 900_000)).resolves.toMatchObject({ id: 'c6' });
    await expect(issue('c7', T0 + 900_000)).rejects.toMatchObject({ status: 429 });
    now = T0 + 60_000;
    await expect(issue('c7', T0 + 900_000)).resolves.toMatchObject({ id: 'c7' });
    expect((await store.activeGatewayCredentials(g.id, now)).map((c) => c.id)).toEqual(['c2', 'c6', 'c7']);
  });
});
