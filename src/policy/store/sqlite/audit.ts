/**
 * Audit events in SQLite: idempotent batch ingest (a different event under a stored id becomes a
 * conflict) and keyset-paginated search of events and conflicts, newest first.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../audit/canonical-json.js';
import { StoreError } from '../errors.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { rfc3339ToMicros } from '../rfc3339.js';
import type { AuditConflictQuery, AuditConflictRecord, AuditEventRecord, AuditQuery, IngestResult, Page } from '../types.js';
import type { Params, Row, SqliteDatabase } from './database.js';
import { defined, integer, json, optionalText, text } from './row.js';

const INSERT = `INSERT OR IGNORE INTO audit_events
  (id, time, time_us, principal, grant_id, cluster, verb, resource, namespace, decision, event, ingested_at)
  VALUES (:id, :time, :time_us, :principal, :grant_id, :cluster, :verb, :resource, :namespace, :decision, :event, :ingested_at)`;

/** Query fields that are exact matches on a column. */
const EXACT_FILTERS = [
  ['principal', 'principal'],
  ['grant', 'grant_id'],
  ['cluster', 'cluster'],
  ['verb', 'verb'],
  ['resource', 'resource'],
  ['namespace', 'namespace'],
  ['decision', 'decision'],
  ['session', 'session'],
] as const;

function micros(time: unknown, what: string): number {
  const value = typeof time === 'string' ? rfc3339ToMicros(time) : undefined;
  if (value === undefined) throw new StoreError('KGATE_STORE_INVALID', `${what} is not an RFC 3339 time`);
  return value;
}

function toParams(e: AuditEventRecord, ingestedAt: number): Params {
  if (typeof e.id !== 'string' || e.id === '') throw new StoreError('KGATE_STORE_INVALID', 'an audit event has no id');
  const event = JSON.stringify(e.event);
  if (event === undefined) throw new StoreError('KGATE_STORE_INVALID', `audit event ${e.id} has no event body`);
  return {
    id: e.id,
    time: e.time,
    time_us: micros(e.time, `the time of audit event ${e.id}`),
    principal: e.principal ?? null,
    grant_id: e.grant ?? null,
    cluster: e.cluster ?? null,
    verb: e.verb ?? null,
    resource: e.resource ?? null,
    namespace: e.namespace ?? null,
    decision: e.decision ?? null,
    event,
    ingested_at: ingestedAt,
  };
}

const STORED = 'SELECT event, time, time_us, session, principal, grant_id, cluster FROM audit_events WHERE id = :id';

const INSERT_CONFLICT = `INSERT OR IGNORE INTO audit_conflicts
  (id, time, time_us, session, copy_session, principal, copy_principal, grant_id, cluster, sha256, event, received_at)
  VALUES (:id, :time, :time_us, :session, :copy_session, :principal, :copy_principal, :grant_id, :cluster, :sha256, :event, :received_at)`;

function sessionOf(event: unknown): string | null {
  const session = (event as { annotations?: Record<string, unknown> } | null)?.annotations?.['kgate.dev/session'];
  return typeof session === 'string' ? session : null;
}

/**
 * Keeps `copy` aside as a conflict with the stored event `stored`, unless it is the same event
 * (same canonical JSON: a resend). Returns whether it was a conflict.
 */
function settleRepeat(db: SqliteDatabase, copy: AuditEventRecord, params: Params, stored: Row): boolean {
  const copyJson = canonicalJson(copy.event);
  if (canonicalJson(json(stored, 'event')) === copyJson) return false;
  const storedSession = optionalText(stored, 'session') ?? null;
  const copySession = sessionOf(copy.event);
  db.run(INSERT_CONFLICT, {
    id: params.id!,
    time: text(stored, 'time'),
    time_us: integer(stored, 'time_us'),
    session: storedSession ?? copySession,
    copy_session: storedSession !== null && copySession !== storedSession ? copySession : null,
    principal: optionalText(stored, 'principal') ?? null,
    copy_principal: copy.principal ?? null,
    grant_id: optionalText(stored, 'grant_id') ?? null,
    cluster: optionalText(stored, 'cluster') ?? null,
    sha256: createHash('sha256').update(copyJson).digest('hex'),
    event: params.event!,
    received_at: params.ingested_at!,
  });
  return true;
}

export function ingestAuditEvents(db: SqliteDatabase, events: AuditEventRecord[]): IngestResult {
  const at = db.now();
  const rows = events.map((e) => ({ record: e, params: toParams(e, at) }));
  return db.write(() => {
    const result: IngestResult = { inserted: 0, duplicates: 0, conflicts: 0 };
    for (const { record, params } of rows) {
      if (db.run(INSERT, params) === 1) result.inserted += 1;
      else if (settleRepeat(db, record, params, db.get(STORED, { id: params.id! })!)) result.conflicts += 1;
      else result.duplicates += 1;
    }
    return result;
  });
}

