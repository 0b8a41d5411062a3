/**
 * The engine behind `findSecretSpans`: finds every detector's matches in one text in time linear
 * in the text, with few passes over it.
 *
 * Trying each detector's pattern at every position costs one regex pass per detector, and most
 * positions of most texts can start no secret. Built-in detectors name an anchor instead: a short
 * pattern that matches wherever one of their matches can begin (`e[wy]` after a boundary for a
 * JWT, `AKIA`… for an AWS key id, the key and `=` of an assignment). The anchors of all detectors
 * are joined into one regex per case mode, so a text takes one pass for all of them; only at an
 * anchor is the detector's own pattern tried, sticky, at that very position. Each try is bounded
 * by the detector's longest match, and a detector never tries an anchor inside its previous
 * match, so the scan gives exactly the matches a global scan of each pattern gives.
 *
 * Assignment anchors end in `:` or `=`, which dense text (base64, binary, prose) seldom holds
 * while it is full of the letters their keys start with. When a text has few of those characters
 * the scan looks for them first and for anchors only within reach before each.
 *
 * Detectors without an anchor (policy `/regex/` entries) and hand scanners (PEM) run over the
 * whole text as before, behind their trigger.
 */
import type { Detector, PrefixedMatch, SecretSpan } from './detectors.js';
import { isMarked, MARKER_PREFIX } from './marker.js';

/** Finds secret spans in texts, for one fixed list of detectors. */
export interface SecretScanner {
  /** Every secret region in `text`, sorted and merged (see findSecretSpans). */
  spans(text: string): SecretSpan[];
}

/** One anchored detector, ready to be tried at a position. */
interface Anchored {
  detector: Detector;
  /** The detector's place in the list: spans are ordered by it where they tie. */
  index: number;
  /** The detector's pattern, sticky. */
  sticky: RegExp;
  /** The detector's pattern, global: for texts dense with anchors that match nothing. */
  global: RegExp;
  /** The anchor alone, sticky: whether a later member's anchor is at a position an earlier one's was found at. */
  anchor: RegExp;
}

/** Detectors whose anchors share one regex (same case mode). */
interface AnchorGroup {
  members: Anchored[];
  /** Every member's anchor, as one global regex, each in a capture group of its own. */
  any: RegExp;
  /** The index of each member's capture group in `any`'s matches. */
  groupOf: number[];
  /** When every member's anchor ends in one of a few characters: those, and the longest anchor. */
  ends?: { chars: RegExp; reach: number };
}

/**
 * Above this many end characters per KiB (plus a few), looking for them first costs more than
 * scanning for anchors: assignment-heavy text (JSON, logs full of `:`) goes the direct way.
 */
const ENDS_PER_KIB = 1;
const ENDS_MINIMUM = 16;
/**
 * Anchors per KiB (plus a few) a group tries before it hands over to its patterns' own scans:
 * past that the text is dense with anchors (near misses, or secret after secret), and a global
 * pattern finds each next match in one call where an anchor costs two.
 */
const ANCHORS_PER_KIB = 8;
const ANCHORS_MINIMUM = 32;

function stickyCopy(regex: RegExp): RegExp {
  return new RegExp(regex.source, `${regex.flags.replace(/[gy]/g, '')}y`);
}

function globalCopy(regex: RegExp): RegExp {
  return new RegExp(regex.source, `${regex.flags.replace(/[gy]/g, '')}g`);
}

/** How many capture groups `regex` has. */
function captureGroups(regex: RegExp): number {
  return new RegExp(`(?:${regex.source})|`, regex.flags.replace(/[gy]/g, '')).exec('')!.length - 1;
}

