/**
 * The audit Event of one pipeline record: the canonical URL (never the raw one), RequestInfo as
 * the objectRef, the status the client got, and kgate's facts — principal, grant, rule, decision,
 * approval, masked count, recording — plus the exec session's command, container, tty, duration
 * and exit code, or the port-forward session's ports and bytes each way.
 */
import { buildAuditEvent, KGATE_ANNOTATIONS, objectRefOf, type AuditDecision, type AuditEvent, type AuditStage } from '../../audit/event.js';
import type { Detector } from '../../mask/detectors.js';
import { maskRequestUri, maskWords } from '../../mask/request-uri.js';
import type { PrincipalView } from '../../policy/client.js';
import type { PipelineAuditRecord } from '../pipeline/types.js';

/** Who and where, the same for every event of a broker. */
export interface AuditContext {
  principal: PrincipalView;
  cluster: string;
  grant?: string;
  /** Text detectors run over the request URI and exec command, which people type secrets into. */
  detectors: readonly Detector[];
}

export const EXEC_ANNOTATIONS = {
  command: 'kgate.dev/exec-command',
  container: 'kgate.dev/exec-container',
  tty: 'kgate.dev/exec-tty',
  exitCode: 'kgate.dev/exec-exit-code',
  durationMs: 'kgate.dev/exec-duration-ms',
  outcome: 'kgate.dev/outcome',
} as const;

export const PORT_FORWARD_ANNOTATIONS = {
  ports: 'kgate.dev/portforward-ports',
  bytesIn: 'kgate.dev/portforward-bytes-in',
  bytesOut: 'kgate.dev/portforward-bytes-out',
  /** Always "false": forwarded traffic is opaque and passes unmasked and unrecorded. */
  masked: 'kgate.dev/portforward-masked',
  durationMs: 'kgate.dev/portforward-duration-ms',
} as const;

function decisionOf(record: Omit<PipelineAuditRecord, 'endedAt'>): AuditDecision {
  if (record.decision === 'none') return 'error';
  if (record.decision === 'approve') return record.approvalId && record.outcome !== 'approval-required' ? 'allow' : 'approve';
  return record.decision;
}

function annotations(record: Omit<PipelineAuditRecord, 'endedAt'>, detectors: readonly Detector[], endedAt?: Date): Record<string, string> {
  const out: Record<string, string> = { [EXEC_ANNOTATIONS.outcome]: record.outcome };
  const forward = record.portForward;
  if (forward) {
    out[PORT_FORWARD_ANNOTATIONS.ports] = forward.ports.join(',');
    out[PORT_FORWARD_ANNOTATIONS.bytesIn] = String(forward.bytesIn);
    out[PORT_FORWARD_ANNOTATIONS.bytesOut] = String(forward.bytesOut);
    out[PORT_FORWARD_ANNOTATIONS.masked] = 'false';
    if (endedAt) out[PORT_FORWARD_ANNOTATIONS.durationMs] = String(forward.endedAt.getTime() - forward.startedAt.getTime());
  }
  const exec = record.exec;
  if (!exec) return out;
  out[EXEC_ANNOTATIONS.command] = JSON.stringify(maskWords(exec.command, detectors));
  if (exec.container) out[EXEC_ANNOTATIONS.container] = exec.container;
  out[EXEC_ANNOTATIONS.tty] = String(exec.tty);
  if (exec.exitCode !== null) out[EXEC_ANNOTATIONS.exitCode] = String(exec.exitCode);
  if (endedAt) out[EXEC_ANNOTATIONS.durationMs] = String(exec.endedAt.getTime() - exec.startedAt.getTime());
  return out;
}

/** The Event for `record` at `stage` (ResponseStarted records carry no end). */
export function auditEventOf(record: Omit<PipelineAuditRecord, 'endedAt'> & { endedAt?: Date }, stage: AuditStage, ctx: AuditContext): AuditEvent {
  const { info } = record;
  const failed = record.statusCode >= 400 || record.statusCode === 0;
  return buildAuditEvent({
    auditID: record.auditId,
    stage,
    requestURI: maskRequestUri(record.canonicalUrl ?? '', ctx.detectors),
    verb: info?.verb ?? record.method.toLowerCase(),
    user: { username: ctx.principal.name, ...(ctx.principal.groups.length ? { groups: ctx.principal.groups } : {}) },
    ...(info && objectRefOf(info) ? { objectRef: objectRefOf(info)! } : {}),
    ...(record.statusCode || record.error
      // A stream kgate ended (grant revoked, say) succeeded as an upgrade but still says why it ended.
      ? { responseStatus: { code: record.statusCode, ...(failed ? { status: 'Failure' as const } : {}), ...(record.error ? { message: record.error } : {}) } }
      : {}),
    requestReceivedAt: record.startedAt,
    stageAt: record.endedAt ?? new Date(),
    kgate: {
      principal: ctx.principal.id,
      principalType: ctx.principal.type,
      issuer: ctx.principal.issuer,
      cluster: ctx.cluster,
      decision: decisionOf(record),
      ...(ctx.grant ? { grant: ctx.grant } : {}),
      ...(record.rule ? { policyRule: record.rule } : {}),
      ...(record.approvalId ? { approvalId: record.approvalId } : {}),
      ...(stage === 'ResponseComplete' ? { maskedFields: record.maskedCount } : {}),
      ...(record.recordingId ? { recordingId: record.recordingId } : {}),
    },
    annotations: annotations(record, ctx.detectors, record.endedAt),
  });
}

/**
 * The last event of a chained session: nothing was lost after it. A `session-end` event on the
 * non-resource URI `/`, with why the session ended.
 */
export function endMarker(session: string, ctx: AuditContext, reason: string, at: Date): AuditEvent {
  const event = buildAuditEvent({
    auditID: `${session}.end`,
    stage: 'ResponseComplete',
    requestURI: '/',
    verb: 'session-end',
    user: { username: ctx.principal.name, ...(ctx.principal.groups.length ? { groups: ctx.principal.groups } : {}) },
    requestReceivedAt: at,
    stageAt: at,
    kgate: {
      principal: ctx.principal.id,
      principalType: ctx.principal.type,
      issuer: ctx.principal.issuer,
      cluster: ctx.cluster,
      decision: 'allow',
      ...(ctx.grant ? { grant: ctx.grant } : {}),
    },
    annotations: { [KGATE_ANNOTATIONS.chainEnd]: 'true', 'kgate.dev/session-end-reason': reason },
  });
  return event;
}
