/**
 * The gateway's audit trail: each sealed event goes straight into the policy store, committed
 * before the response completes, under an id in the gateway's own namespace (`gw.`), which audit
 * ingest refuses from clients, so no caller can write or pre-empt a gateway event. A write the
 * store refuses is remembered until a probe write succeeds, so every gateway session refuses
 * requests while the store cannot record them.
 */
import type { AuditEvent } from '../../audit/event.js';
import type { AuditTarget } from '../../audit/spool.js';
import { auditRecordOf } from '../../policy/server/audit-records.js';
import type { PolicyStore } from '../../policy/store/types.js';

/** Ids of events and recordings the gateway writes start with this; clients may not use it. */
export const GATEWAY_ID_PREFIX = 'gw.';

type AuditStore = Pick<PolicyStore, 'ingestAuditEvents' | 'probeWrite'>;

// One writer per store: its failure is the store's, seen by every session at once.
const writers = new WeakMap<AuditStore, AuditTarget>();

/** The audit target (what the audit sink commits to) writing into `store`. */
export function storeAuditSpool(store: AuditStore): AuditTarget {
  let writer = writers.get(store);
  if (!writer) writers.set(store, (writer = storeWriter(store)));
  return writer;
}

function storeWriter(store: AuditStore): AuditTarget {
  let failure: Error | undefined;
  let probing: Promise<void> | undefined;
  const attempt = async (write: () => Promise<void>): Promise<void> => {
    try {
      await write();
    } catch (error) {
      failure = error as Error;
      throw error;
    }
    failure = undefined;
  };
  return {
    append: (event: AuditEvent) => attempt(async () => {
      const record = auditRecordOf(event as unknown as Record<string, unknown>, 0);
      const id = `${GATEWAY_ID_PREFIX}${record.id}`;
      const result = await store.ingestAuditEvents([{ ...record, id }]);
      // Gateway ids are random: a conflict means this event was not stored, whatever is under its id.
      if (result.conflicts > 0) throw new Error(`the store holds another event under ${id}`);
    }),
    // Nothing waits locally: an event is in the store once append resolves.
    stats: () => ({ pending: 0, bytes: 0, maxEvents: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY }),
    failure: () => failure,
    probe: () => (probing ??= attempt(() => store.probeWrite()).finally(() => (probing = undefined))),
  };
}