function anchorGroup(members: Anchored[], ignoreCase: boolean): AnchorGroup {
  const any = new RegExp(members.map((m) => `(${m.anchor.source})`).join('|'), ignoreCase ? 'gi' : 'g');
  const groupOf: number[] = [];
  let next = 1;
  for (const member of members) {
    groupOf.push(next);
    next += 1 + captureGroups(member.anchor);
  }
  const group: AnchorGroup = { members, any, groupOf };
  const ends = members.map((m) => m.detector.anchor?.endsWith);
  if (ends.every((e) => e !== undefined)) {
    const chars = [...new Set(ends.flatMap((e) => [...e!.chars]))].join('');
    group.ends = { chars: new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]`, 'g'), reach: Math.max(...ends.map((e) => e!.reach)) };
  }
  return group;
}

/**
 * A detector's findings as `[start, end, start, end, …]`, by increasing start: numbers, not span
 * objects, since a text dense with secrets makes millions and most merge away.
 */
type Found = number[];

/** Adds the span one match masks, unless the match is no secret (already masked, invalid). */
function collectMatch(detector: Detector, m: RegExpExecArray, into: Found): void {
  let secret = m[0];
  let start = m.index;
  if (detector.keepsPrefix) {
    let value: string | undefined;
    for (let g = 2; g < m.length && value === undefined; g++) value = m[g];
    if (value === undefined) return;
    start = m.index + m[0].indexOf(value, m[1]?.length ?? 0);
    secret = value;
  }
  if (secret.length === 0 || isMarked(secret)) return;
  if (detector.validate && !detector.validate(secret)) return;
  into.push(start, start + secret.length);
}

/** One reusable record for `Detector.matchAt`: scans run one at a time. */
const prefixed: PrefixedMatch = { prefixEnd: 0, secretStart: 0, secretEnd: 0, end: 0, reentrant: false };

/**
 * Tries `detector.matchAt` at `at`: adds the secret it finds and returns where the detector's scan
 * goes on (as {@link scanOnFrom}), or -1 where there is no match.
 */
function tryMatchAt(detector: Detector, text: string, at: number, into: Found): number {
  return detector.matchAt!(text, at, prefixed) ? collectPrefixed(detector, text, into) : -1;
}

/** Adds the secret of the match in `prefixed`; returns where the detector's scan goes on. */
function collectPrefixed(detector: Detector, text: string, into: Found): number {
  const { prefixEnd, secretStart, secretEnd, end, reentrant } = prefixed;
  if (secretEnd > secretStart && !(text.startsWith(MARKER_PREFIX, secretStart) && isMarked(text.slice(secretStart, secretEnd))) && (!detector.validate || detector.validate(text.slice(secretStart, secretEnd)))) into.push(secretStart, secretEnd);
  if (reentrant) return prefixEnd;
  return Math.max(prefixEnd, end - (detector.anchor?.endsWith?.reach ?? 0));
}

/**
 * Where a detector's scan goes on after match `m`. A secret with a kept prefix can end where the
 * next assignment's key began (`token=password= x`, `a="x b="y"`), so its detector goes on right
 * after the prefix when the secret was quoted (one of its `reentrantGroups`), and otherwise at the
 * last anchor's reach of the match, where such a key can start; overlapping finds merge. Other
 * detectors go on after the match.
 */
export function scanOnFrom(detector: Detector, m: RegExpExecArray): number {
  const end = m.index + Math.max(1, m[0].length);
  if (!detector.keepsPrefix) return end;
  const prefixEnd = m.index + Math.max(1, m[1]?.length ?? 0);
  if (detector.reentrantGroups?.some((g) => m[g] !== undefined)) return prefixEnd;
  return Math.max(prefixEnd, end - (detector.anchor?.endsWith?.reach ?? 0));
}

/** Adds every span a detector without an anchor finds: its trigger, then its hand scanner or its pattern over the whole text. */
function collectWhole(text: string, detector: Detector, into: Found): void {
  if (detector.trigger && !detector.trigger.test(text)) return;
  if (detector.scan) {
    for (const { start, end } of detector.scan(text)) {
      const secret = text.slice(start, end);
      if (isMarked(secret) || (detector.validate && !detector.validate(secret))) continue;
      into.push(start, end);
    }
    return;
  }
  const pattern = detector.pattern;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    pattern.lastIndex = scanOnFrom(detector, m);
    collectMatch(detector, m, into);
  }
}

/** The member whose anchor a hit of the group's regex is: the first whose capture group is defined. */
function firstMember(group: AnchorGroup, m: RegExpExecArray): number {
  let k = 0;
  while (m[group.groupOf[k]!] === undefined) k++;
  return k;
}

class AnchoredScan {
  /** Per member: where its last match ended; anchors before that are inside it. */
  private readonly matchedTo: number[];
  /** Anchors left to try before the scan hands over to the members' own patterns. */
  private budget: number;

  constructor(
    private readonly group: AnchorGroup,
    private readonly text: string,
    private readonly found: Found[],
  ) {
    this.matchedTo = group.members.map(() => 0);
    this.budget = ANCHORS_MINIMUM + ((text.length * ANCHORS_PER_KIB) >> 10);
  }

  /**
   * Tries the members whose anchor is at `at`: `first`, whose group the anchor regex matched
   * (the members before it did not match there), and each later one whose anchor is there too.
   * Once the budget is spent, the members' global patterns scan the rest of the text from `at`
   * instead, and the result is false.
   */
  private tryAt(at: number, first: number): boolean {
    if (--this.budget < 0) {
      this.finishGlobally(at);
      return false;
    }
    const { members } = this.group;
    const text = this.text;
    for (let k = first; k < members.length; k++) {
      if (at < this.matchedTo[k]!) continue;
      const member = members[k]!;
      if (k !== first) {
        member.anchor.lastIndex = at;
        if (!member.anchor.test(text)) continue;
      }
      if (member.detector.matchAt) {
        const on = tryMatchAt(member.detector, text, at, this.found[member.index]!);
        if (on >= 0) this.matchedTo[k] = on;
        continue;
      }
      member.sticky.lastIndex = at;
      const m = member.sticky.exec(text);
      if (m === null) continue;
      this.matchedTo[k] = scanOnFrom(member.detector, m);
      collectMatch(member.detector, m, this.found[member.index]!);
    }
    return true;
  }

  /**
   * From `at` on, each member's own pattern scans the rest inside the regex engine. Every match
   * starts at an anchor and the anchors before `at` are done, so this finds what the anchors would.
   */
  private finishGlobally(at: number): void {
    const text = this.text;
    const { members } = this.group;
    for (let k = 0; k < members.length; k++) {
      const { global: pattern, detector, index } = members[k]!;
      if (detector.matchNext) {
        for (let from = Math.max(at, this.matchedTo[k]!); detector.matchNext(text, from, prefixed); ) from = collectPrefixed(detector, text, this.found[index]!);
        continue;
      }
      pattern.lastIndex = Math.max(at, this.matchedTo[k]!);
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        pattern.lastIndex = scanOnFrom(detector, m);
        collectMatch(detector, m, this.found[index]!);
      }
    }
  }

  /** Where the next anchor may be worth trying: no member tries one inside its last match. */
  private resumeAt(after: number): number {
    let resume = Infinity;
    for (const to of this.matchedTo) if (to < resume) resume = to;
    return Math.max(after + 1, resume);
  }

  /** Every anchor of the text, in order. */
  forward(): void {
    const any = this.group.any;
    any.lastIndex = 0;
    for (let m = any.exec(this.text); m !== null; m = any.exec(this.text)) {
      if (!this.tryAt(m.index, firstMember(this.group, m))) return;
      any.lastIndex = this.resumeAt(m.index);
    }
  }

  /**
   * The anchors in `[from, to)` that end before `to`, found in a slice so the search cannot run
   * past it; false when the scan handed over to the global patterns. An anchor's look-behind
   * sees the slice's start as the text's start: that finds a few positions more, never fewer,
   * and the sticky pattern, run on the whole text, decides.
   */
  private window(from: number, to: number): boolean {
    const any = this.group.any;
    const part = this.text.slice(from, to);
    any.lastIndex = 0;
    for (let m = any.exec(part); m !== null; m = any.exec(part)) {
      if (!this.tryAt(from + m.index, firstMember(this.group, m))) return false;
      any.lastIndex = this.resumeAt(from + m.index) - from;
    }
    return true;
  }

  /**
   * The anchors found back from each end character (see DetectorAnchor.endsWith); false,
   * having tried none, when the text holds too many of those characters for that to pay.
   */
  backward(ends: { chars: RegExp; reach: number }): boolean {
    const text = this.text;
    const budget = ENDS_MINIMUM + ((text.length * ENDS_PER_KIB) >> 10);
    const at: number[] = [];
    ends.chars.lastIndex = 0;
    for (let m = ends.chars.exec(text); m !== null; m = ends.chars.exec(text)) {
      if (at.length === budget) return false;
      at.push(m.index);
    }
    let next = 0;
    for (const end of at) {
      // An anchor holds one end character, its last: each anchor lies in the window of the first end after its start.
      if (!this.window(Math.max(next, end - ends.reach), end + 1)) return true;
      next = end + 1;
    }
    return true;
  }
}

