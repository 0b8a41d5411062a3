/** Builders for store tests: plausible grants, approvals and principals with overridable fields. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Approval, ApprovalVote, Grant, Principal } from '../../../../src/policy/types.js';

export const T0 = Date.UTC(2025, 0, 1);

export function person(name: string, groups: string[] = []): Principal {
  return { issuer: 'https://idp.test', subject: `sub-${name}`, name, type: 'human', groups, claims: { sub: `sub-${name}`, preferred_username: name } };
}

export function grant(id: string, overrides: Partial<Grant> = {}): Grant {
  return {
    id,
    state: 'active',
    principal: person('alice', ['sre']),
    cluster: 'sim',
    template: 'read-only',
    clusterRole: 'view',
    namespaces: ['*'],
    ttlMs: 3_600_000,
    breakGlass: false,
    createdAt: T0,
    activatedAt: T0,
    expiresAt: T0 + 3_600_000,
    revision: 0,
    ...overrides,
  };
}

export function approval(id: string, overrides: Partial<Approval> = {}): Approval {
  return {
    id,
    kind: 'request',
    state: 'pending',
    requester: person('bob', ['dev']),
    cluster: 'sim',
    rule: { groups: ['sre-leads'], count: 2, expiresAfterMs: 600_000 },
    request: { verb: 'create', path: '/api/v1/namespaces/prod/pods/web/exec', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web', command: ['sh'], digest: `sha256:${'0'.repeat(64)}`, ruleName: 'prod-exec', message: 'exec in prod needs approval' },
    votes: [],
    createdAt: T0,
    expiresAt: T0 + 600_000,
    revision: 0,
    ...overrides,
  };
}

export function vote(approver: Principal, decision: ApprovalVote['decision'] = 'approve', at = T0 + 1000): ApprovalVote {
  return { approver, decision, at, reason: `${decision} by ${approver.name}` };
}

/** A fresh directory for file databases; `dispose` removes it. */
export function tempDir(): { dir: string; file: (name?: string) => string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kgate-store-'));
  return { dir, file: (name = 'policy.db') => join(dir, name), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
