/**
 * One in-process broker for one active grant, as `kgate exec` runs it: a cluster session behind
 * its own loopback listener under the local CA, the audit trail shipping in the background, and
 * a private session kubeconfig. `close` tears it down in the reverse order and flushes the audit
 * trail.
 */
import type { FlushResult } from '../../audit/shipper.js';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import { startLoopbackListener } from '../listener/server.js';
import { createSessionToken } from '../listener/session-token.js';
import { openLocalCa } from '../local-ca.js';
import { writeSessionKubeconfig } from '../session-kubeconfig.js';
import { openAuditTrail } from './audit-trail.js';
import { openClusterSession } from './cluster-session.js';

export interface StartBrokerOptions {
  client: PolicyClient;
  /** An active grant owned by the caller. */
  grant: GrantView;
  stateDir: string;
  /** The kubeconfig context's default namespace. */
  namespace?: string;
  /** Operational log lines (never a token or a body value). */
  log: (line: string) => void;
  /** What the person or CI log should see (held requests). */
  status: (line: string) => void;
  /** Spool caps; defaults 64 MiB and 100 000 events. */
  spool?: { maxBytes?: number; maxEvents?: number };
  /** Rules revalidation interval in ms. */
  rulesRefreshMs?: number;
}

export interface RunningBroker {
  url: string;
  /** The session kubeconfig (0600, in a private directory). */
  kubeconfig: string;
  /** The audit chain's session id. */
  session: string;
  /** Moves the broker onto a fresh active grant (see ClusterSession.useGrant). */
  useGrant(next: GrantView): void;
  /** Stops serving, ships what the spool holds (up to `flushMs`), and removes the kubeconfig. */
  close(flushMs?: number): Promise<FlushResult>;
}

/** Starts the broker; throws (and leaves nothing running) when any part cannot start. */
export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const { client, grant, log } = options;
  const trail = await openAuditTrail({ client, stateDir: options.stateDir, log, ...options.spool });
  const cleanups: (() => Promise<unknown>)[] = [() => trail.close(0)];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const cluster = await openClusterSession({ client, grant, stateDir: options.stateDir, spool: trail.spool, shipAudit: (ms) => trail.flush(ms), log, status: options.status, ...(options.rulesRefreshMs ? { rulesRefreshMs: options.rulesRefreshMs } : {}) });
    cleanups.push(() => cluster.close());
    const ca = await openLocalCa(options.stateDir);
    const token = createSessionToken();
    const listener = await startLoopbackListener({ ca, sessionTokens: [token], handler: cluster.pipeline.handle, upgrade: cluster.pipeline.upgrade, log });
    cleanups.push(() => listener.close());
    const kubeconfig = await writeSessionKubeconfig({
      url: listener.url, caCertificate: ca.certificate, token,
      clusters: [{ name: grant.cluster, ...(options.namespace ? { namespace: options.namespace } : {}) }],
    });
    let closing: Promise<FlushResult> | undefined;
    const close = (flushMs = 30_000): Promise<FlushResult> => {
      closing ??= (async () => {
        await kubeconfig.dispose();
        await listener.close();
        await cluster.close();
        return trail.close(flushMs);
      })();
      return closing;
    };
    return { url: listener.url, kubeconfig: kubeconfig.path, session: cluster.session, useGrant: (next) => cluster.useGrant(next), close };
  } catch (error) {
    await unwind();
    throw error;
  }
}
