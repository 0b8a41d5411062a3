/**
 * Where a broker's audit records go: each becomes an Event, is sealed into this broker
 * session's hash chain and committed to the durable spool (the pipeline awaits the commit before
 * the response completes), from which the shipper sends it to the policy service. Audit never
 * fails open: while the spool is full, or since a commit failed until a probe write succeeds,
 * the sink refuses new requests with a 503 Status instead of serving them unaudited.
 */
import { createAuditChain, type AuditChain } from '../../audit/chain.js';
import type { AuditEvent } from '../../audit/event.js';
import type { AuditTarget } from '../../audit/spool.js';
import { statusResponse, type StatusResponse } from '../../kube/status.js';
import type { PipelineAuditRecord } from '../pipeline/types.js';
import { auditEventOf, endMarker, type AuditContext } from './audit-record.js';

export interface AuditSink {
  readonly chain: AuditChain;
  /** Commits the final event of a request. @throws when it cannot be committed. */
  complete(record: PipelineAuditRecord): Promise<void>;
  /** Commits the ResponseStarted event of a long-running request. @throws when it cannot be committed. */
  started(record: Omit<PipelineAuditRecord, 'endedAt'>): Promise<void>;
  /** A 503 Status while the trail cannot take more events (full, or failing until a probe works). */
  admit(): Promise<StatusResponse | undefined>;
  /** Names `grantId` in later events (a session extended onto a fresh grant). */
  useGrant(grantId: string): void;
  /** Commits the chain's end marker: the session is over, so a missing tail shows. Once. */
  end(reason: string): Promise<void>;
}

export interface AuditSinkOptions extends AuditContext {
  /** Where sealed events are committed: the local spool (broker) or the policy store (gateway). */
  spool: AuditTarget;
  /** The chain's session id (one per broker session). */
  session: string;
  now?: () => Date;
  log: (line: string) => void;
}

/** Creates the sink of one broker session. */
export function createAuditSink(options: AuditSinkOptions): AuditSink {
  const { spool, log } = options;
  const chain = createAuditChain(options.session);
  const context: AuditContext = { principal: options.principal, cluster: options.cluster, detectors: options.detectors, ...(options.grant ? { grant: options.grant } : {}) };
  const commit = async (event: AuditEvent): Promise<void> => {
    try {
      await spool.append(chain.seal(event));
    } catch (error) {
      // The error names the spool or store and what the disk said, never the event's content.
      log(`audit: an event could not be written (${(error as Error).message})`);
      throw error;
    }
  };
  let ended: Promise<void> | undefined;
  return {
    chain,
    end: (reason) => (ended ??= commit(endMarker(options.session, context, reason, options.now?.() ?? new Date()))),
    complete: (record) => commit(auditEventOf(record, 'ResponseComplete', context)),
    started: (record) => commit(auditEventOf(record, 'ResponseStarted', context)),
    useGrant: (grantId) => {
      context.grant = grantId;
    },
    async admit() {
      const stats = spool.stats();
      if (stats.pending >= stats.maxEvents || stats.bytes >= stats.maxBytes) {
        return statusResponse(503, 'ServiceUnavailable', `kgate's audit spool is full (${stats.pending} events waiting to be shipped); requests are refused until the policy service takes them`);
      }
      if (!spool.failure()) return undefined;
      try {
        await spool.probe();
      } catch (error) {
        return statusResponse(503, 'ServiceUnavailable', `kgate cannot write its audit trail (${(error as Error).message}); requests are refused until it can record them`);
      }
      log('audit: the trail can be written again; serving requests');
      return undefined;
    },
  };
}
