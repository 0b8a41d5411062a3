/**
 * Everything a broker needs to serve one grant on one cluster: the guardrail rules from the
 * policy service (revalidated), the grant's short-lived cluster credential (minted again before
 * it expires and once on a 401), approval holds, recordings, an audit sink with this session's
 * own hash chain, and a watch on the grant that ends every stream still open (exec, attach,
 * port-forward, watches, followed logs) when the grant expires or is revoked, wired into a request
 * pipeline. No listener: `kgate exec` puts one in front of a single session, the broker daemon
 * routes many sessions behind one.
 */
import { randomUUID } from 'node:crypto';
import type { AuditSpool } from '../../audit/spool.js';
import { compileDetectors } from '../../mask/detectors.js';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import type { Principal } from '../../policy/types.js';
import { createPipeline, type Pipeline } from '../pipeline/index.js';
import { createApprovalHold } from './approval-hold.js';
import { createAuditSink } from './audit-sink.js';
import { watchGrant } from './grant-watch.js';
import { createRecordings } from './recording.js';
import { openRulesSource } from './rules-source.js';

/** How long a finished exec waits for its audit event to ship before its recording is uploaded anyway. */
const RECORDING_SHIP_WAIT_MS = 10_000;

export interface ClusterSessionOptions {
  client: PolicyClient;
  /** An active grant owned by the caller. */
  grant: GrantView;
  stateDir: string;
  spool: AuditSpool;
  /**
   * Ships the spool now (up to `timeoutMs`). Called before a recording is uploaded: the service
   * takes a recording only once it holds the exec session's audit event.
   */
  shipAudit?: (timeoutMs: number) => Promise<unknown>;
  log: (line: string) => void;
  /** What the person or CI log should see (held requests). */
  status: (line: string) => void;
  rulesRefreshMs?: number;
  /** Told when the grant ended (expired, revoked) after the session's streams were ended. */
  onGrantEnded?: (why: string) => void;
}

export interface ClusterSession {
  /** The grant requests are made under now. */
  readonly grant: GrantView;
  /**
   * Moves the session onto `next`, a fresh active grant for the same cluster (an extension):
   * tokens minted from now on, and audit events, belong to it.
   */
  useGrant(next: GrantView): void;
  pipeline: Pipeline;
  /** The audit chain's session id. */
  session: string;
  /** Stops revalidating rules and watching the grant, and waits for running requests to finish their audit records. Once. */
  close(): Promise<void>;
}

function principalOf(grant: GrantView): Principal {
  const p = grant.principal;
  return { issuer: p.issuer, subject: p.subject, ...(p.clientId ? { clientId: p.clientId } : {}), name: p.name, type: p.type, groups: p.groups, claims: {} };
}

/** Opens the session; throws when the credential or the rules cannot be had (fail closed). */
export async function openClusterSession(options: ClusterSessionOptions): Promise<ClusterSession> {
  const { client, grant, log } = options;
  // Both round trips at once; when one fails, nothing of the other is left running.
  const [credential, source] = await Promise.allSettled([
    client.credentials(grant.id),
    openRulesSource(client, grant.cluster, { log, ...(options.rulesRefreshMs ? { refreshMs: options.rulesRefreshMs } : {}) }),
  ]);
  if (credential.status === 'rejected' || source.status === 'rejected') {
    if (source.status === 'fulfilled') source.value.close();
    throw credential.status === 'rejected' ? credential.reason : (source as PromiseRejectedResult).reason;
  }
  const first = credential.value;
  const rules = source.value;
  const session = randomUUID();
  const detectors = compileDetectors(rules.masking.detectors);
  const sink = createAuditSink({ spool: options.spool, session, principal: grant.principal, cluster: grant.cluster, grant: grant.id, detectors, log });
  let current = grant;
  let unused: typeof first | undefined = first;
  const uploadRecording = async (id: string, data: Uint8Array) => {
    await options.shipAudit?.(RECORDING_SHIP_WAIT_MS);
    await client.putRecording(id, data, current.id);
  };
  const pipeline = createPipeline({
    upstream: {
      url: first.server,
      ca: Buffer.from(first.caData, 'base64').toString('utf8'),
      // The pipeline caches the token and asks again shortly before expiry or after a 401.
      token: async () => {
        const credential = unused ?? (await client.credentials(current.id));
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
    record: createRecordings({ client: { putRecording: (id, data) => uploadRecording(id, data) }, stateDir: options.stateDir, recordStdin: false, detectors, log }),
    log,
  });
  const watch = watchGrant({
    client,
    grant,
    log,
    onEnded: (why) => {
      log(`grant ended: ${why}; ending what is still open`);
      pipeline.terminate(why);
      options.onGrantEnded?.(why);
    },
  });
  let closing: Promise<void> | undefined;
  return {
    get grant() {
      return current;
    },
    useGrant(next) {
      if (next.cluster !== grant.cluster || next.state !== 'active') throw new Error(`grant ${next.id} cannot carry this session`);
      current = next;
      unused = undefined;
      sink.useGrant(next.id);
      pipeline.renewCredential();
      watch.follow(next);
    },
    pipeline,
    session,
    close() {
      closing ??= (async () => {
        rules.close();
        await watch.stop();
        await pipeline.close();
        await sink.end('the broker session closed').catch(() => undefined);
      })();
      return closing;
    },
  };
}
