/**
 * Which exec session a client-uploaded recording belongs to. A broker stores a session's
 * recording under the session's auditID, after its ResponseStarted event has shipped; so the
 * service takes a recording only when it already holds an exec or attach event with that
 * auditID from the same principal on the grant's cluster. Made-up ids, ids of other requests and
 * other principals' sessions are refused, and each session has at most one recording (the store
 * refuses different content under an id it holds).
 */
import type { PolicyStore } from '../store/types.js';
import type { Grant, Principal } from '../types.js';
import { principalId } from '../types.js';
import { ApiError } from './errors.js';

const SESSION_RESOURCES = new Set(['pods/exec', 'pods/attach']);

/**
 * Resolves when `recordingId` is the auditID of an exec or attach session of `who` on
 * `grant.cluster` whose event is stored; else a 409 (the event may still be on its way).
 */
export async function checkExecSession(store: PolicyStore, recordingId: string, who: Principal, grant: Grant): Promise<void> {
  const caller = principalId(who);
  // Either stage will do: ResponseStarted ships while the session runs, ResponseComplete after.
  const events = await store.auditEventsByIds([recordingId, `${recordingId}.ResponseStarted`]);
  const session = events.find((e) => e.principal === caller && e.cluster === grant.cluster && SESSION_RESOURCES.has(e.resource ?? ''));
  if (session) return;
  throw new ApiError(409, 'unknown_exec_session',
    `Recording ${recordingId} names no exec or attach session of yours on ${grant.cluster}: a recording is stored under its session's auditID, once that session's audit event has been shipped`);
}
