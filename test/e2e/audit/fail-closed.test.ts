/**
 * Audit never fails open. The attack of issue 11 (hole 8), against the built CLI: `kgate exec`
 * runs a local broker for the sample's broker-mode cluster under a file-size limit (`ulimit -S -f`,
 * the spool's disk "full"), and the wrapped command sends ConfigMap creates and reads through it.
 * Every request served has its audit event (shipped to the policy service, or still in the
 * spool); the others are refused with a 503 Status saying why, no ConfigMap create is served
 * without its event, and once the limit is lifted (prlimit, as an operator freeing space) the
 * broker serves and audits again. Then the pipeline's streams, with a disk that fills between a
 * stream's start and its end: a watch whose start cannot be recorded is refused with a 503, one
 * whose end cannot be recorded has its connection reset.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AuditEvent } from '../../../src/audit/event.js';
import { openSpool, SpoolWriteError, type AuditTarget } from '../../../src/audit/spool.js';
import { startLoopbackListener } from '../../../src/broker/listener/server.js';
import { openLocalCa } from '../../../src/broker/local-ca.js';
import { createPipeline } from '../../../src/broker/pipeline/index.js';
import { createAuditSink } from '../../../src/broker/runtime/audit-sink.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';
import { KGATE_BIN, simCliEnv } from '../identity/kgate-cli.js';
import { apiAs, personToken } from '../policy/support.js';

const CLIENT = join(import.meta.dirname, 'burst-client.ts');

let world: SimWorld;
let server: SimPolicyServer;
let carol: ReturnType<typeof apiAs>;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  carol = apiAs(world, server.url, await personToken(world, 'carol'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

interface Outcome {
  i: number;
  verb: 'create' | 'get';
  name: string;
  status: number;
  auditId?: string;
  message?: string;
  error?: string;
}

/** Every event the service holds for the broker-mode cluster, as carol (a governor) sees them. */
async function serviceEvents(): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await carol('GET', `/v1/audit/events?${new URLSearchParams({ cluster: server.env.KGATE_BROKER_CLUSTER!, limit: '1000', ...(cursor ? { cursor } : {}) })}`);
    expect(page.status).toBe(200);
    const body = page.body as { items: AuditEvent[]; next?: string };
    events.push(...body.items);
    cursor = body.next;
  } while (cursor);
  return events;
}

/** Events a broker left in its spool (not shipped yet). */
function spooled(stateDir: string): AuditEvent[] {
  const path = join(stateDir, 'audit', 'spool.db');
  if (!existsSync(path)) return [];
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT body FROM spool').all() as { body: string }[]).map((row) => JSON.parse(row.body) as AuditEvent);
  } finally {
    db.close();
  }
}

