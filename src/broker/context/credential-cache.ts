/**
 * The gateway credentials kubectl contexts of gateway clusters use, cached on disk like
 * kubelogin's token cache: one 0600 file per context (service URL, cluster, grant template and
 * namespaces) in a 0700 directory under the state directory, replaced atomically. Only `node:`
 * modules and small local files: the credential plugin's warm path reads it.
 *
 * The warm path checks expiry only. A credential the gateway stopped accepting (revoked, or its
 * grant ended early) is answered with 401, and client-go then runs the plugin again in the same
 * kubectl process; a marker per credential and kubectl process (`served/<id>.<ppid>`, created
 * with O_EXCL) tells that second run apart, and it takes the cold path, which gets a fresh
 * credential. So a refused credential costs one failed request, never fifteen minutes of them.
 *
 * No node:crypto here: loading it costs more than the rest of the warm path. File names are an
 * FNV-1a digest of the context, and each file repeats its context, so a collision is a miss.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../cli/atomic-file.js';
import { EXPIRY_MARGIN_MS } from '../daemon/exec-credential.js';

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

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The directory of every cached gateway credential (`kgate logout` removes it). */
export function contextCacheDir(stateDir: string): string {
  return join(stateDir, 'gateway-credentials');
}

function keyText(key: ContextKey): string {
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

function fileOf(stateDir: string, key: ContextKey): string {
  return join(contextCacheDir(stateDir), `${contextKeyDigest(key)}.json`);
}

function markerOf(stateDir: string, credentialId: string, parent: number): string {
  return join(contextCacheDir(stateDir), 'served', `${credentialId}.${parent}`);
}

/** The cached credential for `key`, if a well-formed one is there (expired or not). */
export async function readCachedCredential(stateDir: string, key: ContextKey): Promise<CachedGatewayCredential | undefined> {
  let value: Partial<CachedGatewayCredential> & { key?: unknown };
  try {
    value = JSON.parse(await readFile(fileOf(stateDir, key), 'utf8')) as typeof value;
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
export async function markServed(stateDir: string, credentialId: string, parent: number): Promise<boolean> {
  const path = markerOf(stateDir, credentialId, parent);
  for (let attempt = 0; ; attempt++) {
    try {
      await (await open(path, 'wx', 0o600)).close();
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT' || attempt > 0) throw error;
      await mkdir(join(contextCacheDir(stateDir), 'served'), { recursive: true, mode: 0o700 });
    }
  }
}

/** Whether kubectl process `parent` was already handed `credentialId`. */
export async function wasServed(stateDir: string, credentialId: string, parent: number): Promise<boolean> {
  return open(markerOf(stateDir, credentialId, parent), 'r').then(async (handle) => (await handle.close(), true), () => false);
}

/** Replaces the cached credential for `key` (atomically, 0600) and drops the old one's markers. */
export async function writeCachedCredential(stateDir: string, key: ContextKey, credential: CachedGatewayCredential): Promise<void> {
  if (!SAFE_ID.test(credential.id)) throw new Error('The gateway credential id is not a plain identifier');
  const previous = await readCachedCredential(stateDir, key);
  await writeFileAtomic(fileOf(stateDir, key), JSON.stringify({ ...credential, key: keyText(key) }));
  if (!previous || previous.id === credential.id) return;
  const served = join(contextCacheDir(stateDir), 'served');
  const names = await readdir(served).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${previous.id}.`)).map((n) => rm(join(served, n), { force: true })));
}

/** Every cached credential (for revocation), then the cache removed. */
export async function removeCachedCredentials(stateDir: string): Promise<CachedGatewayCredential[]> {
  const dir = contextCacheDir(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: CachedGatewayCredential[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const value = JSON.parse(await readFile(join(dir, name), 'utf8')) as CachedGatewayCredential;
      if (typeof value.id === 'string' && SAFE_ID.test(value.id)) found.push(value);
    } catch {
      // Unreadable or half-written: removed below all the same.
    }
  }
  await rm(dir, { recursive: true, force: true });
  return found;
}
