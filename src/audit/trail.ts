/**
 * Reading the audit trail back from the policy service: every page of a search (for `kgate audit
 * verify`), and following it for new events (for `kgate audit tail --follow`).
 *
 * Following polls a window that reaches `LATE_MS` behind the newest event seen, because brokers
 * spool and ship in batches: an event can reach the service after newer ones from another
 * broker. Events are told apart by auditID, so each is handed on once however many polls see it.
 */
import type { AuditConflictFilter, AuditConflictPage, AuditFilter, AuditPage } from '../policy/client.js';
import type { AuditConflictRecord } from '../policy/store/types.js';
import type { AuditEvent } from './event.js';

/** `PolicyClient.searchAudit`, or anything answering like it. */
export type AuditSearch = (filter: AuditFilter) => Promise<AuditPage>;

/** How far behind the newest event seen a follower still looks for late arrivals. */
export const LATE_MS = 5 * 60_000;

/** Every event matching `filter`, following the cursor; newest first, as the service returns them. */
export async function readTrail(search: AuditSearch, filter: Omit<AuditFilter, 'cursor' | 'limit'>): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await search({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
    events.push(...(page.items as AuditEvent[]));
    cursor = page.next;
  } while (cursor);
  return events;
}

/** `PolicyClient.searchAuditConflicts`, or anything answering like it. */
export type AuditConflictSearch = (filter: AuditConflictFilter) => Promise<AuditConflictPage>;

/** Every conflict matching `filter`, following the cursor. */
export async function readConflicts(search: AuditConflictSearch, filter: Omit<AuditConflictFilter, 'cursor' | 'limit'>): Promise<AuditConflictRecord[]> {
  const conflicts: AuditConflictRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await search({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
    conflicts.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return conflicts;
}

/** The time an event is ordered by in the store, in epoch ms. */
export function eventTime(event: AuditEvent): number {
  return Date.parse(event.stageTimestamp || event.requestReceivedTimestamp);
}

export interface TrailFollowerOptions {
  search: AuditSearch;
  /** Exact-match filters (no time range or cursor: the follower sets those). */
  filter: Omit<AuditFilter, 'from' | 'to' | 'cursor' | 'limit'>;
  /** Wall clock in epoch ms, for where to start when nothing was seen yet. */
  now: () => number;
}

/** Hands on each new event once. */
export interface TrailFollower {
  /**
   * Marks every event already in the window as seen, so the first poll hands on only what arrives
   * later. Call it before reading the events shown first, which `seen` then marks too.
   */
  prime(): Promise<void>;
  /** Marks events as already shown. */
  seen(events: readonly AuditEvent[]): void;
  /** Events not seen before, oldest first. */
  poll(): Promise<AuditEvent[]>;
}

export function createTrailFollower(options: TrailFollowerOptions): TrailFollower {
  const seen = new Map<string, number>();
  let newest = options.now();
  const remember = (events: readonly AuditEvent[]) => {
    for (const event of events) {
      const time = eventTime(event);
      seen.set(event.auditID, time);
      if (time > newest) newest = time;
    }
    // Only events inside the window can come back; forget the rest so a long tail stays small.
    for (const [id, time] of seen) if (time < newest - LATE_MS) seen.delete(id);
  };
  const window = () => readTrail(options.search, { ...options.filter, from: new Date(newest - LATE_MS).toISOString() });
  return {
    async prime() {
      remember(await window());
    },
    seen: remember,
    async poll() {
      const fresh = (await window()).filter((e) => !seen.has(e.auditID));
      fresh.reverse();
      remember(fresh);
      return fresh;
    },
  };
}
