import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';

/** A small, valid audit event numbered `i` (its auditID ends in `i`). */
export function auditEvent(i: number): AuditEvent {
  return buildAuditEvent({
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete', requestURI: `/api/v1/pods?i=${i}`, verb: 'list', user: { username: 'u' },
    requestReceivedAt: Date.UTC(2026, 0, 1) + i, stageAt: Date.UTC(2026, 0, 1) + i,
    kgate: { principal: 'idp#u', principalType: 'workload', issuer: 'idp', decision: 'allow' },
  });
}
