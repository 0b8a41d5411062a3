/**
 * Streams a large JSON list response through the masker with memory bounded by the largest item,
 * not by the list: a hand-written incremental scanner finds the top-level `items` array (or a
 * Table's `rows`), hands each element's bytes to `Masker.maskObject` with the list kind as context,
 * and re-serialises everything else after masking it too.
 *
 * Lists whose `kind` arrives after `items` (valid JSON, never written so by the apiserver but
 * possible from other proxies): items are masked as soon as they are complete, without the kind,
 * which the object masker treats conservatively (Secret-shaped items are masked as Secrets,
 * `data` keys follow the ConfigMap rule, env and detectors apply as everywhere). Nothing is
 * buffered waiting for the kind, so memory stays bounded; the price is possible over-masking of
 * such rare lists. A duplicated top-level member is refused: a client takes the last copy, while
 * the masker could have used the first (`kind`, `items`, `rows`) or passed on both, the first
 * masked out of its context (one before the list and one after it).
 *
 * The scanner validates the structure it walks (braces, keys, commas); every byte it does not
 * interpret itself ends up in a `JSON.parse`, so malformed input of any kind becomes a MaskError.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { MaskError, toMaskError } from './errors.js';
import type { MaskContext, Masker } from './object-masker.js';

/** Limits for {@link createListStreamMasker}. */
export interface ListStreamOptions {
  /** Largest single item (or other top-level member, or non-list body) in bytes; default 8 MiB. */
  maxItemBytes?: number;
  /** Largest total of the top-level members other than the streamed array; default 1 MiB. */
  maxEnvelopeBytes?: number;
}

const DEFAULT_MAX_ITEM = 8 * 1024 * 1024;
const DEFAULT_MAX_ENVELOPE = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function startsPrimitive(b: number): boolean {
  return b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e;
}

const enum State {
  Before,
  KeyOrEnd,
  KeyRequired,
  Key,
  Colon,
  Value,
  Member,
  AfterMember,
  ArrayStart,
  ElementRequired,
  Element,
  AfterElement,
  Done,
  Whole,
  Failed,
  Ended,
}

/** Scans one JSON value's bytes without interpreting them: strings, nesting, primitives. */
class ValueCapture {
  /** Copies of the value's bytes from earlier chunks. */
  private parts: Uint8Array[] = [];
  /**
   * Where the value ends in the current chunk, read by {@link take} before `write()` returns: a
   * value inside one chunk is decoded straight from it, with no view or copy in between.
   */
  private tail: Buffer | undefined;
  private tailStart = 0;
  private tailEnd = 0;
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private primitive = false;
  private fresh = true;

  constructor(private readonly limit: number, private readonly what: string) {}

  /** Prepares for a new value; its first byte is classified by the next {@link scan}. */
  reset(): void {
    this.parts = [];
    this.tail = undefined;
    this.size = 0;
    this.fresh = true;
  }

  /**
   * Scans from `start`; returns the index just past the value, or -1 when the chunk ended inside
   * it (the bytes are kept either way, for {@link take}).
   * @throws MaskError when the first byte cannot start a JSON value, or the value is too large.
   */
  scan(chunk: Buffer, start: number): number {
    let from = start;
    if (this.fresh) {
      this.classify(chunk[start]!);
      from++;
    }
    const end = this.primitive ? this.scanPrimitive(chunk, from) : this.scanNested(chunk, from);
    if (end < 0) {
      this.keep(chunk.subarray(start));
    } else {
      this.count(end - start);
      this.tail = chunk;
      this.tailStart = start;
      this.tailEnd = end;
    }
    return end;
  }

  /** Keeps bytes without scanning them (a body that is not an object is parsed whole at the end). */
  append(chunk: Buffer, start: number): void {
    this.keep(chunk.subarray(start));
  }

  private classify(b: number): void {
    this.fresh = false;
    this.escaped = false;
    this.primitive = false;
    this.inString = false;
    this.depth = 0;
    if (b === QUOTE) this.inString = true;
    else if (b === LBRACE || b === LBRACKET) this.depth = 1;
    else if (startsPrimitive(b)) this.primitive = true;
    else throw malformed(`unexpected byte 0x${b.toString(16)} where a JSON value should start`);
  }

