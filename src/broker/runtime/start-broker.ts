/**
 * One in-process broker for one active grant, as `kgate exec` runs it: rules from the policy
 * service, the grant's short-lived cluster credential (minted again before it expires and once
 * on a 401), the pipeline with approval holds, recordings and a chained, spooled audit trail
 * shipped in the background, the loopback listener under the local CA, and a private session
 * kubeconfig. `close` tears it down in the reverse order and flushes the audit trail.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FlushResult } from '../../audit/shipper.js';
import { compileDetectors } from '../../mask/detectors.js';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import type { Principal } from '../../policy/types.js';
import { startLoopbackListener } from '../listener/server.js';
import { openLocalCa } from '../local-ca.js';
import { createPipeline } from '../pipeline/index.js';
import { writeSessionKubeconfig } from '../session-kubeconfig.js';
import { createApprovalHold } from './approval-hold.js';
import { createAuditSink } from './audit-sink.js';
import { createRecordings } from './recording.js';
import { openRulesSource } from './rules-source.js';

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
  /** Stops serving, ships what the spool holds (up to `flushMs`), and removes the kubeconfig. */
  close(flushMs?: number): Promise<FlushResult>;
}

function principalOf(grant: GrantView): Principal {
  const p = grant.principal;
  return { issuer: p.issuer, subject: p.subject, ...(p.clientId ? { clientId: p.clientId } : {}), name: p.name, type: p.type, groups: p.groups, claims: {} };
}

/** Starts the broker; throws (and leaves nothing running) when any part cannot start. */
export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const { client, grant, log } = options;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const first = await client.credentials(grant.id);
    const rules = await openRulesSource(client, grant.cluster, { log, ...(options.rulesRefreshMs ? { refreshMs: options.rulesRefreshMs } : {}) });
    cleanups.push(() => rules.close());

    const [{ openSpool }, { createShipper }] = await Promise.all([import('../../audit/spool.js'), import('../../audit/shipper.js')]);
    const spool = openSpool(join(options.stateDir, 'audit', 'spool.db'), { maxBytes: options.spool?.maxBytes ?? 64 * 1024 * 1024, maxEvents: options.spool?.maxEvents ?? 100_000 });
    cleanups.push(() => spool.close());
    const shipper = createShipper({ spool, send: (events) => client.ingestAudit(events), log });
    shipper.start();
    cleanups.push(() => shipper.stop());

    const session = randomUUID();
    const detectors = compileDetectors(rules.masking.detectors);
    const sink = createAuditSink({ spool, session, principal: grant.principal, cluster: grant.cluster, grant: grant.id, detectors, log });
    let unused: typeof first | undefined = first;
    const pipeline = createPipeline({
      upstream: {
        url: first.server,
        ca: Buffer.from(first.caData, 'base64').toString('utf8'),
        // The pipeline caches the token and asks again shortly before expiry or after a 401.
        token: async () => {
          const credential = unused ?? (await client.credentials(grant.id));
          unused = undefined;
          return { token: credential.token, expiresAt: credential.expiresAt };
        },
      },
      principal: principalOf(grant),
      cluster: grant.cluster,
      rules: rules.rules,
      masking: rules.masking,
      onAudit: (record) => sink.complete(record),
      onResponseStarted: (record) => sink.started(record),
      admit: () => sink.admit(),
      holdForApproval: createApprovalHold({ client, cluster: grant.cluster, status: options.status, detectors }),
      record: createRecordings({ client, stateDir: options.stateDir, recordStdin: false, detectors, log }),
      log,
    });
    cleanups.push(() => pipeline.close());

    const ca = await openLocalCa(options.stateDir);
    const token = randomBytes(32).toString('base64url');
    const listener = await startLoopbackListener({ ca, sessionTokens: [token], handler: pipeline.handle, upgrade: pipeline.upgrade, log });
    cleanups.push(() => listener.close());
    const kubeconfig = await writeSessionKubeconfig({
      url: listener.url, caCertificate: ca.certificate, token,
      clusters: [{ name: grant.cluster, ...(options.namespace ? { namespace: options.namespace } : {}) }],
    });
    cleanups.push(() => kubeconfig.dispose());

    let closing: Promise<FlushResult> | undefined;
    const close = (flushMs = 30_000): Promise<FlushResult> => {
      closing ??= (async () => {
        await kubeconfig.dispose();
        await listener.close();
        await pipeline.close();
        rules.close();
        const flushed = await shipper.flush(flushMs);
        await shipper.stop();
        await spool.close();
        return flushed;
      })();
      return closing;
    };
    return { url: listener.url, kubeconfig: kubeconfig.path, session, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}
