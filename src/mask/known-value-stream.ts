/**
 * Known-value masking: the exact values of the Secrets a pod uses, masked wherever they appear in
 * that pod's log, exec or attach output, whatever the detectors think of them.
 *
 * Design:
 * - Each value is searched in the forms a program most often prints it in: as it is; with `\r\n`
 *   line ends (a terminal's output); JSON-escaped (structured logs); as standard base64, padded;
 *   and as the part of a longer base64 text that encodes it, at each of the three alignments
 *   (`base64 < file` of a config that embeds the value), standard and URL-safe alphabets. A
 *   transformed value (reversed, base32, hex, encrypted) is not recognised; README says so.
 * - Values shorter than {@link MIN_KNOWN_VALUE_BYTES} bytes are ignored: masking every `on` or `42`
 *   in a log hides nothing and breaks everything; longer values are masked even if common.
 * - All forms go into one Aho–Corasick automaton over bytes, so a stream is scanned once, in time
 *   linear in its length, whatever the number of values (no regular expressions, no backtracking).
 * - Every byte covered by any occurrence of any form is masked; overlapping or adjacent occurrences
 *   become one marker. A marker is fixed (`***MASKED:secret***`) so it reveals neither which value
 *   nor its length.
 * - Streaming: the automaton's state carries across chunks, and only the bytes that could still
 *   begin an occurrence (the longest tail that is a prefix of some form, at most the longest form
 *   minus one byte) are held back. Ordinary output flows through at once.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { MaskError } from './errors.js';
import { maskMarker, type MaskReason } from './marker.js';

/** Values shorter than this (in bytes) are not masked. */
export const MIN_KNOWN_VALUE_BYTES = 4;

/** Distinct value bytes one automaton may hold; beyond it the stream is refused (fail closed). */
export const MAX_KNOWN_VALUE_BYTES = 256 * 1024;

/** A base64 form shorter than this would match random base64 far too often. */
const MIN_BASE64_FORM = 4;

/** The marker reason: the value of a Secret. */
const REASON: MaskReason = 'secret';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function withCrlf(value: Buffer): Buffer | undefined {
  if (!value.includes(NEWLINE)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === NEWLINE && value[i - 1] !== CARRIAGE_RETURN) out.push(CARRIAGE_RETURN);
    out.push(value[i]!);
  }
  return Buffer.from(out);
}

function jsonEscaped(value: Buffer): Buffer | undefined {
  const text = value.toString('utf8');
  // Invalid UTF-8 has no single JSON spelling.
  if (!Buffer.from(text, 'utf8').equals(value)) return undefined;
  return Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8');
}

function urlSafe(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The base64 characters that depend only on `value` when it sits `shift` bytes into a longer
 * byte string: those whose six bits all fall inside the value.
 */
function base64Core(value: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString('base64');
  return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + value.length)) / 6));
}

/**
 * Every byte sequence that masks `value`: the value, its terminal and JSON spellings, its padded
 * base64, and its base64 at each alignment in both alphabets; duplicates and too-short forms left
 * out. Empty for values shorter than {@link MIN_KNOWN_VALUE_BYTES}.
 */
export function knownValueForms(value: Uint8Array): Buffer[] {
  const raw = Buffer.from(value);
  if (raw.length < MIN_KNOWN_VALUE_BYTES) return [];
  const forms = new Map<string, Buffer>();
  const add = (form: Buffer | undefined, min: number) => {
    if (form && form.length >= min) forms.set(form.toString('latin1'), form);
  };
  add(raw, MIN_KNOWN_VALUE_BYTES);
  add(withCrlf(raw), MIN_KNOWN_VALUE_BYTES);
  add(jsonEscaped(raw), MIN_KNOWN_VALUE_BYTES);
  const padded = raw.toString('base64');
  const encodings = [padded, ...[0, 1, 2].map((shift) => base64Core(raw, shift))];
  for (const encoded of encodings) {
    add(Buffer.from(encoded, 'latin1'), MIN_BASE64_FORM);
    add(Buffer.from(urlSafe(encoded), 'latin1'), MIN_BASE64_FORM);
  }
  return [...forms.values()];
}

