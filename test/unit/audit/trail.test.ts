import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createAuditChain } from '../../../src/audit/chain.js';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import { createTrailFollower, LATE_MS, readTrail, type AuditSearch } from '../../../src/audit/trail.js';
import { auditRecordOf } from '../../../src/policy/server/routes-audit.js';
import { openSqliteStore } from '../../../src/policy/store/sqlite.js';
import { MIGRATIONS, migrate } from '../../../src/policy/store/sqlite/migrations.js';
import type { PolicyStore } from '../../../src/policy/store/types.js';

const T0 = Date.UTC(2026, 0, 1, 12);

function event(id: string, at: number): AuditEvent {
  return buildAuditEvent({
    auditID: id, stage: 'ResponseComplete', requestURI: '/api/v1/pods', verb: 'list', user: { username: 'u' },
    requestReceivedAt: at, stageAt: at, kgate: { principal: 'idp#u', principalType: 'workload', issuer: 'idp', decision: 'allow' },
  });
}

// The real store the service searches, so paging, ordering and the session filter are the service's own.
let dir: string;
let store: PolicyStore;
const search: AuditSearch = async (filter) => {
  const page = await store.queryAuditEvents(filter);
  return { items: page.items.map((r) => r.event as Record<string, unknown>), ...(page.nextCursor ? { next: page.nextCursor } : {}) };
};
const ingest = (events: AuditEvent[]) => store.ingestAuditEvents(events.map((e, i) => auditRecordOf(e, i)));
const ids = (events: AuditEvent[]) => events.map((e) => e.auditID);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgate-trail-'));
  store = openSqliteStore(join(dir, 'kgate.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reading the trail', () => {
  test('follows the cursor across pages and returns every event once, newest first', async () => {
    const events = Array.from({ length: 2500 }, (_, i) => event(`e${String(i).padStart(4, '0')}`, T0 + Math.floor(i / 3)));
    await ingest(events);
    const read = await readTrail(search, {});
    expect(read).toHaveLength(2500);
    expect(new Set(ids(read)).size).toBe(2500);
    expect(ids(read)).toEqual(ids(events).reverse());
  });

  test('the session filter returns one broker session, also for events stored before the filter existed', async () => {
    const a = createAuditChain('sess-a');
    const b = createAuditChain('sess-b');
    const old = a.seal(event('old', T0));
    const file = join(dir, 'v1.db');
    const v1 = new DatabaseSync(file);
    migrate(v1, { now: T0, location: file, migrations: MIGRATIONS.filter((m) => m.version === 1) });
    v1.prepare(`INSERT INTO audit_events (id, time, time_us, event, ingested_at) VALUES (?, ?, ?, ?, ?)`).run(old.auditID, old.stageTimestamp, T0 * 1000, JSON.stringify(old), T0);
    v1.close();
    await store.close();
    store = openSqliteStore(file);
    await ingest([a.seal(event('a2', T0 + 1)), b.seal(event('b1', T0 + 2)), event('service', T0 + 3)]);
    expect(ids(await readTrail(search, { session: 'sess-a' }))).toEqual(['a2', 'old']);
    expect(ids(await readTrail(search, { session: 'sess-b' }))).toEqual(['b1']);
    expect(await readTrail(search, { session: 'nope' })).toEqual([]);
  });
});

describe('following the trail', () => {
  test('hands on each new event once, oldest first, including one shipped late', async () => {
    await ingest([event('before-1', T0 - 1000), event('before-2', T0)]);
    const follower = createTrailFollower({ search, filter: {}, now: () => T0 });
    await follower.prime();
    expect(await follower.poll()).toEqual([]);

    await ingest([event('new-2', T0 + 2000), event('new-1', T0 + 1000)]);
    expect(ids(await follower.poll())).toEqual(['new-1', 'new-2']);
    expect(await follower.poll()).toEqual([]);

    // A broker that was offline ships an event older than the newest one seen.
    await ingest([event('late', T0 + 1500), event('new-3', T0 + 3000)]);
    expect(ids(await follower.poll())).toEqual(['late', 'new-3']);
    expect(await follower.poll()).toEqual([]);
  });

  test('events marked seen are not handed on again', async () => {
    const shown = [event('shown', T0 - 10)];
    await ingest(shown);
    const follower = createTrailFollower({ search, filter: {}, now: () => T0 - LATE_MS * 2 });
    follower.seen(shown);
    expect(await follower.poll()).toEqual([]);
  });

  test('keeps to the filter', async () => {
    const a = createAuditChain('sess-a');
    const follower = createTrailFollower({ search, filter: { session: 'sess-a' }, now: () => T0 });
    await follower.prime();
    await ingest([a.seal(event('mine', T0 + 1)), event('other', T0 + 2)]);
    expect(ids(await follower.poll())).toEqual(['mine']);
  });
});
