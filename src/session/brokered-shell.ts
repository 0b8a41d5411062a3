/**
 * The shell half of `kgate session`: the person's shell run through a broker for the grant
 * (runBrokered), with the prompt marker and warnings on the terminal before the grant ends.
 * Releasing the grant is the command's business, since only it knows who created it.
 */
import type { GrantView, PolicyClient } from '../policy/client.js';
import { runBrokered, type BrokeredResult } from '../broker/runtime/run-brokered.js';
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

export type ShellResult = BrokeredResult;

/** Runs the shell to its end and tears the broker down. */
export async function runBrokeredShell(opts: BrokeredShellOptions): Promise<ShellResult> {
  const { grant } = opts;
  const shell = await prepareShell({ shell: opts.shell, cluster: grant.cluster, template: grant.template, grantId: grant.id, expiresAt: grant.expiresAt ?? Date.now() });
  // The shell owns the terminal line: start each notice on a fresh line.
  const stopWatch = watchExpiry(grant.id, grant.expiresAt ?? Date.now(), (line) => opts.status(`\r\n${line}`));
  try {
    return await runBrokered({ client: opts.client, grant, argv: shell.argv, env: shell.env, ...(opts.namespace ? { namespace: opts.namespace } : {}), verbose: opts.verbose, status: opts.status });
  } finally {
    stopWatch();
    await shell.dispose();
  }
}
