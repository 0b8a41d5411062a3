/**
 * The durable local audit spool: events wait here, in SQLite (`node:sqlite`, WAL,
 * `synchronous=FULL`) in the state directory, until the policy service has accepted them. An
 * `append` resolves only after its transaction is committed and synced, so an event the broker
 * has answered for survives kill -9 and power loss. Appends made in the same tick share one commit.
 * Past the size cap appends fail with {@link SpoolFullError}, and a commit the disk refuses (full,
 * read-only, a file-size limit) fails with {@link SpoolWriteError} carrying SQLite's own error: the
 * broker then refuses requests rather than serve them unaudited, and `probe` tells it when the
 * spool can write again.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ExitCode, KgateError } from '../cli/errors.js';
import type { AuditEvent } from './event.js';

export interface SpoolOptions {
  /** Most bytes of event JSON waiting to be shipped. */
  maxBytes: number;
  /** Most events waiting to be shipped. */
  maxEvents: number;
  /** How long to wait for another process's write lock, in ms; default 5000. */
  busyTimeoutMs?: number;
}

/** One spooled event and the id that acknowledges it. */
export interface SpooledEvent {
  id: number;
  event: AuditEvent;
}

export interface SpoolStats {
  /** Events waiting to be shipped (committed or being committed). */
  pending: number;
  /** Bytes of their JSON. */
  bytes: number;
  maxBytes: number;
  maxEvents: number;
}

/** Where a broker's sealed audit events are committed: the spool, or the gateway's store writer. */
export interface AuditTarget {
  /** Commits `event`; resolves once it is on disk. @throws SpoolFullError past the cap, SpoolWriteError when the disk refuses. */
  append(event: AuditEvent): Promise<void>;
  stats(): SpoolStats;
  /** The error of the last write that failed, until a write succeeds again; undefined when writes work. */
  failure(): Error | undefined;
  /**
   * Commits a write of its own about the size of a large event (nothing of record) and clears
   * `failure` when it works. @throws the error that stops it.
   */
  probe(): Promise<void>;
}

export interface AuditSpool extends AuditTarget {
  /** Up to `limit` committed events not yet acknowledged, oldest first. */
  pending(limit: number): SpooledEvent[];
  /** Forgets events the service accepted. */
  ack(ids: readonly number[]): void;
  /** Calls `listener` after each commit of new events; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void;
  /** Waits for appends in flight, then closes the database. */
  close(): Promise<void>;
}

/** The spool's cap is reached; the request must be refused, not served unaudited. */
export class SpoolFullError extends KgateError {
  constructor(readonly stats: SpoolStats) {
    super(`The audit spool is full (${stats.pending} events, ${stats.bytes} bytes waiting to be shipped)`, {
      code: 'KGATE_AUDIT_SPOOL_FULL',
      exit: ExitCode.Unavailable,
      suggestions: ['Check that the policy service is reachable so the audit trail can ship.'],
    });
  }
}

/** The spool's database refused a write: the disk is full or read-only, or a file-size limit was reached. */
export class SpoolWriteError extends KgateError {
  constructor(what: string, cause: unknown) {
    super(`The audit spool could not ${what}: ${(cause as Error).message}`, {
      code: 'KGATE_AUDIT_SPOOL_WRITE',
      exit: ExitCode.Unavailable,
      cause,
      suggestions: ['Free space on the disk that holds kgate\'s state directory, or make it writable.'],
    });
  }
}

