import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A new random id: 16 lowercase base32 characters starting with a letter, so `grant-<id>` is a
 * valid STS session name, DNS label and label value without any escaping (80 bits of entropy).
 */
export function newId(): string {
  const bytes = randomBytes(16);
  let id = ALPHABET[bytes[0]! % 26]!;
  for (let i = 1; i < 16; i += 1) id += ALPHABET[bytes[i]! % 32]!;
  return id;
}

/** Ids in paths must look like ones this service made (no traversal, no label injection). */
export const ID_PATTERN = /^[a-z][a-z2-7]{15}$/;
