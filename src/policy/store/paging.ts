/**
 * Keyset cursors shared by every store: a cursor is the sort key of the last item returned,
 * opaque to clients, so a page continues exactly after it however rows were inserted meanwhile.
 */
import { StoreError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** The position after one item: its numeric sort key and its id as the tie-breaker. */
export interface CursorPosition {
  key: number;
  id: string;
}

/** Encodes a position as an opaque URL-safe string. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id])).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`; anything else is a `KGATE_STORE_INVALID`. */
export function decodeCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === 'string') {
    return { key: parsed[0] as number, id: parsed[1] };
  }
  throw new StoreError('KGATE_STORE_INVALID', 'the cursor is not one this service returned', {
    suggestions: ['Pass the nextCursor of the previous page unchanged, or leave it out to start over.'],
  });
}

/** Validates a requested page size. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE) return limit;
  throw new StoreError('KGATE_STORE_INVALID', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${String(limit)}`);
}

/**
 * Splits a result fetched with one row more than the page size into the page and the cursor
 * that continues after it.
 */
export function toPage<T>(rows: T[], size: number, positionOf: (item: T) => CursorPosition): { items: T[]; nextCursor?: string } {
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, nextCursor: encodeCursor(positionOf(items[items.length - 1]!)) };
}
