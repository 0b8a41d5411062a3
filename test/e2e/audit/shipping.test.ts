/**
 * The audit trail end to end against the REAL policy service (sim world + `startSimPolicyServer`),
 * as ci-deployer with a client-credentials token: spooled events reach the service exactly once,
 * also when the service is down while they are appended and comes back later (restarted on the
 * same data directory); a re-sent batch counts as duplicates; a full spool refuses; and the spool
 * keeps every acknowledged append through kill -9 of the process writing it.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditChain, verifyChain } from '../../../src/audit/chain.js';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import { createShipper } from '../../../src/audit/shipper.js';
import { openSpool, SpoolFullError } from '../../../src/audit/spool.js';
import { PolicyClient } from '../../../src/policy/client.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { machineToken, until } from '../policy/support.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'spool-writer.ts');

let world: SimWorld;
let server: SimPolicyServer;
let client: PolicyClient;
let token: string;
let principal: string;
const dataDir = mkdtempSync(join(tmpdir(), 'kgate-audit-service-'));
const scratch = mkdtempSync(join(tmpdir(), 'kgate-audit-e2e-'));

function clientFor(url: string): PolicyClient {
  return new PolicyClient({ server: url, token: async () => token, ca: world.tls.ca.cert });
}

beforeAll(async () => {
  world = await startSimWorld({ sampleWorkloads: false });
  server = await startSimPolicyServer(world, { dataDir });
  token = await machineToken(world, 'ci-deployer');
  principal = `${world.idp.issuer}#ci-deployer`;
  client = clientFor(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** A broker session's chained events; `grant` is unique per test so searches see only its events. */
