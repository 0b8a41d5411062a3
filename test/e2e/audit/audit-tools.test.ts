/**
 * `kgate audit verify`, `replay` and `tail` as users run them: the BUILT CLI (`npm run build`
 * first), logged in as the sim's ci-deployer machine, against the REAL policy service of the sim
 * world. Verify passes an intact chain and, after an event is deleted and another edited straight
 * in the service's SQLite file, reports the gap and the edit and exits 1; a second event shipped
 * under a stored auditID is kept as a conflict, which verify reports per session. Replay plays an uploaded
 * recording and refuses a corrupted one. Tail shows a session's events and follows new ones.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createAsciicastWriter } from '../../../src/audit/asciicast.js';
import { createAuditChain } from '../../../src/audit/chain.js';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import { PolicyClient } from '../../../src/policy/client.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { createSandbox, KGATE_BIN, runKgate, type KgateRun, type Sandbox } from '../identity/kgate-cli.js';
import { machineToken } from '../policy/support.js';

let world: SimWorld;
let server: SimPolicyServer;
let client: PolicyClient;
let box: Sandbox;
let principal: string;
let grant: string;

beforeAll(async () => {
  world = await startSimWorld({ sampleWorkloads: false });
  server = await startSimPolicyServer(world);
  box = await createSandbox(world.tls.ca.cert);
  const token = await machineToken(world, 'ci-deployer');
  client = new PolicyClient({ server: server.url, token: async () => token, ca: world.tls.ca.cert });
  principal = `${world.idp.issuer}#ci-deployer`;
  // Clients ship events only for their own grants on broker-mode clusters.
  grant = (await client.requestGrant({ cluster: server.env.KGATE_BROKER_CLUSTER, grant: 'read-only', reason: 'audit tools' })).id;
  const login = await kgate(['login']);
  expect(login).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await world?.close();
  await box?.remove();
});

/** The CLI as ci-deployer, pointed at the sim's IdP and policy service. */
function kgate(args: string[]): Promise<KgateRun> {
  return runKgate(args, { env: env() });
}

function env(): Record<string, string | undefined> {
  return box.env({ ...world.env, ...server.env });
}

