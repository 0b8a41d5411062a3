/** Exec recordings (asciicast) in SQLite, as BLOBs with their metadata and digest. */
import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { Recording, RecordingInput, RecordingMeta } from '../types.js';
import type { Row, SqliteDatabase } from './database.js';
import { defined, integer, optionalText, text } from './row.js';

/** Default size limit of one recording: 64 MiB. */
export const DEFAULT_MAX_RECORDING_BYTES = 64 * 1024 * 1024;

const META_COLUMNS = 'id, grant_id, principal, cluster, content_type, size, sha256, created_at';

function metaFromRow(row: Row): RecordingMeta {
  return defined<RecordingMeta>({
    id: text(row, 'id'),
    grant: optionalText(row, 'grant_id'),
    principal: optionalText(row, 'principal'),
    cluster: optionalText(row, 'cluster'),
    contentType: text(row, 'content_type'),
    size: integer(row, 'size'),
    sha256: text(row, 'sha256'),
    createdAt: integer(row, 'created_at'),
  });
}

function sameContent(stored: RecordingMeta, meta: RecordingInput, sha256: string): boolean {
  return (
    stored.sha256 === sha256 && stored.contentType === meta.contentType &&
    stored.grant === meta.grant && stored.principal === meta.principal && stored.cluster === meta.cluster
  );
}

export function putRecording(db: SqliteDatabase, maxBytes: number, id: string, meta: RecordingInput, data: Buffer): RecordingMeta {
  if (id === '') throw new StoreError('KGATE_STORE_INVALID', 'a recording needs an id');
  if (data.byteLength > maxBytes) {
    throw new StoreError('KGATE_STORE_TOO_LARGE', `recording ${id} is ${data.byteLength} bytes, over the limit of ${maxBytes}`);
  }
  const sha256 = createHash('sha256').update(data).digest('hex');
  return db.write(() => {
    const existing = db.get(`SELECT ${META_COLUMNS} FROM recordings WHERE id = :id`, { id });
    if (existing) {
      const stored = metaFromRow(existing);
      if (sameContent(stored, meta, sha256)) return stored;
      throw new StoreError('KGATE_STORE_CONFLICT', `recording ${id} already exists with different content`);
    }
    db.run(
      `INSERT INTO recordings (${META_COLUMNS}, data)
       VALUES (:id, :grant_id, :principal, :cluster, :content_type, :size, :sha256, :created_at, :data)`,
      {
        id,
        grant_id: meta.grant ?? null,
        principal: meta.principal ?? null,
        cluster: meta.cluster ?? null,
        content_type: meta.contentType,
        size: data.byteLength,
        sha256,
        created_at: db.now(),
        data,
      },
    );
    return metaFromRow(db.get(`SELECT ${META_COLUMNS} FROM recordings WHERE id = :id`, { id })!);
  });
}

export function getRecording(db: SqliteDatabase, id: string): Recording | undefined {
  const row = db.get(`SELECT ${META_COLUMNS}, data FROM recordings WHERE id = :id`, { id });
  if (!row) return undefined;
  const data = row.data as Uint8Array;
  return { meta: metaFromRow(row), data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}
