/**
 * Masks free-text byte streams (pod logs, exec and attach output) with the regex detectors,
 * catching a secret split across any number of chunks.
 *
 * Design:
 * - Bytes are handled as latin1 strings (one char per byte), so output bytes equal input bytes
 *   everywhere outside a secret, whatever the encoding, and a UTF-8 character split across chunks
 *   is never altered. Detectors are ASCII patterns; a masked span that ends inside a multi-byte
 *   UTF-8 character is widened to the character's end, so output stays valid UTF-8.
 * - After each chunk, only text that can no longer be part of a secret is released: each detector
 *   reports where an unfinished secret could have begun (`Detector.pendingStart`: an open
 *   `password=` value, a partial `ghp_…`, a `-----BEGIN … PRIVATE KEY-----` without its END line),
 *   and everything from the earliest such point is held. Ordinary output (a shell prompt, a
 *   finished log line) flows through at once, so interactive sessions stay interactive.
 * - The held tail never exceeds the longest possible match (the window, about 16 KiB for PEM keys
 *   and JWTs); text older than that cannot be part of an unfinished match and is released.
 * - The last {@link CONTEXT_CHARS} released characters are kept as context, so a match whose kept
 *   prefix (the `password=` key) was already released is still found when its value arrives.
 * - `end()` releases the rest, masking whatever matches in it.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { detectorMarker, findSecretSpans, maxDetectorLength } from './detectors.js';
import type { Detector, SecretSpan } from './detectors.js';
import { MaskError } from './errors.js';

/** Already-released text kept so prefixes and look-behinds still see what came before. */
const CONTEXT_CHARS = 512;

function isContinuationByte(code: number): boolean {
  return code >= 0x80 && code <= 0xbf;
}

/** Widens span ends that fall inside a multi-byte UTF-8 character. */
function widenToCharacters(text: string, spans: SecretSpan[]): void {
  for (const span of spans) {
    while (span.end < text.length && isContinuationByte(text.charCodeAt(span.end))) span.end++;
  }
}

const EMPTY = new Uint8Array(0);

/** Markers as bytes, by detector name. */
const markerBuffers = new Map<string, Buffer>();

let lastMarker: { detector: string; bytes: Buffer } | undefined;

function markerBytes(detector: string): Buffer {
  if (lastMarker?.detector === detector) return lastMarker.bytes;
  let bytes = markerBuffers.get(detector);
  if (bytes === undefined) {
    bytes = Buffer.from(detectorMarker(detector), 'latin1');
    if (markerBuffers.size < 1024) markerBuffers.set(detector, bytes);
  }
  lastMarker = { detector, bytes };
  return bytes;
}

/**
 * Copies `text[start, end)` into `out` at `written`, returning the new end: from `addedBytes`
 * (the bytes of the text from `heldEnd` on) where it can, encoding held text where it must.
 */
function copyText(out: Buffer, written: number, text: string, start: number, end: number, heldEnd: number, addedBytes: Buffer | undefined): number {
  if (start >= end) return written;
  if (addedBytes && start >= heldEnd) return copyBytes(addedBytes, start - heldEnd, end - heldEnd, out, written);
  const split = addedBytes ? Math.min(end, heldEnd) : end;
  written += out.write(text.slice(start, split), written, 'latin1');
  return split < end ? copyBytes(addedBytes!, 0, end - heldEnd, out, written) : written;
}

/** Below this many bytes a loop copies faster than a call into Buffer#copy. */
const SHORT_COPY = 64;

/** Copies `from[start, end)` into `out` at `written`; returns the new end. */
function copyBytes(from: Uint8Array, start: number, end: number, out: Buffer, written: number): number {
  if (end - start >= SHORT_COPY) return written + Buffer.prototype.copy.call(from, out, written, start, end);
  for (let i = start; i < end; i++) out[written++] = from[i]!;
  return written;
}

