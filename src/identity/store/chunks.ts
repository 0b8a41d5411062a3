import { createHash } from 'node:crypto';
import { DamagedEntryError } from './secret-store.js';

/**
 * Keyrings limit entry size (Windows Credential Manager: 2560 bytes of UTF-16; macOS has failed
 * on large group-laden tokens), so long values are split into parts under derived accounts and
 * the main entry holds a manifest with the parts' count and digest.
 */
export const CHUNK_CHARS = 1000;
const MANIFEST = 'kgate-chunked:v1:';

/** The main entry plus the parts to write for `value`. */
export function splitValue(value: string): { main: string; parts: string[] } {
  if (value.length <= CHUNK_CHARS && !value.startsWith(MANIFEST)) return { main: value, parts: [] };
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += CHUNK_CHARS) parts.push(value.slice(i, i + CHUNK_CHARS));
  return { main: `${MANIFEST}${parts.length}:${sha256(value)}`, parts };
}

/** How many parts the main entry announces (0 when it holds the value itself). */
export function partCount(main: string): number {
  if (!main.startsWith(MANIFEST)) return 0;
  const count = Number(main.slice(MANIFEST.length).split(':', 1)[0]);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new DamagedEntryError('has an unreadable part manifest');
  return count;
}

/** Reassembles a value and checks it against the manifest's digest. */
export function joinValue(main: string, parts: readonly (string | undefined)[]): string {
  if (!main.startsWith(MANIFEST)) return main;
  if (parts.some((p) => p === undefined)) throw new DamagedEntryError('is missing a part');
  const value = parts.join('');
  if (sha256(value) !== main.split(':').at(-1)) throw new DamagedEntryError('has parts that do not match its digest');
  return value;
}

/**
 * The account name of part `index` (1-based) of entry `key` as described by manifest `main`.
 * Parts carry the value's digest, so a rewrite never overwrites the parts a reader may be using.
 */
export function partKey(key: string, main: string, index: number): string {
  return `${key}.${main.split(':').at(-1)!.slice(0, 12)}.${index}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
