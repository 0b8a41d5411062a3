/** The change feed that long-poll and server-sent-events waiters read from. */
import { StoreError } from '../errors.js';
import { MAX_PAGE_SIZE } from '../paging.js';
import type { ChangeEntry } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { integer, text } from './row.js';

export function changesSince(db: SqliteDatabase, seq: number, limit = MAX_PAGE_SIZE): ChangeEntry[] {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new StoreError('KGATE_STORE_INVALID', `a change sequence number is a whole number of at least 0, not ${String(seq)}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new StoreError('KGATE_STORE_INVALID', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${String(limit)}`);
  }
  return db
    .all('SELECT seq, kind, entity_id FROM changes WHERE seq > :seq ORDER BY seq LIMIT :limit', { seq, limit })
    .map((row) => ({ seq: integer(row, 'seq'), kind: text(row, 'kind') as ChangeEntry['kind'], id: text(row, 'entity_id') }));
}

export function currentSeq(db: SqliteDatabase): number {
  return Number(db.get('SELECT coalesce(max(seq), 0) AS seq FROM changes')?.seq ?? 0);
}
