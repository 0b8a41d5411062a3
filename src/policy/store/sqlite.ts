/**
 * The policy store on embedded SQLite (`node:sqlite`, no native module). Durability comes from
 * WAL with `synchronous=FULL`: once a call has returned, its write survives kill -9 and power
 * loss. Writes queue on the busy timeout when another connection holds the write lock.
 */
import type { PolicyStore } from './types.js';
import { openConnection } from './sqlite/connection.js';
import { SqliteDatabase } from './sqlite/database.js';
import { migrate } from './sqlite/migrations.js';
import { addVote, consumeApproval, createApproval, expireApprovals, getApproval, getApprovalDetail, listApprovals } from './sqlite/approvals.js';
import { createGatewayCredential, gatewayCredentialByToken, getGatewayCredential, revokeGatewayCredentials } from './sqlite/gateway-credentials.js';
import { activeGrants, createGrant, getGrant, grantsExpiringBefore, listGrants, transitionGrant } from './sqlite/grants.js';
import { changesSince, currentSeq } from './sqlite/changes.js';
import { ingestAuditEvents, probeWrite, queryAuditConflicts, queryAuditEvents } from './sqlite/audit.js';
import { DEFAULT_MAX_RECORDING_BYTES, getRecording, putRecording } from './sqlite/recordings.js';

export interface SqliteStoreOptions {
  /** Clock for the store's own timestamps (change feed, recordings, migrations); epoch ms. */
  now?: () => number;
  /** How long a write waits for another connection's write lock, in ms; default 5000. */
  busyTimeoutMs?: number;
  /** Largest recording accepted, in bytes; default 64 MiB. */
  maxRecordingBytes?: number;
}

/**
 * Opens (creating if needed) the store at `path`, or an in-memory one for `':memory:'`, and
 * migrates it to the current schema.
 * @throws StoreError `KGATE_STORE_SCHEMA_NEWER` when the file was written by a newer kgate.
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): PolicyStore {
  const now = opts.now ?? Date.now;
  const raw = openConnection(path, { busyTimeoutMs: opts.busyTimeoutMs ?? 5000 });
  try {
    migrate(raw, { now: now(), location: path });
  } catch (error) {
    raw.close();
    throw error;
  }
  return sqliteStore(new SqliteDatabase(raw, now), opts.maxRecordingBytes ?? DEFAULT_MAX_RECORDING_BYTES);
}

function sqliteStore(db: SqliteDatabase, maxRecordingBytes: number): PolicyStore {
  return {
    createGrant: async (grant) => createGrant(db, grant),
    getGrant: async (id) => getGrant(db, id),
    listGrants: async (filter = {}) => listGrants(db, filter),
    transitionGrant: async (id, from, patch) => transitionGrant(db, id, from, patch),
    activeGrants: async () => activeGrants(db),
    grantsExpiringBefore: async (ts) => grantsExpiringBefore(db, ts),
    createApproval: async (approval, detail) => createApproval(db, approval, detail),
    getApproval: async (id) => getApproval(db, id),
    getApprovalDetail: async (id) => getApprovalDetail(db, id),
    listApprovals: async (filter = {}) => listApprovals(db, filter),
    addVote: async (approvalId, vote, options) => addVote(db, approvalId, vote, options),
    expireApprovals: async (now) => expireApprovals(db, now),
    changesSince: async (seq, limit) => changesSince(db, seq, limit),
    currentSeq: async () => currentSeq(db),
    ingestAuditEvents: async (events) => ingestAuditEvents(db, events),
    queryAuditEvents: async (query = {}) => queryAuditEvents(db, query),
    queryAuditConflicts: async (query = {}) => queryAuditConflicts(db, query),
    probeWrite: async () => probeWrite(db),
    putRecording: async (id, meta, data) => putRecording(db, maxRecordingBytes, id, meta, data),
    getRecording: async (id) => getRecording(db, id),
    createGatewayCredential: async (credential) => createGatewayCredential(db, credential),
    gatewayCredentialByToken: async (digest) => gatewayCredentialByToken(db, digest),
    getGatewayCredential: async (id) => getGatewayCredential(db, id),
    revokeGatewayCredentials: async (which, at, reason) => revokeGatewayCredentials(db, which, at, reason),
    consumeApproval: async (id, at) => consumeApproval(db, id, at),
    close: async () => db.close(),
  };
}
