/**
 * The shipper against a real spool, with `send` standing in for the policy service so each
 * test can make the service fail, answer late or reject a batch on cue (test/e2e/audit ships to
 * the real service); timers are a fake clock so backoff is checked without waiting.
 */
import type { AuditEvent } from '../../../src/audit/event.js';
import { createShipper, type ShipperClock } from '../../../src/audit/shipper.js';
import { openSpool, type AuditSpool } from '../../../src/audit/spool.js';
import { auditEvent } from './fixtures.js';

function fakeClock(random = 0.5) {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const delays: number[] = [];
  const clock: ShipperClock = {
    setTimeout: (fn, ms) => {
      delays.push(ms);
      timers.set(++nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (id) => timers.delete(id as number),
    now: () => now,
    random: () => random,
  };
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    clock,
    delays,
    /** Moves time on, firing due timers and letting the shipper's promises run. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        await settle();
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
      await settle();
    },
  };
}

async function spoolWith(n: number): Promise<AuditSpool> {
  const spool = openSpool(':memory:', { maxBytes: 1 << 24, maxEvents: 10_000 });
  await Promise.all(Array.from({ length: n }, (_, i) => spool.append(auditEvent(i + 1))));
  return spool;
}

describe('the audit shipper', () => {
  test('ships in batches and acks only what the service accepted', async () => {
    const spool = await spoolWith(7);
    const batches: string[][] = [];
    const time = fakeClock();
    const shipper = createShipper({
      spool, batchSize: 3, clock: time.clock,
      send: async (events) => {
        batches.push(events.map((e) => e.auditID.slice(-2)));
        expect(spool.stats().pending).toBe(7 - (batches.length - 1) * 3);
        return { accepted: events.length, duplicates: 0 };
      },
    });
    const flushed = shipper.flush(10_000);
    await time.advance(0);
    expect(await flushed).toEqual({ shipped: 7, remaining: 0 });
    expect(batches).toEqual([['01', '02', '03'], ['04', '05', '06'], ['07']]);
    await shipper.stop();
    await spool.close();
  });

  test('while the service is down it retries with growing, jittered, capped backoff and drops nothing', async () => {
    const spool = await spoolWith(4);
    const time = fakeClock(0.5);
    let up = false;
    const received: string[] = [];
    const logs: string[] = [];
    const shipper = createShipper({
      spool, batchSize: 10, clock: time.clock, backoff: { initialMs: 100, maxMs: 1000 }, idleMs: 60_000, log: (l) => logs.push(l),
      send: async (events: AuditEvent[]) => {
        if (!up) throw new Error('connect ECONNREFUSED');
        received.push(...events.map((e) => e.auditID));
        return { accepted: events.length, duplicates: 0 };
      },
    });
    shipper.start();
    await time.advance(5000);
    expect(spool.stats().pending).toBe(4);
    // Equal jitter with random()=0.5: 3/4 of each exponential step, capped at maxMs.
    const retries = time.delays.filter((d) => d !== 60_000);
    expect(retries.slice(0, 6)).toEqual([75, 150, 300, 600, 750, 750]);
    expect(logs[0]).toBe('audit shipping failed (attempt 1, 4 events): connect ECONNREFUSED');
    await spool.append(auditEvent(5));
    up = true;
    await time.advance(1000);
    expect(received).toEqual([1, 2, 3, 4, 5].map((i) => auditEvent(i).auditID));
    expect(spool.stats().pending).toBe(0);
    expect(logs.at(-1)).toMatch(/recovered after \d+ failed attempt/);
    await shipper.stop();
    await spool.close();
  });

  test('a new event wakes an idle shipper at once', async () => {
    const spool = await spoolWith(0);
    const time = fakeClock();
    const received: string[] = [];
    const shipper = createShipper({ spool, clock: time.clock, idleMs: 60_000, send: async (events) => (received.push(...events.map((e) => e.auditID)), { accepted: events.length, duplicates: 0 }) });
    shipper.start();
    await time.advance(10);
    await spool.append(auditEvent(1));
    await time.advance(0);
    expect(received).toEqual([auditEvent(1).auditID]);
    await shipper.stop();
    await spool.close();
  });

  test('duplicates count as delivered; an answer that does not add up is retried', async () => {
    const spool = await spoolWith(2);
    const time = fakeClock();
    const answers = [{ accepted: 1, duplicates: 0 }, { accepted: 0, duplicates: 2 }];
    const shipper = createShipper({ spool, clock: time.clock, send: async () => answers.shift()! });
    const flushed = shipper.flush(10_000);
    await time.advance(10_000);
    expect(await flushed).toEqual({ shipped: 2, remaining: 0 });
    expect(answers).toEqual([]);
    await spool.close();
  });

  test('conflicts count as delivered (resending cannot help) and are logged for verify', async () => {
    const spool = await spoolWith(3);
    const time = fakeClock();
    const logs: string[] = [];
    let sends = 0;
    const shipper = createShipper({ spool, clock: time.clock, log: (l) => logs.push(l), send: async (events) => ((sends += 1), { accepted: events.length - 1, duplicates: 0, conflicts: 1 }) });
    const flushed = shipper.flush(10_000);
    await time.advance(0);
    expect(await flushed).toEqual({ shipped: 3, remaining: 0 });
    expect(sends).toBe(1);
    expect(logs).toEqual(['audit shipping: the service already held other events under 1 of these auditIDs; it keeps them as conflicts, which kgate audit verify reports']);
    await shipper.stop();
    await spool.close();
  });

  test('a batch rejected as malformed is halved until the bad event stands alone; the rest ships', async () => {
    const spool = await spoolWith(8);
    const time = fakeClock();
    const poison = auditEvent(3).auditID;
    const shipped: string[] = [];
    const shipper = createShipper({
      spool, batchSize: 8, clock: time.clock, backoff: { initialMs: 10, maxMs: 10 },
      send: async (events) => {
        if (events.some((e) => e.auditID === poison)) throw Object.assign(new Error('events[2].auditID is required'), { status: 400 });
        shipped.push(...events.map((e) => e.auditID));
        return { accepted: events.length, duplicates: 0 };
      },
    });
    const flushed = await (async () => {
      const f = shipper.flush(1000);
      await time.advance(1000);
      return f;
    })();
    // Never dropped: the poison event stays in the spool and holds back those after it (order kept).
    expect(flushed).toEqual({ shipped: 2, remaining: 6 });
    expect(shipped).toEqual([1, 2].map((i) => auditEvent(i).auditID));
    expect(spool.pending(1)[0]!.event.auditID).toBe(poison);
    await spool.close();
  });

  test('flush gives up at its timeout and reports what remains; stop waits for the batch in flight', async () => {
    const spool = await spoolWith(3);
    const time = fakeClock();
    let answer!: () => void;
    const shipper = createShipper({ spool, clock: time.clock, send: (events) => new Promise((resolve) => (answer = () => resolve({ accepted: events.length, duplicates: 0 }))) });
    const flushed = shipper.flush(500);
    await time.advance(500);
    expect(await flushed).toEqual({ shipped: 0, remaining: 3 });
    shipper.start();
    let stopped = false;
    const stopping = shipper.stop().then(() => (stopped = true));
    await time.advance(0);
    expect(stopped).toBe(false);
    answer();
    await stopping;
    expect(spool.stats().pending).toBe(0);
    await spool.close();
  });

  test('rejects a batch size the service would refuse', () => {
    expect(() => createShipper({ spool: {} as AuditSpool, batchSize: 1001, send: async () => ({ accepted: 0, duplicates: 0 }) })).toThrow('batchSize must be 1–1000');
  });
});
