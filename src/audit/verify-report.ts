/**
 * What `kgate audit verify` prints: one row per broker session, then one row per problem
 * (`SESSION SEQ KIND DETAIL`, ordered as `verifyChain` found them), then one verdict line, so a
 * person sees at a glance which session was tampered with and a script can grep the rows.
 */
import { table } from '../policy/render.js';
import type { ChainVerification } from './chain.js';

/** The report's lines, without the verdict. */
export function verifyReport(result: ChainVerification): string[] {
  const problemsIn = (session: string) => result.problems.filter((p) => p.session === session).length;
  const lines = result.sessions.length === 0
    ? ['No chained events.']
    : table(['SESSION', 'EVENTS', 'SEQ', 'STATUS'], result.sessions.map((s) => {
        const problems = problemsIn(s.session);
        // No end marker: the session is still open, or its last events never arrived.
        const status = problems > 0 ? plural(problems, 'problem') : s.ended ? 'ok, ended' : 'ok, open (no end marker yet)';
        return [s.session, String(s.count), s.firstSeq === s.lastSeq ? String(s.firstSeq) : `${s.firstSeq}-${s.lastSeq}`, status];
      }));
  // An event whose chain annotations are unreadable never joins a session's links: say so too.
  const orphans = result.problems.filter((p) => !result.sessions.some((s) => s.session === p.session));
  for (const session of new Set(orphans.map((p) => p.session))) lines.push(`${session}: no readable chain (${plural(problemsIn(session), 'problem')})`);
  if (result.unchained > 0) lines.push(`${plural(result.unchained, 'event')} outside any chain (the policy service's own) not checked.`);
  if (result.problems.length > 0) {
    lines.push('', ...table(['SESSION', 'SEQ', 'KIND', 'DETAIL'], result.problems.map((p) => [p.session, String(p.seq), p.kind, p.detail])));
  }
  return lines;
}

/** One line: the verdict. */
export function verifyVerdict(result: ChainVerification): string {
  const events = result.sessions.reduce((sum, s) => sum + s.count, 0);
  const scope = `${plural(events, 'chained event')} in ${plural(result.sessions.length, 'session')}`;
  if (result.ok) return `Audit trail intact: ${scope}.`;
  const broken = new Set(result.problems.map((p) => p.session)).size;
  return `Audit trail failed verification: ${plural(result.problems.length, 'problem')} in ${plural(broken, 'session')} (${scope})`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
