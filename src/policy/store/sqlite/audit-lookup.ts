/** Audit events in SQLite looked up by record id (a recording's exec session, say). */
import type { AuditEventRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { fromRow } from './audit.js';

/** Most ids one lookup takes; callers ask for a handful. */
const MAX_IDS = 100;

export function auditEventsByIds(db: SqliteDatabase, ids: readonly string[]): AuditEventRecord[] {
  const wanted = [...new Set(ids)].slice(0, MAX_IDS);
  if (wanted.length === 0) return [];
  const params = Object.fromEntries(wanted.map((id, i) => [`id${i}`, id]));
  const rows = db.all(`SELECT id, time, time_us, principal, grant_id, cluster, verb, resource, namespace, decision, event
    FROM audit_events WHERE id IN (${wanted.map((_, i) => `:id${i}`).join(', ')})`, params);
  return rows.map((row) => {
    const { timeUs: _, ...record } = fromRow(row);
    return record;
  });
}
