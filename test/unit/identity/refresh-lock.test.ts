import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRefreshLock } from '../../../src/identity/refresh-lock.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kgate-lock-'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withRefreshLock', () => {
  test('holders never overlap and each one runs once; the lock file is gone afterwards', async () => {
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(Array.from({ length: 8 }, (_, i) => withRefreshLock(dir, 'k', async () => {
      inside += 1;
      maxInside = Math.max(maxInside, inside);
      await pause(5);
      order.push(i);
      inside -= 1;
    })));
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await readdir(join(dir, 'locks'))).toEqual([]);
  });

  test('the lock is released when the critical section throws', async () => {
    await expect(withRefreshLock(dir, 'k', async () => { throw new Error('refresh failed'); })).rejects.toThrow('refresh failed');
    expect(await withRefreshLock(dir, 'k', async () => 'again')).toBe('again');
  });

  test('a lock left by a dead process is taken over', async () => {
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(join(dir, 'locks', 'k.lock'), JSON.stringify({ pid: 999_999_999, since: Date.now() }));
    expect(await withRefreshLock(dir, 'k', async () => 'taken', { isAlive: () => false, timeoutMs: 2_000 })).toBe('taken');
  });

  test('a lock held too long by a live process is taken over; a fresh one is waited for until the timeout', async () => {
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(join(dir, 'locks', 'k.lock'), JSON.stringify({ pid: process.pid, since: Date.now() - 60_000 }));
    expect(await withRefreshLock(dir, 'k', async () => 'stale', { staleMs: 30_000 })).toBe('stale');
    await writeFile(join(dir, 'locks', 'k.lock'), JSON.stringify({ pid: process.pid, since: Date.now() }));
    await expect(withRefreshLock(dir, 'k', async () => 'never', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'KGATE_LOCK_TIMEOUT', exit: 6 });
  });
});
