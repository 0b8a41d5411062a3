/**
 * The shell half of `kgate session`: a broker for the grant, then the person's shell with
 * KUBECONFIG pointing at it, a private KUBECACHEDIR and the prompt marker, with warnings on the
 * terminal before the grant ends. When the shell exits the broker closes and the audit trail is
 * flushed (also when the shell could not start); releasing the grant is the command's business, since only it knows who created it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../cli/child-process.js';
import { resolvePaths } from '../cli/paths.js';
import type { GrantView, PolicyClient } from '../policy/client.js';
import { startBroker } from '../broker/runtime/start-broker.js';
import { watchExpiry } from './expiry-watch.js';
import { prepareShell } from './shell-setup.js';

export interface BrokeredShellOptions {
  client: PolicyClient;
  grant: GrantView;
  shell: string;
  namespace?: string;
  verbose: boolean;
  /** Lines for the person (held requests, expiry warnings, broker log with --verbose). */
  status: (line: string) => void;
}

export interface ShellResult {
  exitCode: number;
  /** Audit events the flush could not ship; they stay in the local spool for the next run. */
  unshipped: number;
}

/** Runs the shell to its end and tears the broker down. */
export async function runBrokeredShell(opts: BrokeredShellOptions): Promise<ShellResult> {
  const { grant } = opts;
  const broker = await startBroker({
    client: opts.client,
    grant,
    stateDir: resolvePaths().state,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    log: opts.verbose ? (line) => opts.status(`kgate broker: ${line}`) : () => undefined,
    status: opts.status,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-kubecache-'));
  const shell = await prepareShell({ shell: opts.shell, cluster: grant.cluster, template: grant.template, grantId: grant.id, expiresAt: grant.expiresAt ?? Date.now() });
  // The shell owns the terminal line: start each notice on a fresh line.
  const stopWatch = watchExpiry(grant.id, grant.expiresAt ?? Date.now(), (line) => opts.status(`\r\n${line}`));
  let exitCode: number;
  try {
    exitCode = await runChild(shell.argv, { ...process.env, ...shell.env, KUBECONFIG: broker.kubeconfig, KUBECACHEDIR: cacheDir });
  } finally {
    stopWatch();
    await shell.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  }
  const flushed = await broker.close();
  return { exitCode, unshipped: flushed.remaining };
}
