import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { AuditEventRecord, AuditQuery, PolicyStore } from '../../../../src/policy/store/types.js';

/** An audit.k8s.io/v1 Event as the broker emits it, with its columns pulled out. */
function auditEvent(id: string, time: string, facts: Partial<AuditEventRecord> = {}): AuditEventRecord {
  return {
    id,
    time,
    principal: 'https://idp.test#sub-alice',
    grant: 'g1',
    cluster: 'sim',
    verb: 'get',
    resource: 'pods',
    namespace: 'default',
    decision: 'allow',
    ...facts,
    event: {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      level: 'Metadata',
      auditID: id,
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/pods',
      verb: facts.verb ?? 'get',
      user: { username: 'kgate:grant-g1' },
      requestReceivedTimestamp: time,
      annotations: { 'kgate.dev/decision': facts.decision ?? 'allow' },
    },
  };
}

describe('audit events in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('the same batch ingested twice is stored once', async () => {
    const batch = [auditEvent('e1', '2025-01-01T00:00:00.000001Z'), auditEvent('e2', '2025-01-01T00:00:01Z')];
    expect(await store.ingestAuditEvents(batch)).toEqual({ inserted: 2, duplicates: 0, conflicts: 0 });
    expect(await store.ingestAuditEvents(batch)).toEqual({ inserted: 0, duplicates: 2, conflicts: 0 });
    expect(await store.ingestAuditEvents([auditEvent('e3', '2025-01-01T00:00:02Z'), auditEvent('e3', '2025-01-01T00:00:02Z'), batch[0]!]))
      .toEqual({ inserted: 1, duplicates: 2, conflicts: 0 });
    const { items } = await store.queryAuditEvents();
    expect(items.map((e) => e.id)).toEqual(['e3', 'e2', 'e1']);
    expect(items[2]).toEqual(batch[0]);
    expect((await store.queryAuditConflicts()).items).toEqual([]);
  });

  test('a resend whose JSON differs only in key order and spacing is a duplicate, not a conflict', async () => {
    const stored = auditEvent('e1', '2025-01-01T00:00:00Z');
    await store.ingestAuditEvents([stored]);
    const event = stored.event as Record<string, unknown>;
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(event).reverse()), null, 2)) as unknown;
    expect(await store.ingestAuditEvents([{ ...stored, event: reordered }])).toEqual({ inserted: 0, duplicates: 1, conflicts: 0 });
    expect((await store.queryAuditConflicts()).items).toEqual([]);
  });

  test('another event under a stored id is kept as a conflict, once per distinct copy; the stored event stays', async () => {
    const chained = (id: string, session: string, verb: string, principal = 'https://idp.test#sub-alice'): AuditEventRecord => {
      const base = auditEvent(id, '2025-01-01T00:00:00Z', { verb, principal });
      const event = base.event as { annotations: Record<string, string> };
      return { ...base, event: { ...event, annotations: { ...event.annotations, 'kgate.dev/session': session } } };
    };
    const original = chained('e1', 'sess-a', 'get');
    await store.ingestAuditEvents([original]);
    const forged = chained('e1', 'sess-a', 'delete', 'https://idp.test#sub-mallory');
    expect(await store.ingestAuditEvents([forged, forged])).toEqual({ inserted: 0, duplicates: 0, conflicts: 2 });
    expect(await store.ingestAuditEvents([forged, chained('e1', 'sess-b', 'patch', 'https://idp.test#sub-mallory'), original]))
      .toEqual({ inserted: 0, duplicates: 1, conflicts: 2 });
    expect((await store.queryAuditEvents()).items).toEqual([original]);

    const { items } = await store.queryAuditConflicts();
    expect(items).toHaveLength(2);
    expect(items.map((c) => (c.event as { verb: string }).verb).sort()).toEqual(['delete', 'patch']);
    for (const conflict of items) {
      expect(conflict).toMatchObject({ id: 'e1', time: '2025-01-01T00:00:00Z', session: 'sess-a', principal: 'https://idp.test#sub-alice', copyPrincipal: 'https://idp.test#sub-mallory', grant: 'g1', cluster: 'sim' });
      expect(typeof conflict.receivedAt).toBe('number');
    }
    expect(items.find((c) => (c.event as { verb: string }).verb === 'patch')!.copySession).toBe('sess-b');
    expect(items.find((c) => (c.event as { verb: string }).verb === 'delete')!.copySession).toBeUndefined();
  });

  test('conflicts are found by session (either side), principal (either side) and the contested event\'s time, a page at a time', async () => {
    const at = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
    const copy = (record: AuditEventRecord, principal: string): AuditEventRecord => ({ ...record, principal, event: { ...(record.event as object), verb: 'delete' } });
    const originals = Array.from({ length: 5 }, (_, i) => {
      const base = auditEvent(`e${i}`, at(i));
      const event = base.event as { annotations: Record<string, string> };
      return { ...base, event: { ...event, annotations: { ...event.annotations, 'kgate.dev/session': i < 3 ? 'sess-a' : 'sess-b' } } };
    });
    await store.ingestAuditEvents(originals);
    await store.ingestAuditEvents(originals.map((o, i) => copy(o, i % 2 ? 'https://idp.test#sub-bob' : 'https://idp.test#sub-carl')));
    const ids = async (query: Parameters<PolicyStore['queryAuditConflicts']>[0]) => {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.queryAuditConflicts({ ...query, limit: 2, ...(cursor ? { cursor } : {}) });
        out.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await ids({})).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect(await ids({ session: 'sess-a' })).toEqual(['e2', 'e1', 'e0']);
    expect(await ids({ principal: 'https://idp.test#sub-bob' })).toEqual(['e3', 'e1']);
    expect(await ids({ principal: 'https://idp.test#sub-alice' })).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect(await ids({ from: at(1), to: at(3) })).toEqual(['e2', 'e1']);
    await expect(store.queryAuditConflicts({ cursor: 'nope' })).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
  });

  test('a batch with one bad event stores nothing', async () => {
    for (const bad of [auditEvent('x', 'yesterday'), auditEvent('', '2025-01-01T00:00:00Z'), auditEvent('x', '2025-02-30T00:00:00Z'), auditEvent('x', '2025-01-01T24:00:00Z')]) {
      await expect(store.ingestAuditEvents([auditEvent('ok', '2025-01-01T00:00:00Z'), bad])).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    }
    expect((await store.queryAuditEvents()).items).toEqual([]);
  });

  test('order follows the instant, across offsets and fraction lengths, to the microsecond', async () => {
    await store.ingestAuditEvents([
      auditEvent('a', '2025-01-01T00:00:00.000002Z'),
      auditEvent('b', '2025-01-01T01:00:00.000001+01:00'),
      auditEvent('c', '2025-01-01T00:00:00.1Z'),
      auditEvent('d', '2024-12-31T23:30:00.5-00:30'),
      auditEvent('e', '2025-01-01T00:00:00.000002999Z'),
    ]);
    expect((await store.queryAuditEvents()).items.map((e) => e.id)).toEqual(['d', 'c', 'e', 'a', 'b']);
  });

  describe('queries', () => {
    const verbs = ['get', 'list', 'delete', 'create'];
    beforeEach(async () => {
      const events: AuditEventRecord[] = [];
      for (let i = 0; i < 60; i++) {
        // Four events per second: page boundaries fall inside runs of equal times.
        const time = new Date(Date.UTC(2025, 0, 1, 0, 0, Math.floor(i / 4))).toISOString();
        events.push(auditEvent(`e${String(i).padStart(2, '0')}`, time, {
          verb: verbs[i % 4],
          principal: i % 3 === 0 ? 'https://idp.test#sub-bob' : 'https://idp.test#sub-alice',
          grant: `g${i % 2}`,
          cluster: i < 30 ? 'sim' : 'other',
          resource: i % 5 === 0 ? 'secrets' : 'pods',
          namespace: i % 6 === 0 ? 'prod' : 'default',
          decision: i % 10 === 0 ? 'deny' : 'allow',
        }));
      }
      await store.ingestAuditEvents(events);
    });

    async function walk(query: AuditQuery): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.queryAuditEvents({ ...query, cursor });
        ids.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      return ids;
    }

    test('pages of every size walk all events once, newest first', async () => {
      const all = Array.from({ length: 60 }, (_, i) => `e${String(59 - i).padStart(2, '0')}`);
      for (const limit of [1, 3, 7, 60, 1000]) expect(await walk({ limit })).toEqual(all);
      const first = await store.queryAuditEvents({ limit: 60 });
      expect(first.nextCursor).toBeUndefined();
    });

    test('each filter narrows by exact match and they combine', async () => {
      const expectIds = async (query: AuditQuery, predicate: (i: number) => boolean) => {
        const expected = Array.from({ length: 60 }, (_, i) => 59 - i).filter(predicate).map((i) => `e${String(i).padStart(2, '0')}`);
        expect(expected.length).toBeGreaterThan(0);
        expect(await walk({ ...query, limit: 4 })).toEqual(expected);
      };
      await expectIds({ verb: 'delete' }, (i) => i % 4 === 2);
      await expectIds({ principal: 'https://idp.test#sub-bob' }, (i) => i % 3 === 0);
      await expectIds({ grant: 'g1' }, (i) => i % 2 === 1);
      await expectIds({ cluster: 'other' }, (i) => i >= 30);
      await expectIds({ resource: 'secrets' }, (i) => i % 5 === 0);
      await expectIds({ namespace: 'prod' }, (i) => i % 6 === 0);
      await expectIds({ decision: 'deny' }, (i) => i % 10 === 0);
      await expectIds({ verb: 'get', cluster: 'sim', namespace: 'default' }, (i) => i % 4 === 0 && i < 30 && i % 6 !== 0);
      // from is inclusive, to exclusive: seconds 2..4 hold events 8..19.
      await expectIds({ from: '2025-01-01T00:00:02Z', to: '2025-01-01T00:00:05Z' }, (i) => i >= 8 && i < 20);
      await expectIds({ from: '2025-01-01T01:00:02+01:00', verb: 'list' }, (i) => i >= 8 && i % 4 === 1);
      expect(await walk({ verb: 'patch' })).toEqual([]);
    });

    test('bad limits, cursors and times are invalid input', async () => {
      for (const query of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { cursor: 'nope' }, { from: 'monday' }, { to: '2025-01-01' }]) {
        await expect(store.queryAuditEvents(query)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
      }
    });
  });
});
