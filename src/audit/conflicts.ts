/**
 * Conflicting copies of audit events: an event arrived under an auditID the policy service already
 * held with other content. The service keeps the first and sets each distinct copy aside; either
 * way someone tried to replace or pre-empt an event, so `kgate audit verify` fails on every one.
 */
import type { AuditConflictRecord } from '../policy/store/types.js';
import { verifyChain, type ChainVerification } from './chain.js';
import type { AuditEvent } from './event.js';

/** One conflict as verification reports it. */
export interface AuditConflict {
  /** The broker session of the contested event; '' when it belongs to none. */
  session: string;
  auditID: string;
  /** The stage of the contested event (ResponseComplete, or ResponseStarted of a long request). */
  stage: string;
  /** The session the copy claimed, when another one. */
  copySession?: string;
  /** The principal the copy names: who sent it. */
  copyPrincipal?: string;
  /** When the copy arrived, RFC 3339. */
  receivedAt: string;
}

/** A chain verification that also fails on conflicts. */
export interface TrailVerification extends ChainVerification {
  conflicts: AuditConflict[];
}

/** The report's view of a stored conflict. */
export function conflictOf(record: AuditConflictRecord): AuditConflict {
  const copy = (record.event ?? {}) as Partial<AuditEvent>;
  const stage = typeof copy.stage === 'string' ? copy.stage : 'ResponseComplete';
  const suffix = `.${stage}`;
  const auditID = typeof copy.auditID === 'string' ? copy.auditID : record.id.endsWith(suffix) ? record.id.slice(0, -suffix.length) : record.id;
  return {
    session: record.session ?? '',
    auditID,
    stage,
    ...(record.copySession ? { copySession: record.copySession } : {}),
    ...(record.copyPrincipal ? { copyPrincipal: record.copyPrincipal } : {}),
    receivedAt: new Date(record.receivedAt).toISOString(),
  };
}

/** Verifies the chains in `events` and counts every conflict as a failure. */
export function verifyTrail(events: readonly AuditEvent[], conflicts: readonly AuditConflict[]): TrailVerification {
  const chain = verifyChain(events);
  const sorted = [...conflicts].sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0));
  return { ...chain, ok: chain.ok && sorted.length === 0, conflicts: sorted };
}
