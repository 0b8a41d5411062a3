/**
 * Masks a JSON watch stream: newline-delimited `WatchEvent`s (`{"type":…,"object":…}\n`, as the
 * apiserver's json.Encoder writes them and as client-node requires), each masked as one object and
 * written back as one line. Memory is bounded by the longest event.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { MaskError, toMaskError } from './errors.js';
import type { Masker } from './object-masker.js';

/** Limits for {@link createWatchStreamMasker}. */
export interface WatchStreamOptions {
  /** Longest single event line in bytes; default 8 MiB. */
  maxEventBytes?: number;
}

const NEWLINE = 0x0a;
const DEFAULT_MAX_EVENT = 8 * 1024 * 1024;

/** A Buffer over the same memory, so a line inside the chunk decodes straight from it. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class WatchStreamMasker implements ChunkMasker {
  maskedCount = 0;
  /** Copies of the current line's bytes from earlier chunks. */
  private parts: Uint8Array[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly masker: Masker, private readonly maxEvent: number) {}

  write(chunk: Uint8Array): Uint8Array {
    this.ensureOpen();
    const out: string[] = [];
    const bytes = asBuffer(chunk);
    try {
      let start = 0;
      for (let nl = bytes.indexOf(NEWLINE); nl >= 0; nl = bytes.indexOf(NEWLINE, start)) {
        this.emitLine(out, this.lineEndingIn(bytes, start, nl));
        start = nl + 1;
      }
      this.keep(bytes.subarray(start));
    } catch (error) {
      this.closed = true;
      throw toMaskError(error);
    }
    return out.length === 0 ? new Uint8Array(0) : Buffer.from(out.join(''), 'utf8');
  }

  end(): Uint8Array {
    this.ensureOpen();
    this.closed = true;
    const out: string[] = [];
    try {
      this.emitLine(out, this.lineEndingIn(undefined, 0, 0));
    } catch (error) {
      throw toMaskError(error);
    }
    return out.length === 0 ? new Uint8Array(0) : Buffer.from(out.join(''), 'utf8');
  }

  private ensureOpen(): void {
    if (this.closed) throw new MaskError('MASK_CLOSED', 'watch masker used after it failed or ended');
  }

  private count(bytes: number): void {
    this.size += bytes;
    if (this.size > this.maxEvent) throw new MaskError('MASK_TOO_LARGE', `a watch event exceeds ${this.maxEvent} bytes`);
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.count(bytes.length);
    // A real copy: Buffer#slice returns a view, and the caller may reuse its chunk after write().
    this.parts.push(new Uint8Array(bytes));
  }

  /** The text of the line that ends at `end` in `chunk` (none: the bytes kept so far); resets the line. */
  private lineEndingIn(chunk: Buffer | undefined, start: number, end: number): string {
    this.count(end - start);
    let line: string;
    if (this.parts.length === 0) line = chunk === undefined ? '' : chunk.toString('utf8', start, end);
    else line = Buffer.concat(chunk === undefined ? this.parts : [...this.parts, chunk.subarray(start, end)], this.size).toString('utf8');
    this.parts = [];
    this.size = 0;
    return line;
  }

  /** Masks `line` (unless blank) and appends it, newline-terminated, to `out`. */
  private emitLine(out: string[], line: string): void {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch (error) {
      throw new MaskError('MASK_MALFORMED', 'a watch event is not valid JSON', { cause: error });
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new MaskError('MASK_MALFORMED', 'a watch event is not a JSON object');
    }
    const { value, count } = this.masker.maskObject(event);
    this.maskedCount += count;
    out.push(JSON.stringify(value), '\n');
  }
}

/**
 * A streaming masker for `?watch=true` JSON responses. Every event is emitted as soon as its line
 * is complete, so `kubectl get -w` stays live; blank lines are dropped; an event that does not parse,
 * or a stream that ends inside one, is refused with a MaskError.
 */
export function createWatchStreamMasker(masker: Masker, opts: WatchStreamOptions = {}): ChunkMasker {
  return new WatchStreamMasker(masker, opts.maxEventBytes ?? DEFAULT_MAX_EVENT);
}
