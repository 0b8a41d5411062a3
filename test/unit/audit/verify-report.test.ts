import { createAuditChain, verifyChain } from '../../../src/audit/chain.js';
import { conflictOf, verifyTrail } from '../../../src/audit/conflicts.js';
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

  test('conflicts fail verification: counted on their session\'s row, one row each naming the auditID and who sent the copy', () => {
    const a = session('sess-a', 3);
    const b = session('sess-b', 2);
    const copy = (event: AuditEvent, from: string, at: number) => conflictOf({
      id: event.auditID, time: event.stageTimestamp, session: event.annotations!['kgate.dev/session'], principal: 'idp#u', copyPrincipal: from,
      receivedAt: Date.UTC(2026, 0, 2, 0, 0, at), event: { ...event, verb: 'delete' },
    });
    const result = verifyTrail([...a, ...b], [copy(a[1]!, 'idp#mallory', 2), copy(a[0]!, 'idp#mallory', 1), copy(b[0]!, 'idp#u', 3)]);
    expect(result.ok).toBe(false);
    expect(verifyReport(result)).toEqual([
      'SESSION  EVENTS  SEQ  STATUS',
      'sess-a   3       1-3  2 conflicts',
      'sess-b   2       1-2  1 conflict',
      '',
      'Conflicts: another event arrived under the auditID of one the trail holds (the first is kept):',
      'SESSION  AUDIT-ID                              STAGE             SENT-BY      RECEIVED',
      `sess-a   ${a[0]!.auditID}  ResponseComplete  idp#mallory  2026-01-02T00:00:01.000Z`,
      `sess-a   ${a[1]!.auditID}  ResponseComplete  idp#mallory  2026-01-02T00:00:02.000Z`,
      `sess-b   ${b[0]!.auditID}  ResponseComplete  idp#u        2026-01-02T00:00:03.000Z`,
    ]);
    expect(verifyVerdict(result)).toBe('Audit trail failed verification: 3 conflicts in 2 sessions (5 chained events in 2 sessions)');
  });

  test('a conflict on a ResponseStarted event names its auditID and stage; one outside the sessions read still shows', () => {
    const [first] = session('sess-a', 1);
    const started = conflictOf({ id: 'w-1.ResponseStarted', time: first!.stageTimestamp, session: 'sess-z', receivedAt: 0, event: { auditID: 'w-1', stage: 'ResponseStarted' } });
    expect(started).toEqual({ session: 'sess-z', auditID: 'w-1', stage: 'ResponseStarted', receivedAt: '1970-01-01T00:00:00.000Z' });
    const result = verifyTrail([first!], [started]);
    expect(verifyReport(result).slice(0, 3)).toEqual([
      'SESSION  EVENTS  SEQ  STATUS',
      'sess-a   1       1    ok, open (no end marker yet)',
      'sess-z: 1 conflict',
    ]);
    expect(verifyVerdict({ ...verifyChain([first!]), conflicts: [] })).toBe('Audit trail intact: 1 chained event in 1 session.');
  });
});
