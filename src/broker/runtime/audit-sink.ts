/**
 * Where a broker's audit records go: each becomes an Event, is sealed into this broker
 * session's hash chain and committed to the durable spool (the pipeline awaits the commit before
 * the response completes), from which the shipper sends it to the policy service. When the spool
 * is full the sink refuses new requests with a 503 Status instead of serving them unaudited.
 */
import { createAuditChain, type AuditChain } from '../../audit/chain.js';
import type { AuditEvent } from '../../audit/event.js';
import type { AuditSpool } from '../../audit/spool.js';
import { statusResponse, type StatusResponse } from '../../kube/status.js';
import type { PipelineAuditRecord } from '../pipeline/types.js';
import { auditEventOf, endMarker, type AuditContext } from './audit-record.js';

export interface AuditSink {
  readonly chain: AuditChain;
  /** Commits the final event of a request. */
  complete(record: PipelineAuditRecord): Promise<void>;
  /** Commits the ResponseStarted event of a long-running request. */
  started(record: Omit<PipelineAuditRecord, 'endedAt'>): void;
  /** A 503 Status while the spool cannot take more events. */
  admit(): StatusResponse | undefined;
  /** Names `grantId` in later events (a session extended onto a fresh grant). */
  useGrant(grantId: string): void;
  /** Commits the chain's end marker: the session is over, so a missing tail shows. Once. */
  end(reason: string): Promise<void>;
}

export interface AuditSinkOptions extends AuditContext {
  /** Where sealed events are committed: the local spool (broker) or the policy store (gateway). */
  spool: Pick<AuditSpool, 'append' | 'stats'>;
  /** The chain's session id (one per broker session). */
  session: string;
  now?: () => Date;
  log: (line: string) => void;
}

/** Creates the sink of one broker session. */
export function createAuditSink(options: AuditSinkOptions): AuditSink {
  const chain = createAuditChain(options.session);
  const context: AuditContext = { principal: options.principal, cluster: options.cluster, detectors: options.detectors, ...(options.grant ? { grant: options.grant } : {}) };
  const commit = async (event: AuditEvent): Promise<void> => {
    try {
      await options.spool.append(chain.seal(event));
    } catch (error) {
      options.log(`audit: an event could not be spooled (${(error as Error).message})`);
      throw error;
    }
  };
  let ended: Promise<void> | undefined;
  return {
    chain,
    end: (reason) => (ended ??= commit(endMarker(options.session, context, reason, options.now?.() ?? new Date()))),
    complete: (record) => commit(auditEventOf(record, 'ResponseComplete', context)),
    started: (record) => void commit(auditEventOf(record, 'ResponseStarted', context)).catch(() => undefined),
    useGrant: (grantId) => {
      context.grant = grantId;
    },
    admit() {
      const stats = options.spool.stats();
      if (stats.pending < stats.maxEvents && stats.bytes < stats.maxBytes) return undefined;
      return statusResponse(503, 'ServiceUnavailable', `kgate's audit spool is full (${stats.pending} events waiting to be shipped); requests are refused until the policy service takes them`);
    },
  };
}
