/**
 * The shape every streaming masker shares, and adapters to Node streams and async iterables.
 * The maskers themselves are synchronous and pure; these adapters only move chunks.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** An incremental masker: feed chunks in, get masked bytes out, then end. */
export interface ChunkMasker {
  /**
   * Masks the next chunk; returns what can be released now (possibly empty). The result may be a
   * view of `chunk` (where nothing in it needed masking), so a caller must not change a chunk it
   * has written.
   * @throws MaskError for input that cannot be masked; the masker is unusable afterwards.
   */
  write(chunk: Uint8Array): Uint8Array;
  /**
   * Flushes what was held back. Call once, after the last chunk.
   * @throws MaskError when the input ended in the middle of something (truncated JSON).
   */
  end(): Uint8Array;
  /** Fields masked so far. */
  readonly maskedCount: number;
}

/** A `Transform` that runs `masker` over a byte stream; a MaskError becomes the stream's error. */
export function toTransform(masker: ChunkMasker): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        const out = masker.write(chunk);
        callback(null, out.length > 0 ? out : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        const out = masker.end();
        callback(null, out.length > 0 ? out : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Runs `masker` over an async iterable of chunks, yielding masked bytes. */
export async function* maskChunks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, masker: ChunkMasker): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    const out = masker.write(chunk);
    if (out.length > 0) yield out;
  }
  const rest = masker.end();
  if (rest.length > 0) yield rest;
}

/** Runs `masker` over chunks held in memory; convenient for tests and whole bodies. */
export function maskAllChunks(chunks: Iterable<Uint8Array>, masker: ChunkMasker): Buffer {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) out.push(masker.write(chunk));
  out.push(masker.end());
  return Buffer.concat(out);
}