/**
 * A compiled set of values: an Aho–Corasick automaton over their forms. Immutable, so one set
 * serves every stream of a request (stdout and stderr of one exec).
 */
export interface KnownValueSet {
  /** Distinct values masked (after dropping short ones). */
  readonly valueCount: number;
  /** Byte sequences searched for (values and their encodings). */
  readonly formCount: number;
  /** The longest form: the most a stream holds back is one byte less. */
  readonly maxFormLength: number;
  /** @internal the automaton */
  readonly automaton: Automaton;
}

/**
 * The automaton in flat typed arrays, states numbered breadth first. Small sets get a full
 * transition table; larger ones give table rows to the states with the most children (where a
 * list would be long) and keep first-child/next-sibling lists and failure links for the rest, so
 * memory stays proportional to the forms.
 */
interface Automaton {
  /**
   * Every state has a table row (small sets, the usual case): then states are renumbered so those
   * that end a form come last, and one table load and one comparison handle a byte.
   */
  full: boolean;
  /** With `full`: the first state that ends a form. */
  matchFrom: number;
  /** With `full`: `fullTable[state * 256 + byte]` is the next state (16 bits: half the memory). */
  fullTable: Uint16Array;
  /** The state's row in `table`, or -1 (then its sibling list and failure link are used). */
  rowOf: Int32Array;
  /** `table[rowOf[state] * 256 + byte]`: the next state, failures already followed. */
  table: Int32Array;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  label: Uint8Array;
  fail: Int32Array;
  depth: Int32Array;
  /** Length of the longest form ending at this state (0 for none). */
  match: Int32Array;
}

/** Up to this many states, every state has a table row of 16-bit entries (at most 2 MiB). */
const MAX_FULL_STATES = 4096;
/** Beyond, this many states with the most children have rows of 32-bit entries (1 MiB). */
const HYBRID_ROWS = 1024;

class TrieBuilder {
  size = 1;
  firstChild = new Int32Array(1024).fill(-1);
  nextSibling = new Int32Array(1024).fill(-1);
  label = new Uint8Array(1024);
  terminal = new Uint8Array(1024);

  private grow(): void {
    const capacity = this.firstChild.length * 2;
    const extend = <T extends Int32Array | Uint8Array>(array: T, fill?: number): T => {
      const next = new (array.constructor as new (n: number) => T)(capacity);
      if (fill !== undefined) next.fill(fill);
      next.set(array);
      return next;
    };
    this.firstChild = extend(this.firstChild, -1);
    this.nextSibling = extend(this.nextSibling, -1);
    this.label = extend(this.label);
    this.terminal = extend(this.terminal);
  }

  private child(state: number, byte: number): number {
    for (let c = this.firstChild[state]!; c !== -1; c = this.nextSibling[c]!) if (this.label[c] === byte) return c;
    return -1;
  }

  insert(form: Uint8Array): void {
    let state = 0;
    for (const byte of form) {
      let next = this.child(state, byte);
      if (next === -1) {
        if (this.size === this.firstChild.length) this.grow();
        next = this.size++;
        this.label[next] = byte;
        this.nextSibling[next] = this.firstChild[state]!;
        this.firstChild[state] = next;
      }
      state = next;
    }
    this.terminal[state] = 1;
  }

