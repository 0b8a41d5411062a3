/** Gateway credentials in SQLite: looked up by the SHA-256 of their token, revoked in place. */
import { StoreError } from '../errors.js';
import type { GatewayCredentialRecord } from '../types.js';
import type { Row, SqliteDatabase } from './database.js';
import { SqliteCode, sqliteCode } from './database.js';
import { defined, integer, optionalInteger, optionalText, text } from './row.js';

const COLUMNS = 'id, token_sha256, grant_id, cluster, principal_id, purpose, created_at, expires_at, revoked_at, revoked_reason';

function fromRow(row: Row): GatewayCredentialRecord {
  return defined<GatewayCredentialRecord>({
    id: text(row, 'id'),
    tokenSha256: text(row, 'token_sha256'),
    grantId: text(row, 'grant_id'),
    cluster: text(row, 'cluster'),
    principal: text(row, 'principal_id'),
    purpose: text(row, 'purpose') as GatewayCredentialRecord['purpose'],
    createdAt: integer(row, 'created_at'),
    expiresAt: integer(row, 'expires_at'),
    revokedAt: optionalInteger(row, 'revoked_at'),
    revokedReason: optionalText(row, 'revoked_reason'),
  });
}

export function createGatewayCredential(db: SqliteDatabase, c: GatewayCredentialRecord): GatewayCredentialRecord {
  return db.write(() => {
    try {
      db.run(
        `INSERT INTO gateway_credentials (${COLUMNS})
         VALUES (:id, :token_sha256, :grant_id, :cluster, :principal_id, :purpose, :created_at, :expires_at, NULL, NULL)`,
        { id: c.id, token_sha256: c.tokenSha256, grant_id: c.grantId, cluster: c.cluster, principal_id: c.principal, purpose: c.purpose, created_at: c.createdAt, expires_at: c.expiresAt },
      );
    } catch (error) {
      const code = sqliteCode(error);
      if (code === SqliteCode.PrimaryKey || code === SqliteCode.Unique) throw new StoreError('KGATE_STORE_CONFLICT', `gateway credential ${c.id} already exists`, { cause: error });
      if (code === SqliteCode.ForeignKey) throw new StoreError('KGATE_STORE_INVALID', `gateway credential ${c.id} names an unknown grant ${c.grantId}`, { cause: error });
      throw error;
    }
    return fromRow(db.get(`SELECT ${COLUMNS} FROM gateway_credentials WHERE id = :id`, { id: c.id })!);
  });
}

export function gatewayCredentialByToken(db: SqliteDatabase, tokenSha256: string): GatewayCredentialRecord | undefined {
  const row = db.get(`SELECT ${COLUMNS} FROM gateway_credentials WHERE token_sha256 = :tokenSha256`, { tokenSha256 });
  return row && fromRow(row);
}

export function getGatewayCredential(db: SqliteDatabase, id: string): GatewayCredentialRecord | undefined {
  const row = db.get(`SELECT ${COLUMNS} FROM gateway_credentials WHERE id = :id`, { id });
  return row && fromRow(row);
}

export function activeGatewayCredentials(db: SqliteDatabase, grantId: string, now: number): GatewayCredentialRecord[] {
  return db.all(`SELECT ${COLUMNS} FROM gateway_credentials WHERE grant_id = :grantId AND revoked_at IS NULL AND expires_at > :now ORDER BY expires_at, id`, { grantId, now }).map(fromRow);
}

export function revokeGatewayCredentials(db: SqliteDatabase, which: { id: string } | { grantId: string }, at: number, reason: string): GatewayCredentialRecord[] {
  const [column, value] = 'id' in which ? ['id', which.id] : ['grant_id', which.grantId];
  return db.write(() => {
    const open = db.all(`SELECT ${COLUMNS} FROM gateway_credentials WHERE ${column} = :value AND revoked_at IS NULL`, { value }).map(fromRow);
    db.run(`UPDATE gateway_credentials SET revoked_at = :at, revoked_reason = :reason WHERE ${column} = :value AND revoked_at IS NULL`, { value, at, reason });
    return open.map((c) => ({ ...c, revokedAt: at, revokedReason: reason }));
  });
}