class Scanner implements SecretScanner {
  private readonly groups: AnchorGroup[] = [];
  private readonly whole: Array<{ detector: Detector; index: number }> = [];
  private readonly names: string[];

  constructor(detectors: readonly Detector[]) {
    const sensitive: Anchored[] = [];
    const insensitive: Anchored[] = [];
    for (const [index, detector] of detectors.entries()) {
      if (!detector.anchor || detector.scan) {
        this.whole.push({ detector, index });
        continue;
      }
      const anchored = { detector, index, sticky: stickyCopy(detector.pattern), global: globalCopy(detector.pattern), anchor: stickyCopy(detector.anchor.at) };
      (detector.anchor.at.ignoreCase ? insensitive : sensitive).push(anchored);
    }
    this.names = detectors.map((d) => d.name);
    if (sensitive.length > 0) this.groups.push(anchorGroup(sensitive, false));
    if (insensitive.length > 0) this.groups.push(anchorGroup(insensitive, true));
  }

  spans(text: string): SecretSpan[] {
    const found: Found[] = this.names.map(() => []);
    for (const group of this.groups) {
      const scan = new AnchoredScan(group, text, found);
      if (!group.ends || !scan.backward(group.ends)) scan.forward();
    }
    for (const { detector, index } of this.whole) collectWhole(text, detector, found[index]!);
    return mergeSpans(found, this.names);
  }
}

