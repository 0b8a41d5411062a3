/**
 * The per-user broker daemon (`kgate broker run`): one loopback TLS listener on the remembered
 * port serving every cluster the user has a session for, the control socket the credential
 * plugin talks to, and the audit trail — whatever a previous run left in the spool ships first.
 * It stops on SIGTERM/SIGINT, on a `stop` request, or after `idleMs` without any request, and
 * then releases the grants it requested and flushes the audit trail.
 */
import { rm, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from '../../cli/atomic-file.js';
import { openIdentity } from '../../identity/context.js';
import { openPolicyClient } from '../../policy/client-context.js';
import { startLoopbackListener } from '../listener/server.js';
import { openLocalCa } from '../local-ca.js';
import { openAuditTrail } from '../runtime/audit-trail.js';
import { controlRequest } from './control-client.js';
import { startControlServer } from './control-server.js';
import { brokerLayout } from './layout.js';
import { ensureBrokerPort } from './port.js';
import type { ControlRequest, ControlResponse } from './protocol.js';
import { createRouter } from './router.js';
import { createSessionRegistry } from './sessions.js';

export interface DaemonOptions {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Stop after this long without a request; default 30 min. */
  idleMs: number;
  log: (line: string) => void;
}

/** Runs until stopped; resolves after a clean shutdown. */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { stateDir, log } = options;
  const layout = brokerLayout(stateDir);
  await ensurePrivateDir(layout.dir);
  if (await controlRequest(layout.socket, { op: 'ping' }, 1000)) throw new Error(`a kgate broker already answers on ${layout.socket}`);

  const identity = await openIdentity({}, options.env);
  const client = await openPolicyClient({}, options.env);
  const trail = await openAuditTrail({ client, stateDir, log });
  const sessions = createSessionRegistry({ client, identity, stateDir, spool: trail.spool, shipAudit: (ms) => trail.flush(ms), log });
  let lastActivity = Date.now();
  const touch = () => {
    lastActivity = Date.now();
  };
  const router = createRouter((token) => sessions.byToken(token), touch);
  const ca = await openLocalCa(stateDir);
  const port = await ensureBrokerPort(stateDir);
  const listener = await startLoopbackListener({ ca, port, sessionTokens: (token) => sessions.verify(token), handler: router.handle, upgrade: router.upgrade, log });
  const startedAt = Date.now();

  let stop!: (why: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const handle = async (request: ControlRequest): Promise<ControlResponse> => {
    touch();
    switch (request.op) {
      case 'ping':
        return { ok: true };
      case 'credential':
        return sessions.credential(request);
      case 'status': {
        const spool = trail.spool.stats();
        return { ok: true, pid: process.pid, url: listener.url, startedAt, idleStopAt: lastActivity + options.idleMs, sessions: sessions.status(), spool: { pending: spool.pending, bytes: spool.bytes } };
      }
      case 'stop':
        setImmediate(() => stop('asked to stop'));
        return { ok: true, stopping: true };
      default:
        return { ok: false, code: 'KGATE_CONTROL_BAD_REQUEST', message: `unknown op ${(request as { op: string }).op}`, exit: 2, suggestions: [] };
    }
  };
  const control = await startControlServer(layout.socket, handle, log);
  await writeFile(layout.pidFile, `${process.pid}\n`, { mode: 0o600 });
  log(`broker ${process.pid} serving ${listener.url}, control ${layout.socket}`);

  const idle = setInterval(() => {
    if (Date.now() - lastActivity >= options.idleMs) stop(`idle for ${Math.round(options.idleMs / 1000)}s`);
  }, Math.min(options.idleMs, 30_000));
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const why = await stopped;
  log(`broker stopping (${why})`);
  clearInterval(idle);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await control.close();
  await rm(layout.socket, { force: true });
  await listener.close();
  await sessions.close();
  const flushed = await trail.close(10_000);
  if (flushed.remaining > 0) log(`${flushed.remaining} audit events stay in the spool for the next run`);
  await client.close();
  await rm(layout.pidFile, { force: true });
  log('broker stopped');
}
