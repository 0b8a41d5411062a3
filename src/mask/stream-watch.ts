/**
 * Masks a JSON watch stream: newline-delimited `WatchEvent`s (`{"type":…,"object":…}\n`, as the
 * apiserver's json.Encoder writes them and as client-node requires), each masked as one object and
 * written back as one line. Memory is bounded by the longest event.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { MaskError } from './errors.js';
import type { Masker } from './object-masker.js';

/** Limits for {@link createWatchStreamMasker}. */
export interface WatchStreamOptions {
  /** Longest single event line in bytes; default 8 MiB. */
  maxEventBytes?: number;
}

const NEWLINE = 0x0a;
const DEFAULT_MAX_EVENT = 8 * 1024 * 1024;

/** A line that sits inside one chunk is decoded in place, without Buffer.concat's copy. */
function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

class WatchStreamMasker implements ChunkMasker {
  maskedCount = 0;
  private parts: Uint8Array[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly masker: Masker, private readonly maxEvent: number) {}

  write(chunk: Uint8Array): Uint8Array {
    this.ensureOpen();
    const out: string[] = [];
    try {
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
        this.keep(chunk.subarray(start, nl), false);
        this.emitLine(out);
        start = nl + 1;
      }
      this.keep(chunk.subarray(start), true);
    } catch (error) {
      this.closed = true;
      throw error;
    }
    return out.length === 0 ? new Uint8Array(0) : Buffer.from(out.join(''), 'utf8');
  }

  end(): Uint8Array {
    this.ensureOpen();
    this.closed = true;
    const out: string[] = [];
    this.emitLine(out);
    return out.length === 0 ? new Uint8Array(0) : Buffer.from(out.join(''), 'utf8');
  }

  private ensureOpen(): void {
    if (this.closed) throw new MaskError('MASK_CLOSED', 'watch masker used after it failed or ended');
  }

  private keep(bytes: Uint8Array, copy: boolean): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.maxEvent) throw new MaskError('MASK_TOO_LARGE', `a watch event exceeds ${this.maxEvent} bytes`);
    // A real copy: Buffer#slice returns a view, and the caller may reuse its chunk after write().
    this.parts.push(copy ? new Uint8Array(bytes) : bytes);
  }

  /** Masks the line collected so far (if any) and appends it, newline-terminated, to `out`. */
  private emitLine(out: string[]): void {
    const line = this.parts.length === 1 ? decode(this.parts[0]!) : Buffer.concat(this.parts, this.size).toString('utf8');
    this.parts = [];
    this.size = 0;
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
