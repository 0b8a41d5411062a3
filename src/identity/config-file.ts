import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../cli/errors.js';

/** The identity part of `<configDir>/config.yaml`, as the user wrote it (all keys optional). */
export interface IdentityConfigFile {
  issuer?: string;
  clientId?: string;
  clientSecretFile?: string;
  audience?: string;
  scopes?: string[];
  tokenStorage?: string;
  caFile?: string;
}

const STRING_KEYS = ['issuer', 'clientId', 'clientSecretFile', 'audience', 'tokenStorage', 'caFile'] as const;
/** Keys other kgate features own; the identity reader leaves them alone. */
const FOREIGN_KEYS = new Set(['server', 'clusters', 'broker', 'audit', 'defaults']);

/**
 * Reads and validates `<configDir>/config.yaml`. A missing file is an empty config; anything
 * malformed is a usage error naming the file and the key, so the user can fix it in one step.
 */
export async function readIdentityConfig(configDir: string): Promise<IdentityConfigFile> {
  const path = join(configDir, 'config.yaml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw usageError(`Cannot read ${path}: ${(error as Error).message.split('\n', 1)[0]}`);
  }
  return parseIdentityConfig(text, path);
}

/** Parses and validates the YAML text of a config file; `path` only names it in errors. */
export async function parseIdentityConfig(text: string, path: string): Promise<IdentityConfigFile> {
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw usageError(`${path} is not valid YAML: ${(error as Error).message.split('\n', 1)[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw usageError(`${path} must be a YAML mapping (key: value lines)`);
  return validate(doc as Record<string, unknown>, path);
}

function validate(doc: Record<string, unknown>, path: string): IdentityConfigFile {
  const out: IdentityConfigFile = {};
  for (const [key, value] of Object.entries(doc)) {
    if (FOREIGN_KEYS.has(key)) continue;
    if (key === 'clientSecret') {
      throw usageError(`${path}: clientSecret must not be written in the config file`, [
        'Put the secret in a 0600 file and set clientSecretFile: /path/to/file, or use KGATE_CLIENT_SECRET.',
      ]);
    }
    if (key === 'scopes') {
      out.scopes = scopesOf(value, path);
      continue;
    }
    if (!(STRING_KEYS as readonly string[]).includes(key)) {
      throw usageError(`${path}: unknown key "${key}"`, [`Known keys: ${[...STRING_KEYS, 'scopes'].join(', ')}.`]);
    }
    if (typeof value !== 'string' || value.trim() === '') throw usageError(`${path}: ${key} must be a non-empty string`);
    out[key as (typeof STRING_KEYS)[number]] = value.trim();
  }
  return out;
}

function scopesOf(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value) && value.every((s) => typeof s === 'string' && /^\S+$/.test(s))) return value as string[];
  throw usageError(`${path}: scopes must be a list of words or a space-separated string`);
}