/** The spool was used after `close()`. */
export class SpoolClosedError extends KgateError {
  constructor() {
    super('The audit spool is closed', { code: 'KGATE_AUDIT_SPOOL_CLOSED' });
  }
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS spool (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  audit_id TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pad BLOB NOT NULL
)`;

/** About a large event: a probe that fits says an event of that size would fit too. */
const PROBE_BYTES = 16 * 1024;

const ACK_CHUNK = 500;

interface Waiting {
  body: string;
  auditID: string;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Creates the spool's directory (0700) and database file (0600) before SQLite opens it: SQLite
 * would create the file 0644, and it gives the -wal and -shm files the database file's mode. A
 * spool left readable by an older version is tightened too.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Rolls back what is left of a failed transaction. A failed COMMIT may have ended it already (SQLite
 * rolls back by itself on an I/O error), and a ROLLBACK that throws must not hide the error that
 * says what went wrong.
 */
function rollbackQuietly(db: DatabaseSync): void {
  try {
    if (db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // The caller reports the first error.
  }
}

/**
 * Opens (creating it and its directory if needed) the spool at `path`. What a previous run left
 * unshipped is still pending.
 */
export function openSpool(path: string, opts: SpoolOptions): AuditSpool {
  if (!(opts.maxBytes > 0) || !(opts.maxEvents > 0)) throw new RangeError('openSpool: maxBytes and maxEvents must be positive');
  if (path !== ':memory:') createPrivately(path);
  const db = new DatabaseSync(path, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    // FULL syncs the WAL at every commit; NORMAL could lose the last commits on power loss.
    db.exec('PRAGMA synchronous = FULL');
    db.exec(SCHEMA);
  } catch (error) {
    db.close();
    throw error;
  }
  const insert = db.prepare('INSERT INTO spool (audit_id, bytes, body) VALUES (?, ?, ?)');
  // Fresh random bytes each time: SQLite skips rewriting pages whose content did not change.
  const probeRow = db.prepare(`INSERT INTO probe (id, pad) VALUES (1, randomblob(${PROBE_BYTES})) ON CONFLICT (id) DO UPDATE SET pad = excluded.pad`);
  const select = db.prepare('SELECT id, body FROM spool ORDER BY id LIMIT ?');
  const totals = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool').get() as { n: number; b: number };
  let count = Number(totals.n);
  let bytes = Number(totals.b);
  let queue: Waiting[] = [];
  let scheduled: Promise<void> | undefined;
  let closed = false;
  let failure: SpoolWriteError | undefined;
  const listeners = new Set<() => void>();

  /** Runs `work` in a write transaction; a failure is recorded and thrown as a SpoolWriteError. */
  const write = (what: string, work: () => void): void => {
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        work();
        db.exec('COMMIT');
      } catch (error) {
        rollbackQuietly(db);
        throw error;
      }
    } catch (error) {
      failure = new SpoolWriteError(what, error);
      throw failure;
    }
    failure = undefined;
  };

  const stats = (): SpoolStats => ({ pending: count, bytes, maxBytes: opts.maxBytes, maxEvents: opts.maxEvents });

  const commit = () => {
    const batch = queue;
    queue = [];
    scheduled = undefined;
    try {
      write(`commit ${batch.length === 1 ? 'an audit event' : `${batch.length} audit events`}`, () => {
        for (const w of batch) insert.run(w.auditID, w.bytes, w.body);
      });
    } catch (error) {
      for (const w of batch) {
        count -= 1;
        bytes -= w.bytes;
        w.reject(error);
      }
      return;
    }
    for (const w of batch) w.resolve();
    for (const listener of listeners) listener();
  };

  return {
    append(event) {
      if (closed) return Promise.reject(new SpoolClosedError());
      const body = JSON.stringify(event);
      const size = Buffer.byteLength(body);
      if (count + 1 > opts.maxEvents || bytes + size > opts.maxBytes) return Promise.reject(new SpoolFullError(stats()));
      count += 1;
      bytes += size;
      return new Promise<void>((resolve, reject) => {
        queue.push({ body, auditID: event.auditID, bytes: size, resolve, reject });
        scheduled ??= new Promise<void>((done) => setImmediate(() => {
          commit();
          done();
        }));
      });
    },
    pending(limit) {
      if (closed) throw new SpoolClosedError();
      const rows = select.all(Math.max(0, Math.floor(limit))) as { id: number; body: string }[];
      return rows.map((row) => ({ id: Number(row.id), event: JSON.parse(row.body) as AuditEvent }));
    },
    ack(ids) {
      if (closed) throw new SpoolClosedError();
      if (ids.length === 0) return;
      let freedCount = 0;
      let freedBytes = 0;
      write('forget shipped events', () => {
        // Chunks stay well under SQLite's limit on bound parameters.
        for (let i = 0; i < ids.length; i += ACK_CHUNK) {
          const chunk = ids.slice(i, i + ACK_CHUNK);
          const placeholders = chunk.map(() => '?').join(',');
          const freed = db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM spool WHERE id IN (${placeholders})`).get(...chunk) as { n: number; b: number };
          db.prepare(`DELETE FROM spool WHERE id IN (${placeholders})`).run(...chunk);
          freedCount += Number(freed.n);
          freedBytes += Number(freed.b);
        }
      });
      count -= freedCount;
      bytes -= freedBytes;
    },
    stats,
    failure: () => failure,
    async probe() {
      if (closed) throw new SpoolClosedError();
      // After the appends already queued, so their outcome counts first.
      await scheduled;
      write('write', () => probeRow.run());
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      await scheduled;
      listeners.clear();
      db.close();
    },
  };
}
