/**
 * One gateway session: everything the gateway needs to serve one gateway credential — the same
 * request pipeline the local broker runs, with the grant's cluster token minted and refreshed here
 * (it never leaves the service), holds decided by the service in-process, recordings and a
 * hash-chained audit trail written straight into the store, ended by an end marker.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterAdapter } from '../../cluster/adapter.js';
import { compileDetectors } from '../../mask/detectors.js';
import { principalView } from '../../policy/server/api.js';
import type { GatewayCredentialRecord, PolicyStore } from '../../policy/store/types.js';
import type { Grant, GuardrailRule, MaskingConfig } from '../../policy/types.js';
import { createPipeline, type Pipeline } from '../pipeline/index.js';
import { createAuditSink } from '../runtime/audit-sink.js';
import { createRecordings } from '../runtime/recording.js';
import { createGatewayHold, type ApprovalDesk } from './holds.js';
import { GATEWAY_ID_PREFIX, storeAuditSpool } from './store-audit.js';

export interface GatewaySessionDeps {
  store: PolicyStore;
  adapter: ClusterAdapter;
  desk: ApprovalDesk;
  rules: () => GuardrailRule[];
  masking: MaskingConfig;
  /** Where a recording the store cannot take is kept (0600). */
  stateDir: string;
  log: (line: string) => void;
  now: () => number;
}

export interface GatewaySession {
  /** The audit chain's session id. */
  readonly id: string;
  readonly credential: GatewayCredentialRecord;
  readonly grant: Grant;
  readonly pipeline: Pipeline;
  /** Requests and streams in flight. */
  active: number;
  lastUsed: number;
  /** Closes every open stream with `reason`, waits for their audit records, then ends the chain. Once. */
  end(reason: string): Promise<void>;
}

/** Opens a session; throws when the cluster credential cannot be had (the caller answers 503). */
export async function openGatewaySession(credential: GatewayCredentialRecord, grant: Grant, deps: GatewaySessionDeps): Promise<GatewaySession> {
  const { adapter, store, log } = deps;
  let unused: Awaited<ReturnType<ClusterAdapter['credential']>> | undefined = await adapter.credential(grant);
  const first = unused;
  // In the gateway's own id space, so no client can ship events into this chain (audit ingest refuses `gw.` sessions).
  const id = `${GATEWAY_ID_PREFIX}${randomUUID()}`;
  const detectors = compileDetectors(deps.masking.detectors);
  const principal = principalView(grant.principal);
  const sink = createAuditSink({
    spool: storeAuditSpool(store), session: id, principal, cluster: grant.cluster, grant: grant.id, detectors, log,
    now: () => new Date(deps.now()),
  });
  const pipeline = createPipeline({
    upstream: {
      url: first.server,
      ca: Buffer.from(first.caData, 'base64').toString('utf8'),
      // Minted here and cached by the pipeline until shortly before expiry or a 401.
      token: async () => {
        const credential = unused ?? (await adapter.credential(grant));
        unused = undefined;
        return { token: credential.token, expiresAt: credential.expiresAt };
      },
    },
    principal: grant.principal,
    cluster: grant.cluster,
    rules: deps.rules,
    masking: deps.masking,
    onAudit: (record) => sink.complete(record),
    onResponseStarted: (record) => sink.started(record),
    admit: () => sink.admit(),
    holdForApproval: createGatewayHold({ desk: deps.desk, requester: grant.principal, cluster: grant.cluster, detectors, canWait: credential.purpose === 'run', log }),
    record: createRecordings({
      client: {
        putRecording: async (recordingId, data) => {
          await store.putRecording(recordingId, { contentType: 'application/x-asciicast', principal: principal.id, grant: grant.id, cluster: grant.cluster }, Buffer.from(data));
        },
      },
      idPrefix: GATEWAY_ID_PREFIX,
      stateDir: deps.stateDir,
      recordStdin: false,
      detectors,
      log,
    }),
    log,
    now: () => new Date(deps.now()),
  });
  let ending: Promise<void> | undefined;
  return {
    id,
    credential,
    grant,
    pipeline,
    active: 0,
    lastUsed: deps.now(),
    end(reason) {
      ending ??= (async () => {
        pipeline.terminate(reason);
        await pipeline.close();
        await sink.end(reason).catch((error: unknown) => log(`audit: the end marker of session ${id} could not be written (${(error as Error).message})`));
      })();
      return ending;
    },
  };
}