/** `n` events of one broker session, sealed in order, one second apart. */
function brokerSession(n: number): { session: string; events: AuditEvent[] } {
  const session = randomUUID();
  const chain = createAuditChain(session);
  const start = Date.now() - n * 1000;
  const events = Array.from({ length: n }, (_, i) => chain.seal(buildAuditEvent({
    auditID: randomUUID(), stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/staging/pods/web-${i}`, verb: 'get',
    user: { username: 'kgate:grant-gaudit', groups: ['system:authenticated'] }, objectRef: { resource: 'pods', namespace: 'staging', name: `web-${i}`, apiVersion: 'v1' },
    responseStatus: { code: 200 }, requestReceivedAt: start + i * 1000, stageAt: start + i * 1000 + 0.5,
    kgate: { principal, principalType: 'workload', issuer: world.idp.issuer, cluster: server.env.KGATE_BROKER_CLUSTER, grant, decision: 'allow' },
  })));
  return { session, events };
}

/** Changes the stored audit trail behind the service's back, as someone with the disk could. */
function tamper(sql: string, ...params: string[]): void {
  const db = new DatabaseSync(join(server.dataDir, 'kgate.db'));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    expect(db.prepare(sql).run(...params).changes).toBe(1);
  } finally {
    db.close();
  }
}

it('verify passes an intact chain, then reports a deleted and an edited event and exits 1', async () => {
  const { session, events } = brokerSession(6);
  const other = brokerSession(3);
  expect(await client.ingestAudit([...events, ...other.events])).toEqual({ accepted: 9, duplicates: 0, conflicts: 0 });

  const intact = await kgate(['audit', 'verify', '--session', session]);
  expect(intact.stderr).toBe('');
  expect(intact.code).toBe(0);
  expect(intact.stdout).toMatch(new RegExp(`^${session}\\s+6\\s+1-6\\s+ok, open \\(no end marker yet\\)$`, 'm'));
  expect(intact.stdout).toContain('Audit trail intact: 6 chained events in 1 session.');
  expect(intact.stdout).not.toContain(other.session);

  const deleted = events[2]!;
  const edited = events[4]!;
  tamper('DELETE FROM audit_events WHERE id = ?', deleted.auditID);
  tamper(`UPDATE audit_events SET event = json_set(event, '$.verb', 'delete') WHERE id = ?`, edited.auditID);

  const broken = await kgate(['audit', 'verify', '--session', session]);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(new RegExp(`^${session}\\s+5\\s+1-6\\s+2 problems$`, 'm'));
  expect(broken.stdout).toMatch(new RegExp(`^${session}\\s+3\\s+gap\\s+seq 3 is missing$`, 'm'));
  expect(broken.stdout).toMatch(new RegExp(`^${session}\\s+5\\s+edited\\s+event ${edited.auditID} no longer matches its chain-hash$`, 'm'));
  expect(broken.stderr).toContain('Error: Audit trail failed verification: 2 problems in 1 session (5 chained events in 1 session) (KGATE_AUDIT_CHAIN_BROKEN)');

  // Without --session every chain the caller may see is checked; the untouched one stays ok.
  const all = await kgate(['audit', 'verify', '--json']);
  expect(all.code).toBe(1);
  const { status, result } = JSON.parse(all.stdout) as { status: string; result: { ok: boolean; problems: { session: string; seq: number; kind: string }[]; sessions: { session: string }[] } };
  expect(status).toBe('ok');
  expect(result.ok).toBe(false);
  expect(result.problems.map((p) => [p.session, p.seq, p.kind])).toEqual([[session, 3, 'gap'], [session, 5, 'edited']]);
  expect(result.sessions.map((s) => s.session)).toContain(other.session);

  // The same trail saved by `audit search --json` and verified offline tells the same.
  const saved = await kgate(['audit', 'search', '--json', '--limit', '1000']);
  // Relative times: every event of this test is from the last hour, none from before it.
  const itemCount = (out: string) => (JSON.parse(out) as { result: { items: unknown[] } }).result.items.length;
  const recent = await kgate(['audit', 'search', '--json', '--limit', '1000', '--from', '1h']);
  expect(recent.code).toBe(0);
  expect(itemCount(recent.stdout)).toBe(itemCount(saved.stdout));
  const older = await kgate(['audit', 'search', '--json', '--to', '1h']);
  expect(older.code).toBe(0);
  expect(itemCount(older.stdout)).toBe(0);
  const unreadable = await kgate(['audit', 'search', '--from', 'yesterday']);
  expect(unreadable.code).toBe(2);
  expect(unreadable.stderr).toContain('or how long ago like 1h or 7d, got "yesterday"');
  const file = join(box.dir, 'trail.json');
  await writeFile(file, saved.stdout);
  const offline = await kgate(['audit', 'verify', '--file', file, '--session', other.session]);
  expect(offline).toMatchObject({ code: 0 });
  expect(offline.stdout).toContain('Audit trail intact: 3 chained events in 1 session.');
});

it('verify reports an event forged under a stored auditID as a conflict and exits 1; a plain resend stays a duplicate', async () => {
  const { session, events } = brokerSession(4);
  expect(await client.ingestAudit(events)).toEqual({ accepted: 4, duplicates: 0, conflicts: 0 });
  // The shipper's retry after a lost answer: the same events, key order shuffled by a re-serialiser.
  const resent = events.map((e) => JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(e).reverse()))) as Record<string, unknown>);
  expect(await client.ingestAudit(resent)).toEqual({ accepted: 0, duplicates: 4, conflicts: 0 });
  expect((await kgate(['audit', 'verify', '--session', session])).code).toBe(0);

  // The caller rewrites what it did: the same auditID (and chain links), a harmless verb and URI.
  const target = events[1]!;
  const forged = { ...target, verb: 'list', requestURI: '/api/v1/namespaces/staging/pods' };
  expect(await client.ingestAudit([forged])).toEqual({ accepted: 0, duplicates: 0, conflicts: 1 });
  // Retrying the same forgery adds nothing; the stored event is unchanged.
  expect(await client.ingestAudit([forged])).toEqual({ accepted: 0, duplicates: 0, conflicts: 1 });
  const stored = (await client.searchAudit({ session })).items.find((e) => e.auditID === target.auditID);
  expect(stored).toEqual(target);

  const report = await kgate(['audit', 'verify', '--session', session]);
  expect(report.code).toBe(1);
  expect(report.stdout).toMatch(new RegExp(`^${session}\\s+4\\s+1-4\\s+1 conflict$`, 'm'));
  expect(report.stdout).toMatch(new RegExp(`^${session}\\s+${target.auditID}\\s+ResponseComplete\\s+${principal.replace(/[.#/:]/g, '\\$&')}\\s+\\S+Z$`, 'm'));
  expect(report.stderr).toContain('Error: Audit trail failed verification: 1 conflict in 1 session (4 chained events in 1 session) (KGATE_AUDIT_CHAIN_BROKEN)');

  const json = await kgate(['audit', 'verify', '--session', session, '--json']);
  expect(json.code).toBe(1);
  const { result } = JSON.parse(json.stdout) as { result: { ok: boolean; problems: unknown[]; conflicts: { session: string; auditID: string; stage: string; copyPrincipal: string }[] } };
  expect(result).toMatchObject({ ok: false, problems: [], conflicts: [{ session, auditID: target.auditID, stage: 'ResponseComplete', copyPrincipal: principal }] });
});

it('replay plays an uploaded recording; a corrupted one is refused with one clear line and exit 1', async () => {
  const id = randomUUID();
  let now = 0;
  let cast = '';
  const recorder = createAsciicastWriter({ width: 80, height: 24, command: 'kubectl exec -it web -- sh', clock: () => now, write: (line) => (cast += line) });
  for (const chunk of ['$ cat /etc/motd\r\n', 'kgate replay works ✓\r\n', '$ exit\r\n']) {
    now += 1500;
    recorder.output(Buffer.from(chunk));
  }
  recorder.close();
  // Stored as the gateway stores one (clients upload only their own broker-mode grants' recordings).
  await server.store.putRecording(id, { contentType: 'application/x-asciicast', principal }, Buffer.from(cast));

  const played = await kgate(['audit', 'replay', id, '--speed', '100']);
  expect(played.stderr).toBe('');
  expect(played).toMatchObject({ code: 0, stdout: '$ cat /etc/motd\r\nkgate replay works ✓\r\n$ exit\r\n' });

  const corrupt = randomUUID();
  await server.store.putRecording(corrupt, { contentType: 'application/x-asciicast', principal }, Buffer.from(`${cast.split('\n').slice(0, 2).join('\n')}\n[3.0, "o", "half a li`));
  const refused = await kgate(['audit', 'replay', corrupt]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  const errors = refused.stderr.split('\n').filter((l) => l.startsWith('Error: '));
  expect(errors).toEqual([`Error: Recording ${corrupt} is not a valid asciicast v2 recording (asciicast line 3: not JSON) (KGATE_RECORDING_CORRUPT)`]);

  const missing = await kgate(['audit', 'replay', 'no-such-recording']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('No recording no-such-recording');
});

it('tail shows a session oldest first, and with --follow --json prints each new event once until Ctrl-C', async () => {
  const { session, events } = brokerSession(5);
  await client.ingestAudit(events.slice(0, 3));
  const tail = await kgate(['audit', 'tail', '--session', session]);
  expect(tail.code).toBe(0);
  expect(tail.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1))).toEqual(['staging/web-0', 'staging/web-1', 'staging/web-2']);

  const child = spawn(process.execPath, [KGATE_BIN, 'audit', 'tail', '--follow', '--json', '--session', session, '--interval', '200ms', '--limit', '2'], {
    env: Object.fromEntries(Object.entries(env()).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    watchers.forEach((w) => w());
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => {
    watchers.forEach((w) => w());
    resolve(code);
  }));
  const ids = () => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEvent).auditID);
  const printed = (count: number) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (ids().length >= count) resolve();
      else if (child.exitCode !== null) reject(new Error(`tail ended early: ${stdout}\n${stderr}`));
    };
    watchers.add(check);
    check();
  });

  await printed(2);
  expect(ids()).toEqual([events[1]!.auditID, events[2]!.auditID]);
  await client.ingestAudit([events[3]!]);
  await printed(3);
  // Every poll sees the earlier events again inside its window; only the next new one may print.
  await client.ingestAudit([events[4]!]);
  await printed(4);
  child.kill('SIGINT');
  expect(await done).toBe(0);
  expect(stderr).toBe('');
  expect(ids()).toEqual(events.slice(1).map((e) => e.auditID));
});
