/**
 * The SQLite schema as numbered migrations. A migration, once released, never changes: a new
 * schema is a new entry at the end. Pending migrations run at open in one transaction, so a
 * database is either fully at the new version or untouched.
 */
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'grants, approvals, change feed, audit events, recordings',
    sql: `
      CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'denied', 'expired', 'revoked')),
        principal_id TEXT NOT NULL,
        principal TEXT NOT NULL CHECK (json_valid(principal)),
        cluster TEXT NOT NULL,
        template TEXT NOT NULL,
        cluster_role TEXT NOT NULL,
        namespaces TEXT NOT NULL CHECK (json_valid(namespaces)),
        ttl_ms INTEGER NOT NULL,
        reason TEXT,
        break_glass INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
        created_at INTEGER NOT NULL,
        activated_at INTEGER,
        expires_at INTEGER,
        ended_at INTEGER,
        ended_by TEXT,
        message TEXT,
        approval TEXT CHECK (approval IS NULL OR json_valid(approval)),
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX grants_by_time ON grants (created_at, id);
      CREATE INDEX grants_by_principal ON grants (principal_id, created_at, id);
      CREATE INDEX grants_by_cluster ON grants (cluster, created_at, id);
      CREATE INDEX grants_by_expiry ON grants (state, expires_at);

      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'request')),
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
        requester_id TEXT NOT NULL,
        requester TEXT NOT NULL CHECK (json_valid(requester)),
        cluster TEXT NOT NULL,
        rule TEXT NOT NULL CHECK (json_valid(rule)),
        grant_id TEXT REFERENCES grants (id),
        request TEXT CHECK (request IS NULL OR json_valid(request)),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX approvals_by_time ON approvals (created_at, id);
      CREATE INDEX approvals_by_expiry ON approvals (state, expires_at);
      CREATE INDEX approvals_by_grant ON approvals (grant_id);

      -- One row per vote; the unique key is what refuses a second vote by the same approver.
      CREATE TABLE approval_votes (
        vote_no INTEGER PRIMARY KEY,
        approval_id TEXT NOT NULL REFERENCES approvals (id),
        approver_id TEXT NOT NULL,
        approver TEXT NOT NULL CHECK (json_valid(approver)),
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
        reason TEXT,
        at INTEGER NOT NULL,
        UNIQUE (approval_id, approver_id)
      ) STRICT;

      -- AUTOINCREMENT so a sequence number is never reused, even after the newest row is gone.
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'approval')),
        entity_id TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        time_us INTEGER NOT NULL,
        principal TEXT,
        grant_id TEXT,
        cluster TEXT,
        verb TEXT,
        resource TEXT,
        namespace TEXT,
        decision TEXT,
        event TEXT NOT NULL CHECK (json_valid(event)),
        ingested_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX audit_by_time ON audit_events (time_us, id);
      CREATE INDEX audit_by_principal ON audit_events (principal, time_us, id);
      CREATE INDEX audit_by_grant ON audit_events (grant_id, time_us, id);
      CREATE INDEX audit_by_cluster ON audit_events (cluster, time_us, id);
      CREATE INDEX audit_by_verb ON audit_events (verb, time_us, id);
      CREATE INDEX audit_by_resource ON audit_events (resource, time_us, id);
      CREATE INDEX audit_by_namespace ON audit_events (namespace, time_us, id);
      CREATE INDEX audit_by_decision ON audit_events (decision, time_us, id);

      CREATE TABLE recordings (
        id TEXT PRIMARY KEY,
        grant_id TEXT,
        principal TEXT,
        cluster TEXT,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        data BLOB NOT NULL
      ) STRICT;
      CREATE INDEX recordings_by_grant ON recordings (grant_id);
    `,
  },
  {
    version: 2,
    name: 'audit events searchable by broker session',
    // Virtual, so existing rows need no rewrite; the index keeps `kgate audit verify --session` off
    // a full scan. CAST because a STRICT table refuses a non-text value in a TEXT column.
    sql: `
      ALTER TABLE audit_events ADD COLUMN session TEXT
        GENERATED ALWAYS AS (CAST(json_extract(event, '$.annotations."kgate.dev/session"') AS TEXT)) VIRTUAL;
      CREATE INDEX audit_by_session ON audit_events (session, time_us, id);
    `,
  },
  {
    version: 3,
    name: 'gateway credentials; request approvals used once',
    // Only a SHA-256 of each gateway token is kept: a copy of the database lets nobody through
    // the gateway. consumed_at marks a request approval already used by the one request it let in.
    sql: `
      CREATE TABLE gateway_credentials (
        id TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL UNIQUE,
        grant_id TEXT NOT NULL REFERENCES grants (id),
        cluster TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('run', 'context')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
      ) STRICT;
      CREATE INDEX gateway_credentials_by_grant ON gateway_credentials (grant_id);
      ALTER TABLE approvals ADD COLUMN consumed_at INTEGER;
    `,
  },
  {
    version: 4,
    name: 'held requests, exactly, for approvers while pending',
    // The unmasked request a request approval decides, apart from the approval row so every read
    // of approvals (lists, the change feed, the requester's view) cannot carry it by accident;
    // deleted in the transaction that moves the approval out of pending.
    sql: `
      CREATE TABLE approval_details (
        approval_id TEXT PRIMARY KEY REFERENCES approvals (id),
        detail TEXT NOT NULL CHECK (json_valid(detail))
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'audit conflicts; write probe',
    // A copy of a stored event with other content is kept once per distinct content (sha256 of
    // its canonical JSON), so a retried forgery does not pile up. write_probe holds one row that
    // audit writers rewrite to learn whether the store can write again after a failure.
    sql: `
      CREATE TABLE audit_conflicts (
        conflict_no INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        time TEXT NOT NULL,
        time_us INTEGER NOT NULL,
        session TEXT,
        copy_session TEXT,
        principal TEXT,
        copy_principal TEXT,
        grant_id TEXT,
        cluster TEXT,
        sha256 TEXT NOT NULL,
        event TEXT NOT NULL CHECK (json_valid(event)),
        received_at INTEGER NOT NULL,
        UNIQUE (id, sha256)
      ) STRICT;
      CREATE INDEX audit_conflicts_by_time ON audit_conflicts (time_us, conflict_no);
      CREATE INDEX audit_conflicts_by_session ON audit_conflicts (session);
      CREATE INDEX audit_conflicts_by_copy_session ON audit_conflicts (copy_session);

      CREATE TABLE write_probe (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at INTEGER NOT NULL,
        pad BLOB NOT NULL
      ) STRICT;
    `,
  },
];

const MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS kgate_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`;

/** The highest migration version recorded in `db`; 0 for a new database. */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT coalesce(max(version), 0) AS version FROM kgate_migrations').get();
  return Number(row?.version ?? 0);
}

/**
 * Brings `db` to the newest of `migrations`. Refuses a database written by a newer kgate rather
 * than guess at a schema it does not know.
 * @returns the versions applied now (empty when already current).
 */
export function migrate(db: DatabaseSync, options: { now: number; location: string; migrations?: readonly Migration[] }): number[] {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(MIGRATIONS_TABLE);
    const current = schemaVersion(db);
    if (current > latest) throw schemaNewer(options.location, current, latest);
    const pending = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
    const record = db.prepare('INSERT INTO kgate_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of pending) {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, options.now);
    }
    db.exec('COMMIT');
    return pending.map((m) => m.version);
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function schemaNewer(location: string, found: number, known: number): StoreError {
  return new StoreError(
    'KGATE_STORE_SCHEMA_NEWER',
    `the policy store ${location} has schema version ${found}, newer than the ${known} this kgate knows`,
    { suggestions: ['Run the kgate version that wrote it (or newer), or point --data-dir at another directory.'] },
  );
}
