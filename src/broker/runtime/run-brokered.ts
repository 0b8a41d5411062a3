/**
 * A command run through its own broker, as `kgate exec` and `kgate session` run one: the broker
 * for the grant, the command with KUBECONFIG pointing at it and a private KUBECACHEDIR (so no
 * discovery cache from another cluster or identity is trusted), then the broker closed and the
 * audit trail flushed, also when the command could not start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../../cli/child-process.js';
import { resolvePaths } from '../../cli/paths.js';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import { runGatewayed } from './run-gatewayed.js';
import { startBroker, type RunningBroker } from './start-broker.js';

export interface RunBrokeredOptions {
  client: PolicyClient;
  grant: GrantView;
  argv: readonly string[];
  /** Added to the command's environment (on top of kgate's own). */
  env?: Record<string, string>;
  namespace?: string;
  /** Print the broker's log lines through `status`. */
  verbose: boolean;
  /** Lines for the person or CI log: held requests, and the broker's log with `verbose`. */
  status: (line: string) => void;
  /** Called before the command starts with a way to move it onto a fresh grant (an extension). */
  onBroker?: (run: Pick<RunningBroker, 'useGrant'>) => void;
}

export interface BrokeredResult {
  exitCode: number;
  /** Audit events the flush could not ship; they stay in the local spool for the next run. */
  unshipped: number;
}

/**
 * Runs `argv` to its end through the gate for `grant`: the kgate gateway for a gateway cluster,
 * else a local broker.
 */
export async function runBrokered(opts: RunBrokeredOptions): Promise<BrokeredResult> {
  if (opts.grant.access === 'gateway') {
    return runGatewayed({
      client: opts.client, grant: opts.grant, argv: opts.argv, status: opts.status,
      ...(opts.env ? { env: opts.env } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.onBroker ? { onRun: opts.onBroker } : {}),
    });
  }
  const broker = await startBroker({
    client: opts.client,
    grant: opts.grant,
    stateDir: resolvePaths().state,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    log: opts.verbose ? (line) => opts.status(`kgate broker: ${line}`) : () => undefined,
    status: opts.status,
  });
  opts.onBroker?.(broker);
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-kubecache-'));
  const close = async () => {
    const flushed = await broker.close();
    await rm(cacheDir, { recursive: true, force: true });
    return flushed.remaining;
  };
  try {
    const exitCode = await runChild(opts.argv, { ...process.env, ...opts.env, KUBECONFIG: broker.kubeconfig, KUBECACHEDIR: cacheDir });
    return { exitCode, unshipped: await close() };
  } catch (error) {
    await close();
    throw error;
  }
}
