/**
 * Audit events as the store keeps them: the searchable facts of an `audit.k8s.io/v1` Event with
 * kgate annotations pulled into columns. Used by audit ingest and by the gateway, which writes
 * its events straight into the store.
 */
import type { AuditEventRecord } from '../store/types.js';
import { badRequest } from './errors.js';
import { AUDIT_ANNOTATIONS } from './service-audit.js';

const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Pulls the searchable facts out of an `audit.k8s.io/v1` Event with kgate annotations. */
export function auditRecordOf(event: Record<string, unknown>, index: number): AuditEventRecord {
  const auditId = text(event.auditID);
  if (!auditId) throw badRequest(`events[${index}].auditID is required (a unique id per event)`, 'invalid_field');
  // A long-running request has a ResponseStarted and a ResponseComplete event with one auditID,
  // as in the apiserver's own log; each stage is its own record (ingest is idempotent per stage).
  const stage = text(event.stage);
  const id = !stage || stage === 'ResponseComplete' ? auditId : `${auditId}.${stage}`;
  const time = text(event.stageTimestamp) ?? text(event.requestReceivedTimestamp);
  if (!time) throw badRequest(`events[${index}] needs stageTimestamp or requestReceivedTimestamp`, 'invalid_field');
  const annotations = (event.annotations ?? {}) as Record<string, unknown>;
  const objectRef = (event.objectRef ?? {}) as Record<string, unknown>;
  const resource = text(objectRef.resource);
  const subresource = text(objectRef.subresource);
  return {
    id,
    time,
    principal: text(annotations[AUDIT_ANNOTATIONS.principal]),
    grant: text(annotations[AUDIT_ANNOTATIONS.grant]),
    cluster: text(annotations[AUDIT_ANNOTATIONS.cluster]),
    verb: text(event.verb),
    resource: resource && subresource ? `${resource}/${subresource}` : resource,
    namespace: text(objectRef.namespace),
    decision: text(annotations[AUDIT_ANNOTATIONS.decision]),
    event,
  };
}