  build(): Automaton {
    const n = this.size;
    // Renumber breadth first: a state's failure target (shallower) then always has a smaller number.
    const order = new Int32Array(n);
    const renamed = new Int32Array(n);
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      for (let c = this.firstChild[order[head]!]!; c !== -1; c = this.nextSibling[c]!) {
        renamed[c] = tail;
        order[tail++] = c;
      }
    }
    const firstChild = new Int32Array(n).fill(-1);
    const nextSibling = new Int32Array(n).fill(-1);
    const label = new Uint8Array(n);
    const depth = new Int32Array(n);
    const fail = new Int32Array(n);
    const match = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const old = order[s]!;
      label[s] = this.label[old]!;
      const first = this.firstChild[old]!;
      firstChild[s] = first === -1 ? -1 : renamed[first]!;
      const sibling = this.nextSibling[old]!;
      nextSibling[s] = sibling === -1 ? -1 : renamed[sibling]!;
    }
    const full = n <= MAX_FULL_STATES;
    const rowOf = full ? Int32Array.from({ length: n }, (_, s) => s) : rowsForWidest(firstChild, nextSibling);
    const table = new Int32Array((full ? n : HYBRID_ROWS) * 256);
    const step = (state: number, byte: number): number => {
      for (;;) {
        const row = rowOf[state]!;
        if (row >= 0) return table[row * 256 + byte]!;
        for (let c = firstChild[state]!; c !== -1; c = nextSibling[c]!) if (label[c] === byte) return c;
        state = fail[state]!;
      }
    };
    // In breadth-first order a failure target (shallower) is complete before anyone steps from it.
    for (let s = 0; s < n; s++) {
      // The longest form ending here is the state itself when it is one (it is the longest suffix).
      match[s] = this.terminal[order[s]!] ? depth[s]! : match[fail[s]!]!;
      for (let c = firstChild[s]!; c !== -1; c = nextSibling[c]!) {
        depth[c] = depth[s]! + 1;
        if (s !== 0) fail[c] = step(fail[s]!, label[c]!);
      }
      const row = rowOf[s]!;
      if (row < 0) continue;
      // A full row: the child where there is one, else where the failure state goes.
      const at = row * 256;
      if (s !== 0) for (let b = 0; b < 256; b++) table[at + b] = step(fail[s]!, b);
      for (let c = firstChild[s]!; c !== -1; c = nextSibling[c]!) table[at + label[c]!] = c;
    }
    if (full) return fullAutomaton(table, depth, match);
    return { full: false, matchFrom: n, fullTable: new Uint16Array(0), rowOf, table, firstChild, nextSibling, label, fail, depth, match };
  }
}

/** Table rows for the root and the {@link HYBRID_ROWS} - 1 states with the most children. */
function rowsForWidest(firstChild: Int32Array, nextSibling: Int32Array): Int32Array {
  const n = firstChild.length;
  const fanOut = new Int32Array(n);
  for (let s = 0; s < n; s++) for (let c = firstChild[s]!; c !== -1; c = nextSibling[c]!) fanOut[s]!++;
  // Counting sort by fan-out, widest first, breadth-first order within a width.
  const byWidth: number[][] = [];
  for (let s = 1; s < n; s++) if (fanOut[s]! > 1) (byWidth[fanOut[s]!] ??= []).push(s);
  const rowOf = new Int32Array(n).fill(-1);
  rowOf[0] = 0;
  let rows = 1;
  for (let width = byWidth.length - 1; width > 1 && rows < HYBRID_ROWS; width--) {
    for (const s of byWidth[width] ?? []) {
      if (rows === HYBRID_ROWS) break;
      rowOf[s] = rows++;
    }
  }
  return rowOf;
}

/** Renumbers a fully tabled automaton so the states that end a form come last. */
function fullAutomaton(table: Int32Array, depth: Int32Array, match: Int32Array): Automaton {
  const n = depth.length;
  const renamed = new Int32Array(n);
  let next = 0;
  for (let s = 0; s < n; s++) if (match[s] === 0) renamed[s] = next++;
  const matchFrom = next;
  for (let s = 0; s < n; s++) if (match[s] !== 0) renamed[s] = next++;
  const fullTable = new Uint16Array(n * 256);
  const fullDepth = new Int32Array(n);
  const fullMatch = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const to = renamed[s]!;
    fullDepth[to] = depth[s]!;
    fullMatch[to] = match[s]!;
    for (let b = 0; b < 256; b++) fullTable[to * 256 + b] = renamed[table[s * 256 + b]!]!;
  }
  const none = new Int32Array(0);
  return { full: true, matchFrom, fullTable, rowOf: none, table: none, firstChild: none, nextSibling: none, label: new Uint8Array(0), fail: none, depth: fullDepth, match: fullMatch };
}

