import { createAuditChain, verifyChain } from '../../../src/audit/chain.js';
import type { AuditEvent } from '../../../src/audit/event.js';
import { verifyReport, verifyVerdict } from '../../../src/audit/verify-report.js';
import { auditEvent } from './fixtures.js';

function session(name: string, n: number, first = 1): AuditEvent[] {
  const chain = createAuditChain(name);
  return Array.from({ length: n }, (_, i) => chain.seal(auditEvent(first + i)));
}

describe('the verify report', () => {
  test('an intact trail: one row per session, the unchained events counted, an ok verdict', () => {
    const result = verifyChain([...session('sess-a', 3), ...session('sess-b', 1), auditEvent(90)].reverse());
    expect(verifyReport(result)).toEqual([
      'SESSION  EVENTS  SEQ  STATUS',
      'sess-a   3       1-3  ok, open (no end marker yet)',
      'sess-b   1       1    ok, open (no end marker yet)',
      "1 event outside any chain (the policy service's own) not checked.",
    ]);
    expect(verifyVerdict(result)).toBe('Audit trail intact: 4 chained events in 2 sessions.');
  });

  test('a deleted and an edited event: the session row counts them and each problem has a row', () => {
    const events = session('sess-a', 5);
    const edited = events[3]!;
    events[3] = { ...edited, verb: 'delete' };
    events.splice(1, 1);
    const result = verifyChain([...events, ...session('sess-b', 2)]);
    expect(verifyReport(result)).toEqual([
      'SESSION  EVENTS  SEQ  STATUS',
      'sess-a   4       1-5  2 problems',
      'sess-b   2       1-2  ok, open (no end marker yet)',
      '',
      'SESSION  SEQ  KIND    DETAIL',
      'sess-a   2    gap     seq 2 is missing',
      `sess-a   4    edited  event ${edited.auditID} no longer matches its chain-hash`,
    ]);
    expect(verifyVerdict(result)).toBe('Audit trail failed verification: 2 problems in 1 session (6 chained events in 2 sessions)');
  });

  test('an event whose chain annotations were stripped is reported even when its session has no other event', () => {
    const [only] = session('sess-x', 1);
    const broken = { ...only!, annotations: { ...only!.annotations, 'kgate.dev/chain-seq': 'one' } };
    const result = verifyChain([broken]);
    expect(verifyReport(result)).toEqual([
      'No chained events.',
      'sess-x: no readable chain (1 problem)',
      '',
      'SESSION  SEQ  KIND    DETAIL',
      `sess-x   0    edited  event ${only!.auditID} lacks valid chain annotations`,
    ]);
    expect(verifyVerdict(result)).toBe('Audit trail failed verification: 1 problem in 1 session (0 chained events in 0 sessions)');
  });
});
