/**
 * The daemon's loopback port, chosen once per installation and kept in `broker.json`, because
 * every kubeconfig entry `kgate kubeconfig add` writes names it. The first caller picks a free
 * port (under a lock, so concurrent first calls agree); later callers read it back.
 */
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { withRefreshLock } from '../../identity/refresh-lock.js';
import { ensurePrivateDir, writeFileAtomic } from '../../cli/atomic-file.js';
import { brokerLayout } from './layout.js';

async function readPort(file: string): Promise<number | undefined> {
  try {
    const port = (JSON.parse(await readFile(file, 'utf8')) as { port?: unknown }).port;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The remembered port, if one was chosen. */
export function brokerPort(stateDir: string): Promise<number | undefined> {
  return readPort(brokerLayout(stateDir).settings);
}

/** The remembered port, choosing and remembering one on first use. */
export async function ensureBrokerPort(stateDir: string): Promise<number> {
  const layout = brokerLayout(stateDir);
  const known = await readPort(layout.settings);
  if (known) return known;
  await ensurePrivateDir(layout.dir);
  return withRefreshLock(stateDir, 'broker-port', async () => {
    const again = await readPort(layout.settings);
    if (again) return again;
    const port = await freePort();
    await writeFileAtomic(layout.settings, JSON.stringify({ port }) + '\n');
    return port;
  });
}