/**
 * One sorted list of every detector's spans, overlapping ones merged: a merged span is named
 * after the earliest, on a tie the longest, then the first detector in the list. Each detector's
 * own findings are in order of their starts, so the lists merge without a sort.
 */
function mergeSpans(found: readonly Found[], names: readonly string[]): SecretSpan[] {
  const merged: SecretSpan[] = [];
  const lists = found.filter((list) => list.length > 0).length;
  if (lists === 0) return merged;
  if (lists === 1) {
    const k = found.findIndex((list) => list.length > 0);
    const list = found[k]!;
    for (let i = 0; i < list.length; i += 2) {
      const last = merged[merged.length - 1];
      if (last && list[i]! < last.end) last.end = Math.max(last.end, list[i + 1]!);
      else merged.push({ start: list[i]!, end: list[i + 1]!, detector: names[k]! });
    }
    return merged;
  }
  const next = found.map(() => 0);
  for (;;) {
    let pick = -1;
    for (let k = 0; k < found.length; k++) {
      const at = next[k]!;
      const list = found[k]!;
      if (at >= list.length) continue;
      if (pick < 0) {
        pick = k;
        continue;
      }
      const best = found[pick]![next[pick]!]!;
      if (list[at]! < best || (list[at] === best && list[at + 1]! > found[pick]![next[pick]! + 1]!)) pick = k;
    }
    if (pick < 0) return merged;
    const start = found[pick]![next[pick]!]!;
    const end = found[pick]![next[pick]! + 1]!;
    next[pick]! += 2;
    const last = merged[merged.length - 1];
    if (last && start < last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end, detector: names[pick]! });
  }
}

/** Compiles a scanner for `detectors`; each has its own RegExp copies, so scanners share no state. */
export function compileScanner(detectors: readonly Detector[]): SecretScanner {
  return new Scanner(detectors);
}
