/**
 * The masker for a pod's text output (logs, exec and attach stdout/stderr): the exact values of the
 * Secrets the pod uses first, then the detectors over what is left.
 */
import type { ChunkMasker } from './chunk-masker.js';
import { chainMaskers } from './chain.js';
import type { Detector } from './detectors.js';
import { createKnownValueMasker, type KnownValueSet } from './known-value-stream.js';
import { createTextStreamMasker } from './text-stream.js';

/** A streaming masker for one output stream of a pod; `known` undefined masks by detectors only. */
export function createPodOutputMasker(detectors: readonly Detector[], known?: KnownValueSet): ChunkMasker {
  const text = createTextStreamMasker(detectors);
  return known ? chainMaskers(createKnownValueMasker(known), text) : text;
}
