/**
 * Framing of a JSON watch stream into whole events, so the masker can rewrite one WatchEvent at a
 * time while the stream stays open. The apiserver writes each event with json.Encoder (one JSON
 * object then `\n`); the splitter tracks object nesting and strings instead of relying on the
 * newline, so it also frames pretty-printed (`?pretty=true`) or unterminated events the way
 * client-go's JSON framer does. Memory is bounded by the largest event allowed.
 */

/** Why a watch stream cannot be framed. */
export type WatchStreamError =
  | { kind: 'overflow'; limit: number }
  | { kind: 'malformed'; message: string }
  | { kind: 'truncated' };

/** Complete events from one chunk, or the error that ended the stream. */
export type WatchSplit = { ok: true; events: Uint8Array[] } | { ok: false; error: WatchStreamError };

/** Largest accepted event unless configured otherwise (a Table of many rows can be large). */
export const DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]);
const CLOSE = new Set([0x7d, 0x5d]);
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits a chunked JSON watch stream into complete top-level JSON objects (the events). */
export class WatchEventSplitter {
  private readonly maxEventBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failure: WatchStreamError | undefined;

  constructor(options: { maxEventBytes?: number } = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /**
   * Feeds one chunk; returns the events it completed (each without surrounding whitespace). An
   * event that lies wholly inside the chunk is a view of it, not a copy.
   */
  push(chunk: Uint8Array): WatchSplit {
    if (this.failure) return { ok: false, error: this.failure };
    const events: Uint8Array[] = [];
    let start = this.depth > 0 ? 0 : -1;
    // Position of the next backslash at or after the scan point (chunk.length when none), so long
    // strings such as base64 Secret data are skipped with indexOf instead of byte by byte.
    let nextBackslash = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (this.inString && !this.escaped) {
        if (nextBackslash < i) {
          nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash < 0) nextBackslash = chunk.length;
        }
        const quote = chunk.indexOf(QUOTE, i);
        const stop = quote < 0 ? nextBackslash : Math.min(quote, nextBackslash);
        if (stop >= chunk.length) break;
        i = stop;
      }
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (WHITESPACE.has(b)) continue;
        if (b !== 0x7b) return this.fail({ kind: 'malformed', message: 'a watch event must be a JSON object' });
        start = i;
        this.depth = 1;
      } else if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) this.inString = true;
      else if (OPEN.has(b)) this.depth++;
      else if (CLOSE.has(b) && --this.depth === 0) {
        const tail = chunk.subarray(start, i + 1);
        if (this.pendingBytes + tail.length > this.maxEventBytes) return this.fail({ kind: 'overflow', limit: this.maxEventBytes });
        events.push(concat([...this.pending, tail], this.pendingBytes + tail.length));
        this.pending = [];
        this.pendingBytes = 0;
        start = -1;
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxEventBytes) return this.fail({ kind: 'overflow', limit: this.maxEventBytes });
      // Copy: the caller may reuse the chunk's buffer.
      this.pending.push(rest.slice());
    }
    return { ok: true, events };
  }

  /** Ends the stream: an error if an event was cut off or the stream had already failed. */
  end(): { ok: true } | { ok: false; error: WatchStreamError } {
    if (this.failure) return { ok: false, error: this.failure };
    if (this.depth > 0) return this.fail({ kind: 'truncated' });
    return { ok: true };
  }

  private fail(error: WatchStreamError): { ok: false; error: WatchStreamError } {
    this.failure = error;
    this.pending = [];
    this.pendingBytes = 0;
    return { ok: false, error };
  }
}
