/**
 * The gateway's audit trail: each sealed event goes straight into the policy store, committed
 * before the response completes, under an id in the gateway's own namespace (`gw.`), which audit
 * ingest refuses from clients, so no caller can write or pre-empt a gateway event.
 */
import type { AuditEvent } from '../../audit/event.js';
import type { AuditSpool } from '../../audit/spool.js';
import { auditRecordOf } from '../../policy/server/audit-records.js';
import type { PolicyStore } from '../../policy/store/types.js';

/** Ids of events and recordings the gateway writes start with this; clients may not use it. */
export const GATEWAY_ID_PREFIX = 'gw.';

/** A spool-shaped sink (what the audit sink commits to) writing into `store`. */
export function storeAuditSpool(store: Pick<PolicyStore, 'ingestAuditEvents'>): Pick<AuditSpool, 'append' | 'stats'> {
  return {
    async append(event: AuditEvent) {
      const record = auditRecordOf(event as unknown as Record<string, unknown>, 0);
      await store.ingestAuditEvents([{ ...record, id: `${GATEWAY_ID_PREFIX}${record.id}` }]);
    },
    // Nothing waits locally: an event is in the store once append resolves.
    stats: () => ({ pending: 0, bytes: 0, maxEvents: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY }),
  };
}
