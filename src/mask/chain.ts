/**
 * Two streaming maskers in a row: what the first releases is masked by the second. Used to run the
 * known-value masker before the detector masker, so exact values become markers before detectors
 * look, and each masker keeps its own seam handling.
 */
import type { ChunkMasker } from './chunk-masker.js';

const EMPTY = new Uint8Array(0);

/** A masker that runs `first`, then `second` over its output; counts add up. */
export function chainMaskers(first: ChunkMasker, second: ChunkMasker): ChunkMasker {
  return {
    write(chunk) {
      const between = first.write(chunk);
      return between.length > 0 ? second.write(between) : EMPTY;
    },
    end() {
      const between = first.end();
      const head = between.length > 0 ? second.write(between) : EMPTY;
      const tail = second.end();
      if (head.length === 0) return tail;
      if (tail.length === 0) return head;
      return Buffer.concat([head, tail]);
    },
    get maskedCount() {
      return first.maskedCount + second.maskedCount;
    },
  };
}
