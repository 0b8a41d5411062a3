import { DatabaseSync } from 'node:sqlite';

/**
 * Opens a connection configured for the store. WAL lets readers run beside the one writer;
 * `synchronous=FULL` syncs the WAL at every commit, so a write that returned survives kill -9
 * and power loss (NORMAL, the usual WAL pairing, may lose the last commits on power loss).
 */
export function openConnection(path: string, options: { busyTimeoutMs: number }): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    // Deleted rows are overwritten, not just unlinked: a held request's body may carry a secret
    // and is deleted once its approval is decided.
    db.exec('PRAGMA secure_delete = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