function brokerSession(grant: string) {
  const chain = createAuditChain(randomUUID());
  return (verb: string, name: string): AuditEvent => {
    const now = Date.now();
    return chain.seal(buildAuditEvent({
      auditID: randomUUID(), stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/staging/pods/${name}`, verb,
      user: { username: `kgate:grant-${grant}`, groups: ['system:authenticated'] }, sourceIPs: ['127.0.0.1'], userAgent: 'kubectl/v1.32.4 (linux/amd64)',
      objectRef: { resource: 'pods', namespace: 'staging', name, apiVersion: 'v1' }, responseStatus: { code: 200 },
      requestReceivedAt: now, stageAt: now + 0.25,
      kgate: { principal, principalType: 'workload', issuer: world.idp.issuer, grant, cluster: 'kgate-sim-broker', decision: 'allow' },
    }));
  };
}

/** A fresh grant of the caller's on the broker-mode cluster: clients ship events only for such grants. */
async function brokerGrant(): Promise<string> {
  return (await client.requestGrant({ cluster: 'kgate-sim-broker', grant: 'read-only', reason: 'shipping test' })).id;
}

/** Every chained (broker) event the service holds for `grant`, following the cursor; the service's own are left out. */
async function storedEvents(grant: string): Promise<AuditEvent[]> {
  const items: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.searchAudit({ grant, limit: 1000, ...(cursor ? { cursor } : {}) });
    items.push(...(page.items as unknown as AuditEvent[]).filter((e) => e.annotations?.['kgate.dev/session']));
    cursor = page.next;
  } while (cursor);
  return items;
}

it('ships exactly once even when the service is down while events are appended and returns later', async () => {
  const grant = await brokerGrant();
  const event = brokerSession(grant);
  const spool = openSpool(join(scratch, 'down', 'audit-spool.db'), { maxBytes: 1 << 20, maxEvents: 1000 });
  const logs: string[] = [];
  let answersLost = 1;
  const shipper = createShipper({
    spool, batchSize: 4, backoff: { initialMs: 20, maxMs: 200 }, idleMs: 100, log: (line) => logs.push(line),
    send: async (events) => {
      const result = await client.ingestAudit(events);
      // The service stored the batch but its answer never arrived: the shipper must send it again.
      if (answersLost-- > 0) throw new Error('socket hang up');
      return result;
    },
  });
  const appended: AuditEvent[] = [];
  const append = async (e: AuditEvent) => {
    await spool.append(e);
    appended.push(e);
  };
  try {
    shipper.start();
    for (let i = 0; i < 5; i += 1) await append(event('get', `web-${i}`));
    expect(await shipper.flush(10_000)).toMatchObject({ remaining: 0 });
    expect(logs[0]).toMatch(/^audit shipping failed \(attempt 1, \d events\): socket hang up$/);

    await server.close();
    for (let i = 5; i < 15; i += 1) await append(event('list', `db-${i}`));
    await until(() => logs.filter((l) => l.includes('Cannot reach the policy service')).length >= 2, 5000, 'the shipper retrying against the closed service');
    expect(spool.stats().pending).toBe(10);

    server = await startSimPolicyServer(world, { dataDir });
    await client.close();
    client = clientFor(server.url);
    expect(await shipper.flush(10_000)).toMatchObject({ remaining: 0 });
  } finally {
    await shipper.stop();
    await spool.close();
  }

  const stored = await storedEvents(grant);
  expect(stored.map((e) => e.auditID).sort()).toEqual(appended.map((e) => e.auditID).sort());
  expect(new Set(stored.map((e) => e.auditID)).size).toBe(15);
  const verified = verifyChain(stored);
  expect(verified).toMatchObject({ ok: true, problems: [], sessions: [{ count: 15, firstSeq: 1, lastSeq: 15 }] });
  expect(stored.find((e) => e.auditID === appended[0]!.auditID)).toEqual(appended[0]);

  expect(await client.ingestAudit(appended.slice(0, 3))).toEqual({ accepted: 0, duplicates: 3, conflicts: 0 });
  expect((await storedEvents(grant)).length).toBe(15);
});

it('a full spool refuses with SpoolFullError until shipping makes room', async () => {
  const grant = await brokerGrant();
  const event = brokerSession(grant);
  const spool = openSpool(join(scratch, 'full', 'audit-spool.db'), { maxBytes: 1 << 20, maxEvents: 3 });
  for (let i = 0; i < 3; i += 1) await spool.append(event('get', `p${i}`));
  const refused = await spool.append(event('get', 'p3')).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(SpoolFullError);
  expect(refused).toMatchObject({ code: 'KGATE_AUDIT_SPOOL_FULL', message: expect.stringContaining('audit spool is full') });

  const shipper = createShipper({ spool, send: (events) => client.ingestAudit(events) });
  expect(await shipper.flush(10_000)).toEqual({ shipped: 3, remaining: 0 });
  await spool.append(event('get', 'p4'));
  expect(await shipper.flush(10_000)).toEqual({ shipped: 1, remaining: 0 });
  await shipper.stop();
  await spool.close();
  // The refused event was never spooled, so the chain has a gap where it was sealed: verification shows it.
  const verified = verifyChain(await storedEvents(grant));
  expect(verified.problems).toEqual([expect.objectContaining({ kind: 'gap', seq: 4 })]);
});

it('every append the writer saw complete survives kill -9, and then ships exactly once', async () => {
  const grant = await brokerGrant();
  const path = join(scratch, 'kill', 'audit-spool.db');
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, grant, principal], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged: string[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    acknowledged.push(...lines);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await until(() => acknowledged.length >= 300 || child.exitCode !== null, 20_000, `300 appends (stderr: ${stderr})`);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(acknowledged.length).toBeGreaterThanOrEqual(300);

  const spool = openSpool(path, { maxBytes: 1 << 30, maxEvents: 1_000_000 });
  const kept = spool.pending(1_000_000).map((p) => p.event);
  const keptIds = new Set(kept.map((e) => e.auditID));
  expect(acknowledged.filter((id) => !keptIds.has(id))).toEqual([]);
  expect(verifyChain(kept)).toMatchObject({ ok: true, sessions: [{ session: grant, firstSeq: 1, lastSeq: kept.length }] });

  const shipper = createShipper({ spool, batchSize: 1000, send: (events) => client.ingestAudit(events) });
  expect(await shipper.flush(20_000)).toEqual({ shipped: kept.length, remaining: 0 });
  await shipper.stop();
  await spool.close();
  const stored = await storedEvents(grant);
  expect(stored.length).toBe(kept.length);
  expect(verifyChain(stored).ok).toBe(true);
});
