/**
 * Starts the broker daemon when none answers, exactly once however many callers race: the start
 * happens under a lock, and whoever gets it second finds the daemon already answering. A stale
 * socket or pid file from a daemon that died is simply replaced.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, KgateError } from '../../cli/errors.js';
import { withRefreshLock } from '../../identity/refresh-lock.js';
import { ensurePrivateDir } from '../../cli/atomic-file.js';
import { controlRequest } from './control-client.js';
import { brokerLayout } from './layout.js';

/** bin/run.js of this installation (the same from src/ under tsx and from dist/). */
const KGATE_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'run.js');
const START_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a daemon answers on the control socket. */
export async function daemonAnswers(stateDir: string): Promise<boolean> {
  return (await controlRequest(brokerLayout(stateDir).socket, { op: 'ping' }, 1500)) !== undefined;
}

/** Returns once a daemon answers, starting one if needed; true when this call started it. */
export async function ensureDaemon(stateDir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (await daemonAnswers(stateDir)) return false;
  const layout = brokerLayout(stateDir);
  await ensurePrivateDir(layout.dir);
  return withRefreshLock(stateDir, 'broker-start', async () => {
    if (await daemonAnswers(stateDir)) return false;
    const log = openSync(layout.log, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [KGATE_BIN, 'broker', 'run'], { detached: true, stdio: ['ignore', log, log], env: { ...env, KGATE_STATE_DIR: stateDir } });
      child.unref();
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (await daemonAnswers(stateDir)) return true;
        if (child.exitCode !== null) break;
        await sleep(100);
      }
    } finally {
      closeSync(log);
    }
    throw new KgateError('The kgate broker did not start', {
      code: 'KGATE_BROKER_NOT_STARTED',
      exit: ExitCode.Unavailable,
      suggestions: [`See its log: ${layout.log}`],
    });
  }, { timeoutMs: START_TIMEOUT_MS + 5000 });
}
