/**
 * One streaming text masker per output channel (stdout, stderr), so a secret split across
 * frames of one stream is still caught and the two streams never mix their held-back text. Each
 * masks the pod's known Secret values exactly, then runs the detectors.
 */
import type { ChunkMasker } from '../../mask/chunk-masker.js';
import type { Detector } from '../../mask/detectors.js';
import type { KnownValueSet } from '../../mask/known-value-stream.js';
import { createPodOutputMasker } from '../../mask/pod-output.js';

/** Masks exec output by channel. */
export interface OutputMasker {
  /** Masks the next payload of `channel`; returns what may be released now (possibly empty). */
  write(channel: number, payload: Uint8Array): Uint8Array;
  /** Releases what `channel` still holds, masked; empty once ended. Later writes are refused. */
  end(channel: number): Uint8Array;
  /** Ends every channel that is still open, in channel order. */
  endAll(): { channel: number; payload: Uint8Array }[];
  /** Secrets masked so far over all channels. */
  readonly maskedCount: number;
}

const EMPTY = new Uint8Array(0);

/** Creates the per-channel maskers lazily from the policy's text detectors and the pod's Secret values. */
export function createOutputMasker(detectors: readonly Detector[], known?: KnownValueSet): OutputMasker {
  const open = new Map<number, ChunkMasker>();
  const ended = new Map<number, number>();
  const masker = (channel: number): ChunkMasker | undefined => {
    if (ended.has(channel)) return undefined;
    let current = open.get(channel);
    if (!current) {
      current = createPodOutputMasker(detectors, known);
      open.set(channel, current);
    }
    return current;
  };
  const end = (channel: number): Uint8Array => {
    const current = open.get(channel);
    if (!current) {
      ended.set(channel, ended.get(channel) ?? 0);
      return EMPTY;
    }
    open.delete(channel);
    const tail = current.end();
    ended.set(channel, current.maskedCount);
    return tail;
  };
  return {
    write(channel, payload) {
      const current = masker(channel);
      if (!current) throw new RangeError(`output channel ${channel} was already ended`);
      return current.write(payload);
    },
    end,
    endAll() {
      return [...open.keys()].sort((a, b) => a - b).map((channel) => ({ channel, payload: end(channel) }));
    },
    get maskedCount() {
      let count = 0;
      for (const current of open.values()) count += current.maskedCount;
      for (const finished of ended.values()) count += finished;
      return count;
    },
  };
}