class TextStreamMasker implements ChunkMasker {
  maskedCount = 0;
  private context = '';
  private held = '';
  private closed = false;
  private readonly window: number;

  constructor(private readonly detectors: readonly Detector[]) {
    this.window = maxDetectorLength(detectors) + 1;
  }

  write(chunk: Uint8Array): Uint8Array {
    this.ensureOpen();
    if (chunk.length === 0) return EMPTY;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return this.release(bytes.toString('latin1'), bytes, false);
  }

  end(): Uint8Array {
    this.ensureOpen();
    this.closed = true;
    return this.release('', undefined, true);
  }

  private ensureOpen(): void {
    if (this.closed) throw new MaskError('MASK_CLOSED', 'text masker used after it ended');
  }

  /**
   * Masks and releases what is final in context + held + `added` (the new chunk's text, whose
   * bytes are `addedBytes`), keeping the rest. Output that is the new chunk's own bytes, unmasked,
   * is a view of them: most chunks of most streams cost no copy out.
   */
  private release(added: string, addedBytes: Buffer | undefined, final: boolean): Uint8Array {
    const contextEnd = this.context.length;
    const heldEnd = contextEnd + this.held.length;
    const text = this.context + this.held + added;
    let boundary = final ? text.length : this.holdFrom(text, contextEnd);
    if (boundary === contextEnd) {
      // Everything new may still belong to an unfinished secret: nothing to release, nothing to scan yet.
      this.held = text.slice(contextEnd);
      return EMPTY;
    }
    const spans = findSecretSpans(text, this.detectors);
    widenToCharacters(text, spans);
    for (const span of spans) if (span.start < boundary && span.end > boundary) boundary = span.end;
    let first = 0;
    while (first < spans.length && spans[first]!.end <= contextEnd) first++;
    let last = first;
    while (last < spans.length && spans[last]!.start < boundary) last++;
    this.maskedCount += last - first;
    this.context = text.slice(Math.max(0, boundary - CONTEXT_CHARS), boundary);
    this.held = text.slice(boundary);
    if (first === last && heldEnd === contextEnd && addedBytes) return addedBytes.subarray(0, boundary - contextEnd);
    return this.assemble(text, spans.slice(first, last), contextEnd, boundary, heldEnd, addedBytes);
  }

  /**
   * The bytes of `text` from `from` to `to` with each span replaced by its marker. Text from the
   * new chunk is copied from its bytes; only held text is encoded again.
   */
  private assemble(text: string, spans: readonly SecretSpan[], from: number, to: number, heldEnd: number, addedBytes: Buffer | undefined): Buffer {
    let size = to - from;
    for (const span of spans) size += markerBytes(span.detector).length - (span.end - Math.max(span.start, from));
    const out = Buffer.allocUnsafe(size);
    let written = 0;
    let at = from;
    for (const span of spans) {
      written = copyText(out, written, text, at, Math.max(span.start, from), heldEnd, addedBytes);
      const marker = markerBytes(span.detector);
      written = copyBytes(marker, 0, marker.length, out, written);
      at = span.end;
    }
    copyText(out, written, text, at, to, heldEnd, addedBytes);
    return out;
  }

  /** The earliest index an unfinished secret may start at, bounded by the window. */
  private holdFrom(text: string, contextEnd: number): number {
    let hold = text.length;
    for (const detector of this.detectors) {
      const pending = detector.pendingStart(text);
      if (pending >= 0 && pending < hold) hold = pending;
    }
    return Math.max(hold, contextEnd, text.length - this.window);
  }
}

/**
 * A masker for text streams (`pods/log`, exec/attach stdout and stderr). Output bytes equal input
 * bytes except masked secrets, which become `***MASKED:<detector>***`; held-back text is bounded
 * by the longest match the detectors can make.
 */
export function createTextStreamMasker(detectors: readonly Detector[]): ChunkMasker {
  return new TextStreamMasker(detectors);
}
