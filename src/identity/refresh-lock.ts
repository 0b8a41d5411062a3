import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, KgateError } from '../cli/errors.js';
import { ensurePrivateDir } from '../cli/atomic-file.js';

/** Options of {@link withRefreshLock}. */
export interface RefreshLockOptions {
  /** Give up waiting after this long. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its holder still runs (a hung refresh). */
  staleMs?: number;
  /** Whether a process id is alive; injectable for tests. */
  isAlive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface Holder {
  pid: number;
  since: number;
}

const defaultIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `critical` while holding `<stateDir>/locks/<key>.lock`, a file created with O_EXCL that
 * records the holder's pid and start time. Waiters retry with jitter; a lock whose holder died
 * or that is older than `staleMs` is taken over. Callers must re-read the cache inside
 * `critical`: another process may have refreshed while they waited.
 */
export async function withRefreshLock<T>(stateDir: string, key: string, critical: () => Promise<T>, options: RefreshLockOptions = {}): Promise<T> {
  const dir = join(stateDir, 'locks');
  await ensurePrivateDir(dir);
  const path = join(dir, `${key}.lock`);
  const token = await acquire(path, options);
  try {
    return await critical();
  } finally {
    await release(path, token);
  }
}

async function acquire(path: string, options: RefreshLockOptions): Promise<string> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const content = JSON.stringify({ pid: process.pid, since: now() } satisfies Holder);
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(content);
      await handle.close();
      return content;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(path, error);
    }
    if (await takeOverIfStale(path, options, now())) continue;
    if (now() > deadline) {
      throw new KgateError(`Timed out waiting for another kgate process to finish refreshing the token (${path})`, {
        code: 'KGATE_LOCK_TIMEOUT', exit: ExitCode.Unavailable,
        suggestions: [`If no kgate process is running, remove ${path}.`],
      });
    }
    await sleep(20 + Math.floor(Math.random() * 30));
  }
}

async function takeOverIfStale(path: string, options: RefreshLockOptions, now: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return true;
  }
  const holder = parseHolder(text);
  // A holder that has not written its pid yet is between create and write, unless that was long ago.
  if (!holder) {
    const written = await stat(path).then((s) => s.mtimeMs, () => 0);
    if (now - written < 2_000) return false;
  }
  const dead = holder !== undefined && !(options.isAlive ?? defaultIsAlive)(holder.pid);
  if (holder && !dead && now - holder.since < (options.staleMs ?? 30_000)) return false;
  // Remove only the lock we judged stale: if a new holder replaced it meanwhile, leave theirs.
  const again = await readFile(path, 'utf8').catch(() => undefined);
  if (again === text) await rm(path, { force: true });
  return true;
}

async function release(path: string, token: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === token) await rm(path, { force: true });
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    return typeof value.pid === 'number' && typeof value.since === 'number' ? (value as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function lockError(path: string, error: unknown): KgateError {
  return new KgateError(`Cannot create the refresh lock ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
    code: 'KGATE_LOCK', exit: ExitCode.Error,
    suggestions: ['Check that the state directory (KGATE_STATE_DIR) is writable.'],
  });
}