  /** The captured bytes as text; resets the capture. */
  take(): string {
    const { parts, tail } = this;
    let text: string;
    if (parts.length === 0) text = tail === undefined ? '' : tail.toString('utf8', this.tailStart, this.tailEnd);
    else if (tail === undefined && parts.length === 1) text = decode(parts[0]!);
    else text = Buffer.concat(tail === undefined ? parts : [...parts, tail.subarray(this.tailStart, this.tailEnd)], this.size).toString('utf8');
    this.reset();
    return text;
  }

  private count(bytes: number): void {
    this.size += bytes;
    if (this.size > this.limit) throw new MaskError('MASK_TOO_LARGE', `${this.what} exceeds ${this.limit} bytes`);
  }

  private keep(bytes: Uint8Array): void {
    this.count(bytes.length);
    // A real copy: Buffer#slice returns a view, and the caller may reuse its chunk after write().
    if (bytes.length > 0) this.parts.push(new Uint8Array(bytes));
  }

  private scanPrimitive(chunk: Uint8Array, i: number): number {
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === COMMA || b === RBRACE || b === RBRACKET || isWhitespace(b)) return i;
    }
    return -1;
  }

  /** One pass with the state in locals; string contents are skipped by {@link stringEnd}. */
  private scanNested(chunk: Uint8Array, from: number): number {
    const n = chunk.length;
    let depth = this.depth;
    let i = from;
    let end = -1;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    let inString = this.inString;
    while (i < n) {
      if (inString) {
        const after = stringEnd(chunk, i);
        if (after < 0) {
          this.escaped = after === ESCAPE_PENDING;
          break;
        }
        inString = false;
        i = after;
        if (depth === 0) {
          end = i;
          break;
        }
        continue;
      }
      const b = chunk[i++]!;
      if (b === QUOTE) inString = true;
      else if (b === LBRACE || b === LBRACKET) depth++;
      else if ((b === RBRACE || b === RBRACKET) && --depth === 0) {
        end = i;
        break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    return end;
  }
}

/** {@link stringEnd}'s answers when the chunk ends inside the string. */
const STRING_OPEN = -1;
/** …right after a backslash, which escapes the next chunk's first byte. */
const ESCAPE_PENDING = -2;
/** Strings up to this many bytes are walked byte by byte; `indexOf` jumps through longer ones. */
const SHORT_STRING = 32;

/**
 * The index just past the closing quote of the string that `i` is inside (after its opening quote
 * or any byte of it that is not escaped), or {@link STRING_OPEN} / {@link ESCAPE_PENDING}. Most
 * strings are short keys and values, where a native `indexOf` call costs more than the bytes;
 * long ones (base64 data, certificates, manifests) are crossed quote to quote.
 */
function stringEnd(chunk: Uint8Array, i: number): number {
  const n = chunk.length;
  for (const stop = Math.min(n, i + SHORT_STRING); i < stop; ) {
    const c = chunk[i++]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  if (i > n) return ESCAPE_PENDING;
  while (i < n) {
    const quote = chunk.indexOf(QUOTE, i);
    if (quote < 0) return backslashesBefore(chunk, n, i) % 2 === 1 ? ESCAPE_PENDING : STRING_OPEN;
    if (backslashesBefore(chunk, quote, i) % 2 === 0) return quote + 1;
    i = quote + 1;
  }
  return STRING_OPEN;
}

/** Backslashes immediately before `at`, not looking before `floor`. */
function backslashesBefore(chunk: Uint8Array, at: number, floor: number): number {
  let k = 0;
  for (let j = at - 1; j >= floor && chunk[j] === BACKSLASH; j--) k++;
  return k;
}

function decode(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8');
}

/** A Buffer over the same memory, so ranges decode without a view per value. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function malformed(message: string, cause?: unknown): MaskError {
  return new MaskError('MASK_MALFORMED', `response body is not valid JSON: ${message}`, cause === undefined ? undefined : { cause });
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(`${what} does not parse`, error);
  }
}

interface Member {
  key: string;
  raw: string;
}

class ListStreamMasker implements ChunkMasker {
  maskedCount = 0;
  private state = State.Before;
  private readonly value: ValueCapture;
  private readonly keyCapture: ValueCapture;
  private readonly whole: ValueCapture;
  private key = '';
  private kind: string | undefined;
  private readonly seen = new Set<string>();
  private prefix: Member[] = [];
  private suffix: Member[] = [];
  private envelopeBytes = 0;
  private streamedKey: string | undefined;
  private streamDone = false;
  private elements = 0;
  private out: string[] = [];

  constructor(private readonly masker: Masker, private readonly maxEnvelope: number, maxItem: number) {
    this.value = new ValueCapture(maxItem, 'a list item or top-level member');
    this.keyCapture = new ValueCapture(maxEnvelope, 'a top-level key');
    this.whole = new ValueCapture(maxItem, 'a response that is not a JSON object');
  }

  write(chunk: Uint8Array): Uint8Array {
    if (this.state === State.Failed || this.state === State.Ended) throw new MaskError('MASK_CLOSED', 'list masker used after it failed or ended');
    try {
      this.consume(asBuffer(chunk));
    } catch (error) {
      this.state = State.Failed;
      throw toMaskError(error);
    }
    return this.flushOut();
  }

  end(): Uint8Array {
    if (this.state === State.Failed || this.state === State.Ended) throw new MaskError('MASK_CLOSED', 'list masker used after it failed or ended');
    const state = this.state;
    this.state = State.Ended;
    if (state !== State.Whole && state !== State.Done) throw malformed(state === State.Before ? 'empty body' : 'truncated body');
    try {
      if (state === State.Whole) this.emitWhole();
    } catch (error) {
      throw toMaskError(error);
    }
    return this.flushOut();
  }

  private flushOut(): Uint8Array {
    if (this.out.length === 0) return new Uint8Array(0);
    const text = this.out.join('');
    this.out = [];
    return Buffer.from(text, 'utf8');
  }

  /** The state machine over one chunk; structural bytes one at a time, values in bulk. */
  private consume(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.Member:
        case State.Element:
        case State.Key: {
          const capture = this.state === State.Key ? this.keyCapture : this.value;
          const end = capture.scan(chunk, i);
          if (end < 0) return;
          this.valueEnded(capture);
          i = end;
          continue;
        }
        case State.Whole:
          this.whole.append(chunk, i);
          return;
      }
      const b = chunk[i]!;
      if (isWhitespace(b) && this.state !== State.Value && this.state !== State.ArrayStart && this.state !== State.ElementRequired) {
        i++;
        continue;
      }
      i = this.structural(chunk, i, b);
    }
  }

  /** Handles one structural byte (or the first byte of a value); returns the next index. */
  private structural(chunk: Uint8Array, i: number, b: number): number {
    switch (this.state) {
      case State.Before:
        if (b === LBRACE) {
          this.state = State.KeyOrEnd;
          return i + 1;
        }
        this.state = State.Whole;
        this.whole.reset();
        return i;
      case State.KeyOrEnd:
        if (b === RBRACE) return this.objectEnded(i);
        return this.keyStart(b, i);
      case State.KeyRequired:
        return this.keyStart(b, i);
      case State.Colon:
        if (b !== COLON) throw malformed('expected ":" after a key');
        this.state = State.Value;
        return i + 1;
      case State.Value:
        if (isWhitespace(b)) return i + 1;
        return this.memberStart(b, i);
      case State.AfterMember:
        if (b === COMMA) {
          this.state = State.KeyRequired;
          return i + 1;
        }
        if (b === RBRACE) return this.objectEnded(i);
        throw malformed('expected "," or "}" after a member');
      case State.ArrayStart:
        if (isWhitespace(b)) return i + 1;
        if (b === RBRACKET) return this.arrayEnded(i);
        return this.elementStart(i);
      case State.ElementRequired:
        if (isWhitespace(b)) return i + 1;
        return this.elementStart(i);
      case State.AfterElement:
        if (b === COMMA) {
          this.state = State.ElementRequired;
          return i + 1;
        }
        if (b === RBRACKET) return this.arrayEnded(i);
        throw malformed('expected "," or "]" in a list');
      case State.Done:
        throw malformed('data after the end of the top-level object');
      default:
        throw malformed('unexpected state');
    }
  }

  private keyStart(b: number, i: number): number {
    if (b !== QUOTE) throw malformed('expected a quoted key');
    this.keyCapture.reset();
    this.state = State.Key;
    return i;
  }

  private memberStart(b: number, i: number): number {
    if (b === LBRACKET && this.streams(this.key)) {
      this.streamedKey = this.key;
      this.emitPrefix();
      this.state = State.ArrayStart;
      return i + 1;
    }
    this.value.reset();
    this.state = State.Member;
    return i;
  }

  private elementStart(i: number): number {
    this.value.reset();
    this.state = State.Element;
    return i;
  }

  /** Whether the member `key` is the array to stream, given what is known of the kind so far. */
  private streams(key: string): boolean {
    if (this.streamedKey !== undefined) return false;
    if (key === 'items') return this.kind === undefined || this.kind.endsWith('List');
    return key === 'rows' && this.kind === 'Table';
  }

  private valueEnded(capture: ValueCapture): void {
    const text = capture.take();
    if (this.state === State.Key) {
      this.key = parseJson(text, 'a key') as string;
      this.noteKey(this.key);
      this.state = State.Colon;
    } else if (this.state === State.Member) {
      this.memberEnded(text);
      this.state = State.AfterMember;
    } else {
      this.elementEnded(text);
      this.state = State.AfterElement;
    }
  }

  private noteKey(key: string): void {
    // The key is not quoted: it is the response's text, and the message reaches the client and the audit trail.
    if (this.seen.has(key)) throw malformed(key === 'kind' || key === 'items' || key === 'rows' ? `duplicate top-level "${key}"` : 'a duplicate top-level member');
    this.seen.add(key);
  }

  private memberEnded(raw: string): void {
    this.envelopeBytes += raw.length + this.key.length;
    if (this.envelopeBytes > this.maxEnvelope) throw new MaskError('MASK_TOO_LARGE', `top-level members besides the list exceed ${this.maxEnvelope} bytes`);
    if (this.key === 'kind') {
      const kind = parseJson(raw, 'kind');
      if (typeof kind === 'string') this.kind = kind;
    }
    (this.streamDone ? this.suffix : this.prefix).push({ key: this.key, raw });
  }

  private elementEnded(raw: string): void {
    const ctx: MaskContext = this.streamedKey === 'rows' ? { listKind: 'Table' } : this.kind === undefined ? {} : { listKind: this.kind };
    const { value, count } = this.masker.maskObject(parseJson(raw, 'a list item'), ctx);
    this.maskedCount += count;
    this.out.push(this.elements++ === 0 ? '' : ',', JSON.stringify(value));
  }

  private arrayEnded(i: number): number {
    this.out.push(']');
    this.streamDone = true;
    this.state = State.AfterMember;
    return i + 1;
  }

  private objectEnded(i: number): number {
    if (this.streamedKey === undefined) this.out.push(this.maskMembers(this.prefix, undefined));
    else this.emitSuffix();
    this.state = State.Done;
    return i + 1;
  }

  /** `{` + the masked members before the list + `"items":[`. */
  private emitPrefix(): void {
    const masked = this.maskMembers(this.prefix, undefined);
    const open = masked.slice(0, -1);
    this.out.push(open, this.prefix.length > 0 ? ',' : '', JSON.stringify(this.streamedKey), ':[');
  }

  /** The masked members after the list, masked with the list's kind as the object masker would. */
  private emitSuffix(): void {
    const injectKind = this.kind !== undefined && !this.suffix.some((m) => m.key === 'kind');
    const members = injectKind ? [{ key: 'kind', raw: JSON.stringify(this.kind) }, ...this.suffix] : this.suffix;
    const masked = parseJson(this.maskMembers(members, undefined), 'the list envelope') as Record<string, unknown>;
    if (injectKind) delete masked.kind;
    const body = JSON.stringify(masked).slice(1, -1);
    this.out.push(body.length > 0 ? `,${body}` : '', '}');
  }

  /** Masks an object assembled from captured members; returns its JSON text. */
  private maskMembers(members: readonly Member[], ctx: MaskContext | undefined): string {
    const text = `{${members.map((m) => `${JSON.stringify(m.key)}:${m.raw}`).join(',')}}`;
    const { value, count } = this.masker.maskObject(parseJson(text, 'the response object'), ctx);
    this.maskedCount += count;
    return JSON.stringify(value);
  }

  private emitWhole(): void {
    const { value, count } = this.masker.maskObject(parseJson(this.whole.take(), 'the response'));
    this.maskedCount += count;
    this.out.push(JSON.stringify(value));
  }
}

/**
 * A streaming masker for JSON list responses (`kubectl get secrets -A -o json`, Tables of
 * thousands of rows). Memory is bounded by `maxItemBytes` plus `maxEnvelopeBytes`, whatever the
 * list size. Output is compact JSON equal to `JSON.stringify(masker.maskObject(JSON.parse(body)))`
 * for lists whose kind precedes their items. A body that is not a JSON object is buffered (up to
 * `maxItemBytes`) and masked whole.
 */
export function createListStreamMasker(masker: Masker, opts: ListStreamOptions = {}): ChunkMasker {
  return new ListStreamMasker(masker, opts.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE, opts.maxItemBytes ?? DEFAULT_MAX_ITEM);
}
