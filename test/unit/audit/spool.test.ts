import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSpool, SpoolClosedError, SpoolFullError } from '../../../src/audit/spool.js';
import { auditEvent } from './fixtures.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kgate-spool-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the audit spool', () => {
  test('keeps events in order until acknowledged, across a reopen', async () => {
    const path = join(dir, 'state', 'audit-spool.db');
    const spool = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
    await Promise.all([1, 2, 3].map((i) => spool.append(auditEvent(i))));
    const pending = spool.pending(10);
    expect(pending.map((p) => p.event)).toEqual([auditEvent(1), auditEvent(2), auditEvent(3)]);
    spool.ack([pending[0]!.id]);
    expect(spool.stats()).toMatchObject({ pending: 2 });
    await spool.close();
    const again = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
    expect(again.pending(1).map((p) => p.event.auditID)).toEqual([auditEvent(2).auditID]);
    expect(again.stats()).toEqual({ pending: 2, bytes: 2 * Buffer.byteLength(JSON.stringify(auditEvent(2))), maxBytes: 1 << 20, maxEvents: 100 });
    await again.close();
  });

  test('creates its directory 0700 and its database, -wal and -shm files 0600, whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const path = join(dir, 'state', 'audit', 'spool.db');
      const spool = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
      await spool.append(auditEvent(1));
      const mode = (file: string) => statSync(file).mode & 0o777;
      expect(mode(join(dir, 'state', 'audit'))).toBe(0o700);
      expect([path, `${path}-wal`, `${path}-shm`].map(mode)).toEqual([0o600, 0o600, 0o600]);
      await spool.close();
    } finally {
      process.umask(previous);
    }
  });

  test('tightens a spool an older version left readable', async () => {
    const path = join(dir, 'spool.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const spool = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
    await spool.append(auditEvent(1));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    await spool.close();
  });

  test('puts the database in WAL mode', async () => {
    const path = join(dir, 'spool.db');
    const spool = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
    await spool.append(auditEvent(1));
    // journal_mode persists in the file (synchronous is per connection and cannot be seen from here).
    const probe = new DatabaseSync(path);
    expect(probe.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    probe.close();
    await spool.close();
  });

  test('append resolves only once the event is committed, visible to another connection', async () => {
    const path = join(dir, 'spool.db');
    const spool = openSpool(path, { maxBytes: 1 << 20, maxEvents: 100 });
    const appended = spool.append(auditEvent(7));
    const probe = new DatabaseSync(path);
    const count = () => (probe.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
    expect(count()).toBe(0);
    await appended;
    expect(count()).toBe(1);
    probe.close();
    await spool.close();
  });

  test('past the event or byte cap, append throws SpoolFullError; acking makes room', async () => {
    const size = Buffer.byteLength(JSON.stringify(auditEvent(1)));
    const byCount = openSpool(join(dir, 'a.db'), { maxBytes: 1 << 20, maxEvents: 2 });
    await byCount.append(auditEvent(1));
    await byCount.append(auditEvent(2));
    const full = await byCount.append(auditEvent(3)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(SpoolFullError);
    expect(full).toMatchObject({ code: 'KGATE_AUDIT_SPOOL_FULL', stats: { pending: 2 } });
    byCount.ack(byCount.pending(1).map((p) => p.id));
    await byCount.append(auditEvent(3));
    await byCount.close();

    const byBytes = openSpool(join(dir, 'b.db'), { maxBytes: size * 2 + 10, maxEvents: 100 });
    // Appends in the same tick count against the cap before they commit.
    const results = await Promise.allSettled([1, 2, 3].map((i) => byBytes.append(auditEvent(i))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(byBytes.stats()).toMatchObject({ pending: 2, bytes: size * 2 });
    await byBytes.close();
  });

  test('refuses use after close', async () => {
    const spool = openSpool(join(dir, 'c.db'), { maxBytes: 1000, maxEvents: 10 });
    await spool.close();
    await expect(spool.append(auditEvent(1))).rejects.toBeInstanceOf(SpoolClosedError);
    expect(() => spool.pending(1)).toThrow(SpoolClosedError);
  });

  test('notifies listeners after a commit', async () => {
    const spool = openSpool(join(dir, 'd.db'), { maxBytes: 1 << 20, maxEvents: 10 });
    let calls = 0;
    const off = spool.onAppend(() => (calls += 1));
    await spool.append(auditEvent(1));
    off();
    await spool.append(auditEvent(2));
    expect(calls).toBe(1);
    await spool.close();
  });
});
