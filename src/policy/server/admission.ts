/**
 * Admission of writes against the service's limits (limits.ts): pending requests per principal,
 * active gateway credentials per grant, and audit and recording bytes per principal per window.
 * Each count-then-create runs one at a time per principal or grant, so concurrent requests
 * cannot all see room for one more. Counts are read from the store; byte budgets are kept in this
 * process's memory (one service instance).
 */
import type { IncomingMessage } from 'node:http';
import type { PolicyStore } from '../store/types.js';
import type { Grant, Principal } from '../types.js';
import { principalId } from '../types.js';
import { ByteBudget } from './byte-budget.js';
import { tooManyRequests, type ServiceLimits } from './limits.js';
import { readBudgeted, type BudgetedBody } from './upload-body.js';

export class Admission {
  readonly auditBytes: ByteBudget;
  readonly recordingBytes: ByteBudget;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly limits: ServiceLimits, private readonly store: PolicyStore, private readonly now: () => number) {
    this.auditBytes = new ByteBudget(limits.auditBytesPerWindow, limits.windowMs, now);
    this.recordingBytes = new ByteBudget(limits.recordingBytesPerWindow, limits.windowMs, now);
  }

  /**
   * Runs `open` (which makes a request wait on approvers) when `who` has fewer than
   * `maxPendingRequests` waiting already; else a 429. Grant requests and held API requests count
   * alike: `who`'s pending grants, and the request approvals `who` opened that are still pending.
   */
  pendingRequest<T>(who: Principal, open: () => Promise<T>): Promise<T> {
    const id = principalId(who);
    return this.serial(`pending:${id}`, async () => {
      const now = this.now();
      const max = this.limits.maxPendingRequests;
      const grants = await this.store.listGrants({ principal: id, state: ['pending'], limit: max });
      const requests = (await this.store.listApprovals({ kind: 'request', state: 'pending' })).filter((a) => principalId(a.requester) === id && a.expiresAt > now);
      const pending = grants.items.length + requests.length;
      if (pending >= max) {
        throw tooManyRequests(`You already have ${pending} requests waiting for approval, the most one principal may have (${max}); wait for approvers to decide, or revoke a pending grant (kgate grants revoke ID)`, 'too_many_pending');
      }
      return open();
    });
  }

  /**
   * Runs `issue` when `grant` has fewer than `maxGatewayCredentialsPerGrant` credentials neither
   * revoked nor expired; else a 429 whose Retry-After is when the first of them expires.
   */
  gatewayCredential<T>(grant: Grant, issue: () => Promise<T>): Promise<T> {
    return this.serial(`gateway:${grant.id}`, async () => {
      const now = this.now();
      const active = await this.store.activeGatewayCredentials(grant.id, now);
      const max = this.limits.maxGatewayCredentialsPerGrant;
      if (active.length >= max) {
        throw tooManyRequests(`Grant ${grant.id} already has ${active.length} active gateway credentials, the most one grant may have (${max}); revoke unused ones (kgate logout revokes cached ones) or wait for one to expire`, 'too_many_gateway_credentials', active[0]!.expiresAt - now);
      }
      return issue();
    });
  }

  /** The body of an audit batch, charged to `who`'s audit budget. */
  readAudit(req: IncomingMessage, who: Principal, maxBytes: number): Promise<BudgetedBody> {
    return readBudgeted(req, { maxBytes, budget: this.auditBytes, key: principalId(who), what: 'audit events', window: this.windowText() });
  }

  /** The body of a recording, at most `maxRecordingBytes`, charged to `who`'s recording budget. */
  readRecording(req: IncomingMessage, who: Principal): Promise<BudgetedBody> {
    return readBudgeted(req, { maxBytes: this.limits.maxRecordingBytes, budget: this.recordingBytes, key: principalId(who), what: 'recordings', window: this.windowText() });
  }

  private windowText(): string {
    const ms = this.limits.windowMs;
    if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} hours`;
    if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
    return `${Math.round(ms / 1000)} seconds`;
  }

  /** Runs `fn` after every earlier call with the same key has settled. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }
}
