/**
 * Audit events the service itself writes (grant requests, activations, votes, revocations,
 * expiries, break-glass), shaped as `audit.k8s.io/v1` Events with kgate facts in annotations, so
 * they sit next to the brokers' request events in the same store and the same searches.
 */
import { randomUUID } from 'node:crypto';
import type { PolicyStore } from '../store/types.js';
import type { Principal } from '../types.js';
import { principalId } from '../types.js';
import type { ServiceLogger } from './logger.js';

/** The annotation keys kgate puts on audit events (the broker uses the same). */
export const AUDIT_ANNOTATIONS = {
  principal: 'kgate.dev/principal',
  principalType: 'kgate.dev/principal-type',
  issuer: 'kgate.dev/issuer',
  grant: 'kgate.dev/grant',
  cluster: 'kgate.dev/cluster',
  decision: 'kgate.dev/decision',
  rule: 'kgate.dev/policy-rule',
  approval: 'kgate.dev/approval',
  reason: 'kgate.dev/reason',
  breakGlass: 'kgate.dev/break-glass',
} as const;

export interface ServiceAuditEntry {
  /** What happened to the grant or approval: `create`, `activate`, `revoke`, `expire`, `approve`, `deny`… */
  verb: string;
  resource: 'grants' | 'approvals';
  name: string;
  actor: Principal | { system: string };
  cluster: string;
  grant?: string;
  approval?: string;
  decision: string;
  reason?: string;
  breakGlass?: boolean;
}

export class ServiceAudit {
  constructor(private readonly store: PolicyStore, private readonly log: ServiceLogger, private readonly now: () => number) {}

  /** Stores one event; a failure is logged and does not undo the action it describes. */
  async record(entry: ServiceAuditEntry): Promise<void> {
    const time = new Date(this.now()).toISOString();
    const actor = 'system' in entry.actor ? undefined : entry.actor;
    const principal = actor ? principalId(actor) : `system:${(entry.actor as { system: string }).system}`;
    const annotations: Record<string, string> = {
      [AUDIT_ANNOTATIONS.principal]: principal,
      [AUDIT_ANNOTATIONS.cluster]: entry.cluster,
      [AUDIT_ANNOTATIONS.decision]: entry.decision,
      ...(actor ? { [AUDIT_ANNOTATIONS.principalType]: actor.type, [AUDIT_ANNOTATIONS.issuer]: actor.issuer } : {}),
      ...(entry.grant ? { [AUDIT_ANNOTATIONS.grant]: entry.grant } : {}),
      ...(entry.approval ? { [AUDIT_ANNOTATIONS.approval]: entry.approval } : {}),
      ...(entry.reason ? { [AUDIT_ANNOTATIONS.reason]: entry.reason } : {}),
      ...(entry.breakGlass ? { [AUDIT_ANNOTATIONS.breakGlass]: 'true' } : {}),
    };
    const id = randomUUID();
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: id,
      stage: 'ResponseComplete',
      requestURI: `/v1/${entry.resource}/${entry.name}`,
      verb: entry.verb,
      user: { username: actor ? actor.name : principal, groups: actor?.groups ?? [] },
      objectRef: { resource: entry.resource, name: entry.name, apiGroup: 'kgate.dev' },
      requestReceivedTimestamp: time,
      stageTimestamp: time,
      annotations,
    };
    try {
      await this.store.ingestAuditEvents([{
        id, time, principal, grant: entry.grant, cluster: entry.cluster, verb: entry.verb, resource: entry.resource, decision: entry.decision, event,
      }]);
    } catch (error) {
      this.log.error({ auditId: id, verb: entry.verb, name: entry.name, err: (error as Error).message }, 'could not store an audit event');
    }
  }
}
