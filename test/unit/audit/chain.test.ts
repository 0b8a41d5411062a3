import { chainHash, createAuditChain, verifyChain } from '../../../src/audit/chain.js';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';

function event(i: number): AuditEvent {
  return buildAuditEvent({
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/p${i}`,
    verb: 'get',
    user: { username: 'alice' },
    objectRef: { resource: 'pods', namespace: 'default', name: `p${i}`, apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedAt: Date.UTC(2026, 0, 1) + i,
    stageAt: Date.UTC(2026, 0, 1) + i + 1,
    kgate: { principal: 'idp#alice', principalType: 'human', issuer: 'idp', decision: 'allow' },
  });
}

function session(name: string, n: number): AuditEvent[] {
  const chain = createAuditChain(name);
  return Array.from({ length: n }, (_, i) => chain.seal(event(i + 1)));
}

const kinds = (events: AuditEvent[]) => verifyChain(events).problems.map((p) => `${p.kind}@${p.seq}`);

describe('the audit hash chain', () => {
  test('seals events with session, seq, prev and a hash over prev and the canonical event', () => {
    const [first, second] = session('s1', 2) as [AuditEvent, AuditEvent];
    expect(first.annotations).toMatchObject({ 'kgate.dev/session': 's1', 'kgate.dev/chain-seq': '1', 'kgate.dev/chain-prev': '' });
    expect(second.annotations?.['kgate.dev/chain-prev']).toBe(first.annotations?.['kgate.dev/chain-hash']);
    expect(second.annotations?.['kgate.dev/chain-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(first.annotations!['kgate.dev/chain-hash']!, second)).toBe(second.annotations!['kgate.dev/chain-hash']);
    expect(first.annotations?.['kgate.dev/principal']).toBe('idp#alice');
  });

  test('verifies interleaved sessions in any order, after a JSON round trip with other key order', () => {
    const a = session('a', 5);
    const b = session('b', 3);
    const mixed = [...a, ...b].reverse().map((e) => JSON.parse(canonicalJson(e)) as AuditEvent);
    const service = { ...event(99), annotations: { 'kgate.dev/principal': 'system:expiry' } };
    expect(verifyChain([...mixed, service])).toEqual({
      ok: true,
      sessions: [{ session: 'a', count: 5, firstSeq: 1, lastSeq: 5, ended: false }, { session: 'b', count: 3, firstSeq: 1, lastSeq: 3, ended: false }],
      problems: [],
      unchained: 1,
    });
  });

  test('a deleted event is a gap', () => {
    const events = session('s', 5);
    expect(kinds(events.filter((_, i) => i !== 2))).toEqual(['gap@3']);
    expect(kinds(events.slice(1))).toEqual(['gap@1']);
    expect(verifyChain(events.filter((_, i) => i !== 1 && i !== 2)).problems[0]).toMatchObject({ session: 's', seq: 2, kind: 'gap', detail: 'seqs 2–3 are missing' });
  });

  test('an edited field is detected, and so is an edit whose hash was recomputed', () => {
    const events = session('s', 4);
    const edited = events.map((e, i) => (i === 2 ? { ...e, verb: 'delete' } : e));
    expect(kinds(edited)).toEqual(['edited@3']);
    const annotationEdit = events.map((e, i) => (i === 1 ? { ...e, annotations: { ...e.annotations, 'kgate.dev/decision': 'deny' } } : e));
    expect(kinds(annotationEdit)).toEqual(['edited@2']);
    const rehashed = events.map((e, i) => {
      if (i !== 2) return e;
      const forged = { ...e, responseStatus: { metadata: {}, code: 404 } };
      return { ...forged, annotations: { ...forged.annotations, 'kgate.dev/chain-hash': chainHash(forged.annotations!['kgate.dev/chain-prev']!, forged) } };
    });
    expect(kinds(rehashed)).toEqual(['edited@3']);
  });

  test('a reordered pair (seqs swapped) is reported as reordered, not as a gap', () => {
    const events = session('s', 5);
    const swap = (e: AuditEvent, seq: number) => ({ ...e, annotations: { ...e.annotations, 'kgate.dev/chain-seq': String(seq) } });
    const reordered = [events[0]!, events[1]!, swap(events[3]!, 3), swap(events[2]!, 4), events[4]!];
    const result = verifyChain(reordered);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => `${p.kind}@${p.seq}`)).toEqual(['reordered@3', 'reordered@4']);
    expect(result.problems[0]!.detail).toContain('chained at seq 4');
  });

  test('a duplicate is reported once per extra copy; a different event claiming a taken seq too', () => {
    const events = session('s', 3);
    expect(kinds([...events, events[1]!])).toEqual(['duplicate@2']);
    const other = session('s', 3)[1]!;
    const impostor = { ...other, auditID: 'ffffffff-0000-4000-8000-000000000000' };
    const result = verifyChain([...events, impostor]);
    expect(result.problems.map((p) => p.kind)).toContain('duplicate');
  });

  test('an event whose chain annotations were stripped or mangled is an edit', () => {
    const events = session('s', 2);
    const mangled = { ...events[1]!, annotations: { ...events[1]!.annotations, 'kgate.dev/chain-seq': 'two' } };
    expect(verifyChain([events[0]!, mangled]).problems.map((p) => p.kind)).toEqual(['edited']);
  });

  test('a long session verifies without deep recursion', () => {
    const events = session('long', 5000);
    const withGap = [...events];
    withGap.splice(2500, 1);
    expect(kinds(withGap)).toEqual(['gap@2501']);
    // An edit at the end makes the verifier walk the whole chain back to its start.
    const editedLast = events.map((e, i) => (i === events.length - 1 ? { ...e, verb: 'watch' } : e));
    expect(kinds(editedLast)).toEqual(['edited@5000']);
  });
});