/**
 * Compiles `values` (raw bytes or UTF-8 text) for masking. Returns undefined when nothing is left
 * to mask (no values, or all too short).
 * @throws MaskError `MASK_TOO_LARGE` when the distinct values exceed {@link MAX_KNOWN_VALUE_BYTES}.
 */
export function compileKnownValues(values: Iterable<Uint8Array | string>): KnownValueSet | undefined {
  const distinct = new Map<string, Buffer>();
  let total = 0;
  for (const value of values) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    if (bytes.length < MIN_KNOWN_VALUE_BYTES) continue;
    const key = bytes.toString('latin1');
    if (distinct.has(key)) continue;
    total += bytes.length;
    if (total > MAX_KNOWN_VALUE_BYTES) throw new MaskError('MASK_TOO_LARGE', `the values to mask exceed ${MAX_KNOWN_VALUE_BYTES} bytes`);
    distinct.set(key, bytes);
  }
  if (distinct.size === 0) return undefined;
  const builder = new TrieBuilder();
  const forms = new Set<string>();
  let maxFormLength = 0;
  for (const value of distinct.values()) {
    for (const form of knownValueForms(value)) {
      const key = form.toString('latin1');
      if (forms.has(key)) continue;
      forms.add(key);
      builder.insert(form);
      maxFormLength = Math.max(maxFormLength, form.length);
    }
  }
  return { valueCount: distinct.size, formCount: forms.size, maxFormLength, automaton: builder.build() };
}

const MARKER = Buffer.from(maskMarker(REASON), 'latin1');

/**
 * Bytes not yet released, as the chunks they came in. The caller's chunk is read in place while a
 * write runs; what is still held when it returns is copied once, so the masker never keeps a
 * reference to a buffer its caller may reuse.
 */
class HeldBytes {
  private parts: Buffer[] = [];
  /** Absolute stream position of the first held byte. */
  start = 0;

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.parts.push(chunk);
  }

  /** Copies the held part that is still a view of `chunk` (only the last part can be). */
  own(chunk: Buffer): void {
    const last = this.parts.length - 1;
    if (last >= 0 && this.parts[last]!.buffer === chunk.buffer) this.parts[last] = Buffer.from(this.parts[last]!);
  }

  /** Removes the held bytes before absolute position `end`, handing them to `sink` when given. */
  drop(end: number, sink?: Buffer[]): void {
    let count = end - this.start;
    while (count > 0) {
      const part = this.parts[0]!;
      if (part.length <= count) {
        sink?.push(part);
        this.parts.shift();
        count -= part.length;
      } else {
        sink?.push(part.subarray(0, count));
        this.parts[0] = part.subarray(count);
        count = 0;
      }
    }
    this.start = end;
  }
}

class KnownValueStreamMasker implements ChunkMasker {
  maskedCount = 0;
  private state = 0;
  /** Bytes of the stream seen so far. */
  private position = 0;
  private readonly held = new HeldBytes();
  /** Covered intervals `[start, end)` inside the held bytes, in order, disjoint. */
  private pending: Array<[number, number]> = [];
  private closed = false;

  constructor(private readonly automaton: Automaton) {}

  write(chunk: Uint8Array): Uint8Array {
    if (this.closed) throw new MaskError('MASK_CLOSED', 'known-value masker used after it ended');
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.scan(bytes);
    // Only a tail that is a prefix of some form can begin an occurrence still to come.
    const { depth } = this.automaton;
    const out = this.release(this.position - depth[this.state]!);
    this.held.own(bytes);
    return out;
  }

