/**
 * A hash chain over one broker session's audit events, so that a deleted, edited, reordered or
 * repeated event shows when the trail is verified (`kgate audit verify`). Each event carries
 * `kgate.dev/session`, `chain-seq` (1, 2, …), `chain-prev` (the previous event's hash, '' for the
 * first) and `chain-hash` = hex SHA-256 of prev + the canonical JSON of the event without its
 * `chain-hash`. The chain is unkeyed: it proves the trail is the one the broker wrote against
 * anyone who cannot rewrite every later event too, and cannot show that events after the last one
 * were dropped.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { KGATE_ANNOTATIONS, type AuditEvent } from './event.js';

const { session: SESSION, chainSeq: SEQ, chainPrev: PREV, chainHash: HASH, chainEnd: END } = KGATE_ANNOTATIONS;

/** Seals one session's events in order. */
export interface AuditChain {
  readonly session: string;
  /** Sequence number of the last sealed event; 0 before the first. */
  readonly seq: number;
  /** Hash of the last sealed event; '' before the first. */
  readonly head: string;
  /** A copy of `event` with the session and chain annotations set; advances the chain. */
  seal(event: AuditEvent): AuditEvent;
}

export type ChainProblemKind = 'gap' | 'edited' | 'reordered' | 'duplicate';

export interface ChainProblem {
  session: string;
  seq: number;
  kind: ChainProblemKind;
  detail: string;
}

export interface ChainSessionSummary {
  session: string;
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** Whether the last event is the session's end marker; false for a live session or a lost tail. */
  ended: boolean;
}

export interface ChainVerification {
  ok: boolean;
  sessions: ChainSessionSummary[];
  problems: ChainProblem[];
  /** Events without a `kgate.dev/session` (e.g. the policy service's own), not part of any chain. */
  unchained: number;
}

/** Starts the chain of a new broker session. */
export function createAuditChain(session: string): AuditChain {
  let seq = 0;
  let head = '';
  return {
    session,
    get seq() {
      return seq;
    },
    get head() {
      return head;
    },
    seal(event) {
      const annotations: Record<string, string> = { ...event.annotations, [SESSION]: session, [SEQ]: String(seq + 1), [PREV]: head };
      delete annotations[HASH];
      const unsealed = { ...event, annotations };
      const hash = chainHash(head, unsealed);
      seq += 1;
      head = hash;
      return { ...unsealed, annotations: { ...annotations, [HASH]: hash } };
    },
  };
}

/** The chain hash of `event` after `prev`: its own `chain-hash` annotation is left out. */
export function chainHash(prev: string, event: AuditEvent): string {
  const annotations = { ...event.annotations };
  delete annotations[HASH];
  return createHash('sha256').update(prev).update(canonicalJson({ ...event, annotations })).digest('hex');
}

interface Link {
  seq: number;
  prev: string;
  hash: string;
  event: AuditEvent;
}

/**
 * Verifies the chains in `events`, which may interleave several sessions and come in any order
 * (the service returns newest first). Problems name the session and sequence number concerned.
 */
export function verifyChain(events: readonly AuditEvent[]): ChainVerification {
  const problems: ChainProblem[] = [];
  const bySession = new Map<string, Link[]>();
  let unchained = 0;
  for (const event of events) {
    const session = event.annotations?.[SESSION];
    if (!session) {
      unchained += 1;
      continue;
    }
    const link = linkOf(event);
    if (!link) {
      problems.push({ session, seq: 0, kind: 'edited', detail: `event ${event.auditID} lacks valid chain annotations` });
      continue;
    }
    const links = bySession.get(session) ?? [];
    links.push(link);
    bySession.set(session, links);
  }
  const sessions: ChainSessionSummary[] = [];
  for (const [session, links] of [...bySession].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    links.sort((a, b) => a.seq - b.seq);
    sessions.push({ session, count: links.length, firstSeq: links[0]!.seq, lastSeq: links.at(-1)!.seq, ended: links.at(-1)!.event.annotations?.[END] === 'true' });
    problems.push(...verifySession(session, links));
  }
  return { ok: problems.length === 0, sessions, problems, unchained };
}

function linkOf(event: AuditEvent): Link | undefined {
  const a = event.annotations ?? {};
  const seq = Number(a[SEQ]);
  if (!Number.isSafeInteger(seq) || seq < 1 || String(seq) !== a[SEQ]) return undefined;
  if (typeof a[PREV] !== 'string' || typeof a[HASH] !== 'string') return undefined;
  return { seq, prev: a[PREV], hash: a[HASH], event };
}

function verifySession(session: string, links: Link[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const problem = (seq: number, kind: ChainProblemKind, detail: string) => problems.push({ session, seq, kind, detail });
  const position = chainPositions(links);
  const reordered = new Set<Link>();
  let previous: Link | undefined;
  for (const link of links) {
    if (previous && link.seq === previous.seq) {
      const same = link.hash === previous.hash;
      problem(link.seq, 'duplicate', same ? `event ${link.event.auditID} appears more than once` : `two different events claim seq ${link.seq}`);
      continue;
    }
    const intact = chainHash(link.prev, link.event) === link.hash;
    if (!intact) {
      const chainedAt = position(link);
      if (chainedAt !== link.seq && chainHash(link.prev, withSeq(link.event, chainedAt)) === link.hash) {
        reordered.add(link);
        problem(link.seq, 'reordered', `event ${link.event.auditID} was chained at seq ${chainedAt} but now claims seq ${link.seq}`);
      } else {
        problem(link.seq, 'edited', `event ${link.event.auditID} no longer matches its chain-hash`);
      }
    }
    const expected = previous ? previous.seq + 1 : 1;
    if (link.seq > expected) {
      problem(expected, 'gap', link.seq - expected === 1 ? `seq ${expected} is missing` : `seqs ${expected}–${link.seq - 1} are missing`);
    } else if (intact && previous && !reordered.has(previous) && link.prev !== previous.hash) {
      problem(previous.seq, 'edited', `seq ${previous.seq} is not the event seq ${link.seq} was chained to`);
    } else if (intact && !previous && link.prev !== '') {
      problem(link.seq, 'edited', 'the first event does not start a chain');
    }
    previous = link;
  }
  return problems;
}

/** Where each event sits by following `chain-prev` links, whatever seq it claims now. */
function chainPositions(links: Link[]): (link: Link) => number {
  const byHash = new Map<string, Link>();
  for (const link of links) if (!byHash.has(link.hash)) byHash.set(link.hash, link);
  const memo = new Map<Link, number>();
  return (start) => {
    // Walk back (iteratively: sessions can be long) to a known position, the chain's start, or a
    // broken or cyclic link, where an event is taken to sit where it claims.
    const path: Link[] = [];
    const seen = new Set<Link>();
    let at: number | undefined;
    for (let link: Link | undefined = start; link; ) {
      const known = memo.get(link);
      if (known !== undefined) {
        at = known;
        break;
      }
      path.push(link);
      seen.add(link);
      if (link.prev === '') break;
      const before = byHash.get(link.prev);
      link = before && !seen.has(before) ? before : undefined;
    }
    for (let i = path.length - 1; i >= 0; i -= 1) {
      const link = path[i]!;
      at = at === undefined ? (link.prev === '' ? 1 : link.seq) : at + 1;
      memo.set(link, at);
    }
    return memo.get(start)!;
  };
}

function withSeq(event: AuditEvent, seq: number): AuditEvent {
  return { ...event, annotations: { ...event.annotations, [SEQ]: String(seq) } };
}