function conflictFromRow(row: Row): AuditConflictRecord & { timeUs: number; no: number } {
  return defined({
    id: text(row, 'id'),
    time: text(row, 'time'),
    session: optionalText(row, 'session'),
    copySession: optionalText(row, 'copy_session'),
    principal: optionalText(row, 'principal'),
    copyPrincipal: optionalText(row, 'copy_principal'),
    grant: optionalText(row, 'grant_id'),
    cluster: optionalText(row, 'cluster'),
    receivedAt: integer(row, 'received_at'),
    event: json(row, 'event'),
    timeUs: integer(row, 'time_us'),
    no: integer(row, 'conflict_no'),
  });
}

export function queryAuditConflicts(db: SqliteDatabase, query: AuditConflictQuery): Page<AuditConflictRecord> {
  const size = pageSize(query.limit);
  const where: string[] = [];
  const params: Params = { limit: size + 1 };
  if (query.principal !== undefined) {
    where.push('(principal = :principal OR copy_principal = :principal)');
    params.principal = query.principal;
  }
  if (query.session !== undefined) {
    where.push('(session = :session OR copy_session = :session)');
    params.session = query.session;
  }
  timeRange(query, where, params);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    const no = Number(after.id);
    if (!Number.isSafeInteger(no)) throw new StoreError('KGATE_STORE_INVALID', 'the cursor is not one this service returned');
    where.push('(time_us, conflict_no) < (:after_us, :after_no)');
    params.after_us = after.key;
    params.after_no = no;
  }
  const sql = `SELECT conflict_no, id, time, time_us, session, copy_session, principal, copy_principal, grant_id, cluster, event, received_at
    FROM audit_conflicts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY time_us DESC, conflict_no DESC LIMIT :limit`;
  const page = toPage(db.all(sql, params).map(conflictFromRow), size, (c) => ({ key: c.timeUs, id: String(c.no) }));
  return { ...page, items: page.items.map(({ timeUs: _, no: __, ...record }) => record) };
}

/** Adds a query's `from` (inclusive) and `to` (exclusive) bounds on `time_us`. */
function timeRange(query: { from?: string; to?: string }, where: string[], params: Params): void {
  if (query.from !== undefined) {
    where.push('time_us >= :from_us');
    params.from_us = micros(query.from, `from (${query.from})`);
  }
  if (query.to !== undefined) {
    where.push('time_us < :to_us');
    params.to_us = micros(query.to, `to (${query.to})`);
  }
}

/** A durable write of nothing of record: one row rewritten with fresh bytes, so pages really reach the disk. */
export function probeWrite(db: SqliteDatabase): void {
  db.write(() => db.run(`INSERT INTO write_probe (id, at, pad) VALUES (1, :at, randomblob(${PROBE_BYTES}))
    ON CONFLICT (id) DO UPDATE SET at = excluded.at, pad = excluded.pad`, { at: db.now() }));
}

/** Several large audit events with their index pages: a probe that fits says an event would fit too. */
const PROBE_BYTES = 64 * 1024;

export function fromRow(row: Row): AuditEventRecord & { timeUs: number } {
  return defined({
    id: text(row, 'id'),
    time: text(row, 'time'),
    principal: optionalText(row, 'principal'),
    grant: optionalText(row, 'grant_id'),
    cluster: optionalText(row, 'cluster'),
    verb: optionalText(row, 'verb'),
    resource: optionalText(row, 'resource'),
    namespace: optionalText(row, 'namespace'),
    decision: optionalText(row, 'decision'),
    event: json(row, 'event'),
    timeUs: Number(row.time_us),
  });
}

export function queryAuditEvents(db: SqliteDatabase, query: AuditQuery): Page<AuditEventRecord> {
  const size = pageSize(query.limit);
  const where: string[] = [];
  const params: Params = { limit: size + 1 };
  for (const [field, column] of EXACT_FILTERS) {
    const value = query[field];
    if (value === undefined) continue;
    where.push(`${column} = :${column}`);
    params[column] = value;
  }
  timeRange(query, where, params);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    where.push('(time_us, id) < (:after_us, :after_id)');
    params.after_us = after.key;
    params.after_id = after.id;
  }
  const sql = `SELECT id, time, time_us, principal, grant_id, cluster, verb, resource, namespace, decision, event
    FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY time_us DESC, id DESC LIMIT :limit`;
  const page = toPage(db.all(sql, params).map(fromRow), size, (e) => ({ key: e.timeUs, id: e.id }));
  return { ...page, items: page.items.map(({ timeUs: _, ...record }) => record) };
}