  end(): Uint8Array {
    if (this.closed) throw new MaskError('MASK_CLOSED', 'known-value masker used after it ended');
    this.closed = true;
    return this.release(this.position);
  }

  private scan(bytes: Buffer): void {
    if (this.automaton.full) this.scanFull(bytes);
    else this.scanHybrid(bytes);
    this.position += bytes.length;
    this.held.push(bytes);
  }

  /** The hot loop for the usual small set: one table load and one comparison per byte. */
  private scanFull(bytes: Buffer): void {
    const { fullTable, matchFrom, match } = this.automaton;
    const base = this.position;
    let state = this.state;
    for (let i = 0; i < bytes.length; i++) {
      state = fullTable[state * 256 + bytes[i]!]!;
      if (state >= matchFrom) this.cover(base + i + 1 - match[state]!, base + i + 1);
    }
    this.state = state;
  }

  private scanHybrid(bytes: Buffer): void {
    const { rowOf, table, firstChild, nextSibling, label, fail, match } = this.automaton;
    const base = this.position;
    let state = this.state;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      for (;;) {
        const row = rowOf[state]!;
        if (row >= 0) {
          state = table[row * 256 + byte]!;
          break;
        }
        let c = firstChild[state]!;
        while (c !== -1 && label[c] !== byte) c = nextSibling[c]!;
        if (c !== -1) {
          state = c;
          break;
        }
        state = fail[state]!;
      }
      const length = match[state]!;
      if (length > 0) this.cover(base + i + 1 - length, base + i + 1);
    }
    this.state = state;
  }

  /** Adds `[start, end)` to the covered intervals, merging overlapping and touching ones. */
  private cover(start: number, end: number): void {
    // Bytes before the held ones were released masked already (see release), so only the rest counts.
    start = Math.max(start, this.held.start);
    const pending = this.pending;
    let last = pending[pending.length - 1];
    if (!last || start > last[1]) {
      pending.push([start, end]);
      return;
    }
    last[0] = Math.min(last[0], start);
    last[1] = Math.max(last[1], end);
    while (pending.length > 1 && pending[pending.length - 2]![1] >= last[0]) {
      const before = pending[pending.length - 2]!;
      before[1] = Math.max(before[1], last[1]);
      before[0] = Math.min(before[0], last[0]);
      pending.pop();
      last = before;
    }
  }

  /**
   * Releases the held bytes before `safe` (no occurrence still to come can include them): clear
   * text, and a marker for each covered interval that starts before it. An interval that runs past
   * `safe` is released whole, as its marker; a later occurrence overlapping it then masks only
   * what follows it.
   */
  private release(safe: number): Uint8Array {
    const out: Buffer[] = [];
    let boundary = Math.max(safe, this.held.start);
    while (this.pending.length > 0 && this.pending[0]![0] < boundary) {
      const [start, end] = this.pending.shift()!;
      this.held.drop(start, out);
      out.push(MARKER);
      this.maskedCount++;
      this.held.drop(end);
      boundary = Math.max(boundary, end);
    }
    this.held.drop(boundary, out);
    // Always a fresh buffer: callers (the exec recorder) may keep it.
    return Buffer.concat(out);
  }
}

/**
 * A streaming masker for `known`: output bytes equal input bytes except each occurrence of a
 * value (in any of its forms), which becomes `***MASKED:secret***`. Chain it before the detector
 * masker so the detectors see markers, not values.
 */
export function createKnownValueMasker(known: KnownValueSet): ChunkMasker {
  return new KnownValueStreamMasker(known.automaton);
}

/** Masks a whole text at once (tests, small bodies). */
export function maskKnownValues(text: Uint8Array | string, known: KnownValueSet): Buffer {
  const masker = createKnownValueMasker(known);
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([masker.write(bytes), masker.end()]);
}