test('with the spool\'s disk full, nothing is served unaudited; once it has room the broker serves again', async () => {
  const sandbox = scratchDir('kgate-fail-closed-');
  const env = simCliEnv(sandbox, { ...world.env, ...server.env, KGATE_CLUSTER: server.env.KGATE_BROKER_CLUSTER });
  const node = process.execPath;
  // dash counts ulimit -f in 512-byte blocks: 256 are 128 KiB, room for the spool's first few commits.
  const script = `ulimit -S -f 256; exec "${node}" "${KGATE_BIN}" exec --grant operate -- "${node}" --import tsx "${CLIENT}" burst 30 10`;
  const child = spawn('sh', ['-c', script], { env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let lifted = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!lifted && /^paused$/m.test(stdout)) {
      lifted = true;
      // The operator frees space: the soft limit goes, the broker's next request probes and succeeds.
      spawn('prlimit', ['--pid', String(child.pid), '--fsize=unlimited:']).on('close', () => child.stdin.end('go\n'));
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr: stderr.includes('cannot rollback') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
  const outcomes = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Outcome);
  expect(outcomes.map((o) => o.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));

  const before = outcomes.slice(0, 30);
  const after = outcomes.slice(30);
  const served = outcomes.filter((o) => o.status >= 200 && o.status < 300);
  const refused = before.filter((o) => o.status === 503);
  // Served or refused with a Status, nothing else (no 500, no bare reset on these small answers).
  expect(before.filter((o) => !(o.status >= 200 && o.status < 300) && o.status !== 503)).toEqual([]);
  expect(before.slice(0, 2).map((o) => o.status)).toEqual([201, 200]);
  expect(refused.length).toBeGreaterThanOrEqual(20);
  for (const o of refused) {
    expect(o.message).toMatch(/^kgate (could not write the audit record of this request|cannot write its audit trail \(The audit spool could not (commit an audit event|write): disk I\/O error\))/);
  }
  // After the limit is lifted every request is served again.
  expect(after.map((o) => o.status)).toEqual([201, 200, 201, 200, 201, 200, 201, 200, 201, 200]);

  // Every request served has its event: shipped to the service, or still in the spool.
  const recorded = new Set([...(await serviceEvents()), ...spooled(join(sandbox, 'state'))].map((e) => e.auditID));
  expect(served.filter((o) => !recorded.has(o.auditId!))).toEqual([]);

  // No ConfigMap create is served without its event. A create whose record failed after the API
  // server answered (kgate records the answer) exists there, but its client got a 503, not the
  // object; a create refused because the trail was known to be failing was never forwarded.
  const names = new Set((await kubectl(['get', 'configmaps', '-n', 'apps', '-o', 'jsonpath={.items[*].metadata.name}'], { kubeconfig: world.kubeconfig })).stdout.split(' ').filter((n) => n.startsWith('burst-')));
  const creates = outcomes.filter((o) => o.verb === 'create');
  const admittedOnly = creates.filter((o) => o.status === 503 && o.message!.startsWith('kgate cannot write its audit trail'));
  expect(admittedOnly.length).toBeGreaterThanOrEqual(5);
  expect(admittedOnly.filter((o) => names.has(o.name))).toEqual([]);
  expect(creates.filter((o) => o.status === 201 && !names.has(o.name))).toEqual([]);
}, 120_000);

describe('the pipeline, with a disk that fills while a request runs', () => {
  const SESSION = 'session-token-for-fail-closed';
  const principal = { id: 'https://idp.example#alice', issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human' as const, groups: [] };
  let full = false;
  /** Sends a request; `onHeaders` runs when the response's headers arrive. */
  let serve: (method: string, path: string, body?: unknown, onHeaders?: () => void) => Promise<{ status: number; message?: string; complete: boolean; text: string }>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const dir = scratchDir('kgate-fail-closed-pipeline-');
    const spool = openSpool(join(dir, 'spool.db'), { maxBytes: 1 << 24, maxEvents: 10_000 });
    // The disk refuses on cue, in process, so a stream can be caught between its start and its
    // end (the test above fills a real disk with a file-size limit, but cannot aim that finely).
    let failed: Error | undefined;
    const refuse = (): never => {
      throw (failed = new SpoolWriteError('commit an audit event', new Error('database or disk is full')));
    };
    const target: AuditTarget = {
      append: async (event) => {
        if (full) refuse();
        await spool.append(event);
        failed = undefined;
      },
      stats: () => spool.stats(),
      failure: () => failed,
      probe: async () => {
        if (full) refuse();
        await spool.probe();
        failed = undefined;
      },
    };
    const sink = createAuditSink({ spool: target, session: 'fail-closed', principal, cluster: 'sim', detectors: [], log: () => undefined });
    const pipeline = createPipeline({
      upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
      principal: { issuer: principal.issuer, subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
      cluster: 'sim', rules: () => [{ name: 'no-namespace-deletion', match: { verbs: ['delete'], resources: ['namespaces'] }, effect: 'deny', message: 'namespaces stay' }],
      masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [], exemptGroups: [] },
      onAudit: (record) => sink.complete(record), onResponseStarted: (record) => sink.started(record), admit: () => sink.admit(), log: () => undefined,
    });
    const ca = await openLocalCa(dir);
    const listener = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: pipeline.handle, upgrade: pipeline.upgrade });
    serve = (method, path, body, onHeaders) => new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(new URL(path, listener.url), {
        method, ca: ca.certificate,
        headers: { authorization: `Bearer ${SESSION}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        onHeaders?.();
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        // A reset after the headers: the body ends without completing.
        res.on('close', () => {
          let message: string | undefined;
          try {
            message = (JSON.parse(text) as { message?: string }).message;
          } catch {
            message = undefined;
          }
          resolve({ status: res.statusCode ?? 0, complete: res.complete, text, ...(message ? { message } : {}) });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
    close = async () => {
      await listener.close();
      await pipeline.close();
      await spool.close();
    };
  });

  afterAll(async () => {
    full = false;
    await close?.();
  });

  const UNRECORDED = 'kgate could not write the audit record of this request, so it withholds the response; requests are refused until the audit trail can be written';
  const REFUSED = 'kgate cannot write its audit trail (The audit spool could not commit an audit event: database or disk is full); requests are refused until it can record them';

  test('a watch whose start cannot be recorded is refused with a 503 before anything is streamed', async () => {
    full = true;
    const watch = await serve('GET', '/api/v1/namespaces/staging/configmaps?watch=true&timeoutSeconds=5');
    expect(watch).toMatchObject({ status: 503, complete: true, message: UNRECORDED });
    // Until a write works again, nothing is forwarded: a create is refused before it reaches the apiserver.
    const create = await serve('POST', '/api/v1/namespaces/staging/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never-made' } });
    expect(create).toMatchObject({ status: 503, message: REFUSED });
    expect((await kubectl(['get', 'configmap', 'never-made', '-n', 'staging'], { kubeconfig: world.kubeconfig })).code).not.toBe(0);
    full = false;
    expect(await serve('GET', '/api/v1/namespaces/staging/configmaps/never-made')).toMatchObject({ status: 404, complete: true });
  });

  test('a watch whose end cannot be recorded has its connection reset, and the next request is refused', async () => {
    // The watch's start is on disk before its headers go out; then the disk fills, and the
    // apiserver ends the watch after its timeout.
    const watch = await serve('GET', '/api/v1/namespaces/staging/configmaps?watch=true&timeoutSeconds=1', undefined, () => (full = true));
    expect(watch).toMatchObject({ status: 200, complete: false });
    expect(await serve('GET', '/api/v1/namespaces/staging/configmaps')).toMatchObject({ status: 503, message: REFUSED });
    full = false;
    expect(await serve('GET', '/api/v1/namespaces/staging/configmaps')).toMatchObject({ status: 200, complete: true });
  });

  test('an access review kgate answers itself is withheld when its record cannot be written', async () => {
    // Admitted (no write has failed since the last one worked), then the record fails.
    full = true;
    const review = await serve('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'delete', resource: 'namespaces' } },
    });
    expect(review).toMatchObject({ status: 503, message: UNRECORDED });
    full = false;
  });
});

