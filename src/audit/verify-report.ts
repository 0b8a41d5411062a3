/**
 * What `kgate audit verify` prints: one row per broker session, then one row per problem
 * (`SESSION SEQ KIND DETAIL`, ordered as `verifyChain` found them), one row per conflicting copy
 * of an event (`SESSION AUDIT-ID STAGE SENT-BY RECEIVED`), then one verdict line, so a person sees
 * at a glance which session was tampered with and a script can grep the rows.
 */
import { table } from '../policy/render.js';
import type { ChainVerification } from './chain.js';
import type { AuditConflict } from './conflicts.js';

/** A chain verification, with the conflicts the service holds when they were read. */
export type Verification = ChainVerification & { conflicts?: readonly AuditConflict[] };

/** The report's lines, without the verdict. */
export function verifyReport(result: Verification): string[] {
  const conflicts = result.conflicts ?? [];
  const problemsIn = (session: string) => result.problems.filter((p) => p.session === session).length;
  const conflictsIn = (session: string) => conflicts.filter((c) => c.session === session).length;
  const lines = result.sessions.length === 0
    ? ['No chained events.']
    : table(['SESSION', 'EVENTS', 'SEQ', 'STATUS'], result.sessions.map((s) => {
        const found = [problemsIn(s.session) && plural(problemsIn(s.session), 'problem'), conflictsIn(s.session) && plural(conflictsIn(s.session), 'conflict')].filter(Boolean);
        // No end marker: the session is still open, or its last events never arrived.
        const status = found.length > 0 ? found.join(', ') : s.ended ? 'ok, ended' : 'ok, open (no end marker yet)';
        return [s.session, String(s.count), s.firstSeq === s.lastSeq ? String(s.firstSeq) : `${s.firstSeq}-${s.lastSeq}`, status];
      }));
  // An event whose chain annotations are unreadable never joins a session's links: say so too.
  const known = (session: string) => result.sessions.some((s) => s.session === session);
  for (const session of new Set(result.problems.filter((p) => !known(p.session)).map((p) => p.session))) lines.push(`${session}: no readable chain (${plural(problemsIn(session), 'problem')})`);
  for (const session of new Set(conflicts.filter((c) => !known(c.session)).map((c) => c.session))) lines.push(`${session || '(no session)'}: ${plural(conflictsIn(session), 'conflict')}`);
  if (result.unchained > 0) lines.push(`${plural(result.unchained, 'event')} outside any chain (the policy service's own) not checked.`);
  if (result.problems.length > 0) {
    lines.push('', ...table(['SESSION', 'SEQ', 'KIND', 'DETAIL'], result.problems.map((p) => [p.session, String(p.seq), p.kind, p.detail])));
  }
  if (conflicts.length > 0) {
    lines.push('', 'Conflicts: another event arrived under the auditID of one the trail holds (the first is kept):');
    lines.push(...table(['SESSION', 'AUDIT-ID', 'STAGE', 'SENT-BY', 'RECEIVED'], conflicts.map((c) => [c.session || '-', c.auditID, c.stage, c.copyPrincipal ?? '-', c.receivedAt])));
  }
  return lines;
}

/** One line: the verdict. */
export function verifyVerdict(result: Verification): string {
  const conflicts = result.conflicts ?? [];
  const events = result.sessions.reduce((sum, s) => sum + s.count, 0);
  const scope = `${plural(events, 'chained event')} in ${plural(result.sessions.length, 'session')}`;
  if (result.ok && conflicts.length === 0) return `Audit trail intact: ${scope}.`;
  const found: string[] = [];
  if (result.problems.length > 0) found.push(`${plural(result.problems.length, 'problem')} in ${plural(new Set(result.problems.map((p) => p.session)).size, 'session')}`);
  if (conflicts.length > 0) found.push(`${plural(conflicts.length, 'conflict')} in ${plural(new Set(conflicts.map((c) => c.session)).size, 'session')}`);
  return `Audit trail failed verification: ${found.join(', ')} (${scope})`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
