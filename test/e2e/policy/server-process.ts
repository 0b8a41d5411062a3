/**
 * `kgate server` as a separate process (the built CLI, `npm run build` first), for tests that
 * kill it: start, read the URL from its log, stop with a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverProcessEnv } from '../../sim/policy-server.js';
import type { SimWorld } from '../../sim/world.js';
import { scratchDir } from '../../support/scratch.js';

export const KGATE_BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/run.js');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far (JSON, pino). */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `kgate server --config policyFile --data-dir dataDir` over HTTPS with the sim's certificate (plus `extraArgs`). */
export async function startServerProcess(world: SimWorld, policyFile: string | string[], dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const dir = scratchDir('kgate-server-tls-');
  writeFileSync(join(dir, 'tls.crt'), world.tls.server.cert);
  writeFileSync(join(dir, 'tls.key'), world.tls.server.key, { mode: 0o600 });
  const child = spawn(process.execPath, [KGATE_BIN, 'server', ...[policyFile].flat().flatMap((file) => ['--config', file]), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), ...extraArgs], {
    env: { PATH: process.env.PATH, HOME: dir, KGATE_STATE_DIR: join(dir, 'state'), ...serverProcessEnv(world) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kgate server did not start:\n${lines.join('\n')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const match = /kgate server listening on (https:\/\/\S+?)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`kgate server exited:\n${lines.join('\n')}${buffered}`));
    });
  });
  return { url, child, lines, exited };
}
