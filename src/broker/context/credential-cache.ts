/**
 * The gateway credentials kubectl contexts of gateway clusters use, cached on disk like
 * kubelogin's token cache: one 0600 file per context (service URL, cluster, grant template and
 * namespaces) in a 0700 directory under the state directory, replaced atomically. This module
 * writes and removes; the plugin's warm path reads through credential-file.ts alone.
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
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../cli/atomic-file.js';
import { contextCacheDir, credentialFileOf, keyText, readCachedCredential, SAFE_ID, servedDir, type CachedGatewayCredential, type ContextKey } from './credential-file.js';

/** Replaces the cached credential for `key` (atomically, 0600) and drops the old one's markers. */
export async function writeCachedCredential(stateDir: string, key: ContextKey, credential: CachedGatewayCredential): Promise<void> {
  if (!SAFE_ID.test(credential.id)) throw new Error('The gateway credential id is not a plain identifier');
  const previous = readCachedCredential(stateDir, key);
  await writeFileAtomic(credentialFileOf(stateDir, key), JSON.stringify({ ...credential, key: keyText(key) }));
  if (!previous || previous.id === credential.id) return;
  const served = servedDir(stateDir);
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
