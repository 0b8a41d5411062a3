/** Audit events in SQLite: idempotent batch ingest and keyset-paginated search, newest first. */
import { StoreError } from '../errors.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import { rfc3339ToMicros } from '../rfc3339.js';
import type { AuditEventRecord, AuditQuery, IngestResult, Page } from '../types.js';
import type { Params, Row, SqliteDatabase } from './database.js';
import { defined, json, optionalText, text } from './row.js';

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

export function ingestAuditEvents(db: SqliteDatabase, events: AuditEventRecord[]): IngestResult {
  const at = db.now();
  const rows = events.map((e) => toParams(e, at));
  const inserted = db.write(() => rows.reduce((sum, row) => sum + db.run(INSERT, row), 0));
  return { inserted, duplicates: events.length - inserted };
}

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
  if (query.from !== undefined) {
    where.push('time_us >= :from_us');
    params.from_us = micros(query.from, `from (${query.from})`);
  }
  if (query.to !== undefined) {
    where.push('time_us < :to_us');
    params.to_us = micros(query.to, `to (${query.to})`);
  }
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
