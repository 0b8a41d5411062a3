/**
 * The gateway-context credential cache as the plugin's warm path reads it: where a context's
 * file lives, reading it, and the per-kubectl "already served" markers (see credential-cache.ts
 * for the whole story and the writer).
 *
 * Built-in modules come from `process.getBuiltinModule`, not `import`: the first ESM import of a
 * `node:` module costs a warm plugin run about 3 ms of its 8 ms budget, a built-in taken this way
 * nothing. Everything here is synchronous for the same reason: one short file read, one create.
 */
import { EXPIRY_MARGIN_MS } from '../daemon/exec-credential.js';

const fs = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');

/** What a context's credential is for. */
export interface ContextKey {
  /** The policy service's URL (the gateway lives under it). */
  server: string;
  cluster: string;
  template: string;
  namespaces: readonly string[];
}

/** A cached gateway credential (a `context` one: 15 minutes at most). */
export interface CachedGatewayCredential {
  id: string;
  token: string;
  grant: string;
  cluster: string;
  /** Epoch ms. */
  expiresAt: number;
}

export const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The directory of every cached gateway credential (`kgate logout` removes it). */
export function contextCacheDir(stateDir: string): string {
  return join(stateDir, 'gateway-credentials');
}

/** The context as its file repeats it, so a digest collision reads as a miss. */
export function keyText(key: ContextKey): string {
  return JSON.stringify([key.server.replace(/\/+$/, ''), key.cluster, key.template, [...key.namespaces].sort()]);
}

function fnv1a(text: string, seed: number): string {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** A stable file-name-safe digest of `key` (not a secret, not collision-proof: files repeat their key). */
export function contextKeyDigest(key: ContextKey): string {
  const text = keyText(key);
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x050c5d1f);
}

/** The file holding `key`'s credential. */
export function credentialFileOf(stateDir: string, key: ContextKey): string {
  return join(contextCacheDir(stateDir), `${contextKeyDigest(key)}.json`);
}

/** The directory of "handed to kubectl process N" markers. */
export function servedDir(stateDir: string): string {
  return join(contextCacheDir(stateDir), 'served');
}

/** The cached credential for `key`, if a well-formed one is there (expired or not). */
export function readCachedCredential(stateDir: string, key: ContextKey): CachedGatewayCredential | undefined {
  let value: Partial<CachedGatewayCredential> & { key?: unknown };
  try {
    value = JSON.parse(fs.readFileSync(credentialFileOf(stateDir, key), 'utf8')) as typeof value;
  } catch {
    return undefined;
  }
  if (value.key !== keyText(key)) return undefined;
  const ok = typeof value.id === 'string' && SAFE_ID.test(value.id) && typeof value.token === 'string' && value.token !== '' &&
    typeof value.grant === 'string' && typeof value.cluster === 'string' && typeof value.expiresAt === 'number';
  return ok ? { id: value.id!, token: value.token!, grant: value.grant!, cluster: value.cluster!, expiresAt: value.expiresAt! } : undefined;
}

/** Whether `credential` has more than the plugin's expiry margin left. */
export function isFresh(credential: CachedGatewayCredential, now: number): boolean {
  return credential.expiresAt - now > EXPIRY_MARGIN_MS;
}

/**
 * Records that kubectl process `parent` is handed `credential`. False when it already was: that
 * kubectl runs the plugin again because the gateway refused the credential.
 */
export function markServed(stateDir: string, credentialId: string, parent: number): boolean {
  const path = join(servedDir(stateDir), `${credentialId}.${parent}`);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.closeSync(fs.openSync(path, 'wx', 0o600));
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT' || attempt > 0) throw error;
      fs.mkdirSync(servedDir(stateDir), { recursive: true, mode: 0o700 });
    }
  }
}

/** Whether kubectl process `parent` was already handed `credentialId`. */
export function wasServed(stateDir: string, credentialId: string, parent: number): boolean {
  return fs.existsSync(join(servedDir(stateDir), `${credentialId}.${parent}`));
}
