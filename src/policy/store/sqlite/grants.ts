/** Grants in SQLite: row mapping, compare-and-set transitions and the listings the service needs. */
import type { Grant, GrantState } from '../../types.js';
import { principalId } from '../../types.js';
import { StoreError } from '../errors.js';
import { decodeCursor, pageSize, toPage } from '../paging.js';
import type { GrantFilter, GrantPatch, Page } from '../types.js';
import type { Params, Row, SqliteDatabase } from './database.js';
import { SqliteCode, sqliteCode } from './database.js';
import { principalJson } from './principal.js';
import { defined, integer, json, optionalInteger, optionalJson, optionalText, text } from './row.js';

const COLUMNS = `id, state, principal_id, principal, cluster, template, cluster_role, namespaces, ttl_ms, reason,
  break_glass, created_at, activated_at, expires_at, ended_at, ended_by, message, approval, revision`;

const INSERT = `INSERT INTO grants (${COLUMNS}) VALUES (:id, :state, :principal_id, :principal, :cluster, :template,
  :cluster_role, :namespaces, :ttl_ms, :reason, :break_glass, :created_at, :activated_at, :expires_at, :ended_at,
  :ended_by, :message, :approval, :revision)`;

const UPDATE = `UPDATE grants SET state = :state, principal_id = :principal_id, principal = :principal,
  cluster = :cluster, template = :template, cluster_role = :cluster_role, namespaces = :namespaces, ttl_ms = :ttl_ms,
  reason = :reason, break_glass = :break_glass, created_at = :created_at, activated_at = :activated_at,
  expires_at = :expires_at, ended_at = :ended_at, ended_by = :ended_by, message = :message, approval = :approval,
  revision = :revision
  WHERE id = :id`;

const SELECT_ONE = `SELECT ${COLUMNS} FROM grants WHERE id = :id`;

function toParams(g: Grant): Params {
  return {
    id: g.id,
    state: g.state,
    principal_id: principalId(g.principal),
    principal: principalJson(g.principal),
    cluster: g.cluster,
    template: g.template,
    cluster_role: g.clusterRole,
    namespaces: JSON.stringify(g.namespaces),
    ttl_ms: g.ttlMs,
    reason: g.reason ?? null,
    break_glass: g.breakGlass ? 1 : 0,
    created_at: g.createdAt,
    activated_at: g.activatedAt ?? null,
    expires_at: g.expiresAt ?? null,
    ended_at: g.endedAt ?? null,
    ended_by: g.endedBy ?? null,
    message: g.message ?? null,
    approval: g.approval === undefined ? null : JSON.stringify(g.approval),
    revision: g.revision,
  };
}

function fromRow(row: Row): Grant {
  return defined<Grant>({
    id: text(row, 'id'),
    state: text(row, 'state') as GrantState,
    principal: json(row, 'principal'),
    cluster: text(row, 'cluster'),
    template: text(row, 'template'),
    clusterRole: text(row, 'cluster_role'),
    namespaces: json(row, 'namespaces'),
    ttlMs: integer(row, 'ttl_ms'),
    reason: optionalText(row, 'reason'),
    breakGlass: integer(row, 'break_glass') === 1,
    createdAt: integer(row, 'created_at'),
    activatedAt: optionalInteger(row, 'activated_at'),
    expiresAt: optionalInteger(row, 'expires_at'),
    endedAt: optionalInteger(row, 'ended_at'),
    endedBy: optionalText(row, 'ended_by'),
    message: optionalText(row, 'message'),
    approval: optionalJson(row, 'approval'),
    revision: integer(row, 'revision'),
  });
}

export function createGrant(db: SqliteDatabase, grant: Grant): Grant {
  const stored: Grant = { ...grant, revision: 1 };
  return db.write(() => {
    try {
      db.run(INSERT, toParams(stored));
    } catch (error) {
      if (sqliteCode(error) === SqliteCode.PrimaryKey) throw new StoreError('KGATE_STORE_CONFLICT', `grant ${grant.id} already exists`);
      throw error;
    }
    db.recordChange('grant', grant.id);
    return fromRow(db.get(SELECT_ONE, { id: grant.id })!);
  });
}

export function getGrant(db: SqliteDatabase, id: string): Grant | undefined {
  const row = db.get(SELECT_ONE, { id });
  return row && fromRow(row);
}

/**
 * The read and the write share one BEGIN IMMEDIATE transaction: no other connection can write
 * between them, which is what makes the state check a compare-and-set.
 */
export function transitionGrant(db: SqliteDatabase, id: string, from: GrantState[], patch: GrantPatch): Grant | undefined {
  return db.write(() => {
    const row = db.get(SELECT_ONE, { id });
    if (!row) return undefined;
    const current = fromRow(row);
    if (!from.includes(current.state)) return undefined;
    const next = defined<Grant>({ ...current, ...patch, id: current.id, revision: current.revision + 1 });
    db.run(UPDATE, toParams(next));
    db.recordChange('grant', id);
    return fromRow(db.get(SELECT_ONE, { id })!);
  });
}

export function listGrants(db: SqliteDatabase, filter: GrantFilter): Page<Grant> {
  const size = pageSize(filter.limit);
  const where: string[] = [];
  const params: Params = { limit: size + 1 };
  if (filter.principal !== undefined) {
    where.push('principal_id = :principal');
    params.principal = filter.principal;
  }
  if (filter.cluster !== undefined) {
    where.push('cluster = :cluster');
    params.cluster = filter.cluster;
  }
  if (filter.state && filter.state.length > 0) {
    where.push(`state IN (${filter.state.map((_, i) => `:state${i}`).join(', ')})`);
    filter.state.forEach((s, i) => (params[`state${i}`] = s));
  }
  if (filter.cursor !== undefined) {
    const after = decodeCursor(filter.cursor);
    where.push('(created_at, id) < (:after_key, :after_id)');
    params.after_key = after.key;
    params.after_id = after.id;
  }
  const sql = `SELECT ${COLUMNS} FROM grants ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY created_at DESC, id DESC LIMIT :limit`;
  const rows = db.all(sql, params).map(fromRow);
  return toPage(rows, size, (g) => ({ key: g.createdAt, id: g.id }));
}

export function activeGrants(db: SqliteDatabase): Grant[] {
  return db.all(`SELECT ${COLUMNS} FROM grants WHERE state = 'active' ORDER BY created_at, id`).map(fromRow);
}

export function grantsExpiringBefore(db: SqliteDatabase, ts: number): Grant[] {
  return db
    .all(`SELECT ${COLUMNS} FROM grants WHERE state = 'active' AND expires_at <= :ts ORDER BY expires_at, id`, { ts })
    .map(fromRow);
}
