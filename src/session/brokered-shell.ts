/**
 * The shell half of `kgate session`: the person's shell run through a broker for the grant
 * (runBrokered), with the prompt marker, warnings on the terminal before the grant ends, and the
 * session extended onto a fresh grant where policy allows (extension.ts).
 * Releasing the grant is the command's business, since only it knows who created it.
 */
import type { GrantRequestBody, GrantView, PolicyClient } from '../policy/client.js';
import { runBrokered, type BrokeredResult } from '../broker/runtime/run-brokered.js';
import type { RunningBroker } from '../broker/runtime/start-broker.js';
import { keepExtending } from './extension.js';
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
  /** Extend the session before its grant ends by requesting this again (see extension.ts). */
  extend?: { request: GrantRequestBody; onRequested(grantId: string): void };
}

export type ShellResult = BrokeredResult;

/** Runs the shell to its end and tears the broker down. */
export async function runBrokeredShell(opts: BrokeredShellOptions): Promise<ShellResult> {
  const { grant } = opts;
  const shell = await prepareShell({ shell: opts.shell, cluster: grant.cluster, template: grant.template, grantId: grant.id, expiresAt: grant.expiresAt ?? Date.now() });
  // The shell owns the terminal line: start each notice on a fresh line.
  const say = (line: string) => opts.status(`\r\n${line}`);
  let stopWatch = watchExpiry(grant.id, grant.expiresAt ?? Date.now(), say);
  let stopExtending = () => {};
  const extendWith = (broker: Pick<RunningBroker, 'useGrant'>) => {
    if (!opts.extend) return;
    stopExtending = keepExtending({
      client: opts.client, grant, request: opts.extend.request, say,
      useGrant: (next) => broker.useGrant(next),
      onRequested: opts.extend.onRequested,
      onExtended: (next) => {
        stopWatch();
        stopWatch = watchExpiry(next.id, next.expiresAt ?? Date.now(), say);
        void shell.setExpiry(next.expiresAt ?? Date.now()).catch(() => undefined);
      },
    });
  };
  try {
    return await runBrokered({ client: opts.client, grant, argv: shell.argv, env: shell.env, ...(opts.namespace ? { namespace: opts.namespace } : {}), verbose: opts.verbose, status: opts.status, onBroker: extendWith });
  } finally {
    stopExtending();
    stopWatch();
    await shell.dispose();
  }
}
